//! Isotherm's tables as DataFusion's schema `public`.
//!
//! ```text
//! mod.rs       PublicSchema: the table list, read from the backend at each call
//! table.rs     IsothermTable: Arrow schema, filter pushdown, scan planning
//! pushdown.rs  DataFusion Expr -> index Predicate (Exact / Inexact / Unsupported)
//! exec.rs      IsothermScanExec: backend scans on the blocking pool, 8192-row batches
//! chunks.rs    one scan cut into per-partition backend calls (bounded memory)
//! ```
//!
//! `EXPLAIN` shows the request the index receives, e.g.
//! `IsothermScanExec: table=temperatures, columns=[country], filter=region =
//! 'europe', index=bitmap-scan, segments=4/16`.
//!
//! Memory: [`Backend::scan`] returns a whole result as values, so a scan is
//! cut into chunks of whole partitions ([`chunks`]); a single partition is
//! still materialised at once. The index API that would make the scan truly
//! streaming is a per-segment (or row-range) scan: e.g.
//! `Backend::scan_chunks(&ScanRequest) -> impl Iterator<Item = Result<ResultSet>>`
//! yielding each pruned segment's rows (optionally as columns) on one
//! snapshot, which would also make a multi-chunk scan read one consistent
//! snapshot instead of one per chunk.

mod chunks;
mod exec;
mod pushdown;
mod table;

use std::sync::Arc;

use async_trait::async_trait;
use datafusion::catalog::{SchemaProvider, TableProvider};
use datafusion::common::{DataFusionError, Result};
use isotherm_indexer::IndexError;

use crate::backend::Backend;

/// Field metadata of a table's column: `<table oid>.<attnum>`. It follows
/// the column through projections, aliases and joins (not through
/// expressions), which is when PostgreSQL's RowDescription names the column's
/// table and attribute too.
pub const SOURCE_KEY: &str = "pg.source";

/// The `(table OID, attnum)` a result field passes through, if any.
pub fn column_source(field: &datafusion::arrow::datatypes::Field) -> Option<(u32, i16)> {
    let (table, attnum) = field.metadata().get(SOURCE_KEY)?.split_once('.')?;
    Some((table.parse().ok()?, attnum.parse().ok()?))
}

pub use chunks::CHUNK_ROWS;
pub use exec::IsothermScanExec;
pub use pushdown::{Translated, display_predicate, translate};
pub use table::IsothermTable;

/// The schema `public`: one [`IsothermTable`] per table of the index.
/// Tables defined while the server runs appear at the next query.
pub struct PublicSchema {
    backend: Arc<dyn Backend>,
    chunk_rows: Option<u64>,
}

impl std::fmt::Debug for PublicSchema {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("PublicSchema").finish_non_exhaustive()
    }
}

impl PublicSchema {
    pub fn new(backend: Arc<dyn Backend>) -> PublicSchema {
        PublicSchema {
            backend,
            chunk_rows: None,
        }
    }

    /// Rows per backend call for every table (default [`CHUNK_ROWS`]).
    pub fn with_chunk_rows(mut self, rows: u64) -> Self {
        self.chunk_rows = Some(rows);
        self
    }

    /// The provider of `name`, `None` if the index has no such table.
    pub fn isotherm_table(&self, name: &str) -> Result<Option<IsothermTable>> {
        match self.backend.schema(name) {
            Ok(schema) => {
                let t = IsothermTable::new(self.backend.clone(), schema);
                Ok(Some(match self.chunk_rows {
                    Some(rows) => t.with_chunk_rows(rows),
                    None => t,
                }))
            }
            Err(IndexError::UnknownTable(_)) => Ok(None),
            Err(e) => Err(DataFusionError::External(Box::new(e))),
        }
    }
}

#[async_trait]
impl SchemaProvider for PublicSchema {
    fn table_names(&self) -> Vec<String> {
        let mut names = self.backend.table_names();
        // A table exists for SQL once its first partition gave it a schema.
        names.retain(|n| self.backend.schema(n).is_ok());
        names.sort();
        names
    }

    async fn table(&self, name: &str) -> Result<Option<Arc<dyn TableProvider>>> {
        Ok(self
            .isotherm_table(name)?
            .map(|t| Arc::new(t) as Arc<dyn TableProvider>))
    }

    fn table_exist(&self, name: &str) -> bool {
        self.backend.schema(name).is_ok()
    }
}
