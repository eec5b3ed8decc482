//! Where things live in a data directory `D`, and which names may become path
//! components.
//!
//! ```text
//! D/LOCK                         DataDirLock
//! D/MANIFEST                     ManifestLog
//! D/segments/<table>/<v>.seg     segment files (write-once)
//! D/quarantine/<table>/<file>    segments moved aside after a checksum failure
//! ```

use std::path::{Path, PathBuf};

use crate::error::StorageError;

/// File name of the manifest log.
pub const MANIFEST_FILE: &str = "MANIFEST";
/// File name of the data-dir lock.
pub const LOCK_FILE: &str = "LOCK";
/// Directory holding one sub-directory of segments per table.
pub const SEGMENTS_DIR: &str = "segments";
/// Directory holding quarantined segments, one sub-directory per table.
pub const QUARANTINE_DIR: &str = "quarantine";
/// Extension of segment files.
pub const SEGMENT_EXT: &str = "seg";

const MAX_TABLE_NAME: usize = 63;

/// Accepts `[A-Za-z_][A-Za-z0-9_]{0,62}`; anything else is `InvalidName`.
pub fn validate_table_name(name: &str) -> Result<(), StorageError> {
    let invalid = |reason| {
        Err(StorageError::InvalidName {
            name: name.to_string(),
            reason,
        })
    };
    let Some(first) = name.bytes().next() else {
        return invalid("empty table name");
    };
    if name.len() > MAX_TABLE_NAME {
        return invalid("table name longer than 63 bytes");
    }
    if !(first.is_ascii_alphabetic() || first == b'_') {
        return invalid("table name must start with a letter or underscore");
    }
    if !name.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'_') {
        return invalid("table name may contain only letters, digits and underscores");
    }
    Ok(())
}

/// Accepts a plain file name (no separators, not `.`/`..`, no NUL, not empty).
pub fn validate_file_name(name: &str) -> Result<(), StorageError> {
    let invalid = |reason| {
        Err(StorageError::InvalidName {
            name: name.to_string(),
            reason,
        })
    };
    if name.is_empty() || name == "." || name == ".." {
        return invalid("empty or relative file name");
    }
    if name.contains(['/', '\\', '\0']) {
        return invalid("file name contains a path separator or NUL");
    }
    Ok(())
}

/// `D/segments/<table>`.
pub fn segments_dir(data_dir: &Path, table: &str) -> Result<PathBuf, StorageError> {
    validate_table_name(table)?;
    Ok(data_dir.join(SEGMENTS_DIR).join(table))
}

/// `D/segments/<table>/<file>`.
pub fn segment_path(data_dir: &Path, table: &str, file: &str) -> Result<PathBuf, StorageError> {
    validate_file_name(file)?;
    Ok(segments_dir(data_dir, table)?.join(file))
}

/// `<version>.seg`: the file name of a segment written under an allocated version.
pub fn segment_file_name(version: u64) -> String {
    format!("{version}.{SEGMENT_EXT}")
}

/// `D/quarantine/<table>`.
pub fn quarantine_dir(data_dir: &Path, table: &str) -> Result<PathBuf, StorageError> {
    validate_table_name(table)?;
    Ok(data_dir.join(QUARANTINE_DIR).join(table))
}

/// `D/MANIFEST`.
pub fn manifest_path(data_dir: &Path) -> PathBuf {
    data_dir.join(MANIFEST_FILE)
}

/// `D/LOCK`.
pub fn lock_path(data_dir: &Path) -> PathBuf {
    data_dir.join(LOCK_FILE)
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;

    #[test]
    fn valid_table_names() {
        for n in ["t", "_", "readings", "Temp_2024", "a".repeat(63).as_str()] {
            assert!(validate_table_name(n).is_ok(), "{n}");
        }
    }

    #[test]
    fn invalid_table_names() {
        let long = "a".repeat(64);
        for n in [
            "", "1abc", "a-b", "a b", "../x", "a/b", ".", "é", "a.b", &long,
        ] {
            assert!(
                matches!(validate_table_name(n), Err(StorageError::InvalidName { ref name, .. }) if name == n),
                "{n:?}"
            );
        }
    }

    #[test]
    fn paths() {
        let d = Path::new("/d");
        assert_eq!(segments_dir(d, "t").unwrap(), Path::new("/d/segments/t"));
        assert_eq!(
            quarantine_dir(d, "t").unwrap(),
            Path::new("/d/quarantine/t")
        );
        assert_eq!(manifest_path(d), Path::new("/d/MANIFEST"));
        assert_eq!(lock_path(d), Path::new("/d/LOCK"));
        assert_eq!(segment_file_name(42), "42.seg");
        assert_eq!(
            segment_path(d, "t", "42.seg").unwrap(),
            Path::new("/d/segments/t/42.seg")
        );
        assert!(segments_dir(d, "../etc").is_err());
        assert!(quarantine_dir(d, "a/b").is_err());
    }

    #[test]
    fn file_names() {
        assert!(validate_file_name("1.seg").is_ok());
        for n in ["", ".", "..", "a/b", "a\\b", "a\0"] {
            assert!(
                matches!(validate_file_name(n), Err(StorageError::InvalidName { .. })),
                "{n:?}"
            );
        }
        assert!(segment_path(Path::new("/d"), "t", "../x").is_err());
    }
}
