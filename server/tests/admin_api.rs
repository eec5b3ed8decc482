//! The admin API in-process against a real `Database` in a temp dir: a
//! router bound on 127.0.0.1:0, driven with reqwest.
#![allow(clippy::unwrap_used)]

use std::sync::Arc;
use std::time::{Duration, Instant};

use arrow::array::{ArrayRef, StringArray};
use arrow::record_batch::RecordBatch;
use isotherm_indexer::Database;
use isotherm_server::admin::{self, AdminState};
use isotherm_server::generate::{self, GenerateConfig, World, region_day, writer};
use serde_json::Value;

struct Admin {
    base: String,
    client: reqwest::Client,
    _dir: tempfile::TempDir,
}

async fn start(max_body_bytes: usize) -> Admin {
    let dir = tempfile::tempdir().unwrap();
    let db = Arc::new(Database::open(&dir.path().join("data")).unwrap());
    let app = admin::router(AdminState::new(db), max_body_bytes);
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    tokio::spawn(async move { axum::serve(listener, app).await });
    Admin {
        base: format!("http://{addr}"),
        client: reqwest::Client::new(),
        _dir: dir,
    }
}

impl Admin {
    async fn send(
        &self,
        method: reqwest::Method,
        path: &str,
        body: Option<Vec<u8>>,
    ) -> (u16, Value) {
        let mut req = self.client.request(method, format!("{}{path}", self.base));
        if let Some(b) = body {
            req = req.body(b);
        }
        let resp = req.send().await.unwrap();
        let status = resp.status().as_u16();
        let text = resp.text().await.unwrap();
        let json = serde_json::from_str(&text)
            .unwrap_or_else(|e| panic!("{path}: not JSON ({e}): {text}"));
        (status, json)
    }
    async fn get(&self, path: &str) -> (u16, Value) {
        self.send(reqwest::Method::GET, path, None).await
    }
    async fn put(&self, path: &str, body: Vec<u8>) -> (u16, Value) {
        self.send(reqwest::Method::PUT, path, Some(body)).await
    }
}

fn europe_day(date: &str) -> (Vec<u8>, usize) {
    let world = World::new(42, 200);
    let batch = region_day(&world, 3, date.parse().unwrap(), 60).unwrap();
    (writer::to_parquet_bytes(&batch).unwrap(), batch.num_rows())
}

#[tokio::test]
async fn put_then_bad_bodies_leave_the_table_as_it_was() {
    let a = start(64 << 20).await;
    let (body, rows) = europe_day("2024-06-01");
    let (status, out) = a
        .put(
            "/v1/tables/weather/partitions/date=2024-06-01/region=europe",
            body,
        )
        .await;
    assert_eq!(status, 200, "{out}");
    assert_eq!(out["table"], "weather");
    assert_eq!(out["partition"], "date=2024-06-01/region=europe");
    assert_eq!(out["rows"].as_u64(), Some(rows as u64));
    assert!(out["version"].as_u64().is_some(), "{out}");

    let (status, before) = a.get("/v1/tables/weather").await;
    assert_eq!(status, 200, "{before}");

    let (status, err) = a
        .put(
            "/v1/tables/weather/partitions/date=2024-06-02/region=europe",
            b"not parquet".to_vec(),
        )
        .await;
    assert_eq!(status, 400, "{err}");
    assert_eq!(err["error"], "bad_parquet");
    assert!(err["detail"].as_str().unwrap().contains("Parquet"), "{err}");

    // Truncated real Parquet.
    let (body, _) = europe_day("2024-06-02");
    let (status, err) = a
        .put(
            "/v1/tables/weather/partitions/date=2024-06-02/region=europe",
            body[..body.len() / 2].to_vec(),
        )
        .await;
    assert_eq!(
        (status, err["error"].as_str()),
        (400, Some("bad_parquet")),
        "{err}"
    );

    // No partition values.
    let (body, _) = europe_day("2024-06-03");
    for path in [
        "/v1/tables/weather/partitions/",
        "/v1/tables/weather/partitions",
        "/v1/tables/weather/partitions/europe",
    ] {
        let (status, err) = a.put(path, body.clone()).await;
        assert_eq!(status, 400, "{path}: {err}");
        assert_eq!(err["error"], "bad_partition_path", "{path}: {err}");
    }

    // Same columns, but temperature as text.
    let (body, _) = europe_day("2024-06-04");
    let batch = parquet::arrow::arrow_reader::ParquetRecordBatchReaderBuilder::try_new(
        bytes::Bytes::from(body),
    )
    .unwrap()
    .build()
    .unwrap()
    .next()
    .unwrap()
    .unwrap();
    let mut columns: Vec<ArrayRef> = batch.columns().to_vec();
    columns[3] = Arc::new(StringArray::from(vec!["warm"; batch.num_rows()]));
    let mut fields: Vec<arrow::datatypes::Field> = batch
        .schema()
        .fields()
        .iter()
        .map(|f| f.as_ref().clone())
        .collect();
    fields[3] = arrow::datatypes::Field::new("temperature", arrow::datatypes::DataType::Utf8, true);
    let bad =
        RecordBatch::try_new(Arc::new(arrow::datatypes::Schema::new(fields)), columns).unwrap();
    let (status, err) = a
        .put(
            "/v1/tables/weather/partitions/date=2024-06-04/region=europe",
            writer::to_parquet_bytes(&bad).unwrap(),
        )
        .await;
    assert_eq!(status, 409, "{err}");
    assert_eq!(err["error"], "schema_mismatch");

    let (status, after) = a.get("/v1/tables/weather").await;
    assert_eq!(status, 200);
    assert_eq!(before, after, "failed pushes must not change the table");
    let (status, parts) = a.get("/v1/tables/weather/partitions").await;
    assert_eq!(status, 200);
    assert_eq!(
        parts["partitions"].as_array().map(Vec::len),
        Some(1),
        "{parts}"
    );
}

#[tokio::test]
async fn errors_are_json_with_the_right_status() {
    let a = start(4096).await;
    let (status, err) = a.get("/v1/tables/nope").await;
    assert_eq!(
        (status, err["error"].as_str()),
        (404, Some("unknown_table")),
        "{err}"
    );
    let (status, err) = a.get("/v1/tables/nope/partitions").await;
    assert_eq!(
        (status, err["error"].as_str()),
        (404, Some("unknown_table")),
        "{err}"
    );
    let (status, err) = a.get("/no/such/route").await;
    assert_eq!((status, err["error"].as_str()), (404, Some("not_found")));
    let (status, err) = a.send(reqwest::Method::DELETE, "/v1/tables", None).await;
    assert_eq!(
        (status, err["error"].as_str()),
        (405, Some("method_not_allowed"))
    );
    let (status, err) = a.get("/v1/jobs/job-999").await;
    assert_eq!((status, err["error"].as_str()), (404, Some("unknown_job")));

    let (status, err) = a
        .put(
            "/v1/tables/weather/partitions/date=2024-06-01/region=europe",
            vec![0u8; 10_000],
        )
        .await;
    assert_eq!(
        (status, err["error"].as_str()),
        (413, Some("payload_too_large")),
        "{err}"
    );

    let (status, err) = a
        .put("/v1/tables/weather", b"{\"rollups\": [".to_vec())
        .await;
    assert_eq!(
        (status, err["error"].as_str()),
        (400, Some("bad_json")),
        "{err}"
    );
    let (status, err) = a
        .send(
            reqwest::Method::POST,
            "/v1/tables/weather/load",
            Some(b"{}".to_vec()),
        )
        .await;
    assert_eq!(
        (status, err["error"].as_str()),
        (400, Some("bad_json")),
        "{err}"
    );
    assert!(err["detail"].as_str().unwrap().contains("path"), "{err}");

    let (status, err) = a
        .send(
            reqwest::Method::DELETE,
            "/v1/tables/nope/partitions/date=2024-06-01",
            None,
        )
        .await;
    assert_eq!(status, 404, "{err}");

    let (status, health) = a.get("/health").await;
    assert_eq!((status, health["status"].as_str()), (200, Some("ok")));
    let (status, tables) = a.get("/v1/tables").await;
    assert_eq!(status, 200);
    assert_eq!(tables["tables"].as_array().map(Vec::len), Some(0));
}

#[tokio::test]
async fn load_job_loads_a_generated_dataset_and_delete_drops_a_partition() {
    let a = start(64 << 20).await;
    let src = tempfile::tempdir().unwrap();
    let mut cfg = GenerateConfig::new(src.path());
    cfg.days = 2;
    cfg.stations = 40;
    let generated = generate::generate(&cfg).unwrap();
    assert_eq!(generated.files, 16);

    let body = serde_json::json!({ "path": src.path() })
        .to_string()
        .into_bytes();
    let (status, out) = a
        .send(reqwest::Method::POST, "/v1/tables/weather/load", Some(body))
        .await;
    assert_eq!(status, 202, "{out}");
    let id = out["job_id"].as_str().unwrap().to_string();

    let deadline = Instant::now() + Duration::from_secs(60);
    let job = loop {
        let (status, job) = a.get(&format!("/v1/jobs/{id}")).await;
        assert_eq!(status, 200, "{job}");
        if job["state"] != "running" {
            break job;
        }
        assert!(Instant::now() < deadline, "job did not finish: {job}");
        tokio::time::sleep(Duration::from_millis(50)).await;
    };
    assert_eq!(job["state"], "done", "{job}");
    assert_eq!(job["partitions_total"], 16);
    assert_eq!(job["partitions_done"], 16);
    assert_eq!(job["rows"].as_u64(), Some(generated.rows));
    assert_eq!(job["errors"].as_array().map(Vec::len), Some(0));

    let (_, parts) = a.get("/v1/tables/weather/partitions").await;
    assert_eq!(
        parts["partitions"].as_array().map(Vec::len),
        Some(16),
        "{parts}"
    );

    let (status, out) = a
        .send(
            reqwest::Method::DELETE,
            "/v1/tables/weather/partitions/date=2024-01-01/region=europe",
            None,
        )
        .await;
    assert_eq!(status, 200, "{out}");
    let (_, parts) = a.get("/v1/tables/weather/partitions").await;
    assert_eq!(
        parts["partitions"].as_array().map(Vec::len),
        Some(15),
        "{parts}"
    );

    // A missing directory and a file are refused before a job starts.
    let body = br#"{"path": "/definitely/not/here"}"#.to_vec();
    let (status, err) = a
        .send(reqwest::Method::POST, "/v1/tables/weather/load", Some(body))
        .await;
    assert_eq!(
        (status, err["error"].as_str()),
        (404, Some("path_not_found"))
    );
    let marker = src.path().join(generate::COMPLETE_MARKER);
    let body = serde_json::json!({ "path": marker })
        .to_string()
        .into_bytes();
    let (status, err) = a
        .send(reqwest::Method::POST, "/v1/tables/weather/load", Some(body))
        .await;
    assert_eq!(
        (status, err["error"].as_str()),
        (400, Some("not_a_directory"))
    );
}
