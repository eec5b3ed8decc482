//! PostgreSQL's unconstrained `numeric` on the general path.
//!
//! A PostgreSQL `numeric` value carries its own display scale: `1/3.0` is
//! `0.33333333333333333333` (20 digits) while `10/4.0` is
//! `2.5000000000000000` (16), both in one column; `avg` and `/` choose a
//! scale per value (`select_div_scale`: at least 16 significant digits), and
//! `1.5::float8::numeric` is `1.5`. An Arrow decimal has one scale per
//! column, so these values travel as a struct, one field for the digits and
//! one for the scale:
//!
//! ```text
//! Struct { numeric_digits: Decimal128(38, 0)   the unscaled value (i128)
//!          numeric_scale:  UInt8 }             digits after the point
//! ```
//!
//! which [`is_numeric`] recognises and the protocol writes as `numeric`
//! (text with exactly `numeric_scale` decimals, binary with that `dscale`).
//! Fixed-scale `Decimal128(p, s)` stays what it is, PostgreSQL's
//! `numeric(p, s)` and the type of literals such as `1.5`: `+`, `-` and `*`
//! on it give PostgreSQL's scales already.
//!
//! Where these values come from and go is the plan rewrite in
//! [`rewrite`]; the functions computing them are in [`ops`].

pub mod ops;
pub mod rewrite;

use std::sync::Arc;

use datafusion::arrow::array::{
    Array, ArrayRef, AsArray, Decimal128Array, StructArray, UInt8Array,
};
use datafusion::arrow::buffer::NullBuffer;
use datafusion::arrow::datatypes::{
    DataType, Decimal128Type, Field, Fields, Int8Type, Int16Type, Int32Type, Int64Type, UInt8Type,
    UInt16Type, UInt32Type, UInt64Type,
};
use datafusion::common::{Result, exec_err};
use isotherm_indexer::Numeric;

/// The digits field of the struct.
pub const DIGITS: &str = "numeric_digits";
/// The scale field of the struct.
pub const SCALE: &str = "numeric_scale";

fn fields() -> Fields {
    Fields::from(vec![
        Field::new(DIGITS, DataType::Decimal128(38, 0), true),
        Field::new(SCALE, DataType::UInt8, true),
    ])
}

/// The Arrow type of an unconstrained `numeric` value.
pub fn numeric_type() -> DataType {
    DataType::Struct(fields())
}

/// Whether `dt` is [`numeric_type`].
pub fn is_numeric(dt: &DataType) -> bool {
    match dt {
        DataType::Struct(f) => {
            f.len() == 2
                && f[0].name() == DIGITS
                && f[0].data_type() == &DataType::Decimal128(38, 0)
                && f[1].name() == SCALE
                && f[1].data_type() == &DataType::UInt8
        }
        _ => false,
    }
}

/// Whether values of `dt` are exact numbers a `numeric` operation takes:
/// integers, decimals and [`numeric_type`].
pub fn is_exact(dt: &DataType) -> bool {
    dt.is_integer() || matches!(dt, DataType::Decimal128(_, _)) || is_numeric(dt)
}

/// The array of these values (`None`: NULL).
pub fn to_array(values: &[Option<Numeric>]) -> ArrayRef {
    let digits: Decimal128Array = values
        .iter()
        .map(|v| v.map(|n| n.unscaled))
        .collect::<Decimal128Array>()
        .with_data_type(DataType::Decimal128(38, 0));
    let scales: UInt8Array = values.iter().map(|v| v.map(|n| n.scale)).collect();
    let nulls = NullBuffer::from(values.iter().map(Option::is_some).collect::<Vec<_>>());
    let nulls = (nulls.null_count() > 0).then_some(nulls);
    Arc::new(StructArray::new(
        fields(),
        vec![Arc::new(digits) as ArrayRef, Arc::new(scales)],
        nulls,
    ))
}

/// Each row of an exact-number array (see [`is_exact`]) as a [`Numeric`].
pub fn values(array: &dyn Array) -> Result<Vec<Option<Numeric>>> {
    fn ints<T>(array: &dyn Array) -> Vec<Option<Numeric>>
    where
        T: datafusion::arrow::datatypes::ArrowPrimitiveType,
        T::Native: Into<i128>,
    {
        array
            .as_primitive::<T>()
            .iter()
            .map(|v| {
                v.map(|v| Numeric {
                    unscaled: v.into(),
                    scale: 0,
                })
            })
            .collect()
    }
    Ok(match array.data_type() {
        DataType::Null => vec![None; array.len()],
        DataType::Int8 => ints::<Int8Type>(array),
        DataType::Int16 => ints::<Int16Type>(array),
        DataType::Int32 => ints::<Int32Type>(array),
        DataType::Int64 => ints::<Int64Type>(array),
        DataType::UInt8 => ints::<UInt8Type>(array),
        DataType::UInt16 => ints::<UInt16Type>(array),
        DataType::UInt32 => ints::<UInt32Type>(array),
        DataType::UInt64 => ints::<UInt64Type>(array),
        DataType::Decimal128(_, scale) => {
            let scale = *scale;
            let a = array.as_primitive::<Decimal128Type>();
            a.iter()
                .map(|v| v.map(|v| from_decimal(v, scale)).transpose())
                .collect::<Result<_>>()?
        }
        dt if is_numeric(dt) => {
            let s = array.as_struct();
            let digits = s.column(0).as_primitive::<Decimal128Type>();
            let scales = s.column(1).as_primitive::<UInt8Type>();
            (0..s.len())
                .map(|i| {
                    (s.is_valid(i) && digits.is_valid(i) && scales.is_valid(i)).then(|| Numeric {
                        unscaled: digits.value(i),
                        scale: scales.value(i),
                    })
                })
                .collect()
        }
        other => return exec_err!("not an exact number: {other}"),
    })
}

/// A decimal's value (a negative scale multiplies).
fn from_decimal(unscaled: i128, scale: i8) -> Result<Numeric> {
    if let Ok(scale) = u8::try_from(scale) {
        return Ok(Numeric { unscaled, scale });
    }
    match 10i128
        .checked_pow(u32::from(scale.unsigned_abs()))
        .and_then(|p| unscaled.checked_mul(p))
    {
        Some(unscaled) => Ok(Numeric { unscaled, scale: 0 }),
        None => Err(overflow()),
    }
}

/// PostgreSQL's error for a value beyond what fits (22003).
pub fn overflow() -> datafusion::error::DataFusionError {
    crate::functions::udf::pg_error("22003", "value overflows numeric format")
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;
    use datafusion::arrow::array::{Decimal128Array, Int32Array};

    fn n(unscaled: i128, scale: u8) -> Numeric {
        Numeric { unscaled, scale }
    }

    #[test]
    fn values_round_trip_through_the_struct() {
        let v = vec![Some(n(15, 1)), None, Some(n(-3, 0)), Some(n(1, 20))];
        let array = to_array(&v);
        assert!(is_numeric(array.data_type()));
        assert_eq!(array.null_count(), 1);
        assert_eq!(values(&array).unwrap(), v);
    }

    #[test]
    fn integers_and_decimals_are_exact_numbers() {
        let ints = Int32Array::from(vec![Some(7), None]);
        assert_eq!(values(&ints).unwrap(), vec![Some(n(7, 0)), None]);
        let dec = Decimal128Array::from(vec![Some(150)])
            .with_precision_and_scale(5, 2)
            .unwrap();
        assert_eq!(values(&dec).unwrap(), vec![Some(n(150, 2))]);
        let neg = Decimal128Array::from(vec![Some(15)])
            .with_precision_and_scale(2, -2)
            .unwrap();
        assert_eq!(values(&neg).unwrap(), vec![Some(n(1500, 0))]);
        assert!(values(&datafusion::arrow::array::Float64Array::from(vec![1.0])).is_err());
        assert!(!is_numeric(&DataType::Decimal128(38, 0)));
        assert!(is_exact(&DataType::Int64) && is_exact(&numeric_type()));
        assert!(!is_exact(&DataType::Float64));
    }
}
