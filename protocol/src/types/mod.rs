//! PostgreSQL types on the wire: OIDs, text and binary encodings of
//! [`Value`]s, and decoding of bound parameters.
//!
//! | type        | OID  | text                       | binary                          |
//! |-------------|------|----------------------------|---------------------------------|
//! | bool        | 16   | `t` / `f`                  | 1 byte                          |
//! | int8        | 20   | decimal                    | i64 BE                          |
//! | int4        | 23   | decimal                    | i32 BE                          |
//! | text        | 25   | UTF-8                      | UTF-8                           |
//! | float8      | 701  | see [`float::float8_out`]  | IEEE bits, BE                   |
//! | date        | 1082 | `2024-06-01`               | i32 days since 2000-01-01       |
//! | timestamp   | 1114 | `2024-06-01 00:00:00`      | i64 µs since 2000-01-01         |
//! | timestamptz | 1184 | `2024-06-01 00:00:00+00`   | i64 µs since 2000-01-01 UTC     |
//! | numeric     | 1700 | all `dscale` digits        | see [`numeric`]                 |
//!
//! `int4` has no [`ScalarType`]: it is what PostgreSQL gives integer
//! constants (`SELECT 1`), carried as `Value::Int64` and typed here.

pub mod arrow;
pub mod datetime;
pub mod float;
pub mod numeric;

use bytes::{BufMut, BytesMut};
use isotherm_indexer::{Numeric, ScalarType, Value};
use pgwire::api::Type;

use crate::error::{SqlError, SqlResult};

/// The type of a result column or parameter as the client sees it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum PgType {
    Bool,
    Int4,
    Int8,
    Float8,
    Text,
    Date,
    Timestamp,
    TimestampTz,
    Numeric,
}

impl PgType {
    pub fn from_scalar(t: ScalarType) -> PgType {
        match t {
            ScalarType::Bool => PgType::Bool,
            ScalarType::Int64 => PgType::Int8,
            ScalarType::Float64 => PgType::Float8,
            ScalarType::Text => PgType::Text,
            ScalarType::Date => PgType::Date,
            ScalarType::Timestamp => PgType::Timestamp,
            ScalarType::TimestampTz => PgType::TimestampTz,
            ScalarType::Numeric => PgType::Numeric,
        }
    }

    /// The index's type for values of this type (`int4` travels as `Int64`).
    pub fn scalar(self) -> ScalarType {
        match self {
            PgType::Bool => ScalarType::Bool,
            PgType::Int4 | PgType::Int8 => ScalarType::Int64,
            PgType::Float8 => ScalarType::Float64,
            PgType::Text => ScalarType::Text,
            PgType::Date => ScalarType::Date,
            PgType::Timestamp => ScalarType::Timestamp,
            PgType::TimestampTz => ScalarType::TimestampTz,
            PgType::Numeric => ScalarType::Numeric,
        }
    }

    pub fn oid(self) -> u32 {
        match self {
            PgType::Bool => 16,
            PgType::Int8 => 20,
            PgType::Int4 => 23,
            PgType::Text => 25,
            PgType::Float8 => 701,
            PgType::Date => 1082,
            PgType::Timestamp => 1114,
            PgType::TimestampTz => 1184,
            PgType::Numeric => 1700,
        }
    }

    /// The type a client-declared parameter OID denotes, if Isotherm knows it
    /// (`int2` reads as integer, `varchar` as text, `float4` as double).
    pub fn from_oid(oid: u32) -> Option<PgType> {
        Some(match oid {
            16 => PgType::Bool,
            20 => PgType::Int8,
            21 | 23 => PgType::Int4,
            25 | 1042 | 1043 => PgType::Text,
            700 | 701 => PgType::Float8,
            1082 => PgType::Date,
            1114 => PgType::Timestamp,
            1184 => PgType::TimestampTz,
            1700 => PgType::Numeric,
            _ => return None,
        })
    }

    /// `typlen`: the size in RowDescription (-1 for variable length).
    pub fn type_size(self) -> i16 {
        match self {
            PgType::Bool => 1,
            PgType::Int4 | PgType::Date => 4,
            PgType::Int8 | PgType::Float8 | PgType::Timestamp | PgType::TimestampTz => 8,
            PgType::Text | PgType::Numeric => -1,
        }
    }

    pub fn pg_type(self) -> Type {
        match self {
            PgType::Bool => Type::BOOL,
            PgType::Int8 => Type::INT8,
            PgType::Int4 => Type::INT4,
            PgType::Text => Type::TEXT,
            PgType::Float8 => Type::FLOAT8,
            PgType::Date => Type::DATE,
            PgType::Timestamp => Type::TIMESTAMP,
            PgType::TimestampTz => Type::TIMESTAMPTZ,
            PgType::Numeric => Type::NUMERIC,
        }
    }

    /// `format_type`'s name, used in error messages.
    pub fn name(self) -> &'static str {
        match self {
            PgType::Int4 => "integer",
            other => other.scalar().pg_name(),
        }
    }

    /// The name a cast to this type gives a column (`'1'::int` is `int4`).
    pub fn internal_name(self) -> &'static str {
        match self {
            PgType::Bool => "bool",
            PgType::Int4 => "int4",
            PgType::Int8 => "int8",
            PgType::Float8 => "float8",
            PgType::Text => "text",
            PgType::Date => "date",
            PgType::Timestamp => "timestamp",
            PgType::TimestampTz => "timestamptz",
            PgType::Numeric => "numeric",
        }
    }

    pub fn is_numeric(self) -> bool {
        matches!(
            self,
            PgType::Int4 | PgType::Int8 | PgType::Float8 | PgType::Numeric
        )
    }

    pub fn is_datetime(self) -> bool {
        matches!(self, PgType::Date | PgType::Timestamp | PgType::TimestampTz)
    }
}

/// Session settings that change how values print.
#[derive(Debug, Clone, Copy)]
pub struct TextOptions {
    pub extra_float_digits: i32,
}

impl Default for TextOptions {
    fn default() -> Self {
        TextOptions {
            extra_float_digits: 1,
        }
    }
}

/// The text form PostgreSQL sends for `v` (never called with `Null`).
pub fn encode_text(v: &Value, ty: PgType, opts: TextOptions) -> String {
    match v {
        Value::Null => String::new(),
        Value::Bool(b) => if *b { "t" } else { "f" }.to_owned(),
        Value::Int64(i) => i.to_string(),
        Value::Float64(f) => float::float8_out(*f, opts.extra_float_digits),
        Value::Text(s) => s.clone(),
        Value::Date(d) => datetime::format_date(*d),
        Value::Timestamp(t) => datetime::format_timestamp(*t, ty == PgType::TimestampTz),
        Value::TimestampTz(t) => datetime::format_timestamp(*t, true),
        Value::Numeric(n) => n.to_string(),
    }
}

/// Appends the binary form of `v` as type `ty`.
pub fn encode_binary(v: &Value, ty: PgType, buf: &mut BytesMut) -> SqlResult<()> {
    match (v, ty) {
        (Value::Bool(b), _) => buf.put_u8(u8::from(*b)),
        (Value::Int64(i), PgType::Int4) => {
            let i = i32::try_from(*i)
                .map_err(|_| SqlError::NumericOutOfRange("integer out of range".into()))?;
            buf.put_i32(i)
        }
        (Value::Int64(i), _) => buf.put_i64(*i),
        (Value::Float64(f), _) => buf.put_f64(*f),
        (Value::Text(s), _) => buf.put_slice(s.as_bytes()),
        (Value::Date(d), _) => buf.put_i32(
            i32::try_from(i64::from(*d) - datetime::PG_EPOCH_DAYS)
                .map_err(|_| SqlError::DatetimeFieldOverflow(datetime::format_date(*d)))?,
        ),
        (Value::Timestamp(t), _) | (Value::TimestampTz(t), _) => {
            buf.put_i64(t.saturating_sub(datetime::PG_EPOCH_MICROS))
        }
        (Value::Numeric(n), _) => numeric::encode_binary(*n, buf),
        (Value::Null, _) => {}
    }
    Ok(())
}

/// Parses a text value of type `ty` (literals, text-format parameters).
pub fn parse_text(s: &str, ty: PgType) -> SqlResult<Value> {
    let invalid = || SqlError::InvalidText {
        ty: ty.name(),
        value: s.to_owned(),
    };
    Ok(match ty {
        PgType::Text => Value::Text(s.to_owned()),
        PgType::Bool => match s.trim().to_ascii_lowercase().as_str() {
            "t" | "true" | "yes" | "y" | "on" | "1" => Value::Bool(true),
            "f" | "false" | "no" | "n" | "off" | "0" => Value::Bool(false),
            _ => return Err(invalid()),
        },
        PgType::Int4 | PgType::Int8 => {
            let i: i64 = s.trim().parse().map_err(|_| invalid())?;
            if ty == PgType::Int4 && i32::try_from(i).is_err() {
                return Err(SqlError::NumericOutOfRange(format!(
                    "value \"{s}\" is out of range for type integer"
                )));
            }
            Value::Int64(i)
        }
        PgType::Float8 => Value::Float64(parse_float(s).ok_or_else(invalid)?),
        PgType::Numeric => Value::Numeric(Numeric::parse(s).ok_or_else(invalid)?),
        PgType::Date => Value::Date(datetime::parse_date(s)?),
        PgType::Timestamp => Value::Timestamp(datetime::parse_timestamp(s)?),
        PgType::TimestampTz => Value::TimestampTz(datetime::parse_timestamptz(s)?),
    })
}

/// `float8in`: decimal or exponent forms, `NaN`, `Infinity`, `-inf`.
pub fn parse_float(s: &str) -> Option<f64> {
    let t = s.trim();
    match t.to_ascii_lowercase().as_str() {
        "nan" => return Some(f64::NAN),
        "infinity" | "+infinity" | "inf" | "+inf" => return Some(f64::INFINITY),
        "-infinity" | "-inf" => return Some(f64::NEG_INFINITY),
        _ => {}
    }
    if !t
        .bytes()
        .all(|b| b.is_ascii_digit() || matches!(b, b'.' | b'e' | b'E' | b'+' | b'-'))
    {
        return None;
    }
    t.parse().ok()
}

/// Decodes a bound parameter sent as `oid` in `binary` or text format.
/// Unknown OIDs (0) are read as text.
pub fn decode_param(bytes: &[u8], oid: u32, binary: bool) -> SqlResult<Value> {
    let bad = |what: &str| {
        SqlError::ProtocolViolation(format!(
            "incorrect binary data format in bind parameter ({what})"
        ))
    };
    if !binary {
        let s = std::str::from_utf8(bytes)
            .map_err(|_| SqlError::ProtocolViolation("invalid UTF-8 in bind parameter".into()))?;
        let ty = match oid {
            16 => PgType::Bool,
            20 => PgType::Int8,
            21 | 23 => PgType::Int4,
            700 | 701 => PgType::Float8,
            1082 => PgType::Date,
            1114 => PgType::Timestamp,
            1184 => PgType::TimestampTz,
            1700 => PgType::Numeric,
            _ => PgType::Text,
        };
        return parse_text(s, ty);
    }
    let arr = |n: usize| -> SqlResult<&[u8]> {
        if bytes.len() == n {
            Ok(bytes)
        } else {
            Err(bad("length"))
        }
    };
    Ok(match oid {
        16 => Value::Bool(arr(1)?[0] != 0),
        21 => Value::Int64(i64::from(i16::from_be_bytes([arr(2)?[0], bytes[1]]))),
        23 => {
            let b = arr(4)?;
            Value::Int64(i64::from(i32::from_be_bytes([b[0], b[1], b[2], b[3]])))
        }
        20 => Value::Int64(i64::from_be_bytes(eight(arr(8)?))),
        700 => {
            let b = arr(4)?;
            Value::Float64(f64::from(f32::from_be_bytes([b[0], b[1], b[2], b[3]])))
        }
        701 => Value::Float64(f64::from_be_bytes(eight(arr(8)?))),
        1082 => {
            let b = arr(4)?;
            let d =
                i64::from(i32::from_be_bytes([b[0], b[1], b[2], b[3]])) + datetime::PG_EPOCH_DAYS;
            Value::Date(i32::try_from(d).map_err(|_| bad("date"))?)
        }
        1114 => Value::Timestamp(
            i64::from_be_bytes(eight(arr(8)?)).saturating_add(datetime::PG_EPOCH_MICROS),
        ),
        1184 => Value::TimestampTz(
            i64::from_be_bytes(eight(arr(8)?)).saturating_add(datetime::PG_EPOCH_MICROS),
        ),
        1700 => Value::Numeric(numeric::decode_binary(bytes).ok_or_else(|| bad("numeric"))?),
        _ => {
            Value::Text(String::from_utf8(bytes.to_vec()).map_err(|_| {
                SqlError::ProtocolViolation("invalid UTF-8 in bind parameter".into())
            })?)
        }
    })
}

fn eight(b: &[u8]) -> [u8; 8] {
    let mut a = [0u8; 8];
    a.copy_from_slice(&b[..8]);
    a
}

/// The type of a decoded parameter value, as best known.
pub fn value_type(v: &Value) -> Option<PgType> {
    Some(match v {
        Value::Null => return None,
        Value::Bool(_) => PgType::Bool,
        Value::Int64(_) => PgType::Int8,
        Value::Float64(_) => PgType::Float8,
        Value::Text(_) => PgType::Text,
        Value::Date(_) => PgType::Date,
        Value::Timestamp(_) => PgType::Timestamp,
        Value::TimestampTz(_) => PgType::TimestampTz,
        Value::Numeric(_) => PgType::Numeric,
    })
}

/// Converts a value to `target` the way an implicit or explicit cast would.
pub fn cast_value(v: Value, target: PgType) -> SqlResult<Value> {
    use datetime::MICROS_PER_DAY;
    let out_of_range = || SqlError::NumericOutOfRange(format!("{} out of range", target.name()));
    Ok(match (v, target) {
        (Value::Null, _) => Value::Null,
        (Value::Text(s), t) => parse_text(&s, t)?,
        (v, PgType::Text) => Value::Text(encode_text(
            &v,
            value_type(&v).unwrap_or(PgType::Text),
            TextOptions::default(),
        )),
        (Value::Int64(i), PgType::Int4) => {
            i32::try_from(i).map_err(|_| out_of_range())?;
            Value::Int64(i)
        }
        (Value::Int64(i), PgType::Int8) => Value::Int64(i),
        (Value::Int64(i), PgType::Float8) => Value::Float64(i as f64),
        (Value::Int64(i), PgType::Numeric) => Value::Numeric(Numeric::from_i64(i)),
        (Value::Float64(f), PgType::Float8) => Value::Float64(f),
        (Value::Float64(f), PgType::Int4 | PgType::Int8) => {
            let r = f.round_ties_even();
            if !(-9.223_372_036_854_776e18..9.223_372_036_854_776e18).contains(&r) {
                return Err(out_of_range());
            }
            cast_value(Value::Int64(r as i64), target)?
        }
        (Value::Float64(f), PgType::Numeric) => {
            Value::Numeric(Numeric::parse(&float::float8_out(f, 0)).ok_or_else(out_of_range)?)
        }
        (Value::Numeric(n), PgType::Numeric) => Value::Numeric(n),
        (Value::Numeric(n), PgType::Float8) => Value::Float64(n.to_f64()),
        (Value::Numeric(n), PgType::Int4 | PgType::Int8) => {
            let r = n.rescale(0).ok_or_else(out_of_range)?;
            let i = i64::try_from(r.unscaled).map_err(|_| out_of_range())?;
            cast_value(Value::Int64(i), target)?
        }
        (Value::Bool(b), PgType::Bool) => Value::Bool(b),
        (Value::Date(d), PgType::Date) => Value::Date(d),
        (Value::Date(d), PgType::Timestamp) => Value::Timestamp(i64::from(d) * MICROS_PER_DAY),
        (Value::Date(d), PgType::TimestampTz) => Value::TimestampTz(i64::from(d) * MICROS_PER_DAY),
        (Value::Timestamp(t) | Value::TimestampTz(t), PgType::Date) => {
            Value::Date(i32::try_from(t.div_euclid(MICROS_PER_DAY)).map_err(|_| out_of_range())?)
        }
        (Value::Timestamp(t) | Value::TimestampTz(t), PgType::Timestamp) => Value::Timestamp(t),
        (Value::Timestamp(t) | Value::TimestampTz(t), PgType::TimestampTz) => Value::TimestampTz(t),
        (v, t) => {
            return Err(SqlError::DatatypeMismatch(format!(
                "cannot cast type {} to {}",
                value_type(&v).map_or("unknown", PgType::name),
                t.name()
            )));
        }
    })
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;

    #[test]
    fn text_encodings() {
        let o = TextOptions::default();
        assert_eq!(encode_text(&Value::Bool(true), PgType::Bool, o), "t");
        assert_eq!(
            encode_text(&Value::Float64(21.5), PgType::Float8, o),
            "21.5"
        );
        assert_eq!(
            encode_text(&Value::Date(19_875), PgType::Date, o),
            "2024-06-01"
        );
        let ts = 19_875 * datetime::MICROS_PER_DAY;
        assert_eq!(
            encode_text(&Value::Timestamp(ts), PgType::Timestamp, o),
            "2024-06-01 00:00:00"
        );
        assert_eq!(
            encode_text(&Value::TimestampTz(ts), PgType::TimestampTz, o),
            "2024-06-01 00:00:00+00"
        );
        assert_eq!(
            encode_text(
                &Value::Numeric(Numeric {
                    unscaled: 2024,
                    scale: 0
                }),
                PgType::Numeric,
                o
            ),
            "2024"
        );
    }

    #[test]
    fn binary_encodings() {
        let mut b = BytesMut::new();
        encode_binary(&Value::Date(10_958), PgType::Date, &mut b).unwrap();
        assert_eq!(b.to_vec(), vec![0, 0, 0, 1]);
        let mut b = BytesMut::new();
        encode_binary(&Value::Int64(7), PgType::Int4, &mut b).unwrap();
        assert_eq!(b.to_vec(), vec![0, 0, 0, 7]);
        let mut b = BytesMut::new();
        let ts = datetime::PG_EPOCH_MICROS + 1;
        encode_binary(&Value::TimestampTz(ts), PgType::TimestampTz, &mut b).unwrap();
        assert_eq!(b.to_vec(), vec![0, 0, 0, 0, 0, 0, 0, 1]);
        let mut b = BytesMut::new();
        encode_binary(&Value::Float64(1.5), PgType::Float8, &mut b).unwrap();
        assert_eq!(b.to_vec(), 1.5f64.to_be_bytes().to_vec());
    }

    #[test]
    fn params_decode_text_and_binary() {
        assert_eq!(
            decode_param(b"2024-06-01", 1082, false).unwrap(),
            Value::Date(19_875)
        );
        assert_eq!(
            decode_param(&[0, 0, 0, 1], 1082, true).unwrap(),
            Value::Date(10_958)
        );
        assert_eq!(
            decode_param(&7i64.to_be_bytes(), 20, true).unwrap(),
            Value::Int64(7)
        );
        assert_eq!(
            decode_param(b"1.5", 701, false).unwrap(),
            Value::Float64(1.5)
        );
        assert_eq!(
            decode_param(b"x", 0, false).unwrap(),
            Value::Text("x".into())
        );
        assert_eq!(
            decode_param(&[1, 2], 20, true).unwrap_err().sqlstate(),
            "08P01"
        );
        assert_eq!(
            decode_param(b"abc", 701, false).unwrap_err().sqlstate(),
            "22P02"
        );
    }

    #[test]
    fn bad_numbers_are_22p02() {
        let e = parse_text("abc", PgType::Float8).unwrap_err();
        assert_eq!(e.sqlstate(), "22P02");
        assert_eq!(
            e.message(),
            "invalid input syntax for type double precision: \"abc\""
        );
        assert_eq!(
            parse_text("12", PgType::Float8).unwrap(),
            Value::Float64(12.0)
        );
    }

    #[test]
    fn casts() {
        assert_eq!(
            cast_value(Value::Int64(3), PgType::Float8).unwrap(),
            Value::Float64(3.0)
        );
        assert_eq!(
            cast_value(Value::Float64(2.5), PgType::Int8).unwrap(),
            Value::Int64(2)
        );
        assert_eq!(
            cast_value(Value::Float64(21.35), PgType::Numeric).unwrap(),
            Value::Numeric(Numeric {
                unscaled: 2135,
                scale: 2
            })
        );
        assert_eq!(
            cast_value(Value::Date(1), PgType::TimestampTz).unwrap(),
            Value::TimestampTz(datetime::MICROS_PER_DAY)
        );
    }
}
