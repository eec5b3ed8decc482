//! Garbage collection of segment files: anything under `D/segments/<table>/` that
//! no live manifest entry names (superseded versions, files of dropped tables,
//! uncommitted pushes, leftover `*.tmp`) is deleted.
//!
//! Run it at startup, after replaying the manifest and before accepting pushes:
//! a push in progress has files on disk that are not yet in the manifest.

use std::collections::HashSet;
use std::fs;
use std::io::ErrorKind;
use std::path::{Path, PathBuf};

use crate::durable::fsync_dir;
use crate::error::StorageError;
use crate::layout::SEGMENTS_DIR;

/// Deletes every file under `D/segments/*/` whose `(table, file name)` is not in
/// `live`, removes table directories left empty that have no live files, and
/// returns the removed file paths (sorted). Quarantine is never touched.
pub fn remove_unreferenced(
    data_dir: &Path,
    live: &HashSet<(String, String)>,
) -> Result<Vec<PathBuf>, StorageError> {
    let root = data_dir.join(SEGMENTS_DIR);
    let tables = match fs::read_dir(&root) {
        Ok(it) => it,
        Err(e) if e.kind() == ErrorKind::NotFound => return Ok(Vec::new()),
        Err(e) => return Err(StorageError::io(&root, e)),
    };
    let live_tables: HashSet<&str> = live.iter().map(|(t, _)| t.as_str()).collect();
    let mut removed = Vec::new();
    let mut root_changed = false;
    for entry in tables {
        let entry = entry.map_err(|e| StorageError::io(&root, e))?;
        let dir = entry.path();
        let is_dir = entry
            .file_type()
            .map_err(|e| StorageError::io(&dir, e))?
            .is_dir();
        if !is_dir {
            continue;
        }
        // A directory name that is not UTF-8 cannot be a table: nothing in it is live.
        let table = entry.file_name().to_str().unwrap_or_default().to_string();
        let mut changed = false;
        let mut remaining = 0usize;
        for file in fs::read_dir(&dir).map_err(|e| StorageError::io(&dir, e))? {
            let file = file.map_err(|e| StorageError::io(&dir, e))?;
            let path = file.path();
            if file
                .file_type()
                .map_err(|e| StorageError::io(&path, e))?
                .is_dir()
            {
                remaining += 1;
                continue;
            }
            let name = file.file_name().to_str().map(str::to_string);
            let is_live = name.is_some_and(|n| live.contains(&(table.clone(), n)));
            if is_live {
                remaining += 1;
                continue;
            }
            fs::remove_file(&path).map_err(|e| StorageError::io(&path, e))?;
            tracing::info!(path = %path.display(), "gc: removed unreferenced segment file");
            removed.push(path);
            changed = true;
        }
        if changed {
            fsync_dir(&dir)?;
        }
        if remaining == 0 && !live_tables.contains(table.as_str()) {
            // Best effort: a concurrent create would make this fail harmlessly.
            if fs::remove_dir(&dir).is_ok() {
                root_changed = true;
            }
        }
    }
    if root_changed {
        fsync_dir(&root)?;
    }
    removed.sort();
    Ok(removed)
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;

    fn live(pairs: &[(&str, &str)]) -> HashSet<(String, String)> {
        pairs
            .iter()
            .map(|(t, f)| (t.to_string(), f.to_string()))
            .collect()
    }

    #[test]
    fn no_segments_dir_is_fine() {
        let tmp = tempfile::tempdir().unwrap();
        assert!(
            remove_unreferenced(tmp.path(), &live(&[]))
                .unwrap()
                .is_empty()
        );
    }

    #[test]
    fn removes_only_unreferenced_files() {
        let tmp = tempfile::tempdir().unwrap();
        let d = tmp.path();
        for f in [
            "segments/a/1.seg",
            "segments/a/2.seg",
            "segments/a/3.seg.tmp",
            "segments/b/5.seg",
            "segments/dropped/4.seg",
            "quarantine/a/0.seg",
            "MANIFEST",
        ] {
            let p = d.join(f);
            fs::create_dir_all(p.parent().unwrap()).unwrap();
            fs::write(&p, b"x").unwrap();
        }
        let removed = remove_unreferenced(d, &live(&[("a", "2.seg"), ("b", "5.seg")])).unwrap();
        let expected: Vec<PathBuf> = [
            "segments/a/1.seg",
            "segments/a/3.seg.tmp",
            "segments/dropped/4.seg",
        ]
        .iter()
        .map(|f| d.join(f))
        .collect();
        assert_eq!(removed, expected);
        assert!(d.join("segments/a/2.seg").exists());
        assert!(d.join("segments/b/5.seg").exists());
        assert!(d.join("quarantine/a/0.seg").exists());
        assert!(d.join("MANIFEST").exists());
        assert!(
            !d.join("segments/dropped").exists(),
            "empty dropped table dir removed"
        );
        // Idempotent.
        assert!(
            remove_unreferenced(d, &live(&[("a", "2.seg"), ("b", "5.seg")]))
                .unwrap()
                .is_empty()
        );
    }

    #[test]
    fn same_file_name_in_another_table_is_not_live() {
        let tmp = tempfile::tempdir().unwrap();
        let d = tmp.path();
        for f in ["segments/a/1.seg", "segments/b/1.seg"] {
            let p = d.join(f);
            fs::create_dir_all(p.parent().unwrap()).unwrap();
            fs::write(&p, b"x").unwrap();
        }
        let removed = remove_unreferenced(d, &live(&[("a", "1.seg")])).unwrap();
        assert_eq!(removed, vec![d.join("segments/b/1.seg")]);
    }

    #[cfg(feature = "failpoints")]
    #[test]
    fn crash_before_rename_leaves_only_a_temp_that_gc_removes() {
        use crate::failpoint::{Action, arm};
        use crate::segment::SegmentWriter;
        let tmp = tempfile::tempdir().unwrap();
        let dir = tmp.path().join("segments/t");
        let mut w = SegmentWriter::new();
        w.add_section(1, b"abc".to_vec());
        {
            let _g = arm("durable::before_rename", Action::Panic);
            let r = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
                w.write_to(&dir, "7.seg")
            }));
            assert!(r.is_err());
        }
        assert!(!dir.join("7.seg").exists());
        assert!(dir.join("7.seg.tmp").exists());
        let removed = remove_unreferenced(tmp.path(), &HashSet::new()).unwrap();
        assert_eq!(removed, vec![dir.join("7.seg.tmp")]);
    }
}
