//! Client compatibility suite: each client (psql, psycopg2, psycopg 3, asyncpg,
//! SQLAlchemy + pandas, pgjdbc, node-postgres, tokio-postgres, pgbench) runs its
//! script of steps against PostgreSQL 15 and against Isotherm holding the same
//! rows; every step must give the same rows, column names and types, command
//! tags and SQLSTATEs. A failure prints each differing step with both answers.
//!
//! Needs the clients installed (`scripts/install-clients.sh`) and the
//! `isotherm` binary built (`cargo build -p isotherm-server`). One PostgreSQL
//! database and one Isotherm server serve every test of this binary.
//! Run one client: `cargo test -p isotherm-tests --test clients pgjdbc`.

use isotherm_tests::clients::driver::{
    jdbc_driver, node_driver, python_driver, run_driver, run_pgbench, run_psql,
};
use isotherm_tests::clients::{Run, Target, assert_clean, report, targets};
use isotherm_tests::{Error, Result};

/// Runs `run` against both targets and asserts the runs agree.
fn check(client: &str, run: impl Fn(&Target) -> Result<Run>) {
    let t = targets().expect("shared PostgreSQL and Isotherm");
    let pg = run(&t.pg).unwrap_or_else(|e| panic!("{client} against PostgreSQL: {e}"));
    let iso = run(&t.iso).unwrap_or_else(|e| panic!("{client} against Isotherm: {e}"));
    assert_clean(&report(client, &pg, &iso, t));
}

fn python(client: &str, script: &str) {
    // Resolve the tool first so a missing install fails clearly (never skips).
    python_driver(script).unwrap_or_else(|e| panic!("{client}: {e}"));
    check(client, |target| run_driver(python_driver(script)?, target));
}

#[test]
fn psql() {
    check("psql", run_psql);
}

#[test]
fn psycopg2() {
    python("psycopg2", "psycopg2_client.py");
}

#[test]
fn psycopg3() {
    python("psycopg3", "psycopg3_client.py");
}

#[test]
fn asyncpg() {
    python("asyncpg", "asyncpg_client.py");
}

#[test]
fn sqlalchemy_and_pandas() {
    python("sqlalchemy", "sqlalchemy_client.py");
}

#[test]
fn pgjdbc() {
    let classes = tempfile::tempdir().expect("class dir");
    jdbc_driver(classes.path()).unwrap_or_else(|e| panic!("pgjdbc: {e}"));
    check("pgjdbc", |target| {
        run_driver(jdbc_driver(classes.path())?, target)
    });
}

#[test]
fn node_postgres() {
    node_driver().unwrap_or_else(|e| panic!("node-postgres: {e}"));
    check("node-postgres", |target| run_driver(node_driver()?, target));
}

#[test]
fn pgbench() {
    check("pgbench", run_pgbench);
}

#[test]
fn tokio_postgres() {
    check("tokio-postgres", |target| {
        let rt = tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()?;
        rt.block_on(tokio_pg::run(target))
    });
}

/// The tokio-postgres driver: extended protocol, binary results, parameters
/// bound with the types the server infers (Describe), statements reused
/// across transactions, a portal read 100 rows at a time, a multi-statement
/// simple query, errors.
mod tokio_pg {
    use super::*;
    use chrono::{DateTime, NaiveDate, TimeZone, Utc};
    use isotherm_tests::cell::{Cell, RawValue};
    use serde_json::{Value as Json, json};
    use tokio_postgres::types::ToSql;
    use tokio_postgres::{Client, Row, SimpleQueryMessage, Statement};

    fn day(y: i32, m: u32, d: u32) -> NaiveDate {
        NaiveDate::from_ymd_opt(y, m, d).unwrap_or(NaiveDate::MIN)
    }

    fn at(y: i32, m: u32, d: u32, h: u32) -> DateTime<Utc> {
        Utc.with_ymd_and_hms(y, m, d, h, 0, 0)
            .single()
            .unwrap_or_default()
    }

    fn micros_text(us: i64, zone: &str) -> String {
        let dt = DateTime::from_timestamp_micros(us).unwrap_or_default();
        format!("{}{zone}", dt.format("%Y-%m-%d %H:%M:%S%.6f"))
    }

    /// A decoded binary value as text (type-tagged where text would hide a difference).
    fn text(c: &Cell) -> Json {
        match c {
            Cell::Null => Json::Null,
            Cell::Bool(b) => json!(format!("bool:{b}")),
            Cell::Int(i) => json!(i.to_string()),
            Cell::Float(f) => json!(format!("{f:?}")),
            Cell::Text(s) => json!(s),
            Cell::Numeric(s) => json!(format!("numeric:{s}")),
            Cell::Date(d) => json!(
                NaiveDate::from_num_days_from_ce_opt(
                    i32::try_from(d + 719_163).unwrap_or(i32::MAX)
                )
                .map(|d| d.to_string())
                .unwrap_or_else(|| format!("date:{d}"))
            ),
            Cell::Timestamp(us) => json!(micros_text(*us, "")),
            Cell::TimestampTz(us) => json!(micros_text(*us, "Z")),
            Cell::Other { oid, bytes } => json!(format!("oid{oid}:{bytes:02x?}")),
        }
    }

    fn rows_json(stmt: &Statement, rows: &[Row]) -> Result<Vec<Json>> {
        let mut out = Vec::with_capacity(rows.len());
        for row in rows {
            let mut cells = Vec::new();
            for (i, col) in stmt.columns().iter().enumerate() {
                let raw: RawValue = row.try_get(i)?;
                cells.push(text(&Cell::decode(col.type_(), raw.0.as_deref())?));
            }
            out.push(Json::Array(cells));
        }
        Ok(out)
    }

    fn describe(stmt: &Statement) -> Json {
        json!({
            "columns": stmt.columns().iter().map(|c| c.name()).collect::<Vec<_>>(),
            "types": stmt.columns().iter().map(|c| c.type_().oid()).collect::<Vec<_>>(),
            "extra": {"param_types": stmt.params().iter().map(|t| t.oid()).collect::<Vec<_>>()},
        })
    }

    fn record(name: &str, sql: &str, out: Result<Json>) -> Json {
        let mut step = json!({"step": name, "sql": sql, "error": null});
        match out {
            Ok(Json::Object(fields)) => {
                for (k, v) in fields {
                    step[k] = v;
                }
            }
            Ok(other) => step["rows"] = other,
            Err(e) => step["error"] = json!({"sqlstate": e.1, "message": e.0}),
        }
        step
    }

    /// The step error: message and SQLSTATE.
    struct StepError(String, Option<String>);
    type Result<T> = std::result::Result<T, StepError>;

    impl From<tokio_postgres::Error> for StepError {
        fn from(e: tokio_postgres::Error) -> Self {
            let code = e.code().map(|c| c.code().to_string());
            let msg = e
                .as_db_error()
                .map(|d| d.message().to_string())
                .unwrap_or_else(|| e.to_string());
            StepError(msg, code)
        }
    }

    impl From<Error> for StepError {
        fn from(e: Error) -> Self {
            StepError(e.0, None)
        }
    }

    async fn prepared(client: &Client, sql: &str, params: &[&(dyn ToSql + Sync)]) -> Result<Json> {
        let stmt = client.prepare(sql).await?;
        let rows = client.query(&stmt, params).await?;
        let mut out = describe(&stmt);
        out["rows"] = Json::Array(rows_json(&stmt, &rows)?);
        Ok(out)
    }

    async fn simple(client: &Client, sql: &str) -> Result<Json> {
        let mut rows = Vec::new();
        let mut tags = Vec::new();
        for m in client.simple_query(sql).await? {
            match m {
                SimpleQueryMessage::Row(r) => {
                    rows.push(Json::Array((0..r.len()).map(|i| json!(r.get(i))).collect()))
                }
                SimpleQueryMessage::CommandComplete(n) => tags.push(n.to_string()),
                _ => {}
            }
        }
        Ok(json!({"rows": rows, "tag": tags.join(";")}))
    }

    const BIG: &str = "SELECT date, region, station, measured_at, temperature, humidity \
        FROM temperatures WHERE date >= $1 ORDER BY date, region, station, measured_at LIMIT 10000";

    async fn portal(client: &mut Client) -> Result<Json> {
        let tx = client.transaction().await?;
        let stmt = tx.prepare(BIG).await?;
        let first = day(2023, 1, 1);
        let portal = tx.bind(&stmt, &[&first]).await?;
        let mut rows = Vec::new();
        let mut batches = 0;
        loop {
            let batch = tx.query_portal(&portal, 100).await?;
            batches += 1;
            rows.extend(rows_json(&stmt, &batch)?);
            if batch.len() < 100 || batches > 200 {
                break;
            }
        }
        tx.commit().await?;
        let mut out = describe(&stmt);
        out["rows"] = Json::Array(rows);
        out["extra"]["batches"] = json!(batches);
        Ok(out)
    }

    /// One statement, executed in two transactions and outside any.
    async fn across_transactions(client: &mut Client) -> Result<Json> {
        let sql = "SELECT region, count(*) FROM temperatures WHERE region = $1 GROUP BY region";
        let stmt = client.prepare(sql).await?;
        let mut rows = Vec::new();
        for region in ["europe", "asia"] {
            let tx = client.transaction().await?;
            rows.extend(rows_json(&stmt, &tx.query(&stmt, &[&region]).await?)?);
            tx.commit().await?;
        }
        rows.extend(rows_json(&stmt, &client.query(&stmt, &[&"africa"]).await?)?);
        Ok(json!({"rows": rows}))
    }

    pub async fn run(target: &Target) -> isotherm_tests::Result<Run> {
        let mut client =
            isotherm_tests::pg::connect(&target.host, target.port, &target.user, &target.dbname)
                .await?;
        let c = &client;
        let mut steps = Vec::new();
        let (d0, d1, leap) = (day(2024, 1, 1), day(2024, 7, 1), day(2024, 2, 29));
        let (t0, t1) = (at(2024, 1, 1, 0), at(2024, 4, 1, 6));
        let queries: Vec<(&str, &str, Vec<&(dyn ToSql + Sync)>)> = vec![
            (
                "date_params",
                "SELECT region, count(*) AS n, avg(temperature), min(temperature), max(temperature) \
                 FROM temperatures WHERE date >= $1 AND date < $2 GROUP BY region ORDER BY region",
                vec![&d0, &d1],
            ),
            (
                "text_param_date_trunc",
                "SELECT date_trunc('month', date) AS month, count(*), sum(humidity) \
                 FROM temperatures WHERE region = $1 GROUP BY 1 ORDER BY 1",
                vec![&"europe"],
            ),
            (
                "text_and_date_params",
                "SELECT station, count(*), max(measured_at) FROM temperatures \
                 WHERE region = $1 AND date = $2 GROUP BY station ORDER BY station",
                vec![&"asia", &leap],
            ),
            (
                "timestamptz_params",
                "SELECT count(*), count(humidity), avg(humidity) FROM temperatures \
                 WHERE measured_at >= $1 AND measured_at < $2",
                vec![&t0, &t1],
            ),
            (
                "float_and_limit_params",
                "SELECT station, count(*) FROM temperatures WHERE temperature > $1 \
                 GROUP BY station ORDER BY station LIMIT $2",
                vec![&12.5f64, &7i64],
            ),
            (
                "no_params_session",
                "SELECT current_database(), current_schema(), current_user",
                vec![],
            ),
            (
                "error_undefined_column",
                "SELECT nosuch FROM temperatures",
                vec![],
            ),
            ("error_undefined_table", "SELECT * FROM nosuch", vec![]),
            (
                "error_bad_param_type",
                "SELECT count(*) FROM temperatures WHERE date = $1",
                vec![&"not a date"],
            ),
        ];
        for (name, sql, params) in &queries {
            steps.push(record(name, sql, prepared(c, sql, params).await));
        }
        let multi = "SELECT count(*) FROM temperatures; SELECT region FROM temperatures \
                     GROUP BY region ORDER BY region";
        steps.push(record(
            "simple_multi_statement",
            multi,
            simple(c, multi).await,
        ));
        steps.push(record(
            "portal_100_rows_at_a_time",
            BIG,
            portal(&mut client).await,
        ));
        steps.push(record(
            "statement_across_transactions",
            "",
            across_transactions(&mut client).await,
        ));
        let last = "SELECT count(*) FROM temperatures";
        steps.push(record(
            "usable_after_errors",
            last,
            prepared(&client, last, &[]).await,
        ));
        Ok(Run {
            steps,
            ..Run::default()
        })
    }
}
