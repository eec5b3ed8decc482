//! General SQL over Isotherm's tables: plan, parameters, execute, explain,
//! errors with PostgreSQL's SQLSTATEs, and stable catalog OIDs.
#![allow(clippy::unwrap_used)]

mod common;

use common::{fixture, query, rows, vars};
use isotherm_engine::arrow::datatypes::{DataType, TimeUnit};
use isotherm_engine::{EXPLAIN_PATH, Engine, ScalarValue};

#[tokio::test]
async fn queries_run_over_the_index() {
    let f = fixture();
    let e = &f.engine;
    assert_eq!(
        query(e, "SELECT count(*) FROM temperatures").await.unwrap(),
        vec![vec!["7".to_owned()]]
    );
    // A join, a CTE, a window and a subquery wrapper.
    let sql = "WITH r AS (SELECT region, avg(temperature) AS t FROM temperatures GROUP BY region)
               SELECT t1.region, t1.country, rank() OVER (PARTITION BY t1.region ORDER BY t1.temperature DESC) AS rk
               FROM temperatures t1 JOIN r ON r.region = t1.region
               WHERE t1.temperature > r.t ORDER BY 1, 3, 2";
    let got = query(e, sql).await.unwrap();
    assert_eq!(
        got,
        vec![
            vec!["asia".to_owned(), "IN".to_owned(), "1".to_owned()],
            vec!["europe".to_owned(), "FR".to_owned(), "1".to_owned()],
            vec!["europe".to_owned(), "FR".to_owned(), "2".to_owned()],
        ]
    );
    assert_eq!(
        query(
            e,
            "SELECT count(*) FROM (SELECT DISTINCT country FROM temperatures) AS source"
        )
        .await
        .unwrap(),
        vec![vec!["4".to_owned()]]
    );
    assert_eq!(
        query(e, "SELECT \"public\".\"temperatures\".\"region\" FROM \"public\".\"temperatures\" WHERE humidity IS NULL ORDER BY 1")
            .await
            .unwrap(),
        vec![vec!["asia".to_owned()], vec!["europe".to_owned()]]
    );
}

#[tokio::test]
async fn parameters_are_inferred_declared_and_bound() {
    let f = fixture();
    let e = &f.engine;
    let sql = "SELECT count(*) AS n FROM temperatures WHERE region = $1 AND temperature > $2";
    let plan = e.plan(sql, &vars(), &[]).await.unwrap();
    assert_eq!(
        plan.param_types,
        vec![Some(DataType::Utf8), Some(DataType::Float64)]
    );
    assert_eq!(plan.schema.field(0).name(), "n");
    assert_eq!(plan.schema.field(0).data_type(), &DataType::Int64);
    for (region, min, want) in [
        ("europe", 18.5, "3"),
        ("asia", 0.0, "2"),
        ("nowhere", 0.0, "0"),
    ] {
        let got = rows(
            &plan
                .execute(vec![ScalarValue::from(region), ScalarValue::from(min)])
                .await
                .unwrap(),
        );
        assert_eq!(got, vec![vec![want.to_owned()]], "{region} {min}");
    }
    // A declared type wins over inference; an undeclared one is still inferred.
    let plan = e
        .plan(sql, &vars(), &[None, Some(DataType::Int64)])
        .await
        .unwrap();
    assert_eq!(
        plan.param_types,
        vec![Some(DataType::Utf8), Some(DataType::Int64)]
    );
    let got = rows(
        &plan
            .execute(vec![
                ScalarValue::from("europe"),
                ScalarValue::Int64(Some(18)),
            ])
            .await
            .unwrap(),
    );
    assert_eq!(got, vec![vec!["3".to_owned()]]);
    // Dates and timestamps.
    let plan = e
        .plan(
            "SELECT count(*) FROM temperatures WHERE date >= $1 AND measured_at < $2",
            &vars(),
            &[],
        )
        .await
        .unwrap();
    assert_eq!(plan.param_types[0], Some(DataType::Date32));
    assert!(
        matches!(plan.param_types[1], Some(DataType::Timestamp(_, Some(_)))),
        "{:?}",
        plan.param_types
    );
    // Nothing to infer from: `None`.
    let plan = e.plan("SELECT $1 IS NULL", &vars(), &[]).await.unwrap();
    assert_eq!(plan.param_types.len(), 1);
    // Wrong parameter count is refused with a protocol violation.
    let err = e
        .plan(sql, &vars(), &[])
        .await
        .unwrap()
        .execute(vec![])
        .await
        .unwrap_err();
    assert_eq!(err.sqlstate, "08P01");
}

#[tokio::test]
async fn explain_names_the_path_and_the_pushed_filter() {
    let f = fixture();
    let plan = f
        .engine
        .plan(
            "SELECT country, max(temperature) FROM temperatures WHERE region = 'europe' GROUP BY country",
            &vars(),
            &[],
        )
        .await
        .unwrap();
    let lines = plan.explain();
    assert_eq!(lines[0], EXPLAIN_PATH);
    let text = lines.join("\n");
    assert!(text.contains("TableScan: temperatures"), "{text}");
    assert!(text.contains("region = Utf8(\"europe\")"), "{text}");
    let physical = plan.explain_physical(vec![]).await.unwrap().join("\n");
    assert!(physical.contains("IsothermScanExec"), "{physical}");
    println!("{physical}");
}

#[tokio::test]
async fn errors_carry_postgres_sqlstates() {
    let f = fixture();
    let e = &f.engine;
    for (sql, code, message) in [
        (
            "SELECT * FROM nope",
            "42P01",
            Some("relation \"nope\" does not exist"),
        ),
        (
            "SELECT nope FROM temperatures",
            "42703",
            Some("column \"nope\" does not exist"),
        ),
        (
            "SELECT nope(1)",
            "42883",
            Some("function nope does not exist"),
        ),
        (
            "SELECT * FROM",
            "42601",
            Some("syntax error at end of input"),
        ),
        ("SELEC 1", "42601", None),
        (
            "SELECT region FROM temperatures a, temperatures b",
            "42702",
            None,
        ),
        ("SELECT 1 / 0", "22012", Some("division by zero")),
        ("SELECT 'abc'::bigint", "22P02", None),
        ("CREATE TABLE t (a int)", "0A000", None),
        ("INSERT INTO temperatures VALUES (1)", "0A000", None),
        ("SELECT 1; SELECT 2", "42601", None),
    ] {
        let err = match query(e, sql).await {
            Ok(rows) => panic!("{sql}: expected {code}, got {rows:?}"),
            Err(err) => err,
        };
        assert_eq!(err.sqlstate, code, "{sql}: {}", err.message);
        if let Some(m) = message {
            assert_eq!(err.message, m, "{sql}");
        }
    }
}

#[tokio::test]
async fn table_oids_are_stable_across_queries_and_restarts() {
    let f = fixture();
    let sql = "SELECT c.oid, n.oid FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace WHERE c.relname = 'temperatures'";
    let first = query(&f.engine, sql).await.unwrap();
    assert_eq!(first.len(), 1);
    assert_eq!(first[0][0], f.engine.table_oid("temperatures").to_string());
    assert_eq!(first[0][1], "2200");
    // Other catalog tables in between, then the same answer.
    query(&f.engine, "SELECT count(*) FROM pg_attribute")
        .await
        .unwrap();
    query(&f.engine, "SELECT count(*) FROM information_schema.columns")
        .await
        .unwrap();
    assert_eq!(query(&f.engine, sql).await.unwrap(), first);
    // A new engine over the same data directory (a restart) agrees.
    let reopened = Engine::new(f.db.clone(), common::config()).unwrap();
    assert_eq!(query(&reopened, sql).await.unwrap(), first);
    // pg_attribute joins back with builtin type OIDs.
    let cols = query(
        &f.engine,
        "SELECT a.attname, a.atttypid, t.typname FROM pg_attribute a JOIN pg_type t ON t.oid = a.atttypid
         WHERE a.attrelid = 'temperatures'::regclass AND a.attnum > 0 ORDER BY a.attnum",
    )
    .await
    .unwrap();
    let want: Vec<Vec<String>> = [
        ("date", "1082", "date"),
        ("region", "25", "text"),
        ("country", "25", "text"),
        ("station", "25", "text"),
        ("measured_at", "1184", "timestamptz"),
        ("temperature", "701", "float8"),
        ("humidity", "701", "float8"),
    ]
    .iter()
    .map(|(a, b, c)| vec![(*a).to_owned(), (*b).to_owned(), (*c).to_owned()])
    .collect();
    assert_eq!(cols, want);
}

/// Catalog tables are built once and kept while nothing they list changes:
/// a new table, or more rows in one, shows in the next query.
#[tokio::test]
async fn catalog_tables_follow_pushes() {
    let f = fixture();
    let columns = "SELECT table_name, count(*) FROM information_schema.columns \
                   WHERE table_schema = 'public' GROUP BY table_name ORDER BY 1";
    let tuples = "SELECT relname, reltuples FROM pg_class WHERE relnamespace = 2200 AND relkind = 'r' ORDER BY 1";
    let before = query(&f.engine, columns).await.unwrap();
    assert_eq!(
        before,
        vec![vec!["temperatures".to_owned(), "7".to_owned()]]
    );
    assert_eq!(
        query(&f.engine, tuples).await.unwrap(),
        vec![vec!["temperatures".to_owned(), "7.0".to_owned()]]
    );
    // The same answer again (from the kept tables).
    assert_eq!(query(&f.engine, columns).await.unwrap(), before);
    let (_, _, rows) = &common::parts()[0];
    f.db.put_partition(
        "readings",
        "date=2024-06-03/region=asia",
        common::parquet("2024-06-03", rows),
    )
    .unwrap();
    f.db.put_partition(
        "temperatures",
        "date=2024-06-03/region=asia",
        common::parquet("2024-06-03", rows),
    )
    .unwrap();
    assert_eq!(
        query(&f.engine, columns).await.unwrap(),
        vec![
            vec!["readings".to_owned(), "7".to_owned()],
            vec!["temperatures".to_owned(), "7".to_owned()],
        ]
    );
    assert_eq!(
        query(&f.engine, tuples).await.unwrap(),
        vec![
            vec!["readings".to_owned(), "3.0".to_owned()],
            vec!["temperatures".to_owned(), "10.0".to_owned()],
        ]
    );
}

/// Every catalog table can be read (what the server does at start to have
/// them built before the first client).
#[tokio::test]
async fn every_catalog_table_is_readable() {
    let f = fixture();
    let (read, failed) = f.engine.warm_catalog().await;
    assert_eq!(failed, Vec::<String>::new());
    // pg_catalog's 69 tables and views and information_schema's 26 views
    // (none may go missing).
    assert!(read >= 95, "{read} tables read");
    assert_eq!(f.engine.warm_catalog().await, (read, Vec::new()));
}

#[tokio::test]
async fn tables_assumed_empty_are_empty() {
    let f = fixture();
    for t in isotherm_engine::catalog::pg_relations::EMPTY_TABLES {
        let n = query(&f.engine, &format!("SELECT count(*) FROM pg_catalog.{t}"))
            .await
            .unwrap();
        assert_eq!(n, vec![vec!["0".to_owned()]], "{t}");
    }
}

/// Integer arithmetic with a literal keeps PostgreSQL's `int4`, and an
/// overflow is an error, not a wrapped value.
#[tokio::test]
async fn int4_arithmetic_with_literals_stays_int4() {
    let f = fixture();
    let e = &f.engine;
    let cases = [
        ("SELECT CAST(5 AS integer) + 1 AS v", DataType::Int32, "6"),
        (
            "SELECT ((CAST(extract(dow FROM measured_at) AS integer) + 1) % 7) + 1 AS v \
             FROM temperatures GROUP BY 1 ORDER BY 1 LIMIT 1",
            DataType::Int32,
            "1",
        ),
        ("SELECT 1 - CAST(5 AS smallint) AS v", DataType::Int32, "-4"),
        (
            "SELECT CAST(5 AS integer) + 3000000000 AS v",
            DataType::Int64,
            "3000000005",
        ),
        ("SELECT CAST(5 AS bigint) + 1 AS v", DataType::Int64, "6"),
        (
            "SELECT v FROM (SELECT CAST(7 AS integer) / 2 AS v) s WHERE v = 3",
            DataType::Int32,
            "3",
        ),
    ];
    for (sql, ty, want) in cases {
        let plan = e.plan(sql, &vars(), &[]).await.unwrap();
        assert_eq!(plan.schema.field(0).data_type(), &ty, "{sql}");
        let rows = query(e, sql).await.unwrap();
        assert_eq!(rows[0][0], want, "{sql}");
    }
    // UNION: both branches int4, so the union's column is int4.
    let sql = "SELECT a FROM (SELECT CAST(5 AS integer) - 1 AS a FROM temperatures \
               UNION ALL SELECT CAST(2 AS smallint) - 1 AS a) s ORDER BY a LIMIT 1";
    let plan = e.plan(sql, &vars(), &[]).await.unwrap();
    assert_eq!(
        plan.schema.field(0).data_type(),
        &DataType::Int32,
        "{}",
        plan.logical_plan().display_indent()
    );
    assert_eq!(query(e, sql).await.unwrap()[0][0], "1");
    let overflow = query(e, "SELECT CAST(2000000000 AS integer) * 2").await;
    assert!(overflow.is_err(), "int4 overflow must fail: {overflow:?}");
}

/// `nullif` of a `"char"` catalog column is still `"char"` (pgjdbc's getColumns).
#[tokio::test]
async fn nullif_keeps_a_catalog_columns_type() {
    let f = fixture();
    let e = &f.engine;
    let sql = "SELECT nullif(a.attidentity, '') AS attidentity, a.attidentity AS raw \
               FROM pg_catalog.pg_attribute a";
    let plan = e.plan(sql, &vars(), &[]).await.unwrap();
    let tag = |i: usize| {
        plan.schema
            .field(i)
            .metadata()
            .get(isotherm_engine::catalog::PG_TYPE_KEY)
            .cloned()
    };
    assert_eq!(tag(1), Some("char".to_owned()), "{:?}", plan.schema);
    assert_eq!(tag(0), Some("char".to_owned()), "{:?}", plan.logical_plan());
}

/// `extract` is numeric with its field's scale (PostgreSQL 14+) and keeps
/// microseconds, `date_part` stays float8, `floor`/`ceil` of a numeric have
/// scale 0, and `sum(bigint)` is numeric (so it does not overflow).
#[tokio::test]
async fn extract_is_numeric_with_postgres_scales() {
    let f = fixture();
    let e = &f.engine;
    let cases = [
        (
            "SELECT extract(epoch FROM TIMESTAMPTZ '2024-01-01 12:00:00.5+00')",
            DataType::Decimal128(38, 6),
            "1704110400.500000",
        ),
        (
            "SELECT extract(dow FROM TIMESTAMP '2024-01-01 12:00:00')",
            DataType::Decimal128(38, 0),
            "1",
        ),
        (
            "SELECT extract(epoch FROM DATE '2024-01-01')",
            DataType::Decimal128(38, 0),
            "1704067200",
        ),
        (
            "SELECT extract(milliseconds FROM TIMESTAMP '2024-01-01 12:00:01.5')",
            DataType::Decimal128(38, 3),
            "1500.000",
        ),
        (
            "SELECT floor(extract(epoch FROM TIMESTAMPTZ '2024-01-01 12:00:00+00') / 86400) * 86400",
            DataType::Decimal128(38, 0),
            "1704067200",
        ),
        (
            "SELECT date_part('dow', TIMESTAMP '2024-01-01 12:00:00')",
            DataType::Float64,
            "1.0",
        ),
        (
            "SELECT extract(second FROM TIMESTAMP '2024-01-01 12:00:01.234567')",
            DataType::Decimal128(38, 6),
            "1.234567",
        ),
        (
            "SELECT extract(milliseconds FROM TIMESTAMP '2024-01-01 12:00:01.2345')",
            DataType::Decimal128(38, 3),
            "1234.500",
        ),
        (
            "SELECT sum(CAST(x AS BIGINT)) FROM (VALUES (9223372036854775807), (1)) AS t(x)",
            DataType::Decimal128(38, 0),
            "9223372036854775808",
        ),
    ];
    for (sql, ty, want) in cases {
        let plan = e.plan(sql, &vars(), &[]).await.unwrap();
        assert_eq!(plan.schema.field(0).data_type(), &ty, "{sql}");
        let rows = query(e, sql).await.unwrap();
        assert_eq!(rows[0][0], want, "{sql}");
    }
}

/// `date_trunc` of a date is timestamptz, as PostgreSQL casts the date.
#[tokio::test]
async fn date_trunc_of_a_date_is_timestamptz() {
    let f = fixture();
    let sql = "SELECT date_trunc('month', DATE '2024-06-15')";
    let plan = f.engine.plan(sql, &vars(), &[]).await.unwrap();
    assert_eq!(
        plan.schema.field(0).data_type(),
        &DataType::Timestamp(TimeUnit::Microsecond, Some("+00:00".into()))
    );
    let rows = query(&f.engine, sql).await.unwrap();
    assert!(rows[0][0].starts_with("2024-06-01T00:00:00"), "{rows:?}");
}
