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
    let (mut country, mut station, mut at, mut temp, mut hum) = (vec![], vec![], vec![], vec![], vec![]);
    for s in 0..560u64 {
        let c = s * 25 / 560;
        let base = (rng.below(400) as f64 - 100.0) / 10.0;
        for h in 0..24i64 {
            country.push(format!("Country {region}-{c}"));
            station.push(format!("ST{:06}", region as u64 * 560 + s));
            at.push(i64::from(day) * MICROS_PER_DAY + h * 3_600_000_000);
            temp.push(((base + (h as f64 - 12.0).abs() * -0.4 + rng.below(20) as f64 / 10.0) * 10.0).round() / 10.0);
            hum.push(if rng.below(100) < 3 { None } else { Some(rng.below(1000) as f64 / 10.0) });
        }
    }
    let schema = Arc::new(Schema::new(vec![
        Field::new("country", DataType::Utf8, false),
        Field::new("station", DataType::Utf8, false),
        Field::new("measured_at", DataType::Timestamp(TimeUnit::Microsecond, Some("UTC".into())), false),
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
    write_parquet(&[RecordBatch::try_new(schema, cols).unwrap()], Compression::SNAPPY, 1 << 20)
}

#[test]
fn bytes_per_row_within_budget() {
    let dir = tempfile::tempdir().unwrap();
    let db = Database::open(dir.path()).unwrap();
    db.define_table(
        "t",
        serde_json::from_str(r#"{"rollups":[{"name":"by_country","dimensions":["date","country"]}]}"#).unwrap(),
    )
    .unwrap();
    let mut rows = 0;
    let mut bytes = 0;
    for (i, day) in [19_875, 19_876].into_iter().enumerate() {
        let out = db
            .put_partition("t", &format!("date=2024-06-0{}/region=r0", i + 1), product_like_day(day, 0, i as u64))
            .unwrap();
        rows += out.rows;
        bytes += out.bytes;
    }
    let per_row = bytes as f64 / rows as f64;
    let file = db.partitions("t").unwrap().remove(0).file;
    let seg = isotherm_storage::Segment::open(&dir.path().join("segments/t").join(file)).unwrap();
    let sizes: BTreeMap<u32, u64> = seg.section_ids().into_iter().map(|id| (id, seg.section_len(id).unwrap_or(0))).collect();
    eprintln!("{per_row:.2} bytes/row; sections (id: bytes): {sizes:x?}");
    assert!(per_row <= 24.0, "{per_row:.2} bytes/row");
}
