//! `D/LOCK`: one server per data directory.
//!
//! An advisory lock (`flock` on Unix via `File::try_lock`) held for the life of the
//! [`DataDirLock`]; the holder's pid is written into the file for operators. The
//! lock is released when the value drops or the process dies; the file itself
//! stays (removing it would race with the next acquirer).

use std::fs::{File, OpenOptions, TryLockError};
use std::io::Write;
use std::path::{Path, PathBuf};

use crate::durable::create_dir_durable;
use crate::error::StorageError;
use crate::layout::lock_path;

/// An exclusive hold on a data directory; released on drop.
#[derive(Debug)]
pub struct DataDirLock {
    file: File,
    path: PathBuf,
}

impl DataDirLock {
    /// Creates `data_dir` if missing and takes `D/LOCK` without blocking.
    /// `Err(Locked)` if another process (or another open handle) holds it.
    pub fn acquire(data_dir: &Path) -> Result<DataDirLock, StorageError> {
        create_dir_durable(data_dir)?;
        let path = lock_path(data_dir);
        // No truncate on open: the pid of the current holder must survive until we hold the lock.
        let mut file = OpenOptions::new()
            .read(true)
            .write(true)
            .create(true)
            .truncate(false)
            .open(&path)
            .map_err(|e| StorageError::io(&path, e))?;
        match file.try_lock() {
            Ok(()) => {}
            Err(TryLockError::WouldBlock) => return Err(StorageError::Locked { path }),
            Err(TryLockError::Error(e)) => return Err(StorageError::io(&path, e)),
        }
        let pid = std::process::id();
        file.set_len(0)
            .and_then(|()| writeln!(file, "{pid}"))
            .and_then(|()| file.sync_data())
            .map_err(|e| StorageError::io(&path, e))?;
        Ok(DataDirLock { file, path })
    }

    /// `D/LOCK`.
    pub fn path(&self) -> &Path {
        &self.path
    }
}

impl Drop for DataDirLock {
    fn drop(&mut self) {
        // Closing the file releases the lock too; unlocking first makes it immediate.
        let _ = self.file.unlock();
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;

    #[test]
    fn second_acquire_is_locked_until_drop() {
        let tmp = tempfile::tempdir().unwrap();
        let first = DataDirLock::acquire(tmp.path()).unwrap();
        let second = DataDirLock::acquire(tmp.path());
        assert!(
            matches!(second, Err(StorageError::Locked { ref path }) if path == first.path()),
            "{second:?}"
        );
        drop(first);
        let third = DataDirLock::acquire(tmp.path());
        assert!(third.is_ok(), "{third:?}");
    }

    #[test]
    fn writes_pid_and_creates_dir() {
        let tmp = tempfile::tempdir().unwrap();
        let dir = tmp.path().join("new/data");
        let lock = DataDirLock::acquire(&dir).unwrap();
        let text = std::fs::read_to_string(lock.path()).unwrap();
        assert_eq!(text.trim(), std::process::id().to_string());
    }
}
