//! Routing to the general engine and binding its parameters.
//!
//! A statement goes to the index planner first. It goes to the engine
//! instead when:
//! - it names a catalog relation (`pg_catalog.*`, `information_schema.*`,
//!   or an unqualified `pg_*` name that is not an Isotherm table): checked
//!   before the index planner runs;
//! - the index planner says the shape is not covered (0A000
//!   `Unsupported`, including functions it does not know): the engine's
//!   answer (or error) is the answer, unless the engine cannot plan it
//!   either (0A000), when the index's message is kept;
//! - the index planner reports an unknown table, function or column: the
//!   engine gets a try, and if it fails too the index's error stands (so
//!   42703 on an Isotherm table stays 42703 with PostgreSQL's wording).
//!   Operators on the wrong types (`text = integer`) stay 42883: the
//!   engine would coerce what PostgreSQL refuses.
//!
//! Parameters of engine plans are decoded by the client's declared type (or
//! the inferred one), then cast to the Arrow type the engine inferred.

use bytes::Bytes;
use isotherm_engine::arrow::datatypes::DataType;
use isotherm_engine::{EnginePlan, ScalarValue};
use isotherm_indexer::{IndexError, Value};
use sqlparser::ast::{Statement, visit_relations};
use std::ops::ControlFlow;

use crate::backend::Backend;
use crate::error::{SqlError, SqlResult};
use crate::types::arrow::{data_type_of_oid, kind_of_field};
use crate::types::decode_param;

/// What to do when the index planner fails with `e`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Fallback {
    /// The error stands.
    No,
    /// The engine answers; its error wins unless it is 0A000 too.
    Engine,
    /// The engine may answer; if it fails, the index's error stands.
    TryEngine,
}

pub fn fallback(e: &SqlError) -> Fallback {
    match e {
        SqlError::Unsupported(_) | SqlError::Index(IndexError::Unsupported(_)) => Fallback::Engine,
        // A function the index does not know (not an operator on the wrong
        // types, which PostgreSQL refuses too).
        SqlError::UndefinedFunction(m) if m.starts_with("function ") => Fallback::TryEngine,
        SqlError::UndefinedTable(_)
        | SqlError::UndefinedColumn(_)
        | SqlError::Index(IndexError::UnknownTable(_)) => Fallback::TryEngine,
        _ => Fallback::No,
    }
}

/// The error to report when both paths failed.
pub fn pick_error(index: SqlError, engine: SqlError, how: Fallback) -> SqlError {
    match how {
        Fallback::Engine if engine.sqlstate() != "0A000" => engine,
        _ => index,
    }
}

/// Whether the statement reads a catalog relation (the index has none).
pub fn names_catalog(stmt: &Statement, backend: &dyn Backend) -> bool {
    let found = visit_relations(stmt, |name| {
        let parts: Vec<String> = name
            .0
            .iter()
            .filter_map(|p| p.as_ident().map(|i| i.value.to_lowercase()))
            .collect();
        let catalog = match parts.as_slice() {
            [.., schema, _] => schema == "pg_catalog" || schema == "information_schema",
            [table] => table.starts_with("pg_") && backend.schema(table).is_err(),
            [] => false,
        };
        if catalog {
            ControlFlow::Break(())
        } else {
            ControlFlow::Continue(())
        }
    });
    found.is_break()
}

/// Client-declared parameter OIDs as Arrow types for the engine's planner.
pub fn declared_types(oids: &[Option<u32>]) -> Vec<Option<DataType>> {
    oids.iter()
        .map(|o| o.filter(|o| *o != 0).and_then(data_type_of_oid))
        .collect()
}

/// The PostgreSQL OIDs of an engine plan's parameters (text where it inferred none).
pub fn param_oids(plan: &EnginePlan) -> Vec<u32> {
    plan.param_fields
        .iter()
        .map(|f| f.as_ref().map_or(25, |f| kind_of_field(f).oid()))
        .collect()
}

/// EXPLAIN's lines for an engine plan; the first names the path.
pub fn explain_lines(plan: &EnginePlan) -> Vec<String> {
    let mut lines = plan.explain();
    if !lines
        .first()
        .is_some_and(|l| l.starts_with("Isotherm General"))
    {
        lines.insert(0, "Isotherm General (DataFusion)".to_owned());
    }
    lines
}

/// Decodes and types the bound parameters of an engine plan. `oids` are the
/// types the values were sent as (declared, else inferred).
pub fn bind_params(
    plan: &EnginePlan,
    values: &[Option<Bytes>],
    oids: &[u32],
    binary: &[bool],
) -> SqlResult<Vec<ScalarValue>> {
    if values.len() != plan.param_types.len() {
        return Err(SqlError::ProtocolViolation(format!(
            "bind message supplies {} parameters, but prepared statement requires {}",
            values.len(),
            plan.param_types.len()
        )));
    }
    let mut out = Vec::with_capacity(values.len());
    for (i, v) in values.iter().enumerate() {
        let target = plan.param_types[i].clone().unwrap_or(DataType::Utf8);
        let oid = oids.get(i).copied().unwrap_or(25);
        let bin = binary.get(i).copied().unwrap_or(false);
        out.push(match v {
            None => null_of(&target)?,
            Some(b) => decode_scalar(b, oid, bin, &target)?,
        });
    }
    Ok(out)
}

fn null_of(t: &DataType) -> SqlResult<ScalarValue> {
    value_to_scalar(&Value::Null, t)
}

/// One parameter's bytes, sent as `oid`, as a value of `target`.
pub fn decode_scalar(
    bytes: &[u8],
    oid: u32,
    binary: bool,
    target: &DataType,
) -> SqlResult<ScalarValue> {
    let natural = match (oid, binary) {
        (26, true) if bytes.len() == 4 => ScalarValue::UInt32(Some(u32::from_be_bytes([
            bytes[0], bytes[1], bytes[2], bytes[3],
        ]))),
        (17, true) => ScalarValue::Binary(Some(bytes.to_vec())),
        (17, false) => {
            let s = std::str::from_utf8(bytes).map_err(|_| {
                SqlError::ProtocolViolation("invalid UTF-8 in bind parameter".into())
            })?;
            ScalarValue::Binary(Some(bytea_in(s)?))
        }
        (1186, true) if bytes.len() == 16 => {
            let micros = i64::from_be_bytes(bytes[..8].try_into().unwrap_or([0; 8]));
            let days = i32::from_be_bytes(bytes[8..12].try_into().unwrap_or([0; 4]));
            let months = i32::from_be_bytes(bytes[12..16].try_into().unwrap_or([0; 4]));
            ScalarValue::IntervalMonthDayNano(Some(
                isotherm_engine::arrow::datatypes::IntervalMonthDayNano::new(
                    months,
                    days,
                    micros.saturating_mul(1000),
                ),
            ))
        }
        _ => return value_to_scalar(&decode_param(bytes, oid, binary)?, target),
    };
    cast(natural, target)
}

/// `\x0102` (hex) or escape-format bytea text.
fn bytea_in(s: &str) -> SqlResult<Vec<u8>> {
    let bad = || SqlError::InvalidText {
        ty: "bytea",
        value: s.to_owned(),
    };
    if let Some(hex) = s.strip_prefix("\\x") {
        let digits: Vec<u8> = hex.bytes().filter(|b| !b.is_ascii_whitespace()).collect();
        if !digits.len().is_multiple_of(2) {
            return Err(bad());
        }
        return digits
            .chunks(2)
            .map(|p| {
                std::str::from_utf8(p)
                    .ok()
                    .and_then(|p| u8::from_str_radix(p, 16).ok())
                    .ok_or_else(bad)
            })
            .collect();
    }
    Ok(s.as_bytes().to_vec())
}

/// An index value as an engine value of type `target` (range checked).
pub fn value_to_scalar(v: &Value, target: &DataType) -> SqlResult<ScalarValue> {
    Ok(isotherm_engine::convert::value_to_scalar(v, target)?)
}

fn cast(v: ScalarValue, target: &DataType) -> SqlResult<ScalarValue> {
    if &v.data_type() == target {
        return Ok(v);
    }
    v.cast_to(target).map_err(|e| SqlError::Engine {
        code: "22P02",
        message: format!("cannot use parameter value {v} as {target}: {e}"),
    })
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;
    use crate::memory::MemoryBackend;
    use crate::sql::parse::parse_sql;
    use isotherm_engine::arrow::datatypes::TimeUnit;

    fn stmt(sql: &str) -> Statement {
        parse_sql(sql).unwrap().pop().unwrap()
    }

    #[test]
    fn catalog_names_route_to_the_engine() {
        let b = MemoryBackend::new();
        assert!(names_catalog(
            &stmt("SELECT * FROM pg_catalog.pg_class"),
            &b
        ));
        assert!(names_catalog(&stmt("SELECT * FROM pg_type"), &b));
        assert!(names_catalog(
            &stmt("SELECT 1 FROM t JOIN information_schema.tables x ON true"),
            &b
        ));
        assert!(names_catalog(
            &stmt("SELECT (SELECT count(*) FROM pg_namespace)"),
            &b
        ));
        assert!(!names_catalog(&stmt("SELECT * FROM temperatures"), &b));
        assert!(!names_catalog(&stmt("SELECT * FROM public.pg_x"), &b));
    }

    #[test]
    fn fallback_rules() {
        assert_eq!(fallback(&SqlError::unsupported("JOIN")), Fallback::Engine);
        assert_eq!(
            fallback(&SqlError::UndefinedColumn("\"x\"".into())),
            Fallback::TryEngine
        );
        assert_eq!(fallback(&SqlError::DivisionByZero), Fallback::No);
        assert_eq!(
            fallback(&SqlError::UndefinedFunction(
                "operator does not exist: text = integer".into()
            )),
            Fallback::No
        );
        assert_eq!(
            fallback(&SqlError::UndefinedFunction(
                "function pg_get_userbyid(integer) does not exist".into()
            )),
            Fallback::TryEngine
        );
        let idx = SqlError::unsupported("JOIN");
        let eng = SqlError::Engine {
            code: "42P01",
            message: "x".into(),
        };
        assert_eq!(pick_error(idx, eng, Fallback::Engine).sqlstate(), "42P01");
        let idx = SqlError::UndefinedColumn("\"x\"".into());
        let eng = SqlError::Engine {
            code: "42703",
            message: "other words".into(),
        };
        assert_eq!(
            pick_error(idx, eng, Fallback::TryEngine).message(),
            "column \"x\" does not exist"
        );
    }

    #[test]
    fn parameters_decode_and_cast() {
        assert_eq!(
            decode_scalar(&7i32.to_be_bytes(), 23, true, &DataType::Int64).unwrap(),
            ScalarValue::Int64(Some(7))
        );
        assert_eq!(
            decode_scalar(b"7", 23, false, &DataType::Int32).unwrap(),
            ScalarValue::Int32(Some(7))
        );
        assert_eq!(
            decode_scalar(&2.5f32.to_be_bytes(), 700, true, &DataType::Float32).unwrap(),
            ScalarValue::Float32(Some(2.5))
        );
        assert_eq!(
            decode_scalar(b"2024-06-01", 1082, false, &DataType::Date32).unwrap(),
            ScalarValue::Date32(Some(19_875))
        );
        assert_eq!(
            decode_scalar(
                b"2024-06-01 00:00:00",
                1114,
                false,
                &DataType::Timestamp(TimeUnit::Microsecond, None)
            )
            .unwrap(),
            ScalarValue::TimestampMicrosecond(Some(19_875 * 86_400_000_000), None)
        );
        assert_eq!(
            decode_scalar(b"12.50", 1700, false, &DataType::Decimal128(10, 2)).unwrap(),
            ScalarValue::Decimal128(Some(1250), 10, 2)
        );
        assert_eq!(
            decode_scalar(b"abc", 25, false, &DataType::Utf8).unwrap(),
            ScalarValue::Utf8(Some("abc".into()))
        );
        assert_eq!(
            decode_scalar(b"\\x0aff", 17, false, &DataType::Binary).unwrap(),
            ScalarValue::Binary(Some(vec![10, 255]))
        );
        assert_eq!(
            decode_scalar(b"x", 23, false, &DataType::Int32)
                .unwrap_err()
                .sqlstate(),
            "22P02"
        );
        assert_eq!(
            value_to_scalar(&Value::Null, &DataType::Int16).unwrap(),
            ScalarValue::Int16(None)
        );
        assert_eq!(
            declared_types(&[Some(23), Some(0), None, Some(1700)]),
            vec![Some(DataType::Int32), None, None, None]
        );
    }
}
