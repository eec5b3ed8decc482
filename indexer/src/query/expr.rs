//! Scalar semantics of request expressions, as PostgreSQL 15 evaluates them
//! (session time zone UTC): `date_trunc`, `extract`, comparisons and
//! three-valued predicate atoms, on one value at a time.

use std::cmp::Ordering;

use crate::calendar::{MICROS_PER_DAY, civil_from_days, days_from_civil};
use crate::error::{IndexError, Result};
use crate::query::arith::{apply_op, can_cast, cast, floor};
use crate::query::request::{CmpOp, Expr, ExtractField, TruncUnit};
use crate::schema::TableSchema;
use crate::value::{Numeric, ScalarType, Value};

/// The column an expression reads, if any (each expression reads at most one).
pub fn leaf_column(expr: &Expr) -> Option<&str> {
    match expr {
        Expr::Column(c) => Some(c),
        Expr::DateTrunc { arg, .. }
        | Expr::Extract { arg, .. }
        | Expr::Cast { arg, .. }
        | Expr::Floor(arg)
        | Expr::Coalesce { arg, .. } => leaf_column(arg),
        Expr::Arith { left, right, .. } => leaf_column(left).or_else(|| leaf_column(right)),
        Expr::Literal(_) => None,
    }
}

/// The SQL type of `expr`, checking columns exist and functions apply.
pub fn expr_type(schema: &TableSchema, expr: &Expr) -> Result<ScalarType> {
    match expr {
        Expr::Column(c) => {
            schema
                .column(c)
                .map(|c| c.ty)
                .ok_or_else(|| IndexError::UnknownColumn {
                    table: schema.name.clone(),
                    column: c.clone(),
                })
        }
        Expr::Literal(v) => Ok(literal_type(v)),
        Expr::DateTrunc { arg, .. } => match expr_type(schema, arg)? {
            ScalarType::Timestamp => Ok(ScalarType::Timestamp),
            ScalarType::Date | ScalarType::TimestampTz => Ok(ScalarType::TimestampTz),
            other => Err(IndexError::UndefinedFunction(format!(
                "date_trunc(unknown, {})",
                other.pg_name()
            ))),
        },
        Expr::Extract { field, arg } => match expr_type(schema, arg)? {
            ScalarType::Date => {
                if matches!(
                    field,
                    ExtractField::Hour | ExtractField::Minute | ExtractField::Second
                ) {
                    Err(IndexError::Unsupported(format!(
                        "unit \"{}\" for type date",
                        field_name(*field)
                    )))
                } else {
                    Ok(ScalarType::Numeric)
                }
            }
            ScalarType::Timestamp | ScalarType::TimestampTz => Ok(ScalarType::Numeric),
            other => Err(IndexError::UndefinedFunction(format!(
                "extract(unknown, {})",
                other.pg_name()
            ))),
        },
        Expr::Cast { to, arg } => {
            let from = expr_type(schema, arg)?;
            if can_cast(from, *to) {
                Ok(*to)
            } else {
                Err(IndexError::Unsupported(format!(
                    "cast from {} to {} in an index expression",
                    from.pg_name(),
                    to.pg_name()
                )))
            }
        }
        Expr::Arith { left, right, .. } => {
            if leaf_column(left).is_some() && leaf_column(right).is_some() {
                return Err(IndexError::Unsupported(
                    "arithmetic over two columns in an index expression".into(),
                ));
            }
            for side in [left, right] {
                let t = expr_type(schema, side)?;
                if !matches!(t, ScalarType::Numeric | ScalarType::Int64) {
                    return Err(IndexError::Unsupported(format!(
                        "arithmetic on {} in an index expression",
                        t.pg_name()
                    )));
                }
            }
            Ok(ScalarType::Numeric)
        }
        Expr::Floor(arg) => match expr_type(schema, arg)? {
            t @ (ScalarType::Numeric | ScalarType::Float64 | ScalarType::Int64) => Ok(t),
            other => Err(IndexError::UndefinedFunction(format!(
                "floor({})",
                other.pg_name()
            ))),
        },
        Expr::Coalesce { arg, value } => {
            let t = expr_type(schema, arg)?;
            if value.is_null() || literal_type(value) == t {
                Ok(t)
            } else {
                Err(IndexError::Unsupported(format!(
                    "coalesce of {} with {}",
                    t.pg_name(),
                    literal_type(value).pg_name()
                )))
            }
        }
    }
}

fn field_name(f: ExtractField) -> &'static str {
    match f {
        ExtractField::Year => "year",
        ExtractField::Quarter => "quarter",
        ExtractField::Month => "month",
        ExtractField::Week => "week",
        ExtractField::Day => "day",
        ExtractField::Dow => "dow",
        ExtractField::IsoDow => "isodow",
        ExtractField::Doy => "doy",
        ExtractField::Hour => "hour",
        ExtractField::Minute => "minute",
        ExtractField::Second => "second",
        ExtractField::Epoch => "epoch",
    }
}

pub fn literal_type(v: &Value) -> ScalarType {
    match v {
        Value::Null | Value::Text(_) => ScalarType::Text,
        Value::Bool(_) => ScalarType::Bool,
        Value::Int64(_) => ScalarType::Int64,
        Value::Float64(_) => ScalarType::Float64,
        Value::Date(_) => ScalarType::Date,
        Value::Timestamp(_) => ScalarType::Timestamp,
        Value::TimestampTz(_) => ScalarType::TimestampTz,
        Value::Numeric(_) => ScalarType::Numeric,
    }
}

/// Evaluates `expr` given the value of its leaf column.
pub fn apply(expr: &Expr, leaf: &Value) -> Value {
    match expr {
        Expr::Column(_) => leaf.clone(),
        Expr::Literal(v) => v.clone(),
        Expr::DateTrunc { unit, arg } => date_trunc(*unit, &apply(arg, leaf)),
        Expr::Extract { field, arg } => extract(*field, &apply(arg, leaf)),
        Expr::Cast { to, arg } => cast(&apply(arg, leaf), *to),
        Expr::Arith { op, left, right } => apply_op(*op, &apply(left, leaf), &apply(right, leaf)),
        Expr::Floor(arg) => floor(&apply(arg, leaf)),
        Expr::Coalesce { arg, value } => match apply(arg, leaf) {
            Value::Null => value.clone(),
            v => v,
        },
    }
}

/// `date_trunc(unit, v)`; dates become `timestamptz` at midnight UTC.
pub fn date_trunc(unit: TruncUnit, v: &Value) -> Value {
    let (micros, tz) = match v {
        Value::Date(d) => (i64::from(*d) * MICROS_PER_DAY, true),
        Value::Timestamp(t) => (*t, false),
        Value::TimestampTz(t) => (*t, true),
        _ => return Value::Null,
    };
    let days = micros.div_euclid(MICROS_PER_DAY);
    let tod = micros.rem_euclid(MICROS_PER_DAY);
    let (y, m, _) = civil_from_days(days);
    let out = match unit {
        TruncUnit::Minute => micros - tod % 60_000_000,
        TruncUnit::Hour => micros - tod % 3_600_000_000,
        TruncUnit::Day => days * MICROS_PER_DAY,
        // ISO weeks start on Monday; 1970-01-01 was a Thursday.
        TruncUnit::Week => (days - (days + 3).rem_euclid(7)) * MICROS_PER_DAY,
        TruncUnit::Month => days_from_civil(y, m, 1) * MICROS_PER_DAY,
        TruncUnit::Quarter => days_from_civil(y, (m - 1) / 3 * 3 + 1, 1) * MICROS_PER_DAY,
        TruncUnit::Year => days_from_civil(y, 1, 1) * MICROS_PER_DAY,
    };
    if tz {
        Value::TimestampTz(out)
    } else {
        Value::Timestamp(out)
    }
}

fn iso_weeks_in_year(y: i64) -> i64 {
    let p = |y: i64| (y + y.div_euclid(4) - y.div_euclid(100) + y.div_euclid(400)).rem_euclid(7);
    if p(y) == 4 || p(y - 1) == 3 { 53 } else { 52 }
}

/// `extract(field FROM v)` as `numeric` (PostgreSQL 14+ scales).
pub fn extract(field: ExtractField, v: &Value) -> Value {
    let (micros, is_date) = match v {
        Value::Date(d) => (i64::from(*d) * MICROS_PER_DAY, true),
        Value::Timestamp(t) | Value::TimestampTz(t) => (*t, false),
        _ => return Value::Null,
    };
    let days = micros.div_euclid(MICROS_PER_DAY);
    let tod = micros.rem_euclid(MICROS_PER_DAY);
    let (y, m, d) = civil_from_days(days);
    let isodow = (days + 3).rem_euclid(7) + 1;
    let doy = days - days_from_civil(y, 1, 1) + 1;
    let int = |i: i64| Value::Numeric(Numeric::from_i64(i));
    match field {
        ExtractField::Year => int(y),
        ExtractField::Quarter => int(i64::from((m - 1) / 3 + 1)),
        ExtractField::Month => int(i64::from(m)),
        ExtractField::Day => int(i64::from(d)),
        ExtractField::Dow => int(isodow % 7),
        ExtractField::IsoDow => int(isodow),
        ExtractField::Doy => int(doy),
        ExtractField::Week => {
            let mut w = (doy - isodow + 10).div_euclid(7);
            if w < 1 {
                w = iso_weeks_in_year(y - 1);
            } else if w > iso_weeks_in_year(y) {
                w = 1;
            }
            int(w)
        }
        ExtractField::Hour => int(tod / 3_600_000_000),
        ExtractField::Minute => int(tod / 60_000_000 % 60),
        ExtractField::Second => Value::Numeric(Numeric {
            unscaled: i128::from(tod % 60_000_000),
            scale: 6,
        }),
        ExtractField::Epoch => {
            if is_date {
                int(days * 86_400)
            } else {
                Value::Numeric(Numeric {
                    unscaled: i128::from(micros),
                    scale: 6,
                })
            }
        }
    }
}

/// Orders two non-NULL values as PostgreSQL compares them: numbers across
/// int/float/numeric, dates against timestamps at midnight.
pub fn cmp_values(a: &Value, b: &Value) -> Ordering {
    match (a, b) {
        (Value::Date(d), Value::Timestamp(t) | Value::TimestampTz(t)) => {
            (i64::from(*d) * MICROS_PER_DAY).cmp(t)
        }
        (Value::Timestamp(t) | Value::TimestampTz(t), Value::Date(d)) => {
            t.cmp(&(i64::from(*d) * MICROS_PER_DAY))
        }
        (Value::Timestamp(x), Value::TimestampTz(y))
        | (Value::TimestampTz(x), Value::Timestamp(y)) => x.cmp(y),
        _ => a.sql_cmp(b),
    }
}

/// `a op b`; unknown when either side is NULL.
pub fn compare(a: &Value, op: CmpOp, b: &Value) -> Option<bool> {
    if a.is_null() || b.is_null() {
        return None;
    }
    let ord = cmp_values(a, b);
    Some(match op {
        CmpOp::Eq => ord == Ordering::Equal,
        CmpOp::NotEq => ord != Ordering::Equal,
        CmpOp::Lt => ord == Ordering::Less,
        CmpOp::LtEq => ord != Ordering::Greater,
        CmpOp::Gt => ord == Ordering::Greater,
        CmpOp::GtEq => ord != Ordering::Less,
    })
}

pub fn and3(a: Option<bool>, b: Option<bool>) -> Option<bool> {
    match (a, b) {
        (Some(false), _) | (_, Some(false)) => Some(false),
        (Some(true), Some(true)) => Some(true),
        _ => None,
    }
}

pub fn or3(a: Option<bool>, b: Option<bool>) -> Option<bool> {
    match (a, b) {
        (Some(true), _) | (_, Some(true)) => Some(true),
        (Some(false), Some(false)) => Some(false),
        _ => None,
    }
}

/// The test a predicate atom applies to its expression's value.
#[derive(Debug, Clone, PartialEq)]
pub enum AtomTest {
    Compare(CmpOp, Value),
    InList(Vec<Value>, bool),
    Between(Value, Value, bool),
    IsNull(bool),
}

impl AtomTest {
    pub fn eval(&self, v: &Value) -> Option<bool> {
        match self {
            AtomTest::Compare(op, lit) => compare(v, *op, lit),
            AtomTest::InList(list, negated) => {
                let mut acc = Some(false);
                for x in list {
                    acc = or3(acc, compare(v, CmpOp::Eq, x));
                    if acc == Some(true) {
                        break;
                    }
                }
                acc.map(|b| b != *negated)
            }
            AtomTest::Between(lo, hi, negated) => {
                and3(compare(v, CmpOp::GtEq, lo), compare(v, CmpOp::LtEq, hi))
                    .map(|b| b != *negated)
            }
            AtomTest::IsNull(negated) => Some(v.is_null() != *negated),
        }
    }
}

/// A hashable form of a value for grouping and DISTINCT: floats by
/// PostgreSQL equality (-0 = 0, NaN = NaN).
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub enum HKey {
    Null,
    Bool(bool),
    Int(i64),
    Float(u64),
    Text(String),
    Date(i32),
    Ts(i64),
    Tz(i64),
    Num(i128, u8),
}

impl HKey {
    pub fn of(v: &Value) -> HKey {
        match v {
            Value::Null => HKey::Null,
            Value::Bool(b) => HKey::Bool(*b),
            Value::Int64(i) => HKey::Int(*i),
            Value::Float64(f) => HKey::Float(if f.is_nan() {
                f64::NAN.to_bits()
            } else if *f == 0.0 {
                0f64.to_bits()
            } else {
                f.to_bits()
            }),
            Value::Text(s) => HKey::Text(s.clone()),
            Value::Date(d) => HKey::Date(*d),
            Value::Timestamp(t) => HKey::Ts(*t),
            Value::TimestampTz(t) => HKey::Tz(*t),
            Value::Numeric(n) => HKey::Num(n.unscaled, n.scale),
        }
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;
    use crate::calendar::parse_date;

    fn day(s: &str) -> Value {
        Value::Date(parse_date(s).unwrap())
    }
    fn n(u: i128, s: u8) -> Value {
        Value::Numeric(Numeric {
            unscaled: u,
            scale: s,
        })
    }

    #[test]
    fn trunc_and_extract_on_dates() {
        let d = day("2024-06-05");
        let midnight = |s: &str| i64::from(parse_date(s).unwrap()) * MICROS_PER_DAY;
        assert_eq!(
            date_trunc(TruncUnit::Week, &d),
            Value::TimestampTz(midnight("2024-06-03"))
        );
        assert_eq!(
            date_trunc(TruncUnit::Month, &d),
            Value::TimestampTz(midnight("2024-06-01"))
        );
        assert_eq!(
            date_trunc(TruncUnit::Quarter, &d),
            Value::TimestampTz(midnight("2024-04-01"))
        );
        assert_eq!(
            date_trunc(TruncUnit::Year, &d),
            Value::TimestampTz(midnight("2024-01-01"))
        );
        assert_eq!(extract(ExtractField::Dow, &day("2024-06-02")), n(0, 0));
        assert_eq!(extract(ExtractField::IsoDow, &day("2024-06-02")), n(7, 0));
        assert_eq!(extract(ExtractField::Week, &day("2021-01-01")), n(53, 0));
        assert_eq!(extract(ExtractField::Week, &day("2024-12-30")), n(1, 0));
        assert_eq!(extract(ExtractField::Doy, &day("2024-12-31")), n(366, 0));
        assert_eq!(
            extract(ExtractField::Epoch, &day("1970-01-02")),
            n(86_400, 0)
        );
        let ts = Value::Timestamp(midnight("2024-06-05") + 3_723_500_000);
        assert_eq!(extract(ExtractField::Second, &ts), n(3_500_000, 6));
        assert_eq!(extract(ExtractField::Hour, &ts), n(1, 0));
        assert_eq!(
            date_trunc(TruncUnit::Hour, &ts),
            Value::Timestamp(midnight("2024-06-05") + 3_600_000_000)
        );
    }

    #[test]
    fn three_valued_atoms() {
        let t = |s: &str| Value::Text(s.into());
        assert_eq!(
            AtomTest::Compare(CmpOp::NotEq, t("a")).eval(&Value::Null),
            None
        );
        assert_eq!(
            AtomTest::InList(vec![t("a"), Value::Null], true).eval(&t("b")),
            None
        );
        assert_eq!(
            AtomTest::InList(vec![t("a"), Value::Null], true).eval(&t("a")),
            Some(false)
        );
        assert_eq!(
            AtomTest::InList(vec![t("a"), Value::Null], false).eval(&t("a")),
            Some(true)
        );
        assert_eq!(AtomTest::IsNull(false).eval(&Value::Null), Some(true));
        assert_eq!(
            AtomTest::Compare(CmpOp::Gt, Value::Int64(3)).eval(&Value::Float64(3.5)),
            Some(true)
        );
        assert_eq!(
            AtomTest::Compare(CmpOp::Gt, Value::Float64(1.0)).eval(&Value::Float64(f64::NAN)),
            Some(true)
        );
        assert_eq!(
            AtomTest::Between(n(205, 1), n(21, 0), false).eval(&Value::Float64(20.5)),
            Some(true)
        );
    }
}
