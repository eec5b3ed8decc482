//! PostgreSQL functions clients call that DataFusion and
//! datafusion-pg-catalog lack (or answer differently from PostgreSQL).
//!
//! ```text
//! udf.rs      Udf: a row-by-row scalar function over a shared state
//! catalog.rs  catalog functions (pg_get_indexdef, to_regclass, has_*_privilege, ...)
//! session.rs  session functions (version, current_user, current_setting, ...)
//! text.rs     format, to_timestamp / to_date with PostgreSQL templates
//! type_of.rs  pg_typeof
//! ```
//!
//! Ours are registered after datafusion-pg-catalog's, so a name both define
//! (`pg_get_userbyid`, `pg_encoding_to_char`, `current_schemas`, ...) is ours.

pub mod catalog;
pub mod session;
pub mod text;
pub mod type_of;
pub mod udf;

use std::sync::Arc;

use datafusion::prelude::SessionContext;

use crate::catalog::CatalogState;

/// Registers the catalog functions on the shared context.
pub fn register_catalog_functions(ctx: &SessionContext, state: Arc<CatalogState>) {
    for f in catalog::functions(state)
        .into_iter()
        .chain(text::functions())
    {
        ctx.register_udf(f);
    }
    ctx.register_udf(crate::numeric::rewrite::cast_marker());
    ctx.register_udf(type_of::pg_typeof());
}
