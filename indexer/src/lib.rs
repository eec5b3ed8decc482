//! The index model: Parquet partitions to dictionary-encoded columns, roaring
//! bitmaps, rollups and per-value stats, persisted as storage segments; answers
//! [`AggregateRequest`]s and [`ScanRequest`]s from the cheapest structure that can.
//!
//! No SQL and no sockets here: the protocol crate turns SQL into requests.

pub mod error;
pub mod query;
pub mod schema;
pub mod value;

pub use error::{IndexError, Result};
pub use query::request::{
    AggFunc, Aggregate, AggregateRequest, CmpOp, Explain, Expr, ExtractField, Predicate,
    ResultSet, ScanRequest, TruncUnit,
};
pub use schema::{ColumnDef, ColumnRole, RollupDef, TableSchema};
pub use value::{Numeric, ScalarType, Value};
