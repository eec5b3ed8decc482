//! The harness's one error type: every failure carries a sentence saying what
//! was being done and what went wrong, so a failing suite explains itself.

#[derive(Debug)]
pub struct Error(pub String);

impl Error {
    pub fn new(msg: impl Into<String>) -> Self {
        Error(msg.into())
    }

    /// Prefixes the message with what was being attempted.
    pub fn context(self, what: &str) -> Self {
        Error(format!("{what}: {}", self.0))
    }
}

impl std::fmt::Display for Error {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.0)
    }
}

impl std::error::Error for Error {}

macro_rules! from_error {
    ($($t:ty),*) => {$(
        impl From<$t> for Error {
            fn from(e: $t) -> Self {
                Error(e.to_string())
            }
        }
    )*};
}

from_error!(
    std::io::Error,
    tokio_postgres::Error,
    parquet::errors::ParquetError,
    arrow::error::ArrowError,
    reqwest::Error,
    serde_json::Error,
    std::string::FromUtf8Error
);

pub type Result<T, E = Error> = std::result::Result<T, E>;

/// Adds context to any error convertible into [`Error`].
pub trait Context<T> {
    fn ctx(self, what: &str) -> Result<T>;
}

impl<T, E: Into<Error>> Context<T> for std::result::Result<T, E> {
    fn ctx(self, what: &str) -> Result<T> {
        self.map_err(|e| e.into().context(what))
    }
}
