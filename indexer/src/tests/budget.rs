//! Bytes on disk per row for a partition shaped like the product data.
#![allow(clippy::unwrap_used)]

use std::collections::BTreeMap;
use std::sync::Arc;

use arrow::array::{ArrayRef, Float64Array, RecordBatch, StringArray, TimestampMicrosecondArray};
use arrow::datatypes::{DataType, Field, Schema, TimeUnit};
use bytes::Bytes;
use parquet::basic::Compression;

use crate::calendar::MICROS_PER_DAY;
use crate::database::Database;
use crate::ingest::parquet::tests::write_parquet;
use crate::tests::naive::Rng;

/// ~560 stations in ~25 countries, hourly readings rounded to 0.1, 3% NULL humidity.
pub fn product_like_day(day: i32, region: usize, seed: u64) -> Bytes {
    let mut rng = Rng::new(seed);
    let (mut country, mut station, mut at, mut temp, mut hum) =
        (vec![], vec![], vec![], vec![], vec![]);
    for s in 0..560u64 {
        let c = s * 25 / 560;
        let base = (rng.below(400) as f64 - 100.0) / 10.0;
        for h in 0..24i64 {
            country.push(format!("Country {region}-{c}"));
            station.push(format!("ST{:06}", region as u64 * 560 + s));
            at.push(i64::from(day) * MICROS_PER_DAY + h * 3_600_000_000);
            temp.push(
                ((base + (h as f64 - 12.0).abs() * -0.4 + rng.below(20) as f64 / 10.0) * 10.0)
                    .round()
                    / 10.0,
            );
            hum.push(if rng.below(100) < 3 {
                None
            } else {
                Some(rng.below(1000) as f64 / 10.0)
            });
        }
    }
    let schema = Arc::new(Schema::new(vec![
        Field::new("country", DataType::Utf8, false),
        Field::new("station", DataType::Utf8, false),
        Field::new(
            "measured_at",
            DataType::Timestamp(TimeUnit::Microsecond, Some("UTC".into())),
            false,
        ),
        Field::new("temperature", DataType::Float64, false),
        Field::new("humidity", DataType::Float64, true),
    ]));
    let cols: Vec<ArrayRef> = vec![
        Arc::new(StringArray::from(country)),
        Arc::new(StringArray::from(station)),
        Arc::new(TimestampMicrosecondArray::from(at).with_timezone("UTC")),
        Arc::new(Float64Array::from(temp)),
        Arc::new(Float64Array::from(hum)),
    ];
    write_parquet(
        &[RecordBatch::try_new(schema, cols).unwrap()],
        Compression::SNAPPY,
        1 << 20,
    )
}

#[test]
fn bytes_per_row_within_budget() {
    let dir = tempfile::tempdir().unwrap();
    let db = Database::open(dir.path()).unwrap();
    db.define_table(
        "t",
        serde_json::from_str(
            r#"{"rollups":[{"name":"by_country","dimensions":["date","country"]}]}"#,
        )
        .unwrap(),
    )
    .unwrap();
    let mut rows = 0;
    let mut bytes = 0;
    for (i, day) in [19_875, 19_876].into_iter().enumerate() {
        let out = db
            .put_partition(
                "t",
                &format!("date=2024-06-0{}/region=r0", i + 1),
                product_like_day(day, 0, i as u64),
            )
            .unwrap();
        rows += out.rows;
        bytes += out.bytes;
    }
    let per_row = bytes as f64 / rows as f64;
    let file = db.partitions("t").unwrap().remove(0).file;
    let seg = isotherm_storage::Segment::open(&dir.path().join("segments/t").join(file)).unwrap();
    let sizes: BTreeMap<u32, u64> = seg
        .section_ids()
        .into_iter()
        .map(|id| (id, seg.section_len(id).unwrap_or(0)))
        .collect();
    eprintln!("{per_row:.2} bytes/row; sections (id: bytes): {sizes:x?}");
    assert!(per_row <= 24.0, "{per_row:.2} bytes/row");
}

/// `cargo test -p isotherm-indexer scale -- --ignored --nocapture`; partitions
/// from `ISOTHERM_SCALE_PARTS` (default 96).
#[test]
#[ignore]
fn scale_smoke() {
    use crate::query::request::{
        AggFunc, Aggregate, AggregateRequest, CmpOp, Expr, Predicate, TruncUnit,
    };
    let n: usize = std::env::var("ISOTHERM_SCALE_PARTS")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(96);
    let dir = tempfile::tempdir().unwrap();
    let db = Database::open(dir.path()).unwrap();
    let bodies: Vec<Bytes> = (0..8)
        .map(|r| product_like_day(19_700, r, r as u64))
        .collect();
    let t0 = std::time::Instant::now();
    for i in 0..n {
        let (day, region) = (i / 8, i % 8);
        let date = crate::calendar::format_date(19_700 + day as i32);
        db.put_partition(
            "t",
            &format!("date={date}/region=r{region}"),
            bodies[region].clone(),
        )
        .unwrap();
    }
    eprintln!(
        "push: {:.1} ms/partition",
        t0.elapsed().as_secs_f64() * 1e3 / n as f64
    );
    drop(db);
    let t0 = std::time::Instant::now();
    let db = Database::open(dir.path()).unwrap();
    eprintln!("open {n} segments: {:?}", t0.elapsed());
    let col = |c: &str| Expr::Column(c.into());
    let aggs = vec![
        Aggregate::new(AggFunc::CountStar, None),
        Aggregate::new(AggFunc::Avg, Some(col("temperature"))),
        Aggregate::new(AggFunc::Max, Some(col("humidity"))),
    ];
    let q = |group_by: Vec<Expr>, filter: Option<Predicate>| AggregateRequest {
        table: "t".into(),
        filter,
        group_by,
        aggregates: aggs.clone(),
    };
    let month = Expr::DateTrunc {
        unit: TruncUnit::Month,
        arg: Box::new(col("date")),
    };
    let hot = Predicate::Compare {
        expr: col("temperature"),
        op: CmpOp::Gt,
        value: crate::Value::Float64(20.0),
    };
    let one_station = Predicate::Compare {
        expr: col("station"),
        op: CmpOp::Eq,
        value: crate::Value::Text("ST000042".into()),
    };
    for (name, r) in [
        ("region", q(vec![col("region")], None)),
        ("month,region", q(vec![month, col("region")], None)),
        ("country", q(vec![col("country")], None)),
        ("station", q(vec![col("station")], None)),
        (
            "one station",
            q(vec![col("date")], Some(one_station.clone())),
        ),
        (
            "station month",
            q(
                vec![col("date")],
                Some(Predicate::And(vec![
                    one_station,
                    Predicate::Compare {
                        expr: col("date"),
                        op: CmpOp::GtEq,
                        value: crate::Value::Text("2024-01-01".into()),
                    },
                    Predicate::Compare {
                        expr: col("date"),
                        op: CmpOp::Lt,
                        value: crate::Value::Text("2024-02-01".into()),
                    },
                ])),
            ),
        ),
        ("hot", q(vec![col("region")], Some(hot))),
    ] {
        if let Ok(only) = std::env::var("ISOTHERM_SCALE_ONLY") {
            if only != name {
                continue;
            }
            let t0 = std::time::Instant::now();
            while t0.elapsed().as_secs() < 4 {
                db.aggregate(&r).unwrap();
            }
        }
        for p in db.aggregate_paths(&r).unwrap() {
            let _ = db.aggregate_via(&r, Some(&p)).unwrap();
            let runs = if p == "scan" { 1 } else { 21 };
            let mut times = Vec::new();
            let mut rows = 0;
            for _ in 0..runs {
                let t0 = std::time::Instant::now();
                rows = db.aggregate_via(&r, Some(&p)).unwrap().rows.len();
                times.push(t0.elapsed().as_secs_f64() * 1e3);
            }
            times.sort_by(f64::total_cmp);
            eprintln!(
                "{name:>14} via {p:<12} {:>9.3} ms p50 ({rows} rows)",
                times[times.len() / 2]
            );
        }
    }
}
