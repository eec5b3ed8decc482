//! Constants: literals, typed literals (`DATE '...'`, `'...'::date`,
//! `CAST(... AS date)`), negated numbers and `$n` parameters, and their
//! coercion to the type of the column they meet.
//!
//! As in PostgreSQL, an integer literal is `integer` (then `bigint`, then
//! `numeric` as it grows), one with a point or exponent is `numeric`, and a
//! quoted string is of unknown type until it meets a column: then it is read
//! as that column's type (`'abc'` against a float column is 22P02).

use isotherm_indexer::Value;
use sqlparser::ast::{
    CastKind, DataType, ExactNumberInfo, Expr, TimezoneInfo, UnaryOperator, Value as SqlValue,
};

use crate::error::{SqlError, SqlResult};
use crate::sql::Params;
use crate::sql::names::object_name;
use crate::types::numeric::{parse_numeric, rescale};
use crate::types::{PgType, cast_value, parse_text};

/// A constant: typed, or a quoted string / NULL whose type comes from context.
#[derive(Debug, Clone, PartialEq)]
pub enum Lit {
    Typed(Value, PgType),
    /// `'...'` (Some) or `NULL` (None).
    Unknown(Option<String>),
}

impl Lit {
    /// The literal as a value of its own type (unknown strings are text).
    pub fn into_typed(self) -> (Value, PgType) {
        match self {
            Lit::Typed(v, t) => (v, t),
            Lit::Unknown(Some(s)) => (Value::Text(s), PgType::Text),
            Lit::Unknown(None) => (Value::Null, PgType::Text),
        }
    }
}

/// The type a SQL type name denotes.
pub fn data_type(dt: &DataType) -> SqlResult<PgType> {
    Ok(match dt {
        DataType::Int(_)
        | DataType::Integer(_)
        | DataType::Int4(_)
        | DataType::SmallInt(_)
        | DataType::Int2(_) => PgType::Int4,
        DataType::BigInt(_) | DataType::Int8(_) => PgType::Int8,
        DataType::Float8 | DataType::DoublePrecision | DataType::Double(_) => PgType::Float8,
        DataType::Float(info) => match info {
            ExactNumberInfo::Precision(p) if *p <= 24 => {
                return Err(SqlError::unsupported("type real"));
            }
            _ => PgType::Float8,
        },
        DataType::Numeric(_) | DataType::Decimal(_) | DataType::Dec(_) => PgType::Numeric,
        DataType::Text
        | DataType::Varchar(_)
        | DataType::CharacterVarying(_)
        | DataType::CharVarying(_)
        | DataType::String(_) => PgType::Text,
        DataType::Bool | DataType::Boolean => PgType::Bool,
        DataType::Date => PgType::Date,
        DataType::Timestamp(_, tz) => match tz {
            TimezoneInfo::WithTimeZone | TimezoneInfo::Tz => PgType::TimestampTz,
            _ => PgType::Timestamp,
        },
        DataType::Custom(name, _) => {
            let parts = object_name(name)?;
            match parts.last().map(String::as_str) {
                Some("timestamptz") => PgType::TimestampTz,
                Some("int4" | "int2" | "integer" | "int") => PgType::Int4,
                Some("int8" | "bigint") => PgType::Int8,
                Some("float8") => PgType::Float8,
                Some("numeric" | "decimal") => PgType::Numeric,
                Some("text" | "varchar") => PgType::Text,
                Some("bool" | "boolean") => PgType::Bool,
                Some("date") => PgType::Date,
                Some("timestamp") => PgType::Timestamp,
                _ => {
                    return Err(SqlError::UndefinedObjectType(parts.join(".")));
                }
            }
        }
        other => return Err(SqlError::unsupported(format!("type {other}"))),
    })
}

/// `numeric(p, s)`: the scale a cast rounds to.
pub fn numeric_scale(dt: &DataType) -> Option<u8> {
    match dt {
        DataType::Numeric(ExactNumberInfo::PrecisionAndScale(_, s))
        | DataType::Decimal(ExactNumberInfo::PrecisionAndScale(_, s))
        | DataType::Dec(ExactNumberInfo::PrecisionAndScale(_, s)) => u8::try_from(*s).ok(),
        DataType::Numeric(ExactNumberInfo::Precision(_))
        | DataType::Decimal(ExactNumberInfo::Precision(_)) => Some(0),
        _ => None,
    }
}

/// An unsigned number literal: `integer`, `bigint` or `numeric`.
pub fn number(s: &str) -> SqlResult<(Value, PgType)> {
    if s.bytes().all(|b| b.is_ascii_digit())
        && let Ok(i) = s.parse::<i64>()
    {
        let ty = if i32::try_from(i).is_ok() {
            PgType::Int4
        } else {
            PgType::Int8
        };
        return Ok((Value::Int64(i), ty));
    }
    if let Some(n) = parse_numeric(s) {
        return Ok((Value::Numeric(n), PgType::Numeric));
    }
    // Beyond numeric's 38 digits (e.g. `1e100`): PostgreSQL compares such a
    // literal with a float8 column as float8, so a finite float stands in.
    match s.parse::<f64>() {
        Ok(f) if f.is_finite() => Ok((Value::Float64(f), PgType::Float8)),
        _ => Err(SqlError::InvalidText {
            ty: "numeric",
            value: s.to_owned(),
        }),
    }
}

fn negate(v: Value, ty: PgType) -> SqlResult<(Value, PgType)> {
    Ok(match v {
        Value::Int64(i) => {
            let n = i
                .checked_neg()
                .ok_or_else(|| SqlError::NumericOutOfRange("bigint out of range".into()))?;
            (Value::Int64(n), ty)
        }
        Value::Float64(f) => (Value::Float64(-f), ty),
        Value::Numeric(n) => (
            Value::Numeric(isotherm_indexer::Numeric {
                unscaled: -n.unscaled,
                scale: n.scale,
            }),
            ty,
        ),
        Value::Null => (Value::Null, ty),
        _ => {
            return Err(SqlError::UndefinedFunction(format!(
                "operator does not exist: - {}",
                ty.name()
            )));
        }
    })
}

/// Casts a constant to `dt` (`'2024-06-01'::date`, `1::float8`, `NULL::date`).
pub fn cast_lit(lit: Lit, dt: &DataType) -> SqlResult<Lit> {
    let ty = data_type(dt)?;
    let v = match lit {
        Lit::Unknown(Some(s)) => parse_text(&s, ty)?,
        Lit::Unknown(None) => Value::Null,
        Lit::Typed(v, _) => cast_value(v, ty)?,
    };
    let v = match (v, numeric_scale(dt)) {
        (Value::Numeric(n), Some(s)) => Value::Numeric(
            rescale(n, s)
                .ok_or_else(|| SqlError::NumericOutOfRange("numeric field overflow".into()))?,
        ),
        (v, _) => v,
    };
    Ok(Lit::Typed(v, ty))
}

/// The constant `e` denotes, if it is one. `expected` types a bare `$n`.
pub fn constant(e: &Expr, params: &mut Params, expected: Option<PgType>) -> SqlResult<Option<Lit>> {
    Ok(Some(match e {
        Expr::Value(v) => match &v.value {
            SqlValue::Number(s, _) => {
                let (v, t) = number(s)?;
                Lit::Typed(v, t)
            }
            SqlValue::Boolean(b) => Lit::Typed(Value::Bool(*b), PgType::Bool),
            SqlValue::Null => Lit::Unknown(None),
            SqlValue::Placeholder(p) => {
                let n: usize = p
                    .strip_prefix('$')
                    .and_then(|d| d.parse().ok())
                    .ok_or_else(|| SqlError::Syntax(format!("syntax error at or near \"{p}\"")))?;
                let (v, t) = params.use_param(n, expected)?;
                Lit::Typed(v, t)
            }
            other => match other.clone().into_string() {
                Some(s) => Lit::Unknown(Some(s)),
                None => return Err(SqlError::unsupported(format!("literal {other}"))),
            },
        },
        Expr::TypedString(ts) => {
            let s = ts.value.clone().into_string().ok_or_else(|| {
                SqlError::Syntax(format!("syntax error at or near \"{}\"", ts.value))
            })?;
            cast_lit(Lit::Unknown(Some(s)), &ts.data_type)?
        }
        Expr::Cast {
            kind: CastKind::Cast | CastKind::DoubleColon,
            expr,
            data_type: dt,
            format: None,
            ..
        } => {
            let target = data_type(dt)?;
            match constant(expr, params, Some(target))? {
                Some(lit) => cast_lit(lit, dt)?,
                None => return Ok(None),
            }
        }
        Expr::UnaryOp {
            op: op @ (UnaryOperator::Minus | UnaryOperator::Plus),
            expr,
        } => match constant(expr, params, expected)? {
            Some(Lit::Typed(v, t)) if t.is_numeric() || v.is_null() => {
                if *op == UnaryOperator::Minus {
                    let (v, t) = negate(v, t)?;
                    Lit::Typed(v, t)
                } else {
                    Lit::Typed(v, t)
                }
            }
            Some(Lit::Typed(_, t)) => {
                return Err(SqlError::UndefinedFunction(format!(
                    "operator does not exist: {op} {}",
                    t.name()
                )));
            }
            Some(Lit::Unknown(_)) | None => return Ok(None),
        },
        Expr::Nested(inner) => return constant(inner, params, expected),
        _ => return Ok(None),
    }))
}

/// Reads `lit` as a value to compare with an expression of type `target`.
/// `op` names the operator in PostgreSQL's "operator does not exist" error.
pub fn coerce(lit: Lit, target: PgType, op: &str) -> SqlResult<Value> {
    match lit {
        Lit::Unknown(None) => Ok(Value::Null),
        Lit::Unknown(Some(s)) => parse_text(&s, target),
        Lit::Typed(v, t) if t == target => Ok(v),
        Lit::Typed(v, t) if t.is_numeric() && target.is_numeric() => match (target, t) {
            // An integer column against 1.5 compares exactly, as numeric.
            (PgType::Int4 | PgType::Int8, PgType::Float8 | PgType::Numeric) => Ok(v),
            _ => cast_value(v, target),
        },
        Lit::Typed(v, t) if t.is_datetime() && target.is_datetime() => Ok(v),
        Lit::Typed(Value::Null, _) => Ok(Value::Null),
        Lit::Typed(_, t) => Err(SqlError::UndefinedFunction(format!(
            "operator does not exist: {} {op} {}",
            target.name(),
            t.name()
        ))),
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;
    use crate::sql::parse::parse_sql;
    use sqlparser::ast::{SelectItem, SetExpr, Statement};

    #[test]
    fn numbers_beyond_numeric_range_become_float8() {
        assert_eq!(
            number("1e100").unwrap(),
            (Value::Float64(1e100), PgType::Float8)
        );
        assert!(matches!(number("1e400"), Err(SqlError::InvalidText { .. })));
        assert!(matches!(number("1.5").unwrap().0, Value::Numeric(_)));
    }

    fn lit(sql: &str) -> SqlResult<Option<Lit>> {
        let stmts = parse_sql(&format!("SELECT {sql}"))?;
        let Some(Statement::Query(q)) = stmts.first() else {
            panic!("not a query")
        };
        let SetExpr::Select(s) = q.body.as_ref() else {
            panic!("not a select")
        };
        let Some(SelectItem::UnnamedExpr(e)) = s.projection.first() else {
            panic!("no item")
        };
        constant(e, &mut Params::default(), None)
    }

    #[test]
    fn literal_types() {
        assert_eq!(
            lit("1").unwrap(),
            Some(Lit::Typed(Value::Int64(1), PgType::Int4))
        );
        assert_eq!(
            lit("5000000000").unwrap(),
            Some(Lit::Typed(Value::Int64(5_000_000_000), PgType::Int8))
        );
        assert!(matches!(
            lit("1.5").unwrap(),
            Some(Lit::Typed(Value::Numeric(_), PgType::Numeric))
        ));
        assert_eq!(
            lit("-2").unwrap(),
            Some(Lit::Typed(Value::Int64(-2), PgType::Int4))
        );
        assert_eq!(lit("'x'").unwrap(), Some(Lit::Unknown(Some("x".into()))));
        assert_eq!(
            lit("DATE '2024-06-01'").unwrap(),
            Some(Lit::Typed(Value::Date(19_875), PgType::Date))
        );
        assert_eq!(
            lit("'2024-06-01'::date").unwrap(),
            Some(Lit::Typed(Value::Date(19_875), PgType::Date))
        );
        assert_eq!(
            lit("CAST('2024-06-01' AS date)").unwrap(),
            Some(Lit::Typed(Value::Date(19_875), PgType::Date))
        );
        assert!(matches!(
            lit("TIMESTAMP '2024-06-01 12:00:00'").unwrap(),
            Some(Lit::Typed(Value::Timestamp(_), PgType::Timestamp))
        ));
        assert!(matches!(
            lit("'2024-06-01 12:00:00+00'::timestamptz").unwrap(),
            Some(Lit::Typed(Value::TimestampTz(_), PgType::TimestampTz))
        ));
        assert!(lit("x").unwrap().is_none());
    }

    #[test]
    fn bad_literals() {
        assert_eq!(lit("'2024-13-45'::date").unwrap_err().sqlstate(), "22008");
        assert_eq!(lit("'soon'::date").unwrap_err().sqlstate(), "22007");
        assert_eq!(lit("'abc'::float8").unwrap_err().sqlstate(), "22P02");
        assert_eq!(lit("'1'::nosuchtype").unwrap_err().sqlstate(), "42704");
    }

    #[test]
    fn coercion_to_column_types() {
        let s = |x: &str| Lit::Unknown(Some(x.into()));
        assert_eq!(
            coerce(s("20.5"), PgType::Float8, "=").unwrap(),
            Value::Float64(20.5)
        );
        assert_eq!(
            coerce(
                Lit::Typed(Value::Int64(5), PgType::Int4),
                PgType::Float8,
                "<"
            )
            .unwrap(),
            Value::Float64(5.0)
        );
        let e = coerce(Lit::Typed(Value::Int64(5), PgType::Int4), PgType::Text, "=").unwrap_err();
        assert_eq!(e.sqlstate(), "42883");
        assert_eq!(e.message(), "operator does not exist: text = integer");
        assert_eq!(
            coerce(s("abc"), PgType::Float8, "=")
                .unwrap_err()
                .sqlstate(),
            "22P02"
        );
    }
}
