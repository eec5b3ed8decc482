//! The admin HTTP API, as the suites use it.
//!
//! ```text
//! PUT    /v1/tables/{t}/partitions/date=2024-06-01/region=europe   (Parquet body)
//!        -> 200 {table, partition, version, rows, bytes, elapsed_ms}
//! DELETE /v1/tables/{t}/partitions/date=.../region=...
//! POST   /v1/tables/{t}/load {"path": ...} -> {"job_id"};  GET /v1/jobs/{id}
//! GET    /v1/tables/{t} -> {name, columns, dimensions, measures, rollups,
//!                           partitions, rows, bytes, quarantined: [{partition, file, reason}]}
//! errors: 4xx/5xx {"error", "detail"}
//! ```

use std::time::Duration;

use serde_json::Value as Json;

use crate::error::{Context, Result};

/// A status and its JSON body (`Json::Null` when the body is not JSON).
#[derive(Debug, Clone)]
pub struct Reply {
    pub status: u16,
    pub body: Json,
    pub text: String,
}

impl Reply {
    pub fn is_success(&self) -> bool {
        (200..300).contains(&self.status)
    }

    /// A field of the body as an integer.
    pub fn int(&self, key: &str) -> Option<i64> {
        self.body.get(key).and_then(Json::as_i64)
    }

    /// True when the body is `{"error": <string>, "detail": <string>, ...}`.
    pub fn is_error_json(&self) -> bool {
        self.body.get("error").is_some_and(Json::is_string)
            && self.body.get("detail").is_some_and(Json::is_string)
    }
}

pub struct Admin {
    pub base: String,
    http: reqwest::Client,
}

impl Admin {
    pub fn new(base: impl Into<String>) -> Result<Admin> {
        let http = reqwest::Client::builder()
            .timeout(Duration::from_secs(120))
            .build()?;
        Ok(Admin {
            base: base.into(),
            http,
        })
    }

    async fn reply(resp: reqwest::Response) -> Result<Reply> {
        let status = resp.status().as_u16();
        let text = resp.text().await?;
        let body = serde_json::from_str(&text).unwrap_or(Json::Null);
        Ok(Reply { status, body, text })
    }

    pub fn partition_url(&self, table: &str, partition: &str) -> String {
        format!("{}/v1/tables/{table}/partitions/{partition}", self.base)
    }

    pub async fn put_partition(
        &self,
        table: &str,
        partition: &str,
        body: Vec<u8>,
    ) -> Result<Reply> {
        let url = self.partition_url(table, partition);
        let resp = self
            .http
            .put(&url)
            .header("content-type", "application/vnd.apache.parquet")
            .body(body)
            .send()
            .await
            .ctx(&format!("PUT {url}"))?;
        Self::reply(resp).await
    }

    pub async fn delete_partition(&self, table: &str, partition: &str) -> Result<Reply> {
        let url = self.partition_url(table, partition);
        let resp = self
            .http
            .delete(&url)
            .send()
            .await
            .ctx(&format!("DELETE {url}"))?;
        Self::reply(resp).await
    }

    pub async fn get(&self, path: &str) -> Result<Reply> {
        let url = format!("{}{path}", self.base);
        let resp = self
            .http
            .get(&url)
            .send()
            .await
            .ctx(&format!("GET {url}"))?;
        Self::reply(resp).await
    }

    pub async fn table(&self, table: &str) -> Result<Reply> {
        self.get(&format!("/v1/tables/{table}")).await
    }

    pub async fn load(&self, table: &str, path: &str) -> Result<Reply> {
        let url = format!("{}/v1/tables/{table}/load", self.base);
        let resp = self
            .http
            .post(&url)
            .json(&serde_json::json!({ "path": path }))
            .send()
            .await
            .ctx(&format!("POST {url}"))?;
        Self::reply(resp).await
    }

    /// Puts every partition of a dataset; fails on the first non-2xx.
    pub async fn put_dataset(&self, table: &str, ds: &crate::data::Dataset) -> Result<()> {
        for p in &ds.partitions {
            let bytes = crate::parquet_io::encode_partition(ds, p)?;
            let r = self.put_partition(table, &p.path(), bytes).await?;
            if !r.is_success() {
                return Err(crate::Error::new(format!(
                    "PUT {} -> {}: {}",
                    p.path(),
                    r.status,
                    r.text
                )));
            }
        }
        Ok(())
    }
}

/// The `partitions` of a `GET /v1/tables/{t}` body: a count, or a list's length.
pub fn partition_count(table_body: &Json) -> Option<usize> {
    match table_body.get("partitions")? {
        Json::Number(n) => n.as_u64().map(|n| n as usize),
        Json::Array(a) => Some(a.len()),
        _ => None,
    }
}

/// The quarantined entries of a `GET /v1/tables/{t}` body.
pub fn quarantined(table_body: &Json) -> Vec<Json> {
    table_body
        .get("quarantined")
        .and_then(Json::as_array)
        .cloned()
        .unwrap_or_default()
}
