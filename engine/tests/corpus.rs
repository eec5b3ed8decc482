//! The catalog SQL real clients send (captured from PostgreSQL 15 with
//! `log_statement = all` and `psql -E`; see tests/corpus/*.sql) plans and runs
//! on the engine, and the queries that list tables and columns find
//! `temperatures` and its columns. Timing per query is printed (target: a
//! catalog query under 20 ms), not asserted.
#![allow(clippy::unwrap_used)]

mod common;

use std::time::Instant;

use common::{fixture, rows, vars};
use isotherm_engine::ScalarValue;

/// The statements of a corpus file, `{oid}` replaced by the table's OID.
fn corpus(text: &str, oid: i32) -> Vec<String> {
    text.split("\n-- next")
        .map(|s| {
            s.lines()
                .filter(|l| !l.trim_start().starts_with("-- "))
                .collect::<Vec<_>>()
                .join("\n")
        })
        .map(|s| {
            s.trim()
                .trim_end_matches(';')
                .replace("{oid}", &oid.to_string())
        })
        .filter(|s| !s.is_empty())
        .collect()
}

/// Runs every statement; returns (sql, result rows) and the failures.
async fn run_corpus(name: &str, text: &str) -> (Vec<(String, Vec<Vec<String>>)>, Vec<String>) {
    let f = fixture();
    let oid = f.engine.table_oid("temperatures");
    let mut ok = Vec::new();
    let mut failures = Vec::new();
    for sql in corpus(text, oid) {
        // Parameters (a prepared statement's `$n`) are bound to typed NULLs.
        let run = || async {
            let p = f.engine.plan(&sql, &vars(), &[]).await?;
            let params = p
                .param_types
                .iter()
                .map(|t| {
                    t.as_ref()
                        .and_then(|dt| ScalarValue::try_from(dt).ok())
                        .unwrap_or(ScalarValue::Utf8(None))
                })
                .collect();
            p.execute(params).await
        };
        // Warm once (first use builds DataFusion's caches), then time.
        let _ = run().await;
        let t0 = Instant::now();
        let res = run().await;
        let ms = t0.elapsed().as_secs_f64() * 1e3;
        let head: String = sql
            .split_whitespace()
            .collect::<Vec<_>>()
            .join(" ")
            .chars()
            .take(90)
            .collect();
        match res {
            Ok(batches) => {
                let r = rows(&batches);
                println!("[{name}] {ms:7.2} ms  {:4} rows  {head}", r.len());
                ok.push((sql, r));
            }
            Err(e) => {
                println!("[{name}] FAILED {}: {}  {head}", e.sqlstate, e.message);
                failures.push(format!("{head}\n    -> {} {}", e.sqlstate, e.message));
            }
        }
    }
    (ok, failures)
}

fn find<'a>(ok: &'a [(String, Vec<Vec<String>>)], needle: &str) -> &'a Vec<Vec<String>> {
    &ok.iter()
        .find(|(sql, _)| sql.contains(needle))
        .unwrap_or_else(|| panic!("no successful statement containing {needle:?}"))
        .1
}

fn has_row_with(rows: &[Vec<String>], values: &[&str]) -> bool {
    rows.iter()
        .any(|r| values.iter().all(|v| r.iter().any(|c| c == v)))
}

const COLUMNS: [&str; 7] = [
    "date",
    "region",
    "country",
    "station",
    "measured_at",
    "temperature",
    "humidity",
];

#[tokio::test]
async fn psql_backslash_commands() {
    let (ok, failures) = run_corpus("psql", include_str!("corpus/psql.sql")).await;
    assert!(failures.is_empty(), "failures:\n{}", failures.join("\n"));
    // \dt
    let dt = find(&ok, "WHEN 'I' THEN 'partitioned index' END as \"Type\"");
    assert!(
        has_row_with(dt, &["public", "temperatures", "table", "isotherm"]),
        "{dt:?}"
    );
    // \d temperatures: the table, then its columns with PostgreSQL type names.
    let d = find(&ok, "OPERATOR(pg_catalog.~) '^(temperatures)$'");
    assert!(has_row_with(d, &["public", "temperatures"]), "{d:?}");
    let cols = find(
        &ok,
        "pg_catalog.format_type(a.atttypid, a.atttypmod),\n  (SELECT",
    );
    let names: Vec<&str> = cols.iter().map(|r| r[0].as_str()).collect();
    assert_eq!(names, COLUMNS);
    assert!(
        has_row_with(cols, &["measured_at", "timestamp with time zone"]),
        "{cols:?}"
    );
    assert!(
        has_row_with(cols, &["temperature", "double precision"]),
        "{cols:?}"
    );
    assert!(has_row_with(cols, &["date", "date"]), "{cols:?}");
    // \l
    let l = find(&ok, "FROM pg_catalog.pg_database d");
    assert!(has_row_with(l, &["isotherm", "UTF8"]), "{l:?}");
    // \dn
    let dn = find(
        &ok,
        "WHERE n.nspname !~ '^pg_' AND n.nspname <> 'information_schema'",
    );
    // PostgreSQL 15: `public` belongs to pg_database_owner.
    assert_eq!(
        dn,
        &vec![vec!["public".to_owned(), "pg_database_owner".to_owned()]]
    );
}

#[tokio::test]
async fn pgjdbc_database_metadata() {
    let (ok, failures) = run_corpus("pgjdbc", include_str!("corpus/pgjdbc.sql")).await;
    for f in &failures {
        println!("pgjdbc gap: {f}");
    }
    let schemas = find(&ok, "AS TABLE_SCHEM, NULL AS TABLE_CATALOG");
    assert!(has_row_with(schemas, &["public"]), "{schemas:?}");
    let tables = find(&ok, "AND n.nspname LIKE 'public' AND c.relname LIKE '%'");
    assert!(
        has_row_with(tables, &["public", "temperatures", "TABLE"]),
        "{tables:?}"
    );
    let columns = find(
        &ok,
        "SELECT * FROM (SELECT n.nspname,c.relname,a.attname,a.atttypid",
    );
    let names: Vec<&str> = columns.iter().map(|r| r[2].as_str()).collect();
    assert_eq!(names, COLUMNS);
    assert!(
        has_row_with(columns, &["measured_at", "1184"]),
        "{columns:?}"
    );
    assert!(
        has_row_with(columns, &["temperature", "701"]),
        "{columns:?}"
    );
    assert!(failures.is_empty(), "failures:\n{}", failures.join("\n"));
}

#[tokio::test]
async fn sqlalchemy_inspector() {
    let (ok, failures) = run_corpus("sqlalchemy", include_str!("corpus/sqlalchemy.sql")).await;
    for f in &failures {
        println!("sqlalchemy gap: {f}");
    }
    let schemas = find(&ok, "NOT LIKE 'pg/_' || '%' ESCAPE '/'");
    let names: Vec<&str> = schemas.iter().map(|r| r[0].as_str()).collect();
    assert_eq!(names, ["information_schema", "public"]);
    let tables = find(
        &ok,
        "relkind = ANY (ARRAY['r', 'p']) AND pg_catalog.pg_class.relpersistence",
    );
    assert_eq!(tables, &vec![vec!["temperatures".to_owned()]]);
    let columns = find(&ok, "pg_catalog.pg_attribute.attname AS name");
    let names: Vec<&str> = columns.iter().map(|r| r[0].as_str()).collect();
    assert_eq!(names, COLUMNS);
    assert!(
        has_row_with(columns, &["measured_at", "timestamp with time zone"]),
        "{columns:?}"
    );
    assert!(failures.is_empty(), "failures:\n{}", failures.join("\n"));
}

#[tokio::test]
async fn bi_tool_metadata_queries() {
    let (ok, failures) = run_corpus("tools", include_str!("corpus/tools.sql")).await;
    assert!(failures.is_empty(), "failures:\n{}", failures.join("\n"));
    let grafana = find(&ok, "SELECT column_name, data_type");
    assert!(
        has_row_with(grafana, &["temperature", "double precision"]),
        "{grafana:?}"
    );
    assert!(
        has_row_with(grafana, &["measured_at", "timestamp with time zone"]),
        "{grafana:?}"
    );
}
