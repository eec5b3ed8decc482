//! Ingest: a pushed Parquet body decoded into typed columns.

pub mod parquet;

pub use self::parquet::{ColumnData, DecodedColumn, DecodedFile, decode_parquet};
