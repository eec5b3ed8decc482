//! Row-at-a-time evaluation of request expressions and predicates, with
//! PostgreSQL semantics: `date_trunc`, `extract`, three-valued logic.
//!
//! The in-memory backend answers requests with it, and post-processing uses
//! `date_trunc`/`extract` on group values (`SELECT extract(year FROM d) ...
//! GROUP BY d`).

use std::cmp::Ordering;

use isotherm_indexer::{CmpOp, Expr, ExtractField, Numeric, Predicate, TruncUnit, Value};

use crate::types::datetime::{MICROS_PER_DAY, civil_from_days, days_from_civil};

/// Evaluates `expr` over one row; `column` finds a column's value by name.
pub fn eval_expr<'a>(expr: &Expr, column: &impl Fn(&str) -> Option<&'a Value>) -> Value {
    match expr {
        Expr::Column(name) => column(name).cloned().unwrap_or(Value::Null),
        Expr::Literal(v) => v.clone(),
        Expr::DateTrunc { unit, arg } => date_trunc(*unit, &eval_expr(arg, column)),
        Expr::Extract { field, arg } => extract(*field, &eval_expr(arg, column)),
    }
}

/// Three-valued: `None` is unknown.
pub fn eval_predicate<'a>(
    p: &Predicate,
    column: &impl Fn(&str) -> Option<&'a Value>,
) -> Option<bool> {
    match p {
        Predicate::Const(b) => Some(*b),
        Predicate::Compare { expr, op, value } => compare(&eval_expr(expr, column), *op, value),
        Predicate::InList {
            expr,
            values,
            negated,
        } => {
            let v = eval_expr(expr, column);
            in_list(&v, values).map(|b| b != *negated)
        }
        Predicate::Between {
            expr,
            low,
            high,
            negated,
        } => {
            let v = eval_expr(expr, column);
            and3(
                compare(&v, CmpOp::GtEq, low),
                compare(&v, CmpOp::LtEq, high),
            )
            .map(|b| b != *negated)
        }
        Predicate::IsNull { expr, negated } => Some(eval_expr(expr, column).is_null() != *negated),
        Predicate::And(ps) => {
            let mut acc = Some(true);
            for p in ps {
                acc = and3(acc, eval_predicate(p, column));
            }
            acc
        }
        Predicate::Or(ps) => {
            let mut acc = Some(false);
            for p in ps {
                acc = or3(acc, eval_predicate(p, column));
            }
            acc
        }
        Predicate::Not(p) => eval_predicate(p, column).map(|b| !b),
    }
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

/// `a op b`, unknown if either is NULL.
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

/// `sql_cmp`, extended to compare dates with timestamps as PostgreSQL does
/// (the date is midnight of its day).
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

fn in_list(v: &Value, values: &[Value]) -> Option<bool> {
    let mut acc = Some(false);
    for x in values {
        acc = or3(acc, compare(v, CmpOp::Eq, x));
    }
    acc
}

/// `date_trunc(unit, v)`: dates become `timestamptz` (midnight UTC), as in PostgreSQL.
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
        // Weeks start on Monday; 1970-01-01 was a Thursday.
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

/// `extract(field FROM v)`: `numeric`, as in PostgreSQL 14+.
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

#[cfg(test)]
mod tests {
    use super::*;
    use crate::types::datetime::parse_timestamp;

    fn ts(s: &str) -> i64 {
        parse_timestamp(s).unwrap_or(0)
    }

    #[test]
    fn trunc_units() {
        let t = Value::Timestamp(ts("2024-06-05 13:45:12.5"));
        assert_eq!(
            date_trunc(TruncUnit::Hour, &t),
            Value::Timestamp(ts("2024-06-05 13:00"))
        );
        assert_eq!(
            date_trunc(TruncUnit::Week, &t),
            Value::Timestamp(ts("2024-06-03 00:00"))
        );
        assert_eq!(
            date_trunc(TruncUnit::Quarter, &t),
            Value::Timestamp(ts("2024-04-01 00:00"))
        );
        assert_eq!(
            date_trunc(TruncUnit::Month, &Value::Date(19_879)),
            Value::TimestampTz(ts("2024-06-01 00:00"))
        );
    }

    #[test]
    fn extract_fields() {
        let t = Value::Timestamp(ts("2024-06-02 13:45:12.5"));
        let n = |u, s| {
            Value::Numeric(Numeric {
                unscaled: u,
                scale: s,
            })
        };
        assert_eq!(extract(ExtractField::Dow, &t), n(0, 0));
        assert_eq!(extract(ExtractField::IsoDow, &t), n(7, 0));
        assert_eq!(extract(ExtractField::Week, &t), n(22, 0));
        assert_eq!(extract(ExtractField::Second, &t), n(12_500_000, 6));
        assert_eq!(extract(ExtractField::Doy, &t), n(154, 0));
        let jan1 = Value::Timestamp(ts("2021-01-01 00:00"));
        assert_eq!(extract(ExtractField::Week, &jan1), n(53, 0));
    }

    #[test]
    fn three_valued_logic() {
        let row = [Value::Null];
        let col = |_: &str| row.first();
        let p = Predicate::Not(Box::new(Predicate::Compare {
            expr: Expr::Column("x".into()),
            op: CmpOp::Eq,
            value: Value::Int64(1),
        }));
        assert_eq!(eval_predicate(&p, &col), None);
        let p = Predicate::Or(vec![p, Predicate::Const(true)]);
        assert_eq!(eval_predicate(&p, &col), Some(true));
    }
}
