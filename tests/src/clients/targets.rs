//! The two servers every client runs against, shared by the whole test binary:
//! a PostgreSQL 15 database and an Isotherm server holding the same rows.
//!
//! Both present the same identity so that catalog answers can be compared as
//! they are: user `isotherm` (a superuser in PostgreSQL, as every Isotherm user
//! effectively is), database `isotherm` owned by it, table `public.temperatures`
//! owned by it. PostgreSQL's table is created from the columns Isotherm reports
//! on its admin API (names, types, nullability), not from a fixed DDL, so the
//! catalog comparison checks Isotherm's catalog against its own declared schema.
//!
//! The rows: the edge-case dataset (NULLs, -0.0, 1e100, non-ASCII, empty
//! partition...) plus three days of bulk rows, over 10,000 in all (pgjdbc's
//! `setFetchSize` test reads 10,000).
//!
//! `ISOTHERM_CLIENTS_AGAINST_PG=1` points the "Isotherm" runs at PostgreSQL as
//! well: the suite's self-check (every step must then agree).
//!
//! Lifetime: set up once on first use ([`targets`]) and never dropped (statics
//! are not); a sidecar shell waiting on a pipe kills the Isotherm server and
//! removes its data directory when this process exits, as `pg.rs` does for the
//! PostgreSQL cluster.

use std::process::ChildStdin;
use std::sync::{Mutex, OnceLock};

use serde_json::Value as Json;

use crate::admin::Admin;
use crate::data::{Dataset, EdgeOptions, bulk_dataset, date, edge_dataset};
use crate::error::{Context, Error, Result};
use crate::fixture::TABLE;
use crate::server::Server;

/// The role and database both servers present.
pub const USER: &str = "isotherm";
pub const DATABASE: &str = "isotherm";

/// One server as drivers see it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Target {
    /// `PostgreSQL` or `Isotherm`, for reports.
    pub label: &'static str,
    pub host: String,
    pub port: u16,
    pub user: String,
    pub dbname: String,
}

impl Target {
    /// `HOST PORT USER DBNAME`: every driver's arguments.
    pub fn args(&self) -> Vec<String> {
        vec![
            self.host.clone(),
            self.port.to_string(),
            self.user.clone(),
            self.dbname.clone(),
        ]
    }
}

pub struct Targets {
    pub pg: Target,
    pub iso: Target,
    pub rows: usize,
    server: Mutex<Server>,
    _reaper: Mutex<ChildStdin>,
}

impl Targets {
    /// The Isotherm server's last log lines, for failure reports.
    pub fn iso_log_tail(&self, n: usize) -> String {
        self.server
            .lock()
            .map(|s| s.log_tail(n))
            .unwrap_or_default()
    }
}

static TARGETS: OnceLock<Result<Targets, String>> = OnceLock::new();

/// The shared servers, set up on first call (in a thread of its own with its
/// own tokio runtime, so that any test, async or not, may call this).
pub fn targets() -> Result<&'static Targets> {
    TARGETS
        .get_or_init(|| {
            std::thread::spawn(|| {
                let rt = tokio::runtime::Builder::new_multi_thread()
                    .worker_threads(2)
                    .enable_all()
                    .build()
                    .map_err(|e| e.to_string())?;
                rt.block_on(set_up()).map_err(|e| e.0)
            })
            .join()
            .unwrap_or_else(|_| Err("setting up the client targets panicked".into()))
        })
        .as_ref()
        .map_err(|e| Error::new(format!("client suite setup failed: {e}")))
}

/// The suite's rows: edge cases plus bulk days, over 10,000 rows.
pub fn dataset() -> Dataset {
    let mut ds = edge_dataset(EdgeOptions::default());
    ds.partitions
        .extend(bulk_dataset(date(2025, 1, 1), 3, 1000, 0xC11E).partitions);
    ds
}

async fn set_up() -> Result<Targets> {
    let ds = dataset();

    // Isotherm: a data dir the reaper removes, the rows pushed over the admin API.
    let dir = tempfile::Builder::new()
        .prefix("isotherm-clients-")
        .tempdir()
        .ctx("data dir")?
        .keep();
    let server = Server::start_on(&dir.join("data")).ctx("starting isotherm serve")?;
    let reaper = spawn_reaper(server.pid(), &dir)?;
    let admin = Admin::new(server.admin_url())?;
    admin.put_dataset(TABLE, &ds).await.ctx("pushing rows")?;
    let table = admin.table(TABLE).await?;
    let ddl = create_table_sql(&table.body)
        .map_err(|e| e.context(&format!("GET /v1/tables/{TABLE}: {}", table.text)))?;

    // PostgreSQL: role and database `isotherm`, the same table and rows.
    let cluster = crate::pg::cluster()?;
    let admin_pg = cluster.connect("postgres").await?;
    // Two statements: CREATE DATABASE cannot run in a multi-statement query's transaction.
    for sql in [
        format!("CREATE ROLE {USER} LOGIN SUPERUSER"),
        format!("CREATE DATABASE {DATABASE} OWNER {USER}"),
    ] {
        admin_pg.batch_execute(&sql).await.map_err(|e| {
            let detail = e.as_db_error().map(|d| d.message().to_string());
            Error::new(format!("{sql}: {e} {}", detail.unwrap_or_default()))
        })?;
    }
    let pg = crate::pg::connect("127.0.0.1", cluster.port, USER, DATABASE).await?;
    pg.batch_execute(&ddl).await.ctx(&ddl)?;
    let loaded = crate::pg_load::load_rows(&pg, TABLE, ds.rows()).await?;
    // The COPY's insert counts reach the statistics when the backend next goes
    // idle, at most once a second; flushed after ANALYZE they would be added to
    // the live tuples ANALYZE counted (`n_live_tup` twice the rows). Force the
    // flush first, so the statistics are what a settled server shows.
    pg.batch_execute("SELECT pg_catalog.pg_stat_force_next_flush()")
        .await
        .ctx("pg_stat_force_next_flush")?;
    pg.batch_execute(&format!("ANALYZE {TABLE}")).await?;

    let target = |label, port| Target {
        label,
        host: "127.0.0.1".into(),
        port,
        user: USER.into(),
        dbname: DATABASE.into(),
    };
    // Self-check of the suite: with ISOTHERM_CLIENTS_AGAINST_PG=1 the "Isotherm"
    // runs go to PostgreSQL too, so every step must agree (no flaky or
    // order-dependent step, no rule missing for PostgreSQL against itself).
    let iso_port = if std::env::var_os("ISOTHERM_CLIENTS_AGAINST_PG").is_some() {
        cluster.port
    } else {
        server.pg_port
    };
    Ok(Targets {
        pg: target("PostgreSQL", cluster.port),
        iso: target("Isotherm", iso_port),
        rows: usize::try_from(loaded).unwrap_or(usize::MAX),
        server: Mutex::new(server),
        _reaper: Mutex::new(reaper),
    })
}

/// `CREATE TABLE temperatures (...)` from the admin API's column list
/// (`{"columns": [{"name", "type", "nullable"}, ...]}`), in Isotherm's order.
pub fn create_table_sql(table: &Json) -> Result<String> {
    let cols = table
        .get("columns")
        .and_then(Json::as_array)
        .ok_or_else(|| Error::new("no `columns` list"))?;
    let mut defs = Vec::with_capacity(cols.len());
    for c in cols {
        let name = c
            .get("name")
            .and_then(Json::as_str)
            .ok_or_else(|| Error::new(format!("column without a name: {c}")))?;
        let ty = match c.get("type").and_then(Json::as_str) {
            Some("date") => "date",
            Some("text") => "text",
            Some("timestamptz") => "timestamp with time zone",
            Some("timestamp") => "timestamp without time zone",
            Some("float64") => "double precision",
            Some("int64") => "bigint",
            Some("bool") => "boolean",
            other => return Err(Error::new(format!("column {name}: unknown type {other:?}"))),
        };
        let not_null = if c.get("nullable").and_then(Json::as_bool) == Some(false) {
            " NOT NULL"
        } else {
            ""
        };
        defs.push(format!("\"{name}\" {ty}{not_null}"));
    }
    Ok(format!("CREATE TABLE {TABLE} ({})", defs.join(", ")))
}

/// Kills the server and removes its directory when this process exits.
fn spawn_reaper(pid: Option<u32>, dir: &std::path::Path) -> Result<ChildStdin> {
    let pid = pid.ok_or_else(|| Error::new("isotherm serve has no pid"))?;
    crate::pg::cleanup_on_exit(&format!("kill -9 {pid}"), dir)
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;
    use serde_json::json;

    #[test]
    fn ddl_follows_the_admin_columns() {
        let body = json!({"columns": [
            {"name": "date", "type": "date", "nullable": true},
            {"name": "station", "type": "text", "nullable": false},
            {"name": "measured_at", "type": "timestamptz", "nullable": false},
            {"name": "temperature", "type": "float64"},
        ]});
        assert_eq!(
            create_table_sql(&body).unwrap(),
            "CREATE TABLE temperatures (\"date\" date, \"station\" text NOT NULL, \
             \"measured_at\" timestamp with time zone NOT NULL, \"temperature\" double precision)"
        );
        assert!(create_table_sql(&json!({"columns": [{"name": "x", "type": "blob"}]})).is_err());
        assert!(create_table_sql(&json!({})).is_err());
    }

    #[test]
    fn dataset_is_big_enough_for_fetch_size() {
        assert!(dataset().row_count() > 10_000);
    }
}
