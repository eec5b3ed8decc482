//! Segment files: durable write, open (structure validation), first access of one
//! section (its CRC32 verified) and `verify_all`, over a ~300 KB segment (one
//! partition of ~13.5k rows) and a ~4 MB one. Throughput is in bytes. The file
//! stays in the page cache, so reads measure CRC32 plus the page faults of a
//! fresh mapping (each iteration opens the segment anew: verification is cached
//! per `Segment`), never the disk.

use std::path::Path;
use std::time::Duration;

use criterion::{BatchSize, BenchmarkId, Criterion, Throughput, criterion_group, criterion_main};
use isotherm_benches::{must, segment_sections};
use isotherm_storage::{Segment, SegmentWriter};

const SIZES: [(&str, usize); 2] = [("300KB", 300 * 1024), ("4MB", 4 * 1024 * 1024)];

/// The largest section: what the first-access bench reads.
const BIG_SECTION: u32 = 3;

fn writer(sections: &[(u32, Vec<u8>)]) -> SegmentWriter {
    let mut w = SegmentWriter::new();
    for (id, bytes) in sections {
        w.add_section(*id, bytes.clone());
    }
    w
}

fn open(path: &Path) -> Segment {
    must(Segment::open(path), "Segment::open")
}

fn benches(c: &mut Criterion) {
    let tmp = must(tempfile::tempdir(), "tempdir");
    let mut group = c.benchmark_group("segment");
    group
        .sample_size(15)
        .warm_up_time(Duration::from_millis(500))
        .measurement_time(Duration::from_secs(3));

    for (label, total) in SIZES {
        let sections = segment_sections(total);
        let file_len = writer(&sections).encoded_len();
        let dir = tmp.path().join(label);

        // Durable write: temp file, write + CRC, fsync, rename, fsync dir.
        group.throughput(Throughput::Bytes(file_len));
        group.bench_function(BenchmarkId::new("write_to", label), |b| {
            b.iter_batched(
                || writer(&sections),
                |w| must(w.write_to(&dir, "1.seg"), "write_to"),
                BatchSize::PerIteration,
            );
        });

        let path = dir.join("1.seg");
        // First access to the largest section: its CRC32 over the mapped bytes.
        let seg = open(&path);
        let big = seg.section_len(BIG_SECTION).unwrap_or(0);
        drop(seg);
        group.throughput(Throughput::Bytes(big));
        group.bench_function(BenchmarkId::new("section_first_access", label), |b| {
            b.iter_batched_ref(
                || open(&path),
                |seg| match seg.section(BIG_SECTION) {
                    Ok(Some(bytes)) => bytes.len(),
                    other => panic!("section: {other:?}"),
                },
                BatchSize::SmallInput,
            );
        });

        // Every section's CRC.
        group.throughput(Throughput::Bytes(file_len));
        group.bench_function(BenchmarkId::new("verify_all", label), |b| {
            b.iter_batched_ref(
                || open(&path),
                |seg| must(seg.verify_all(), "verify_all"),
                BatchSize::SmallInput,
            );
        });
    }
    group.finish();

    // Map + header/footer/section-table validation; no section bytes are read, so
    // no throughput (the unmap on drop is not timed).
    let mut group = c.benchmark_group("segment_open");
    group
        .sample_size(15)
        .warm_up_time(Duration::from_millis(500))
        .measurement_time(Duration::from_secs(2));
    for (label, _) in SIZES {
        let path = tmp.path().join(label).join("1.seg");
        group.bench_function(label, |b| b.iter_with_large_drop(|| open(&path)));
    }
    group.finish();
}

criterion_group!(segment, benches);
criterion_main!(segment);
