//! The segment file format, version 1.
//!
//! A segment is write-once: a header, the sections (opaque bytes, each identified
//! by a `u32` id), a section table and a fixed-size footer read from the end of
//! the file. All integers are little-endian. The layout is *canonical*: every
//! byte of the file is accounted for by a check, so any single-byte change is
//! detected by [`parse`] (structure) or by a section CRC (contents).
//!
//! ```text
//! offset 0
//! +--------------------------------------------------+
//! | header (16 bytes)                                |
//! |   magic     [u8; 8]  = b"ISOSEG\0\x01"           |
//! |   version   u32      = 1                         |
//! |   flags     u32      = 0 (reserved, must be 0)   |
//! +--------------------------------------------------+  offset 16 (8-aligned)
//! | section 0 bytes (len0)                           |
//! | zero padding to the next multiple of 8           |
//! +--------------------------------------------------+  align8(16 + len0)
//! | section 1 bytes (len1)                           |
//! | zero padding to the next multiple of 8           |
//! +--------------------------------------------------+
//! | ...                                              |
//! +--------------------------------------------------+  table_offset (8-aligned)
//! | section table: count entries of 24 bytes each,   |
//! | in file order (ascending offset)                 |
//! |   id      u32                                    |
//! |   crc32   u32   CRC32 (IEEE) of the section bytes|
//! |   offset  u64                                    |
//! |   len     u64                                    |
//! +--------------------------------------------------+  file_len - 32
//! | footer (32 bytes)                                |
//! |   table_offset  u64                              |
//! |   count         u32  number of sections          |
//! |   table_crc     u32  CRC32 of the table bytes    |
//! |   version       u32  = 1                         |
//! |   reserved      u32  = 0                         |
//! |   magic         [u8; 8] = b"ISOSEGFT"            |
//! +--------------------------------------------------+  file_len
//! ```
//!
//! Rules checked on open, each with its own error:
//! - file length >= 48 (header + footer)                         -> `Truncated`
//! - header magic, footer magic                                  -> `BadMagic`
//! - header version, footer version == 1                         -> `UnsupportedVersion`
//! - header flags, footer reserved == 0                          -> `Malformed`
//! - `table_offset == file_len - 32 - 24 * count`, >= 16         -> `Truncated`
//! - table CRC (section `u32::MAX`)                              -> `ChecksumMismatch`
//! - each section inside `[16, table_offset)`                    -> `Truncated`
//! - each section offset 8-aligned; not overlapping the previous;
//!   no gap beyond alignment padding; ids unique; padding zero   -> `Malformed`
//!
//! Section CRCs are verified lazily, on first access to each section.

use std::path::Path;

use crate::error::StorageError;

/// First 8 bytes of every segment.
pub const HEADER_MAGIC: [u8; 8] = *b"ISOSEG\0\x01";
/// Last 8 bytes of every segment.
pub const FOOTER_MAGIC: [u8; 8] = *b"ISOSEGFT";
/// The only version this build reads and writes.
pub const FORMAT_VERSION: u32 = 1;
/// Header size in bytes.
pub const HEADER_LEN: u64 = 16;
/// Footer size in bytes.
pub const FOOTER_LEN: u64 = 32;
/// Size of one section-table entry.
pub const ENTRY_LEN: u64 = 24;
/// Every section and the table start at a multiple of this.
pub const ALIGN: u64 = 8;
/// `section` value of `ChecksumMismatch` for the section table.
pub const TABLE_SECTION: u32 = u32::MAX;

/// Rounds `n` up to a multiple of [`ALIGN`] (`None` on overflow).
pub fn align_up(n: u64) -> Option<u64> {
    n.checked_add(ALIGN - 1).map(|v| v & !(ALIGN - 1))
}

/// One row of the section table.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct SectionEntry {
    pub id: u32,
    pub crc: u32,
    pub offset: u64,
    pub len: u64,
}

impl SectionEntry {
    pub fn encode(&self) -> [u8; ENTRY_LEN as usize] {
        let mut b = [0u8; ENTRY_LEN as usize];
        b[0..4].copy_from_slice(&self.id.to_le_bytes());
        b[4..8].copy_from_slice(&self.crc.to_le_bytes());
        b[8..16].copy_from_slice(&self.offset.to_le_bytes());
        b[16..24].copy_from_slice(&self.len.to_le_bytes());
        b
    }

    fn decode(b: &[u8; ENTRY_LEN as usize]) -> SectionEntry {
        SectionEntry {
            id: le_u32(b, 0),
            crc: le_u32(b, 4),
            offset: le_u64(b, 8),
            len: le_u64(b, 16),
        }
    }
}

/// Encodes the 16-byte header.
pub fn encode_header() -> [u8; HEADER_LEN as usize] {
    let mut b = [0u8; HEADER_LEN as usize];
    b[0..8].copy_from_slice(&HEADER_MAGIC);
    b[8..12].copy_from_slice(&FORMAT_VERSION.to_le_bytes());
    b
}

/// The decoded footer.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Footer {
    pub table_offset: u64,
    pub count: u32,
    pub table_crc: u32,
}

impl Footer {
    pub fn encode(&self) -> [u8; FOOTER_LEN as usize] {
        let mut b = [0u8; FOOTER_LEN as usize];
        b[0..8].copy_from_slice(&self.table_offset.to_le_bytes());
        b[8..12].copy_from_slice(&self.count.to_le_bytes());
        b[12..16].copy_from_slice(&self.table_crc.to_le_bytes());
        b[16..20].copy_from_slice(&FORMAT_VERSION.to_le_bytes());
        // 20..24 reserved, zero
        b[24..32].copy_from_slice(&FOOTER_MAGIC);
        b
    }
}

fn le_u32(b: &[u8], at: usize) -> u32 {
    let mut a = [0u8; 4];
    a.copy_from_slice(&b[at..at + 4]);
    u32::from_le_bytes(a)
}

fn le_u64(b: &[u8], at: usize) -> u64 {
    let mut a = [0u8; 8];
    a.copy_from_slice(&b[at..at + 8]);
    u64::from_le_bytes(a)
}

fn truncated(path: &Path, detail: String) -> StorageError {
    StorageError::Truncated {
        path: path.to_path_buf(),
        detail,
    }
}

fn malformed(path: &Path, detail: String) -> StorageError {
    StorageError::Malformed {
        path: path.to_path_buf(),
        detail,
    }
}

/// Checks a length read from the file system before anything is mapped.
pub fn check_file_len(path: &Path, len: u64) -> Result<(), StorageError> {
    if len < HEADER_LEN + FOOTER_LEN {
        return Err(truncated(
            path,
            format!(
                "file is {len} bytes, shorter than header + footer ({})",
                HEADER_LEN + FOOTER_LEN
            ),
        ));
    }
    Ok(())
}

/// Validates the whole structure of a segment image (everything but the section
/// CRCs) and returns its section table in file order.
pub fn parse(path: &Path, bytes: &[u8]) -> Result<Vec<SectionEntry>, StorageError> {
    let file_len = bytes.len() as u64;
    check_file_len(path, file_len)?;

    // Header.
    if bytes[0..8] != HEADER_MAGIC {
        return Err(StorageError::BadMagic {
            path: path.to_path_buf(),
        });
    }
    let version = le_u32(bytes, 8);
    if version != FORMAT_VERSION {
        return Err(StorageError::UnsupportedVersion {
            path: path.to_path_buf(),
            version,
        });
    }
    let flags = le_u32(bytes, 12);
    if flags != 0 {
        return Err(malformed(
            path,
            format!("header flags {flags:#x} must be 0"),
        ));
    }

    // Footer.
    let footer_at = bytes.len() - FOOTER_LEN as usize;
    let f = &bytes[footer_at..];
    if f[24..32] != FOOTER_MAGIC {
        return Err(StorageError::BadMagic {
            path: path.to_path_buf(),
        });
    }
    let version = le_u32(f, 16);
    if version != FORMAT_VERSION {
        return Err(StorageError::UnsupportedVersion {
            path: path.to_path_buf(),
            version,
        });
    }
    let reserved = le_u32(f, 20);
    if reserved != 0 {
        return Err(malformed(
            path,
            format!("footer reserved field {reserved:#x} must be 0"),
        ));
    }
    let footer = Footer {
        table_offset: le_u64(f, 0),
        count: le_u32(f, 8),
        table_crc: le_u32(f, 12),
    };

    // Section table: exactly between the last section and the footer.
    let table_len = u64::from(footer.count) * ENTRY_LEN;
    let expected_offset = (footer_at as u64).checked_sub(table_len);
    if expected_offset != Some(footer.table_offset) || footer.table_offset < HEADER_LEN {
        return Err(truncated(
            path,
            format!(
                "section table of {} entries at offset {} does not end at the footer (offset {footer_at})",
                footer.count, footer.table_offset
            ),
        ));
    }
    let table = &bytes[footer.table_offset as usize..footer_at];
    let actual = crc32fast::hash(table);
    if actual != footer.table_crc {
        return Err(StorageError::ChecksumMismatch {
            path: path.to_path_buf(),
            section: TABLE_SECTION,
            expected: footer.table_crc,
            actual,
        });
    }

    let mut entries = Vec::with_capacity(footer.count as usize);
    let mut prev_end = HEADER_LEN;
    for chunk in table.chunks_exact(ENTRY_LEN as usize) {
        let mut raw = [0u8; ENTRY_LEN as usize];
        raw.copy_from_slice(chunk);
        let e = SectionEntry::decode(&raw);
        let end = e.offset.checked_add(e.len);
        if e.offset < HEADER_LEN || end.is_none_or(|end| end > footer.table_offset) {
            return Err(truncated(
                path,
                format!(
                    "section {} (offset {}, len {}) is outside the data area [{HEADER_LEN}, {})",
                    e.id, e.offset, e.len, footer.table_offset
                ),
            ));
        }
        if !e.offset.is_multiple_of(ALIGN) {
            return Err(malformed(
                path,
                format!("section {} offset {} is not 8-byte aligned", e.id, e.offset),
            ));
        }
        if e.offset < prev_end {
            return Err(malformed(
                path,
                format!(
                    "section {} at offset {} overlaps the previous one ending at {prev_end}",
                    e.id, e.offset
                ),
            ));
        }
        check_gap(
            path,
            bytes,
            prev_end,
            e.offset,
            &format!("section {}", e.id),
        )?;
        if entries.iter().any(|p: &SectionEntry| p.id == e.id) {
            return Err(malformed(
                path,
                format!("section id {} appears twice", e.id),
            ));
        }
        prev_end = e.offset + e.len;
        entries.push(e);
    }
    check_gap(
        path,
        bytes,
        prev_end,
        footer.table_offset,
        "the section table",
    )?;
    Ok(entries)
}

/// Between `from` (end of the previous section) and `to` there may only be the
/// zero padding up to the next 8-byte boundary.
fn check_gap(
    path: &Path,
    bytes: &[u8],
    from: u64,
    to: u64,
    what: &str,
) -> Result<(), StorageError> {
    if align_up(from) != Some(to) {
        return Err(malformed(
            path,
            format!("gap before {what}: expected it at {from} rounded up to 8, found {to}"),
        ));
    }
    if bytes[from as usize..to as usize].iter().any(|&b| b != 0) {
        return Err(malformed(
            path,
            format!("non-zero padding in bytes {from}..{to} before {what}"),
        ));
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;
    use crate::segment::SegmentWriter;

    fn p() -> &'static Path {
        Path::new("t.seg")
    }

    /// A valid two-section image: id 1 = "hello" (5 bytes + 3 padding), id 2 = 8 bytes.
    fn sample() -> Vec<u8> {
        let mut w = SegmentWriter::new();
        w.add_section(1, b"hello".to_vec());
        w.add_section(2, b"12345678".to_vec());
        w.to_bytes().unwrap()
    }

    /// Assembles an image from a raw data area and a hand-made table, with a
    /// correct table CRC and footer, so tests can reach the checks behind it.
    fn raw(data: &[u8], entries: &[SectionEntry]) -> Vec<u8> {
        let mut b = encode_header().to_vec();
        b.extend_from_slice(data);
        let table_offset = b.len() as u64;
        let mut table = Vec::new();
        for e in entries {
            table.extend_from_slice(&e.encode());
        }
        b.extend_from_slice(&table);
        let footer = Footer {
            table_offset,
            count: entries.len() as u32,
            table_crc: crc32fast::hash(&table),
        };
        b.extend_from_slice(&footer.encode());
        b
    }

    fn entry(id: u32, offset: u64, len: u64) -> SectionEntry {
        SectionEntry {
            id,
            crc: 0,
            offset,
            len,
        }
    }

    fn detail(e: &StorageError) -> String {
        e.to_string()
    }

    #[test]
    fn sample_layout_is_as_documented() {
        let b = sample();
        let entries = parse(p(), &b).unwrap();
        assert_eq!(entries.len(), 2);
        assert_eq!(
            (entries[0].id, entries[0].offset, entries[0].len),
            (1, 16, 5)
        );
        assert_eq!(
            (entries[1].id, entries[1].offset, entries[1].len),
            (2, 24, 8)
        );
        assert_eq!(b.len() as u64, 32 + 2 * ENTRY_LEN + FOOTER_LEN);
        assert_eq!(&b[0..8], b"ISOSEG\0\x01");
        assert_eq!(&b[b.len() - 8..], b"ISOSEGFT");
    }

    #[test]
    fn raw_helper_matches_writer() {
        let mut data = b"hello\0\0\0".to_vec();
        data.extend_from_slice(b"12345678");
        let mut e1 = entry(1, 16, 5);
        e1.crc = crc32fast::hash(b"hello");
        let mut e2 = entry(2, 24, 8);
        e2.crc = crc32fast::hash(b"12345678");
        assert_eq!(raw(&data, &[e1, e2]), sample());
    }

    #[test]
    fn empty_segment_is_valid() {
        let b = SegmentWriter::new().to_bytes().unwrap();
        assert_eq!(b.len() as u64, HEADER_LEN + FOOTER_LEN);
        assert_eq!(parse(p(), &b).unwrap(), vec![]);
    }

    #[test]
    fn too_short() {
        for len in [0, 1, 47] {
            let e = parse(p(), &vec![0u8; len]).unwrap_err();
            assert!(matches!(e, StorageError::Truncated { .. }), "{len}: {e}");
        }
        assert!(matches!(
            check_file_len(p(), 0),
            Err(StorageError::Truncated { .. })
        ));
    }

    #[test]
    fn bad_header_magic() {
        let mut b = sample();
        b[3] ^= 1;
        assert!(matches!(parse(p(), &b), Err(StorageError::BadMagic { .. })));
    }

    #[test]
    fn bad_header_version() {
        let mut b = sample();
        b[8] = 2;
        assert!(matches!(
            parse(p(), &b),
            Err(StorageError::UnsupportedVersion { version: 2, .. })
        ));
    }

    #[test]
    fn nonzero_header_flags() {
        let mut b = sample();
        b[12] = 1;
        let e = parse(p(), &b).unwrap_err();
        assert!(matches!(e, StorageError::Malformed { .. }) && detail(&e).contains("header flags"));
    }

    #[test]
    fn bad_footer_magic() {
        let mut b = sample();
        let n = b.len();
        b[n - 1] ^= 0x40;
        assert!(matches!(parse(p(), &b), Err(StorageError::BadMagic { .. })));
    }

    #[test]
    fn bad_footer_version() {
        let mut b = sample();
        let at = b.len() - 16;
        b[at] = 7;
        assert!(matches!(
            parse(p(), &b),
            Err(StorageError::UnsupportedVersion { version: 7, .. })
        ));
    }

    #[test]
    fn nonzero_footer_reserved() {
        let mut b = sample();
        let at = b.len() - 12;
        b[at] = 1;
        let e = parse(p(), &b).unwrap_err();
        assert!(matches!(e, StorageError::Malformed { .. }) && detail(&e).contains("reserved"));
    }

    #[test]
    fn table_offset_mismatch() {
        let mut b = sample();
        let at = b.len() - 32;
        b[at] ^= 8; // still aligned, but not where the table is
        assert!(matches!(
            parse(p(), &b),
            Err(StorageError::Truncated { .. })
        ));
    }

    #[test]
    fn section_count_too_large() {
        let mut b = sample();
        let at = b.len() - 24;
        b[at..at + 4].copy_from_slice(&u32::MAX.to_le_bytes());
        assert!(matches!(
            parse(p(), &b),
            Err(StorageError::Truncated { .. })
        ));
    }

    #[test]
    fn table_checksum_mismatch() {
        let mut b = sample();
        let table_at = b.len() - 32 - 48;
        b[table_at + 4] ^= 1; // first entry's crc field
        assert!(matches!(
            parse(p(), &b),
            Err(StorageError::ChecksumMismatch {
                section: TABLE_SECTION,
                ..
            })
        ));
    }

    #[test]
    fn section_out_of_bounds() {
        let b = raw(&[0u8; 8], &[entry(1, 16, 9)]);
        let e = parse(p(), &b).unwrap_err();
        assert!(matches!(e, StorageError::Truncated { .. }) && detail(&e).contains("outside"));
        let b = raw(&[0u8; 8], &[entry(1, u64::MAX - 2, 8)]);
        assert!(matches!(
            parse(p(), &b),
            Err(StorageError::Truncated { .. })
        ));
        let b = raw(&[0u8; 8], &[entry(1, 8, 1)]); // inside the header
        assert!(matches!(
            parse(p(), &b),
            Err(StorageError::Truncated { .. })
        ));
    }

    #[test]
    fn section_misaligned() {
        let b = raw(&[0u8; 16], &[entry(1, 20, 4)]);
        let e = parse(p(), &b).unwrap_err();
        assert!(matches!(e, StorageError::Malformed { .. }) && detail(&e).contains("aligned"));
    }

    #[test]
    fn sections_overlap() {
        let b = raw(&[0u8; 16], &[entry(1, 16, 16), entry(2, 24, 8)]);
        let e = parse(p(), &b).unwrap_err();
        assert!(matches!(e, StorageError::Malformed { .. }) && detail(&e).contains("overlaps"));
    }

    #[test]
    fn gap_between_sections() {
        let b = raw(&[0u8; 24], &[entry(1, 16, 4), entry(2, 32, 8)]);
        let e = parse(p(), &b).unwrap_err();
        assert!(matches!(e, StorageError::Malformed { .. }) && detail(&e).contains("gap"));
    }

    #[test]
    fn gap_before_table() {
        let b = raw(&[0u8; 16], &[entry(1, 16, 4)]);
        let e = parse(p(), &b).unwrap_err();
        assert!(
            matches!(e, StorageError::Malformed { .. }) && detail(&e).contains("section table")
        );
    }

    #[test]
    fn duplicate_section_id_in_table() {
        let b = raw(&[0u8; 16], &[entry(1, 16, 8), entry(1, 24, 8)]);
        let e = parse(p(), &b).unwrap_err();
        assert!(matches!(e, StorageError::Malformed { .. }) && detail(&e).contains("twice"));
    }

    #[test]
    fn nonzero_padding() {
        let mut data = [0u8; 8];
        data[6] = 1; // padding after a 5-byte section
        let b = raw(&data, &[entry(1, 16, 5)]);
        let e = parse(p(), &b).unwrap_err();
        assert!(matches!(e, StorageError::Malformed { .. }) && detail(&e).contains("padding"));
    }

    #[test]
    fn align_up_works() {
        assert_eq!(align_up(0), Some(0));
        assert_eq!(align_up(1), Some(8));
        assert_eq!(align_up(8), Some(8));
        assert_eq!(align_up(21), Some(24));
        assert_eq!(align_up(u64::MAX), None);
    }
}
