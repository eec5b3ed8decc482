//! The admin API's handlers. Index calls that do real work (put, delete,
//! define) run on tokio's blocking pool.

use std::path::PathBuf;

use axum::Json;
use axum::body::Bytes;
use axum::extract::rejection::{BytesRejection, PathRejection};
use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::IntoResponse;
use isotherm_indexer::{DeleteOutcome, PartitionInfo, PutOutcome, TableDefinition, TableInfo};
use serde::Deserialize;

use super::AdminState;
use super::error::ApiError;
use super::jobs::{JobStatus, check_load_dir};

type ApiResult<T> = Result<T, ApiError>;

/// Runs an index call on the blocking pool.
async fn blocking<T, F>(f: F) -> ApiResult<T>
where
    F: FnOnce() -> Result<T, isotherm_indexer::IndexError> + Send + 'static,
    T: Send + 'static,
{
    Ok(tokio::task::spawn_blocking(f).await??)
}

pub async fn put_partition(
    State(state): State<AdminState>,
    path: Result<Path<(String, String)>, PathRejection>,
    body: Result<Bytes, BytesRejection>,
) -> ApiResult<Json<PutOutcome>> {
    let Path((table, partition)) = path?;
    let body = body?;
    let db = state.db.clone();
    let outcome = blocking(move || db.put_partition(&table, &partition, body)).await?;
    tracing::info!(
        table = %outcome.table,
        partition = %outcome.partition,
        rows = outcome.rows,
        "partition stored"
    );
    Ok(Json(outcome))
}

pub async fn delete_partition(
    State(state): State<AdminState>,
    path: Result<Path<(String, String)>, PathRejection>,
) -> ApiResult<Json<DeleteOutcome>> {
    let Path((table, partition)) = path?;
    let db = state.db.clone();
    Ok(Json(
        blocking(move || db.delete_partition(&table, &partition)).await?,
    ))
}

/// `PUT /v1/tables/{table}/partitions` (no partition path).
pub async fn missing_partition_path(path: Result<Path<String>, PathRejection>) -> ApiError {
    let table = path.map(|Path(t)| t).unwrap_or_default();
    ApiError::bad_request(
        "bad_partition_path",
        format!("no partition values: use /v1/tables/{table}/partitions/col=value[/col=value...]"),
    )
}

#[derive(Debug, Deserialize)]
struct LoadRequest {
    path: PathBuf,
}

pub async fn load(
    State(state): State<AdminState>,
    path: Result<Path<String>, PathRejection>,
    body: Result<Bytes, BytesRejection>,
) -> ApiResult<impl IntoResponse> {
    let Path(table) = path?;
    let req: LoadRequest = serde_json::from_slice(&body?).map_err(|e| ApiError::bad_json(&e))?;
    let dir = req.path.clone();
    tokio::task::spawn_blocking(move || check_load_dir(&dir)).await??;
    let job_id = state.jobs.start(state.db.clone(), table, req.path);
    Ok((
        StatusCode::ACCEPTED,
        Json(serde_json::json!({ "job_id": job_id })),
    ))
}

pub async fn job(
    State(state): State<AdminState>,
    Path(id): Path<String>,
) -> ApiResult<Json<JobStatus>> {
    state.jobs.get(&id).map(Json).ok_or_else(|| {
        ApiError::new(
            StatusCode::NOT_FOUND,
            "unknown_job",
            format!("job \"{id}\" does not exist"),
        )
    })
}

pub async fn list_tables(State(state): State<AdminState>) -> Json<serde_json::Value> {
    Json(serde_json::json!({ "tables": state.db.list_tables() }))
}

pub async fn table_info(
    State(state): State<AdminState>,
    path: Result<Path<String>, PathRejection>,
) -> ApiResult<Json<TableInfo>> {
    let Path(table) = path?;
    Ok(Json(state.db.table_info(&table)?))
}

pub async fn partitions(
    State(state): State<AdminState>,
    path: Result<Path<String>, PathRejection>,
) -> ApiResult<Json<serde_json::Value>> {
    let Path(table) = path?;
    let list: Vec<PartitionInfo> = state.db.partitions(&table)?;
    Ok(Json(
        serde_json::json!({ "table": table, "partitions": list }),
    ))
}

pub async fn define_table(
    State(state): State<AdminState>,
    path: Result<Path<String>, PathRejection>,
    body: Result<Bytes, BytesRejection>,
) -> ApiResult<Json<TableInfo>> {
    let Path(table) = path?;
    let def: TableDefinition =
        serde_json::from_slice(&body?).map_err(|e| ApiError::bad_json(&e))?;
    let db = state.db.clone();
    Ok(Json(blocking(move || db.define_table(&table, def)).await?))
}

pub async fn health(State(state): State<AdminState>) -> Json<serde_json::Value> {
    let tables = state.db.list_tables();
    Json(serde_json::json!({
        "status": "ok",
        "version": env!("CARGO_PKG_VERSION"),
        "uptime_s": state.started.elapsed().as_secs(),
        "tables": tables.len(),
        "recovery": state.db.recovery_report(),
    }))
}

pub async fn not_found() -> ApiError {
    ApiError::not_found("no such endpoint; see GET /health and /v1/tables")
}

pub async fn method_not_allowed() -> ApiError {
    ApiError::new(
        StatusCode::METHOD_NOT_ALLOWED,
        "method_not_allowed",
        "method not allowed on this endpoint",
    )
}
