//! Dates and timestamps: calendar arithmetic, PostgreSQL's ISO text forms,
//! and parsing of the literal forms clients send.
//!
//! Representations follow `isotherm_indexer::value`: a date is days since
//! 1970-01-01 (proleptic Gregorian), a timestamp microseconds since
//! 1970-01-01 00:00:00 (UTC for `timestamptz`; sessions run in UTC).
//!
//! Text output (DateStyle `ISO, MDY`):
//! - date: `2024-06-01`, years before 1 as `0044-03-15 BC`;
//! - timestamp: `2024-06-01 12:00:00` plus `.ffffff` with trailing zeros trimmed;
//! - timestamptz: the same plus `+00`.
//!
//! Input: `YYYY-MM-DD` (also `YYYYMMDD`), optionally followed by a time
//! `HH:MM[:SS[.ffffff]]` (separated by a space or `T`) and a zone `Z`, `+HH`,
//! `+HH:MM` or `+HHMM`; `epoch`. A well-formed value with a field out of range
//! is 22008 like PostgreSQL, anything else 22007.

use crate::error::SqlError;

pub use isotherm_indexer::calendar::{
    MICROS_PER_DAY, civil_from_days, days_from_civil, days_in_month,
};
/// Days from 1970-01-01 to 2000-01-01, PostgreSQL's binary epoch.
pub const PG_EPOCH_DAYS: i64 = 10_957;
pub const PG_EPOCH_MICROS: i64 = PG_EPOCH_DAYS * MICROS_PER_DAY;

pub fn format_date(days: i32) -> String {
    let (y, m, d) = civil_from_days(i64::from(days));
    if y > 0 {
        format!("{y:04}-{m:02}-{d:02}")
    } else {
        format!("{:04}-{m:02}-{d:02} BC", 1 - y)
    }
}

pub fn format_timestamp(micros: i64, with_zone: bool) -> String {
    let days = micros.div_euclid(MICROS_PER_DAY);
    let tod = micros.rem_euclid(MICROS_PER_DAY);
    let (y, m, d) = civil_from_days(days);
    let secs = tod / 1_000_000;
    let frac = tod % 1_000_000;
    let (hh, mm, ss) = (secs / 3600, (secs / 60) % 60, secs % 60);
    let mut out = if y > 0 {
        format!("{y:04}-{m:02}-{d:02} {hh:02}:{mm:02}:{ss:02}")
    } else {
        format!("{:04}-{m:02}-{d:02} {hh:02}:{mm:02}:{ss:02}", 1 - y)
    };
    if frac != 0 {
        let f = format!("{frac:06}");
        out.push('.');
        out.push_str(f.trim_end_matches('0'));
    }
    if with_zone {
        out.push_str("+00");
    }
    if y <= 0 {
        out.push_str(" BC");
    }
    out
}

/// What a date/time literal says, before it is typed.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ParsedDateTime {
    pub days: i64,
    pub micros_of_day: i64,
    /// Offset east of UTC in seconds, if the literal named a zone.
    pub offset_secs: Option<i64>,
}

enum Fail {
    Syntax,
    Range,
}

/// Parses a date, timestamp or timestamptz literal; `ty` names the target
/// type in error messages.
pub fn parse_datetime(input: &str, ty: &'static str) -> Result<ParsedDateTime, SqlError> {
    match parse_inner(input.trim()) {
        Ok(v) => Ok(v),
        Err(Fail::Syntax) => Err(SqlError::InvalidDatetime {
            ty,
            value: input.to_owned(),
        }),
        Err(Fail::Range) => Err(SqlError::DatetimeFieldOverflow(input.to_owned())),
    }
}

pub fn parse_date(input: &str) -> Result<i32, SqlError> {
    let v = parse_datetime(input, "date")?;
    i32::try_from(v.days).map_err(|_| SqlError::DatetimeFieldOverflow(input.to_owned()))
}

/// `timestamp without time zone`: a zone in the literal is ignored, as in PostgreSQL.
pub fn parse_timestamp(input: &str) -> Result<i64, SqlError> {
    let v = parse_datetime(input, "timestamp")?;
    combine(v.days, v.micros_of_day, 0, input)
}

/// `timestamp with time zone`: without a zone the session's (UTC) applies.
pub fn parse_timestamptz(input: &str) -> Result<i64, SqlError> {
    let v = parse_datetime(input, "timestamp with time zone")?;
    combine(v.days, v.micros_of_day, v.offset_secs.unwrap_or(0), input)
}

fn combine(days: i64, tod: i64, offset: i64, input: &str) -> Result<i64, SqlError> {
    days.checked_mul(MICROS_PER_DAY)
        .and_then(|d| d.checked_add(tod))
        .and_then(|t| t.checked_sub(offset * 1_000_000))
        .ok_or_else(|| SqlError::DatetimeFieldOverflow(input.to_owned()))
}

fn digits(s: &str) -> bool {
    !s.is_empty() && s.bytes().all(|b| b.is_ascii_digit())
}

fn num(s: &str) -> Result<i64, Fail> {
    if !digits(s) || s.len() > 9 {
        return Err(Fail::Syntax);
    }
    s.parse().map_err(|_| Fail::Syntax)
}

fn parse_inner(s: &str) -> Result<ParsedDateTime, Fail> {
    let lower = s.to_ascii_lowercase();
    if lower == "epoch" {
        return Ok(ParsedDateTime {
            days: 0,
            micros_of_day: 0,
            offset_secs: Some(0),
        });
    }
    // Split the date part from the rest at the first space or 'T'.
    let (date_part, rest) = match s.find([' ', 'T', 't']) {
        Some(i) => (&s[..i], s[i + 1..].trim_start()),
        None => (s, ""),
    };
    let (y, m, d) = parse_date_part(date_part)?;
    if !(1..=12).contains(&m) || d < 1 || d > days_in_month(y, m) {
        return Err(Fail::Range);
    }
    let days = days_from_civil(y, m, d);
    let (micros_of_day, offset_secs) = if rest.is_empty() {
        (0, None)
    } else {
        parse_time_and_zone(rest)?
    };
    Ok(ParsedDateTime {
        days,
        micros_of_day,
        offset_secs,
    })
}

fn parse_date_part(s: &str) -> Result<(i64, u32, u32), Fail> {
    let parts: Vec<&str> = s.split('-').collect();
    let (y, m, d) = match parts.as_slice() {
        [y, m, d] if y.len() >= 3 && m.len() <= 2 && d.len() <= 2 => (num(y)?, num(m)?, num(d)?),
        [ymd] if ymd.len() == 8 && digits(ymd) => {
            (num(&ymd[..4])?, num(&ymd[4..6])?, num(&ymd[6..])?)
        }
        _ => return Err(Fail::Syntax),
    };
    let m = u32::try_from(m).map_err(|_| Fail::Range)?;
    let d = u32::try_from(d).map_err(|_| Fail::Range)?;
    if y == 0 {
        return Err(Fail::Range);
    }
    Ok((y, m, d))
}

fn parse_time_and_zone(s: &str) -> Result<(i64, Option<i64>), Fail> {
    // Zone: trailing Z, or a sign after the time.
    let (time, zone) = if let Some(t) = s.strip_suffix(['Z', 'z']) {
        (t.trim_end(), Some(0))
    } else if let Some(i) = s.rfind(['+', '-']) {
        (s[..i].trim_end(), Some(parse_offset(&s[i..])?))
    } else {
        (s, None)
    };
    if time.is_empty() && zone.is_some() {
        // `2024-01-01 +00`: a date with a zone (pgjdbc's `setDate`).
        return Ok((0, zone));
    }
    let parts: Vec<&str> = time.split(':').collect();
    let (h, mi, sec) = match parts.as_slice() {
        [h, m] => (num(h)?, num(m)?, "0"),
        [h, m, s] => (num(h)?, num(m)?, *s),
        _ => return Err(Fail::Syntax),
    };
    let (whole, frac) = match sec.split_once('.') {
        Some((w, f)) => (num(w)?, f),
        None => (num(sec)?, ""),
    };
    if !frac.is_empty() && !digits(frac) {
        return Err(Fail::Syntax);
    }
    let mut frac_micros = 0i64;
    for (i, b) in frac.bytes().take(7).enumerate() {
        let digit = i64::from(b - b'0');
        if i < 6 {
            frac_micros = frac_micros * 10 + digit;
        } else if digit >= 5 {
            frac_micros += 1;
        }
    }
    if frac.len() < 6 {
        frac_micros *= 10i64.pow(6 - frac.len() as u32);
    }
    if mi > 59 || whole > 60 || h > 24 || (h == 24 && (mi > 0 || whole > 0 || frac_micros > 0)) {
        return Err(Fail::Range);
    }
    let micros = ((h * 60 + mi) * 60 + whole) * 1_000_000 + frac_micros;
    Ok((micros, zone))
}

fn parse_offset(s: &str) -> Result<i64, Fail> {
    let sign = if s.starts_with('-') { -1 } else { 1 };
    let body = &s[1..];
    let (h, m) = match body.split_once(':') {
        Some((h, m)) => (num(h)?, num(m)?),
        None if body.len() == 4 => (num(&body[..2])?, num(&body[2..])?),
        None => (num(body)?, 0),
    };
    if h > 15 || m > 59 {
        return Err(Fail::Range);
    }
    Ok(sign * (h * 3600 + m * 60))
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;

    #[test]
    fn civil_round_trip() {
        for days in [-800_000i64, -1, 0, 1, 10_957, 19_875, 2_932_896] {
            let (y, m, d) = civil_from_days(days);
            assert_eq!(days_from_civil(y, m, d), days);
        }
        assert_eq!(days_from_civil(2000, 1, 1), PG_EPOCH_DAYS);
        assert_eq!(civil_from_days(19_875), (2024, 6, 1));
    }

    #[test]
    fn formats_like_postgres() {
        assert_eq!(format_date(19_875), "2024-06-01");
        assert_eq!(
            format_timestamp(19_875 * MICROS_PER_DAY, false),
            "2024-06-01 00:00:00"
        );
        assert_eq!(
            format_timestamp(19_875 * MICROS_PER_DAY + 43_200_123_400, true),
            "2024-06-01 12:00:00.1234+00"
        );
        assert_eq!(format_timestamp(-1, false), "1969-12-31 23:59:59.999999");
        assert_eq!(
            format_date(days_from_civil(-43, 3, 15) as i32),
            "0044-03-15 BC"
        );
    }

    #[test]
    fn parses_literals() {
        assert_eq!(parse_date("2024-06-01").unwrap(), 19_875);
        assert_eq!(parse_date(" 20240601 ").unwrap(), 19_875);
        assert_eq!(parse_date("2024-06-01 13:00:00").unwrap(), 19_875);
        // pgjdbc's setDate: a date with a zone, which date ignores.
        assert_eq!(parse_date("2024-06-01 +00").unwrap(), 19_875);
        assert_eq!(
            parse_timestamptz("2024-06-01 +02").unwrap(),
            parse_timestamptz("2024-05-31 22:00:00+00").unwrap()
        );
        let base = 19_875 * MICROS_PER_DAY;
        assert_eq!(
            parse_timestamp("2024-06-01 12:00:00").unwrap(),
            base + 43_200_000_000
        );
        assert_eq!(
            parse_timestamp("2024-06-01T12:00").unwrap(),
            base + 43_200_000_000
        );
        assert_eq!(
            parse_timestamp("2024-06-01 12:00:00+02").unwrap(),
            base + 43_200_000_000
        );
        assert_eq!(
            parse_timestamptz("2024-06-01 12:00:00+02").unwrap(),
            base + 36_000_000_000
        );
        assert_eq!(
            parse_timestamptz("2024-06-01 12:00:00+00").unwrap(),
            base + 43_200_000_000
        );
        assert_eq!(
            parse_timestamptz("2024-06-01 12:00:00.5Z").unwrap(),
            base + 43_200_500_000
        );
        assert_eq!(
            parse_timestamptz("2024-06-01 00:00:00-05:30").unwrap(),
            base + 19_800_000_000
        );
    }

    #[test]
    fn bad_literals_have_postgres_codes() {
        let e = parse_date("2024-13-45").unwrap_err();
        assert_eq!(e.sqlstate(), "22008");
        assert_eq!(
            e.message(),
            "date/time field value out of range: \"2024-13-45\""
        );
        let e = parse_date("2023-02-29").unwrap_err();
        assert_eq!(e.sqlstate(), "22008");
        let e = parse_date("yesterday-ish").unwrap_err();
        assert_eq!(e.sqlstate(), "22007");
        assert_eq!(
            e.message(),
            "invalid input syntax for type date: \"yesterday-ish\""
        );
        let e = parse_timestamp("2024-06-01 25:00").unwrap_err();
        assert_eq!(e.sqlstate(), "22008");
        let e = parse_timestamp("2024-06-01 noon").unwrap_err();
        assert_eq!(e.sqlstate(), "22007");
    }
}
