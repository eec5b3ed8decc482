//! Planning tests: each SQL shape to the request and post-processing it yields.
#![allow(clippy::unwrap_used)]

use std::sync::Arc;

use isotherm_indexer::{
    AggFunc, Aggregate, ColumnRole, Expr, ExtractField, Predicate, ScalarType, TableSchema,
    TruncUnit, Value,
};
use sqlparser::ast::{Expr as SqlExpr, SetExpr, Statement};

use super::*;
use crate::memory::{MemoryBackend, column};
use crate::session::Session;
use crate::sql::names::TableScope;
use crate::sql::parse::parse_sql;
use crate::sql::plan::{Plan, plan_statement};

pub(crate) fn schema() -> TableSchema {
    let mut date = column("date", ScalarType::Date, ColumnRole::Dimension);
    date.partition = true;
    let mut region = column("region", ScalarType::Text, ColumnRole::Dimension);
    region.partition = true;
    TableSchema {
        name: "temperatures".into(),
        columns: vec![
            date,
            region,
            column("station", ScalarType::Text, ColumnRole::Dimension),
            column("ts", ScalarType::Timestamp, ColumnRole::Plain),
            column("temperature", ScalarType::Float64, ColumnRole::Measure),
            column("humidity", ScalarType::Float64, ColumnRole::Measure),
        ],
        rollups: vec![],
    }
}

pub(crate) fn scope() -> TableScope {
    TableScope {
        schema: Arc::new(schema()),
        table: "temperatures".into(),
        alias: None,
        database: "isotherm".into(),
    }
}

/// The WHERE expression of `SELECT * FROM temperatures WHERE <sql>`.
pub(crate) fn where_of(sql: &str) -> SqlExpr {
    let stmts = parse_sql(&format!("SELECT * FROM temperatures WHERE {sql}")).unwrap();
    let Some(Statement::Query(q)) = stmts.into_iter().next() else {
        panic!("not a query")
    };
    let SetExpr::Select(s) = *q.body else {
        panic!("not a select")
    };
    s.selection.unwrap()
}

pub(crate) fn backend() -> MemoryBackend {
    let b = MemoryBackend::new();
    b.insert_table(schema(), vec![]);
    b
}

pub(crate) fn session() -> Session {
    Session::new(
        "isotherm",
        "isotherm",
        "15.0",
        "PostgreSQL 15.0 (Isotherm 0.1.0)",
    )
}

pub(crate) fn plan_with(sql: &str, params: Params) -> SqlResult<(Plan, Params)> {
    let b = backend();
    let s = session();
    let stmts = parse_sql(sql)?;
    let mut planner = Planner {
        backend: &b,
        session: &s,
        params,
    };
    let plan = plan_statement(&stmts[0], &mut planner)?;
    Ok((plan, planner.params))
}

pub(crate) fn plan(sql: &str) -> SqlResult<SelectPlan> {
    match plan_with(sql, Params::default())?.0 {
        Plan::Select(p) => Ok(p),
        other => panic!("not a select: {other:?}"),
    }
}

fn agg_request(p: &SelectPlan) -> &AggregateRequest {
    match &p.source {
        Source::Aggregate(r) => r,
        other => panic!("not an aggregate: {other:?}"),
    }
}

fn col(c: &str) -> Expr {
    Expr::Column(c.into())
}

fn names(p: &SelectPlan) -> Vec<(&str, PgType)> {
    p.fields.iter().map(|f| (f.name.as_str(), f.ty)).collect()
}

#[test]
fn group_by_with_aggregates() {
    let p = plan(
        "SELECT region, count(*), avg(temperature) AS avg_t, max(temperature) - min(temperature) \
         FROM temperatures WHERE date >= '2024-06-01' GROUP BY region ORDER BY avg_t DESC LIMIT 3",
    )
    .unwrap();
    let r = agg_request(&p);
    assert_eq!(r.table, "temperatures");
    assert_eq!(r.group_by, vec![col("region")]);
    assert_eq!(
        r.aggregates,
        vec![
            Aggregate::new(AggFunc::CountStar, None),
            Aggregate::new(AggFunc::Avg, Some(col("temperature"))),
            Aggregate::new(AggFunc::Max, Some(col("temperature"))),
            Aggregate::new(AggFunc::Min, Some(col("temperature"))),
        ]
    );
    assert_eq!(
        r.filter,
        Some(Predicate::Compare {
            expr: col("date"),
            op: isotherm_indexer::CmpOp::GtEq,
            value: Value::Date(19_875)
        })
    );
    assert_eq!(
        names(&p),
        vec![
            ("region", PgType::Text),
            ("count", PgType::Int8),
            ("avg_t", PgType::Float8),
            ("?column?", PgType::Float8)
        ]
    );
    assert_eq!(p.limit, Some(3));
    assert!(p.order_by[0].desc && p.order_by[0].nulls_first);
    assert_eq!(p.order_by[0].expr, p.projection[2]);
}

#[test]
fn group_by_positions_aliases_and_functions() {
    let p = plan(
        "SELECT date_trunc('month', date) AS m, extract(year FROM date), count(*) \
         FROM public.temperatures t GROUP BY 1, 2 ORDER BY m",
    )
    .unwrap();
    let r = agg_request(&p);
    assert_eq!(
        r.group_by,
        vec![
            Expr::DateTrunc {
                unit: TruncUnit::Month,
                arg: Box::new(col("date"))
            },
            Expr::Extract {
                field: ExtractField::Year,
                arg: Box::new(col("date"))
            },
        ]
    );
    assert_eq!(
        names(&p),
        vec![
            ("m", PgType::TimestampTz),
            ("extract", PgType::Numeric),
            ("count", PgType::Int8)
        ]
    );
    let p = plan("SELECT region AS r, sum(temperature) FROM temperatures GROUP BY r").unwrap();
    assert_eq!(agg_request(&p).group_by, vec![col("region")]);
    let p = plan("SELECT date_part('year', ts) FROM temperatures GROUP BY date_part('year', ts)")
        .unwrap();
    assert_eq!(names(&p), vec![("date_part", PgType::Float8)]);
}

#[test]
fn having_adds_hidden_aggregates() {
    let p = plan("SELECT region FROM temperatures GROUP BY region HAVING count(*) > 10 ORDER BY max(temperature)").unwrap();
    let r = agg_request(&p);
    assert_eq!(r.aggregates.len(), 2);
    assert_eq!(p.projection.len(), 1);
    assert!(p.having.is_some());
}

#[test]
fn detail_scans_push_limit_only_without_order() {
    let p = plan("SELECT * FROM temperatures WHERE region = 'eu' LIMIT 5 OFFSET 2").unwrap();
    let Source::Scan(r) = &p.source else { panic!() };
    assert_eq!(r.columns.len(), 6);
    assert_eq!(r.limit, Some(7));
    assert_eq!(names(&p)[0], ("date", PgType::Date));
    let p = plan("SELECT t.station, temperature FROM temperatures AS t ORDER BY ts DESC LIMIT 5")
        .unwrap();
    let Source::Scan(r) = &p.source else { panic!() };
    assert_eq!(
        r.columns,
        vec![col("station"), col("temperature"), col("ts")]
    );
    assert_eq!(r.limit, None);
    assert_eq!(p.projection.len(), 2);
}

#[test]
fn distinct_becomes_group_by() {
    let p = plan("SELECT DISTINCT region FROM temperatures ORDER BY region").unwrap();
    assert_eq!(agg_request(&p).group_by, vec![col("region")]);
    assert!(!p.distinct);
}

#[test]
fn select_without_from() {
    let p =
        plan("SELECT 1, 'a', 2.50, 1 + 2 * 3, version(), current_setting('DateStyle')").unwrap();
    assert_eq!(p.source, Source::Single);
    assert_eq!(
        names(&p),
        vec![
            ("?column?", PgType::Int4),
            ("?column?", PgType::Text),
            ("?column?", PgType::Numeric),
            ("?column?", PgType::Int4),
            ("version", PgType::Text),
            ("current_setting", PgType::Text),
        ]
    );
    let rows = crate::sql::exec::post_process(&p, vec![vec![]]).unwrap();
    assert_eq!(rows[0][3], Value::Int64(7));
    assert_eq!(rows[0][5], Value::Text("ISO, MDY".into()));
}

#[test]
fn parameters_take_the_column_type() {
    let (plan, params) = plan_with(
        "SELECT count(*) FROM temperatures WHERE date = $1 AND temperature > $2 LIMIT $3",
        Params::default(),
    )
    .unwrap();
    assert!(matches!(plan, Plan::Select(_)));
    assert_eq!(
        params.resolved_types().unwrap(),
        vec![PgType::Date, PgType::Float8, PgType::Int8]
    );
    let bound = Params::bound(
        vec![Some(PgType::Date), Some(PgType::Float8), Some(PgType::Int8)],
        vec![Value::Date(19_875), Value::Float64(20.0), Value::Int64(5)],
    );
    let Plan::Select(p) = plan_with(
        "SELECT count(*) FROM temperatures WHERE date = $1 AND temperature > $2 LIMIT $3",
        bound,
    )
    .unwrap()
    .0
    else {
        panic!()
    };
    assert_eq!(p.limit, Some(5));
    assert!(matches!(plan_filter(&p), Some(Predicate::And(v)) if v.len() == 2));
    assert_eq!(
        plan_with("SELECT $1", Params::default())
            .unwrap_err()
            .sqlstate(),
        "42P18"
    );
}

#[test]
fn table_name_forms() {
    for sql in [
        "SELECT count(*) FROM temperatures",
        "SELECT count(*) FROM \"temperatures\"",
        "SELECT count(*) FROM TEMPERATURES",
        "SELECT count(*) FROM public.temperatures",
        "SELECT count(*) FROM isotherm.public.temperatures",
        "SELECT count(t.region) FROM temperatures t",
        "SELECT count(temperatures.region) FROM temperatures",
    ] {
        assert!(plan(sql).is_ok(), "{sql}");
    }
}

#[test]
fn errors_have_postgres_sqlstates() {
    let cases = [
        ("SELECT * FROM nope", "42P01"),
        ("SELECT * FROM \"Temperatures\"", "42P01"),
        ("SELECT nope FROM temperatures", "42703"),
        ("SELECT x.region FROM temperatures t", "42P01"),
        ("SELECT temperatures.region FROM temperatures t", "42P01"),
        ("SELECT region, count(*) FROM temperatures", "42803"),
        (
            "SELECT station, count(*) FROM temperatures GROUP BY region",
            "42803",
        ),
        ("SELECT sum(region) FROM temperatures", "42883"),
        ("SELECT avg(date) FROM temperatures", "42883"),
        ("SELECT * FROM temperatures WHERE region = 1", "42883"),
        (
            "SELECT * FROM temperatures WHERE date = '2024-13-45'",
            "22008",
        ),
        ("SELECT * FROM temperatures WHERE date = 'x'", "22007"),
        (
            "SELECT * FROM temperatures WHERE temperature > 'x'",
            "22P02",
        ),
        (
            "SELECT * FROM temperatures a JOIN temperatures b ON a.date = b.date",
            "0A000",
        ),
        ("SELECT * FROM (SELECT 1) s", "0A000"),
        ("WITH x AS (SELECT 1) SELECT * FROM x", "0A000"),
        ("SELECT 1 UNION SELECT 2", "0A000"),
        ("SELECT row_number() OVER () FROM temperatures", "0A000"),
        ("INSERT INTO temperatures VALUES (1)", "0A000"),
        ("SELECT region FROM temperatures ORDER BY 5", "42P10"),
        ("SELECT region FROM temperatures GROUP BY 3", "42P10"),
        ("SELECT sum(count(*)) FROM temperatures", "42803"),
        (
            "SELECT count(*) FROM temperatures GROUP BY count(*)",
            "42803",
        ),
        ("SELECT 1/0", "22012"),
        ("SELECT nosuchfn(1)", "42883"),
        ("SELECT upper(region) FROM temperatures", "0A000"),
        ("SELECT stddev(temperature) FROM temperatures", "0A000"),
        (
            "SELECT round(avg(temperature), 2) FROM temperatures",
            "42883",
        ),
        ("SELECT * FROM temperatures LIMIT -1", "2201W"),
        (
            "SELECT date_trunc('fortnight', date) FROM temperatures GROUP BY 1",
            "22023",
        ),
        (
            "SELECT extract(hour FROM date) FROM temperatures GROUP BY 1",
            "0A000",
        ),
        (
            "SELECT DISTINCT region FROM temperatures ORDER BY station",
            "42P10",
        ),
    ];
    for (sql, code) in cases {
        let got = plan_with(sql, Params::default())
            .and_then(|(p, _)| match p {
                Plan::Select(p) => crate::sql::exec::post_process(&p, vec![vec![]]).map(|_| ()),
                _ => Ok(()),
            })
            .err()
            .map(|e| e.sqlstate());
        assert_eq!(got, Some(code), "{sql}");
    }
}

#[test]
fn unsupported_messages_name_the_construct() {
    let msg = |sql: &str| plan(sql).unwrap_err().message();
    assert_eq!(
        msg("SELECT * FROM temperatures a JOIN temperatures b ON true"),
        "JOIN is not supported"
    );
    assert!(msg("WITH x AS (SELECT 1) SELECT 1").starts_with("WITH"));
    assert_eq!(
        msg("SELECT region, count(*) FROM temperatures"),
        "column \"temperatures.region\" must appear in the GROUP BY clause or be used in an aggregate function"
    );
}
