//! `COPY ... TO STDOUT`: options and the text, CSV and binary formats,
//! byte for byte as PostgreSQL 15 writes them.
//!
//! - text: columns separated by the delimiter (tab), rows ended by `\n`,
//!   NULL as `\N`; backslash, newline, carriage return, tab, backspace, form
//!   feed, vertical tab and the delimiter are backslash-escaped.
//! - csv: delimiter `,`, NULL as the empty string; a value is quoted when it
//!   contains the delimiter, the quote, `\r` or `\n`, equals the NULL string
//!   or is `\.` alone; inside quotes the quote and escape characters are
//!   preceded by the escape character.
//! - binary: `PGCOPY\n\377\r\n\0`, i32 flags 0, i32 extension length 0; per
//!   row i16 field count then (i32 length | -1, binary value) per field;
//!   trailer i16 -1.
//!
//! `HEADER` writes the column names first (text and CSV). `COPY ... FROM` is
//! refused: Isotherm's tables are written through the admin API.

use bytes::{BufMut, Bytes, BytesMut};
use pgwire::api::portal::Format;
use sqlparser::ast::{CopyLegacyCsvOption, CopyLegacyOption, CopyOption};

use crate::error::{SqlError, SqlResult};
use crate::rows::Rows;
use crate::types::TextOptions;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum CopyFormat {
    Text,
    Csv,
    Binary,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CopyOptions {
    pub format: CopyFormat,
    pub header: bool,
    pub delimiter: char,
    pub null: String,
    pub quote: char,
    pub escape: char,
    /// `FORCE_QUOTE`: column names, or `*` for all.
    pub force_quote: Vec<String>,
}

impl CopyOptions {
    /// Reads `WITH (...)` and the pre-9.0 forms (`CSV HEADER`, `BINARY`).
    pub fn parse(options: &[CopyOption], legacy: &[CopyLegacyOption]) -> SqlResult<CopyOptions> {
        let mut format = CopyFormat::Text;
        let (mut header, mut delimiter, mut null, mut quote, mut escape) =
            (false, None, None, None, None);
        let mut force_quote = Vec::new();
        for o in options {
            match o {
                CopyOption::Format(f) => {
                    format = match f.value.to_lowercase().as_str() {
                        "text" => CopyFormat::Text,
                        "csv" => CopyFormat::Csv,
                        "binary" => CopyFormat::Binary,
                        other => {
                            return Err(SqlError::InvalidParameterValue(format!(
                                "COPY format \"{other}\" not recognized"
                            )));
                        }
                    }
                }
                CopyOption::Header(h) => header = *h,
                CopyOption::Delimiter(c) => delimiter = Some(*c),
                CopyOption::Null(s) => null = Some(s.clone()),
                CopyOption::Quote(c) => quote = Some(*c),
                CopyOption::Escape(c) => escape = Some(*c),
                CopyOption::ForceQuote(cols) => {
                    force_quote.extend(cols.iter().map(|c| c.value.clone()))
                }
                CopyOption::Encoding(e) => check_encoding(e)?,
                CopyOption::Freeze(_) | CopyOption::ForceNotNull(_) | CopyOption::ForceNull(_) => {
                    return Err(SqlError::unsupported(format!("COPY TO option {o}")));
                }
            }
        }
        for o in legacy {
            match o {
                CopyLegacyOption::Binary => format = CopyFormat::Binary,
                CopyLegacyOption::Header => header = true,
                CopyLegacyOption::Delimiter(c) => delimiter = Some(*c),
                CopyLegacyOption::Null(s) => null = Some(s.clone()),
                CopyLegacyOption::Csv(csv) => {
                    format = CopyFormat::Csv;
                    for c in csv {
                        match c {
                            CopyLegacyCsvOption::Header => header = true,
                            CopyLegacyCsvOption::Quote(q) => quote = Some(*q),
                            CopyLegacyCsvOption::Escape(e) => escape = Some(*e),
                            CopyLegacyCsvOption::ForceQuote(cols) => {
                                force_quote.extend(cols.iter().map(|c| c.value.clone()))
                            }
                            CopyLegacyCsvOption::ForceNotNull(_) => {
                                return Err(SqlError::unsupported("COPY TO FORCE NOT NULL"));
                            }
                        }
                    }
                }
                other => return Err(SqlError::unsupported(format!("COPY option {other}"))),
            }
        }
        let csv = format == CopyFormat::Csv;
        if format == CopyFormat::Binary && (header || delimiter.is_some() || null.is_some()) {
            return Err(SqlError::Syntax(
                "cannot specify DELIMITER, NULL or HEADER in BINARY mode".into(),
            ));
        }
        if !csv && (quote.is_some() || escape.is_some() || !force_quote.is_empty()) {
            return Err(SqlError::unsupported(
                "COPY QUOTE, ESCAPE and FORCE_QUOTE outside CSV mode",
            ));
        }
        let quote = quote.unwrap_or('"');
        Ok(CopyOptions {
            format,
            header,
            delimiter: delimiter.unwrap_or(if csv { ',' } else { '\t' }),
            null: null.unwrap_or_else(|| if csv { String::new() } else { "\\N".into() }),
            quote,
            escape: escape.unwrap_or(quote),
            force_quote,
        })
    }

    /// CopyOutResponse's overall format code.
    pub fn format_code(&self) -> i8 {
        i8::from(self.format == CopyFormat::Binary)
    }
}

fn check_encoding(e: &str) -> SqlResult<()> {
    match e.to_uppercase().replace(['-', '_'], "").as_str() {
        "UTF8" | "UNICODE" => Ok(()),
        _ => Err(SqlError::unsupported(format!("COPY ENCODING '{e}'"))),
    }
}

/// The CopyData payloads of `rows`, split as PostgreSQL splits them: the
/// text/CSV header line alone, then one per row (binary: the signature with
/// the first row, the trailer alone).
pub fn copy_data(rows: &Rows, o: &CopyOptions, opts: TextOptions) -> SqlResult<Vec<Bytes>> {
    let columns = rows.columns();
    let mut out = Vec::with_capacity(rows.len() + 2);
    if o.format == CopyFormat::Binary {
        // PostgreSQL sends the signature in the first row's message (or
        // the trailer's, without rows).
        let mut b = BytesMut::new();
        b.put_slice(b"PGCOPY\n\xff\r\n\0");
        b.put_i32(0);
        b.put_i32(0);
        let encoded = rows.encode(0..rows.len(), &Format::UnifiedBinary, opts)?;
        for r in encoded {
            b.put_i16(r.field_count);
            b.put_slice(&r.data);
            out.push(b.split().freeze());
        }
        b.put_i16(-1);
        out.push(b.freeze());
        return Ok(out);
    }
    let forced: Vec<bool> = columns
        .iter()
        .map(|c| o.force_quote.iter().any(|f| f == "*" || *f == c.name))
        .collect();
    let single = columns.len() == 1;
    if o.header {
        let mut line = String::new();
        for (i, c) in columns.iter().enumerate() {
            if i > 0 {
                line.push(o.delimiter);
            }
            push_value(&mut line, &c.name, o, false, single);
        }
        line.push('\n');
        out.push(Bytes::from(line));
    }
    for r in 0..rows.len() {
        let mut line = String::new();
        for (i, force) in forced.iter().enumerate() {
            if i > 0 {
                line.push(o.delimiter);
            }
            match rows.text(r, i, opts)? {
                None => line.push_str(&o.null),
                Some(v) => push_value(&mut line, &v, o, *force, single),
            }
        }
        line.push('\n');
        out.push(Bytes::from(line));
    }
    Ok(out)
}

fn push_value(out: &mut String, v: &str, o: &CopyOptions, force: bool, single: bool) {
    if o.format == CopyFormat::Csv {
        let quote = force
            || v == o.null
            || (single && v == "\\.")
            || v.chars()
                .any(|c| c == o.delimiter || c == o.quote || c == '\n' || c == '\r');
        if !quote {
            out.push_str(v);
            return;
        }
        out.push(o.quote);
        for c in v.chars() {
            if c == o.quote || c == o.escape {
                out.push(o.escape);
            }
            out.push(c);
        }
        out.push(o.quote);
        return;
    }
    for c in v.chars() {
        match c {
            '\\' => out.push_str("\\\\"),
            '\n' => out.push_str("\\n"),
            '\r' => out.push_str("\\r"),
            '\t' => out.push_str("\\t"),
            '\u{8}' => out.push_str("\\b"),
            '\u{c}' => out.push_str("\\f"),
            '\u{b}' => out.push_str("\\v"),
            c if c == o.delimiter => {
                out.push('\\');
                out.push(c);
            }
            c => out.push(c),
        }
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;
    use crate::sql::Field;
    use crate::types::PgType;
    use isotherm_indexer::Value;

    fn rows() -> Rows {
        Rows::Values {
            fields: vec![
                Field::new("a b", PgType::Text),
                Field::new("n", PgType::Int8),
            ],
            rows: vec![
                vec![Value::Text("x,\"y\"\n".into()), Value::Int64(1)],
                vec![Value::Text(String::new()), Value::Null],
                vec![Value::Text("t\tab\\".into()), Value::Int64(-2)],
            ],
        }
    }

    fn text(o: &CopyOptions) -> String {
        copy_data(&rows(), o, TextOptions::default())
            .unwrap()
            .iter()
            .map(|b| String::from_utf8(b.to_vec()).unwrap())
            .collect()
    }

    #[test]
    fn text_and_csv_like_postgres() {
        let t = CopyOptions::parse(&[], &[]).unwrap();
        assert_eq!(text(&t), "x,\"y\"\\n\t1\n\t\\N\nt\\tab\\\\\t-2\n");
        let csv = CopyOptions::parse(
            &[
                CopyOption::Format(sqlparser::ast::Ident::new("csv")),
                CopyOption::Header(true),
            ],
            &[],
        )
        .unwrap();
        assert_eq!(
            text(&csv),
            "a b,n\n\"x,\"\"y\"\"\n\",1\n\"\",\nt\tab\\,-2\n"
        );
        let legacy = CopyOptions::parse(
            &[],
            &[CopyLegacyOption::Csv(vec![CopyLegacyCsvOption::Header])],
        )
        .unwrap();
        assert_eq!(legacy, csv);
    }

    #[test]
    fn binary_has_signature_rows_and_trailer() {
        let b = CopyOptions::parse(&[], &[CopyLegacyOption::Binary]).unwrap();
        let data = copy_data(&rows(), &b, TextOptions::default()).unwrap();
        assert_eq!(&data[0][..11], b"PGCOPY\n\xff\r\n\0");
        assert_eq!(data.len(), 4);
        assert_eq!(&data[3][..], &[0xff, 0xff]);
        assert_eq!(&data[1][..], &[0, 2, 0, 0, 0, 0, 255, 255, 255, 255]);
        let empty = Rows::Values {
            fields: vec![Field::new("n", PgType::Int8)],
            rows: vec![],
        };
        let data = copy_data(&empty, &b, TextOptions::default()).unwrap();
        assert_eq!(data.len(), 1);
        assert_eq!(data[0].len(), 21);
    }
}
