//! Bytes on disk: segment files, the mmap reader, the manifest log, the data-dir
//! lock, quarantine and garbage collection. No columns, no SQL: a segment section
//! is an id and bytes, a table definition is opaque JSON.
//!
//! Data directory layout (see [`layout`]):
//!
//! ```text
//! D/LOCK                         advisory lock: one server per data dir
//! D/MANIFEST                     append-only log of checksummed commit records
//! D/segments/<table>/<v>.seg     one write-once segment per partition version
//! D/quarantine/<table>/<v>.seg   segments that failed a checksum, moved aside
//! ```
//!
//! Every durable file write goes through [`durable::write_atomic`].

mod error;

pub mod durable;
pub mod failpoint;
pub mod gc;
pub mod layout;
pub mod lock;
pub mod manifest;
pub mod quarantine;
pub mod segment;

pub use durable::{fsync_dir, write_atomic};
pub use error::StorageError;
pub use gc::remove_unreferenced;
pub use layout::validate_table_name;
pub use lock::DataDirLock;
pub use manifest::{
    ManifestEdit, ManifestLog, ManifestState, PartitionState, QuarantineRecord, TableState,
};
pub use quarantine::quarantine;
pub use segment::{Segment, SegmentWriter};
