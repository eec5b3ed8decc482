//! The indexer: `put_partition` of one partition of 13,440 rows (decode Parquet,
//! build dictionaries, bitmaps, value stats and rollups, write the segment
//! durably, commit), and `aggregate` over 60 partitions (15 days × 4 regions,
//! ~806k rows) along each planning path:
//!
//! | bench                      | request                                              | path        |
//! |----------------------------|------------------------------------------------------|-------------|
//! | `per_region_count_avg`     | `count(*), avg(temperature) GROUP BY region`         | rollup      |
//! | `per_region_count_avg_scan`| the same, forced to scan (the baseline)              | scan        |
//! | `top_countries_by_max`     | `max(temperature) GROUP BY country`                  | value stats |
//! | `station_daily_min_max`    | `min, max(temperature) WHERE station = 'ST000042' GROUP BY date` | value stats / bitmap |
//! | `hot_rows_per_region`      | `count(*) WHERE temperature > 25 GROUP BY region`    | scan        |
//!
//! The path each request took is printed once at setup (from `explain_aggregate`).
//! Aggregate throughput is in rows covered (all 60 partitions' rows), so paths
//! compare: a rollup answers for the same rows a scan reads.

use std::time::Duration;

use bytes::Bytes;
use criterion::{
    BenchmarkId, Criterion, SamplingMode, Throughput, criterion_group, criterion_main,
};
use isotherm_benches::{
    REGIONS, ROWS_PER_PARTITION, civil_from_days, days_from_civil, must, partition_parquet,
    partition_path,
};
use isotherm_indexer::{
    AggFunc, Aggregate, AggregateRequest, CmpOp, Database, Expr, Predicate, Value,
};

const TABLE: &str = "temperatures";
const DAYS: i64 = 15;

fn col(name: &str) -> Expr {
    Expr::Column(name.into())
}

fn agg(func: AggFunc, arg: Option<&str>) -> Aggregate {
    Aggregate::new(func, arg.map(col))
}

fn request(
    group_by: &[&str],
    aggregates: Vec<Aggregate>,
    filter: Option<Predicate>,
) -> AggregateRequest {
    AggregateRequest {
        table: TABLE.into(),
        filter,
        group_by: group_by.iter().map(|c| col(c)).collect(),
        aggregates,
    }
}

/// `(name, request, forced path)` for every aggregate bench.
fn queries() -> Vec<(&'static str, AggregateRequest, Option<&'static str>)> {
    let per_region = request(
        &["region"],
        vec![
            agg(AggFunc::CountStar, None),
            agg(AggFunc::Avg, Some("temperature")),
        ],
        None,
    );
    vec![
        ("per_region_count_avg", per_region.clone(), None),
        ("per_region_count_avg_scan", per_region, Some("scan")),
        (
            "top_countries_by_max",
            request(
                &["country"],
                vec![agg(AggFunc::Max, Some("temperature"))],
                None,
            ),
            None,
        ),
        (
            "station_daily_min_max",
            request(
                &["date"],
                vec![
                    agg(AggFunc::Min, Some("temperature")),
                    agg(AggFunc::Max, Some("temperature")),
                ],
                Some(Predicate::Compare {
                    expr: col("station"),
                    op: CmpOp::Eq,
                    value: Value::Text("ST000042".into()),
                }),
            ),
            None,
        ),
        (
            "hot_rows_per_region",
            request(
                &["region"],
                vec![agg(AggFunc::CountStar, None)],
                Some(Predicate::Compare {
                    expr: col("temperature"),
                    op: CmpOp::Gt,
                    value: Value::Float64(25.0),
                }),
            ),
            None,
        ),
    ]
}

fn put_bench(c: &mut Criterion, parquet: &Bytes) {
    let tmp = must(tempfile::tempdir(), "tempdir");
    let db = must(Database::open(tmp.path()), "Database::open");
    let mut group = c.benchmark_group("indexer");
    group
        .sample_size(10)
        .warm_up_time(Duration::from_secs(1))
        .measurement_time(Duration::from_secs(5));
    group.throughput(Throughput::Elements(ROWS_PER_PARTITION));
    // Every iteration pushes a new partition (the date in the path moves on), as
    // a load does; the file's rows do not depend on the path's date.
    let mut day = days_from_civil(2024, 1, 1);
    group.bench_function("put_partition", |b| {
        b.iter(|| {
            day += 1;
            let path = partition_path(&civil_from_days(day), REGIONS[0]);
            must(
                db.put_partition(TABLE, &path, parquet.clone()),
                "put_partition",
            )
        });
    });
    group.finish();
}

fn aggregate_bench(c: &mut Criterion) {
    let tmp = must(tempfile::tempdir(), "tempdir");
    let db = must(Database::open(tmp.path()), "Database::open");
    let first = days_from_civil(2024, 6, 1);
    let mut rows = 0;
    for d in 0..DAYS {
        let day = first + d;
        for (r, region) in REGIONS.iter().enumerate() {
            let bytes = must(partition_parquet(r, day), "partition_parquet");
            let path = partition_path(&civil_from_days(day), region);
            rows += must(db.put_partition(TABLE, &path, bytes), "put_partition").rows;
        }
    }

    let mut group = c.benchmark_group("indexer_aggregate_60_partitions");
    group
        .sample_size(15)
        .warm_up_time(Duration::from_millis(500))
        .measurement_time(Duration::from_secs(3));
    group.throughput(Throughput::Elements(rows));
    for (name, req, forced) in queries() {
        let explain = must(db.explain_aggregate(&req), "explain_aggregate");
        let answer = must(db.aggregate_via(&req, forced), "aggregate");
        let path = forced.unwrap_or(&explain.path);
        eprintln!(
            "indexer/{name}: answered by {path}{}; planner picks {} (index {}), \
             {}/{} segments selected, {} result rows",
            if forced.is_some() { " (forced)" } else { "" },
            explain.path,
            explain.index.as_deref().unwrap_or("-"),
            explain.segments_selected,
            explain.segments_total,
            answer.rows.len()
        );
        assert!(!answer.rows.is_empty(), "{name}: empty result");
        // Scans take tens of ms: equal-sized samples keep the run short.
        if path == "scan" {
            group.sampling_mode(SamplingMode::Flat).sample_size(10);
        } else {
            group.sampling_mode(SamplingMode::Auto).sample_size(15);
        }
        group.bench_function(BenchmarkId::from_parameter(name), |b| {
            b.iter(|| must(db.aggregate_via(&req, forced), "aggregate"));
        });
    }
    group.finish();
}

fn benches(c: &mut Criterion) {
    let parquet = must(partition_parquet(0, days_from_civil(2024, 6, 1)), "parquet");
    put_bench(c, &parquet);
    aggregate_bench(c);
}

criterion_group!(indexer, benches);
criterion_main!(indexer);
