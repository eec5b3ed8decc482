//! [`Segment`]: a read-only memory map of one segment file whose structure was
//! validated on open and whose section CRCs are verified on first access.

use std::fs::File;
use std::path::{Path, PathBuf};
use std::sync::OnceLock;

use memmap2::Mmap;

use super::format::{self, SectionEntry};
use crate::error::StorageError;

/// An open, structurally valid segment. `Send + Sync`; sections borrow the map.
#[derive(Debug)]
pub struct Segment {
    path: PathBuf,
    map: Mmap,
    /// The section table in file order.
    entries: Vec<SectionEntry>,
    /// `(id, index into entries)`, sorted by id.
    by_id: Vec<(u32, usize)>,
    /// Per entry: `Some(true)` once its CRC matched, `Some(false)` if it did not.
    verified: Vec<OnceLock<bool>>,
}

#[expect(unsafe_code, reason = "memmap2::Mmap::map is unsafe; see SAFETY")]
fn map_file(file: &File) -> std::io::Result<Mmap> {
    // SAFETY: segment files are write-once: written to a temp file, fsynced and
    // renamed into place, and never truncated or rewritten afterwards (removal by GC
    // or quarantine only unlinks or renames, which leaves existing maps intact). The
    // data-dir lock (`DataDirLock`) keeps other Isotherm processes out of the
    // directory, so nothing modifies the bytes under this map while it lives.
    unsafe { Mmap::map(file) }
}

impl Segment {
    /// Opens and maps `path`, validating the header, footer, section table and
    /// every section's bounds (see `format::parse`). The file length is checked
    /// before mapping (zero-length files cannot be mapped). Section CRCs are not
    /// read here; see [`Segment::section`].
    pub fn open(path: &Path) -> Result<Segment, StorageError> {
        let file = File::open(path).map_err(|e| StorageError::io(path, e))?;
        let len = file
            .metadata()
            .map_err(|e| StorageError::io(path, e))?
            .len();
        format::check_file_len(path, len)?;
        let map = map_file(&file).map_err(|e| StorageError::io(path, e))?;
        if map.len() as u64 != len {
            return Err(StorageError::Truncated {
                path: path.to_path_buf(),
                detail: format!("file changed size while opening ({len} -> {})", map.len()),
            });
        }
        let entries = format::parse(path, &map)?;
        let mut by_id: Vec<(u32, usize)> =
            entries.iter().enumerate().map(|(i, e)| (e.id, i)).collect();
        by_id.sort_unstable();
        let verified = entries.iter().map(|_| OnceLock::new()).collect();
        Ok(Segment {
            path: path.to_path_buf(),
            map,
            entries,
            by_id,
            verified,
        })
    }

    /// The bytes of section `id`, its CRC32 verified on first access (the result is
    /// cached). `Ok(None)` if the segment has no such section.
    pub fn section(&self, id: u32) -> Result<Option<&[u8]>, StorageError> {
        let Ok(pos) = self.by_id.binary_search_by_key(&id, |(id, _)| *id) else {
            return Ok(None);
        };
        let index = self.by_id[pos].1;
        self.checked(index).map(Some)
    }

    fn checked(&self, index: usize) -> Result<&[u8], StorageError> {
        let e = &self.entries[index];
        // In bounds: `format::parse` checked offset + len <= table offset.
        let bytes = &self.map[e.offset as usize..(e.offset + e.len) as usize];
        let ok = *self.verified[index].get_or_init(|| crc32fast::hash(bytes) == e.crc);
        if ok {
            Ok(bytes)
        } else {
            Err(StorageError::ChecksumMismatch {
                path: self.path.clone(),
                section: e.id,
                expected: e.crc,
                actual: crc32fast::hash(bytes),
            })
        }
    }

    /// Verifies every section's CRC (the first failure is returned).
    pub fn verify_all(&self) -> Result<(), StorageError> {
        for index in 0..self.entries.len() {
            self.checked(index)?;
        }
        Ok(())
    }

    /// Section ids in file order.
    pub fn section_ids(&self) -> Vec<u32> {
        self.entries.iter().map(|e| e.id).collect()
    }

    /// Length of section `id` in bytes, without verifying it.
    pub fn section_len(&self, id: u32) -> Option<u64> {
        self.by_id
            .binary_search_by_key(&id, |(id, _)| *id)
            .ok()
            .map(|pos| self.entries[self.by_id[pos].1].len)
    }

    pub fn path(&self) -> &Path {
        &self.path
    }

    pub fn file_len(&self) -> u64 {
        self.map.len() as u64
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;
    use crate::segment::SegmentWriter;
    use proptest::prelude::*;
    use std::collections::BTreeMap;

    fn write(dir: &Path, sections: &[(u32, &[u8])]) -> PathBuf {
        let mut w = SegmentWriter::new();
        for (id, b) in sections {
            w.add_section(*id, b.to_vec());
        }
        w.write_to(dir, "1.seg").unwrap();
        dir.join("1.seg")
    }

    #[test]
    fn segment_is_send_and_sync() {
        fn assert_send_sync<T: Send + Sync>() {}
        assert_send_sync::<Segment>();
    }

    #[test]
    fn reads_sections_back() {
        let tmp = tempfile::tempdir().unwrap();
        let path = write(tmp.path(), &[(10, b"ten"), (2, b""), (5, b"five bytes")]);
        let s = Segment::open(&path).unwrap();
        assert_eq!(s.section_ids(), vec![10, 2, 5]);
        assert_eq!(s.section(10).unwrap(), Some(&b"ten"[..]));
        assert_eq!(s.section(2).unwrap(), Some(&b""[..]));
        assert_eq!(s.section(5).unwrap(), Some(&b"five bytes"[..]));
        assert_eq!(s.section(11).unwrap(), None);
        assert_eq!(s.section_len(5), Some(10));
        assert_eq!(s.path(), path);
        assert_eq!(s.file_len(), std::fs::metadata(&path).unwrap().len());
        s.verify_all().unwrap();
    }

    #[test]
    fn missing_file_is_io_error() {
        let tmp = tempfile::tempdir().unwrap();
        let path = tmp.path().join("nope.seg");
        assert!(matches!(Segment::open(&path), Err(StorageError::Io { .. })));
    }

    #[test]
    fn zero_length_file_is_truncated_not_mapped() {
        let tmp = tempfile::tempdir().unwrap();
        let path = tmp.path().join("0.seg");
        std::fs::write(&path, b"").unwrap();
        let e = Segment::open(&path).unwrap_err();
        assert!(matches!(e, StorageError::Truncated { .. }), "{e}");
        assert!(e.is_corruption());
    }

    #[test]
    fn corrupt_section_fails_on_access_and_stays_failed() {
        let tmp = tempfile::tempdir().unwrap();
        let path = write(tmp.path(), &[(1, b"aaaaaaaa"), (2, b"bbbbbbbb")]);
        let mut bytes = std::fs::read(&path).unwrap();
        bytes[16 + 8 + 3] ^= 0x10; // inside section 2
        std::fs::write(&path, &bytes).unwrap();
        let s = Segment::open(&path).unwrap(); // lazy: open succeeds
        assert_eq!(s.section(1).unwrap(), Some(&b"aaaaaaaa"[..]));
        for _ in 0..2 {
            assert!(matches!(
                s.section(2),
                Err(StorageError::ChecksumMismatch { section: 2, .. })
            ));
        }
        assert!(matches!(
            s.verify_all(),
            Err(StorageError::ChecksumMismatch { section: 2, .. })
        ));
    }

    /// Every single-byte change anywhere in the file is caught by open + verify_all.
    #[test]
    fn every_single_byte_flip_is_detected() {
        let tmp = tempfile::tempdir().unwrap();
        // Odd lengths so there is padding after sections 1 and 3; section 2 empty.
        let path = write(tmp.path(), &[(1, b"abcde"), (2, b""), (3, b"0123456789ab")]);
        let original = std::fs::read(&path).unwrap();
        Segment::open(&path).unwrap().verify_all().unwrap();
        let flipped = tmp.path().join("flipped.seg");
        for i in 0..original.len() {
            for mask in [0x01u8, 0x80, 0xFF] {
                let mut b = original.clone();
                b[i] ^= mask;
                std::fs::write(&flipped, &b).unwrap();
                let result = Segment::open(&flipped).and_then(|s| s.verify_all());
                let e = result.err();
                assert!(
                    e.as_ref().is_some_and(StorageError::is_corruption),
                    "flip {mask:#x} at byte {i} of {} not detected: {e:?}",
                    original.len()
                );
            }
        }
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(64))]
        #[test]
        fn round_trip(sections in proptest::collection::btree_map(
            any::<u32>(), proptest::collection::vec(any::<u8>(), 0..300), 0..8)
        ) {
            let tmp = tempfile::tempdir().unwrap();
            let mut w = SegmentWriter::new();
            for (id, b) in &sections {
                w.add_section(*id, b.clone());
            }
            let len = w.write_to(tmp.path(), "9.seg").unwrap();
            let s = Segment::open(&tmp.path().join("9.seg")).unwrap();
            prop_assert_eq!(s.file_len(), len);
            s.verify_all().unwrap();
            let ids: Vec<u32> = sections.keys().copied().collect();
            prop_assert_eq!(s.section_ids(), ids);
            let mut back = BTreeMap::new();
            for id in s.section_ids() {
                back.insert(id, s.section(id).unwrap().unwrap().to_vec());
            }
            prop_assert_eq!(back, sections);
        }
    }
}
