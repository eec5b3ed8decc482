//! `numeric` on the general path: which expressions give per-value-scale
//! numerics (the engine's struct), with PostgreSQL 15's values and scales,
//! and which give fixed decimals or float8. End-to-end comparisons with a
//! real PostgreSQL are `queries::GENERAL` in the tests crate.
#![allow(clippy::unwrap_used)]

mod common;

use common::{fixture, vars};
use isotherm_engine::Engine;
use isotherm_engine::arrow::array::Array;
use isotherm_engine::arrow::datatypes::DataType;
use isotherm_engine::numeric::{is_numeric, values};

/// The result's column types and its values, numerics in PostgreSQL's text.
async fn run(engine: &Engine, sql: &str) -> (Vec<DataType>, Vec<Vec<String>>) {
    let plan = engine.plan(sql, &vars(), &[]).await.unwrap();
    let types = plan
        .schema
        .fields()
        .iter()
        .map(|f| f.data_type().clone())
        .collect();
    let batches = plan.execute(vec![]).await.unwrap();
    let mut rows = Vec::new();
    for b in &batches {
        let cols: Vec<Vec<String>> =
            b.columns()
                .iter()
                .map(|c| {
                    if is_numeric(c.data_type()) {
                        values(c.as_ref())
                            .unwrap()
                            .into_iter()
                            .map(|v| v.map_or("NULL".to_owned(), |n| n.to_string()))
                            .collect()
                    } else {
                        common::rows(&[isotherm_engine::arrow::array::RecordBatch::try_from_iter(
                            [("c", c.clone())],
                        )
                        .unwrap()])
                        .into_iter()
                        .map(|r| r[0].clone())
                        .collect()
                    }
                })
                .collect();
        for r in 0..b.num_rows() {
            rows.push(cols.iter().map(|c| c[r].clone()).collect());
        }
    }
    (types, rows)
}

fn strings(v: &[&str]) -> Vec<String> {
    v.iter().map(|s| (*s).to_owned()).collect()
}

#[tokio::test]
async fn avg_of_integers_and_division_take_the_scale_of_each_value() {
    let f = fixture();
    let (types, rows) = run(
        &f.engine,
        "SELECT region, avg(extract(minute from measured_at)::int), count(*) / 3.0 \
         FROM temperatures GROUP BY region ORDER BY region",
    )
    .await;
    assert!(is_numeric(&types[1]) && is_numeric(&types[2]), "{types:?}");
    // asia: 2 rows; europe: 5 (PostgreSQL: 0.66666666666666666667, 1.6666666666666667).
    assert_eq!(rows[0][2], "0.66666666666666666667");
    assert_eq!(rows[1][2], "1.6666666666666667");
    let (types, rows) = run(
        &f.engine,
        "WITH d AS (SELECT region, count(*) AS n FROM temperatures GROUP BY region) \
         SELECT region, avg(n) OVER (), n - avg(n) OVER (), avg(n) OVER () > 3 FROM d ORDER BY region",
    )
    .await;
    assert!(is_numeric(&types[1]) && is_numeric(&types[2]), "{types:?}");
    assert_eq!(types[3], DataType::Boolean);
    assert_eq!(
        rows,
        vec![
            strings(&["asia", "3.5000000000000000", "-1.5000000000000000", "true"]),
            strings(&["europe", "3.5000000000000000", "1.5000000000000000", "true"]),
        ]
    );
}

#[tokio::test]
async fn literals_casts_and_floats_follow_postgres() {
    let f = fixture();
    let (types, rows) = run(
        &f.engine,
        "WITH t AS (SELECT temperature FROM temperatures WHERE temperature <= 17.25) \
         SELECT 1.50, temperature::numeric, temperature * 1.5, (temperature / 2.0)::int, \
         '2.50'::numeric, 7::numeric FROM t",
    )
    .await;
    assert_eq!(types[0], DataType::Decimal128(3, 2));
    assert!(is_numeric(&types[1]), "{types:?}");
    // A float meeting a decimal is float8, as in PostgreSQL.
    assert_eq!(types[2], DataType::Float64);
    assert_eq!(types[5], DataType::Decimal128(38, 0));
    // 17.25 / 2.0 = 8.625 rounds half away from zero to 9 (DataFusion's cast: 8).
    assert_eq!(
        rows,
        vec![strings(&["1.50", "17.25", "25.875", "9", "2.50", "7"])]
    );
    // Floats round half to even, numerics half away from zero.
    let (_, rows) = run(
        &f.engine,
        "WITH t AS (SELECT 2.5::float8 AS a, 3.5::float8 AS b, -2.5::float8 AS c, 2.5 AS d) \
         SELECT a::int, b::int, c::int, d::int, (a + 0.25)::int FROM t",
    )
    .await;
    assert_eq!(rows, vec![strings(&["2", "4", "-2", "3", "3"])]);
}

#[tokio::test]
async fn numerics_leave_as_decimals_and_unify_in_unions() {
    let f = fixture();
    let (types, rows) = run(
        &f.engine,
        "WITH d AS (SELECT region, count(*) / 3.0 AS third FROM temperatures GROUP BY region) \
         SELECT region, round(third, 2), third FROM d WHERE third > 1 ORDER BY third DESC",
    )
    .await;
    assert_eq!(types[1], DataType::Decimal128(38, 2));
    assert!(is_numeric(&types[2]));
    assert_eq!(
        rows,
        vec![strings(&["europe", "1.67", "1.6666666666666667"])]
    );
    // With integers a UNION stays numeric; with a float it is float8.
    let (types, rows) = run(
        &f.engine,
        "SELECT * FROM (SELECT count(*) / 4.0 AS x FROM temperatures UNION ALL SELECT 2) AS u ORDER BY 1",
    )
    .await;
    assert!(is_numeric(&types[0]), "{types:?}");
    assert_eq!(
        rows,
        vec![strings(&["1.7500000000000000"]), strings(&["2"])]
    );
    let (types, _) = run(
        &f.engine,
        "SELECT count(*) / 4.0 FROM temperatures UNION ALL SELECT 2.5::float8",
    )
    .await;
    assert_eq!(types[0], DataType::Float64);
}

#[tokio::test]
async fn division_by_zero_and_bad_text_carry_sqlstates() {
    let f = fixture();
    for (sql, code) in [
        ("SELECT count(*) / 0.0 FROM temperatures", "22012"),
        ("SELECT 'x1'::numeric FROM temperatures", "22P02"),
    ] {
        let plan = f.engine.plan(sql, &vars(), &[]).await;
        let err = match plan {
            Ok(p) => p.execute(vec![]).await.unwrap_err(),
            Err(e) => e,
        };
        assert_eq!(err.sqlstate, code, "{sql}: {err}");
    }
}
