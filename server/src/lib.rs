//! The `isotherm` binary's library: CLI, startup, the admin HTTP API, load
//! jobs, the dataset generator and the push client. It wires
//! `isotherm_indexer::Database` to `isotherm_protocol::serve` and to the admin
//! API, and owns no index logic.

pub mod admin;
pub mod cli;
pub mod commands;
pub mod demo;
pub mod error;
pub mod generate;
pub mod hive;
pub mod push;
pub mod serve;

pub use commands::run;
pub use error::{Result, ServerError};
