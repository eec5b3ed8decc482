//! The indexer's one error type. The SQL face maps each variant to a SQLSTATE
//! (see `protocol/src/error.rs`), the admin API to an HTTP status; each variant
//! carries the name or value at fault.

use std::path::PathBuf;

#[derive(Debug, thiserror::Error)]
pub enum IndexError {
    /// 42P01 / HTTP 404
    #[error("relation \"{0}\" does not exist")]
    UnknownTable(String),
    /// 42703 / HTTP 400
    #[error("column \"{column}\" does not exist in \"{table}\"")]
    UnknownColumn { table: String, column: String },
    /// HTTP 404
    #[error("partition \"{partition}\" of \"{table}\" does not exist")]
    UnknownPartition { table: String, partition: String },
    /// 0A000 / HTTP 422: valid, but not something Isotherm does.
    #[error("{0} is not supported")]
    Unsupported(String),
    /// 42883: e.g. sum(text).
    #[error("function {0} does not exist")]
    UndefinedFunction(String),
    /// 42804
    #[error("{0}")]
    TypeMismatch(String),
    /// 22P02 / 22007 / 22008: a value the type cannot hold.
    #[error("invalid input syntax for type {ty}: \"{value}\"")]
    InvalidValue { ty: &'static str, value: String },
    /// HTTP 400: the pushed body is not Parquet, is truncated, or cannot be read.
    #[error("invalid Parquet: {0}")]
    BadParquet(String),
    /// HTTP 400: a partition path without `col=value` parts, or a malformed one.
    #[error("invalid partition path \"{path}\": {reason}")]
    BadPartitionPath { path: String, reason: String },
    /// HTTP 409: the pushed file's columns do not match the table's.
    #[error("schema mismatch for table \"{table}\": {detail}")]
    SchemaMismatch { table: String, detail: String },
    /// HTTP 400: a table definition that cannot be applied.
    #[error("invalid table definition: {0}")]
    BadDefinition(String),
    /// XX001 / HTTP 500: a segment the query needs failed its checksum and is quarantined.
    #[error(
        "partition \"{partition}\" of \"{table}\" is unavailable: its segment {path} is corrupted and quarantined"
    )]
    Corrupted {
        table: String,
        partition: String,
        path: PathBuf,
    },
    /// XX000 / HTTP 500: disk and format errors from the storage layer.
    #[error(transparent)]
    Storage(#[from] isotherm_storage::StorageError),
    /// XX000 / HTTP 500: an internal invariant failed. Never a user's mistake.
    #[error("internal error: {0}")]
    Internal(String),
}

pub type Result<T, E = IndexError> = std::result::Result<T, E>;
