//! The whole wire path: `serve` over the in-memory backend, driven by
//! tokio-postgres with the simple protocol (text results) and prepared
//! statements (binary results, typed parameters).
#![allow(clippy::unwrap_used)]

use std::error::Error;
use std::sync::Arc;

use bytes::{BufMut, BytesMut};
use isotherm_indexer::{ColumnRole, ScalarType, TableSchema, Value};
use isotherm_protocol::memory::column;
use isotherm_protocol::{MemoryBackend, ProtocolConfig, serve};
use tokio_postgres::error::SqlState;
use tokio_postgres::types::{FromSql, IsNull, ToSql, Type, to_sql_checked};
use tokio_postgres::{Client, NoTls, SimpleQueryMessage};

const D: i32 = 19_875; // 2024-06-01 as days since 1970-01-01
const PG_EPOCH: i32 = 10_957;

/// A date as days since 1970-01-01, sent and read in binary.
#[derive(Debug, PartialEq)]
struct Date(i32);

impl ToSql for Date {
    fn to_sql(&self, _: &Type, out: &mut BytesMut) -> Result<IsNull, Box<dyn Error + Sync + Send>> {
        out.put_i32(self.0 - PG_EPOCH);
        Ok(IsNull::No)
    }
    fn accepts(ty: &Type) -> bool {
        *ty == Type::DATE
    }
    to_sql_checked!();
}

impl<'a> FromSql<'a> for Date {
    fn from_sql(_: &Type, raw: &'a [u8]) -> Result<Self, Box<dyn Error + Sync + Send>> {
        Ok(Date(i32::from_be_bytes(raw.try_into()?) + PG_EPOCH))
    }
    fn accepts(ty: &Type) -> bool {
        *ty == Type::DATE
    }
}

/// Raw binary bytes of any value (numeric, timestamptz).
#[derive(Debug, PartialEq)]
struct Raw(Vec<u8>);

impl<'a> FromSql<'a> for Raw {
    fn from_sql(_: &Type, raw: &'a [u8]) -> Result<Self, Box<dyn Error + Sync + Send>> {
        Ok(Raw(raw.to_vec()))
    }
    fn accepts(_: &Type) -> bool {
        true
    }
}

fn rows() -> Vec<Vec<Value>> {
    let row = |day: i32, region: &str, station: &str, hour: i64, t: Option<f64>| {
        vec![
            Value::Date(D + day),
            Value::Text(region.into()),
            Value::Text(station.into()),
            Value::Timestamp((i64::from(D + day) * 24 + hour) * 3_600_000_000),
            t.map_or(Value::Null, Value::Float64),
            Value::Float64(50.0),
        ]
    };
    vec![
        row(0, "europe", "paris", 12, Some(21.5)),
        row(0, "europe", "berlin", 12, Some(19.0)),
        row(1, "europe", "paris", 13, Some(23.25)),
        row(1, "asia", "tokyo", 3, Some(27.0)),
        row(2, "asia", "tokyo", 4, None),
        row(40, "america", "lima", 8, Some(15.5)),
    ]
}

async fn start() -> Client {
    let backend = MemoryBackend::new();
    let mut date = column("date", ScalarType::Date, ColumnRole::Dimension);
    date.partition = true;
    backend.insert_table(
        TableSchema {
            name: "temperatures".into(),
            columns: vec![
                date,
                column("region", ScalarType::Text, ColumnRole::Dimension),
                column("station", ScalarType::Text, ColumnRole::Dimension),
                column("ts", ScalarType::Timestamp, ColumnRole::Plain),
                column("temperature", ScalarType::Float64, ColumnRole::Measure),
                column("humidity", ScalarType::Float64, ColumnRole::Measure),
            ],
            rollups: vec![],
        },
        rows(),
    );
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let port = listener.local_addr().unwrap().port();
    tokio::spawn(serve(
        listener,
        Arc::new(backend),
        ProtocolConfig::default(),
    ));
    let (client, conn) = tokio_postgres::connect(
        &format!(
            "host=127.0.0.1 port={port} user=isotherm dbname=isotherm application_name=wiretest"
        ),
        NoTls,
    )
    .await
    .unwrap();
    tokio::spawn(conn);
    client
}

/// Text rows of a simple query (NULL as "NULL").
async fn simple(client: &Client, sql: &str) -> Vec<Vec<String>> {
    client
        .simple_query(sql)
        .await
        .unwrap()
        .into_iter()
        .filter_map(|m| match m {
            SimpleQueryMessage::Row(r) => Some(
                (0..r.len())
                    .map(|i| r.get(i).unwrap_or("NULL").to_owned())
                    .collect(),
            ),
            _ => None,
        })
        .collect()
}

async fn simple_err(client: &Client, sql: &str) -> SqlState {
    let e = client.simple_query(sql).await.unwrap_err();
    e.code()
        .cloned()
        .unwrap_or_else(|| panic!("no SQLSTATE: {e}"))
}

fn s(rows: &[&[&str]]) -> Vec<Vec<String>> {
    rows.iter()
        .map(|r| r.iter().map(|x| (*x).to_owned()).collect())
        .collect()
}

#[tokio::test]
async fn aggregates_over_simple_protocol() {
    let c = start().await;
    assert_eq!(
        simple(
            &c,
            "SELECT region, count(*), count(temperature), avg(temperature), max(temperature) - min(temperature) AS spread \
             FROM temperatures GROUP BY region ORDER BY region"
        )
        .await,
        s(&[
            &["america", "1", "1", "15.5", "0"],
            &["asia", "2", "1", "27", "0"],
            &["europe", "3", "3", "21.25", "4.25"],
        ])
    );
    assert_eq!(
        simple(
            &c,
            "SELECT date_trunc('month', date) AS m, count(DISTINCT station) FROM temperatures \
             WHERE date BETWEEN '2024-06-01' AND DATE '2024-12-31' GROUP BY 1 ORDER BY m DESC"
        )
        .await,
        s(&[
            &["2024-07-01 00:00:00+00", "1"],
            &["2024-06-01 00:00:00+00", "3"]
        ])
    );
    assert_eq!(
        simple(
            &c,
            "SELECT region FROM temperatures GROUP BY region HAVING avg(temperature) > 20 ORDER BY count(*) DESC, region LIMIT 1"
        )
        .await,
        s(&[&["europe"]])
    );
    assert_eq!(
        simple(&c, "SELECT extract(year FROM date), sum(temperature) FROM temperatures WHERE region IN ('asia') GROUP BY 1").await,
        s(&[&["2024", "27"]])
    );
    assert_eq!(
        simple(
            &c,
            "SELECT count(*) FROM temperatures WHERE temperature IS NULL OR 25 < temperature"
        )
        .await,
        s(&[&["2"]])
    );
}

#[tokio::test]
async fn detail_rows_and_constants() {
    let c = start().await;
    assert_eq!(
        simple(&c, "SELECT station, ts, temperature FROM temperatures t WHERE t.region = 'asia' ORDER BY ts DESC").await,
        s(&[&["tokyo", "2024-06-03 04:00:00", "NULL"], &["tokyo", "2024-06-02 03:00:00", "27"]])
    );
    assert_eq!(
        simple(
            &c,
            "SELECT * FROM temperatures ORDER BY temperature NULLS FIRST LIMIT 1 OFFSET 1"
        )
        .await,
        s(&[&[
            "2024-07-11",
            "america",
            "lima",
            "2024-07-11 08:00:00",
            "15.5",
            "50"
        ]])
    );
    assert_eq!(
        simple(
            &c,
            "SELECT 1, 0.1::float8 + 0.2::float8, 1e20::float8, 2.50 * 2, version() IS NOT NULL"
        )
        .await,
        s(&[&["1", "0.30000000000000004", "1e+20", "5.00", "t"]])
    );
    let plan = simple(&c, "EXPLAIN SELECT region, count(*) FROM temperatures WHERE date > '2024-06-01' GROUP BY 1 ORDER BY 2").await;
    let lines: Vec<&str> = plan.iter().map(|r| r[0].as_str()).collect();
    assert_eq!(
        lines[0],
        "Isotherm Aggregate on temperatures (1 group key(s), 1 aggregate(s))"
    );
    assert!(lines.contains(&"  Path: scan"), "{lines:?}");
    assert!(
        lines.iter().any(|l| l.starts_with("  Segments: 1 of 1")),
        "{lines:?}"
    );
    assert!(lines.contains(&"  Post-processing: ORDER BY"), "{lines:?}");
    let stmt = c.prepare("EXPLAIN SELECT 1").await.unwrap();
    assert_eq!(stmt.columns()[0].name(), "QUERY PLAN");
    let stmt = c.prepare("SHOW datestyle").await.unwrap();
    assert_eq!(stmt.columns()[0].name(), "DateStyle");
    let v = simple(&c, "SELECT version()").await;
    assert!(v[0][0].starts_with("PostgreSQL 15.0 on "), "{}", v[0][0]);
    assert!(v[0][0].ends_with("(Isotherm 0.1.0)"), "{}", v[0][0]);
}

#[tokio::test]
async fn session_statements() {
    let c = start().await;
    let msgs = c
        .simple_query("SET extra_float_digits = 0; SHOW extra_float_digits; SELECT 1.0::float8 / 3")
        .await
        .unwrap();
    let tags: Vec<String> = msgs
        .iter()
        .filter_map(|m| match m {
            SimpleQueryMessage::CommandComplete(n) => Some(n.to_string()),
            _ => None,
        })
        .collect();
    assert_eq!(tags.len(), 3);
    assert_eq!(
        simple(&c, "SELECT 1.0::float8 / 3").await,
        s(&[&["0.333333333333333"]])
    );
    assert_eq!(
        simple(&c, "SHOW application_name").await,
        s(&[&["wiretest"]])
    );
    assert_eq!(simple(&c, "SHOW DateStyle").await, s(&[&["ISO, MDY"]]));
    assert_eq!(
        simple(&c, "RESET ALL; SHOW extra_float_digits").await,
        s(&[&["1"]])
    );
    assert_eq!(
        simple_err(&c, "SHOW nonsense").await,
        SqlState::UNDEFINED_OBJECT
    );
    assert_eq!(
        simple_err(&c, "SET TimeZone = 'Europe/Paris'").await,
        SqlState::FEATURE_NOT_SUPPORTED
    );
    assert!(
        c.simple_query("")
            .await
            .unwrap()
            .iter()
            .all(|m| !matches!(m, SimpleQueryMessage::Row(_)))
    );

    // An error inside a transaction block aborts it until ROLLBACK.
    c.simple_query("BEGIN").await.unwrap();
    assert_eq!(
        simple_err(&c, "SELECT * FROM nope").await,
        SqlState::UNDEFINED_TABLE
    );
    assert_eq!(
        simple_err(&c, "SELECT 1").await,
        SqlState::IN_FAILED_SQL_TRANSACTION
    );
    c.simple_query("ROLLBACK").await.unwrap();
    assert_eq!(simple(&c, "SELECT 1").await, s(&[&["1"]]));
    c.simple_query("BEGIN; SELECT 1; COMMIT").await.unwrap();
}

#[tokio::test]
async fn errors_carry_postgres_sqlstates() {
    let c = start().await;
    let cases = [
        ("SELECT * FROM nope", SqlState::UNDEFINED_TABLE),
        ("SELECT nope FROM temperatures", SqlState::UNDEFINED_COLUMN),
        (
            "SELECT region, count(*) FROM temperatures",
            SqlState::GROUPING_ERROR,
        ),
        (
            "SELECT * FROM temperatures WHERE region = 1",
            SqlState::UNDEFINED_FUNCTION,
        ),
        (
            "SELECT * FROM temperatures WHERE date = '2024-13-45'",
            SqlState::DATETIME_FIELD_OVERFLOW,
        ),
        (
            "SELECT * FROM temperatures WHERE date = 'someday'",
            SqlState::INVALID_DATETIME_FORMAT,
        ),
        (
            "SELECT * FROM temperatures WHERE temperature > 'warm'",
            SqlState::INVALID_TEXT_REPRESENTATION,
        ),
        ("CREATE TABLE t (a int)", SqlState::FEATURE_NOT_SUPPORTED),
        ("SELEKT 1", SqlState::SYNTAX_ERROR),
        ("SELECT 1 / 0", SqlState::DIVISION_BY_ZERO),
        (
            "SELECT max(temperature) / 0 FROM temperatures",
            SqlState::DIVISION_BY_ZERO,
        ),
    ];
    for (sql, code) in cases {
        assert_eq!(simple_err(&c, sql).await, code, "{sql}");
    }
    // Statements before the failing one still answer.
    let e = c
        .simple_query("SELECT 1; SELECT * FROM nope; SELECT 2")
        .await
        .unwrap_err();
    assert_eq!(e.code(), Some(&SqlState::UNDEFINED_TABLE));
}

#[tokio::test]
async fn prepared_statements_binary_results_and_params() {
    let c = start().await;
    let stmt = c
        .prepare("SELECT region, count(*) AS n, avg(temperature), min(date) FROM temperatures WHERE date >= $1 AND temperature > $2 GROUP BY region ORDER BY region")
        .await
        .unwrap();
    assert_eq!(stmt.params(), &[Type::DATE, Type::FLOAT8]);
    let cols: Vec<(&str, &Type)> = stmt
        .columns()
        .iter()
        .map(|c| (c.name(), c.type_()))
        .collect();
    assert_eq!(
        cols,
        vec![
            ("region", &Type::TEXT),
            ("n", &Type::INT8),
            ("avg", &Type::FLOAT8),
            ("min", &Type::DATE)
        ]
    );
    let rows = c.query(&stmt, &[&Date(D + 1), &20.0f64]).await.unwrap();
    assert_eq!(rows.len(), 2);
    assert_eq!(rows[0].get::<_, String>(0), "asia");
    assert_eq!(rows[0].get::<_, i64>(1), 1);
    assert_eq!(rows[0].get::<_, f64>(2), 27.0);
    assert_eq!(rows[1].get::<_, &str>(0), "europe");
    assert_eq!(rows[1].get::<_, Date>(3), Date(D + 1));

    // numeric and timestamptz in binary
    let rows = c
        .query(
            "SELECT extract(year FROM date) AS y, date_trunc('day', ts) FROM temperatures WHERE station = $1",
            &[&"lima"],
        )
        .await
        .unwrap();
    // 2024 = one base-10000 digit group [2024], weight 0, dscale 0
    assert_eq!(
        rows[0].get::<_, Raw>(0),
        Raw(vec![0, 1, 0, 0, 0, 0, 0, 0, 0x07, 0xE8])
    );
    let micros = (i64::from(D + 40 - PG_EPOCH) * 86_400_000_000)
        .to_be_bytes()
        .to_vec();
    assert_eq!(rows[0].get::<_, Raw>(1), Raw(micros));

    // Text-typed parameters are read as the column's type; LIMIT takes one too.
    let rows = c
        .query(
            "SELECT station FROM temperatures WHERE region = $1 ORDER BY station LIMIT $2",
            &[&"europe", &1i64],
        )
        .await
        .unwrap();
    assert_eq!(rows.len(), 1);
    assert_eq!(rows[0].get::<_, &str>(0), "berlin");

    // Errors in the extended protocol keep their SQLSTATE.
    let e = c
        .prepare("SELECT * FROM nope WHERE x = $1")
        .await
        .unwrap_err();
    assert_eq!(e.code(), Some(&SqlState::UNDEFINED_TABLE));
    let e = c
        .query("SELECT max(temperature) / $1 FROM temperatures", &[&0.0f64])
        .await
        .unwrap_err();
    assert_eq!(e.code(), Some(&SqlState::DIVISION_BY_ZERO));
    // The connection is still usable afterwards.
    let n: i64 = c
        .query_one("SELECT count(*) FROM temperatures", &[])
        .await
        .unwrap()
        .get(0);
    assert_eq!(n, 6);
}
