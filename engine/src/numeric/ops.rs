//! The functions computing unconstrained `numeric` values (see the module
//! above), as PostgreSQL 15 does:
//!
//! - `numeric_add` / `numeric_sub` / `numeric_mul` / `numeric_div(x, y)`:
//!   exact arithmetic of two exact numbers (integers, decimals, numerics);
//!   `+`/`-` keep the larger scale, `*` adds the scales, `/` takes
//!   `select_div_scale` ([`isotherm_indexer::query::arith`]);
//! - `numeric_in(x)`: PostgreSQL's cast to `numeric` of a float (its
//!   `%.15g` text for `float8`, `%.6g` for `float4`) or of text
//!   (`numeric_in`);
//! - `numeric_value(x)`: the value as `Decimal128(38, 16)`, for the
//!   operations that take a fixed-scale decimal (comparisons, `round`,
//!   other casts, aggregates), rounded half away from zero.
//!
//! Errors are PostgreSQL's: 22012 on division by zero, 22003 when a value
//! leaves the 38 digits `numeric` holds here, 22P02 for text that is not a
//! number.

use std::sync::Arc;

use datafusion::arrow::array::{Array, ArrayRef, AsArray, Decimal128Array};
use datafusion::arrow::datatypes::{DataType, Float32Type, Float64Type};
use datafusion::common::{Result, ScalarValue, exec_err};
use datafusion::logical_expr::{
    ColumnarValue, ScalarFunctionArgs, ScalarUDF, ScalarUDFImpl, Signature, Volatility,
};
use isotherm_indexer::Numeric;
use isotherm_indexer::query::arith::numeric_op;
use isotherm_indexer::query::request::NumOp;

use super::{is_numeric, numeric_type, overflow, to_array, values};
use crate::functions::udf::pg_error;

/// The scale of [`numeric_value`]'s decimals: PostgreSQL's minimum of
/// significant digits for a quotient, leaving 22 before the point.
pub const VALUE_SCALE: i8 = 16;

/// What a function computes.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
enum Op {
    Arith(NumOp),
    In,
    Value,
}

/// One of the functions of this module.
#[derive(Debug, PartialEq, Eq, Hash)]
struct NumericFn {
    op: Op,
    signature: Signature,
}

/// `x op y` as an unconstrained numeric.
pub fn arith(op: NumOp) -> ScalarUDF {
    function(Op::Arith(op), 2)
}

/// `CAST(x AS numeric)` of a float or text.
pub fn numeric_in() -> ScalarUDF {
    function(Op::In, 1)
}

/// An unconstrained numeric as `Decimal128(38, VALUE_SCALE)`.
pub fn numeric_value() -> ScalarUDF {
    function(Op::Value, 1)
}

fn function(op: Op, args: usize) -> ScalarUDF {
    ScalarUDF::new_from_impl(NumericFn {
        op,
        signature: Signature::any(args, Volatility::Immutable),
    })
}

impl ScalarUDFImpl for NumericFn {
    fn name(&self) -> &str {
        match self.op {
            Op::Arith(NumOp::Add) => "numeric_add",
            Op::Arith(NumOp::Sub) => "numeric_sub",
            Op::Arith(NumOp::Mul) => "numeric_mul",
            Op::Arith(NumOp::Div) => "numeric_div",
            Op::In => "numeric_in",
            Op::Value => "numeric_value",
        }
    }

    fn signature(&self) -> &Signature {
        &self.signature
    }

    fn return_type(&self, _args: &[DataType]) -> Result<DataType> {
        Ok(match self.op {
            Op::Value => DataType::Decimal128(38, VALUE_SCALE),
            _ => numeric_type(),
        })
    }

    fn invoke_with_args(&self, args: ScalarFunctionArgs) -> Result<ColumnarValue> {
        let scalar = args
            .args
            .iter()
            .all(|a| matches!(a, ColumnarValue::Scalar(_)));
        let arrays = ColumnarValue::values_to_arrays(&args.args)?;
        let out = match (self.op, arrays.as_slice()) {
            (Op::Arith(op), [x, y]) => {
                let (x, y) = (values(x)?, values(y)?);
                let rows = x
                    .iter()
                    .zip(&y)
                    .map(|(x, y)| match (x, y) {
                        (Some(x), Some(y)) => apply(op, *x, *y).map(Some),
                        _ => Ok(None),
                    })
                    .collect::<Result<Vec<_>>>()?;
                to_array(&rows)
            }
            (Op::In, [x]) => to_array(&cast_in(x)?),
            (Op::Value, [x]) => {
                let rows = values(x)?
                    .into_iter()
                    .map(|v| {
                        v.map(|n| {
                            n.rescale(VALUE_SCALE as u8)
                                .map(|n| n.unscaled)
                                .ok_or_else(overflow)
                        })
                        .transpose()
                    })
                    .collect::<Result<Vec<_>>>()?;
                Arc::new(
                    Decimal128Array::from(rows)
                        .with_precision_and_scale(38, VALUE_SCALE)
                        .map_err(|_| overflow())?,
                ) as ArrayRef
            }
            _ => return exec_err!("{}: wrong number of arguments", self.name()),
        };
        if scalar {
            return Ok(ColumnarValue::Scalar(ScalarValue::try_from_array(&out, 0)?));
        }
        Ok(ColumnarValue::Array(out))
    }
}

/// `x op y`, or PostgreSQL's error.
fn apply(op: NumOp, x: Numeric, y: Numeric) -> Result<Numeric> {
    if op == NumOp::Div && y.unscaled == 0 {
        return Err(pg_error("22012", "division by zero"));
    }
    numeric_op(op, x, y).ok_or_else(overflow)
}

/// Each row of `x` cast to numeric.
fn cast_in(x: &ArrayRef) -> Result<Vec<Option<Numeric>>> {
    match x.data_type() {
        DataType::Float64 => x
            .as_primitive::<Float64Type>()
            .iter()
            .map(|v| v.map(|f| from_float(f, 15)).transpose())
            .collect(),
        DataType::Float32 => x
            .as_primitive::<Float32Type>()
            .iter()
            .map(|v| v.map(|f| from_float(f64::from(f), 6)).transpose())
            .collect(),
        DataType::Utf8 | DataType::LargeUtf8 | DataType::Utf8View => {
            let text = datafusion::arrow::compute::cast(x, &DataType::Utf8)?;
            text.as_string::<i32>()
                .iter()
                .map(|v| v.map(parse).transpose())
                .collect()
        }
        dt if dt.is_integer() || is_numeric(dt) || matches!(dt, DataType::Decimal128(_, _)) => {
            values(x.as_ref())
        }
        DataType::Null => Ok(vec![None; x.len()]),
        other => exec_err!("cannot cast type {other} to numeric"),
    }
}

/// Text as PostgreSQL's `numeric_in` reads it.
fn parse(s: &str) -> Result<Numeric> {
    Numeric::parse(s).ok_or_else(|| {
        pg_error(
            "22P02",
            format!("invalid input syntax for type numeric: \"{s}\""),
        )
    })
}

/// A float as PostgreSQL casts it: its `%.{digits}g` text read back, so
/// `0.1::float8` is `0.1` and `1e20` is `100000000000000000000`.
fn from_float(f: f64, digits: usize) -> Result<Numeric> {
    if !f.is_finite() {
        return Err(pg_error(
            "0A000",
            format!("cannot convert {f} to numeric here"),
        ));
    }
    let text = format!("{f:.prec$e}", prec = digits - 1);
    let mut n = Numeric::parse(&text).ok_or_else(overflow)?;
    // `%g` drops trailing zeros of the fraction.
    while n.scale > 0 && n.unscaled % 10 == 0 {
        n.unscaled /= 10;
        n.scale -= 1;
    }
    Ok(n)
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;
    use datafusion::arrow::array::{Float64Array, Int64Array, StringArray};
    use datafusion::arrow::datatypes::Field;
    use datafusion::common::config::ConfigOptions;

    /// `f` over arrays of one length.
    fn invoke(f: &ScalarUDF, args: Vec<ArrayRef>) -> Result<ArrayRef> {
        let rows = args[0].len();
        let types: Vec<DataType> = args.iter().map(|a| a.data_type().clone()).collect();
        let arg_fields = args
            .iter()
            .map(|a| Arc::new(Field::new("a", a.data_type().clone(), true)))
            .collect();
        let out = f.invoke_with_args(ScalarFunctionArgs {
            args: args.into_iter().map(ColumnarValue::Array).collect(),
            arg_fields,
            number_rows: rows,
            return_field: Arc::new(Field::new("r", f.return_type(&types)?, true)),
            config_options: Arc::new(ConfigOptions::default()),
        })?;
        out.into_array(rows)
    }

    /// `f`'s values as text (numerics with their own scales).
    fn call(f: &ScalarUDF, args: Vec<ArrayRef>) -> Result<Vec<Option<String>>> {
        let out = invoke(f, args)?;
        if is_numeric(out.data_type()) {
            return Ok(values(&out)?
                .into_iter()
                .map(|v| v.map(|n| n.to_string()))
                .collect());
        }
        let d = out.as_primitive::<datafusion::arrow::datatypes::Decimal128Type>();
        Ok((0..d.len())
            .map(|i| d.is_valid(i).then(|| d.value_as_string(i)))
            .collect())
    }

    fn ints(v: &[i64]) -> ArrayRef {
        Arc::new(Int64Array::from(v.to_vec()))
    }

    #[test]
    fn division_takes_postgres_scale_per_value() {
        let out = call(
            &arith(NumOp::Div),
            vec![ints(&[1, 10, 3, 1]), ints(&[3, 4, 1, 1])],
        );
        assert_eq!(
            out.unwrap(),
            vec![
                Some("0.33333333333333333333".into()),
                Some("2.5000000000000000".into()),
                Some("3.0000000000000000".into()),
                Some("1.00000000000000000000".into()),
            ]
        );
    }

    #[test]
    fn errors_carry_sqlstates() {
        let e = call(&arith(NumOp::Div), vec![ints(&[1]), ints(&[0])]).unwrap_err();
        assert!(e.to_string().contains("22012"), "{e}");
        // i64::MAX squared fits the 38 digits; its cube does not.
        let big = Arc::new(Int64Array::from(vec![i64::MAX])) as ArrayRef;
        let square = invoke(&arith(NumOp::Mul), vec![big.clone(), big.clone()]).unwrap();
        let e = invoke(&arith(NumOp::Mul), vec![square, big]).unwrap_err();
        assert!(e.to_string().contains("22003"), "{e}");
        let text: ArrayRef = Arc::new(StringArray::from(vec!["12,5"]));
        let e = call(&numeric_in(), vec![text]).unwrap_err();
        assert!(e.to_string().contains("22P02"), "{e}");
    }

    fn call_in(args: Vec<ArrayRef>) -> ArrayRef {
        let rows: Vec<Option<Numeric>> = values(&args[0]).unwrap();
        to_array(&rows)
    }

    #[test]
    fn casts_read_floats_and_text_as_postgres() {
        let floats: ArrayRef = Arc::new(Float64Array::from(vec![
            Some(1.5),
            Some(0.1),
            Some(2.0),
            Some(1e20),
            Some(-1.0 / 3.0),
            None,
        ]));
        assert_eq!(
            call(&numeric_in(), vec![floats]).unwrap(),
            vec![
                Some("1.5".into()),
                Some("0.1".into()),
                Some("2".into()),
                Some("100000000000000000000".into()),
                Some("-0.333333333333333".into()),
                None,
            ]
        );
        let text: ArrayRef = Arc::new(StringArray::from(vec![" 1.50 ", "-2e3"]));
        assert_eq!(
            call(&numeric_in(), vec![text]).unwrap(),
            vec![Some("1.50".into()), Some("-2000".into())]
        );
    }

    #[test]
    fn values_are_fixed_scale_decimals() {
        let q = call_in(vec![ints(&[7])]);
        let third = to_array(&[Some(Numeric {
            unscaled: 33_333_333_333_333_333_333,
            scale: 20,
        })]);
        assert_eq!(
            call(&numeric_value(), vec![third]).unwrap(),
            vec![Some("0.3333333333333333".into())]
        );
        assert_eq!(
            call(&numeric_value(), vec![q]).unwrap(),
            vec![Some("7.0000000000000000".into())]
        );
    }
}
