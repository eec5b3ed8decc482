//! The SQL BI tools generate (Metabase, Superset, Grafana, Tableau), planned
//! onto the index and run over a [`MemoryBackend`] with rows: each shape
//! gives the answer of an equivalent plain query, and what the index cannot
//! answer exactly is 0A000 (the general engine then answers it).
#![allow(clippy::unwrap_used)]

use isotherm_indexer::{AggFunc, Expr, Predicate, TruncUnit, Value};

use super::tests::{schema, session};
use super::*;
use crate::memory::MemoryBackend;
use crate::sql::exec::run_select;
use crate::sql::parse::parse_sql;
use crate::sql::plan::{Plan, plan_statement};

/// Day 19875 is 2024-06-01.
const DAY: i64 = 86_400_000_000;

fn backend() -> MemoryBackend {
    let b = MemoryBackend::new();
    let mut rows = Vec::new();
    for i in 0..48i64 {
        let day = 19_875 + (i % 3) as i32;
        let region = ["europe", "asia", "africa"][(i % 4 % 3) as usize];
        let station = if i % 7 == 0 {
            Value::Null
        } else {
            Value::Text(format!("S{}", i % 5))
        };
        let ts = Value::Timestamp(i64::from(day) * DAY + (i * 37 % 24) * 3_600_000_000 + i);
        let temp = if i % 11 == 0 {
            Value::Null
        } else {
            Value::Float64((i as f64 - 20.0) * 0.5)
        };
        let hum = Value::Float64((i * 13 % 100) as f64);
        rows.push(vec![
            Value::Date(day),
            Value::Text(region.into()),
            station,
            ts,
            temp,
            hum,
        ]);
    }
    b.insert_table(schema(), rows);
    b
}

fn plan_on(b: &MemoryBackend, sql: &str) -> SqlResult<SelectPlan> {
    let s = session();
    let stmts = parse_sql(sql)?;
    let mut planner = Planner {
        backend: b,
        session: &s,
        params: Params::default(),
    };
    match plan_statement(&stmts[0], &mut planner)? {
        Plan::Select(p) => Ok(p),
        other => panic!("not a select: {other:?}"),
    }
}

fn run(sql: &str) -> SqlResult<(Vec<Field>, Vec<Vec<Value>>)> {
    let b = backend();
    let p = plan_on(&b, sql)?;
    let rows = run_select(&p, &b)?;
    Ok((p.fields.clone(), rows))
}

fn rows(sql: &str) -> Vec<Vec<Value>> {
    run(sql).unwrap_or_else(|e| panic!("{sql}: {e:?}")).1
}

fn sorted(mut r: Vec<Vec<Value>>) -> Vec<Vec<Value>> {
    r.sort_by_key(|row| format!("{row:?}"));
    r
}

fn same(a: &str, b: &str) {
    let got = sorted(rows(a));
    assert!(!got.is_empty(), "no rows: {a}");
    assert_eq!(got, sorted(rows(b)), "\n{a}\n{b}");
}

fn agg_request(p: &SelectPlan) -> &isotherm_indexer::AggregateRequest {
    match &p.source {
        Source::Aggregate(r) => r,
        other => panic!("not an aggregate: {other:?}"),
    }
}

#[test]
fn qualified_quoted_and_aliased_names() {
    same(
        "SELECT \"public\".\"temperatures\".\"region\" AS \"region\", count(*) AS \"count\" \
         FROM \"public\".\"temperatures\" GROUP BY \"public\".\"temperatures\".\"region\" \
         ORDER BY 1 DESC LIMIT 1000",
        "SELECT region, count(*) FROM temperatures GROUP BY region",
    );
    same(
        "SELECT t.region, count(1) FROM isotherm.public.temperatures t \
         WHERE t.station IS NOT NULL GROUP BY t.region",
        "SELECT region, count(*) FROM temperatures WHERE station IS NOT NULL GROUP BY region",
    );
}

#[test]
fn casts_on_columns_aggregates_and_literals() {
    let b = backend();
    let p = plan_on(
        &b,
        "SELECT CAST(date_trunc('month', \"public\".\"temperatures\".\"ts\") AS date) AS \"ts\", \
         count(*) AS \"count\" FROM \"public\".\"temperatures\" \
         GROUP BY CAST(date_trunc('month', \"public\".\"temperatures\".\"ts\") AS date) \
         ORDER BY CAST(date_trunc('month', \"public\".\"temperatures\".\"ts\") AS date) ASC",
    )
    .unwrap();
    assert_eq!(
        agg_request(&p).group_by,
        vec![Expr::Cast {
            to: isotherm_indexer::ScalarType::Date,
            arg: Box::new(Expr::DateTrunc {
                unit: TruncUnit::Month,
                arg: Box::new(Expr::Column("ts".into())),
            }),
        }]
    );
    assert_eq!(p.fields[0], Field::new("ts", PgType::Date));
    assert_eq!(
        rows("SELECT CAST(ts AS date), count(*)::int FROM temperatures GROUP BY 1 ORDER BY 1"),
        vec![
            vec![Value::Date(19_875), Value::Int64(16)],
            vec![Value::Date(19_876), Value::Int64(16)],
            vec![Value::Date(19_877), Value::Int64(16)],
        ]
    );
    let (fields, r) = run(
        "SELECT region::varchar, CAST(sum(temperature) AS numeric), max(humidity)::bigint, \
         CAST('2024-06-01' AS timestamp) FROM temperatures WHERE region = 'asia' GROUP BY 1",
    )
    .unwrap();
    let types: Vec<PgType> = fields.iter().map(|f| f.ty).collect();
    assert_eq!(
        types,
        vec![
            PgType::Text,
            PgType::Numeric,
            PgType::Int8,
            PgType::Timestamp
        ]
    );
    assert_eq!(r[0][3], Value::Timestamp(19_875 * DAY));
}

#[test]
fn superset_and_tableau_time_filters() {
    let b = backend();
    let p = plan_on(
        &b,
        "SELECT DATE_TRUNC('day', ts) AS __timestamp, count(*) AS count FROM public.temperatures \
         WHERE ts >= TO_TIMESTAMP('2024-06-02 00:00:00.000000', 'YYYY-MM-DD HH24:MI:SS.US') \
         AND ts < TO_TIMESTAMP('2024-06-03 00:00:00.000000', 'YYYY-MM-DD HH24:MI:SS.US') \
         GROUP BY DATE_TRUNC('day', ts) ORDER BY count DESC LIMIT 10000",
    )
    .unwrap();
    let Some(Predicate::And(parts)) = plan_filter(&p) else {
        panic!("{p:?}")
    };
    assert!(matches!(
        &parts[0],
        Predicate::Compare { value: Value::Timestamp(t), .. } if *t == 19_876 * DAY
    ));
    same(
        "SELECT DATE_TRUNC('day', ts) AS __timestamp, count(*) AS count FROM public.temperatures \
         WHERE ts >= TO_TIMESTAMP('2024-06-02 00:00:00.000000', 'YYYY-MM-DD HH24:MI:SS.US') \
         AND ts < TO_TIMESTAMP('2024-06-03', 'YYYY-MM-DD') GROUP BY DATE_TRUNC('day', ts)",
        "SELECT date_trunc('day', ts), count(*) FROM temperatures WHERE date = '2024-06-02' GROUP BY 1",
    );
    same(
        "SELECT count(*) FROM temperatures WHERE ts >= timestamp '2024-06-02' \
         AND ts < '2024-06-03 00:00:00'::timestamp",
        "SELECT count(*) FROM temperatures WHERE date = '2024-06-02'",
    );
    // Formats we do not fold are left to the general engine.
    assert_eq!(
        plan_on(
            &b,
            "SELECT count(*) FROM temperatures WHERE ts > to_timestamp('June 1', 'Month DD')"
        )
        .unwrap_err()
        .sqlstate(),
        "0A000"
    );
}

#[test]
fn grafana_epoch_buckets() {
    let (fields, r) = run(
        "SELECT floor(extract(epoch from \"ts\")/86400)*86400 AS \"time\", avg(temperature) \
         FROM temperatures WHERE \"ts\" BETWEEN '2024-06-01T00:00:00Z' AND '2024-06-08T00:00:00Z' \
         GROUP BY 1 ORDER BY 1",
    )
    .unwrap();
    assert_eq!(fields[0], Field::new("time", PgType::Numeric));
    let firsts: Vec<String> = r
        .iter()
        .map(|row| match &row[0] {
            Value::Numeric(n) => n.to_string(),
            other => format!("{other:?}"),
        })
        .collect();
    assert_eq!(firsts, vec!["1717200000", "1717286400", "1717372800"]);
    same(
        "SELECT floor(extract(epoch from ts)/3600)*3600 AS time, count(*) FROM temperatures GROUP BY 1",
        "SELECT floor(extract(epoch from date_trunc('hour', ts))), count(*) FROM temperatures GROUP BY 1",
    );
    let (_, r) = run("SELECT extract(epoch from ts) AS time FROM temperatures LIMIT 1").unwrap();
    assert!(matches!(&r[0][0], Value::Numeric(n) if n.scale == 6));
}

#[test]
fn case_inside_aggregates() {
    same(
        "SELECT region, sum(CASE WHEN station = 'S1' THEN temperature ELSE 0 END), \
         count(CASE WHEN station = 'S1' THEN 1 END), avg(CASE WHEN station = 'S1' THEN humidity END) \
         FROM temperatures GROUP BY region",
        "SELECT region, coalesce(sum(temperature) FILTER (WHERE station = 'S1'), 0), \
         count(*) FILTER (WHERE station = 'S1'), avg(humidity) FILTER (WHERE station = 'S1') \
         FROM temperatures GROUP BY region",
    );
    // The ELSE branch takes rows where the condition is false or unknown.
    same(
        "SELECT sum(CASE WHEN station = 'S1' THEN 1 ELSE 0 END), \
         sum(CASE WHEN station <> 'S1' THEN 0 ELSE 1 END), count(*) FROM temperatures",
        "SELECT count(*) FILTER (WHERE station = 'S1'), \
         count(*) FILTER (WHERE station = 'S1' OR station IS NULL), count(*) FROM temperatures",
    );
    // Several WHENs, a simple CASE, min/max, FILTER and COALESCE.
    same(
        "SELECT max(CASE region WHEN 'europe' THEN humidity WHEN 'asia' THEN -1 END), \
         min(CASE WHEN temperature > 0 THEN temperature WHEN temperature < 0 THEN 0 ELSE 100 END), \
         count(DISTINCT CASE WHEN region = 'asia' THEN station END), \
         sum(coalesce(temperature, 0)) FILTER (WHERE region <> 'africa') \
         FROM temperatures",
        "SELECT greatest(max(humidity) FILTER (WHERE region = 'europe'), \
           CASE WHEN count(*) FILTER (WHERE region = 'asia') > 0 THEN -1 END), \
         least(min(temperature) FILTER (WHERE temperature > 0), \
           CASE WHEN count(*) FILTER (WHERE temperature < 0) > 0 THEN 0 END, \
           CASE WHEN count(*) FILTER (WHERE temperature IS NULL OR temperature = 0) > 0 THEN 100 END), \
         count(DISTINCT station) FILTER (WHERE region = 'asia'), \
         sum(temperature) FILTER (WHERE region <> 'africa') FROM temperatures",
    );
    let (fields, _) = run("SELECT sum(CASE WHEN region = 'asia' THEN 1 ELSE 0 END), \
         avg(CASE WHEN region = 'asia' THEN 1 ELSE 0 END), \
         sum(CASE WHEN region = 'asia' THEN temperature ELSE 0 END) FROM temperatures")
    .unwrap();
    let types: Vec<PgType> = fields.iter().map(|f| f.ty).collect();
    assert_eq!(types, vec![PgType::Int8, PgType::Numeric, PgType::Float8]);
    // One request: the branches became filtered aggregates.
    let b = backend();
    let p = plan_on(
        &b,
        "SELECT sum(CASE WHEN region = 'europe' THEN temperature ELSE 0 END) FROM temperatures",
    )
    .unwrap();
    let aggs = &agg_request(&p).aggregates;
    assert_eq!(aggs.len(), 2);
    assert_eq!(aggs[0].func, AggFunc::Sum);
    assert!(aggs.iter().all(|a| a.filter.is_some()));
    // Not exact from the index: the general engine answers.
    for sql in [
        "SELECT sum(CASE WHEN region = 'europe' THEN temperature ELSE humidity * 2 END) FROM temperatures",
        "SELECT count(DISTINCT CASE WHEN region = 'asia' THEN station ELSE region END) FROM temperatures",
        "SELECT region, sum(c) FROM (SELECT region, count(*) c FROM temperatures GROUP BY region) t GROUP BY region",
    ] {
        assert_eq!(plan_on(&b, sql).unwrap_err().sqlstate(), "0A000", "{sql}");
    }
}

#[test]
fn subquery_wrappers_flatten() {
    same(
        "SELECT count(*) AS \"count\" FROM (SELECT \"public\".\"temperatures\".\"region\" AS \"region\", \
         \"public\".\"temperatures\".\"temperature\" AS \"t\" FROM \"public\".\"temperatures\" \
         WHERE \"public\".\"temperatures\".\"temperature\" > 0) AS \"source\"",
        "SELECT count(*) AS count FROM temperatures WHERE temperature > 0",
    );
    same(
        "SELECT \"source\".\"r\" AS \"r\", sum(\"source\".\"t\") AS \"sum\" FROM \
         (SELECT region AS r, temperature AS t FROM temperatures) AS \"source\" \
         WHERE \"source\".t < 5 GROUP BY \"source\".\"r\" ORDER BY \"source\".\"r\" ASC",
        "SELECT region, sum(temperature) FROM temperatures WHERE temperature < 5 GROUP BY region",
    );
    same(
        "SELECT * FROM (SELECT * FROM (SELECT region, station FROM temperatures WHERE region = 'asia') a) b \
         WHERE station IS NOT NULL",
        "SELECT region, station FROM temperatures WHERE region = 'asia' AND station IS NOT NULL",
    );
    let (fields, _) =
        run("SELECT r FROM (SELECT region AS r FROM temperatures) s GROUP BY r").unwrap();
    // Still the table's column `region` (attnum 2), as PostgreSQL reports it.
    let table = isotherm_engine::catalog::oid::relation_oid("public", "temperatures");
    assert_eq!(
        fields,
        vec![Field {
            source: Some((u32::try_from(table).unwrap(), 2)),
            ..Field::new("r", PgType::Text)
        }]
    );
    let b = backend();
    for sql in [
        "SELECT count(*) FROM (SELECT region FROM temperatures LIMIT 5) s",
        "SELECT station FROM (SELECT region FROM temperatures) s",
    ] {
        assert_eq!(plan_on(&b, sql).unwrap_err().sqlstate(), "0A000", "{sql}");
    }
}

#[test]
fn coalesce_and_case_over_groups() {
    let b = backend();
    let p = plan_on(
        &b,
        "SELECT COALESCE(station, 'none') AS s, count(*) FROM temperatures GROUP BY 1",
    )
    .unwrap();
    assert!(matches!(agg_request(&p).group_by[0], Expr::Coalesce { .. }));
    same(
        "SELECT COALESCE(station, 'none') AS s, count(*) FROM temperatures GROUP BY 1",
        "SELECT CASE WHEN station IS NULL THEN 'none' ELSE station END, count(*) FROM temperatures GROUP BY station",
    );
    same(
        "SELECT region, CASE WHEN count(*) > 16 THEN 'many' ELSE 'few' END, \
         coalesce(max(temperature), -1) FROM temperatures WHERE region = 'asia' GROUP BY region",
        "SELECT region, 'few', max(temperature) FROM temperatures WHERE region = 'asia' GROUP BY region",
    );
}
