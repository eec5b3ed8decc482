//! One value of an answer, decoded from PostgreSQL's binary wire format by
//! type OID, and the rules for calling two values equal.
//!
//! Binary formats (big-endian), as PostgreSQL 15 sends them:
//!
//! ```text
//! bool         1 byte
//! int2/4/8     2/4/8 bytes, two's complement
//! float4/8     IEEE 754
//! text/varchar/name/bpchar   UTF-8 bytes
//! date         i32 days since 2000-01-01
//! timestamp(tz) i64 microseconds since 2000-01-01 00:00:00 (UTC for tz)
//! numeric      i16 ndigits, i16 weight, u16 sign, u16 dscale, ndigits x i16 base-10000 digits
//! ```

use std::cmp::Ordering;
use std::fmt;

use tokio_postgres::types::{FromSql, Type};

use crate::error::{Error, Result};

/// Days from 1970-01-01 to 2000-01-01 (PostgreSQL's epoch).
pub const PG_EPOCH_DAYS: i64 = 10_957;

#[derive(Debug, Clone, PartialEq)]
pub enum Cell {
    Null,
    Bool(bool),
    Int(i64),
    Float(f64),
    Text(String),
    /// PostgreSQL's text form of the numeric (`2024`, `1.500000`, `NaN`).
    Numeric(String),
    /// Days since 1970-01-01.
    Date(i64),
    /// Microseconds since 1970-01-01 (no zone).
    Timestamp(i64),
    /// Microseconds since 1970-01-01 UTC.
    TimestampTz(i64),
    /// Any other type: raw bytes.
    Other {
        oid: u32,
        bytes: Vec<u8>,
    },
}

/// The raw bytes of one column, whatever its type: lets [`Cell::decode`]
/// check every byte Isotherm sends rather than trusting a client's decoder.
#[derive(Debug)]
pub struct RawValue(pub Option<Vec<u8>>);

impl<'a> FromSql<'a> for RawValue {
    fn from_sql(
        _ty: &Type,
        raw: &'a [u8],
    ) -> std::result::Result<Self, Box<dyn std::error::Error + Sync + Send>> {
        Ok(RawValue(Some(raw.to_vec())))
    }

    fn from_sql_null(
        _ty: &Type,
    ) -> std::result::Result<Self, Box<dyn std::error::Error + Sync + Send>> {
        Ok(RawValue(None))
    }

    fn accepts(_ty: &Type) -> bool {
        true
    }
}

fn fixed<const N: usize>(b: &[u8], ty: &Type) -> Result<[u8; N]> {
    b.try_into()
        .map_err(|_| Error::new(format!("{ty}: expected {N} bytes, got {}", b.len())))
}

impl Cell {
    /// Decodes one binary-format value of type `ty`.
    pub fn decode(ty: &Type, raw: Option<&[u8]>) -> Result<Cell> {
        let Some(b) = raw else {
            return Ok(Cell::Null);
        };
        Ok(match *ty {
            Type::BOOL => Cell::Bool(fixed::<1>(b, ty)?[0] != 0),
            Type::INT2 => Cell::Int(i16::from_be_bytes(fixed(b, ty)?).into()),
            Type::INT4 => Cell::Int(i32::from_be_bytes(fixed(b, ty)?).into()),
            Type::INT8 => Cell::Int(i64::from_be_bytes(fixed(b, ty)?)),
            Type::FLOAT4 => Cell::Float(f32::from_be_bytes(fixed(b, ty)?).into()),
            Type::FLOAT8 => Cell::Float(f64::from_be_bytes(fixed(b, ty)?)),
            Type::TEXT | Type::VARCHAR | Type::NAME | Type::BPCHAR => Cell::Text(
                String::from_utf8(b.to_vec()).map_err(|e| Error::new(format!("{ty}: {e}")))?,
            ),
            Type::DATE => Cell::Date(i64::from(i32::from_be_bytes(fixed(b, ty)?)) + PG_EPOCH_DAYS),
            Type::TIMESTAMP => Cell::Timestamp(pg_micros(i64::from_be_bytes(fixed(b, ty)?))),
            Type::TIMESTAMPTZ => Cell::TimestampTz(pg_micros(i64::from_be_bytes(fixed(b, ty)?))),
            Type::NUMERIC => Cell::Numeric(numeric_text(b)?),
            _ => Cell::Other {
                oid: ty.oid(),
                bytes: b.to_vec(),
            },
        })
    }

    fn rank(&self) -> u8 {
        match self {
            Cell::Bool(_) => 0,
            Cell::Int(_) => 1,
            Cell::Float(_) => 2,
            Cell::Numeric(_) => 3,
            Cell::Text(_) => 4,
            Cell::Date(_) => 5,
            Cell::Timestamp(_) => 6,
            Cell::TimestampTz(_) => 7,
            Cell::Other { .. } => 8,
            Cell::Null => 9,
        }
    }

    /// A total order for sorting answers that have no ORDER BY. NULL last.
    pub fn sort_cmp(&self, other: &Cell) -> Ordering {
        use Cell::*;
        match (self, other) {
            (Bool(a), Bool(b)) => a.cmp(b),
            (Int(a), Int(b)) => a.cmp(b),
            (Float(a), Float(b)) => a.total_cmp(b),
            (Numeric(a), Numeric(b)) => {
                let (x, y) = (
                    a.parse::<f64>().unwrap_or(f64::NAN),
                    b.parse::<f64>().unwrap_or(f64::NAN),
                );
                x.total_cmp(&y).then_with(|| a.cmp(b))
            }
            (Text(a), Text(b)) => a.as_bytes().cmp(b.as_bytes()),
            (Date(a), Date(b))
            | (Timestamp(a), Timestamp(b))
            | (TimestampTz(a), TimestampTz(b)) => a.cmp(b),
            (Other { bytes: a, .. }, Other { bytes: b, .. }) => a.cmp(b),
            (a, b) => a.rank().cmp(&b.rank()),
        }
    }

    /// Equal as answers: exact, except floats (see [`floats_match`]).
    pub fn matches(&self, other: &Cell) -> bool {
        match (self, other) {
            (Cell::Float(a), Cell::Float(b)) => floats_match(*a, *b),
            (a, b) => a == b,
        }
    }
}

/// Microseconds since 1970 from PostgreSQL's microseconds since 2000.
fn pg_micros(v: i64) -> i64 {
    v.saturating_add(PG_EPOCH_DAYS * 86_400 * 1_000_000)
}

/// Two floats that PostgreSQL and Isotherm may both honestly produce (sums in
/// different orders): equal within 1e-9 relative, or 1e-9 absolute near zero.
/// NaN equals NaN; the sign of zero and infinities must agree; a tiny nonzero
/// value (below 1e-100) is not "near" zero — it is data, not rounding.
pub fn floats_match(a: f64, b: f64) -> bool {
    if a.is_nan() || b.is_nan() {
        return a.is_nan() && b.is_nan();
    }
    if a == b {
        // -0 and 0 compare equal but print differently ("-0" vs "0").
        return a.is_sign_negative() == b.is_sign_negative() || a != 0.0;
    }
    if a.is_infinite() || b.is_infinite() {
        return false;
    }
    let diff = (a - b).abs();
    let scale = a.abs().max(b.abs());
    if diff <= 1e-9 * scale {
        return true;
    }
    let tiny = |x: f64| x != 0.0 && x.abs() < 1e-100;
    diff <= 1e-9 && !tiny(a) && !tiny(b)
}

/// Text values that are equal as answers: identical strings, or two float
/// renderings of values within [`floats_match`] that are *not* the same
/// value (the same value must print the same way: `1e+20`, not `100000000000000000000`).
pub fn texts_match(a: &str, b: &str) -> bool {
    if a == b {
        return true;
    }
    let floaty =
        |s: &str| s.contains(['.', 'e', 'E']) || s.contains("NaN") || s.contains("Infinity");
    match (a.parse::<f64>(), b.parse::<f64>()) {
        (Ok(x), Ok(y)) if floaty(a) || floaty(b) => {
            x.to_bits() != y.to_bits() && !(x.is_nan() && y.is_nan()) && floats_match(x, y)
        }
        _ => false,
    }
}

/// PostgreSQL's text form of a binary numeric.
pub fn numeric_text(b: &[u8]) -> Result<String> {
    let bad = || Error::new(format!("numeric: malformed {} bytes", b.len()));
    let word = |i: usize| -> Result<u16> {
        let s = b.get(i * 2..i * 2 + 2).ok_or_else(bad)?;
        Ok(u16::from_be_bytes([s[0], s[1]]))
    };
    let ndigits = word(0)? as i16;
    let weight = word(1)? as i16;
    let sign = word(2)?;
    let dscale = word(3)?;
    if ndigits < 0 || b.len() != 8 + 2 * ndigits as usize {
        return Err(bad());
    }
    match sign {
        0xC000 => return Ok("NaN".into()),
        0xD000 => return Ok("Infinity".into()),
        0xF000 => return Ok("-Infinity".into()),
        0x0000 | 0x4000 => {}
        _ => return Err(bad()),
    }
    let mut digits = Vec::with_capacity(ndigits as usize);
    for i in 0..ndigits as usize {
        let d = word(4 + i)?;
        if d > 9999 {
            return Err(bad());
        }
        digits.push(d);
    }
    let digit = |i: i32| -> u16 {
        usize::try_from(i)
            .ok()
            .and_then(|i| digits.get(i).copied())
            .unwrap_or(0)
    };
    let mut s = String::new();
    if sign == 0x4000 {
        s.push('-');
    }
    if weight < 0 {
        s.push('0');
    } else {
        for i in 0..=i32::from(weight) {
            if i == 0 {
                s.push_str(&digit(i).to_string());
            } else {
                s.push_str(&format!("{:04}", digit(i)));
            }
        }
    }
    if dscale > 0 {
        s.push('.');
        let mut frac = String::new();
        let mut i = i32::from(weight) + 1;
        while frac.len() < usize::from(dscale) {
            frac.push_str(&format!("{:04}", digit(i)));
            i += 1;
        }
        frac.truncate(usize::from(dscale));
        s.push_str(&frac);
    }
    Ok(s)
}

fn civil(days: i64) -> String {
    chrono::DateTime::from_timestamp(days * 86_400, 0)
        .map(|d| d.format("%Y-%m-%d").to_string())
        .unwrap_or_else(|| format!("day {days}"))
}

fn civil_micros(micros: i64) -> String {
    let secs = micros.div_euclid(1_000_000);
    let frac = micros.rem_euclid(1_000_000);
    let base = chrono::DateTime::from_timestamp(secs, 0)
        .map(|d| d.format("%Y-%m-%d %H:%M:%S").to_string())
        .unwrap_or_else(|| format!("µs {micros}"));
    if frac == 0 {
        base
    } else {
        format!("{base}.{frac:06}")
            .trim_end_matches('0')
            .to_string()
    }
}

impl fmt::Display for Cell {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Cell::Null => f.write_str("NULL"),
            Cell::Bool(b) => f.write_str(if *b { "t" } else { "f" }),
            Cell::Int(v) => write!(f, "{v}"),
            Cell::Float(v) => write!(f, "{v:?}"),
            Cell::Text(s) => write!(f, "{s:?}"),
            Cell::Numeric(s) => write!(f, "{s}::numeric"),
            Cell::Date(d) => write!(f, "{}::date", civil(*d)),
            Cell::Timestamp(t) => write!(f, "{}::timestamp", civil_micros(*t)),
            Cell::TimestampTz(t) => write!(f, "{}+00", civil_micros(*t)),
            Cell::Other { oid, bytes } => write!(f, "oid {oid}: {bytes:02x?}"),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn numeric(ndigits: i16, weight: i16, sign: u16, dscale: u16, digits: &[u16]) -> Vec<u8> {
        let mut b = Vec::new();
        for w in [ndigits as u16, weight as u16, sign, dscale] {
            b.extend_from_slice(&w.to_be_bytes());
        }
        for d in digits {
            b.extend_from_slice(&d.to_be_bytes());
        }
        b
    }

    #[test]
    fn numerics_print_like_postgres() {
        assert_eq!(
            numeric_text(&numeric(1, 0, 0, 0, &[2024])).expect("2024"),
            "2024"
        );
        assert_eq!(numeric_text(&numeric(0, 0, 0, 0, &[])).expect("0"), "0");
        assert_eq!(
            numeric_text(&numeric(3, 2, 0, 6, &[17, 1720, 0])).expect("big"),
            "1717200000.000000"
        );
        assert_eq!(
            numeric_text(&numeric(1, -1, 0x4000, 2, &[500])).expect("-0.05"),
            "-0.05"
        );
        assert_eq!(
            numeric_text(&numeric(2, 0, 0, 1, &[1, 5000])).expect("1.5"),
            "1.5"
        );
        assert_eq!(
            numeric_text(&numeric(0, 0, 0xC000, 0, &[])).expect("nan"),
            "NaN"
        );
        assert!(numeric_text(&[0, 1]).is_err());
        assert!(numeric_text(&numeric(1, 0, 0, 0, &[10000])).is_err());
    }

    #[test]
    fn binary_values_decode() {
        let d = Cell::decode(&Type::DATE, Some(&0i32.to_be_bytes())).expect("date");
        assert_eq!(d, Cell::Date(PG_EPOCH_DAYS));
        assert_eq!(d.to_string(), "2000-01-01::date");
        let t = Cell::decode(&Type::TIMESTAMPTZ, Some(&1_500_000i64.to_be_bytes())).expect("ts");
        assert_eq!(t.to_string(), "2000-01-01 00:00:01.5+00");
        assert_eq!(Cell::decode(&Type::INT8, None).expect("null"), Cell::Null);
        assert!(Cell::decode(&Type::INT8, Some(&[1, 2])).is_err());
        let f = Cell::decode(&Type::FLOAT8, Some(&(-0.0f64).to_be_bytes())).expect("f");
        assert!(!f.matches(&Cell::Float(0.0)));
        assert!(f.matches(&Cell::Float(-0.0)));
    }

    #[test]
    fn float_tolerance() {
        assert!(floats_match(0.1 + 0.2, 0.3));
        assert!(floats_match(1e20, 1e20 * (1.0 + 1e-12)));
        assert!(!floats_match(1.0, 1.0001));
        assert!(floats_match(f64::NAN, f64::NAN));
        assert!(!floats_match(f64::NAN, 1.0));
        assert!(floats_match(1e-17, 0.0));
        assert!(!floats_match(1e-300, 0.0));
        assert!(!floats_match(f64::INFINITY, f64::MAX));
    }

    #[test]
    fn text_tolerance_flags_formatting() {
        assert!(texts_match("21.7", "21.700000000000003"));
        assert!(!texts_match("1e+20", "100000000000000000000"));
        assert!(!texts_match("2024", "2024.0"));
        assert!(!texts_match("10", "11"));
        assert!(!texts_match("-0", "0"));
        assert!(texts_match("NaN", "NaN"));
        assert!(!texts_match("abc", "abd"));
    }

    #[test]
    fn sort_order_puts_null_last() {
        let mut v = [Cell::Null, Cell::Int(2), Cell::Int(1)];
        v.sort_by(|a, b| a.sort_cmp(b));
        assert_eq!(v, [Cell::Int(1), Cell::Int(2), Cell::Null]);
    }
}
