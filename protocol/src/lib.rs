//! The PostgreSQL face of Isotherm: pgwire handlers, SQL (sqlparser,
//! PostgreSQL dialect) to index requests, post-processing of their answers,
//! session statements, PostgreSQL type encoding, and SQLSTATE errors.
//!
//! ```text
//! server.rs    accept loop (serve)
//! handler.rs   pgwire: startup, simple and extended query, row encoding
//! session.rs   SET / SHOW / RESET / BEGIN..., settings
//! sql/         parse -> resolve -> plan -> run (see sql/mod.rs)
//! types/       OIDs, text and binary encodings, dates, floats, numerics
//! backend.rs   what the SQL face needs from the index (Backend)
//! memory.rs    a naive in-memory Backend for tests
//! eval.rs      row-at-a-time date_trunc / extract / predicates
//! error.rs     SqlError and its SQLSTATEs
//! ```

pub mod backend;
pub mod error;
pub mod eval;
pub mod handler;
pub mod memory;
pub mod server;
pub mod session;
pub mod sql;
pub mod types;

pub use backend::Backend;
pub use error::{SqlError, SqlResult};
pub use memory::MemoryBackend;
pub use server::serve;

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
