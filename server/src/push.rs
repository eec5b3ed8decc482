//! `isotherm push`: uploads every partition of a Hive-partitioned directory
//! to a running server's admin API, several at once.
//!
//! Each partition's one Parquet file goes to
//! `PUT {admin}/v1/tables/{table}/partitions/{partition path}` (each path
//! segment percent-encoded). A partition directory holding several Parquet
//! files is reported as failed without being sent (see [`crate::hive`]).

use std::io::IsTerminal;
use std::path::PathBuf;
use std::time::{Duration, Instant};

use futures::StreamExt;
use indicatif::{ProgressBar, ProgressDrawTarget, ProgressStyle};
use reqwest::Url;

use crate::error::{Result, ServerError};
use crate::hive::{self, HivePartition};

#[derive(Debug, Clone)]
pub struct PushConfig {
    pub admin: String,
    pub table: String,
    pub dir: PathBuf,
    pub concurrency: usize,
    /// Draw a progress bar (only if stdout is a terminal).
    pub progress: bool,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PushFailure {
    pub partition: String,
    /// The HTTP status, if the server answered.
    pub status: Option<u16>,
    /// The server's JSON `detail` (or body, or the local error).
    pub error: String,
}

impl std::fmt::Display for PushFailure {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self.status {
            Some(s) => write!(f, "{}: HTTP {s}: {}", self.partition, self.error),
            None => write!(f, "{}: {}", self.partition, self.error),
        }
    }
}

#[derive(Debug, Clone, Default)]
pub struct PushSummary {
    pub pushed: u64,
    pub rows: u64,
    pub bytes: u64,
    pub failed: Vec<PushFailure>,
    pub elapsed: Duration,
}

impl std::fmt::Display for PushSummary {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let secs = self.elapsed.as_secs_f64();
        write!(
            f,
            "pushed {} partitions ({} rows, {} bytes) in {:.2} s ({:.0} rows/s), {} failed",
            self.pushed,
            self.rows,
            self.bytes,
            secs,
            self.rows as f64 / secs.max(1e-9),
            self.failed.len()
        )
    }
}

/// `{admin}/v1/tables/{table}/partitions/{seg}/{seg}...`, each segment encoded.
pub fn partition_url(admin: &Url, table: &str, partition: &str) -> Result<Url> {
    let mut url = admin.clone();
    {
        let mut segs = url
            .path_segments_mut()
            .map_err(|()| ServerError::Usage(format!("--admin {admin} is not a base URL")))?;
        segs.pop_if_empty()
            .extend(["v1", "tables", table, "partitions"]);
        segs.extend(partition.split('/'));
    }
    Ok(url)
}

/// A progress bar drawn on stdout when it is a terminal, hidden otherwise.
pub fn progress_bar(len: u64, enabled: bool, unit: &str) -> ProgressBar {
    let target = if enabled && std::io::stdout().is_terminal() {
        ProgressDrawTarget::stdout()
    } else {
        ProgressDrawTarget::hidden()
    };
    let bar = ProgressBar::with_draw_target(Some(len), target);
    let template = format!(
        "{{elapsed_precise}} [{{bar:40}}] {{pos}}/{{len}} {unit} ({{per_sec}}, eta {{eta}})"
    );
    if let Ok(style) = ProgressStyle::with_template(&template) {
        bar.set_style(style.progress_chars("=> "));
    }
    bar
}

/// The `detail` of an admin API error body, or the body itself.
pub fn error_detail(body: &str) -> String {
    serde_json::from_str::<serde_json::Value>(body)
        .ok()
        .and_then(|v| {
            let kind = v.get("error")?.as_str()?.to_string();
            let detail = v.get("detail").and_then(|d| d.as_str()).unwrap_or_default();
            Some(format!("{kind}: {detail}"))
        })
        .unwrap_or_else(|| body.trim().to_string())
}

struct Pushed {
    rows: u64,
    bytes: u64,
}

async fn push_one(
    client: &reqwest::Client,
    admin: &Url,
    table: &str,
    part: &HivePartition,
) -> Result<Pushed, PushFailure> {
    let fail = |status: Option<u16>, error: String| PushFailure {
        partition: part.path.clone(),
        status,
        error,
    };
    let file = part.single_file().map_err(|e| fail(None, e.to_string()))?;
    let url = partition_url(admin, table, &part.path).map_err(|e| fail(None, e.to_string()))?;
    let body = tokio::fs::read(file)
        .await
        .map_err(|e| fail(None, format!("reading {}: {e}", file.display())))?;
    let bytes = body.len() as u64;
    let resp = client
        .put(url)
        .body(body)
        .send()
        .await
        .map_err(|e| fail(None, e.to_string()))?;
    let status = resp.status();
    let text = resp
        .text()
        .await
        .map_err(|e| fail(Some(status.as_u16()), e.to_string()))?;
    if !status.is_success() {
        return Err(fail(Some(status.as_u16()), error_detail(&text)));
    }
    let rows = serde_json::from_str::<serde_json::Value>(&text)
        .ok()
        .and_then(|v| v.get("rows")?.as_u64())
        .unwrap_or(0);
    Ok(Pushed { rows, bytes })
}

/// Pushes every partition under `cfg.dir`; failures are collected, not fatal.
pub async fn push(cfg: &PushConfig) -> Result<PushSummary> {
    let admin = Url::parse(&cfg.admin)
        .map_err(|e| ServerError::Usage(format!("--admin {}: {e}", cfg.admin)))?;
    let dir = cfg.dir.clone();
    let parts = tokio::task::spawn_blocking(move || hive::discover(&dir))
        .await
        .map_err(|e| ServerError::Failed(format!("directory walk panicked: {e}")))??;
    if parts.is_empty() {
        return Err(ServerError::Hive {
            path: cfg.dir.clone(),
            reason: "no Parquet partitions found".into(),
        });
    }
    let client = reqwest::Client::builder()
        .connect_timeout(Duration::from_secs(10))
        .build()?;
    let started = Instant::now();
    let bar = progress_bar(parts.len() as u64, cfg.progress, "partitions");
    let mut summary = PushSummary::default();
    let mut results = futures::stream::iter(parts.iter())
        .map(|p| push_one(&client, &admin, &cfg.table, p))
        .buffer_unordered(cfg.concurrency.max(1));
    while let Some(r) = results.next().await {
        match r {
            Ok(p) => {
                summary.pushed += 1;
                summary.rows += p.rows;
                summary.bytes += p.bytes;
            }
            Err(f) => {
                bar.suspend(|| eprintln!("failed: {f}"));
                summary.failed.push(f);
            }
        }
        bar.inc(1);
    }
    bar.finish_and_clear();
    summary.failed.sort_by(|a, b| a.partition.cmp(&b.partition));
    summary.elapsed = started.elapsed();
    Ok(summary)
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;
    use axum::Router;
    use axum::extract::Path;
    use axum::http::StatusCode;
    use axum::routing::put;

    #[test]
    fn urls_encode_each_segment() {
        let admin = Url::parse("http://127.0.0.1:8433/").unwrap();
        let u = partition_url(&admin, "weather", "date=2024-01-01/region=north america").unwrap();
        assert_eq!(
            u.as_str(),
            "http://127.0.0.1:8433/v1/tables/weather/partitions/date=2024-01-01/region=north%20america"
        );
        let admin = Url::parse("http://h:1/base").unwrap();
        let u = partition_url(&admin, "t", "a=%/b=é").unwrap();
        assert_eq!(
            u.as_str(),
            "http://h:1/base/v1/tables/t/partitions/a=%25/b=%C3%A9"
        );
        assert!(partition_url(&Url::parse("mailto:x@y").unwrap(), "t", "a=1").is_err());
    }

    #[test]
    fn error_detail_reads_json_or_text() {
        assert_eq!(
            error_detail(r#"{"error":"bad_parquet","detail":"invalid Parquet: eof"}"#),
            "bad_parquet: invalid Parquet: eof"
        );
        assert_eq!(error_detail("plain text\n"), "plain text");
    }

    #[tokio::test]
    async fn pushes_partitions_and_collects_failures() {
        async fn handler(
            Path((table, path)): Path<(String, String)>,
            body: bytes::Bytes,
        ) -> (StatusCode, String) {
            if path.contains("bad") {
                (
                    StatusCode::BAD_REQUEST,
                    r#"{"error":"bad_parquet","detail":"nope"}"#.into(),
                )
            } else {
                (
                    StatusCode::OK,
                    format!(
                        r#"{{"table":"{table}","partition":"{path}","rows":{}}}"#,
                        body.len()
                    ),
                )
            }
        }
        let app = Router::new().route("/v1/tables/{table}/partitions/{*path}", put(handler));
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let addr = listener.local_addr().unwrap();
        tokio::spawn(async move { axum::serve(listener, app).await });

        let dir = tempfile::tempdir().unwrap();
        let write = |rel: &str, len: usize| {
            let p = dir.path().join(rel);
            std::fs::create_dir_all(p.parent().unwrap()).unwrap();
            std::fs::write(p, vec![0u8; len]).unwrap();
        };
        write("date=2024-01-01/region=a/part-00000.parquet", 10);
        write("date=2024-01-02/region=a/part-00000.parquet", 20);
        write("date=2024-01-03/region=bad/part-00000.parquet", 5);
        write("date=2024-01-04/part-00000.parquet", 1);
        write("date=2024-01-04/part-00001.parquet", 1);

        let cfg = PushConfig {
            admin: format!("http://{addr}"),
            table: "weather".into(),
            dir: dir.path().to_path_buf(),
            concurrency: 2,
            progress: false,
        };
        let s = push(&cfg).await.unwrap();
        assert_eq!((s.pushed, s.rows, s.bytes), (2, 30, 30));
        assert_eq!(s.failed.len(), 2);
        assert_eq!(s.failed[0].status, Some(400));
        assert_eq!(s.failed[0].error, "bad_parquet: nope");
        assert_eq!(s.failed[1].status, None);
        assert!(s.failed[1].error.contains("2 Parquet files"));
        assert!(
            s.to_string()
                .starts_with("pushed 2 partitions (30 rows, 30 bytes) in "),
            "{s}"
        );
        assert!(s.to_string().ends_with(", 2 failed"), "{s}");
    }
}
