//! Scalar types and values shared by the index model and the SQL face.
//!
//! Each [`ScalarType`] is one PostgreSQL type; the SQL layer encodes values of
//! that type on the wire exactly as PostgreSQL 15 would.
//!
//! Representations:
//! - `Date`: days since 1970-01-01 (i32), proleptic Gregorian;
//! - `Timestamp` / `TimestampTz`: microseconds since 1970-01-01 00:00:00 UTC (i64);
//!   Isotherm sessions run with `TimeZone = UTC`;
//! - `Numeric`: an exact decimal `unscaled * 10^-scale` (what `extract` returns).

use std::cmp::Ordering;

/// The SQL type of a column, an expression or a result.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum ScalarType {
    /// `boolean`
    Bool,
    /// `bigint`
    Int64,
    /// `double precision`
    Float64,
    /// `text`
    Text,
    /// `date`
    Date,
    /// `timestamp without time zone`
    Timestamp,
    /// `timestamp with time zone`
    TimestampTz,
    /// `numeric`
    Numeric,
}

impl ScalarType {
    /// PostgreSQL's name for the type, as `format_type` prints it.
    pub fn pg_name(self) -> &'static str {
        match self {
            ScalarType::Bool => "boolean",
            ScalarType::Int64 => "bigint",
            ScalarType::Float64 => "double precision",
            ScalarType::Text => "text",
            ScalarType::Date => "date",
            ScalarType::Timestamp => "timestamp without time zone",
            ScalarType::TimestampTz => "timestamp with time zone",
            ScalarType::Numeric => "numeric",
        }
    }
}

/// An exact decimal: `unscaled * 10^-scale`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct Numeric {
    pub unscaled: i128,
    pub scale: u8,
}

impl Numeric {
    pub fn from_i64(v: i64) -> Self {
        Numeric {
            unscaled: v as i128,
            scale: 0,
        }
    }

    /// The value as a float (for comparisons against float measures).
    pub fn to_f64(self) -> f64 {
        self.unscaled as f64 / 10f64.powi(i32::from(self.scale))
    }

    /// Parses `[-+]digits[.digits][e[-+]digits]` as PostgreSQL's `numeric_in` does.
    pub fn parse(s: &str) -> Option<Numeric> {
        let s = s.trim();
        let (neg, body) = match s.as_bytes().first()? {
            b'-' => (true, &s[1..]),
            b'+' => (false, &s[1..]),
            _ => (false, s),
        };
        let (mantissa, exp) = match body.find(['e', 'E']) {
            Some(i) => (&body[..i], body[i + 1..].parse::<i32>().ok()?),
            None => (body, 0),
        };
        let (int, frac) = mantissa.split_once('.').unwrap_or((mantissa, ""));
        if int.is_empty() && frac.is_empty() {
            return None;
        }
        if !int.bytes().chain(frac.bytes()).all(|b| b.is_ascii_digit()) {
            return None;
        }
        let all = format!("{int}{frac}");
        let all = all.trim_start_matches('0');
        let mut unscaled: i128 = if all.is_empty() { 0 } else { all.parse().ok()? };
        let mut scale = frac.len() as i32 - exp;
        if scale < 0 {
            unscaled = unscaled.checked_mul(10i128.checked_pow(scale.unsigned_abs())?)?;
            scale = 0;
        }
        let scale = u8::try_from(scale).ok()?;
        Some(Numeric {
            unscaled: if neg { -unscaled } else { unscaled },
            scale,
        })
    }

    /// `n` with exactly `scale` digits after the point (rounding half away from zero).
    pub fn rescale(self, scale: u8) -> Option<Numeric> {
        let n = self;
        if scale >= n.scale {
            let p = 10i128.checked_pow(u32::from(scale - n.scale))?;
            return Some(Numeric {
                unscaled: n.unscaled.checked_mul(p)?,
                scale,
            });
        }
        let p = 10i128.checked_pow(u32::from(n.scale - scale))?;
        let q = n.unscaled / p;
        let r = n.unscaled % p;
        let q = if r.abs() * 2 >= p { q + r.signum() } else { q };
        Some(Numeric { unscaled: q, scale })
    }

    fn rescaled(self, scale: u8) -> Option<i128> {
        let diff = u32::from(scale.checked_sub(self.scale)?);
        self.unscaled.checked_mul(10i128.checked_pow(diff)?)
    }
}

impl PartialOrd for Numeric {
    fn partial_cmp(&self, other: &Self) -> Option<Ordering> {
        Some(self.cmp(other))
    }
}

impl Ord for Numeric {
    fn cmp(&self, other: &Self) -> Ordering {
        let scale = self.scale.max(other.scale);
        match (self.rescaled(scale), other.rescaled(scale)) {
            (Some(a), Some(b)) => a.cmp(&b),
            _ => self.to_f64().total_cmp(&other.to_f64()),
        }
    }
}

impl std::fmt::Display for Numeric {
    /// PostgreSQL's text form: all `scale` digits after the point are printed.
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let neg = self.unscaled < 0;
        let digits = self.unscaled.unsigned_abs().to_string();
        let scale = usize::from(self.scale);
        let sign = if neg { "-" } else { "" };
        if scale == 0 {
            return write!(f, "{sign}{digits}");
        }
        let padded = format!("{digits:0>width$}", width = scale + 1);
        let (int, frac) = padded.split_at(padded.len() - scale);
        write!(f, "{sign}{int}.{frac}")
    }
}

/// One SQL value. `Null` is typeless; the column's type travels beside it.
#[derive(Debug, Clone, PartialEq)]
pub enum Value {
    Null,
    Bool(bool),
    Int64(i64),
    Float64(f64),
    Text(String),
    Date(i32),
    Timestamp(i64),
    TimestampTz(i64),
    Numeric(Numeric),
}

impl Value {
    pub fn is_null(&self) -> bool {
        matches!(self, Value::Null)
    }

    /// Total order matching PostgreSQL's for values of one type: NULL sorts
    /// after every value (PostgreSQL's default for ASC), floats by IEEE total
    /// order with NaN greatest, text by bytes (collation "C").
    pub fn sql_cmp(&self, other: &Value) -> Ordering {
        use Value::*;
        match (self, other) {
            (Null, Null) => Ordering::Equal,
            (Null, _) => Ordering::Greater,
            (_, Null) => Ordering::Less,
            (Bool(a), Bool(b)) => a.cmp(b),
            (Int64(a), Int64(b)) => a.cmp(b),
            (Float64(a), Float64(b)) => float_cmp(*a, *b),
            (Text(a), Text(b)) => a.as_bytes().cmp(b.as_bytes()),
            (Date(a), Date(b)) => a.cmp(b),
            (Timestamp(a), Timestamp(b)) | (TimestampTz(a), TimestampTz(b)) => a.cmp(b),
            (Numeric(a), Numeric(b)) => a.cmp(b),
            (Int64(a), Float64(b)) => float_cmp(*a as f64, *b),
            (Float64(a), Int64(b)) => float_cmp(*a, *b as f64),
            (Numeric(a), Float64(b)) => float_cmp(a.to_f64(), *b),
            (Float64(a), Numeric(b)) => float_cmp(*a, b.to_f64()),
            (Numeric(a), Int64(b)) => a.cmp(&self::Numeric::from_i64(*b)),
            (Int64(a), Numeric(b)) => self::Numeric::from_i64(*a).cmp(b),
            // Values of different types never meet after planning; keep the order total.
            (a, b) => a.type_rank().cmp(&b.type_rank()),
        }
    }

    fn type_rank(&self) -> u8 {
        match self {
            Value::Null => 0,
            Value::Bool(_) => 1,
            Value::Int64(_) => 2,
            Value::Float64(_) => 3,
            Value::Text(_) => 4,
            Value::Date(_) => 5,
            Value::Timestamp(_) => 6,
            Value::TimestampTz(_) => 7,
            Value::Numeric(_) => 8,
        }
    }
}

/// PostgreSQL orders floats with NaN above every other value and -0 = 0.
pub fn float_cmp(a: f64, b: f64) -> Ordering {
    match (a.is_nan(), b.is_nan()) {
        (true, true) => Ordering::Equal,
        (true, false) => Ordering::Greater,
        (false, true) => Ordering::Less,
        (false, false) => a.partial_cmp(&b).unwrap_or(Ordering::Equal),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn numeric_prints_like_postgres() {
        assert_eq!(
            Numeric {
                unscaled: 1717200000000000,
                scale: 6
            }
            .to_string(),
            "1717200000.000000"
        );
        assert_eq!(
            Numeric {
                unscaled: -5,
                scale: 2
            }
            .to_string(),
            "-0.05"
        );
        assert_eq!(Numeric::from_i64(2024).to_string(), "2024");
    }

    #[test]
    fn null_sorts_last_and_nan_above_numbers() {
        assert_eq!(Value::Null.sql_cmp(&Value::Int64(1)), Ordering::Greater);
        assert_eq!(
            Value::Float64(f64::NAN).sql_cmp(&Value::Float64(1e300)),
            Ordering::Greater
        );
        assert_eq!(
            Value::Float64(-0.0).sql_cmp(&Value::Float64(0.0)),
            Ordering::Equal
        );
    }

    #[test]
    fn parses_text() {
        for (text, unscaled, scale) in [
            ("1.50", 150, 2),
            ("-.5", -5, 1),
            ("1e5", 100_000, 0),
            ("1.5e-2", 15, 3),
        ] {
            assert_eq!(
                Numeric::parse(text),
                Some(Numeric { unscaled, scale }),
                "{text}"
            );
        }
        assert_eq!(Numeric::parse("abc"), None);
        assert_eq!(Numeric::parse("."), None);
    }

    #[test]
    fn rescales_half_away_from_zero() {
        let n = Numeric {
            unscaled: -12_345,
            scale: 3,
        };
        assert_eq!(
            n.rescale(2),
            Some(Numeric {
                unscaled: -1235,
                scale: 2
            })
        );
        assert_eq!(
            n.rescale(4),
            Some(Numeric {
                unscaled: -123_450,
                scale: 4
            })
        );
    }
}
