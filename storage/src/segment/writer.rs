//! [`SegmentWriter`]: collects sections in memory, then streams them out in the
//! layout of [`super::format`], computing each CRC32 while the bytes are written.

use std::io::{self, Write};
use std::path::Path;

use super::format::{
    ALIGN, ENTRY_LEN, FOOTER_LEN, Footer, HEADER_LEN, SectionEntry, encode_header,
};
use crate::durable::write_atomic;
use crate::error::StorageError;

/// Builds one segment file. Sections are written in the order they were added.
#[derive(Debug, Default)]
pub struct SegmentWriter {
    sections: Vec<(u32, Vec<u8>)>,
}

impl SegmentWriter {
    pub fn new() -> Self {
        SegmentWriter::default()
    }

    /// Adds a section. Ids must be unique per segment; a duplicate is reported as
    /// `DuplicateSection` by `write_to`/`to_bytes` (this call never panics).
    pub fn add_section(&mut self, id: u32, bytes: Vec<u8>) {
        self.sections.push((id, bytes));
    }

    /// Number of sections added so far.
    pub fn section_count(&self) -> usize {
        self.sections.len()
    }

    /// The exact file length `write_to` will produce.
    pub fn encoded_len(&self) -> u64 {
        let mut pos = HEADER_LEN;
        for (_, bytes) in &self.sections {
            pos = pad_to(pos + bytes.len() as u64);
        }
        pos + self.sections.len() as u64 * ENTRY_LEN + FOOTER_LEN
    }

    /// Durable write: temp file `<name>.tmp` in `dir`, write, fsync, rename to
    /// `dir/<name>`, fsync dir. Creates `dir` if missing. Returns the file length.
    pub fn write_to(self, dir: &Path, file_name: &str) -> Result<u64, StorageError> {
        crate::layout::validate_file_name(file_name)?;
        self.check_unique()?;
        let mut written = 0;
        write_atomic(dir, file_name, |w| {
            written = self.encode(w)?;
            Ok(())
        })?;
        Ok(written)
    }

    /// The whole file image in memory (tests, tools).
    pub fn to_bytes(&self) -> Result<Vec<u8>, StorageError> {
        self.check_unique()?;
        let mut out = Vec::with_capacity(usize::try_from(self.encoded_len()).unwrap_or(0));
        self.encode(&mut out)
            .map_err(|e| StorageError::io("<memory>", e))?;
        Ok(out)
    }

    fn check_unique(&self) -> Result<(), StorageError> {
        let mut ids: Vec<u32> = self.sections.iter().map(|(id, _)| *id).collect();
        ids.sort_unstable();
        match ids.windows(2).find(|w| w[0] == w[1]) {
            Some(w) => Err(StorageError::DuplicateSection { section: w[0] }),
            None => Ok(()),
        }
    }

    /// Streams header, sections, table and footer into `out`; returns bytes written.
    fn encode(&self, out: &mut dyn Write) -> io::Result<u64> {
        let mut w = ChecksummedWriter::new(out);
        w.write_all(&encode_header())?;
        let mut entries = Vec::with_capacity(self.sections.len());
        for (id, bytes) in &self.sections {
            w.pad()?;
            let offset = w.pos;
            w.reset_crc();
            w.write_all(bytes)?;
            entries.push(SectionEntry {
                id: *id,
                crc: w.crc(),
                offset,
                len: bytes.len() as u64,
            });
        }
        w.pad()?;
        let table_offset = w.pos;
        w.reset_crc();
        for e in &entries {
            w.write_all(&e.encode())?;
        }
        let footer = Footer {
            table_offset,
            count: u32::try_from(entries.len())
                .map_err(|_| io::Error::other("more than u32::MAX sections"))?,
            table_crc: w.crc(),
        };
        w.write_all(&footer.encode())?;
        Ok(w.pos)
    }
}

fn pad_to(pos: u64) -> u64 {
    pos.div_ceil(ALIGN) * ALIGN
}

/// Counts bytes and keeps a running CRC32 of what passes through.
struct ChecksummedWriter<'a> {
    inner: &'a mut dyn Write,
    hasher: crc32fast::Hasher,
    pos: u64,
}

impl<'a> ChecksummedWriter<'a> {
    fn new(inner: &'a mut dyn Write) -> Self {
        ChecksummedWriter {
            inner,
            hasher: crc32fast::Hasher::new(),
            pos: 0,
        }
    }

    fn reset_crc(&mut self) {
        self.hasher = crc32fast::Hasher::new();
    }

    fn crc(&self) -> u32 {
        self.hasher.clone().finalize()
    }

    /// Writes zero bytes up to the next 8-byte boundary.
    fn pad(&mut self) -> io::Result<()> {
        let n = (pad_to(self.pos) - self.pos) as usize;
        self.write_all(&[0u8; ALIGN as usize][..n])
    }
}

impl Write for ChecksummedWriter<'_> {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        let n = self.inner.write(buf)?;
        self.hasher.update(&buf[..n]);
        self.pos += n as u64;
        Ok(n)
    }

    fn flush(&mut self) -> io::Result<()> {
        self.inner.flush()
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;

    #[test]
    fn duplicate_ids_are_an_error_not_a_panic() {
        let tmp = tempfile::tempdir().unwrap();
        let mut w = SegmentWriter::new();
        w.add_section(7, vec![1]);
        w.add_section(8, vec![2]);
        w.add_section(7, vec![3]);
        assert!(matches!(
            w.to_bytes(),
            Err(StorageError::DuplicateSection { section: 7 })
        ));
        assert!(matches!(
            w.write_to(tmp.path(), "1.seg"),
            Err(StorageError::DuplicateSection { section: 7 })
        ));
        assert!(!tmp.path().join("1.seg").exists());
    }

    #[test]
    fn encoded_len_matches_output() {
        let mut w = SegmentWriter::new();
        for (id, n) in [(3u32, 0usize), (1, 1), (9, 8), (4, 13)] {
            w.add_section(id, vec![0xAB; n]);
        }
        assert_eq!(w.to_bytes().unwrap().len() as u64, w.encoded_len());
        assert_eq!(w.section_count(), 4);
    }

    #[test]
    fn write_to_creates_dir_and_returns_len() {
        let tmp = tempfile::tempdir().unwrap();
        let dir = tmp.path().join("segments/t");
        let mut w = SegmentWriter::new();
        w.add_section(1, b"abc".to_vec());
        let expected = w.to_bytes().unwrap();
        let len = w.write_to(&dir, "5.seg").unwrap();
        let on_disk = std::fs::read(dir.join("5.seg")).unwrap();
        assert_eq!(len, on_disk.len() as u64);
        assert_eq!(on_disk, expected);
        assert!(!dir.join("5.seg.tmp").exists());
    }

    #[test]
    fn bad_file_name_rejected() {
        let tmp = tempfile::tempdir().unwrap();
        assert!(matches!(
            SegmentWriter::new().write_to(tmp.path(), "../x.seg"),
            Err(StorageError::InvalidName { .. })
        ));
    }
}

#[cfg(all(test, feature = "failpoints"))]
mod failpoint_tests {
    #![allow(clippy::unwrap_used)]
    use super::*;
    use crate::failpoint::{Action, arm};

    #[test]
    fn failed_segment_write_leaves_no_visible_file() {
        let tmp = tempfile::tempdir().unwrap();
        let mut w = SegmentWriter::new();
        w.add_section(1, b"abc".to_vec());
        let _g = arm("durable::before_rename", Action::Error);
        assert!(matches!(
            w.write_to(tmp.path(), "1.seg"),
            Err(StorageError::Io { .. })
        ));
        let names: Vec<_> = std::fs::read_dir(tmp.path())
            .unwrap()
            .map(|e| e.unwrap().file_name())
            .collect();
        assert!(names.is_empty(), "{names:?}");
    }

    #[test]
    fn failure_after_rename_is_reported() {
        let tmp = tempfile::tempdir().unwrap();
        let mut w = SegmentWriter::new();
        w.add_section(1, b"abc".to_vec());
        let _g = arm("durable::before_dir_fsync", Action::Error);
        // The caller sees an error and never commits; GC removes the file at startup.
        assert!(w.write_to(tmp.path(), "1.seg").is_err());
    }
}
