//! Parquet bytes to [`DecodedFile`]: typed, normalized columns.
//!
//! Type mapping (every compression codec the parquet crate reads, any number
//! of row groups):
//! - `Utf8`, `LargeUtf8`, `Utf8View`, dictionary-encoded strings → `text`;
//! - `Float32`, `Float64` → `double precision` (float32 widened exactly);
//! - `Date32`, `Date64` → `date`;
//! - `Timestamp(unit, tz)` → `timestamp with time zone` when annotated with a
//!   time zone, else `timestamp`; normalized to microseconds (nanoseconds
//!   rounded toward negative infinity);
//! - signed and unsigned integers up to 32 bits and `Int64` → `bigint`
//!   (a plain column, never a measure);
//! - anything else → `Unsupported`, naming the column and the type.
//!
//! Text and date columns come out dictionary-encoded (distinct values plus a
//! code per row) so building a segment never hashes a string twice.

use std::collections::HashMap;
use std::sync::Arc;

use arrow::array::{
    Array, ArrayRef, AsArray, Date32Array, Date64Array, Float64Array, Int64Array, StringArray,
};
use arrow::compute::cast;
use arrow::datatypes::{DataType, Float64Type, Int64Type, TimeUnit};
use bytes::Bytes;
use parquet::arrow::arrow_reader::ParquetRecordBatchReaderBuilder;

use crate::dictionary::DictValue;
use crate::error::{IndexError, Result};
use crate::value::ScalarType;

/// Code of NULL in [`ColumnData::Dict`] codes.
pub const NULL_CODE: u32 = u32::MAX;

#[derive(Debug, Clone, PartialEq)]
pub enum ColumnData {
    /// Text or date: distinct values in order of first appearance, one code per row.
    Dict {
        values: Vec<DictValue>,
        codes: Vec<u32>,
    },
    /// Floats; `valid[i] == false` is NULL (its value is 0.0).
    Float { values: Vec<f64>, valid: Vec<bool> },
    /// Integers and timestamps (µs); `valid[i] == false` is NULL.
    Int { values: Vec<i64>, valid: Vec<bool> },
}

impl ColumnData {
    fn empty_for(ty: ScalarType) -> ColumnData {
        match ty {
            ScalarType::Text | ScalarType::Date => ColumnData::Dict {
                values: Vec::new(),
                codes: Vec::new(),
            },
            ScalarType::Float64 => ColumnData::Float {
                values: Vec::new(),
                valid: Vec::new(),
            },
            _ => ColumnData::Int {
                values: Vec::new(),
                valid: Vec::new(),
            },
        }
    }

    pub fn has_nulls(&self) -> bool {
        match self {
            ColumnData::Dict { codes, .. } => codes.contains(&NULL_CODE),
            ColumnData::Float { valid, .. } | ColumnData::Int { valid, .. } => {
                valid.contains(&false)
            }
        }
    }
}

#[derive(Debug, Clone, PartialEq)]
pub struct DecodedColumn {
    pub name: String,
    pub ty: ScalarType,
    pub nullable: bool,
    pub data: ColumnData,
}

#[derive(Debug, Clone, PartialEq)]
pub struct DecodedFile {
    pub rows: usize,
    pub columns: Vec<DecodedColumn>,
}

impl DecodedFile {
    pub fn column(&self, name: &str) -> Option<&DecodedColumn> {
        self.columns.iter().find(|c| c.name == name)
    }
}

/// The SQL type a Parquet (Arrow) column maps to.
pub fn scalar_type_of(name: &str, dt: &DataType) -> Result<ScalarType> {
    Ok(match dt {
        DataType::Utf8 | DataType::LargeUtf8 | DataType::Utf8View => ScalarType::Text,
        DataType::Dictionary(_, v)
            if matches!(
                **v,
                DataType::Utf8 | DataType::LargeUtf8 | DataType::Utf8View
            ) =>
        {
            ScalarType::Text
        }
        DataType::Float32 | DataType::Float64 => ScalarType::Float64,
        DataType::Date32 | DataType::Date64 => ScalarType::Date,
        DataType::Timestamp(_, Some(_)) => ScalarType::TimestampTz,
        DataType::Timestamp(_, None) => ScalarType::Timestamp,
        DataType::Int8
        | DataType::Int16
        | DataType::Int32
        | DataType::Int64
        | DataType::UInt8
        | DataType::UInt16
        | DataType::UInt32 => ScalarType::Int64,
        other => {
            return Err(IndexError::Unsupported(format!(
                "column \"{name}\" of Parquet type {other}"
            )));
        }
    })
}

/// Decodes a whole Parquet file.
pub fn decode_parquet(body: Bytes) -> Result<DecodedFile> {
    let bad = |e: &dyn std::fmt::Display| IndexError::BadParquet(e.to_string());
    let builder = ParquetRecordBatchReaderBuilder::try_new(body).map_err(|e| bad(&e))?;
    let arrow_schema = builder.schema().clone();
    let mut columns = Vec::with_capacity(arrow_schema.fields().len());
    let mut interners: Vec<HashMap<DictValue, u32>> = Vec::new();
    for f in arrow_schema.fields() {
        let ty = scalar_type_of(f.name(), f.data_type())?;
        if columns.iter().any(|c: &DecodedColumn| c.name == *f.name()) {
            return Err(IndexError::BadParquet(format!(
                "column \"{}\" appears twice",
                f.name()
            )));
        }
        columns.push(DecodedColumn {
            name: f.name().clone(),
            ty,
            nullable: f.is_nullable(),
            data: ColumnData::empty_for(ty),
        });
        interners.push(HashMap::new());
    }
    let reader = builder
        .with_batch_size(65_536)
        .build()
        .map_err(|e| bad(&e))?;
    let mut rows = 0usize;
    for batch in reader {
        let batch = batch.map_err(|e| bad(&e))?;
        rows += batch.num_rows();
        for ((col, interner), array) in columns
            .iter_mut()
            .zip(interners.iter_mut())
            .zip(batch.columns())
        {
            append(col, interner, array)?;
        }
    }
    Ok(DecodedFile { rows, columns })
}

fn cast_to(array: &ArrayRef, to: &DataType, name: &str) -> Result<ArrayRef> {
    cast(array, to).map_err(|e| IndexError::BadParquet(format!("column \"{name}\": {e}")))
}

fn append(
    col: &mut DecodedColumn,
    interner: &mut HashMap<DictValue, u32>,
    array: &ArrayRef,
) -> Result<()> {
    let name = col.name.clone();
    match &mut col.data {
        ColumnData::Dict { values, codes } => {
            let mut code_of = |v: DictValue| -> u32 {
                *interner.entry(v).or_insert_with_key(|v| {
                    values.push(v.clone());
                    (values.len() - 1) as u32
                })
            };
            if col.ty == ScalarType::Text {
                let a = cast_to(array, &DataType::Utf8, &name)?;
                let a: &StringArray = a
                    .as_any()
                    .downcast_ref()
                    .ok_or_else(|| IndexError::Internal("utf8 cast".into()))?;
                // Small per-batch cache so repeated strings are hashed as &str only.
                let mut local: HashMap<&str, u32> = HashMap::new();
                for v in a.iter() {
                    codes.push(match v {
                        None => NULL_CODE,
                        Some(s) => match local.get(s) {
                            Some(&c) => c,
                            None => {
                                let c = code_of(DictValue::Text(Arc::from(s)));
                                local.insert(s, c);
                                c
                            }
                        },
                    });
                }
            } else {
                let days: Vec<Option<i32>> = match array.data_type() {
                    DataType::Date64 => {
                        let a: &Date64Array = array.as_primitive();
                        a.iter()
                            .map(|v| v.map(|ms| ms.div_euclid(86_400_000) as i32))
                            .collect()
                    }
                    _ => {
                        let a = cast_to(array, &DataType::Date32, &name)?;
                        let a: &Date32Array = a.as_primitive();
                        a.iter().collect()
                    }
                };
                for v in days {
                    codes.push(v.map_or(NULL_CODE, |d| code_of(DictValue::Date(d))));
                }
            }
        }
        ColumnData::Float { values, valid } => {
            let a = cast_to(array, &DataType::Float64, &name)?;
            let a: &Float64Array = a.as_primitive::<Float64Type>();
            for v in a.iter() {
                values.push(v.unwrap_or(0.0));
                valid.push(v.is_some());
            }
        }
        ColumnData::Int { values, valid } => {
            let scale: (i64, i64) = match array.data_type() {
                DataType::Timestamp(TimeUnit::Second, _) => (1_000_000, 1),
                DataType::Timestamp(TimeUnit::Millisecond, _) => (1_000, 1),
                DataType::Timestamp(TimeUnit::Microsecond, _) => (1, 1),
                DataType::Timestamp(TimeUnit::Nanosecond, _) => (1, 1_000),
                _ => (1, 1),
            };
            let a = cast_to(array, &DataType::Int64, &name)?;
            let a: &Int64Array = a.as_primitive::<Int64Type>();
            for v in a.iter() {
                let v = match v {
                    None => None,
                    Some(x) => Some(
                        x.checked_mul(scale.0)
                            .map(|x| x.div_euclid(scale.1))
                            .ok_or_else(|| {
                                IndexError::BadParquet(format!(
                                    "column \"{name}\": timestamp {x} out of range"
                                ))
                            })?,
                    ),
                };
                values.push(v.unwrap_or(0));
                valid.push(v.is_some());
            }
        }
    }
    Ok(())
}

#[cfg(test)]
pub(crate) mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;
    use arrow::array::{
        DictionaryArray, Float32Array, LargeStringArray, RecordBatch, StringViewArray,
        TimestampMicrosecondArray, TimestampNanosecondArray,
    };
    use arrow::datatypes::{Field, Int32Type, Schema};
    use parquet::arrow::ArrowWriter;
    use parquet::basic::{Compression, ZstdLevel};
    use parquet::file::properties::WriterProperties;

    pub fn write_parquet(
        batches: &[RecordBatch],
        compression: Compression,
        row_group_rows: usize,
    ) -> Bytes {
        let props = WriterProperties::builder()
            .set_compression(compression)
            .set_max_row_group_row_count(Some(row_group_rows))
            .build();
        let mut buf = Vec::new();
        let mut w = ArrowWriter::try_new(&mut buf, batches[0].schema(), Some(props)).unwrap();
        for b in batches {
            w.write(b).unwrap();
        }
        w.close().unwrap();
        Bytes::from(buf)
    }

    #[test]
    fn decodes_variants_and_normalizes() {
        let schema = Arc::new(Schema::new(vec![
            Field::new("a", DataType::LargeUtf8, true),
            Field::new("b", DataType::Utf8View, true),
            Field::new(
                "c",
                DataType::Dictionary(Box::new(DataType::Int32), Box::new(DataType::Utf8)),
                true,
            ),
            Field::new("f", DataType::Float32, true),
            Field::new("t", DataType::Timestamp(TimeUnit::Nanosecond, None), true),
            Field::new(
                "tz",
                DataType::Timestamp(TimeUnit::Microsecond, Some("UTC".into())),
                false,
            ),
        ]));
        let dict: DictionaryArray<Int32Type> =
            vec![Some("x"), None, Some("x")].into_iter().collect();
        let batch = RecordBatch::try_new(
            schema,
            vec![
                Arc::new(LargeStringArray::from(vec![
                    Some("p"),
                    Some("q"),
                    Some("p"),
                ])),
                Arc::new(StringViewArray::from(vec![Some("v"), None, Some("w")])),
                Arc::new(dict),
                Arc::new(Float32Array::from(vec![Some(1.5), None, Some(-0.25)])),
                Arc::new(TimestampNanosecondArray::from(vec![
                    Some(-1),
                    Some(1_999),
                    None,
                ])),
                Arc::new(TimestampMicrosecondArray::from(vec![1, 2, 3]).with_timezone("UTC")),
            ],
        )
        .unwrap();
        for comp in [
            Compression::UNCOMPRESSED,
            Compression::SNAPPY,
            Compression::ZSTD(ZstdLevel::default()),
            Compression::GZIP(Default::default()),
        ] {
            let f =
                decode_parquet(write_parquet(&[batch.clone(), batch.clone()], comp, 2)).unwrap();
            assert_eq!(f.rows, 6);
            let types: Vec<_> = f.columns.iter().map(|c| c.ty).collect();
            use ScalarType::*;
            assert_eq!(
                types,
                vec![Text, Text, Text, Float64, Timestamp, TimestampTz]
            );
            let ColumnData::Dict { values, codes } = &f.columns[2].data else {
                panic!()
            };
            assert_eq!(values.len(), 1);
            assert_eq!(&codes[..3], &[0, NULL_CODE, 0]);
            assert!(
                matches!(&f.columns[3].data, ColumnData::Float { values, valid }
                if values[..3] == [1.5, 0.0, -0.25] && valid[..3] == [true, false, true])
            );
            assert!(
                matches!(&f.columns[4].data, ColumnData::Int { values, valid }
                if values[..3] == [-1, 1, 0] && valid[..3] == [true, true, false])
            );
        }
    }

    #[test]
    fn garbage_and_truncated_are_bad_parquet() {
        assert!(matches!(
            decode_parquet(Bytes::from_static(b"not parquet at all")),
            Err(IndexError::BadParquet(_))
        ));
        let schema = Arc::new(Schema::new(vec![Field::new("x", DataType::Float64, true)]));
        let batch =
            RecordBatch::try_new(schema, vec![Arc::new(Float64Array::from(vec![1.0; 100]))])
                .unwrap();
        let good = write_parquet(&[batch], Compression::SNAPPY, 1000);
        let cut = good.slice(0..good.len() / 2);
        assert!(matches!(
            decode_parquet(cut),
            Err(IndexError::BadParquet(_))
        ));
        assert!(matches!(
            decode_parquet(Bytes::new()),
            Err(IndexError::BadParquet(_))
        ));
    }

    #[test]
    fn unsupported_types_name_the_column() {
        let schema = Arc::new(Schema::new(vec![Field::new(
            "flag",
            DataType::Boolean,
            true,
        )]));
        let batch = RecordBatch::try_new(
            schema,
            vec![Arc::new(arrow::array::BooleanArray::from(vec![true]))],
        )
        .unwrap();
        let r = decode_parquet(write_parquet(&[batch], Compression::SNAPPY, 10));
        assert!(
            matches!(&r, Err(IndexError::Unsupported(m)) if m.contains("flag")),
            "{r:?}"
        );
    }
}
