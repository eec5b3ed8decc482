//! The server crate's one error type: what the CLI commands can fail with.
//! (The admin API's HTTP errors are `admin::error::ApiError`.)

use std::path::PathBuf;

#[derive(Debug, thiserror::Error)]
pub enum ServerError {
    /// A file or socket operation failed; `what` says which, with the path.
    #[error("{what}: {source}")]
    Io {
        what: String,
        #[source]
        source: std::io::Error,
    },
    #[error(transparent)]
    Index(#[from] isotherm_indexer::IndexError),
    #[error("writing Parquet: {0}")]
    Parquet(#[from] parquet::errors::ParquetError),
    #[error("building Arrow data: {0}")]
    Arrow(#[from] arrow::error::ArrowError),
    #[error("HTTP: {0}")]
    Http(#[from] reqwest::Error),
    /// A Hive directory that cannot be pushed as is.
    #[error("{path}: {reason}")]
    Hive { path: PathBuf, reason: String },
    /// Bad command-line input.
    #[error("{0}")]
    Usage(String),
    /// Some of a batch of operations failed; each was already reported.
    #[error("{0}")]
    Failed(String),
}

impl ServerError {
    pub fn io(what: impl Into<String>, source: std::io::Error) -> Self {
        ServerError::Io {
            what: what.into(),
            source,
        }
    }
}

pub type Result<T, E = ServerError> = std::result::Result<T, E>;
