#![allow(clippy::unwrap_used)]

use super::*;
use serde_json::json;
use std::collections::HashSet;

fn add(table: &str, partition: &str, version: u64) -> ManifestEdit {
    ManifestEdit::AddSegment {
        table: table.into(),
        partition: partition.into(),
        version,
        file: format!("{version}.seg"),
        rows: 1,
        bytes: 2,
    }
}

fn put(table: &str) -> ManifestEdit {
    ManifestEdit::PutTable {
        table: table.into(),
        definition: json!({"columns": ["a"]}),
    }
}

#[test]
fn log_is_send_and_sync() {
    fn assert_send_sync<T: Send + Sync>() {}
    assert_send_sync::<ManifestLog>();
}

#[test]
fn creates_empty_log() {
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path().join("data");
    let (log, state) = ManifestLog::open(&dir).unwrap();
    assert_eq!(state, ManifestState::default());
    assert_eq!(log.path(), dir.join("MANIFEST"));
    assert_eq!(log.len_bytes(), record::FILE_HEADER_LEN);
    assert_eq!(log.last_sequence(), 0);
}

#[test]
fn commits_replay_to_the_same_state() {
    let tmp = tempfile::tempdir().unwrap();
    let (log, mut state) = ManifestLog::open(tmp.path()).unwrap();
    let v = log.allocate_version();
    let edits = vec![put("t"), add("t", "p=1", v)];
    let c = log.commit_stamped(&edits).unwrap();
    assert!(c.sequence > v);
    state.apply_at(c.sequence, c.at_ms, &edits);
    let edits2 = vec![add("t", "p=2", log.allocate_version())];
    let c2 = log.commit_stamped(&edits2).unwrap();
    state.apply_at(c2.sequence, c2.at_ms, &edits2);
    drop(log);

    let (log, replayed) = ManifestLog::open(tmp.path()).unwrap();
    assert_eq!(replayed, state);
    assert_eq!(replayed.last_sequence, c2.sequence);
    assert_eq!(log.record_count(), 2);
    // Versions continue above everything committed.
    assert!(log.allocate_version() > c2.sequence);
}

#[test]
fn allocate_and_commit_share_one_counter() {
    let tmp = tempfile::tempdir().unwrap();
    let (log, _) = ManifestLog::open(tmp.path()).unwrap();
    let a = log.allocate_version();
    let s = log.commit(&[]).unwrap();
    let b = log.allocate_version();
    assert!(a < s && s < b, "{a} {s} {b}");
}

#[test]
fn long_edit_list_is_one_record() {
    let tmp = tempfile::tempdir().unwrap();
    let (log, _) = ManifestLog::open(tmp.path()).unwrap();
    let edits: Vec<ManifestEdit> = (0..2000).map(|i| add("t", &format!("p={i}"), 1)).collect();
    log.commit(&edits).unwrap();
    assert_eq!(log.record_count(), 1);
    drop(log);
    let (log, state) = ManifestLog::open(tmp.path()).unwrap();
    assert_eq!(log.record_count(), 1);
    assert_eq!(state.tables["t"].partitions.len(), 2000);
}

#[test]
fn torn_last_record_is_truncated_and_log_continues() {
    let tmp = tempfile::tempdir().unwrap();
    let (log, _) = ManifestLog::open(tmp.path()).unwrap();
    log.commit(&[put("a")]).unwrap();
    let good_len = log.len_bytes();
    log.commit(&[put("b")]).unwrap();
    drop(log);
    let path = tmp.path().join("MANIFEST");
    let full = std::fs::metadata(&path).unwrap().len();
    let f = OpenOptions::new().write(true).open(&path).unwrap();
    f.set_len(full - 5).unwrap();
    drop(f);

    let (log, state) = ManifestLog::open(tmp.path()).unwrap();
    assert!(state.tables.contains_key("a") && !state.tables.contains_key("b"));
    assert_eq!(std::fs::metadata(&path).unwrap().len(), good_len);
    log.commit(&[put("c")]).unwrap();
    drop(log);
    let (_, state) = ManifestLog::open(tmp.path()).unwrap();
    let names: Vec<&str> = state.tables.keys().map(String::as_str).collect();
    assert_eq!(names, vec!["a", "c"]);
}

#[test]
fn corrupt_middle_record_is_an_error() {
    let tmp = tempfile::tempdir().unwrap();
    let (log, _) = ManifestLog::open(tmp.path()).unwrap();
    for t in ["a", "b", "c"] {
        log.commit(&[put(t)]).unwrap();
    }
    drop(log);
    let path = tmp.path().join("MANIFEST");
    let mut bytes = std::fs::read(&path).unwrap();
    bytes[record::FILE_HEADER_LEN as usize + 12] ^= 0x20;
    std::fs::write(&path, &bytes).unwrap();
    let e = ManifestLog::open(tmp.path()).unwrap_err();
    assert!(
        matches!(e, StorageError::ManifestCorrupt { offset, .. } if offset == record::FILE_HEADER_LEN),
        "{e}"
    );
    assert!(e.is_corruption());
    // Nothing was truncated.
    assert_eq!(std::fs::read(&path).unwrap(), bytes);
}

#[test]
fn leftover_compaction_temp_is_removed_on_open() {
    let tmp = tempfile::tempdir().unwrap();
    let (log, _) = ManifestLog::open(tmp.path()).unwrap();
    log.commit(&[put("a")]).unwrap();
    drop(log);
    std::fs::write(tmp.path().join("MANIFEST.tmp"), b"half a snapshot").unwrap();
    let (_, state) = ManifestLog::open(tmp.path()).unwrap();
    assert!(state.tables.contains_key("a"));
    assert!(!tmp.path().join("MANIFEST.tmp").exists());
}

#[test]
fn bad_magic_manifest() {
    let tmp = tempfile::tempdir().unwrap();
    std::fs::write(tmp.path().join("MANIFEST"), b"NOTAMANIFEST....").unwrap();
    assert!(matches!(
        ManifestLog::open(tmp.path()),
        Err(StorageError::BadMagic { .. })
    ));
}

#[test]
fn compaction_preserves_state_and_sequence() {
    let tmp = tempfile::tempdir().unwrap();
    let (log, mut state) = ManifestLog::open(tmp.path()).unwrap();
    for i in 0..20 {
        let edits = vec![put("t"), add("t", &format!("p={}", i % 3), i)];
        let c = log.commit_stamped(&edits).unwrap();
        state.apply_at(c.sequence, c.at_ms, &edits);
    }
    let before = log.len_bytes();
    log.compact(&state).unwrap();
    assert!(log.len_bytes() < before);
    assert_eq!(log.record_count(), 1);
    // The log keeps working on the new file.
    let edits = vec![ManifestEdit::RemovePartition {
        table: "t".into(),
        partition: "p=0".into(),
    }];
    let c = log.commit_stamped(&edits).unwrap();
    assert!(c.sequence > state.last_sequence);
    state.apply_at(c.sequence, c.at_ms, &edits);
    drop(log);
    let (log, replayed) = ManifestLog::open(tmp.path()).unwrap();
    assert_eq!(replayed, state);
    assert_eq!(log.record_count(), 2);
    assert!(!tmp.path().join("MANIFEST.tmp").exists());
}

#[test]
fn compaction_rejects_stale_state() {
    let tmp = tempfile::tempdir().unwrap();
    let (log, state) = ManifestLog::open(tmp.path()).unwrap();
    log.commit(&[put("t")]).unwrap();
    assert!(matches!(
        log.compact(&state),
        Err(StorageError::StaleState {
            state_sequence: 0,
            log_sequence: 1,
            ..
        })
    ));
}

#[test]
fn concurrent_commits_all_land_once() {
    let tmp = tempfile::tempdir().unwrap();
    let (log, _) = ManifestLog::open(tmp.path()).unwrap();
    let seqs: Vec<u64> = std::thread::scope(|s| {
        let handles: Vec<_> = (0..4)
            .map(|t| {
                let log = &log;
                s.spawn(move || {
                    (0..25)
                        .map(|i| log.commit(&[put(&format!("t{t}_{i}"))]).unwrap())
                        .collect::<Vec<u64>>()
                })
            })
            .collect();
        handles
            .into_iter()
            .flat_map(|h| h.join().unwrap())
            .collect()
    });
    let unique: HashSet<u64> = seqs.iter().copied().collect();
    assert_eq!(unique.len(), 100);
    drop(log);
    let (log, state) = ManifestLog::open(tmp.path()).unwrap();
    assert_eq!(state.tables.len(), 100);
    assert_eq!(log.record_count(), 100);
    assert_eq!(state.last_sequence, *seqs.iter().max().unwrap());
}

#[cfg(feature = "failpoints")]
mod failpoints {
    use super::*;
    use crate::failpoint::{Action, arm};

    /// A crash half-way through an append: the half record is ignored on reopen.
    #[test]
    fn half_written_record_is_ignored_on_reopen() {
        let tmp = tempfile::tempdir().unwrap();
        let (log, _) = ManifestLog::open(tmp.path()).unwrap();
        log.commit(&[put("a")]).unwrap();
        let good_len = log.len_bytes();
        {
            let _g = arm("manifest::mid_append", Action::Panic);
            let r = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
                log.commit(&[put("lost")])
            }));
            assert!(r.is_err());
        }
        let path = tmp.path().join("MANIFEST");
        assert!(
            std::fs::metadata(&path).unwrap().len() > good_len,
            "half record on disk"
        );
        // The panicked writer left the log unusable in this process.
        assert!(matches!(
            log.commit(&[put("b")]),
            Err(StorageError::ManifestPoisoned { .. })
        ));
        drop(log);

        let (log, state) = ManifestLog::open(tmp.path()).unwrap();
        assert!(state.tables.contains_key("a") && !state.tables.contains_key("lost"));
        assert_eq!(std::fs::metadata(&path).unwrap().len(), good_len);
        log.commit(&[put("b")]).unwrap();
        drop(log);
        let (_, state) = ManifestLog::open(tmp.path()).unwrap();
        assert_eq!(state.tables.len(), 2);
    }

    /// An append that fails (and returns) is rolled back; the log keeps working.
    #[test]
    fn failed_append_is_rolled_back() {
        let tmp = tempfile::tempdir().unwrap();
        let (log, _) = ManifestLog::open(tmp.path()).unwrap();
        log.commit(&[put("a")]).unwrap();
        let good_len = log.len_bytes();
        {
            let _g = arm("manifest::mid_append", Action::Error);
            assert!(matches!(
                log.commit(&[put("lost")]),
                Err(StorageError::Io { .. })
            ));
        }
        assert_eq!(
            std::fs::metadata(tmp.path().join("MANIFEST"))
                .unwrap()
                .len(),
            good_len
        );
        log.commit(&[put("b")]).unwrap();
        drop(log);
        let (_, state) = ManifestLog::open(tmp.path()).unwrap();
        let names: Vec<&str> = state.tables.keys().map(String::as_str).collect();
        assert_eq!(names, vec!["a", "b"]);
    }

    /// A poisoned log recovers by compaction into a fresh file.
    #[test]
    fn compaction_recovers_a_poisoned_log() {
        let tmp = tempfile::tempdir().unwrap();
        let (log, mut state) = ManifestLog::open(tmp.path()).unwrap();
        let edits = [put("a")];
        let c = log.commit_stamped(&edits).unwrap();
        state.apply_at(c.sequence, c.at_ms, &edits);
        {
            let _g = arm("manifest::mid_append", Action::Panic);
            let r = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
                log.commit(&[put("lost")])
            }));
            assert!(r.is_err());
        }
        log.compact(&state).unwrap();
        log.commit(&[put("b")]).unwrap();
        drop(log);
        let (_, state) = ManifestLog::open(tmp.path()).unwrap();
        let names: Vec<&str> = state.tables.keys().map(String::as_str).collect();
        assert_eq!(names, vec!["a", "b"]);
    }
}
