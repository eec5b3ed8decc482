//! Constants: literals, typed literals (`DATE '...'`, `'...'::date`,
//! `CAST(... AS date)`), negated numbers and `$n` parameters, and their
//! coercion to the type of the column they meet.
//!
//! As in PostgreSQL, an integer literal is `integer` (then `bigint`, then
//! `numeric` as it grows), one with a point or exponent is `numeric`, and a
//! quoted string is of unknown type until it meets a column: then it is read
//! as that column's type (`'abc'` against a float column is 22P02).

use isotherm_indexer::{Numeric, Value};
use sqlparser::ast::{
    CastKind, DataType, ExactNumberInfo, Expr, TimezoneInfo, UnaryOperator, Value as SqlValue,
};

use crate::error::{SqlError, SqlResult};
use crate::sql::Params;
use crate::sql::names::object_name;
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
                // PostgreSQL types the index has no values of: the general
                // engine plans them.
                Some(
                    "oid" | "regclass" | "regtype" | "regproc" | "regprocedure" | "regnamespace"
                    | "regrole" | "regoper" | "regoperator" | "regconfig" | "name" | "char"
                    | "bpchar" | "smallint" | "float4" | "real" | "bytea" | "json" | "jsonb"
                    | "uuid" | "interval" | "time" | "timetz" | "xid" | "aclitem" | "int2vector"
                    | "oidvector" | "pg_node_tree",
                ) => {
                    return Err(SqlError::unsupported(format!("type {}", parts.join("."))));
                }
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
    if let Some(n) = Numeric::parse(s) {
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
            n.rescale(s)
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
        Expr::Function(f) if f.over.is_none() && f.filter.is_none() => {
            return conversion_call(f, params);
        }
        _ => return Ok(None),
    }))
}

/// `to_timestamp(text, format)`, `to_date(text, format)` and
/// `to_timestamp(seconds)` over constants, folded at plan time (BI tools
/// write time filters this way).
fn conversion_call(f: &sqlparser::ast::Function, params: &mut Params) -> SqlResult<Option<Lit>> {
    let name = crate::sql::row::function_name(f);
    if name != "to_timestamp" && name != "to_date" {
        return Ok(None);
    }
    let Ok(args) = crate::sql::row::function_args(f) else {
        return Ok(None);
    };
    let mut lits = Vec::with_capacity(args.len());
    for a in &args {
        match constant(a, params, Some(PgType::Text))? {
            Some(l) => lits.push(l),
            None => return Ok(None),
        }
    }
    let text = |l: &Lit| match l {
        Lit::Unknown(Some(s)) | Lit::Typed(Value::Text(s), PgType::Text) => Some(s.clone()),
        _ => None,
    };
    let ty = if name == "to_date" {
        PgType::Date
    } else {
        PgType::TimestampTz
    };
    match lits.as_slice() {
        [l] if name == "to_timestamp" => {
            let secs = match l {
                Lit::Typed(v, t) if t.is_numeric() => {
                    match cast_value(v.clone(), PgType::Float8)? {
                        Value::Float64(x) => x,
                        _ => return Ok(None),
                    }
                }
                Lit::Typed(Value::Null, _) | Lit::Unknown(None) => {
                    return Ok(Some(Lit::Typed(Value::Null, ty)));
                }
                _ => return Ok(None),
            };
            // PostgreSQL's float8_timestamptz: shift to its epoch, then rint.
            const PG_EPOCH_SECS: f64 = 946_684_800.0;
            let micros = ((secs - PG_EPOCH_SECS) * 1e6).round_ties_even();
            if !micros.is_finite() || micros.abs() > 9.0e18 {
                return Ok(None);
            }
            Ok(Some(Lit::Typed(
                Value::TimestampTz(micros as i64 + 946_684_800_000_000),
                ty,
            )))
        }
        [a, b] => {
            if lits.iter().any(|l| l.clone().into_typed().0.is_null()) {
                return Ok(Some(Lit::Typed(Value::Null, ty)));
            }
            let (Some(input), Some(format)) = (text(a), text(b)) else {
                return Ok(None);
            };
            let Some(micros) = parse_formatted(&input, &format) else {
                return Ok(None);
            };
            Ok(Some(Lit::Typed(
                if ty == PgType::Date {
                    Value::Date(
                        i32::try_from(micros.div_euclid(MICROS_PER_DAY))
                            .map_err(|_| SqlError::DatetimeFieldOverflow(input.clone()))?,
                    )
                } else {
                    Value::TimestampTz(micros)
                },
                ty,
            )))
        }
        _ => Ok(None),
    }
}

const MICROS_PER_DAY: i64 = 86_400_000_000;

/// `to_timestamp(input, format)` for the numeric fields BI tools use
/// (`YYYY MM DD HH24 MI SS MS US`), separators and quoted text; `None` for
/// anything else or out-of-range fields (then the general engine decides).
pub fn parse_formatted(input: &str, format: &str) -> Option<i64> {
    let inp: Vec<char> = input.chars().collect();
    let fmt: Vec<char> = format.chars().collect();
    let (mut i, mut k) = (0usize, 0usize);
    let (mut year, mut month, mut day) = (None::<i64>, 1i64, 1i64);
    let (mut hour, mut minute, mut second, mut micro) = (0i64, 0i64, 0i64, 0i64);
    let starts = |k: usize, pat: &str| {
        let p: Vec<char> = pat.chars().collect();
        fmt.len() >= k + p.len()
            && fmt[k..k + p.len()]
                .iter()
                .zip(&p)
                .all(|(a, b)| a.to_ascii_uppercase() == *b)
    };
    // Reads up to `max` digits; returns (value, digits read).
    let digits = |i: &mut usize, max: usize| -> Option<(i64, usize)> {
        while *i < inp.len() && inp[*i] == ' ' {
            *i += 1;
        }
        let start = *i;
        let mut v: i64 = 0;
        while *i < inp.len() && *i - start < max && inp[*i].is_ascii_digit() {
            v = v * 10 + i64::from(inp[*i].to_digit(10)?);
            *i += 1;
        }
        (*i > start).then_some((v, *i - start))
    };
    while k < fmt.len() {
        if starts(k, "YYYY") {
            year = Some(digits(&mut i, 4)?.0);
            k += 4;
        } else if starts(k, "HH24") {
            hour = digits(&mut i, 2)?.0;
            k += 4;
        } else if starts(k, "MM") {
            month = digits(&mut i, 2)?.0;
            k += 2;
        } else if starts(k, "DD") {
            day = digits(&mut i, 2)?.0;
            k += 2;
        } else if starts(k, "MI") {
            minute = digits(&mut i, 2)?.0;
            k += 2;
        } else if starts(k, "SS") {
            second = digits(&mut i, 2)?.0;
            k += 2;
        } else if starts(k, "MS") || starts(k, "US") {
            // A fraction of a second: "3" is 300 ms, as PostgreSQL reads it.
            let width = if starts(k, "MS") { 3 } else { 6 };
            let (v, n) = digits(&mut i, width)?;
            micro = v * 10i64.pow(u32::try_from(6 - n).ok()?);
            k += 2;
        } else if fmt[k] == '"' {
            k += 1;
            while k < fmt.len() && fmt[k] != '"' {
                if inp.get(i) != Some(&fmt[k]) {
                    return None;
                }
                i += 1;
                k += 1;
            }
            k += 1;
        } else if fmt[k].is_ascii_alphanumeric() {
            return None;
        } else {
            // A separator matches one separator in the input, or nothing.
            if i < inp.len() && !inp[i].is_alphanumeric() {
                i += 1;
            }
            k += 1;
        }
    }
    if inp[i.min(inp.len())..].iter().any(|c| !c.is_whitespace()) {
        return None;
    }
    let year = year?;
    let month = u32::try_from(month).ok().filter(|m| (1..=12).contains(m))?;
    let day = u32::try_from(day).ok()?;
    if !(1..=isotherm_indexer::calendar::days_in_month(year, month)).contains(&day)
        || !(0..24).contains(&hour)
        || !(0..60).contains(&minute)
        || !(0..60).contains(&second)
        || year < 1
    {
        return None;
    }
    let days = isotherm_indexer::calendar::days_from_civil(year, month, day);
    Some(days * MICROS_PER_DAY + ((hour * 60 + minute) * 60 + second) * 1_000_000 + micro)
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
