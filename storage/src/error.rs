//! The storage layer's one error type. Every variant carries the path, section or
//! value at fault so the message alone tells an operator what happened.

use std::path::PathBuf;

#[derive(Debug, thiserror::Error)]
pub enum StorageError {
    /// An operating-system error while touching `path`.
    #[error("I/O error on {path}: {source}")]
    Io {
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },
    /// The file does not start (or end) with the expected magic bytes.
    #[error("{path}: bad magic bytes, not an Isotherm file")]
    BadMagic { path: PathBuf },
    /// The file was written by a format version this build cannot read.
    #[error("{path}: unsupported format version {version}")]
    UnsupportedVersion { path: PathBuf, version: u32 },
    /// A length or offset points outside the file, or the file is too short.
    #[error("{path}: truncated or out of range: {detail}")]
    Truncated { path: PathBuf, detail: String },
    /// The structure is inconsistent: misaligned or overlapping sections, gaps,
    /// non-zero padding or reserved fields, duplicate section ids in the table.
    #[error("{path}: malformed: {detail}")]
    Malformed { path: PathBuf, detail: String },
    /// A CRC32 does not match. `section` is `u32::MAX` for the section table.
    #[error(
        "{path}: checksum mismatch in section {section}: expected {expected:#010x}, got {actual:#010x}"
    )]
    ChecksumMismatch {
        path: PathBuf,
        section: u32,
        expected: u32,
        actual: u32,
    },
    /// A segment writer was given the same section id twice.
    #[error("section id {section} added twice to one segment")]
    DuplicateSection { section: u32 },
    /// The data directory is held by another process (or another open handle).
    #[error("data directory lock {path} is held by another process")]
    Locked { path: PathBuf },
    /// The manifest log has a bad record that is not the torn tail of a crash.
    #[error("manifest {path} is corrupt at byte {offset}: {detail}")]
    ManifestCorrupt {
        path: PathBuf,
        offset: u64,
        detail: String,
    },
    /// An earlier append failed half-way and could not be rolled back (or a writer
    /// panicked): further appends could land after garbage, so they are refused.
    #[error("manifest {path} is unusable after a failed append; restart to recover")]
    ManifestPoisoned { path: PathBuf },
    /// `ManifestLog::compact` was given a state that does not include every commit.
    #[error(
        "manifest {path}: snapshot state is at sequence {state_sequence} but the log is at {log_sequence}"
    )]
    StaleState {
        path: PathBuf,
        state_sequence: u64,
        log_sequence: u64,
    },
    /// A table or file name that may not be used as a path component.
    #[error("invalid name \"{name}\": {reason}")]
    InvalidName { name: String, reason: &'static str },
    /// A manifest record could not be encoded (never expected for our own types).
    #[error("cannot encode manifest record: {detail}")]
    Encode { detail: String },
}

impl StorageError {
    /// True when file *content* is damaged or unreadable (magic, version, lengths,
    /// structure, checksums): the caller quarantines the file rather than retrying.
    pub fn is_corruption(&self) -> bool {
        matches!(
            self,
            StorageError::BadMagic { .. }
                | StorageError::UnsupportedVersion { .. }
                | StorageError::Truncated { .. }
                | StorageError::Malformed { .. }
                | StorageError::ChecksumMismatch { .. }
                | StorageError::ManifestCorrupt { .. }
        )
    }

    /// Wraps an `io::Error` with the path it happened on.
    pub(crate) fn io(path: impl Into<PathBuf>, source: std::io::Error) -> Self {
        StorageError::Io {
            path: path.into(),
            source,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn corruption_classification() {
        let p = PathBuf::from("x.seg");
        assert!(StorageError::BadMagic { path: p.clone() }.is_corruption());
        assert!(
            StorageError::ChecksumMismatch {
                path: p.clone(),
                section: 1,
                expected: 1,
                actual: 2
            }
            .is_corruption()
        );
        assert!(
            StorageError::Truncated {
                path: p.clone(),
                detail: String::new()
            }
            .is_corruption()
        );
        assert!(!StorageError::Locked { path: p.clone() }.is_corruption());
        assert!(!StorageError::io(p, std::io::Error::other("x")).is_corruption());
        assert!(!StorageError::DuplicateSection { section: 3 }.is_corruption());
    }

    #[test]
    fn messages_name_the_path() {
        let e = StorageError::UnsupportedVersion {
            path: PathBuf::from("/d/segments/t/7.seg"),
            version: 9,
        };
        let msg = e.to_string();
        assert!(msg.contains("/d/segments/t/7.seg"), "{msg}");
        assert!(msg.contains('9'), "{msg}");
    }
}
