//! Conversions between the index's values ([`Value`], [`ScalarType`]) and
//! Arrow / DataFusion ([`DataType`], [`ScalarValue`], [`RecordBatch`]),
//! shared by the table provider and the SQL face.
//!
//! Type mapping (one PostgreSQL type each side):
//!
//! ```text
//! ScalarType   Arrow                              PostgreSQL
//! Bool         Boolean                            boolean
//! Int64        Int64                              bigint
//! Float64      Float64                            double precision
//! Text         Utf8                               text
//! Date         Date32 (days since 1970-01-01)     date
//! Timestamp    Timestamp(Microsecond, None)       timestamp
//! TimestampTz  Timestamp(Microsecond, "+00:00")   timestamptz
//! Numeric      Decimal128(38, 10)                 numeric
//! ```
//!
//! `Numeric` takes DataFusion's own default for an unconstrained `numeric`
//! (precision 38, scale 10), so a `$1::numeric` parameter and a column agree.
//! Index tables never hold numeric columns today (Parquet ingest makes none);
//! a [`Value::Numeric`] converted to a decimal type is rescaled, rounding half
//! away from zero as PostgreSQL does.

use std::sync::Arc;

use datafusion::arrow::array::{
    Array, ArrayRef, BooleanBuilder, Date32Builder, Decimal128Builder, Float64Builder,
    Int64Builder, RecordBatch, RecordBatchOptions, StringBuilder, TimestampMicrosecondBuilder,
};
use datafusion::arrow::datatypes::{DataType, Field, Schema, SchemaRef, TimeUnit};
use datafusion::common::ScalarValue;
use isotherm_indexer::{ColumnDef, Numeric, ResultSet, ScalarType, TableSchema, Value};

use crate::error::{EngineError, EngineResult};

/// The time zone Isotherm's `timestamptz` columns carry (sessions run in UTC).
pub const UTC: &str = "+00:00";

/// Precision and scale of an unconstrained `numeric` (DataFusion's default).
pub const NUMERIC_PRECISION: u8 = 38;
pub const NUMERIC_SCALE: i8 = 10;

/// Rows per [`RecordBatch`] produced from index results.
pub const BATCH_ROWS: usize = 8192;

/// The Arrow type of an index type.
pub fn scalar_type_to_arrow(ty: ScalarType) -> DataType {
    match ty {
        ScalarType::Bool => DataType::Boolean,
        ScalarType::Int64 => DataType::Int64,
        ScalarType::Float64 => DataType::Float64,
        ScalarType::Text => DataType::Utf8,
        ScalarType::Date => DataType::Date32,
        ScalarType::Timestamp => DataType::Timestamp(TimeUnit::Microsecond, None),
        ScalarType::TimestampTz => DataType::Timestamp(TimeUnit::Microsecond, Some(UTC.into())),
        ScalarType::Numeric => DataType::Decimal128(NUMERIC_PRECISION, NUMERIC_SCALE),
    }
}

/// The Arrow field of a table column (name, type, nullability).
pub fn column_field(col: &ColumnDef) -> Field {
    Field::new(&col.name, scalar_type_to_arrow(col.ty), col.nullable)
}

/// The Arrow schema of a table, columns in schema order.
pub fn table_arrow_schema(schema: &TableSchema) -> SchemaRef {
    Arc::new(Schema::new(
        schema.columns.iter().map(column_field).collect::<Vec<_>>(),
    ))
}

/// The value's own scalar (its natural Arrow type); `Null` becomes a typed
/// NULL of `ty`.
pub fn natural_scalar(v: &Value, ty: ScalarType) -> EngineResult<ScalarValue> {
    Ok(match v {
        Value::Null => ScalarValue::try_new_null(&scalar_type_to_arrow(ty))?,
        Value::Bool(b) => ScalarValue::Boolean(Some(*b)),
        Value::Int64(i) => ScalarValue::Int64(Some(*i)),
        Value::Float64(f) => ScalarValue::Float64(Some(*f)),
        Value::Text(s) => ScalarValue::Utf8(Some(s.clone())),
        Value::Date(d) => ScalarValue::Date32(Some(*d)),
        Value::Timestamp(t) => ScalarValue::TimestampMicrosecond(Some(*t), None),
        Value::TimestampTz(t) => ScalarValue::TimestampMicrosecond(Some(*t), Some(UTC.into())),
        Value::Numeric(n) => {
            ScalarValue::Decimal128(Some(n.unscaled), NUMERIC_PRECISION, n.scale as i8)
        }
    })
}

/// A value as a scalar of type `dt`, e.g. to bind `$n` to the type the plan
/// inferred. Numbers convert across integer, float and decimal types (range
/// checked), text is parsed as the target type, timestamps change unit.
pub fn value_to_scalar(v: &Value, dt: &DataType) -> EngineResult<ScalarValue> {
    if v.is_null() {
        return Ok(ScalarValue::try_new_null(dt)?);
    }
    if let (Value::Numeric(n), DataType::Decimal128(p, s)) = (v, dt) {
        let unscaled = rescale(*n, *s).ok_or_else(|| out_of_range(v, dt))?;
        return Ok(ScalarValue::Decimal128(Some(unscaled), *p, *s));
    }
    if let (Value::Float64(f), DataType::Decimal128(p, s)) = (v, dt) {
        // Through the decimal text form: a float is first rounded to its
        // shortest round-trip digits, as PostgreSQL's float8 -> numeric does.
        let text = ScalarValue::Utf8(Some(format!("{f}")));
        return text
            .cast_to(&DataType::Decimal128(*p, *s))
            .map_err(|_| out_of_range(v, dt));
    }
    let natural = natural_scalar(v, ScalarType::Text)?;
    if natural.data_type() == *dt {
        return Ok(natural);
    }
    let sqlstate = match v {
        Value::Text(_) => "22P02",
        Value::Int64(_) | Value::Float64(_) | Value::Numeric(_) if dt.is_numeric() => "22003",
        _ => "42804",
    };
    let cast = natural
        .cast_to(dt)
        .map_err(|e| EngineError::new(sqlstate, format!("cannot convert {v:?} to {dt}: {e}")))?;
    // Arrow's cast turns a failed parse or an overflow into NULL: refuse that.
    if cast.is_null() {
        return Err(EngineError::new(
            sqlstate,
            format!("cannot convert {v:?} to {dt}"),
        ));
    }
    Ok(cast)
}

/// The index value of a scalar (the inverse of [`natural_scalar`] for the
/// eight natural types, plus the other integer and float widths).
pub fn scalar_to_value(s: &ScalarValue) -> EngineResult<Value> {
    if s.is_null() {
        return Ok(Value::Null);
    }
    let unsupported = || {
        EngineError::new(
            "0A000",
            format!("a value of type {} has no index form", s.data_type()),
        )
    };
    Ok(match s {
        ScalarValue::Boolean(Some(b)) => Value::Bool(*b),
        ScalarValue::Int8(Some(i)) => Value::Int64(i64::from(*i)),
        ScalarValue::Int16(Some(i)) => Value::Int64(i64::from(*i)),
        ScalarValue::Int32(Some(i)) => Value::Int64(i64::from(*i)),
        ScalarValue::Int64(Some(i)) => Value::Int64(*i),
        ScalarValue::UInt8(Some(i)) => Value::Int64(i64::from(*i)),
        ScalarValue::UInt16(Some(i)) => Value::Int64(i64::from(*i)),
        ScalarValue::UInt32(Some(i)) => Value::Int64(i64::from(*i)),
        ScalarValue::UInt64(Some(i)) => Value::Int64(i64::try_from(*i).map_err(|_| {
            EngineError::new("22003", format!("{i} is out of range for type bigint"))
        })?),
        ScalarValue::Float32(Some(f)) => Value::Float64(f64::from(*f)),
        ScalarValue::Float64(Some(f)) => Value::Float64(*f),
        ScalarValue::Utf8(Some(s)) | ScalarValue::LargeUtf8(Some(s)) => Value::Text(s.clone()),
        ScalarValue::Utf8View(Some(s)) => Value::Text(s.clone()),
        ScalarValue::Date32(Some(d)) => Value::Date(*d),
        ScalarValue::Decimal128(Some(u), _, scale) => Value::Numeric(Numeric {
            unscaled: *u,
            scale: u8::try_from(*scale).map_err(|_| unsupported())?,
        }),
        ScalarValue::TimestampSecond(Some(_), tz)
        | ScalarValue::TimestampMillisecond(Some(_), tz)
        | ScalarValue::TimestampMicrosecond(Some(_), tz)
        | ScalarValue::TimestampNanosecond(Some(_), tz) => {
            let micros = timestamp_micros(s).ok_or_else(unsupported)?;
            if tz.is_some() {
                Value::TimestampTz(micros)
            } else {
                Value::Timestamp(micros)
            }
        }
        _ => return Err(unsupported()),
    })
}

/// Microseconds of a timestamp scalar, when exact (nanoseconds must be whole
/// microseconds).
pub fn timestamp_micros(s: &ScalarValue) -> Option<i64> {
    match s {
        ScalarValue::TimestampSecond(Some(v), _) => v.checked_mul(1_000_000),
        ScalarValue::TimestampMillisecond(Some(v), _) => v.checked_mul(1_000),
        ScalarValue::TimestampMicrosecond(Some(v), _) => Some(*v),
        ScalarValue::TimestampNanosecond(Some(v), _) => (v % 1_000 == 0).then_some(v / 1_000),
        _ => None,
    }
}

/// `n` with `scale` digits after the point (rounding half away from zero).
fn rescale(n: Numeric, scale: i8) -> Option<i128> {
    let from = i32::from(n.scale);
    let to = i32::from(scale);
    if to >= from {
        n.unscaled
            .checked_mul(10i128.checked_pow((to - from).unsigned_abs())?)
    } else {
        let div = 10i128.checked_pow((from - to).unsigned_abs())?;
        let q = n.unscaled / div;
        let r = n.unscaled % div;
        Some(if r.unsigned_abs() * 2 >= div.unsigned_abs() {
            q + n.unscaled.signum()
        } else {
            q
        })
    }
}

fn out_of_range(v: &Value, dt: &DataType) -> EngineError {
    EngineError::new("22003", format!("{v:?} is out of range for type {dt}"))
}

fn mismatch(v: &Value, dt: &DataType) -> EngineError {
    EngineError::internal(format!("index value {v:?} in a column of type {dt}"))
}

/// One column of values as an Arrow array of type `dt`.
pub fn values_to_array<'a>(
    values: impl ExactSizeIterator<Item = &'a Value>,
    dt: &DataType,
) -> EngineResult<ArrayRef> {
    let n = values.len();
    let array: ArrayRef = match dt {
        DataType::Boolean => {
            let mut b = BooleanBuilder::with_capacity(n);
            for v in values {
                match v {
                    Value::Null => b.append_null(),
                    Value::Bool(x) => b.append_value(*x),
                    other => return Err(mismatch(other, dt)),
                }
            }
            Arc::new(b.finish())
        }
        DataType::Int64 => {
            let mut b = Int64Builder::with_capacity(n);
            for v in values {
                match v {
                    Value::Null => b.append_null(),
                    Value::Int64(x) => b.append_value(*x),
                    other => return Err(mismatch(other, dt)),
                }
            }
            Arc::new(b.finish())
        }
        DataType::Float64 => {
            let mut b = Float64Builder::with_capacity(n);
            for v in values {
                match v {
                    Value::Null => b.append_null(),
                    Value::Float64(x) => b.append_value(*x),
                    Value::Int64(x) => b.append_value(*x as f64),
                    other => return Err(mismatch(other, dt)),
                }
            }
            Arc::new(b.finish())
        }
        DataType::Utf8 => {
            let mut b = StringBuilder::with_capacity(n, n * 8);
            for v in values {
                match v {
                    Value::Null => b.append_null(),
                    Value::Text(x) => b.append_value(x),
                    other => return Err(mismatch(other, dt)),
                }
            }
            Arc::new(b.finish())
        }
        DataType::Date32 => {
            let mut b = Date32Builder::with_capacity(n);
            for v in values {
                match v {
                    Value::Null => b.append_null(),
                    Value::Date(x) => b.append_value(*x),
                    other => return Err(mismatch(other, dt)),
                }
            }
            Arc::new(b.finish())
        }
        DataType::Timestamp(TimeUnit::Microsecond, tz) => {
            let mut b = TimestampMicrosecondBuilder::with_capacity(n).with_timezone_opt(tz.clone());
            for v in values {
                match v {
                    Value::Null => b.append_null(),
                    Value::Timestamp(x) | Value::TimestampTz(x) => b.append_value(*x),
                    other => return Err(mismatch(other, dt)),
                }
            }
            Arc::new(b.finish())
        }
        DataType::Decimal128(p, s) => {
            let mut b = Decimal128Builder::with_capacity(n)
                .with_precision_and_scale(*p, *s)
                .map_err(|e| EngineError::internal(e.to_string()))?;
            for v in values {
                match v {
                    Value::Null => b.append_null(),
                    Value::Numeric(x) => {
                        b.append_value(rescale(*x, *s).ok_or_else(|| out_of_range(v, dt))?)
                    }
                    Value::Int64(x) => b.append_value(
                        rescale(Numeric::from_i64(*x), *s).ok_or_else(|| out_of_range(v, dt))?,
                    ),
                    other => return Err(mismatch(other, dt)),
                }
            }
            Arc::new(b.finish())
        }
        other => {
            let scalars = values
                .map(|v| value_to_scalar(v, other))
                .collect::<EngineResult<Vec<_>>>()?;
            if scalars.is_empty() {
                datafusion::arrow::array::new_empty_array(other)
            } else {
                ScalarValue::iter_to_array(scalars)?
            }
        }
    };
    Ok(array)
}

/// Rows of values (each as long as `schema` is wide) as one [`RecordBatch`].
/// A schema without columns still carries the row count (`count(*)`).
pub fn rows_to_batch(schema: &SchemaRef, rows: &[Vec<Value>]) -> EngineResult<RecordBatch> {
    let width = schema.fields().len();
    if let Some(bad) = rows.iter().find(|r| r.len() != width) {
        return Err(EngineError::internal(format!(
            "a row of {} values for {width} columns",
            bad.len()
        )));
    }
    let columns = schema
        .fields()
        .iter()
        .enumerate()
        .map(|(c, f)| values_to_array(rows.iter().map(|r| &r[c]), f.data_type()))
        .collect::<EngineResult<Vec<_>>>()?;
    let options = RecordBatchOptions::new().with_row_count(Some(rows.len()));
    let batch = RecordBatch::try_new_with_options(schema.clone(), columns, &options)
        .map_err(|e| EngineError::internal(e.to_string()))?;
    Ok(batch)
}

/// Rows as batches of at most [`BATCH_ROWS`] rows (none for no rows).
pub fn rows_to_batches(schema: &SchemaRef, rows: &[Vec<Value>]) -> EngineResult<Vec<RecordBatch>> {
    rows.chunks(BATCH_ROWS)
        .map(|chunk| rows_to_batch(schema, chunk))
        .collect()
}

/// An index result as one batch, columns named `names`. A `numeric` column
/// takes the largest scale among its values (PostgreSQL prints each numeric
/// with its own scale; index results hold one scale per column, e.g. 0 for
/// `extract(year ...)`, 6 for `extract(epoch ...)` of a timestamp).
pub fn result_set_to_batch(names: &[String], rs: &ResultSet) -> EngineResult<RecordBatch> {
    if names.len() != rs.types.len() {
        return Err(EngineError::internal(format!(
            "{} names for {} columns",
            names.len(),
            rs.types.len()
        )));
    }
    let fields: Vec<Field> = names
        .iter()
        .zip(&rs.types)
        .enumerate()
        .map(|(c, (name, ty))| {
            let dt = match ty {
                ScalarType::Numeric => {
                    let scale = rs
                        .rows
                        .iter()
                        .filter_map(|r| match r.get(c) {
                            Some(Value::Numeric(n)) => Some(n.scale),
                            _ => None,
                        })
                        .max()
                        .unwrap_or(0);
                    DataType::Decimal128(NUMERIC_PRECISION, scale.min(38) as i8)
                }
                other => scalar_type_to_arrow(*other),
            };
            Field::new(name, dt, true)
        })
        .collect();
    rows_to_batch(&Arc::new(Schema::new(fields)), &rs.rows)
}

/// The index value at `row` of an Arrow array (for callers reading results
/// back as values).
pub fn array_value(array: &dyn Array, row: usize) -> EngineResult<Value> {
    scalar_to_value(&ScalarValue::try_from_array(array, row)?)
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;

    fn num(unscaled: i128, scale: u8) -> Value {
        Value::Numeric(Numeric { unscaled, scale })
    }

    #[test]
    fn every_type_round_trips_through_a_batch() {
        let types = [
            ScalarType::Bool,
            ScalarType::Int64,
            ScalarType::Float64,
            ScalarType::Text,
            ScalarType::Date,
            ScalarType::Timestamp,
            ScalarType::TimestampTz,
            ScalarType::Numeric,
        ];
        let row = vec![
            Value::Bool(true),
            Value::Int64(-7),
            Value::Float64(-0.5),
            Value::Text("Zürich".into()),
            Value::Date(19_875),
            Value::Timestamp(1_717_200_000_123_456),
            Value::TimestampTz(-1),
            num(12_345, 2),
        ];
        let schema: SchemaRef = Arc::new(Schema::new(
            types
                .iter()
                .enumerate()
                .map(|(i, t)| Field::new(format!("c{i}"), scalar_type_to_arrow(*t), true))
                .collect::<Vec<_>>(),
        ));
        let nulls = vec![Value::Null; types.len()];
        let batch = rows_to_batch(&schema, &[row.clone(), nulls]).unwrap();
        assert_eq!(batch.num_rows(), 2);
        for (c, want) in row.iter().enumerate() {
            let got = array_value(batch.column(c).as_ref(), 0).unwrap();
            let want = match want {
                // Rescaled to the column's scale: same number.
                Value::Numeric(n) => num(n.unscaled * 10i128.pow(8), 10),
                other => other.clone(),
            };
            assert_eq!(got, want, "column {c}");
            assert!(batch.column(c).is_null(1));
        }
    }

    #[test]
    fn empty_schema_keeps_the_row_count() {
        let schema: SchemaRef = Arc::new(Schema::empty());
        let rows = vec![Vec::new(); 20_000];
        let batches = rows_to_batches(&schema, &rows).unwrap();
        assert_eq!(
            batches.iter().map(|b| b.num_rows()).collect::<Vec<_>>(),
            vec![8192, 8192, 3616]
        );
    }

    #[test]
    fn binding_converts_across_numeric_types() {
        assert_eq!(
            value_to_scalar(&Value::Int64(5), &DataType::Int32).unwrap(),
            ScalarValue::Int32(Some(5))
        );
        let e = value_to_scalar(&Value::Int64(1 << 40), &DataType::Int32).unwrap_err();
        assert_eq!(e.sqlstate, "22003");
        assert_eq!(
            value_to_scalar(&num(12_345, 3), &DataType::Decimal128(10, 2)).unwrap(),
            ScalarValue::Decimal128(Some(1_235), 10, 2)
        );
        assert_eq!(
            value_to_scalar(&num(-12_345, 3), &DataType::Decimal128(10, 2)).unwrap(),
            ScalarValue::Decimal128(Some(-1_235), 10, 2)
        );
        assert_eq!(
            value_to_scalar(&Value::Float64(0.1), &DataType::Decimal128(38, 10)).unwrap(),
            ScalarValue::Decimal128(Some(1_000_000_000), 38, 10)
        );
        assert_eq!(
            value_to_scalar(&Value::Int64(3), &DataType::Float64).unwrap(),
            ScalarValue::Float64(Some(3.0))
        );
    }

    #[test]
    fn binding_parses_text_and_refuses_garbage() {
        assert_eq!(
            value_to_scalar(&Value::Text("2024-06-01".into()), &DataType::Date32).unwrap(),
            ScalarValue::Date32(Some(19_875))
        );
        let e = value_to_scalar(&Value::Text("june".into()), &DataType::Date32).unwrap_err();
        assert_eq!(e.sqlstate, "22P02");
        let e = value_to_scalar(&Value::Text("x".into()), &DataType::Int64).unwrap_err();
        assert_eq!(e.sqlstate, "22P02");
        assert_eq!(
            value_to_scalar(&Value::Null, &DataType::Utf8).unwrap(),
            ScalarValue::Utf8(None)
        );
    }

    #[test]
    fn timestamps_change_unit_and_keep_the_instant() {
        let ns = DataType::Timestamp(TimeUnit::Nanosecond, Some(UTC.into()));
        let s = value_to_scalar(&Value::TimestampTz(1_500_000), &ns).unwrap();
        assert_eq!(
            s,
            ScalarValue::TimestampNanosecond(Some(1_500_000_000), Some(UTC.into()))
        );
        assert_eq!(scalar_to_value(&s).unwrap(), Value::TimestampTz(1_500_000));
        assert_eq!(
            timestamp_micros(&ScalarValue::TimestampNanosecond(Some(1_001), None)),
            None
        );
    }

    #[test]
    fn numeric_results_keep_their_scale() {
        let rs = ResultSet {
            types: vec![ScalarType::Numeric, ScalarType::Numeric, ScalarType::Int64],
            rows: vec![vec![
                num(2024, 0),
                num(1_717_200_000_000_000, 6),
                Value::Int64(3),
            ]],
        };
        let names = vec!["y".to_owned(), "e".to_owned(), "n".to_owned()];
        let b = result_set_to_batch(&names, &rs).unwrap();
        assert_eq!(
            b.schema().field(0).data_type(),
            &DataType::Decimal128(38, 0)
        );
        assert_eq!(
            b.schema().field(1).data_type(),
            &DataType::Decimal128(38, 6)
        );
        assert_eq!(array_value(b.column(0).as_ref(), 0).unwrap(), num(2024, 0));
        assert!(result_set_to_batch(&names[..1], &rs).is_err());
    }

    #[test]
    fn schema_follows_the_table() {
        let schema = TableSchema {
            name: "t".into(),
            columns: vec![ColumnDef {
                name: "measured_at".into(),
                ty: ScalarType::TimestampTz,
                role: isotherm_indexer::ColumnRole::Plain,
                partition: false,
                nullable: false,
            }],
            rollups: vec![],
        };
        let arrow = table_arrow_schema(&schema);
        assert_eq!(
            arrow.field(0).data_type(),
            &DataType::Timestamp(TimeUnit::Microsecond, Some("+00:00".into()))
        );
        assert!(!arrow.field(0).is_nullable());
    }
}
