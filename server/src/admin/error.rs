//! The admin API's errors: every failure is a JSON body
//! `{"error": "<kind>", "detail": "<message>"}` with an HTTP status.
//!
//! | kind                                   | status |
//! |----------------------------------------|--------|
//! | unknown_table, unknown_partition, not_found, unknown_job, path_not_found | 404 |
//! | unknown_column, bad_parquet, bad_partition_path, bad_definition, invalid_value, undefined_function, type_mismatch, bad_json, bad_request, not_a_directory | 400 |
//! | method_not_allowed                     | 405    |
//! | schema_mismatch                        | 409    |
//! | payload_too_large                      | 413    |
//! | unsupported                            | 422    |
//! | corrupted, storage, internal           | 500    |

use axum::Json;
use axum::extract::rejection::{BytesRejection, PathRejection};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use isotherm_indexer::IndexError;

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ApiError {
    pub status: StatusCode,
    pub kind: &'static str,
    pub detail: String,
}

impl ApiError {
    pub fn new(status: StatusCode, kind: &'static str, detail: impl Into<String>) -> Self {
        ApiError {
            status,
            kind,
            detail: detail.into(),
        }
    }

    pub fn not_found(detail: impl Into<String>) -> Self {
        ApiError::new(StatusCode::NOT_FOUND, "not_found", detail)
    }

    pub fn bad_request(kind: &'static str, detail: impl Into<String>) -> Self {
        ApiError::new(StatusCode::BAD_REQUEST, kind, detail)
    }

    pub fn internal(detail: impl Into<String>) -> Self {
        ApiError::new(StatusCode::INTERNAL_SERVER_ERROR, "internal", detail)
    }

    /// A JSON body that does not parse or lacks a field.
    pub fn bad_json(err: &serde_json::Error) -> Self {
        ApiError::bad_request("bad_json", format!("invalid JSON body: {err}"))
    }
}

/// The HTTP status and error kind of an index error.
pub fn index_error_status(err: &IndexError) -> (StatusCode, &'static str) {
    match err {
        IndexError::UnknownTable(_) => (StatusCode::NOT_FOUND, "unknown_table"),
        IndexError::UnknownPartition { .. } => (StatusCode::NOT_FOUND, "unknown_partition"),
        IndexError::UnknownColumn { .. } => (StatusCode::BAD_REQUEST, "unknown_column"),
        IndexError::BadParquet(_) => (StatusCode::BAD_REQUEST, "bad_parquet"),
        IndexError::BadPartitionPath { .. } => (StatusCode::BAD_REQUEST, "bad_partition_path"),
        IndexError::BadDefinition(_) => (StatusCode::BAD_REQUEST, "bad_definition"),
        IndexError::InvalidValue { .. } => (StatusCode::BAD_REQUEST, "invalid_value"),
        IndexError::UndefinedFunction(_) => (StatusCode::BAD_REQUEST, "undefined_function"),
        IndexError::TypeMismatch(_) => (StatusCode::BAD_REQUEST, "type_mismatch"),
        IndexError::SchemaMismatch { .. } => (StatusCode::CONFLICT, "schema_mismatch"),
        IndexError::Unsupported(_) => (StatusCode::UNPROCESSABLE_ENTITY, "unsupported"),
        IndexError::Corrupted { .. } => (StatusCode::INTERNAL_SERVER_ERROR, "corrupted"),
        IndexError::Storage(_) => (StatusCode::INTERNAL_SERVER_ERROR, "storage"),
        IndexError::Internal(_) => (StatusCode::INTERNAL_SERVER_ERROR, "internal"),
    }
}

impl From<IndexError> for ApiError {
    fn from(err: IndexError) -> Self {
        let (status, kind) = index_error_status(&err);
        if status.is_server_error() {
            tracing::error!(error = %err, "admin request failed");
        }
        ApiError::new(status, kind, err.to_string())
    }
}

impl From<BytesRejection> for ApiError {
    fn from(rej: BytesRejection) -> Self {
        let status = rej.status();
        let kind = if status == StatusCode::PAYLOAD_TOO_LARGE {
            "payload_too_large"
        } else {
            "bad_request"
        };
        ApiError::new(status, kind, rej.body_text())
    }
}

impl From<PathRejection> for ApiError {
    fn from(rej: PathRejection) -> Self {
        let status = rej.status();
        let kind = if status.is_server_error() {
            "internal"
        } else {
            "bad_request"
        };
        ApiError::new(status, kind, rej.body_text())
    }
}

impl From<tokio::task::JoinError> for ApiError {
    fn from(err: tokio::task::JoinError) -> Self {
        ApiError::internal(format!("worker task failed: {err}"))
    }
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        let body = serde_json::json!({ "error": self.kind, "detail": self.detail });
        (self.status, Json(body)).into_response()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::path::PathBuf;

    #[test]
    fn index_errors_map_to_documented_statuses() {
        let cases: Vec<(IndexError, u16, &str)> = vec![
            (IndexError::UnknownTable("t".into()), 404, "unknown_table"),
            (
                IndexError::UnknownPartition {
                    table: "t".into(),
                    partition: "p=1".into(),
                },
                404,
                "unknown_partition",
            ),
            (
                IndexError::UnknownColumn {
                    table: "t".into(),
                    column: "c".into(),
                },
                400,
                "unknown_column",
            ),
            (IndexError::BadParquet("eof".into()), 400, "bad_parquet"),
            (
                IndexError::BadPartitionPath {
                    path: "x".into(),
                    reason: "r".into(),
                },
                400,
                "bad_partition_path",
            ),
            (IndexError::BadDefinition("d".into()), 400, "bad_definition"),
            (
                IndexError::InvalidValue {
                    ty: "date",
                    value: "x".into(),
                },
                400,
                "invalid_value",
            ),
            (
                IndexError::SchemaMismatch {
                    table: "t".into(),
                    detail: "d".into(),
                },
                409,
                "schema_mismatch",
            ),
            (IndexError::Unsupported("u".into()), 422, "unsupported"),
            (
                IndexError::Corrupted {
                    table: "t".into(),
                    partition: "p=1".into(),
                    path: PathBuf::from("s"),
                },
                500,
                "corrupted",
            ),
            (IndexError::Internal("i".into()), 500, "internal"),
        ];
        for (err, status, kind) in cases {
            let display = err.to_string();
            let api = ApiError::from(err);
            assert_eq!(api.status.as_u16(), status, "{kind}");
            assert_eq!(api.kind, kind);
            assert_eq!(api.detail, display);
        }
    }

    #[test]
    fn response_is_json_error_shape() {
        let resp = ApiError::bad_request("bad_json", "oops").into_response();
        assert_eq!(resp.status(), StatusCode::BAD_REQUEST);
        let ct = resp
            .headers()
            .get("content-type")
            .and_then(|v| v.to_str().ok())
            .unwrap_or_default();
        assert_eq!(ct, "application/json");
    }
}
