//! What the manifest log means: the edits a commit record holds and the state
//! that replaying them builds.

use std::collections::{BTreeMap, HashSet};

use serde::{Deserialize, Serialize};

/// One change inside a commit. A commit (one log record) applies all its edits
/// or none.
#[derive(Serialize, Deserialize, Clone, Debug, PartialEq)]
pub enum ManifestEdit {
    /// Creates the table or replaces its definition (opaque to storage); keeps its
    /// partitions.
    PutTable {
        table: String,
        definition: serde_json::Value,
    },
    /// Makes `file` the live segment of `partition`, replacing the previous one.
    AddSegment {
        table: String,
        partition: String,
        version: u64,
        file: String,
        rows: u64,
        bytes: u64,
    },
    /// Removes a partition from the live set.
    RemovePartition { table: String, partition: String },
    /// Records `file` as quarantined; if it is the partition's live file, the
    /// partition leaves the live set.
    Quarantine {
        table: String,
        partition: String,
        file: String,
        reason: String,
    },
    /// Removes the table, its partitions and its quarantine records.
    DropTable { table: String },
}

/// The data directory's committed state: the result of replaying the log.
#[derive(Serialize, Deserialize, Clone, Debug, PartialEq, Default)]
pub struct ManifestState {
    pub tables: BTreeMap<String, TableState>,
    /// Sequence number of the last applied commit (0 for an empty log).
    pub last_sequence: u64,
}

#[derive(Serialize, Deserialize, Clone, Debug, PartialEq, Default)]
pub struct TableState {
    pub definition: serde_json::Value,
    pub partitions: BTreeMap<String, PartitionState>,
    pub quarantined: Vec<QuarantineRecord>,
}

#[derive(Serialize, Deserialize, Clone, Debug, PartialEq)]
pub struct PartitionState {
    pub version: u64,
    pub file: String,
    pub rows: u64,
    pub bytes: u64,
    pub committed_at_ms: u64,
}

#[derive(Serialize, Deserialize, Clone, Debug, PartialEq)]
pub struct QuarantineRecord {
    pub partition: String,
    pub file: String,
    pub reason: String,
    pub at_ms: u64,
}

/// Milliseconds since the Unix epoch (0 if the clock is before it).
pub fn now_ms() -> u64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| u64::try_from(d.as_millis()).unwrap_or(u64::MAX))
        .unwrap_or(0)
}

impl ManifestState {
    /// Applies commit `seq` stamped with the current time.
    pub fn apply(&mut self, seq: u64, edits: &[ManifestEdit]) {
        self.apply_at(seq, now_ms(), edits);
    }

    /// Applies commit `seq` made at `at_ms` (replay uses the recorded time).
    /// Never fails: an edit naming a missing table or partition creates the table
    /// (with a `null` definition) or does nothing.
    pub fn apply_at(&mut self, seq: u64, at_ms: u64, edits: &[ManifestEdit]) {
        for edit in edits {
            match edit {
                ManifestEdit::PutTable { table, definition } => {
                    self.tables.entry(table.clone()).or_default().definition = definition.clone();
                }
                ManifestEdit::AddSegment {
                    table,
                    partition,
                    version,
                    file,
                    rows,
                    bytes,
                } => {
                    self.tables
                        .entry(table.clone())
                        .or_default()
                        .partitions
                        .insert(
                            partition.clone(),
                            PartitionState {
                                version: *version,
                                file: file.clone(),
                                rows: *rows,
                                bytes: *bytes,
                                committed_at_ms: at_ms,
                            },
                        );
                }
                ManifestEdit::RemovePartition { table, partition } => {
                    if let Some(t) = self.tables.get_mut(table) {
                        t.partitions.remove(partition);
                    }
                }
                ManifestEdit::Quarantine {
                    table,
                    partition,
                    file,
                    reason,
                } => {
                    let t = self.tables.entry(table.clone()).or_default();
                    if t.partitions.get(partition).is_some_and(|p| &p.file == file) {
                        t.partitions.remove(partition);
                    }
                    t.quarantined.push(QuarantineRecord {
                        partition: partition.clone(),
                        file: file.clone(),
                        reason: reason.clone(),
                        at_ms,
                    });
                }
                ManifestEdit::DropTable { table } => {
                    self.tables.remove(table);
                }
            }
        }
        self.last_sequence = self.last_sequence.max(seq);
    }

    /// Every `(table, file)` a live partition names: what garbage collection keeps.
    pub fn live_files(&self) -> HashSet<(String, String)> {
        self.tables
            .iter()
            .flat_map(|(table, t)| {
                t.partitions
                    .values()
                    .map(move |p| (table.clone(), p.file.clone()))
            })
            .collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn add(table: &str, partition: &str, version: u64) -> ManifestEdit {
        ManifestEdit::AddSegment {
            table: table.into(),
            partition: partition.into(),
            version,
            file: format!("{version}.seg"),
            rows: 10,
            bytes: 100,
        }
    }

    #[test]
    fn put_add_replace_remove() {
        let mut s = ManifestState::default();
        s.apply_at(
            1,
            5,
            &[
                ManifestEdit::PutTable {
                    table: "t".into(),
                    definition: json!({"a": 1}),
                },
                add("t", "p=1", 1),
                add("t", "p=2", 1),
            ],
        );
        assert_eq!(s.last_sequence, 1);
        assert_eq!(s.tables["t"].partitions.len(), 2);
        assert_eq!(s.tables["t"].partitions["p=1"].committed_at_ms, 5);
        s.apply_at(3, 6, &[add("t", "p=1", 2)]);
        assert_eq!(s.tables["t"].partitions["p=1"].file, "2.seg");
        s.apply_at(
            4,
            7,
            &[
                ManifestEdit::PutTable {
                    table: "t".into(),
                    definition: json!({"a": 2}),
                },
                ManifestEdit::RemovePartition {
                    table: "t".into(),
                    partition: "p=2".into(),
                },
            ],
        );
        assert_eq!(s.tables["t"].definition, json!({"a": 2}));
        assert_eq!(s.tables["t"].partitions.len(), 1, "put keeps partitions");
        let live = s.live_files();
        assert_eq!(live.len(), 1);
        assert!(live.contains(&("t".to_string(), "2.seg".to_string())));
        assert_eq!(s.last_sequence, 4);
    }

    #[test]
    fn quarantine_removes_only_matching_live_file() {
        let mut s = ManifestState::default();
        s.apply_at(1, 0, &[add("t", "p", 1)]);
        s.apply_at(
            2,
            9,
            &[ManifestEdit::Quarantine {
                table: "t".into(),
                partition: "p".into(),
                file: "0.seg".into(),
                reason: "old".into(),
            }],
        );
        assert!(s.tables["t"].partitions.contains_key("p"));
        s.apply_at(
            3,
            9,
            &[ManifestEdit::Quarantine {
                table: "t".into(),
                partition: "p".into(),
                file: "1.seg".into(),
                reason: "crc".into(),
            }],
        );
        assert!(s.tables["t"].partitions.is_empty());
        assert_eq!(s.tables["t"].quarantined.len(), 2);
        assert_eq!(s.tables["t"].quarantined[1].reason, "crc");
        assert!(s.live_files().is_empty());
    }

    #[test]
    fn drop_table_and_lenient_edits() {
        let mut s = ManifestState::default();
        s.apply_at(
            1,
            0,
            &[ManifestEdit::RemovePartition {
                table: "missing".into(),
                partition: "p".into(),
            }],
        );
        assert!(s.tables.is_empty());
        s.apply_at(2, 0, &[add("t", "p", 2)]);
        assert_eq!(s.tables["t"].definition, serde_json::Value::Null);
        s.apply_at(3, 0, &[ManifestEdit::DropTable { table: "t".into() }]);
        assert!(s.tables.is_empty());
        // An older sequence never moves last_sequence back.
        s.apply_at(1, 0, &[]);
        assert_eq!(s.last_sequence, 3);
    }
}
