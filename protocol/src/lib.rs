//! The PostgreSQL face of Isotherm: pgwire handlers, SQL (sqlparser,
//! PostgreSQL dialect) to index requests, post-processing of their answers,
//! session statements, PostgreSQL type encoding, and SQLSTATE errors.
//!
//! ```text
//! server.rs    accept loop (serve)
//! wire/        pgwire: startup, cancel, simple and extended query (see wire/mod.rs)
//! command.rs   query text -> statements (splitting, DECLARE / FETCH / MOVE / CLOSE)
//! general.rs   routing to the general engine, engine parameters
//! rows.rs      materialized results (index values or Arrow) -> DataRows
//! cursor.rs    DECLARE'd cursors and FETCH positions
//! copy.rs      COPY ... TO STDOUT in text, CSV and binary
//! session.rs   SET / SHOW / RESET, settings
//! sql/         parse -> resolve -> plan -> run (see sql/mod.rs)
//! types/       OIDs, text and binary encodings, dates, floats, numerics, Arrow
//! backend.rs   what the SQL face needs from the index (Backend)
//! memory.rs    a naive in-memory Backend for tests
//! eval.rs      row-at-a-time date_trunc / extract / predicates
//! error.rs     SqlError and its SQLSTATEs
//! ```

pub mod backend;
pub mod command;
pub mod copy;
pub mod cursor;
pub mod error;
pub mod eval;
pub mod general;
pub mod memory;
pub mod rows;
pub mod server;
pub mod session;
pub mod sql;
pub mod types;
pub mod wire;

pub use backend::Backend;
pub use error::{SqlError, SqlResult};
pub use isotherm_engine::{Engine, EngineConfig};
pub use memory::MemoryBackend;
pub use server::{engine_config, serve, serve_with_engine};

/// How the server presents itself to clients.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ProtocolConfig {
    /// The default user name (`current_user` when the client sends none).
    pub user: String,
    /// The one database (`current_database()`).
    pub database: String,
    /// The numeric version reported as `server_version` (drivers parse it): `15.0`.
    pub server_version: String,
}

impl Default for ProtocolConfig {
    fn default() -> Self {
        ProtocolConfig {
            user: "isotherm".to_owned(),
            database: "isotherm".to_owned(),
            server_version: "15.0".to_owned(),
        }
    }
}

impl ProtocolConfig {
    /// What `SELECT version()` returns.
    pub fn version_string(&self) -> String {
        let platform = if std::env::consts::OS == "linux" {
            format!("{}-pc-linux-gnu", std::env::consts::ARCH)
        } else {
            format!("{}-{}", std::env::consts::ARCH, std::env::consts::OS)
        };
        format!(
            "PostgreSQL {} on {platform}, compiled by rustc, 64-bit (Isotherm {})",
            self.server_version,
            env!("CARGO_PKG_VERSION")
        )
    }
}
