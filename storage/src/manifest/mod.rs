//! The manifest log `D/MANIFEST`: an append-only file of checksummed records,
//! each one commit (a list of [`ManifestEdit`]s applied atomically). Appending a
//! record and fsyncing it is the commit point of a push. Replay on open rebuilds
//! the [`ManifestState`]; byte layout and torn-tail rule in [`record`].
//!
//! Versions: one monotonic counter hands out both [`ManifestLog::allocate_version`]
//! numbers (to name segment files before their commit) and commit sequence
//! numbers, so every commit's sequence exceeds every version allocated before it.
//! Gaps are normal (failed pushes, allocated versions).
//!
//! Hold the [`DataDirLock`](crate::DataDirLock) before opening: one writer per log.

pub mod record;
mod state;

use std::fs::{File, OpenOptions};
use std::io::{Read, Write};
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Mutex, MutexGuard};

pub use state::{
    ManifestEdit, ManifestState, PartitionState, QuarantineRecord, TableState, now_ms,
};

use crate::durable::{TMP_SUFFIX, create_dir_durable, write_atomic};
use crate::error::StorageError;
use crate::layout::{MANIFEST_FILE, manifest_path};
use record::{RecordBody, RecordBodyRef, RecordRef};

/// A commit that reached disk.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Committed {
    /// The record's sequence number (the version it makes visible).
    pub sequence: u64,
    /// The time stamped into the record (what replay passes to `apply_at`).
    pub at_ms: u64,
}

/// The open manifest log. `Send + Sync`; appends are serialised by a mutex.
#[derive(Debug)]
pub struct ManifestLog {
    data_dir: PathBuf,
    path: PathBuf,
    /// The next version or sequence number to hand out.
    next: AtomicU64,
    inner: Mutex<Inner>,
}

#[derive(Debug)]
struct Inner {
    file: File,
    /// Length of the log up to the end of the last good record.
    len: u64,
    /// Sequence of the last committed record (0 if none).
    last_sequence: u64,
    /// Records in the file (a snapshot counts as one).
    records: u64,
    /// An append failed and its partial bytes could not be removed.
    poisoned: bool,
}

impl ManifestLog {
    /// Opens or creates `D/MANIFEST` (creating `D` if needed) and replays it. A torn
    /// or checksum-failing last record (a crash mid-append, never acknowledged) is
    /// truncated away with a warning; a bad record followed by more data is
    /// `ManifestCorrupt`.
    pub fn open(data_dir: &Path) -> Result<(ManifestLog, ManifestState), StorageError> {
        create_dir_durable(data_dir)?;
        let path = manifest_path(data_dir);
        let exists = path.try_exists().map_err(|e| StorageError::io(&path, e))?;
        if !exists {
            write_atomic(data_dir, MANIFEST_FILE, |w| {
                w.write_all(&record::encode_file_header())
            })?;
        }
        // A crash during `compact` may leave its temp file; the old log is intact.
        let _ = std::fs::remove_file(data_dir.join(format!("{MANIFEST_FILE}{TMP_SUFFIX}")));
        let mut file = open_append(&path)?;
        let mut bytes = Vec::new();
        file.read_to_end(&mut bytes)
            .map_err(|e| StorageError::io(&path, e))?;
        let scan = record::scan(&path, &bytes)?;
        if let Some(reason) = &scan.torn {
            tracing::warn!(
                path = %path.display(),
                offset = scan.valid_len,
                discarded_bytes = bytes.len() as u64 - scan.valid_len,
                reason = %reason,
                "manifest: discarding torn last record (crash during an unacknowledged commit)"
            );
            file.set_len(scan.valid_len)
                .and_then(|()| file.sync_all())
                .map_err(|e| StorageError::io(&path, e))?;
        }

        let mut state = ManifestState::default();
        for r in &scan.records {
            match &r.body {
                RecordBody::Snapshot(snapshot) => {
                    state = snapshot.clone();
                    state.last_sequence = state.last_sequence.max(r.seq);
                }
                RecordBody::Commit(edits) => state.apply_at(r.seq, r.at_ms, edits),
            }
        }
        let last_sequence = state.last_sequence;
        let log = ManifestLog {
            data_dir: data_dir.to_path_buf(),
            path,
            next: AtomicU64::new(last_sequence + 1),
            inner: Mutex::new(Inner {
                file,
                len: scan.valid_len,
                last_sequence,
                records: scan.records.len() as u64,
                poisoned: false,
            }),
        };
        Ok((log, state))
    }

    /// Reserves a fresh version number: greater than every committed sequence and
    /// every version handed out before, in this process or (by replay) earlier ones.
    pub fn allocate_version(&self) -> u64 {
        self.next.fetch_add(1, Ordering::SeqCst)
    }

    /// Appends one record holding all `edits` and fsyncs it: the commit point.
    /// Returns the record's sequence number.
    pub fn commit(&self, edits: &[ManifestEdit]) -> Result<u64, StorageError> {
        self.commit_stamped(edits).map(|c| c.sequence)
    }

    /// [`commit`](Self::commit), also returning the time stamped into the record so
    /// the caller can `apply_at` exactly what replay will.
    pub fn commit_stamped(&self, edits: &[ManifestEdit]) -> Result<Committed, StorageError> {
        let mut inner = self.lock()?;
        if inner.poisoned {
            return Err(StorageError::ManifestPoisoned {
                path: self.path.clone(),
            });
        }
        // Taken under the lock so records land in the file in sequence order.
        let sequence = self.next.fetch_add(1, Ordering::SeqCst);
        let at_ms = now_ms();
        let frame = record::encode_frame(&RecordRef {
            seq: sequence,
            at_ms,
            body: RecordBodyRef::Commit(edits),
        })?;
        if let Err(e) = append(&mut inner.file, &frame) {
            // Remove whatever part of the frame reached the file, so the next
            // record does not follow garbage (which replay would call corruption).
            let len = inner.len;
            if inner
                .file
                .set_len(len)
                .and_then(|()| inner.file.sync_all())
                .is_err()
            {
                inner.poisoned = true;
            }
            return Err(StorageError::io(&self.path, e));
        }
        inner.len += frame.len() as u64;
        inner.last_sequence = sequence;
        inner.records += 1;
        Ok(Committed { sequence, at_ms })
    }

    /// Rewrites the log as one snapshot record of `state` (via `write_atomic`, so a
    /// crash leaves either the old or the new log). `state` must include every
    /// commit: `Err(StaleState)` otherwise.
    pub fn compact(&self, state: &ManifestState) -> Result<(), StorageError> {
        let mut inner = self.lock_even_if_poisoned();
        if state.last_sequence != inner.last_sequence {
            return Err(StorageError::StaleState {
                path: self.path.clone(),
                state_sequence: state.last_sequence,
                log_sequence: inner.last_sequence,
            });
        }
        let frame = record::encode_frame(&RecordRef {
            seq: state.last_sequence,
            at_ms: now_ms(),
            body: RecordBodyRef::Snapshot(state),
        })?;
        let written = write_atomic(&self.data_dir, MANIFEST_FILE, |w| {
            w.write_all(&record::encode_file_header())?;
            w.write_all(&frame)
        });
        // Reopen whatever happened: after the rename the old handle names an
        // unlinked file; before it, reopening finds the old log unchanged.
        match reopen(&self.path) {
            Ok((file, len)) => {
                inner.file = file;
                inner.len = len;
                if written.is_ok() {
                    // A fresh file: any partial record from a failed append is gone.
                    inner.poisoned = false;
                    inner.records = 1;
                    self.inner.clear_poison();
                }
            }
            Err(_) => inner.poisoned = true,
        }
        written
    }

    /// `D/MANIFEST`.
    pub fn path(&self) -> &Path {
        &self.path
    }

    /// Current log size in bytes (to decide when to compact).
    pub fn len_bytes(&self) -> u64 {
        self.lock_even_if_poisoned().len
    }

    /// Records in the log file since it was created or last compacted.
    pub fn record_count(&self) -> u64 {
        self.lock_even_if_poisoned().records
    }

    /// Sequence of the last committed record.
    pub fn last_sequence(&self) -> u64 {
        self.lock_even_if_poisoned().last_sequence
    }

    fn lock(&self) -> Result<MutexGuard<'_, Inner>, StorageError> {
        // A panic mid-append may have left a partial record: refuse to append more.
        self.inner
            .lock()
            .map_err(|_| StorageError::ManifestPoisoned {
                path: self.path.clone(),
            })
    }

    fn lock_even_if_poisoned(&self) -> MutexGuard<'_, Inner> {
        self.inner.lock().unwrap_or_else(|e| e.into_inner())
    }
}

fn open_append(path: &Path) -> Result<File, StorageError> {
    OpenOptions::new()
        .read(true)
        .append(true)
        .open(path)
        .map_err(|e| StorageError::io(path, e))
}

fn reopen(path: &Path) -> Result<(File, u64), StorageError> {
    let file = open_append(path)?;
    let len = file
        .metadata()
        .map_err(|e| StorageError::io(path, e))?
        .len();
    Ok((file, len))
}

fn append(file: &mut File, frame: &[u8]) -> std::io::Result<()> {
    #[cfg(feature = "failpoints")]
    if let Some(action) = crate::failpoint::armed("manifest::mid_append") {
        file.write_all(&frame[..frame.len() / 2])?;
        file.sync_data()?;
        action.fire("manifest::mid_append")?;
    }
    file.write_all(frame)?;
    file.sync_data()
}

#[cfg(test)]
mod tests;
