//! Test fixtures: a real `isotherm_indexer::Database` in a temp dir holding a
//! small `temperatures` table, and an [`Engine`] over it.
#![allow(clippy::unwrap_used, dead_code)]

use std::sync::Arc;

use bytes::Bytes;
use isotherm_engine::arrow::array::{
    ArrayRef, Float64Array, RecordBatch, StringArray, TimestampMicrosecondArray,
};
use isotherm_engine::arrow::datatypes::{DataType, Field, Schema, TimeUnit};
use isotherm_engine::{Engine, EngineConfig, SessionVars};
use isotherm_indexer::Database;
use parquet::arrow::ArrowWriter;

pub const MICROS_PER_DAY: i64 = 86_400_000_000;

/// One partition: `(date, region, rows of (country, station, minute of day, temperature, humidity))`.
pub type Part = (
    &'static str,
    &'static str,
    Vec<(&'static str, &'static str, i64, f64, Option<f64>)>,
);

pub fn parts() -> Vec<Part> {
    vec![
        (
            "2024-06-01",
            "europe",
            vec![
                ("FR", "ST1", 60, 21.5, Some(40.0)),
                ("FR", "ST2", 120, 19.0, None),
                ("DE", "ST3", 180, 17.25, Some(55.5)),
            ],
        ),
        (
            "2024-06-02",
            "europe",
            vec![
                ("FR", "ST1", 60, 23.0, Some(35.0)),
                ("DE", "ST3", 90, 18.0, Some(60.0)),
            ],
        ),
        (
            "2024-06-01",
            "asia",
            vec![
                ("JP", "ST9", 30, 28.5, Some(80.0)),
                ("IN", "ST8", 45, 35.0, None),
            ],
        ),
    ]
}

/// Days since 1970-01-01 of `yyyy-mm-dd` (June 2024 only needs a fixed base).
fn epoch_day(date: &str) -> i64 {
    // 2024-06-01 is day 19875.
    let day: i64 = date[8..10].parse().unwrap();
    19875 + day - 1
}

pub fn parquet(date: &str, rows: &[(&str, &str, i64, f64, Option<f64>)]) -> Bytes {
    let schema = Arc::new(Schema::new(vec![
        Field::new("country", DataType::Utf8, true),
        Field::new("station", DataType::Utf8, true),
        Field::new(
            "measured_at",
            DataType::Timestamp(TimeUnit::Microsecond, Some("UTC".into())),
            true,
        ),
        Field::new("temperature", DataType::Float64, true),
        Field::new("humidity", DataType::Float64, true),
    ]));
    let base = epoch_day(date) * MICROS_PER_DAY;
    let cols: Vec<ArrayRef> = vec![
        Arc::new(StringArray::from(
            rows.iter().map(|r| Some(r.0)).collect::<Vec<_>>(),
        )),
        Arc::new(StringArray::from(
            rows.iter().map(|r| Some(r.1)).collect::<Vec<_>>(),
        )),
        Arc::new(
            TimestampMicrosecondArray::from(
                rows.iter()
                    .map(|r| Some(base + r.2 * 60_000_000))
                    .collect::<Vec<_>>(),
            )
            .with_timezone("UTC"),
        ),
        Arc::new(Float64Array::from(
            rows.iter().map(|r| Some(r.3)).collect::<Vec<_>>(),
        )),
        Arc::new(Float64Array::from(
            rows.iter().map(|r| r.4).collect::<Vec<_>>(),
        )),
    ];
    let batch = RecordBatch::try_new(schema.clone(), cols).unwrap();
    let mut buf = Vec::new();
    let mut w = ArrowWriter::try_new(&mut buf, schema, None).unwrap();
    w.write(&batch).unwrap();
    w.close().unwrap();
    Bytes::from(buf)
}

pub struct Fixture {
    pub dir: tempfile::TempDir,
    pub db: Arc<Database>,
    pub engine: Engine,
}

pub fn config() -> EngineConfig {
    EngineConfig {
        database: "isotherm".into(),
        user: "isotherm".into(),
        version: "PostgreSQL 15.0 (Isotherm 0.1.0)".into(),
    }
}

pub fn fixture() -> Fixture {
    let dir = tempfile::tempdir().unwrap();
    let db = Arc::new(Database::open(dir.path()).unwrap());
    for (date, region, rows) in parts() {
        db.put_partition(
            "temperatures",
            &format!("date={date}/region={region}"),
            parquet(date, &rows),
        )
        .unwrap();
    }
    let engine = Engine::new(db.clone(), config()).unwrap();
    Fixture { dir, db, engine }
}

pub fn vars() -> SessionVars {
    SessionVars {
        user: "alice".into(),
        settings: vec![
            ("search_path".into(), "\"$user\", public".into()),
            ("datestyle".into(), "ISO, MDY".into()),
            ("server_version".into(), "15.0".into()),
            ("client_encoding".into(), "UTF8".into()),
            ("timezone".into(), "UTC".into()),
        ],
    }
}

/// Runs `sql` without parameters; rows rendered as text (NULL as `NULL`).
pub async fn query(
    engine: &Engine,
    sql: &str,
) -> Result<Vec<Vec<String>>, isotherm_engine::EngineError> {
    let plan = engine.plan(sql, &vars(), &[]).await?;
    let batches = plan.execute(vec![]).await?;
    Ok(rows(&batches))
}

pub fn rows(batches: &[RecordBatch]) -> Vec<Vec<String>> {
    use isotherm_engine::arrow::util::display::{ArrayFormatter, FormatOptions};
    let opts = FormatOptions::default().with_null("NULL");
    let mut out = Vec::new();
    for b in batches {
        let fmts: Vec<_> = b
            .columns()
            .iter()
            .map(|c| ArrayFormatter::try_new(c.as_ref(), &opts).unwrap())
            .collect();
        for r in 0..b.num_rows() {
            out.push(fmts.iter().map(|f| f.value(r).to_string()).collect());
        }
    }
    out
}
