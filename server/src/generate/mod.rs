//! `isotherm generate`: a deterministic synthetic weather dataset, written as
//! Hive-partitioned Parquet:
//!
//! ```text
//! OUT/date=2024-01-01/region=europe/part-00000.parquet
//! OUT/date=2024-01-01/region=asia/part-00000.parquet
//! ...
//! OUT/_GENERATED          written last: the dataset is complete
//! ```
//!
//! `date` and `region` are only in the path; each file holds `country`,
//! `station`, `measured_at`, `temperature` and `humidity` (see
//! [`weather::file_schema`]), sorted by station then time. The same seed gives
//! the same files. Days are generated in parallel on a few threads.

pub mod rng;
pub mod weather;
pub mod world;
pub mod writer;

use std::path::{Path, PathBuf};
use std::sync::Mutex;
use std::sync::atomic::{AtomicU64, AtomicUsize, Ordering};
use std::time::{Duration, Instant};

use chrono::{Days, NaiveDate};

use crate::error::{Result, ServerError};
pub use weather::{file_schema, region_day};
pub use world::{REGIONS, World};

/// Name of the marker file written once a dataset is complete.
pub const COMPLETE_MARKER: &str = "_GENERATED";

#[derive(Debug, Clone)]
pub struct GenerateConfig {
    pub out: PathBuf,
    pub start: NaiveDate,
    pub days: u32,
    pub stations: u32,
    pub seed: u64,
    pub interval_minutes: u32,
    pub threads: usize,
}

impl GenerateConfig {
    pub fn new(out: impl Into<PathBuf>) -> Self {
        GenerateConfig {
            out: out.into(),
            start: NaiveDate::from_ymd_opt(2024, 1, 1).unwrap_or_default(),
            days: 7,
            stations: 4500,
            seed: 42,
            interval_minutes: 60,
            threads: 2,
        }
    }

    fn validate(&self) -> Result<()> {
        if self.interval_minutes == 0 || 1440 % self.interval_minutes != 0 {
            return Err(ServerError::Usage(format!(
                "--interval-minutes must divide 1440 (a day), got {}",
                self.interval_minutes
            )));
        }
        if self.stations == 0 {
            return Err(ServerError::Usage("--stations must be at least 1".into()));
        }
        if self
            .start
            .checked_add_days(Days::new(u64::from(self.days)))
            .is_none()
        {
            return Err(ServerError::Usage(
                "--days runs past the last representable date".into(),
            ));
        }
        Ok(())
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct GenerateSummary {
    pub files: u64,
    pub rows: u64,
    pub bytes: u64,
    pub elapsed: Duration,
}

impl std::fmt::Display for GenerateSummary {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let secs = self.elapsed.as_secs_f64();
        write!(
            f,
            "generated {} files ({} rows, {:.1} MB) in {:.2} s ({:.0} rows/s)",
            self.files,
            self.rows,
            self.bytes as f64 / 1e6,
            secs,
            self.rows as f64 / secs.max(1e-9)
        )
    }
}

/// The partition path of one generated file, relative to the dataset root.
pub fn partition_path(date: NaiveDate, region: &str) -> String {
    format!("date={}/region={region}", date.format("%Y-%m-%d"))
}

/// True when `dir` holds a dataset that `generate` finished writing.
pub fn is_complete(dir: &Path) -> bool {
    dir.join(COMPLETE_MARKER).is_file()
}

/// Writes the dataset. Each region with no station is skipped.
pub fn generate(cfg: &GenerateConfig) -> Result<GenerateSummary> {
    cfg.validate()?;
    let started = Instant::now();
    let world = World::new(cfg.seed, cfg.stations);
    let next_day = AtomicUsize::new(0);
    let (files, rows, bytes) = (AtomicU64::new(0), AtomicU64::new(0), AtomicU64::new(0));
    let first_error: Mutex<Option<ServerError>> = Mutex::new(None);
    let days = cfg.days as usize;

    std::thread::scope(|scope| {
        for _ in 0..cfg.threads.max(1) {
            scope.spawn(|| {
                loop {
                    let i = next_day.fetch_add(1, Ordering::Relaxed);
                    if i >= days || first_error.lock().map(|e| e.is_some()).unwrap_or(true) {
                        break;
                    }
                    let Some(date) = cfg.start.checked_add_days(Days::new(i as u64)) else {
                        break;
                    };
                    let result = (|| -> Result<()> {
                        for (region, name) in REGIONS.iter().enumerate() {
                            if world.by_region[region].is_empty() {
                                continue;
                            }
                            let batch = region_day(&world, region, date, cfg.interval_minutes)?;
                            let path = cfg
                                .out
                                .join(partition_path(date, name))
                                .join("part-00000.parquet");
                            let size = writer::write_parquet(&path, &batch)?;
                            files.fetch_add(1, Ordering::Relaxed);
                            rows.fetch_add(batch.num_rows() as u64, Ordering::Relaxed);
                            bytes.fetch_add(size, Ordering::Relaxed);
                        }
                        Ok(())
                    })();
                    if let Err(e) = result
                        && let Ok(mut slot) = first_error.lock()
                    {
                        slot.get_or_insert(e);
                    }
                }
            });
        }
    });

    if let Some(e) = first_error.into_inner().ok().flatten() {
        return Err(e);
    }
    std::fs::create_dir_all(&cfg.out)
        .map_err(|e| ServerError::io(format!("creating {}", cfg.out.display()), e))?;
    let marker = cfg.out.join(COMPLETE_MARKER);
    std::fs::write(
        &marker,
        format!(
            "seed={} stations={} days={}\n",
            cfg.seed, cfg.stations, cfg.days
        ),
    )
    .map_err(|e| ServerError::io(format!("writing {}", marker.display()), e))?;
    Ok(GenerateSummary {
        files: files.into_inner(),
        rows: rows.into_inner(),
        bytes: bytes.into_inner(),
        elapsed: started.elapsed(),
    })
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;

    fn read_dir_bytes(dir: &Path) -> Vec<(PathBuf, Vec<u8>)> {
        let mut out = Vec::new();
        for p in crate::hive::discover(dir).unwrap() {
            for f in p.files {
                out.push((
                    f.strip_prefix(dir).unwrap().to_path_buf(),
                    std::fs::read(&f).unwrap(),
                ));
            }
        }
        out
    }

    #[test]
    fn writes_hive_layout_deterministically() {
        let a = tempfile::tempdir().unwrap();
        let b = tempfile::tempdir().unwrap();
        let mut cfg = GenerateConfig::new(a.path());
        cfg.days = 2;
        cfg.stations = 300;
        cfg.start = "2024-02-28".parse().unwrap();
        let s = generate(&cfg).unwrap();
        assert_eq!(s.files, 16);
        assert_eq!(s.rows, 300 * 24 * 2);
        assert!(s.bytes > 0);
        assert!(is_complete(a.path()));
        assert!(
            a.path()
                .join("date=2024-02-29/region=europe/part-00000.parquet")
                .is_file()
        );
        assert!(!a.path().join("date=2024-03-01").exists());

        cfg.out = b.path().to_path_buf();
        cfg.threads = 1;
        generate(&cfg).unwrap();
        let (fa, fb) = (read_dir_bytes(a.path()), read_dir_bytes(b.path()));
        assert_eq!(fa.len(), 16);
        assert_eq!(fa, fb, "same seed must give identical files");
    }

    #[test]
    fn rejects_bad_interval() {
        let mut cfg = GenerateConfig::new("/nonexistent");
        cfg.interval_minutes = 7;
        assert!(matches!(generate(&cfg), Err(ServerError::Usage(_))));
    }

    #[test]
    fn generated_file_reads_back_with_schema() {
        let world = World::new(42, 100);
        let batch = region_day(&world, 0, "2024-01-01".parse().unwrap(), 60).unwrap();
        let bytes = writer::to_parquet_bytes(&batch).unwrap();
        let reader = parquet::arrow::arrow_reader::ParquetRecordBatchReaderBuilder::try_new(
            bytes::Bytes::from(bytes),
        )
        .unwrap();
        assert_eq!(reader.schema().fields(), file_schema().fields());
        let back: Vec<_> = reader.build().unwrap().collect::<Result<_, _>>().unwrap();
        assert_eq!(
            back.iter().map(|b| b.num_rows()).sum::<usize>(),
            batch.num_rows()
        );
    }
}
