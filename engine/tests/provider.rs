//! The table provider over a real `Database`: general SQL through DataFusion
//! with Isotherm's tables as schema `public`, checked against the index's own
//! aggregate answers and against DataFusion over the same rows in memory
//! (no pushdown), so a wrong pushdown shows as a difference.
#![allow(clippy::unwrap_used)]

use std::collections::BTreeMap;
use std::sync::Arc;
use std::time::Instant;

use datafusion::arrow::array::{
    ArrayRef, Float64Array, Int64Array, RecordBatch, StringArray, TimestampMicrosecondArray,
};
use datafusion::arrow::datatypes::{DataType, Field, Schema};
use datafusion::catalog::{MemTable, MemorySchemaProvider, SchemaProvider};
use datafusion::common::ScalarValue;
use datafusion::prelude::SessionContext;
use isotherm_benches::{days_from_civil, partition_parquet, partition_path};
use isotherm_engine::provider::PublicSchema;
use isotherm_indexer::{
    AggFunc, Aggregate, AggregateRequest, CmpOp, Database, Expr as IExpr, ExtractField, Predicate,
    TruncUnit, Value,
};
use tempfile::TempDir;

const DAY0: &str = "2024-06-01";

struct Fixture {
    _dir: TempDir,
    db: Arc<Database>,
    ctx: SessionContext,
}

fn day0() -> i64 {
    days_from_civil(2024, 6, 1)
}

/// `temps`: `days` days × the first `regions` bench regions (13,440 rows
/// each); `readings`: a small table with nulls, integers and naive timestamps.
fn fixture(days: i64, regions: usize, chunk_rows: Option<u64>) -> Fixture {
    let dir = TempDir::new().unwrap();
    let db = Arc::new(Database::open(dir.path()).unwrap());
    for d in 0..days {
        for r in 0..regions {
            let day = day0() + d;
            let path = partition_path(
                &isotherm_benches::civil_from_days(day),
                isotherm_benches::REGIONS[r],
            );
            db.put_partition("temps", &path, partition_parquet(r, day).unwrap())
                .unwrap();
        }
    }
    for (i, day) in ["2024-06-01", "2024-06-02", "2024-07-15"]
        .iter()
        .enumerate()
    {
        for region in ["north", "south"] {
            let path = format!("date={day}/region={region}");
            db.put_partition(
                "readings",
                &path,
                readings_parquet(i as i64 * 2 + i64::from(region == "south")),
            )
            .unwrap();
        }
    }
    let ctx = SessionContext::new();
    let mut public = PublicSchema::new(db.clone());
    if let Some(rows) = chunk_rows {
        public = public.with_chunk_rows(rows);
    }
    let catalog = ctx.catalog("datafusion").unwrap();
    catalog.register_schema("public", Arc::new(public)).unwrap();
    Fixture { _dir: dir, db, ctx }
}

/// 200 rows: station (nullable text), n (nullable bigint), at (timestamp
/// without time zone), temp (nullable float, with -0.0 and NaN).
fn readings_parquet(seed: i64) -> bytes::Bytes {
    let n = 200;
    let station: Vec<Option<String>> = (0..n)
        .map(|i| (i % 17 != 0).then(|| format!("S{}", (i * 7 + seed) % 9)))
        .collect();
    let ints: Vec<Option<i64>> = (0..n)
        .map(|i| (i % 11 != 3).then_some((i * 13 + seed * 5) % 40 - 20))
        .collect();
    let at: Vec<i64> = (0..n)
        .map(|i| (day0() + seed) * 86_400_000_000 + i * 7 * 60_000_000)
        .collect();
    let temp: Vec<Option<f64>> = (0..n)
        .map(|i| match i % 23 {
            0 => None,
            1 => Some(-0.0),
            2 if seed == 3 => Some(f64::NAN),
            _ => Some(((i * 37 + seed * 11) % 500) as f64 / 10.0 - 15.0),
        })
        .collect();
    let schema = Arc::new(Schema::new(vec![
        Field::new("station", DataType::Utf8, true),
        Field::new("n", DataType::Int64, true),
        Field::new(
            "at",
            DataType::Timestamp(datafusion::arrow::datatypes::TimeUnit::Microsecond, None),
            false,
        ),
        Field::new("temp", DataType::Float64, true),
    ]));
    let columns: Vec<ArrayRef> = vec![
        Arc::new(StringArray::from(station)),
        Arc::new(Int64Array::from(ints)),
        Arc::new(TimestampMicrosecondArray::from(at)),
        Arc::new(Float64Array::from(temp)),
    ];
    let batch = RecordBatch::try_new(schema.clone(), columns).unwrap();
    let mut out = Vec::new();
    let mut w = parquet::arrow::ArrowWriter::try_new(&mut out, schema, None).unwrap();
    w.write(&batch).unwrap();
    w.close().unwrap();
    bytes::Bytes::from(out)
}

/// Rows as strings, sorted (SQL without ORDER BY has no order).
async fn rows(ctx: &SessionContext, sql: &str) -> Vec<Vec<String>> {
    let batches = ctx
        .sql(sql)
        .await
        .unwrap_or_else(|e| panic!("{sql}: {e}"))
        .collect()
        .await
        .unwrap_or_else(|e| panic!("{sql}: {e}"));
    let mut out = Vec::new();
    for b in &batches {
        for r in 0..b.num_rows() {
            out.push(
                b.columns()
                    .iter()
                    .map(|c| ScalarValue::try_from_array(c, r).unwrap().to_string())
                    .collect(),
            );
        }
    }
    out.sort();
    out
}

async fn explain(ctx: &SessionContext, sql: &str) -> String {
    rows(ctx, &format!("EXPLAIN {sql}"))
        .await
        .into_iter()
        .map(|r| r.join(" | "))
        .collect::<Vec<_>>()
        .join("\n")
}

fn agg(func: AggFunc, arg: Option<&str>) -> Aggregate {
    Aggregate::new(func, arg.map(|c| IExpr::Column(c.into())))
}

fn text(s: &str) -> Value {
    Value::Text(s.into())
}

/// The index's answer, as strings keyed by the group values.
fn index_answer(db: &Database, req: &AggregateRequest) -> BTreeMap<Vec<String>, Vec<Value>> {
    let rs = db.aggregate(req).unwrap();
    let g = req.group_by.len();
    rs.rows
        .into_iter()
        .map(|r| {
            let key = r[..g].iter().map(value_key).collect();
            (key, r[g..].to_vec())
        })
        .collect()
}

fn value_key(v: &Value) -> String {
    match v {
        Value::Text(s) => s.clone(),
        Value::Date(d) => isotherm_indexer::calendar::format_date(*d),
        Value::Numeric(n) => n.to_string(),
        Value::TimestampTz(t) | Value::Timestamp(t) => (t / 1_000_000).to_string(),
        other => format!("{other:?}"),
    }
}

fn close(a: f64, b: f64) -> bool {
    (a - b).abs() <= 1e-9 * a.abs().max(b.abs()).max(1.0)
}

/// Compares DataFusion's rows `[group.., count, sum, min, max]` with the index.
fn assert_same_aggregates(
    df: &[Vec<String>],
    index: &BTreeMap<Vec<String>, Vec<Value>>,
    groups: usize,
) {
    assert_eq!(df.len(), index.len(), "group count: {df:?}");
    for row in df {
        let want = index
            .get(&row[..groups].to_vec())
            .unwrap_or_else(|| panic!("group {row:?} not in the index answer"));
        for (got, want) in row[groups..].iter().zip(want) {
            match want {
                Value::Int64(n) => assert_eq!(got, &n.to_string(), "{row:?}"),
                Value::Float64(f) => {
                    let g: f64 = got.parse().unwrap();
                    assert!(close(g, *f), "{row:?}: {g} vs {f}");
                }
                Value::Null => assert_eq!(got, "NULL", "{row:?}"),
                other => panic!("unexpected {other:?}"),
            }
        }
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn aggregates_match_the_index() {
    let f = fixture(3, 2, Some(20_000));
    let aggs = vec![
        agg(AggFunc::CountStar, None),
        agg(AggFunc::Sum, Some("temperature")),
        agg(AggFunc::Min, Some("temperature")),
        agg(AggFunc::Max, Some("humidity")),
    ];
    let cases: Vec<(&str, Vec<IExpr>, Option<Predicate>)> = vec![
        (
            "SELECT region, count(*), sum(temperature), min(temperature), max(humidity) \
             FROM temps GROUP BY region",
            vec![IExpr::Column("region".into())],
            None,
        ),
        (
            "SELECT country, count(*), sum(temperature), min(temperature), max(humidity) \
             FROM temps WHERE region = 'europe' AND temperature > 15.5 GROUP BY country",
            vec![IExpr::Column("country".into())],
            Some(Predicate::And(vec![
                Predicate::Compare {
                    expr: IExpr::Column("region".into()),
                    op: CmpOp::Eq,
                    value: text("europe"),
                },
                Predicate::Compare {
                    expr: IExpr::Column("temperature".into()),
                    op: CmpOp::Gt,
                    value: Value::Float64(15.5),
                },
            ])),
        ),
        (
            "SELECT CAST(extract(dow FROM date) AS VARCHAR), count(*), sum(temperature), \
             min(temperature), max(humidity) FROM temps \
             WHERE date BETWEEN DATE '2024-06-01' AND DATE '2024-06-02' GROUP BY 1",
            vec![IExpr::Extract {
                field: ExtractField::Dow,
                arg: Box::new(IExpr::Column("date".into())),
            }],
            Some(Predicate::Between {
                expr: IExpr::Column("date".into()),
                low: Value::Date(day0() as i32),
                high: Value::Date(day0() as i32 + 1),
                negated: false,
            }),
        ),
        (
            "SELECT CAST(CAST(date_trunc('hour', measured_at) AS BIGINT) / 1000000 AS VARCHAR), \
             count(*), sum(temperature), min(temperature), max(humidity) FROM temps \
             WHERE station IN ('ST000042', 'ST000600') GROUP BY 1",
            vec![IExpr::DateTrunc {
                unit: TruncUnit::Hour,
                arg: Box::new(IExpr::Column("measured_at".into())),
            }],
            Some(Predicate::InList {
                expr: IExpr::Column("station".into()),
                values: vec![text("ST000042"), text("ST000600")],
                negated: false,
            }),
        ),
    ];
    for (sql, group_by, filter) in cases {
        let req = AggregateRequest {
            table: "temps".into(),
            filter,
            group_by,
            aggregates: aggs.clone(),
        };
        let groups = req.group_by.len();
        let want = index_answer(&f.db, &req);
        let got = rows(&f.ctx, sql).await;
        assert!(!got.is_empty(), "{sql}");
        assert_same_aggregates(&got, &want, groups);
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn general_sql_runs_over_the_index() {
    let f = fixture(2, 2, None);
    let count = |filter: Option<Predicate>| {
        let req = AggregateRequest {
            table: "temps".into(),
            filter,
            group_by: vec![],
            aggregates: vec![agg(AggFunc::CountStar, None)],
        };
        match &f.db.aggregate(&req).unwrap().rows[0][0] {
            Value::Int64(n) => n.to_string(),
            other => panic!("{other:?}"),
        }
    };
    let eq = |c: &str, v: &str| Predicate::Compare {
        expr: IExpr::Column(c.into()),
        op: CmpOp::Eq,
        value: text(v),
    };

    // A count over a subquery wrapper (what BI tools send).
    let got = rows(
        &f.ctx,
        "SELECT count(*) FROM (SELECT station, temperature FROM temps WHERE region = 'asia') AS source",
    )
    .await;
    assert_eq!(got, vec![vec![count(Some(eq("region", "asia")))]]);

    // A CTE joined to a VALUES list.
    let got = rows(
        &f.ctx,
        "WITH names(region, label) AS (VALUES ('europe', 'Europe'), ('asia', 'Asia')) \
         SELECT n.label, count(*) FROM temps t JOIN names n ON t.region = n.region GROUP BY n.label",
    )
    .await;
    assert_eq!(
        got,
        vec![
            vec!["Asia".to_owned(), count(Some(eq("region", "asia")))],
            vec!["Europe".to_owned(), count(Some(eq("region", "europe")))],
        ]
    );

    // A self-join: stations seen on both days.
    let got = rows(
        &f.ctx,
        "SELECT count(*) FROM (SELECT DISTINCT a.station FROM temps a JOIN temps b \
         ON a.station = b.station AND a.date < b.date) s",
    )
    .await;
    assert_eq!(
        got,
        vec![vec![
            (2 * isotherm_benches::STATIONS_PER_REGION).to_string()
        ]]
    );

    // CASE inside an aggregate equals a filtered count.
    let got = rows(
        &f.ctx,
        "SELECT sum(CASE WHEN temperature > 20 THEN 1 ELSE 0 END) FROM temps",
    )
    .await;
    let warm = Predicate::Compare {
        expr: IExpr::Column("temperature".into()),
        op: CmpOp::Gt,
        value: Value::Float64(20.0),
    };
    assert_eq!(got, vec![vec![count(Some(warm))]]);

    // String functions (not pushed down: DataFusion filters).
    let got = rows(
        &f.ctx,
        "SELECT count(*) FROM temps WHERE lower(country) LIKE 'fr%' AND length(station) = 8",
    )
    .await;
    assert_eq!(got, vec![vec![count(Some(eq("country", "France")))]]);
    let got = rows(
        &f.ctx,
        "SELECT DISTINCT upper(region) || '/' || substr(station, 1, 3) FROM temps",
    )
    .await;
    assert_eq!(
        got,
        vec![vec!["ASIA/ST0".to_owned()], vec!["EUROPE/ST0".to_owned()]]
    );

    // A window function: the warmest region per day, from per-day averages.
    let got = rows(
        &f.ctx,
        "SELECT date, region FROM (SELECT date, region, \
         rank() OVER (PARTITION BY date ORDER BY avg(temperature) DESC) AS r \
         FROM temps GROUP BY date, region) s WHERE r = 1",
    )
    .await;
    let req = AggregateRequest {
        table: "temps".into(),
        filter: None,
        group_by: vec![IExpr::Column("date".into()), IExpr::Column("region".into())],
        aggregates: vec![agg(AggFunc::Avg, Some("temperature"))],
    };
    let mut best: BTreeMap<String, (f64, String)> = BTreeMap::new();
    for (key, v) in index_answer(&f.db, &req) {
        let Value::Float64(avg) = v[0] else { panic!() };
        let e = best
            .entry(key[0].clone())
            .or_insert((f64::MIN, String::new()));
        if avg > e.0 {
            *e = (avg, key[1].clone());
        }
    }
    let want: Vec<Vec<String>> = best.into_iter().map(|(d, (_, r))| vec![d, r]).collect();
    assert_eq!(got, want);

    // Date functions in the select list and UNION ALL.
    let got = rows(
        &f.ctx,
        "SELECT to_char(max(measured_at), '%Y-%m-%d %H') FROM temps \
         UNION ALL SELECT CAST(min(date) + INTERVAL '1 day' AS VARCHAR) FROM temps",
    )
    .await;
    assert_eq!(
        got,
        vec![
            vec!["2024-06-02".to_owned()],
            vec!["2024-06-02 23".to_owned()]
        ]
    );

    // LIMIT and an empty projection.
    assert_eq!(rows(&f.ctx, "SELECT * FROM temps LIMIT 5").await.len(), 5);
    assert_eq!(
        rows(&f.ctx, "SELECT count(*) FROM temps").await,
        vec![vec![count(None)]]
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn pushdown_shows_in_explain() {
    let f = fixture(2, 2, None);
    let plan = explain(
        &f.ctx,
        "SELECT count(*) FROM temps WHERE region = 'europe' AND date >= DATE '2024-06-02'",
    )
    .await;
    assert!(
        plan.contains("filter=region = 'europe' AND date >= DATE '2024-06-02'"),
        "{plan}"
    );
    assert!(plan.contains("segments=1/4"), "{plan}");
    // Exact: DataFusion does not filter again.
    assert!(!plan.contains("FilterExec"), "{plan}");

    // Partly translatable: the index gets the conjunct it can take,
    // DataFusion re-applies the whole filter.
    let plan = explain(
        &f.ctx,
        "SELECT station FROM temps WHERE region = 'asia' AND upper(country) = 'JAPAN'",
    )
    .await;
    assert!(plan.contains("filter=region = 'asia'"), "{plan}");
    assert!(plan.contains("FilterExec"), "{plan}");

    // date_trunc over a cast DataFusion inserted.
    let plan = explain(
        &f.ctx,
        "SELECT count(*) FROM temps WHERE date_trunc('month', date) = TIMESTAMP '2024-06-01 00:00:00'",
    )
    .await;
    assert!(
        plan.contains("filter=date_trunc('month', date) = TIMESTAMP '2024-06-01 00:00:00'"),
        "{plan}"
    );
    println!("{plan}");
}

/// Every filter gives the same rows through the index (pushdown) as
/// DataFusion alone over a copy of the table in memory.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn pushdown_keeps_the_same_rows() {
    let f = fixture(1, 1, Some(150));
    // A copy of `readings` in memory, in another schema.
    let all = f.ctx.sql("SELECT * FROM readings").await.unwrap();
    let schema = Arc::new(all.schema().as_arrow().clone());
    let batches = all.collect().await.unwrap();
    let mem = MemorySchemaProvider::new();
    mem.register_table(
        "readings".into(),
        Arc::new(MemTable::try_new(schema, vec![batches]).unwrap()),
    )
    .unwrap();
    f.ctx
        .catalog("datafusion")
        .unwrap()
        .register_schema("mem", Arc::new(mem))
        .unwrap();
    let filters = [
        "region = 'north'",
        "region <> 'north' OR station = 'S3'",
        "station IS NULL",
        "NOT (station IN ('S1', 'S2'))",
        "station NOT IN ('S1', NULL)",
        "n > 5",
        "n BETWEEN -3 AND 4",
        "n NOT BETWEEN -3 AND 4",
        "n > 2.5",
        "n IN (1, 2, 3) OR n IS NULL",
        "NOT (n < 0 AND station = 'S4')",
        "temp > 10 AND temp <= 20.5",
        "temp < -0.5 OR temp IS NULL",
        "date = DATE '2024-06-02'",
        "date > '2024-06-01'",
        "date < TIMESTAMP '2024-07-15 00:00:01'",
        "at >= TIMESTAMP '2024-06-02 10:00:00'",
        "at < '2024-07-15 01:00:00' AND region = 'south'",
        "date_trunc('hour', at) = TIMESTAMP '2024-06-01 05:00:00'",
        "date_trunc('month', date) = TIMESTAMP '2024-07-01 00:00:00'",
        "date_trunc('week', at) >= TIMESTAMP '2024-06-03 00:00:00'",
        "extract(dow FROM date) = 6",
        "extract(hour FROM at) BETWEEN 3 AND 5",
        "extract(month FROM at) = 7 OR extract(day FROM date) = 1",
        "date_part('doy', date) > 153",
        "upper(station) = 'S1' AND n > 0",
        "true",
    ];
    for filter in filters {
        let q = |schema: &str| {
            format!("SELECT region, date, station, n, at FROM {schema}.readings WHERE {filter}")
        };
        let got = rows(&f.ctx, &q("public")).await;
        let want = rows(&f.ctx, &q("mem")).await;
        assert_eq!(got.len(), want.len(), "{filter}");
        assert_eq!(got, want, "{filter}");
    }
    // Where Arrow and PostgreSQL differ, the pushed filter answers as
    // PostgreSQL does: -0 = 0.
    let got = rows(
        &f.ctx,
        "SELECT count(*) FROM public.readings WHERE temp = 0",
    )
    .await;
    let want = rows(
        &f.ctx,
        "SELECT count(*) FROM mem.readings WHERE abs(temp) = 0",
    )
    .await;
    assert_eq!(got, want);
    assert_ne!(got, vec![vec!["0".to_owned()]]);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn tables_appear_while_running() {
    let f = fixture(1, 1, None);
    let schema = f
        .ctx
        .catalog("datafusion")
        .unwrap()
        .schema("public")
        .unwrap();
    assert_eq!(schema.table_names(), vec!["readings", "temps"]);
    assert!(!schema.table_exist("later"));
    f.db.put_partition(
        "later",
        &partition_path(DAY0, "asia"),
        partition_parquet(1, day0()).unwrap(),
    )
    .unwrap();
    assert!(schema.table_exist("later"));
    assert_eq!(
        rows(&f.ctx, "SELECT count(*) FROM later").await,
        vec![vec![isotherm_benches::ROWS_PER_PARTITION.to_string()]]
    );
    let err = f.ctx.sql("SELECT * FROM nowhere").await.unwrap_err();
    assert!(err.to_string().contains("nowhere"), "{err}");
}

/// ~2M rows (150 partitions) scanned whole; prints the time.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
#[ignore = "builds 2M rows; run with --ignored --nocapture"]
async fn full_scan_of_two_million_rows() {
    let t0 = Instant::now();
    let f = fixture(38, 4, None);
    println!("indexed 152 partitions in {:?}", t0.elapsed());
    let total = 38 * 4 * isotherm_benches::ROWS_PER_PARTITION;
    for sql in [
        "SELECT count(*) FROM temps",
        "SELECT count(*), sum(temperature), max(station), min(measured_at) FROM temps",
        "SELECT count(*) FROM (SELECT * FROM temps) s",
    ] {
        let t = Instant::now();
        let got = rows(&f.ctx, sql).await;
        println!("{sql}: {:?} ({total} rows)", t.elapsed());
        assert_eq!(got[0][0], total.to_string());
    }
}
