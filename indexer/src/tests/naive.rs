//! Test data (Parquet written with the parquet crate) and a naive row-at-a-time
//! evaluator to compare every index path against.
#![allow(clippy::unwrap_used)]

use std::cmp::Ordering;
use std::collections::{HashMap, HashSet};
use std::sync::Arc;

use arrow::array::{ArrayRef, Float64Array, RecordBatch, StringArray, TimestampMicrosecondArray};
use arrow::datatypes::{DataType, Field, Schema, TimeUnit};
use bytes::Bytes;
use parquet::basic::Compression;

use crate::calendar::MICROS_PER_DAY;
use crate::ingest::parquet::tests::write_parquet;
use crate::query::expr::{AtomTest, HKey, and3, apply, cmp_values, or3};
use crate::query::request::{AggFunc, AggregateRequest, Expr, Predicate, ResultSet, ScanRequest};
use crate::schema::TableSchema;
use crate::value::{ScalarType, Value, float_cmp};

/// Deterministic xorshift.
pub struct Rng(u64);
impl Rng {
    pub fn new(seed: u64) -> Rng {
        Rng(seed.wrapping_mul(0x9E37_79B9_7F4A_7C15) | 1)
    }
    pub fn next(&mut self) -> u64 {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        self.0
    }
    pub fn below(&mut self, n: u64) -> u64 {
        self.next() % n
    }
}

pub const DAYS: [&str; 4] = ["2024-01-30", "2024-01-31", "2024-02-01", "2024-06-02"];
pub const REGIONS: [&str; 2] = ["europe", "asia"];

/// One partition's rows: country, station, measured_at, temperature, humidity.
pub struct Part {
    pub path: String,
    pub date: i32,
    pub region: String,
    pub rows: Vec<[Value; 5]>,
}

pub fn make_part(day: &str, region: &str, seed: u64, n: usize) -> Part {
    let mut rng = Rng::new(seed);
    let date = crate::calendar::parse_date(day).unwrap();
    let mut rows = Vec::new();
    for _ in 0..n {
        let c = rng.below(4);
        let country = if rng.below(50) == 0 {
            Value::Null
        } else {
            Value::Text(format!("{region}-c{c}"))
        };
        let station = if rng.below(60) == 0 {
            Value::Null
        } else {
            Value::Text(format!(
                "ST{:06}",
                c * 10 + rng.below(5) + if region == "asia" { 500 } else { 0 }
            ))
        };
        let ts = Value::TimestampTz(
            i64::from(date) * MICROS_PER_DAY + rng.below(1440) as i64 * 60_000_000,
        );
        let t = (rng.below(700) as f64 - 300.0) / 10.0;
        let temperature = if seed % 7 == 3 && rng.below(10) == 0 {
            Value::Float64(t + 0.123_456_7)
        } else {
            Value::Float64(t)
        };
        let humidity = if rng.below(30) == 0 {
            Value::Null
        } else {
            Value::Float64(rng.below(1000) as f64 / 10.0)
        };
        rows.push([country, station, ts, temperature, humidity]);
    }
    Part {
        path: format!("date={day}/region={region}"),
        date,
        region: region.to_owned(),
        rows,
    }
}

pub fn parquet_of(part: &Part) -> Bytes {
    let schema = Arc::new(Schema::new(vec![
        Field::new("country", DataType::Utf8, true),
        Field::new("station", DataType::Utf8, true),
        Field::new(
            "measured_at",
            DataType::Timestamp(TimeUnit::Microsecond, Some("UTC".into())),
            false,
        ),
        Field::new("temperature", DataType::Float64, true),
        Field::new("humidity", DataType::Float64, true),
    ]));
    let text = |i: usize| -> ArrayRef {
        Arc::new(StringArray::from(
            part.rows
                .iter()
                .map(|r| {
                    if let Value::Text(s) = &r[i] {
                        Some(s.clone())
                    } else {
                        None
                    }
                })
                .collect::<Vec<_>>(),
        ))
    };
    let float = |i: usize| -> ArrayRef {
        Arc::new(Float64Array::from(
            part.rows
                .iter()
                .map(|r| {
                    if let Value::Float64(x) = r[i] {
                        Some(x)
                    } else {
                        None
                    }
                })
                .collect::<Vec<_>>(),
        ))
    };
    let ts: ArrayRef = Arc::new(
        TimestampMicrosecondArray::from(
            part.rows
                .iter()
                .map(|r| {
                    if let Value::TimestampTz(t) = r[2] {
                        t
                    } else {
                        0
                    }
                })
                .collect::<Vec<_>>(),
        )
        .with_timezone("UTC"),
    );
    let batch =
        RecordBatch::try_new(schema, vec![text(0), text(1), ts, float(3), float(4)]).unwrap();
    write_parquet(&[batch], Compression::SNAPPY, 97)
}

/// All rows in schema order (date, region, country, station, measured_at, temperature, humidity).
pub fn table_rows(parts: &[Part]) -> Vec<Vec<Value>> {
    parts
        .iter()
        .flat_map(|p| {
            p.rows.iter().map(move |r| {
                let mut v = vec![Value::Date(p.date), Value::Text(p.region.clone())];
                v.extend(r.iter().cloned());
                v
            })
        })
        .collect()
}

fn eval(schema: &TableSchema, e: &Expr, row: &[Value]) -> Value {
    let leaf = crate::query::expr::leaf_column(e)
        .and_then(|c| schema.column_index(c))
        .map_or(Value::Null, |i| row[i].clone());
    apply(e, &leaf)
}

pub fn pred(schema: &TableSchema, p: &Predicate, row: &[Value]) -> Option<bool> {
    match p {
        Predicate::Const(b) => Some(*b),
        Predicate::Compare { expr, op, value } => {
            AtomTest::Compare(*op, value.clone()).eval(&eval(schema, expr, row))
        }
        Predicate::InList {
            expr,
            values,
            negated,
        } => AtomTest::InList(values.clone(), *negated).eval(&eval(schema, expr, row)),
        Predicate::Between {
            expr,
            low,
            high,
            negated,
        } => AtomTest::Between(low.clone(), high.clone(), *negated).eval(&eval(schema, expr, row)),
        Predicate::IsNull { expr, negated } => Some(eval(schema, expr, row).is_null() != *negated),
        Predicate::And(ps) => ps
            .iter()
            .map(|p| pred(schema, p, row))
            .reduce(and3)
            .unwrap_or(Some(true)),
        Predicate::Or(ps) => ps
            .iter()
            .map(|p| pred(schema, p, row))
            .reduce(or3)
            .unwrap_or(Some(false)),
        Predicate::Not(p) => pred(schema, p, row).map(|b| !b),
    }
}

pub fn naive_aggregate(
    schema: &TableSchema,
    rows: &[Vec<Value>],
    req: &AggregateRequest,
) -> Vec<Vec<Value>> {
    type Group = (Vec<Value>, Vec<Vec<Value>>);
    let mut groups: HashMap<Vec<HKey>, Group> = HashMap::new();
    for row in rows {
        if let Some(p) = &req.filter
            && pred(schema, p, row) != Some(true)
        {
            continue;
        }
        let key_vals: Vec<Value> = req.group_by.iter().map(|e| eval(schema, e, row)).collect();
        let key: Vec<HKey> = key_vals.iter().map(HKey::of).collect();
        let entry = groups
            .entry(key)
            .or_insert_with(|| (key_vals, vec![Vec::new(); req.aggregates.len()]));
        for (i, a) in req.aggregates.iter().enumerate() {
            if let Some(f) = &a.filter
                && pred(schema, f, row) != Some(true)
            {
                continue;
            }
            entry.1[i].push(
                a.arg
                    .as_ref()
                    .map_or(Value::Int64(1), |e| eval(schema, e, row)),
            );
        }
    }
    if req.group_by.is_empty() && groups.is_empty() {
        groups.insert(
            Vec::new(),
            (Vec::new(), vec![Vec::new(); req.aggregates.len()]),
        );
    }
    groups
        .into_values()
        .map(|(mut key, inputs)| {
            for (a, vals) in req.aggregates.iter().zip(inputs) {
                let nonnull: Vec<&Value> = vals.iter().filter(|v| !v.is_null()).collect();
                let floats: Vec<f64> = nonnull
                    .iter()
                    .filter_map(|v| {
                        if let Value::Float64(x) = v {
                            Some(*x)
                        } else {
                            None
                        }
                    })
                    .collect();
                key.push(match a.func {
                    AggFunc::CountStar => Value::Int64(vals.len() as i64),
                    AggFunc::Count => Value::Int64(nonnull.len() as i64),
                    AggFunc::CountDistinct => Value::Int64(
                        nonnull
                            .iter()
                            .map(|v| HKey::of(v))
                            .collect::<HashSet<_>>()
                            .len() as i64,
                    ),
                    AggFunc::Sum if floats.is_empty() => Value::Null,
                    AggFunc::Sum => Value::Float64(floats.iter().sum()),
                    AggFunc::Avg if floats.is_empty() => Value::Null,
                    AggFunc::Avg => {
                        Value::Float64(floats.iter().sum::<f64>() / floats.len() as f64)
                    }
                    AggFunc::Min => nonnull
                        .iter()
                        .min_by(|a, b| cmp_values(a, b))
                        .map_or(Value::Null, |v| (*v).clone()),
                    AggFunc::Max => nonnull
                        .iter()
                        .max_by(|a, b| cmp_values(a, b))
                        .map_or(Value::Null, |v| (*v).clone()),
                });
            }
            key
        })
        .collect()
}

pub fn naive_scan(schema: &TableSchema, rows: &[Vec<Value>], req: &ScanRequest) -> Vec<Vec<Value>> {
    rows.iter()
        .filter(|row| {
            req.filter
                .as_ref()
                .is_none_or(|p| pred(schema, p, row) == Some(true))
        })
        .map(|row| req.columns.iter().map(|e| eval(schema, e, row)).collect())
        .collect()
}

fn row_cmp(a: &[Value], b: &[Value]) -> Ordering {
    a.iter()
        .zip(b)
        .map(|(x, y)| x.sql_cmp(y))
        .find(|o| o.is_ne())
        .unwrap_or(Ordering::Equal)
}

fn value_eq(a: &Value, b: &Value) -> bool {
    match (a, b) {
        (Value::Float64(x), Value::Float64(y)) => {
            float_cmp(*x, *y).is_eq() || (x - y).abs() <= 1e-9 * x.abs().max(y.abs()).max(1e-300)
        }
        _ => a == b,
    }
}

/// Asserts two row sets are equal up to order and float rounding.
pub fn assert_rows_eq(mut got: Vec<Vec<Value>>, mut want: Vec<Vec<Value>>, what: &str) {
    got.sort_by(|a, b| row_cmp(a, b));
    want.sort_by(|a, b| row_cmp(a, b));
    assert_eq!(
        got.len(),
        want.len(),
        "{what}: row count\n got {got:?}\nwant {want:?}"
    );
    for (g, w) in got.iter().zip(&want) {
        assert!(
            g.len() == w.len() && g.iter().zip(w).all(|(a, b)| value_eq(a, b)),
            "{what}:\n got {g:?}\nwant {w:?}"
        );
    }
}

pub fn check_types(rs: &ResultSet, want: &[ScalarType], what: &str) {
    assert_eq!(rs.types, want, "{what}: types");
}
