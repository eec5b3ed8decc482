//! The client compatibility suite's harness (`tests/tests/clients.rs`): every
//! client runs a fixed script of steps against PostgreSQL 15 and against
//! Isotherm holding the same rows, and the two runs must agree step by step.
//!
//! Drivers live in `tests/clients/` (Python: psycopg2, psycopg 3, asyncpg,
//! SQLAlchemy + pandas; Java: pgjdbc; JavaScript: node-postgres); psql and
//! pgbench are driven from [`driver`], tokio-postgres from the test file.
//! Each driver is run as `DRIVER HOST PORT USER DBNAME` and prints one JSON
//! object per line, one per step (flushed as it goes, so a hang or a crash
//! keeps the steps before it):
//!
//! ```text
//! {"step": "by_region",            unique within the client's run
//!  "sql": "SELECT ...",            informative only
//!  "columns": ["region", ...],     column names as the client reports them
//!  "types": [25, 20, ...],         type OIDs or names, where the client exposes them
//!  "rows": [["europe", "12"], ...] values as text, as the client decoded them
//!  "tag": "SELECT 4",              command tag or row count, where exposed
//!  "extra": {...},                 anything else compared (parameter types...)
//!  "error": null | {"sqlstate": "42703", "message": "..."}}
//! ```
//!
//! No expected answers are written anywhere: PostgreSQL's run is the
//! expectation. [`diff`] holds the comparison rules (few, each commented);
//! [`targets`] the two servers shared by the test binary.

pub mod diff;
pub mod driver;
pub mod targets;

pub use diff::{Report, compare_runs};
pub use driver::Run;
pub use targets::{Target, Targets, targets};

/// Compares a client's two runs; the report includes problems of either run
/// (crash, timeout, stray output) and, when anything differs, the tail of
/// Isotherm's log.
pub fn report(client: &str, pg: &Run, iso: &Run, t: &Targets) -> Report {
    let mut r = compare_runs(client, &pg.steps, &iso.steps);
    for (who, run) in [("PostgreSQL", pg), ("Isotherm", iso)] {
        for p in &run.problems {
            r.notes.push(format!("{who} run: {p}"));
        }
    }
    if pg.steps.is_empty() {
        r.notes.push(
            "PostgreSQL's run printed no step: the driver itself is broken, not Isotherm".into(),
        );
    }
    if !r.is_clean() {
        // Setup fills the log with INFO lines about stored partitions: keep the rest.
        let log = t.iso_log_tail(400);
        let interesting: Vec<&str> = log
            .lines()
            .filter(|l| l.contains(" WARN ") || l.contains(" ERROR ") || l.contains("panicked"))
            .collect();
        let from = interesting.len().saturating_sub(15);
        r.server_log = interesting[from..].join("\n");
    }
    r
}

/// Panics with the report unless both runs agree on every step.
pub fn assert_clean(r: &Report) {
    if r.is_clean() {
        println!("{}", r.render());
    } else {
        panic!("\n{}", r.render());
    }
}
