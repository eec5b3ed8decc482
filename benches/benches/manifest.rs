//! The manifest log: one commit of one `AddSegment` edit (dominated by the
//! fsync, the commit point of every push), replay on open of a log of 3,000
//! commits (about a year of partitions: each commit adds a partition), and
//! compaction of that state into one snapshot record.

use std::path::Path;
use std::time::Duration;

use criterion::{Criterion, Throughput, criterion_group, criterion_main};
use isotherm_benches::{REGIONS, civil_from_days, days_from_civil, must, partition_path};
use isotherm_storage::{ManifestEdit, ManifestLog};

const TABLE: &str = "temperatures";
const LOG_COMMITS: u64 = 3_000;

fn add_segment(i: u64, version: u64) -> ManifestEdit {
    let day = days_from_civil(2024, 1, 1) + (i / REGIONS.len() as u64) as i64;
    let region = REGIONS[(i % REGIONS.len() as u64) as usize];
    ManifestEdit::AddSegment {
        table: TABLE.into(),
        partition: partition_path(&civil_from_days(day), region),
        version,
        file: format!("{version}.seg"),
        rows: 13_440,
        bytes: 310_000,
    }
}

fn put_table() -> ManifestEdit {
    ManifestEdit::PutTable {
        table: TABLE.into(),
        definition: table_definition(),
    }
}

/// A table definition of realistic size (storage treats it as opaque JSON).
fn table_definition() -> serde_json::Value {
    let columns: Vec<serde_json::Value> = [
        ("date", "date"),
        ("region", "text"),
        ("country", "text"),
        ("station", "text"),
        ("measured_at", "timestamptz"),
        ("temperature", "float8"),
        ("humidity", "float8"),
    ]
    .iter()
    .map(|(n, t)| serde_json::json!({ "name": n, "type": t }))
    .collect();
    serde_json::json!({ "schema": { "name": TABLE, "columns": columns } })
}

/// Writes a log of one `PutTable` commit then `commits` `AddSegment` commits.
fn build_log(dir: &Path, commits: u64) {
    let (log, _) = must(ManifestLog::open(dir), "ManifestLog::open");
    must(log.commit(&[put_table()]), "commit");
    for i in 0..commits {
        let v = log.allocate_version();
        must(log.commit(&[add_segment(i, v)]), "commit");
    }
}

fn benches(c: &mut Criterion) {
    let tmp = must(tempfile::tempdir(), "tempdir");
    let mut group = c.benchmark_group("manifest");
    group
        .sample_size(15)
        .warm_up_time(Duration::from_millis(500))
        .measurement_time(Duration::from_secs(3));

    // One commit: encode, append, fsync (data only).
    let commit_dir = tmp.path().join("commit");
    let (log, _) = must(ManifestLog::open(&commit_dir), "ManifestLog::open");
    must(log.commit(&[put_table()]), "commit");
    let mut i = 0;
    group.throughput(Throughput::Elements(1));
    group.bench_function("commit_add_segment", |b| {
        b.iter(|| {
            let v = log.allocate_version();
            i += 1;
            must(log.commit(&[add_segment(i, v)]), "commit")
        });
    });
    drop(log);

    // Replay: read, checksum and decode every record, apply to the state.
    let replay_dir = tmp.path().join("replay");
    build_log(&replay_dir, LOG_COMMITS);
    let log_bytes = must(std::fs::metadata(replay_dir.join("MANIFEST")), "metadata").len();
    group.throughput(Throughput::Bytes(log_bytes));
    group.bench_function("replay_3000_commits", |b| {
        b.iter_with_large_drop(|| must(ManifestLog::open(&replay_dir), "ManifestLog::open"));
    });

    // Compact: the state of 3,000 partitions as one snapshot, written durably.
    let (log, state) = must(ManifestLog::open(&replay_dir), "ManifestLog::open");
    group.throughput(Throughput::Elements(1));
    group.bench_function("compact_3000_partitions", |b| {
        b.iter(|| must(log.compact(&state), "compact"));
    });
    group.finish();
}

criterion_group!(manifest, benches);
criterion_main!(manifest);
