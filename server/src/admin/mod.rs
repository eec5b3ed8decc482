//! The admin HTTP API (default `127.0.0.1:8433`), JSON in and out.
//!
//! | method | path                                      | does                                   |
//! |--------|-------------------------------------------|----------------------------------------|
//! | PUT    | /v1/tables/{table}/partitions/{*path}     | store a Parquet body as that partition |
//! | DELETE | /v1/tables/{table}/partitions/{*path}     | drop the partition                     |
//! | GET    | /v1/tables/{table}/partitions             | `{"table", "partitions": [PartitionInfo...]}` |
//! | POST   | /v1/tables/{table}/load `{"path": dir}`   | 202 `{"job_id"}`: load a Hive dir      |
//! | GET    | /v1/jobs/{id}                             | a load job's progress                  |
//! | GET    | /v1/tables                                | `{"tables": [TableInfo...]}`           |
//! | GET    | /v1/tables/{table}                        | TableInfo                              |
//! | PUT    | /v1/tables/{table}  (TableDefinition)     | set dimensions, measures, rollups      |
//! | GET    | /health                                   | `{"status": "ok", ...}`                |
//!
//! `{*path}` is one or more `col=value` segments (`date=2024-06-01/region=europe`),
//! percent-decoded. Errors are `{"error": kind, "detail": message}` (see [`error`]);
//! unknown routes answer 404, wrong methods 405, bodies over the limit 413.

pub mod error;
pub mod jobs;
pub mod routes;

use std::sync::Arc;
use std::time::Instant;

use axum::Router;
use axum::extract::DefaultBodyLimit;
use axum::routing::{get, post, put};
use isotherm_indexer::Database;

pub use error::ApiError;
pub use jobs::Jobs;

#[derive(Clone)]
pub struct AdminState {
    pub db: Arc<Database>,
    pub jobs: Arc<Jobs>,
    pub started: Instant,
}

impl AdminState {
    pub fn new(db: Arc<Database>) -> Self {
        AdminState {
            db,
            jobs: Arc::new(Jobs::new()),
            started: Instant::now(),
        }
    }
}

/// The admin router; request bodies above `max_body_bytes` get 413.
pub fn router(state: AdminState, max_body_bytes: usize) -> Router {
    Router::new()
        .route("/health", get(routes::health))
        .route("/v1/tables", get(routes::list_tables))
        .route(
            "/v1/tables/{table}",
            get(routes::table_info).put(routes::define_table),
        )
        .route(
            "/v1/tables/{table}/partitions",
            get(routes::partitions).put(routes::missing_partition_path),
        )
        .route(
            "/v1/tables/{table}/partitions/",
            put(routes::missing_partition_path),
        )
        .route(
            "/v1/tables/{table}/partitions/{*path}",
            put(routes::put_partition).delete(routes::delete_partition),
        )
        .route("/v1/tables/{table}/load", post(routes::load))
        .route("/v1/jobs/{id}", get(routes::job))
        .fallback(routes::not_found)
        .method_not_allowed_fallback(routes::method_not_allowed)
        .layer(DefaultBodyLimit::max(max_body_bytes))
        .with_state(state)
}
