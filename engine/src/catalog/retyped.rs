//! datafusion-pg-catalog's static tables with PostgreSQL's column types.
//!
//! Its `pg_type`, `pg_proc`, `pg_am` and `pg_enum` hold rows exported from a
//! real PostgreSQL but type every `name`, `"char"` and `regproc` column as
//! plain text, so clients see type 25 where PostgreSQL reports 19, 18 or 24
//! (DBeaver and Metabase read those OIDs). These tables are read once, the
//! listed columns tagged with [`PG_TYPE_KEY`] (the values are unchanged:
//! PostgreSQL's text forms), and kept: they never change while the server
//! runs.

use std::collections::HashMap;
use std::sync::Arc;

use datafusion::arrow::datatypes::{Field, Schema, SchemaRef};
use datafusion::arrow::record_batch::RecordBatch;
use datafusion::catalog::TableProvider;
use datafusion::datasource::MemTable;
use datafusion::error::Result;
use datafusion::prelude::SessionContext;

use super::PG_TYPE_KEY;

/// Table -> (column, PostgreSQL type name as the wire layer knows it).
const RETYPED: &[(&str, &[(&str, &str)])] = &[
    (
        "pg_type",
        &[
            ("typname", "name"),
            ("typtype", "char"),
            ("typcategory", "char"),
            ("typdelim", "char"),
            ("typalign", "char"),
            ("typstorage", "char"),
            ("typsubscript", "regproc"),
            ("typinput", "regproc"),
            ("typoutput", "regproc"),
            ("typreceive", "regproc"),
            ("typsend", "regproc"),
            ("typmodin", "regproc"),
            ("typmodout", "regproc"),
            ("typanalyze", "regproc"),
            ("typdefaultbin", "pg_node_tree"),
            ("typacl", "_aclitem"),
        ],
    ),
    (
        "pg_proc",
        &[
            ("proname", "name"),
            ("prosupport", "regproc"),
            ("prokind", "char"),
            ("provolatile", "char"),
            ("proparallel", "char"),
            ("proargtypes", "oidvector"),
            ("proallargtypes", "_oid"),
            ("protrftypes", "_oid"),
            ("proargdefaults", "pg_node_tree"),
            ("prosqlbody", "pg_node_tree"),
            ("proacl", "_aclitem"),
        ],
    ),
    (
        "pg_am",
        &[
            ("amname", "name"),
            ("amhandler", "regproc"),
            ("amtype", "char"),
        ],
    ),
    ("pg_enum", &[("enumlabel", "name")]),
];

/// Whether `table` is one of the retyped tables.
pub fn is_retyped(table: &str) -> bool {
    RETYPED.iter().any(|(t, _)| *t == table)
}

/// `upstream`'s rows under a schema whose listed columns carry their
/// PostgreSQL type.
pub async fn retype(table: &str, upstream: Arc<dyn TableProvider>) -> Result<Arc<MemTable>> {
    let schema = schema_for(table, &upstream.schema());
    let ctx = SessionContext::new();
    let batches = ctx.read_table(upstream)?.collect().await?;
    let batches = batches
        .into_iter()
        .map(|b| RecordBatch::try_new(schema.clone(), b.columns().to_vec()))
        .collect::<std::result::Result<Vec<_>, _>>()?;
    Ok(Arc::new(MemTable::try_new(schema, vec![batches])?))
}

/// `table`'s schema with its listed columns tagged (as is if not listed).
pub fn schema_for(table: &str, schema: &Schema) -> SchemaRef {
    let columns = RETYPED
        .iter()
        .find(|(t, _)| *t == table)
        .map_or(&[][..], |(_, c)| *c);
    let fields: Vec<Field> = schema
        .fields()
        .iter()
        .map(|f| match columns.iter().find(|(c, _)| c == f.name()) {
            Some((_, ty)) => {
                let mut metadata = f.metadata().clone();
                metadata.insert(PG_TYPE_KEY.to_owned(), (*ty).to_owned());
                f.as_ref().clone().with_metadata(metadata)
            }
            None => f.as_ref().clone(),
        })
        .collect();
    Arc::new(Schema::new_with_metadata(
        fields,
        schema
            .metadata()
            .clone()
            .into_iter()
            .collect::<HashMap<_, _>>(),
    ))
}
