//! Moving a damaged segment aside: `D/segments/<table>/<f>` ->
//! `D/quarantine/<table>/<f>`, keeping it for inspection instead of deleting it.
//! Record the move in the manifest (`ManifestEdit::Quarantine`) so the partition
//! leaves the live set.

use std::ffi::OsString;
use std::fs;
use std::path::{Path, PathBuf};

use crate::durable::{create_dir_durable, fsync_dir};
use crate::error::StorageError;
use crate::layout::quarantine_dir;

/// Moves `segment_path` into `D/quarantine/<table>/` (rename, then fsync both
/// directories) and returns its new path. Never overwrites: if the name is taken,
/// `.1`, `.2`, ... is appended. Existing memory maps of the file stay valid.
pub fn quarantine(
    data_dir: &Path,
    table: &str,
    segment_path: &Path,
) -> Result<PathBuf, StorageError> {
    let dir = quarantine_dir(data_dir, table)?;
    let name = segment_path
        .file_name()
        .ok_or_else(|| StorageError::InvalidName {
            name: segment_path.display().to_string(),
            reason: "segment path has no file name",
        })?;
    create_dir_durable(&dir)?;
    let mut target = dir.join(name);
    let mut suffix = 0u32;
    // Single writer (the data-dir lock), so check-then-rename does not race.
    while target
        .try_exists()
        .map_err(|e| StorageError::io(&target, e))?
    {
        suffix += 1;
        let mut candidate = OsString::from(name);
        candidate.push(format!(".{suffix}"));
        target = dir.join(candidate);
    }
    fs::rename(segment_path, &target).map_err(|e| StorageError::io(segment_path, e))?;
    fsync_dir(&dir)?;
    if let Some(parent) = segment_path.parent().filter(|p| !p.as_os_str().is_empty()) {
        fsync_dir(parent)?;
    }
    tracing::warn!(from = %segment_path.display(), to = %target.display(), "segment quarantined");
    Ok(target)
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;
    use crate::layout::segments_dir;

    #[test]
    fn moves_without_overwriting() {
        let tmp = tempfile::tempdir().unwrap();
        let d = tmp.path();
        let seg_dir = segments_dir(d, "t").unwrap();
        fs::create_dir_all(&seg_dir).unwrap();
        let seg = seg_dir.join("3.seg");

        fs::write(&seg, b"first").unwrap();
        let q1 = quarantine(d, "t", &seg).unwrap();
        assert_eq!(q1, d.join("quarantine/t/3.seg"));
        assert!(!seg.exists());

        fs::write(&seg, b"second").unwrap();
        let q2 = quarantine(d, "t", &seg).unwrap();
        assert_eq!(q2, d.join("quarantine/t/3.seg.1"));
        fs::write(&seg, b"third").unwrap();
        let q3 = quarantine(d, "t", &seg).unwrap();
        assert_eq!(q3, d.join("quarantine/t/3.seg.2"));

        assert_eq!(fs::read(&q1).unwrap(), b"first");
        assert_eq!(fs::read(&q2).unwrap(), b"second");
        assert_eq!(fs::read(&q3).unwrap(), b"third");
    }

    #[test]
    fn missing_source_is_io_error() {
        let tmp = tempfile::tempdir().unwrap();
        let seg = tmp.path().join("segments/t/9.seg");
        assert!(matches!(
            quarantine(tmp.path(), "t", &seg),
            Err(StorageError::Io { ref path, .. }) if path == &seg
        ));
    }

    #[test]
    fn invalid_table_rejected() {
        let tmp = tempfile::tempdir().unwrap();
        assert!(matches!(
            quarantine(tmp.path(), "../x", Path::new("/nonexistent/1.seg")),
            Err(StorageError::InvalidName { .. })
        ));
    }

    #[test]
    fn mapped_segment_survives_quarantine() {
        use crate::segment::{Segment, SegmentWriter};
        let tmp = tempfile::tempdir().unwrap();
        let dir = segments_dir(tmp.path(), "t").unwrap();
        let mut w = SegmentWriter::new();
        w.add_section(1, b"data".to_vec());
        w.write_to(&dir, "1.seg").unwrap();
        let seg = Segment::open(&dir.join("1.seg")).unwrap();
        quarantine(tmp.path(), "t", seg.path()).unwrap();
        assert_eq!(seg.section(1).unwrap(), Some(&b"data"[..]));
    }
}
