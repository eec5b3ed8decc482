//! Bytes on disk: segment files, the mmap reader, the manifest log, the data-dir
//! lock and quarantine. No SQL here.

mod error;

pub use error::StorageError;
