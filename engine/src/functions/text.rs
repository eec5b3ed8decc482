//! Text and date-parsing functions as PostgreSQL defines them, where
//! DataFusion has none or a different one:
//!
//! - `format(fmt, args...)`: `%s` (text, NULL as empty), `%I` (an
//!   identifier, quoted when needed), `%L` (a literal, NULL as `NULL`),
//!   `%%`, and positions `%2$s` (Metabase builds qualified names with it);
//! - `to_timestamp(text, fmt)` and `to_date(text, fmt)` with PostgreSQL's
//!   template patterns (`YYYY-MM-DD HH24:MI:SS.US`, which Superset and
//!   Tableau send), and `to_timestamp(epoch seconds)`; all of type
//!   `timestamptz` / `date` as in PostgreSQL. DataFusion's own take chrono
//!   formats and return timestamps without zone.

use std::sync::Arc;

use chrono::NaiveDate;
use datafusion::arrow::datatypes::{DataType, TimeUnit};
use datafusion::common::ScalarValue;
use datafusion::error::Result;
use datafusion::logical_expr::{ScalarUDF, Signature, Volatility};

use super::udf::{Udf, any_of, pg_error, text};

/// The text functions (no state).
pub fn functions() -> Vec<ScalarUDF> {
    let s = Arc::new(());
    vec![
        Udf::function(
            "format",
            Signature::variadic_any(Volatility::Stable),
            DataType::Utf8,
            s.clone(),
            |_, row| format(row),
        ),
        Udf::function(
            "to_timestamp",
            any_of(&[1, 2]),
            DataType::Timestamp(TimeUnit::Microsecond, Some("+00:00".into())),
            s.clone(),
            |_, row| to_timestamp(row),
        ),
        Udf::function("to_date", any_of(&[2]), DataType::Date32, s, |_, row| {
            let (Some(input), Some(fmt)) = (text(row, 0), text(row, 1)) else {
                return Ok(ScalarValue::Date32(None));
            };
            let micros = parse_template(&input, &fmt)?;
            Ok(ScalarValue::Date32(Some(
                i32::try_from(micros.div_euclid(MICROS_PER_DAY)).unwrap_or(i32::MAX),
            )))
        }),
    ]
}

const MICROS_PER_DAY: i64 = 86_400_000_000;

/// `quote_ident`: quoted unless a plain lower-case identifier.
fn quote_ident(s: &str) -> String {
    let plain = s
        .chars()
        .next()
        .is_some_and(|c| c.is_ascii_lowercase() || c == '_')
        && s.chars()
            .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '_' || c == '$');
    if plain {
        s.to_owned()
    } else {
        format!("\"{}\"", s.replace('"', "\"\""))
    }
}

fn quote_literal(s: &str) -> String {
    if s.contains('\\') {
        format!("E'{}'", s.replace('\\', "\\\\").replace('\'', "''"))
    } else {
        format!("'{}'", s.replace('\'', "''"))
    }
}

fn format(row: &[ScalarValue]) -> Result<ScalarValue> {
    let Some(fmt) = text(row, 0) else {
        return Ok(ScalarValue::Utf8(None));
    };
    let mut out = String::with_capacity(fmt.len());
    let mut next_arg = 1;
    let mut chars = fmt.chars().peekable();
    while let Some(c) = chars.next() {
        if c != '%' {
            out.push(c);
            continue;
        }
        // `%%`, or `%[n$]type`.
        let mut spec = String::new();
        while let Some(&d) = chars.peek() {
            if d.is_ascii_digit() || d == '$' {
                spec.push(d);
                chars.next();
            } else {
                break;
            }
        }
        let Some(kind) = chars.next() else {
            return Err(pg_error("22023", "unterminated format() type specifier"));
        };
        if kind == '%' && spec.is_empty() {
            out.push('%');
            continue;
        }
        let arg = match spec.strip_suffix('$') {
            Some(n) => n
                .parse::<usize>()
                .ok()
                .filter(|n| *n >= 1)
                .ok_or_else(|| pg_error("22023", "invalid argument number in format()"))?,
            None if spec.is_empty() => next_arg,
            None => return Err(pg_error("0A000", "format() widths are not supported")),
        };
        if arg >= row.len() {
            return Err(pg_error("22023", "too few arguments for format()"));
        }
        next_arg = arg + 1;
        let value = text(row, arg);
        match (kind, value) {
            ('s', v) => out.push_str(v.as_deref().unwrap_or("")),
            ('I', Some(v)) => out.push_str(&quote_ident(&v)),
            ('I', None) => {
                return Err(pg_error(
                    "22004",
                    "null values cannot be formatted as an SQL identifier",
                ));
            }
            ('L', Some(v)) => out.push_str(&quote_literal(&v)),
            ('L', None) => out.push_str("NULL"),
            (other, _) => {
                return Err(pg_error(
                    "22023",
                    format!("unrecognized format() type specifier \"{other}\""),
                ));
            }
        }
    }
    Ok(ScalarValue::Utf8(Some(out)))
}

fn to_timestamp(row: &[ScalarValue]) -> Result<ScalarValue> {
    let tz = Some(Arc::from("+00:00"));
    if row.len() == 1 {
        // Seconds since the epoch.
        let secs = match row[0].cast_to(&DataType::Float64)? {
            ScalarValue::Float64(Some(f)) => f,
            _ => return Ok(ScalarValue::TimestampMicrosecond(None, tz)),
        };
        let micros = (secs * 1e6).round();
        if !micros.is_finite() || micros.abs() > 9.2e18 {
            return Err(pg_error("22008", "timestamp out of range"));
        }
        return Ok(ScalarValue::TimestampMicrosecond(Some(micros as i64), tz));
    }
    let (Some(input), Some(fmt)) = (text(row, 0), text(row, 1)) else {
        return Ok(ScalarValue::TimestampMicrosecond(None, tz));
    };
    Ok(ScalarValue::TimestampMicrosecond(
        Some(parse_template(&input, &fmt)?),
        tz,
    ))
}

/// Parses `input` by a PostgreSQL template (`YYYY`, `MM`, `DD`, `HH24`,
/// `HH12`/`HH`, `MI`, `SS`, `MS`, `US`; other characters skip one
/// separator) into µs since the epoch, UTC.
fn parse_template(input: &str, fmt: &str) -> Result<i64> {
    let bad = || {
        pg_error(
            "22007",
            format!("invalid value \"{input}\" for format \"{fmt}\""),
        )
    };
    let (mut y, mut mo, mut d, mut h, mut mi, mut s, mut us) = (1i64, 1i64, 1i64, 0, 0, 0, 0i64);
    let inp = input.as_bytes();
    let mut i = 0;
    let f = fmt.as_bytes();
    let mut j = 0;
    // Up to `max` digits (fewer when a separator comes first).
    let digits = |i: &mut usize, max: usize| -> Option<(i64, usize)> {
        while *i < inp.len() && inp[*i] == b' ' {
            *i += 1;
        }
        let start = *i;
        while *i < inp.len() && *i - start < max && inp[*i].is_ascii_digit() {
            *i += 1;
        }
        let n = *i - start;
        (n > 0).then(|| (input[start..*i].parse().unwrap_or(0), n))
    };
    while j < f.len() {
        let rest = &fmt[j..].to_ascii_uppercase();
        let token = [
            "YYYY", "HH24", "HH12", "MM", "DD", "HH", "MI", "SS", "MS", "US",
        ]
        .into_iter()
        .find(|t| rest.starts_with(t));
        match token {
            Some(t) => {
                j += t.len();
                let max = match t {
                    "YYYY" => 4,
                    "MS" => 3,
                    "US" => 6,
                    _ => 2,
                };
                let (v, n) = digits(&mut i, max).ok_or_else(bad)?;
                match t {
                    "YYYY" => y = v,
                    "MM" => mo = v,
                    "DD" => d = v,
                    "HH24" | "HH12" | "HH" => h = v,
                    "MI" => mi = v,
                    "SS" => s = v,
                    // Fractions: `.5` is 500 ms.
                    "MS" => us = v * 10i64.pow(u32::try_from(3 - n).unwrap_or(0)) * 1000,
                    _ => us = v * 10i64.pow(u32::try_from(6 - n).unwrap_or(0)),
                }
            }
            None => {
                // A literal character: skip one non-digit of the input.
                j += fmt[j..].chars().next().map_or(1, char::len_utf8);
                if i < inp.len() && !inp[i].is_ascii_digit() {
                    i += 1;
                }
            }
        }
    }
    if input[i..].trim().chars().any(|c| !c.is_whitespace()) {
        return Err(bad());
    }
    let date = NaiveDate::from_ymd_opt(
        i32::try_from(y).map_err(|_| bad())?,
        u32::try_from(mo).map_err(|_| bad())?,
        u32::try_from(d).map_err(|_| bad())?,
    )
    .ok_or_else(|| {
        pg_error(
            "22008",
            format!("date/time field value out of range: \"{input}\""),
        )
    })?;
    if h > 24 || mi > 59 || s > 60 {
        return Err(pg_error(
            "22008",
            format!("date/time field value out of range: \"{input}\""),
        ));
    }
    let days = date
        .signed_duration_since(NaiveDate::from_ymd_opt(1970, 1, 1).ok_or_else(bad)?)
        .num_days();
    Ok(days * MICROS_PER_DAY + ((h * 60 + mi) * 60 + s) * 1_000_000 + us)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn fmt(args: &[Option<&str>]) -> Result<Option<String>> {
        let row: Vec<ScalarValue> = args
            .iter()
            .map(|a| ScalarValue::Utf8(a.map(str::to_owned)))
            .collect();
        match format(&row)? {
            ScalarValue::Utf8(s) => Ok(s),
            other => panic!("{other:?}"),
        }
    }

    #[test]
    fn format_like_postgres() {
        let got = fmt(&[Some("%I.%I"), Some("public"), Some("Temps")])
            .ok()
            .flatten();
        assert_eq!(got.as_deref(), Some("public.\"Temps\""));
        let got = fmt(&[Some("%L, %s, %%, %2$s"), Some("it's"), None])
            .ok()
            .flatten();
        assert_eq!(got.as_deref(), Some("'it''s', , %, "));
        assert!(fmt(&[Some("%s %s"), Some("a")]).is_err());
        assert!(fmt(&[Some("%I"), None]).is_err());
    }

    #[test]
    fn templates_like_postgres() {
        let t = |i: &str, f: &str| parse_template(i, f).ok();
        let day = 19_721 * MICROS_PER_DAY; // 2023-12-30
        assert_eq!(t("2023-12-30", "YYYY-MM-DD"), Some(day));
        assert_eq!(
            t("2023-12-30 01:02:03.000004", "YYYY-MM-DD HH24:MI:SS.US"),
            Some(day + 3_723_000_004)
        );
        assert_eq!(
            t("2023-12-30 00:00:00.5", "YYYY-MM-DD HH24:MI:SS.MS"),
            Some(day + 500_000)
        );
        assert_eq!(t("2023-02-30", "YYYY-MM-DD"), None);
    }
}
