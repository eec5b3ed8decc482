//! Shared harness for the end-to-end suites (`tests/tests/*.rs`).
//!
//! - [`clients`]: the client compatibility suite (drivers, shared servers, run diffs);
//! - [`pg`]: a throwaway PostgreSQL 15 cluster, the oracle (one per test process,
//!   one database per test);
//! - [`server`]: the real `isotherm` binary as a child process (serve, restart,
//!   kill -9) and its CLI subcommands (`generate`, `push`), plus `psql`;
//! - [`admin`]: the admin HTTP API;
//! - [`data`] and [`parquet_io`]: edge-case rows, Parquet encoding and decoding;
//! - [`pg_load`]: the same rows into PostgreSQL;
//! - [`cell`] and [`compare`]: answers from both servers, decoded and compared;
//! - [`fixture`]: a served dataset plus the same rows in PostgreSQL;
//! - [`corpus`]: the BI-tool SQL corpora of `tests/corpora/`;
//! - [`queries`] and [`querygen`]: the fixed query list and the seeded generator.

pub mod admin;
pub mod cell;
pub mod clients;
pub mod compare;
pub mod corpus;
pub mod data;
pub mod error;
pub mod fixture;
pub mod parquet_io;
pub mod pg;
pub mod pg_load;
pub mod queries;
pub mod querygen;
pub mod rng;
pub mod server;

pub use error::{Error, Result};
