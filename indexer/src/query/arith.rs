//! Exact `numeric` arithmetic and the casts row expressions may apply, as
//! PostgreSQL 15 computes them:
//!
//! - `+`/`-`: the larger scale of the operands; `*`: the sum of the scales;
//! - `/`: `select_div_scale`, at least 16 significant digits and at least
//!   the scale of either operand, rounded half away from zero;
//! - `floor`: scale 0;
//! - `numeric` to `bigint`: rounded half away from zero;
//! - `timestamptz` to `date`/`timestamp` and back in the session time zone,
//!   which is always UTC in Isotherm.
//!
//! Values are `i128` unscaled with a `u8` scale: every function returns
//! `None` where the result does not fit (the SQL face only sends
//! expressions whose values stay far inside that range).

use crate::calendar::MICROS_PER_DAY;
use crate::query::request::NumOp;
use crate::value::{Numeric, ScalarType, Value};

fn pow10(n: u32) -> Option<i128> {
    10i128.checked_pow(n)
}

/// `n` at a larger scale `scale` (exact), or `None` on overflow.
fn widen(n: Numeric, scale: u8) -> Option<i128> {
    n.unscaled
        .checked_mul(pow10(u32::from(scale.checked_sub(n.scale)?))?)
}

/// The weight and first digit of `n` in PostgreSQL's base-10000 form: `n`
/// is `d * 10000^weight` plus lower digits.
pub fn nbase_head(n: Numeric) -> (i32, i32) {
    let mut a = n.unscaled.unsigned_abs();
    if a == 0 {
        return (0, 0);
    }
    // Align the fraction to whole base-10000 digits.
    let scale = u32::from(n.scale);
    let frac_groups = scale.div_ceil(4);
    let pad = frac_groups * 4 - scale;
    let Some(p) = 10u128.checked_pow(pad) else {
        return (0, 0);
    };
    let Some(padded) = a.checked_mul(p) else {
        // Too large to align: estimate from the integer part alone.
        return (0, 0);
    };
    a = padded;
    let mut groups = 0i32;
    let mut first = 0u128;
    while a > 0 {
        first = a % 10_000;
        a /= 10_000;
        groups += 1;
    }
    let weight = groups - 1 - i32::try_from(frac_groups).unwrap_or(0);
    (weight, i32::try_from(first).unwrap_or(0))
}

/// `x op y` for numerics; `None` on overflow or division by zero.
pub fn numeric_op(op: NumOp, x: Numeric, y: Numeric) -> Option<Numeric> {
    match op {
        NumOp::Add | NumOp::Sub => {
            let s = x.scale.max(y.scale);
            let a = widen(x, s)?;
            let b = widen(y, s)?;
            let r = if op == NumOp::Add {
                a.checked_add(b)?
            } else {
                a.checked_sub(b)?
            };
            Some(Numeric {
                unscaled: r,
                scale: s,
            })
        }
        NumOp::Mul => Some(Numeric {
            unscaled: x.unscaled.checked_mul(y.unscaled)?,
            scale: x.scale.checked_add(y.scale)?,
        }),
        NumOp::Div => numeric_div(x, y),
    }
}

/// PostgreSQL's `numeric_div`: the quotient at `select_div_scale` digits.
pub fn numeric_div(x: Numeric, y: Numeric) -> Option<Numeric> {
    if y.unscaled == 0 {
        return None;
    }
    let (w1, d1) = nbase_head(x);
    let (w2, d2) = nbase_head(y);
    let mut qweight = w1 - w2;
    if d1 <= d2 {
        qweight -= 1;
    }
    let rscale = (16 - qweight * 4)
        .max(i32::from(x.scale))
        .max(i32::from(y.scale))
        .clamp(0, 1000);
    // q = x / y at rscale = x.u * 10^(rscale - xs + ys) / y.u, rounded half away.
    let shift = rscale - i32::from(x.scale) + i32::from(y.scale);
    let p = pow10(shift.unsigned_abs())?;
    let (num, den) = if shift >= 0 {
        (x.unscaled.checked_mul(p)?, y.unscaled)
    } else {
        (x.unscaled, y.unscaled.checked_mul(p)?)
    };
    let q = num / den;
    let r = num % den;
    let q = if r.unsigned_abs().checked_mul(2)? >= den.unsigned_abs() {
        q + if (num < 0) != (den < 0) { -1 } else { 1 }
    } else {
        q
    };
    Some(Numeric {
        unscaled: q,
        scale: u8::try_from(rscale).ok()?,
    })
}

/// `floor(x)` at scale 0.
pub fn numeric_floor(x: Numeric) -> Option<Numeric> {
    let p = pow10(u32::from(x.scale))?;
    Some(Numeric {
        unscaled: x.unscaled.div_euclid(p),
        scale: 0,
    })
}

/// `x` rounded half away from zero to an integer.
fn numeric_round(x: Numeric) -> Option<i128> {
    let p = pow10(u32::from(x.scale))?;
    let q = x.unscaled / p;
    let r = x.unscaled % p;
    Some(if r.unsigned_abs() * 2 >= p.unsigned_abs() {
        q + r.signum()
    } else {
        q
    })
}

/// A number as a numeric (integers exactly; floats are not converted here).
pub fn as_numeric(v: &Value) -> Option<Numeric> {
    match v {
        Value::Numeric(n) => Some(*n),
        Value::Int64(i) => Some(Numeric::from_i64(*i)),
        _ => None,
    }
}

/// `left op right`: NULL if either is NULL (or the result does not fit).
pub fn apply_op(op: NumOp, left: &Value, right: &Value) -> Value {
    match (as_numeric(left), as_numeric(right)) {
        (Some(a), Some(b)) => numeric_op(op, a, b).map_or(Value::Null, Value::Numeric),
        _ => Value::Null,
    }
}

/// `floor(v)`.
pub fn floor(v: &Value) -> Value {
    match v {
        Value::Float64(f) => Value::Float64(f.floor()),
        Value::Int64(i) => Value::Int64(*i),
        Value::Numeric(n) => numeric_floor(*n).map_or(Value::Null, Value::Numeric),
        _ => Value::Null,
    }
}

/// Whether [`cast`] converts `from` to `to`.
pub fn can_cast(from: ScalarType, to: ScalarType) -> bool {
    use ScalarType::*;
    from == to
        || matches!(
            (from, to),
            (
                Date | Timestamp | TimestampTz,
                Date | Timestamp | TimestampTz
            ) | (Numeric, Float64 | Int64)
                | (Int64, Numeric | Float64)
        )
}

/// `CAST(v AS to)` for the pairs [`can_cast`] allows; NULL otherwise.
pub fn cast(v: &Value, to: ScalarType) -> Value {
    let day_of = |t: i64| i32::try_from(t.div_euclid(MICROS_PER_DAY)).ok();
    match (v, to) {
        (Value::Null, _) => Value::Null,
        (Value::Date(d), ScalarType::Date) => Value::Date(*d),
        (Value::Date(d), ScalarType::Timestamp) => Value::Timestamp(i64::from(*d) * MICROS_PER_DAY),
        (Value::Date(d), ScalarType::TimestampTz) => {
            Value::TimestampTz(i64::from(*d) * MICROS_PER_DAY)
        }
        (Value::Timestamp(t) | Value::TimestampTz(t), ScalarType::Date) => {
            day_of(*t).map_or(Value::Null, Value::Date)
        }
        (Value::Timestamp(t) | Value::TimestampTz(t), ScalarType::Timestamp) => {
            Value::Timestamp(*t)
        }
        (Value::Timestamp(t) | Value::TimestampTz(t), ScalarType::TimestampTz) => {
            Value::TimestampTz(*t)
        }
        (Value::Numeric(n), ScalarType::Numeric) => Value::Numeric(*n),
        (Value::Numeric(n), ScalarType::Float64) => Value::Float64(numeric_to_f64(*n)),
        (Value::Numeric(n), ScalarType::Int64) => numeric_round(*n)
            .and_then(|i| i64::try_from(i).ok())
            .map_or(Value::Null, Value::Int64),
        (Value::Int64(i), ScalarType::Int64) => Value::Int64(*i),
        (Value::Int64(i), ScalarType::Numeric) => Value::Numeric(Numeric::from_i64(*i)),
        (Value::Int64(i), ScalarType::Float64) => Value::Float64(*i as f64),
        _ => Value::Null,
    }
}

/// The float nearest a numeric, as PostgreSQL's `numeric_float8` (which
/// parses the decimal text) gives it.
pub fn numeric_to_f64(n: Numeric) -> f64 {
    n.to_string().parse::<f64>().unwrap_or(f64::NAN)
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;

    fn n(u: i128, s: u8) -> Numeric {
        Numeric {
            unscaled: u,
            scale: s,
        }
    }

    #[test]
    fn division_scales_like_postgres() {
        // 1::numeric / 3 = 0.33333333333333333333 (20 digits)
        assert_eq!(
            numeric_div(n(1, 0), n(3, 0)).unwrap(),
            n(33_333_333_333_333_333_333, 20)
        );
        // 10 / 4 = 2.5000000000000000
        assert_eq!(
            numeric_div(n(10, 0), n(4, 0)).unwrap(),
            n(25_000_000_000_000_000, 16)
        );
        // extract(epoch ...) / 86400: 1717200000.000000 / 86400 = 19875.000000000000
        assert_eq!(
            numeric_div(n(1_717_200_000_000_000, 6), n(86_400, 0)).unwrap(),
            n(19_875_000_000_000_000, 12)
        );
        assert_eq!(numeric_div(n(1, 0), n(0, 0)), None);
        assert_eq!(nbase_head(n(19_875, 0)), (1, 1));
        assert_eq!(nbase_head(n(5, 1)), (-1, 5000));
    }

    #[test]
    fn grafana_bucket() {
        // floor(1717243323.5 / 3600) * 3600 = 1717243200
        let x = n(1_717_243_323_500_000, 6);
        let q = numeric_div(x, n(3600, 0)).unwrap();
        let f = numeric_floor(q).unwrap();
        assert_eq!(
            numeric_op(NumOp::Mul, f, n(3600, 0)).unwrap(),
            n(1_717_243_200, 0)
        );
        assert_eq!(numeric_floor(n(-15, 1)).unwrap(), n(-2, 0));
    }

    #[test]
    fn casts() {
        let day = 19_875;
        let noon = i64::from(day) * MICROS_PER_DAY + MICROS_PER_DAY / 2;
        assert_eq!(
            cast(&Value::TimestampTz(noon), ScalarType::Date),
            Value::Date(day)
        );
        assert_eq!(
            cast(&Value::Timestamp(-1), ScalarType::Date),
            Value::Date(-1)
        );
        assert_eq!(
            cast(&Value::Date(day), ScalarType::Timestamp),
            Value::Timestamp(i64::from(day) * MICROS_PER_DAY)
        );
        assert_eq!(
            cast(&Value::Numeric(n(25, 1)), ScalarType::Int64),
            Value::Int64(3)
        );
        assert_eq!(
            cast(&Value::Numeric(n(-25, 1)), ScalarType::Int64),
            Value::Int64(-3)
        );
        assert_eq!(
            cast(&Value::Numeric(n(1, 1)), ScalarType::Float64),
            Value::Float64(0.1)
        );
        assert!(can_cast(ScalarType::TimestampTz, ScalarType::Date));
        assert!(!can_cast(ScalarType::Text, ScalarType::Date));
    }
}
