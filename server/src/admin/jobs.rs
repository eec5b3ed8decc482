//! Load jobs: `POST /v1/tables/{table}/load` starts one; it finds the Hive
//! partitions under a server-side directory and pushes each into the table,
//! [`LOAD_WORKERS`] at a time, on tokio's blocking pool.
//!
//! A job is `running` until every partition was tried, then `done` if all
//! loaded or `failed` if any did not (each failure is in `errors`; the other
//! partitions are loaded). `partitions_done` counts partitions tried. Jobs are
//! kept in memory for the life of the process.

use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex, MutexGuard};
use std::time::Instant;

use futures::StreamExt;
use isotherm_indexer::{Database, PutOutcome};
use serde::Serialize;

use crate::error::ServerError;
use crate::hive::{self, HivePartition};

/// Partitions loaded at once by one job.
pub const LOAD_WORKERS: usize = 2;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum JobState {
    Running,
    Done,
    Failed,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct JobError {
    /// The partition path, or empty for a failure of the job as a whole.
    pub partition: String,
    pub error: String,
}

#[derive(Debug, Clone, Serialize)]
pub struct JobStatus {
    pub job_id: String,
    pub table: String,
    pub path: String,
    pub state: JobState,
    pub partitions_total: u64,
    pub partitions_done: u64,
    pub rows: u64,
    pub bytes: u64,
    pub errors: Vec<JobError>,
    pub elapsed_ms: u64,
}

struct Job {
    status: JobStatus,
    started: Instant,
}

/// Every job this process started.
#[derive(Default)]
pub struct Jobs {
    next: AtomicU64,
    jobs: Mutex<HashMap<String, Arc<Mutex<Job>>>>,
}

fn lock<T>(m: &Mutex<T>) -> MutexGuard<'_, T> {
    // A panic while holding a job lock leaves plain counters behind: still usable.
    m.lock().unwrap_or_else(|poisoned| poisoned.into_inner())
}

/// Reads one partition's single Parquet file and puts it into `table`.
pub fn load_partition(
    db: &Database,
    table: &str,
    part: &HivePartition,
) -> Result<PutOutcome, ServerError> {
    let file = part.single_file()?;
    let body = std::fs::read(file)
        .map_err(|e| ServerError::io(format!("reading {}", file.display()), e))?;
    Ok(db.put_partition(table, &part.path, bytes::Bytes::from(body))?)
}

impl Jobs {
    pub fn new() -> Self {
        Jobs::default()
    }

    /// The status of a job, with `elapsed_ms` up to now for a running one.
    pub fn get(&self, id: &str) -> Option<JobStatus> {
        let job = lock(&self.jobs).get(id).cloned()?;
        let job = lock(&job);
        let mut status = job.status.clone();
        if status.state == JobState::Running {
            status.elapsed_ms = elapsed_ms(job.started);
        }
        Some(status)
    }

    /// Starts loading every partition under `dir` into `table`; returns the job id.
    /// Must be called inside a tokio runtime.
    pub fn start(&self, db: Arc<Database>, table: String, dir: PathBuf) -> String {
        let id = format!("job-{}", self.next.fetch_add(1, Ordering::Relaxed) + 1);
        let job = Arc::new(Mutex::new(Job {
            status: JobStatus {
                job_id: id.clone(),
                table: table.clone(),
                path: dir.display().to_string(),
                state: JobState::Running,
                partitions_total: 0,
                partitions_done: 0,
                rows: 0,
                bytes: 0,
                errors: Vec::new(),
                elapsed_ms: 0,
            },
            started: Instant::now(),
        }));
        lock(&self.jobs).insert(id.clone(), job.clone());
        tracing::info!(job = %id, table = %table, dir = %dir.display(), "load job started");
        tokio::spawn(run_job(db, table, dir, job));
        id
    }
}

fn elapsed_ms(since: Instant) -> u64 {
    u64::try_from(since.elapsed().as_millis()).unwrap_or(u64::MAX)
}

async fn run_job(db: Arc<Database>, table: String, dir: PathBuf, job: Arc<Mutex<Job>>) {
    let walk_dir = dir.clone();
    let parts = match tokio::task::spawn_blocking(move || hive::discover(&walk_dir)).await {
        Ok(Ok(parts)) => parts,
        Ok(Err(e)) => return finish(&job, Some(e.to_string())),
        Err(e) => return finish(&job, Some(format!("directory walk failed: {e}"))),
    };
    if parts.is_empty() {
        return finish(
            &job,
            Some(format!("no Parquet partitions under {}", dir.display())),
        );
    }
    lock(&job).status.partitions_total = parts.len() as u64;

    let mut results = futures::stream::iter(parts)
        .map(|part| {
            let db = db.clone();
            let table = table.clone();
            async move {
                let path = part.path.clone();
                let r = tokio::task::spawn_blocking(move || load_partition(&db, &table, &part))
                    .await
                    .map_err(|e| format!("worker task failed: {e}"))
                    .and_then(|r| r.map_err(|e| e.to_string()));
                (path, r)
            }
        })
        .buffer_unordered(LOAD_WORKERS);
    while let Some((partition, result)) = results.next().await {
        let mut j = lock(&job);
        j.status.partitions_done += 1;
        match result {
            Ok(outcome) => {
                j.status.rows += outcome.rows;
                j.status.bytes += outcome.bytes;
            }
            Err(error) => {
                tracing::warn!(job = %j.status.job_id, %partition, %error, "partition failed to load");
                j.status.errors.push(JobError { partition, error });
            }
        }
    }
    finish(&job, None);
}

fn finish(job: &Mutex<Job>, fatal: Option<String>) {
    let mut j = lock(job);
    if let Some(error) = fatal {
        j.status.errors.push(JobError {
            partition: String::new(),
            error,
        });
    }
    j.status.state = if j.status.errors.is_empty() {
        JobState::Done
    } else {
        JobState::Failed
    };
    j.status.elapsed_ms = elapsed_ms(j.started);
    tracing::info!(
        job = %j.status.job_id,
        state = ?j.status.state,
        partitions = j.status.partitions_done,
        rows = j.status.rows,
        errors = j.status.errors.len(),
        elapsed_ms = j.status.elapsed_ms,
        "load job finished"
    );
}

/// Checks a load request's directory before a job starts.
pub fn check_load_dir(path: &Path) -> Result<(), super::error::ApiError> {
    use super::error::ApiError;
    use axum::http::StatusCode;
    match std::fs::metadata(path) {
        Ok(m) if m.is_dir() => Ok(()),
        Ok(_) => Err(ApiError::bad_request(
            "not_a_directory",
            format!("{} is not a directory", path.display()),
        )),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => Err(ApiError::new(
            StatusCode::NOT_FOUND,
            "path_not_found",
            format!("{} does not exist", path.display()),
        )),
        Err(e) => Err(ApiError::bad_request(
            "bad_request",
            format!("{}: {e}", path.display()),
        )),
    }
}
