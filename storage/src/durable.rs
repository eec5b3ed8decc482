//! The one audited durable-write helper (after PostgreSQL `durable_rename` and
//! lsm-tree `rewrite_atomic`):
//!
//! 1. write the bytes to `<name>.tmp` in the destination directory,
//! 2. fsync the temp file,
//! 3. rename it over `<name>` (atomic on POSIX),
//! 4. fsync the directory so the rename itself survives a crash.
//!
//! A crash before step 3 leaves only a `*.tmp` file (removed by garbage collection);
//! after step 3 the complete new file is visible. Readers never see a partial file.

use std::fs::{self, File};
use std::io::{self, BufWriter, Write};
use std::path::{Path, PathBuf};

use crate::error::StorageError;
use crate::failpoint::fail_point;

/// Suffix of in-progress files; garbage collection removes leftovers.
pub const TMP_SUFFIX: &str = ".tmp";

/// Durably writes `dir/name` with the bytes `write` produces (see module doc).
/// Creates `dir` (and fsyncs its parent) if missing. On failure before the rename
/// the temp file is removed and `dir/name` is untouched.
pub fn write_atomic(
    dir: &Path,
    name: &str,
    write: impl FnOnce(&mut dyn Write) -> io::Result<()>,
) -> Result<(), StorageError> {
    create_dir_durable(dir)?;
    let tmp = dir.join(format!("{name}{TMP_SUFFIX}"));
    let dest = dir.join(name);
    if let Err(e) = write_temp(&tmp, write) {
        // Best effort: a leftover temp file is harmless (GC removes it).
        let _ = fs::remove_file(&tmp);
        return Err(e);
    }
    if let Err(e) = fail_point!("durable::before_rename") {
        let _ = fs::remove_file(&tmp);
        return Err(StorageError::io(&tmp, e));
    }
    if let Err(e) = fs::rename(&tmp, &dest) {
        let _ = fs::remove_file(&tmp);
        return Err(StorageError::io(&dest, e));
    }
    // From here the new file is visible; never remove it (it may be a MANIFEST that
    // replaced the previous one).
    fail_point!("durable::before_dir_fsync").map_err(|e| StorageError::io(dir, e))?;
    fsync_dir(dir)
}

fn write_temp(
    tmp: &Path,
    write: impl FnOnce(&mut dyn Write) -> io::Result<()>,
) -> Result<(), StorageError> {
    let file = File::create(tmp).map_err(|e| StorageError::io(tmp, e))?;
    let mut out = BufWriter::new(file);
    write(&mut out).map_err(|e| StorageError::io(tmp, e))?;
    let file = out
        .into_inner()
        .map_err(|e| StorageError::io(tmp, e.into_error()))?;
    file.sync_all().map_err(|e| StorageError::io(tmp, e))
}

/// Fsyncs a directory so entries created, renamed or removed in it are durable.
/// A no-op on platforms that cannot open directories.
pub fn fsync_dir(dir: &Path) -> Result<(), StorageError> {
    #[cfg(unix)]
    {
        let d = File::open(dir).map_err(|e| StorageError::io(dir, e))?;
        d.sync_all().map_err(|e| StorageError::io(dir, e))?;
    }
    #[cfg(not(unix))]
    let _ = dir;
    Ok(())
}

/// Creates `dir` and any missing ancestors, fsyncing the parent of each directory
/// it created so the new entries survive a crash.
pub fn create_dir_durable(dir: &Path) -> Result<(), StorageError> {
    if dir.is_dir() {
        return Ok(());
    }
    let mut missing: Vec<PathBuf> = Vec::new();
    let mut cur = Some(dir);
    while let Some(p) = cur {
        if p.as_os_str().is_empty() || p.is_dir() {
            break;
        }
        missing.push(p.to_path_buf());
        cur = p.parent();
    }
    fs::create_dir_all(dir).map_err(|e| StorageError::io(dir, e))?;
    for created in missing.iter().rev() {
        if let Some(parent) = created.parent().filter(|p| !p.as_os_str().is_empty()) {
            fsync_dir(parent)?;
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;

    #[test]
    fn writes_file_and_leaves_no_temp() {
        let tmp = tempfile::tempdir().unwrap();
        let dir = tmp.path().join("a/b");
        write_atomic(&dir, "f", |w| w.write_all(b"hello")).unwrap();
        assert_eq!(fs::read(dir.join("f")).unwrap(), b"hello");
        assert!(!dir.join("f.tmp").exists());
    }

    #[test]
    fn replaces_existing_file() {
        let tmp = tempfile::tempdir().unwrap();
        write_atomic(tmp.path(), "f", |w| w.write_all(b"one")).unwrap();
        write_atomic(tmp.path(), "f", |w| w.write_all(b"two")).unwrap();
        assert_eq!(fs::read(tmp.path().join("f")).unwrap(), b"two");
    }

    #[test]
    fn failing_writer_leaves_old_file_and_no_temp() {
        let tmp = tempfile::tempdir().unwrap();
        write_atomic(tmp.path(), "f", |w| w.write_all(b"old")).unwrap();
        let err = write_atomic(tmp.path(), "f", |w| {
            w.write_all(b"partial")?;
            Err(io::Error::other("boom"))
        })
        .unwrap_err();
        assert!(matches!(err, StorageError::Io { ref path, .. } if path.ends_with("f.tmp")));
        assert_eq!(fs::read(tmp.path().join("f")).unwrap(), b"old");
        assert!(!tmp.path().join("f.tmp").exists());
    }

    #[test]
    fn fsync_dir_missing_is_io_error() {
        let tmp = tempfile::tempdir().unwrap();
        let missing = tmp.path().join("nope");
        assert!(matches!(
            fsync_dir(&missing),
            Err(StorageError::Io { ref path, .. }) if path == &missing
        ));
    }

    #[cfg(feature = "failpoints")]
    #[test]
    fn failure_before_rename_leaves_nothing_visible() {
        use crate::failpoint::{Action, arm};
        let tmp = tempfile::tempdir().unwrap();
        let _g = arm("durable::before_rename", Action::Error);
        assert!(write_atomic(tmp.path(), "f", |w| w.write_all(b"x")).is_err());
        assert!(!tmp.path().join("f").exists());
        assert!(!tmp.path().join("f.tmp").exists());
    }

    #[cfg(feature = "failpoints")]
    #[test]
    fn failure_after_rename_keeps_the_complete_file() {
        use crate::failpoint::{Action, arm};
        let tmp = tempfile::tempdir().unwrap();
        let _g = arm("durable::before_dir_fsync", Action::Error);
        assert!(write_atomic(tmp.path(), "f", |w| w.write_all(b"x")).is_err());
        assert_eq!(fs::read(tmp.path().join("f")).unwrap(), b"x");
    }
}
