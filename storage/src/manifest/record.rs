//! The manifest log's bytes: a file header, then one frame per record.
//!
//! ```text
//! +----------------------------------------------+ 0
//! | magic    [u8; 8] = b"ISOMANI\x01"            |
//! | version  u32 = 1                             |
//! | reserved u32 = 0                             |
//! +----------------------------------------------+ 16
//! | frame: len u32 | crc u32 | payload (len B)   |   crc = CRC32(len LE bytes ++ payload)
//! | frame ...                                    |
//! +----------------------------------------------+ EOF
//! ```
//!
//! A payload is the JSON of a [`Record`]: `{"seq", "at_ms", "body"}` where the body
//! is `{"Commit": [edits...]}` or `{"Snapshot": state}`. Sequence numbers strictly
//! increase; a snapshot may only be the first record (written by compaction).
//!
//! Replay distinguishes a *torn tail* from corruption. A crash mid-append leaves a
//! prefix of one frame at the end of the file, possibly followed by zeros the file
//! system had allocated. So a bad frame (short header, zero length, checksum
//! failure) is a torn tail when its declared extent reaches end of file or
//! everything from it to end of file is zero; anything else is `ManifestCorrupt`.

use std::path::Path;

use serde::{Deserialize, Serialize};

use super::state::{ManifestEdit, ManifestState};
use crate::error::StorageError;

pub const MAGIC: [u8; 8] = *b"ISOMANI\x01";
pub const VERSION: u32 = 1;
pub const FILE_HEADER_LEN: u64 = 16;
pub const FRAME_HEADER_LEN: u64 = 8;

#[derive(Serialize, Deserialize, Debug, Clone, PartialEq)]
pub struct Record {
    pub seq: u64,
    pub at_ms: u64,
    pub body: RecordBody,
}

#[derive(Serialize, Deserialize, Debug, Clone, PartialEq)]
pub enum RecordBody {
    Commit(Vec<ManifestEdit>),
    Snapshot(ManifestState),
}

/// Borrowing twin of [`Record`] for encoding without cloning; same JSON.
#[derive(Serialize)]
pub struct RecordRef<'a> {
    pub seq: u64,
    pub at_ms: u64,
    pub body: RecordBodyRef<'a>,
}

#[derive(Serialize)]
pub enum RecordBodyRef<'a> {
    Commit(&'a [ManifestEdit]),
    Snapshot(&'a ManifestState),
}

pub fn encode_file_header() -> [u8; FILE_HEADER_LEN as usize] {
    let mut b = [0u8; FILE_HEADER_LEN as usize];
    b[0..8].copy_from_slice(&MAGIC);
    b[8..12].copy_from_slice(&VERSION.to_le_bytes());
    b
}

fn frame_crc(len: [u8; 4], payload: &[u8]) -> u32 {
    let mut h = crc32fast::Hasher::new();
    h.update(&len);
    h.update(payload);
    h.finalize()
}

/// `len | crc | payload` for one record.
pub fn encode_frame(record: &RecordRef<'_>) -> Result<Vec<u8>, StorageError> {
    let payload = serde_json::to_vec(record).map_err(|e| StorageError::Encode {
        detail: e.to_string(),
    })?;
    let len = u32::try_from(payload.len()).map_err(|_| StorageError::Encode {
        detail: format!("record of {} bytes exceeds 4 GiB", payload.len()),
    })?;
    let len = len.to_le_bytes();
    let mut frame = Vec::with_capacity(payload.len() + FRAME_HEADER_LEN as usize);
    frame.extend_from_slice(&len);
    frame.extend_from_slice(&frame_crc(len, &payload).to_le_bytes());
    frame.extend_from_slice(&payload);
    Ok(frame)
}

/// The result of reading a log image.
#[derive(Debug)]
pub struct Scan {
    pub records: Vec<Record>,
    /// Bytes up to the end of the last good record: where the log continues.
    pub valid_len: u64,
    /// Why the bytes after `valid_len` were discarded, if there were any.
    pub torn: Option<String>,
}

fn le_u32(b: &[u8], at: usize) -> u32 {
    let mut a = [0u8; 4];
    a.copy_from_slice(&b[at..at + 4]);
    u32::from_le_bytes(a)
}

fn corrupt(path: &Path, offset: u64, detail: String) -> StorageError {
    StorageError::ManifestCorrupt {
        path: path.to_path_buf(),
        offset,
        detail,
    }
}

/// Reads every record of a log image; see the module doc for the torn-tail rule.
pub fn scan(path: &Path, bytes: &[u8]) -> Result<Scan, StorageError> {
    let n = bytes.len() as u64;
    if n < FILE_HEADER_LEN {
        return Err(corrupt(
            path,
            0,
            format!("file is {n} bytes, shorter than the {FILE_HEADER_LEN}-byte header"),
        ));
    }
    if bytes[0..8] != MAGIC {
        return Err(StorageError::BadMagic {
            path: path.to_path_buf(),
        });
    }
    let version = le_u32(bytes, 8);
    if version != VERSION {
        return Err(StorageError::UnsupportedVersion {
            path: path.to_path_buf(),
            version,
        });
    }
    if le_u32(bytes, 12) != 0 {
        return Err(corrupt(path, 12, "reserved header field is not 0".into()));
    }

    let mut records: Vec<Record> = Vec::new();
    let mut pos = FILE_HEADER_LEN;
    while pos < n {
        let at = pos as usize;
        if n - pos < FRAME_HEADER_LEN {
            return Ok(torn(records, pos, "partial frame header".into()));
        }
        let len = u64::from(le_u32(bytes, at));
        let crc = le_u32(bytes, at + 4);
        let end = pos + FRAME_HEADER_LEN + len;
        let bad = if len == 0 {
            "zero-length record".to_string()
        } else if end > n {
            return Ok(torn(
                records,
                pos,
                format!("record of {len} bytes extends past end of file ({n})"),
            ));
        } else {
            let payload = &bytes[at + FRAME_HEADER_LEN as usize..end as usize];
            let mut len_bytes = [0u8; 4];
            len_bytes.copy_from_slice(&bytes[at..at + 4]);
            let actual = frame_crc(len_bytes, payload);
            if actual == crc {
                let record: Record = serde_json::from_slice(payload).map_err(|e| {
                    corrupt(
                        path,
                        pos,
                        format!("record checksum ok but undecodable: {e}"),
                    )
                })?;
                check_order(path, pos, &records, &record)?;
                records.push(record);
                pos = end;
                continue;
            }
            format!("checksum mismatch: expected {crc:#010x}, got {actual:#010x}")
        };
        // A bad frame: torn tail or corruption?
        if end >= n || bytes[at..].iter().all(|&b| b == 0) {
            return Ok(torn(records, pos, bad));
        }
        return Err(corrupt(
            path,
            pos,
            format!("{bad}, and {} more bytes follow it", n - end),
        ));
    }
    Ok(Scan {
        records,
        valid_len: pos,
        torn: None,
    })
}

fn torn(records: Vec<Record>, pos: u64, why: String) -> Scan {
    Scan {
        records,
        valid_len: pos,
        torn: Some(why),
    }
}

fn check_order(
    path: &Path,
    pos: u64,
    records: &[Record],
    record: &Record,
) -> Result<(), StorageError> {
    if let Some(prev) = records.last()
        && record.seq <= prev.seq
    {
        return Err(corrupt(
            path,
            pos,
            format!(
                "sequence {} does not follow sequence {}",
                record.seq, prev.seq
            ),
        ));
    }
    if matches!(record.body, RecordBody::Snapshot(_)) && !records.is_empty() {
        return Err(corrupt(
            path,
            pos,
            "snapshot record after the first record".into(),
        ));
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;

    fn p() -> &'static Path {
        Path::new("MANIFEST")
    }

    fn frame(seq: u64) -> Vec<u8> {
        let edits = [ManifestEdit::DropTable {
            table: format!("t{seq}"),
        }];
        encode_frame(&RecordRef {
            seq,
            at_ms: 1,
            body: RecordBodyRef::Commit(&edits),
        })
        .unwrap()
    }

    fn log(seqs: &[u64]) -> Vec<u8> {
        let mut b = encode_file_header().to_vec();
        for s in seqs {
            b.extend_from_slice(&frame(*s));
        }
        b
    }

    #[test]
    fn empty_log() {
        let s = scan(p(), &log(&[])).unwrap();
        assert!(s.records.is_empty() && s.torn.is_none());
        assert_eq!(s.valid_len, FILE_HEADER_LEN);
    }

    #[test]
    fn reads_records_in_order() {
        let b = log(&[1, 2, 5]);
        let s = scan(p(), &b).unwrap();
        let seqs: Vec<u64> = s.records.iter().map(|r| r.seq).collect();
        assert_eq!(seqs, vec![1, 2, 5]);
        assert_eq!(s.valid_len, b.len() as u64);
        assert!(s.torn.is_none());
    }

    #[test]
    fn header_checks() {
        assert!(matches!(
            scan(p(), &[0u8; 5]),
            Err(StorageError::ManifestCorrupt { offset: 0, .. })
        ));
        let mut b = log(&[]);
        b[0] = b'X';
        assert!(matches!(scan(p(), &b), Err(StorageError::BadMagic { .. })));
        let mut b = log(&[]);
        b[8] = 9;
        assert!(matches!(
            scan(p(), &b),
            Err(StorageError::UnsupportedVersion { version: 9, .. })
        ));
        let mut b = log(&[]);
        b[13] = 1;
        assert!(matches!(
            scan(p(), &b),
            Err(StorageError::ManifestCorrupt { offset: 12, .. })
        ));
    }

    #[test]
    fn every_truncation_of_the_last_record_is_a_torn_tail() {
        let good = log(&[1, 2]);
        let full = log(&[1, 2, 3]);
        for cut in good.len() + 1..full.len() {
            let s = scan(p(), &full[..cut]).unwrap();
            assert_eq!(s.records.len(), 2, "cut at {cut}");
            assert_eq!(s.valid_len, good.len() as u64);
            assert!(s.torn.is_some());
        }
    }

    #[test]
    fn checksum_failure_in_last_record_is_torn() {
        let mut b = log(&[1, 2]);
        let n = b.len();
        b[n - 3] ^= 0x01;
        let s = scan(p(), &b).unwrap();
        assert_eq!(s.records.len(), 1);
        assert!(s.torn.as_deref().is_some_and(|t| t.contains("checksum")));
    }

    #[test]
    fn zero_filled_tail_is_torn() {
        let mut b = log(&[1]);
        let good = b.len() as u64;
        b.extend_from_slice(&[0u8; 100]);
        let s = scan(p(), &b).unwrap();
        assert_eq!(s.valid_len, good);
        assert!(s.torn.is_some());
    }

    #[test]
    fn bad_record_followed_by_good_ones_is_corrupt() {
        let mut b = log(&[1, 2, 3]);
        let second = FILE_HEADER_LEN as usize + frame(1).len();
        b[second + 10] ^= 0x01;
        let e = scan(p(), &b).unwrap_err();
        assert!(
            matches!(e, StorageError::ManifestCorrupt { offset, .. } if offset == second as u64),
            "{e}"
        );
    }

    #[test]
    fn non_increasing_sequence_is_corrupt() {
        assert!(matches!(
            scan(p(), &log(&[2, 2])),
            Err(StorageError::ManifestCorrupt { .. })
        ));
    }

    #[test]
    fn snapshot_must_be_first() {
        let mut b = log(&[1]);
        let state = ManifestState::default();
        b.extend_from_slice(
            &encode_frame(&RecordRef {
                seq: 2,
                at_ms: 0,
                body: RecordBodyRef::Snapshot(&state),
            })
            .unwrap(),
        );
        assert!(matches!(
            scan(p(), &b),
            Err(StorageError::ManifestCorrupt { .. })
        ));
    }

    #[test]
    fn undecodable_payload_with_good_crc_is_corrupt() {
        let payload = b"not json";
        let len = (payload.len() as u32).to_le_bytes();
        let mut b = log(&[]);
        b.extend_from_slice(&len);
        b.extend_from_slice(&frame_crc(len, payload).to_le_bytes());
        b.extend_from_slice(payload);
        assert!(matches!(
            scan(p(), &b),
            Err(StorageError::ManifestCorrupt { .. })
        ));
    }

    #[test]
    fn ref_and_owned_records_share_json() {
        let edits = vec![ManifestEdit::DropTable { table: "t".into() }];
        let f = encode_frame(&RecordRef {
            seq: 4,
            at_ms: 8,
            body: RecordBodyRef::Commit(&edits),
        })
        .unwrap();
        let owned: Record = serde_json::from_slice(&f[8..]).unwrap();
        assert_eq!(
            owned,
            Record {
                seq: 4,
                at_ms: 8,
                body: RecordBody::Commit(edits)
            }
        );
    }
}
