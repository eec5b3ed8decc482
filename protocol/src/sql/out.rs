//! Expressions over result rows: what the select list, HAVING and ORDER BY
//! compute from the index's answer (group values, aggregates, scan columns).
//!
//! Every [`Out`] carries its PostgreSQL type, decided at plan time, so the
//! row description is known before anything runs. Arithmetic follows
//! PostgreSQL's operator resolution: `integer op integer` is `integer`, any
//! `bigint` makes it `bigint`, `numeric` beats integers, `double precision`
//! beats everything; `date ± integer` is a date, `date - date` an integer.

use std::cmp::Ordering;

use isotherm_indexer::{CmpOp, ExtractField, Numeric, TruncUnit, Value};

use crate::error::{SqlError, SqlResult};
use crate::eval::{and3, compare, date_trunc, extract, or3};
use crate::types::{PgType, cast_value};
use isotherm_indexer::query::arith::numeric_div;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ArithOp {
    Add,
    Sub,
    Mul,
    Div,
    Mod,
}

impl ArithOp {
    pub fn symbol(self) -> &'static str {
        match self {
            ArithOp::Add => "+",
            ArithOp::Sub => "-",
            ArithOp::Mul => "*",
            ArithOp::Div => "/",
            ArithOp::Mod => "%",
        }
    }
}

#[derive(Debug, Clone, PartialEq)]
pub struct Out {
    pub expr: OutExpr,
    pub ty: PgType,
}

#[derive(Debug, Clone, PartialEq)]
pub enum OutExpr {
    /// Column `i` of the index's answer (group values, then aggregates; or scan columns).
    Input(usize),
    Const(Value),
    Arith(ArithOp, Box<Out>, Box<Out>),
    Neg(Box<Out>),
    /// Cast to the `Out`'s type; `Some(s)` rounds a numeric to scale `s`.
    Cast(Box<Out>, Option<u8>),
    Trunc(TruncUnit, Box<Out>),
    Extract(ExtractField, Box<Out>),
    /// `round(x)` / `round(x, n)`
    Round(Box<Out>, Option<Box<Out>>),
    Abs(Box<Out>),
    /// A boolean expression in the select list (`count(*) > 5`).
    Pred(Box<OutPred>),
    /// `CASE WHEN p THEN x ... ELSE y END` (arms already of the result type).
    Case(Vec<(OutPred, Out)>, Option<Box<Out>>),
    /// `coalesce(a, b, ...)`: the first non-NULL.
    Coalesce(Vec<Out>),
    /// `greatest(...)` (true) or `least(...)` (false), ignoring NULLs.
    Extreme(Vec<Out>, bool),
    /// The sum of the non-NULL parts, NULL if every part is NULL: how the
    /// branches of `sum(CASE ...)` combine.
    SumNonNull(Vec<Out>),
}

/// HAVING: three-valued, over [`Out`]s.
#[derive(Debug, Clone, PartialEq)]
pub enum OutPred {
    Cmp(Out, CmpOp, Out),
    IsNull(Out, bool),
    InList(Out, Vec<Out>, bool),
    Between(Out, Out, Out, bool),
    And(Vec<OutPred>),
    Or(Vec<OutPred>),
    Not(Box<OutPred>),
    /// A boolean-valued expression.
    Bool(Out),
    Const(Option<bool>),
}

impl Out {
    pub fn new(expr: OutExpr, ty: PgType) -> Self {
        Out { expr, ty }
    }

    pub fn constant(v: Value, ty: PgType) -> Self {
        Out {
            expr: OutExpr::Const(v),
            ty,
        }
    }

    /// Cast to `ty` unless already of that type.
    pub fn cast(self, ty: PgType) -> Self {
        if self.ty == ty {
            self
        } else {
            Out {
                expr: OutExpr::Cast(Box::new(self), None),
                ty,
            }
        }
    }

    pub fn eval(&self, row: &[Value]) -> SqlResult<Value> {
        match &self.expr {
            OutExpr::Input(i) => row
                .get(*i)
                .cloned()
                .ok_or_else(|| SqlError::Internal(format!("result column {i} missing"))),
            OutExpr::Const(v) => Ok(v.clone()),
            OutExpr::Arith(op, l, r) => {
                let a = l.eval(row)?;
                let b = r.eval(row)?;
                arith(*op, a, l.ty, b, r.ty, self.ty)
            }
            OutExpr::Neg(e) => match e.eval(row)? {
                Value::Int64(i) => i
                    .checked_neg()
                    .map(Value::Int64)
                    .ok_or_else(|| overflow(self.ty)),
                Value::Float64(f) => Ok(Value::Float64(-f)),
                Value::Numeric(n) => Ok(Value::Numeric(Numeric {
                    unscaled: -n.unscaled,
                    scale: n.scale,
                })),
                other => Ok(other),
            },
            OutExpr::Cast(e, scale) => {
                let v = cast_value(e.eval(row)?, self.ty)?;
                match (v, scale) {
                    (Value::Numeric(n), Some(s)) => {
                        n.rescale(*s).map(Value::Numeric).ok_or_else(|| {
                            SqlError::NumericOutOfRange("numeric field overflow".into())
                        })
                    }
                    (v, _) => Ok(v),
                }
            }
            OutExpr::Trunc(unit, e) => Ok(date_trunc(*unit, &e.eval(row)?)),
            OutExpr::Extract(f, e) => {
                let v = extract(*f, &e.eval(row)?);
                cast_value(v, self.ty)
            }
            OutExpr::Round(e, places) => {
                let v = e.eval(row)?;
                let n = match places {
                    Some(p) => match p.eval(row)? {
                        Value::Int64(n) => Some(n),
                        Value::Null => return Ok(Value::Null),
                        _ => None,
                    },
                    None => None,
                };
                round(v, n)
            }
            OutExpr::Abs(e) => match e.eval(row)? {
                Value::Int64(i) => i
                    .checked_abs()
                    .map(Value::Int64)
                    .ok_or_else(|| overflow(self.ty)),
                Value::Float64(f) => Ok(Value::Float64(f.abs())),
                Value::Numeric(n) => Ok(Value::Numeric(Numeric {
                    unscaled: n.unscaled.abs(),
                    scale: n.scale,
                })),
                other => Ok(other),
            },
            OutExpr::Pred(p) => Ok(p.eval(row)?.map_or(Value::Null, Value::Bool)),
            OutExpr::Case(arms, otherwise) => {
                for (p, v) in arms {
                    if p.eval(row)? == Some(true) {
                        return v.eval(row);
                    }
                }
                match otherwise {
                    Some(v) => v.eval(row),
                    None => Ok(Value::Null),
                }
            }
            OutExpr::Coalesce(args) => {
                for a in args {
                    let v = a.eval(row)?;
                    if !v.is_null() {
                        return Ok(v);
                    }
                }
                Ok(Value::Null)
            }
            OutExpr::Extreme(args, greatest) => {
                let mut best: Option<Value> = None;
                for a in args {
                    let v = a.eval(row)?;
                    if v.is_null() {
                        continue;
                    }
                    let better = best.as_ref().is_none_or(|b| {
                        let o = crate::eval::cmp_values(&v, b);
                        if *greatest { o.is_gt() } else { o.is_lt() }
                    });
                    if better {
                        best = Some(v);
                    }
                }
                Ok(best.unwrap_or(Value::Null))
            }
            OutExpr::SumNonNull(parts) => {
                let mut acc: Option<Value> = None;
                for p in parts {
                    let v = p.eval(row)?;
                    if v.is_null() {
                        continue;
                    }
                    acc = Some(match acc {
                        None => v,
                        Some(a) => arith(ArithOp::Add, a, self.ty, v, self.ty, self.ty)?,
                    });
                }
                Ok(acc.unwrap_or(Value::Null))
            }
        }
    }
}

/// The type PostgreSQL gives `CASE` / `coalesce` / `greatest` arms of these
/// types (`select_common_type`): all equal, or numbers resolved toward
/// `double precision`; `None` when they cannot be matched.
pub fn common_type(types: &[PgType]) -> Option<PgType> {
    let first = *types.first()?;
    if types.iter().all(|t| *t == first) {
        return Some(first);
    }
    if types.iter().all(|t| t.is_numeric()) {
        let rank = |t: &PgType| match t {
            PgType::Int4 => 0,
            PgType::Int8 => 1,
            PgType::Numeric => 2,
            _ => 3,
        };
        return types.iter().copied().max_by_key(rank);
    }
    None
}

impl OutPred {
    pub fn eval(&self, row: &[Value]) -> SqlResult<Option<bool>> {
        Ok(match self {
            OutPred::Const(b) => *b,
            OutPred::Cmp(a, op, b) => compare(&a.eval(row)?, *op, &b.eval(row)?),
            OutPred::IsNull(e, negated) => Some(e.eval(row)?.is_null() != *negated),
            OutPred::InList(e, list, negated) => {
                let v = e.eval(row)?;
                let mut acc = Some(false);
                for x in list {
                    acc = or3(acc, compare(&v, CmpOp::Eq, &x.eval(row)?));
                }
                acc.map(|b| b != *negated)
            }
            OutPred::Between(e, lo, hi, negated) => {
                let v = e.eval(row)?;
                and3(
                    compare(&v, CmpOp::GtEq, &lo.eval(row)?),
                    compare(&v, CmpOp::LtEq, &hi.eval(row)?),
                )
                .map(|b| b != *negated)
            }
            OutPred::And(ps) => {
                let mut acc = Some(true);
                for p in ps {
                    acc = and3(acc, p.eval(row)?);
                }
                acc
            }
            OutPred::Or(ps) => {
                let mut acc = Some(false);
                for p in ps {
                    acc = or3(acc, p.eval(row)?);
                }
                acc
            }
            OutPred::Not(p) => p.eval(row)?.map(|b| !b),
            OutPred::Bool(e) => match e.eval(row)? {
                Value::Bool(b) => Some(b),
                _ => None,
            },
        })
    }
}

fn overflow(ty: PgType) -> SqlError {
    SqlError::NumericOutOfRange(match ty {
        PgType::Int4 => "integer out of range".into(),
        PgType::Int8 => "bigint out of range".into(),
        PgType::Float8 => "value out of range: overflow".into(),
        _ => "value overflows numeric format".into(),
    })
}

/// The result type of `l op r`, or PostgreSQL's "operator does not exist".
pub fn arith_type(op: ArithOp, l: PgType, r: PgType) -> SqlResult<PgType> {
    use PgType::*;
    let no_op = || {
        SqlError::UndefinedFunction(format!(
            "operator does not exist: {} {} {}",
            l.name(),
            op.symbol(),
            r.name()
        ))
    };
    Ok(match (l, r) {
        (Int4, Int4) => Int4,
        (Int4 | Int8, Int4 | Int8) => Int8,
        (Float8, t) | (t, Float8) if t.is_numeric() => Float8,
        (Numeric, t) | (t, Numeric) if t.is_numeric() => Numeric,
        (Date, Int4 | Int8) if matches!(op, ArithOp::Add | ArithOp::Sub) => Date,
        (Int4 | Int8, Date) if op == ArithOp::Add => Date,
        (Date, Date) if op == ArithOp::Sub => Int4,
        _ => return Err(no_op()),
    })
}

fn arith(op: ArithOp, a: Value, lt: PgType, b: Value, rt: PgType, ty: PgType) -> SqlResult<Value> {
    if a.is_null() || b.is_null() {
        return Ok(Value::Null);
    }
    match ty {
        PgType::Int4 | PgType::Int8 if lt.is_numeric() => {
            let (Value::Int64(x), Value::Int64(y)) = (a, b) else {
                return Err(SqlError::Internal("integer operands expected".into()));
            };
            let r = match op {
                ArithOp::Add => x.checked_add(y),
                ArithOp::Sub => x.checked_sub(y),
                ArithOp::Mul => x.checked_mul(y),
                ArithOp::Div | ArithOp::Mod if y == 0 => return Err(SqlError::DivisionByZero),
                ArithOp::Div => x.checked_div(y),
                ArithOp::Mod => Some(x.checked_rem(y).unwrap_or(0)),
            }
            .ok_or_else(|| overflow(ty))?;
            if ty == PgType::Int4 && i32::try_from(r).is_err() {
                return Err(overflow(ty));
            }
            Ok(Value::Int64(r))
        }
        PgType::Float8 => {
            let x = to_f64(&cast_value(a, PgType::Float8)?);
            let y = to_f64(&cast_value(b, PgType::Float8)?);
            let r = match op {
                ArithOp::Add => x + y,
                ArithOp::Sub => x - y,
                ArithOp::Mul => x * y,
                ArithOp::Div if y == 0.0 => return Err(SqlError::DivisionByZero),
                ArithOp::Div => x / y,
                ArithOp::Mod => {
                    return Err(SqlError::UndefinedFunction(
                        "operator does not exist: double precision % double precision".into(),
                    ));
                }
            };
            if r.is_infinite() && x.is_finite() && y.is_finite() {
                return Err(overflow(ty));
            }
            Ok(Value::Float64(r))
        }
        PgType::Numeric => {
            let Value::Numeric(x) = cast_value(a, PgType::Numeric)? else {
                return Err(SqlError::Internal("numeric operand expected".into()));
            };
            let Value::Numeric(y) = cast_value(b, PgType::Numeric)? else {
                return Err(SqlError::Internal("numeric operand expected".into()));
            };
            numeric_arith(op, x, y).map(Value::Numeric)
        }
        PgType::Date => {
            let (d, n) = match (a, b) {
                (Value::Date(d), Value::Int64(n)) => (d, if op == ArithOp::Sub { -n } else { n }),
                (Value::Int64(n), Value::Date(d)) => (d, n),
                _ => return Err(SqlError::Internal("date arithmetic operands".into())),
            };
            i64::from(d)
                .checked_add(n)
                .and_then(|x| i32::try_from(x).ok())
                .map(Value::Date)
                .ok_or_else(|| SqlError::DatetimeFieldOverflow("date out of range".into()))
        }
        PgType::Int4 if lt == PgType::Date && rt == PgType::Date => match (a, b) {
            (Value::Date(x), Value::Date(y)) => Ok(Value::Int64(i64::from(x) - i64::from(y))),
            _ => Err(SqlError::Internal("date operands expected".into())),
        },
        _ => Err(SqlError::Internal(format!(
            "arithmetic producing {}",
            ty.name()
        ))),
    }
}

fn to_f64(v: &Value) -> f64 {
    match v {
        Value::Float64(f) => *f,
        Value::Int64(i) => *i as f64,
        Value::Numeric(n) => n.to_f64(),
        _ => f64::NAN,
    }
}

fn numeric_arith(op: ArithOp, x: Numeric, y: Numeric) -> SqlResult<Numeric> {
    let of = || SqlError::NumericOutOfRange("value overflows numeric format".into());
    let s = x.scale.max(y.scale);
    match op {
        ArithOp::Add | ArithOp::Sub | ArithOp::Mod => {
            let a = x.rescale(s).ok_or_else(of)?.unscaled;
            let b = y.rescale(s).ok_or_else(of)?.unscaled;
            let r = match op {
                ArithOp::Add => a.checked_add(b),
                ArithOp::Sub => a.checked_sub(b),
                _ if b == 0 => return Err(SqlError::DivisionByZero),
                _ => a.checked_rem(b),
            }
            .ok_or_else(of)?;
            Ok(Numeric {
                unscaled: r,
                scale: s,
            })
        }
        ArithOp::Mul => Ok(Numeric {
            unscaled: x.unscaled.checked_mul(y.unscaled).ok_or_else(of)?,
            scale: x.scale.checked_add(y.scale).ok_or_else(of)?,
        }),
        ArithOp::Div => {
            if y.unscaled == 0 {
                return Err(SqlError::DivisionByZero);
            }
            // PostgreSQL's select_div_scale, as the index computes it.
            numeric_div(x, y).ok_or_else(of)
        }
    }
}

/// `round(numeric[, n])` rounds half away from zero; `round(float8)` to even.
fn round(v: Value, places: Option<i64>) -> SqlResult<Value> {
    match v {
        Value::Float64(f) => Ok(Value::Float64(f.round_ties_even())),
        Value::Numeric(n) => {
            let p = places.unwrap_or(0);
            if p >= 0 {
                let s = u8::try_from(p.min(1000)).unwrap_or(u8::MAX);
                n.rescale(s).map(Value::Numeric).ok_or_else(|| {
                    SqlError::NumericOutOfRange("value overflows numeric format".into())
                })
            } else {
                let k = u32::try_from(-p).unwrap_or(u32::MAX);
                let r = n
                    .rescale(0)
                    .ok_or_else(|| SqlError::NumericOutOfRange("numeric".into()))?;
                let Some(m) = 10i128.checked_pow(k) else {
                    return Ok(Value::Numeric(Numeric::from_i64(0)));
                };
                let q = r.unscaled / m;
                let rem = r.unscaled % m;
                let q = if rem.abs() * 2 >= m {
                    q + rem.signum()
                } else {
                    q
                };
                Ok(Value::Numeric(Numeric {
                    unscaled: q * m,
                    scale: 0,
                }))
            }
        }
        other => Ok(other),
    }
}

/// ORDER BY comparison of two values: NULLs first or last as asked.
pub fn order_cmp(a: &Value, b: &Value, desc: bool, nulls_first: bool) -> Ordering {
    match (a.is_null(), b.is_null()) {
        (true, true) => Ordering::Equal,
        (true, false) => {
            if nulls_first {
                Ordering::Less
            } else {
                Ordering::Greater
            }
        }
        (false, true) => {
            if nulls_first {
                Ordering::Greater
            } else {
                Ordering::Less
            }
        }
        (false, false) => {
            let o = crate::eval::cmp_values(a, b);
            if desc { o.reverse() } else { o }
        }
    }
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
    fn integer_and_float_arithmetic() {
        let c = |v, t| Box::new(Out::constant(v, t));
        let e = Out::new(
            OutExpr::Arith(
                ArithOp::Div,
                c(Value::Int64(7), PgType::Int4),
                c(Value::Int64(2), PgType::Int4),
            ),
            PgType::Int4,
        );
        assert_eq!(e.eval(&[]).unwrap(), Value::Int64(3));
        let e = Out::new(
            OutExpr::Arith(
                ArithOp::Div,
                c(Value::Float64(1.0), PgType::Float8),
                c(Value::Int64(0), PgType::Int8),
            ),
            PgType::Float8,
        );
        assert_eq!(e.eval(&[]).unwrap_err().sqlstate(), "22012");
        let e = Out::new(
            OutExpr::Arith(
                ArithOp::Mul,
                c(Value::Int64(i64::from(i32::MAX)), PgType::Int4),
                c(Value::Int64(2), PgType::Int4),
            ),
            PgType::Int4,
        );
        assert_eq!(e.eval(&[]).unwrap_err().sqlstate(), "22003");
        assert_eq!(
            arith_type(ArithOp::Add, PgType::Int8, PgType::Int4).unwrap(),
            PgType::Int8
        );
        assert_eq!(
            arith_type(ArithOp::Div, PgType::Float8, PgType::Int8).unwrap(),
            PgType::Float8
        );
        assert_eq!(
            arith_type(ArithOp::Add, PgType::Text, PgType::Int4)
                .unwrap_err()
                .message(),
            "operator does not exist: text + integer"
        );
    }

    #[test]
    fn numeric_division_scale_like_postgres() {
        // 1::numeric / 3 = 0.33333333333333333333 (20 digits)
        assert_eq!(
            numeric_arith(ArithOp::Div, n(1, 0), n(3, 0)).unwrap(),
            n(33_333_333_333_333_333_333, 20)
        );
        // 10 / 4 = 2.5000000000000000
        assert_eq!(
            numeric_arith(ArithOp::Div, n(10, 0), n(4, 0)).unwrap(),
            n(25_000_000_000_000_000, 16)
        );
        // 2.50 * 1.5 = 3.750
        assert_eq!(
            numeric_arith(ArithOp::Mul, n(250, 2), n(15, 1)).unwrap(),
            n(3750, 3)
        );
    }

    #[test]
    fn rounding() {
        assert_eq!(
            round(Value::Numeric(n(21_345, 3)), Some(2)).unwrap(),
            Value::Numeric(n(2135, 2))
        );
        assert_eq!(
            round(Value::Float64(2.5), None).unwrap(),
            Value::Float64(2.0)
        );
        assert_eq!(
            round(Value::Numeric(n(1250, 0)), Some(-2)).unwrap(),
            Value::Numeric(n(1300, 0))
        );
    }

    #[test]
    fn nulls_order() {
        assert_eq!(
            order_cmp(&Value::Null, &Value::Int64(1), false, false),
            Ordering::Greater
        );
        assert_eq!(
            order_cmp(&Value::Null, &Value::Int64(1), true, true),
            Ordering::Less
        );
        assert_eq!(
            order_cmp(&Value::Int64(2), &Value::Int64(1), true, true),
            Ordering::Less
        );
    }
}
