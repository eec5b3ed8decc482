//! Differential: the same SQL over the wire against the real index
//! (`isotherm_indexer::Database`, Parquet partitions pushed into a temp dir)
//! and against the naive in-memory backend holding the same rows. Every
//! query must print the same text.
#![allow(clippy::unwrap_used)]

use std::sync::Arc;

use arrow::array::{ArrayRef, Float64Array, RecordBatch, StringArray, TimestampMicrosecondArray};
use arrow::datatypes::{DataType, Field, Schema, TimeUnit};
use bytes::Bytes;
use isotherm_indexer::{Database, Value};
use isotherm_protocol::{Backend, MemoryBackend, ProtocolConfig, serve};
use parquet::arrow::ArrowWriter;
use tokio_postgres::{Client, NoTls, SimpleQueryMessage};

const DAY_MICROS: i64 = 86_400_000_000;
const JUNE_1: i64 = 19_875;

struct Row {
    date: i64,
    region: &'static str,
    station: &'static str,
    ts: i64,
    temperature: Option<f64>,
    humidity: Option<f64>,
}

fn generate() -> Vec<Row> {
    let stations = [
        ("europe", ["paris", "berlin", "rome"]),
        ("asia", ["tokyo", "delhi", "seoul"]),
        ("america", ["lima", "quito", "bogota"]),
    ];
    let mut rows = Vec::new();
    let mut k = 0u32;
    for day in [0i64, 1, 2, 31, 45] {
        for (region, names) in &stations {
            for (si, station) in names.iter().enumerate() {
                for hour in [0i64, 6, 12, 18] {
                    k += 1;
                    let t = f64::from((k * 37) % 400) / 10.0 - 5.0 + si as f64 * 0.25;
                    rows.push(Row {
                        date: JUNE_1 + day,
                        region,
                        station,
                        ts: (JUNE_1 + day) * DAY_MICROS
                            + hour * 3_600_000_000
                            + i64::from(k % 7) * 1_000_000,
                        temperature: (!k.is_multiple_of(11)).then_some(t),
                        humidity: (!k.is_multiple_of(13)).then_some(f64::from(k % 100)),
                    });
                }
            }
        }
    }
    rows
}

fn parquet(rows: &[&Row]) -> Bytes {
    let schema = Arc::new(Schema::new(vec![
        Field::new("station", DataType::Utf8, false),
        Field::new(
            "ts",
            DataType::Timestamp(TimeUnit::Microsecond, None),
            false,
        ),
        Field::new("temperature", DataType::Float64, true),
        Field::new("humidity", DataType::Float64, true),
    ]));
    let cols: Vec<ArrayRef> = vec![
        Arc::new(StringArray::from(
            rows.iter().map(|r| r.station).collect::<Vec<_>>(),
        )),
        Arc::new(TimestampMicrosecondArray::from(
            rows.iter().map(|r| r.ts).collect::<Vec<_>>(),
        )),
        Arc::new(Float64Array::from(
            rows.iter().map(|r| r.temperature).collect::<Vec<_>>(),
        )),
        Arc::new(Float64Array::from(
            rows.iter().map(|r| r.humidity).collect::<Vec<_>>(),
        )),
    ];
    let batch = RecordBatch::try_new(schema.clone(), cols).unwrap();
    let mut buf = Vec::new();
    let mut w = ArrowWriter::try_new(&mut buf, schema, None).unwrap();
    w.write(&batch).unwrap();
    w.close().unwrap();
    Bytes::from(buf)
}

async fn connect(backend: Arc<dyn Backend>) -> Client {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let port = listener.local_addr().unwrap().port();
    tokio::spawn(serve(listener, backend, ProtocolConfig::default()));
    let (client, conn) =
        tokio_postgres::connect(&format!("host=127.0.0.1 port={port} user=isotherm"), NoTls)
            .await
            .unwrap();
    tokio::spawn(conn);
    client
}

async fn text(c: &Client, sql: &str) -> Result<Vec<Vec<String>>, String> {
    match c.simple_query(sql).await {
        Ok(msgs) => Ok(msgs
            .into_iter()
            .filter_map(|m| match m {
                SimpleQueryMessage::Row(r) => Some(
                    (0..r.len())
                        .map(|i| r.get(i).unwrap_or("NULL").to_owned())
                        .collect(),
                ),
                _ => None,
            })
            .collect()),
        Err(e) => Err(e
            .code()
            .map_or_else(|| e.to_string(), |c| c.code().to_owned())),
    }
}

/// Equal, except that floats may differ in the last bits: the index sums in
/// its own order (as PostgreSQL's answer depends on its plan's order).
fn same(a: &Result<Vec<Vec<String>>, String>, b: &Result<Vec<Vec<String>>, String>) -> bool {
    match (a, b) {
        (Ok(a), Ok(b)) => {
            a.len() == b.len()
                && a.iter().zip(b).all(|(x, y)| {
                    x.len() == y.len()
                        && x.iter().zip(y).all(|(p, q)| {
                            p == q
                                || match (p.parse::<f64>(), q.parse::<f64>()) {
                                    (Ok(u), Ok(v)) => (u - v).abs() <= 1e-9 * u.abs().max(v.abs()),
                                    _ => false,
                                }
                        })
                })
        }
        (a, b) => a == b,
    }
}

const QUERIES: &[&str] = &[
    "SELECT count(*) FROM temperatures",
    "SELECT region, count(*), count(temperature), sum(temperature), avg(temperature), min(temperature), max(temperature) \
     FROM temperatures GROUP BY region ORDER BY region",
    "SELECT date, region, count(DISTINCT station), avg(humidity) FROM temperatures GROUP BY date, region ORDER BY 1, 2",
    "SELECT date_trunc('month', date) AS m, avg(humidity), max(humidity) FROM temperatures GROUP BY m ORDER BY m",
    "SELECT date_trunc('week', date) AS w, count(*) FROM temperatures GROUP BY 1 ORDER BY 1",
    "SELECT extract(dow FROM date) AS d, count(*) FROM temperatures WHERE region <> 'asia' GROUP BY 1 ORDER BY 1",
    "SELECT extract(month FROM date), extract(year FROM date), count(*) FROM temperatures GROUP BY 1, 2 ORDER BY 1, 2",
    "SELECT date_trunc('hour', ts) AS h, max(temperature) FROM temperatures WHERE date = '2024-06-02' AND region = 'europe' GROUP BY h ORDER BY h",
    "SELECT station, max(temperature) - min(temperature) AS spread FROM temperatures GROUP BY station HAVING count(*) > 10 ORDER BY spread DESC, station",
    "SELECT * FROM temperatures WHERE temperature > 30 ORDER BY ts, station",
    "SELECT station, ts, humidity FROM temperatures WHERE temperature IS NULL ORDER BY ts, station",
    "SELECT count(*), sum(humidity) FROM temperatures WHERE date BETWEEN '2024-06-01' AND '2024-06-02' AND region IN ('europe', 'asia')",
    "SELECT count(*) FROM temperatures WHERE NOT (temperature < 20) OR station = 'lima'",
    "SELECT count(*) FROM temperatures WHERE temperature NOT BETWEEN 0 AND 30",
    "SELECT count(*) FROM temperatures WHERE station NOT IN ('paris', 'tokyo') AND humidity IS NOT NULL",
    "SELECT DISTINCT region FROM temperatures ORDER BY region",
    "SELECT DISTINCT date, region FROM temperatures WHERE date > '2024-06-15' ORDER BY date DESC, region",
    "SELECT min(date), max(date), min(ts), max(ts), min(station), max(region) FROM temperatures",
    "SELECT region, avg(temperature) FROM temperatures WHERE date >= '2024-06-02' GROUP BY region ORDER BY 2 DESC NULLS LAST",
    "SELECT count(*), sum(temperature), avg(temperature), min(date) FROM temperatures WHERE region = 'nowhere'",
    "SELECT region, count(*) FROM temperatures WHERE region = 'nowhere' GROUP BY region",
    "SELECT region FROM temperatures WHERE date > TIMESTAMP '2024-06-01 12:00' GROUP BY region ORDER BY region",
    "SELECT count(*) FROM temperatures WHERE ts >= '2024-06-02' AND ts < DATE '2024-06-03'",
    "SELECT extract(epoch FROM ts) FROM temperatures ORDER BY 1 LIMIT 3",
    "SELECT date_part('hour', ts), count(*) FROM temperatures GROUP BY 1 ORDER BY 1",
    "SELECT region, station, sum(temperature) / count(*) AS mean FROM temperatures GROUP BY region, station ORDER BY mean DESC LIMIT 4 OFFSET 1",
    "SELECT 5 < count(*) FROM temperatures",
    "SELECT t.region, count(*) FROM public.temperatures AS t WHERE t.temperature >= -1.5e0 GROUP BY t.region ORDER BY count(*), 1",
    "SELECT * FROM temperatures ORDER BY temperature DESC NULLS LAST, ts LIMIT 5",
    "SELECT station FROM temperatures WHERE humidity = 42 ORDER BY station",
    "SELECT nope FROM temperatures",
    "SELECT region, count(*) FROM temperatures",
    "SELECT * FROM temperatures WHERE date = '2024-02-30'",
];

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn index_and_reference_agree() {
    let dir = tempfile::tempdir().unwrap();
    let db = Database::open(dir.path()).unwrap();
    let rows = generate();
    let mut keys: Vec<(i64, &str)> = rows.iter().map(|r| (r.date, r.region)).collect();
    keys.dedup();
    keys.sort();
    keys.dedup();
    for (date, region) in &keys {
        let part: Vec<&Row> = rows
            .iter()
            .filter(|r| r.date == *date && r.region == *region)
            .collect();
        let day = isotherm_protocol::types::datetime::format_date(*date as i32);
        db.put_partition(
            "temperatures",
            &format!("date={day}/region={region}"),
            parquet(&part),
        )
        .unwrap();
    }
    let schema = db.schema("temperatures").unwrap();
    let memory = MemoryBackend::new();
    let mem_rows = rows
        .iter()
        .map(|r| {
            schema
                .columns
                .iter()
                .map(|c| match c.name.as_str() {
                    "date" => Value::Date(r.date as i32),
                    "region" => Value::Text(r.region.into()),
                    "station" => Value::Text(r.station.into()),
                    "ts" => Value::Timestamp(r.ts),
                    "temperature" => r.temperature.map_or(Value::Null, Value::Float64),
                    "humidity" => r.humidity.map_or(Value::Null, Value::Float64),
                    other => panic!("unexpected column {other}"),
                })
                .collect()
        })
        .collect();
    memory.insert_table((*schema).clone(), mem_rows);

    let index = connect(Arc::new(db)).await;
    let reference = connect(Arc::new(memory)).await;
    let mut failures = Vec::new();
    for sql in QUERIES {
        let got = text(&index, sql).await;
        let want = text(&reference, sql).await;
        if !same(&got, &want) {
            failures.push(format!(
                "{sql}\n  index:     {got:?}\n  reference: {want:?}"
            ));
        }
    }
    assert!(
        failures.is_empty(),
        "{} mismatches:\n{}",
        failures.len(),
        failures.join("\n")
    );
}
