//! The index model: Parquet partitions to dictionary-encoded columns, roaring
//! bitmaps, rollups and per-value stats, persisted as storage segments; answers
//! [`AggregateRequest`]s and [`ScanRequest`]s from the cheapest structure that can.
//!
//! No SQL and no sockets here: the protocol crate turns SQL into requests.
//!
//! The path of data through the modules:
//! - [`partition`]: `col=value/...` paths, percent-decoded and normalized;
//! - [`ingest`]: Parquet bytes to typed columns;
//! - [`dictionary`]: table-wide value ids for text/date columns;
//! - [`segment`]: one partition as storage sections (format in its module docs):
//!   [`segment::build`] writes them, [`segment::read`] maps them lazily;
//! - [`table`]: definitions, schema inference, the snapshot a query reads;
//! - [`query`]: request resolution, planning (rollup, value stats, bitmap scan,
//!   scan) and execution;
//! - [`database`]: the [`Database`] facade: open/recover, put/delete, define, query.

pub mod calendar;
pub mod database;
pub mod dictionary;
pub mod error;
pub mod hash;
pub mod ingest;
pub mod partition;
pub mod query;
pub mod schema;
pub mod segment;
pub mod table;
#[cfg(test)]
mod tests;
pub mod value;

pub use database::{Database, DeleteOutcome, PutOutcome, RecoveredQuarantine, RecoveryReport};
pub use error::{IndexError, Result};
pub use query::request::{
    AggFunc, Aggregate, AggregateRequest, CmpOp, Explain, Expr, ExtractField, Predicate, ResultSet,
    ScanRequest, TruncUnit,
};
pub use schema::{ColumnDef, ColumnRole, RollupDef, TableSchema};
pub use table::{PartitionInfo, QuarantineInfo, TableDefinition, TableInfo};
pub use value::{Numeric, ScalarType, Value};
