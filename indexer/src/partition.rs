//! Hive partition paths: `col=value[/col=value...]`.
//!
//! Values are percent-decoded as Hive writes them (`%2F` is `/`), the column
//! `date` must hold `YYYY-MM-DD` (typed `date`), every other column is `text`,
//! and `__HIVE_DEFAULT_PARTITION__` is NULL. The normalized path re-escapes
//! values the way Hive does, so one partition always has one spelling.

use crate::calendar::{format_date, parse_date};
use crate::error::{IndexError, Result};
use crate::value::{ScalarType, Value};

/// Hive's spelling of a NULL partition value.
pub const HIVE_NULL: &str = "__HIVE_DEFAULT_PARTITION__";

/// A parsed partition path.
#[derive(Debug, Clone, PartialEq)]
pub struct PartitionKey {
    /// The normalized path, e.g. `date=2024-06-01/region=europe`.
    pub path: String,
    /// Column name and value, in path order.
    pub values: Vec<(String, Value)>,
}

/// The SQL type of a partition column.
pub fn partition_column_type(name: &str) -> ScalarType {
    if name == "date" {
        ScalarType::Date
    } else {
        ScalarType::Text
    }
}

/// Parses and normalizes a partition path (leading and trailing `/` ignored).
pub fn parse_partition_path(path: &str) -> Result<PartitionKey> {
    let bad = |reason: String| IndexError::BadPartitionPath {
        path: path.to_owned(),
        reason,
    };
    let trimmed = path.trim_matches('/');
    if trimmed.is_empty() {
        return Err(bad("no col=value parts".into()));
    }
    let mut values: Vec<(String, Value)> = Vec::new();
    let mut parts = Vec::new();
    for part in trimmed.split('/') {
        if part.is_empty() {
            return Err(bad("empty path component".into()));
        }
        let Some((raw_col, raw_val)) = part.split_once('=') else {
            return Err(bad(format!("component \"{part}\" has no '='")));
        };
        let col =
            unescape(raw_col).ok_or_else(|| bad(format!("column \"{raw_col}\" is not UTF-8")))?;
        if col.is_empty() {
            return Err(bad(format!(
                "component \"{part}\" has an empty column name"
            )));
        }
        if raw_val.is_empty() {
            return Err(bad(format!("column \"{col}\" has an empty value")));
        }
        if values.iter().any(|(c, _)| *c == col) {
            return Err(bad(format!("column \"{col}\" appears twice")));
        }
        let val =
            unescape(raw_val).ok_or_else(|| bad(format!("value \"{raw_val}\" is not UTF-8")))?;
        let value = if val == HIVE_NULL {
            Value::Null
        } else if partition_column_type(&col) == ScalarType::Date {
            Value::Date(
                parse_date(&val).ok_or_else(|| bad(format!("date \"{val}\" is not YYYY-MM-DD")))?,
            )
        } else {
            Value::Text(val)
        };
        parts.push(format!("{}={}", escape(&col), escape(&value_text(&value))));
        values.push((col, value));
    }
    Ok(PartitionKey {
        path: parts.join("/"),
        values,
    })
}

/// A partition value's path spelling (unescaped).
pub fn value_text(v: &Value) -> String {
    match v {
        Value::Null => HIVE_NULL.to_owned(),
        Value::Date(d) => format_date(*d),
        Value::Text(s) => s.clone(),
        other => format!("{other:?}"),
    }
}

fn needs_escape(c: char) -> bool {
    c < ' '
        || matches!(
            c,
            '"' | '#'
                | '%'
                | '\''
                | '*'
                | '/'
                | ':'
                | '='
                | '?'
                | '\\'
                | '\u{7f}'
                | '{'
                | '['
                | ']'
                | '^'
        )
}

/// Hive's `escapePathName`.
pub fn escape(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        if needs_escape(c) {
            out.push_str(&format!("%{:02X}", c as u32));
        } else {
            out.push(c);
        }
    }
    out
}

/// Hive's `unescapePathName`: `%XX` decoded, malformed escapes kept as is.
fn unescape(s: &str) -> Option<String> {
    let b = s.as_bytes();
    let mut out = Vec::with_capacity(b.len());
    let mut i = 0;
    while i < b.len() {
        if b[i] == b'%' && i + 2 < b.len() {
            let hex = std::str::from_utf8(&b[i + 1..i + 3]).ok();
            if let Some(v) = hex.and_then(|h| u8::from_str_radix(h, 16).ok()) {
                out.push(v);
                i += 3;
                continue;
            }
        }
        out.push(b[i]);
        i += 1;
    }
    String::from_utf8(out).ok()
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;

    #[test]
    fn parses_and_normalizes() {
        let k = parse_partition_path("/date=2024-06-01/region=europe/").unwrap();
        assert_eq!(k.path, "date=2024-06-01/region=europe");
        assert_eq!(
            k.values,
            vec![
                ("date".into(), Value::Date(19_875)),
                ("region".into(), Value::Text("europe".into()))
            ]
        );
        let k = parse_partition_path("region=a%2fb%20c/date=__HIVE_DEFAULT_PARTITION__").unwrap();
        assert_eq!(k.values[0].1, Value::Text("a/b c".into()));
        assert_eq!(k.values[1].1, Value::Null);
        assert_eq!(k.path, "region=a%2Fb c/date=__HIVE_DEFAULT_PARTITION__");
        let k = parse_partition_path("region=100%").unwrap();
        assert_eq!(k.values[0].1, Value::Text("100%".into()));
        assert_eq!(parse_partition_path(&k.path).unwrap(), k);
    }

    #[test]
    fn rejects_malformed() {
        for bad in [
            "",
            "/",
            "date",
            "date=",
            "=x",
            "a=1//b=2",
            "a=1/a=2",
            "date=2024-13-01",
            "date=yesterday",
        ] {
            let r = parse_partition_path(bad);
            assert!(
                matches!(r, Err(IndexError::BadPartitionPath { .. })),
                "{bad}: {r:?}"
            );
        }
    }
}
