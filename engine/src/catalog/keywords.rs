//! `pg_get_keywords()`: PostgreSQL 15's keywords.
//!
//! datafusion-pg-catalog's list comes from a newer PostgreSQL; pgjdbc's
//! `getSQLKeywords` (DBeaver reads it on connect) would then differ.
//! `keywords15.txt` is PostgreSQL 15.18's `pg_get_keywords()`, one keyword
//! per line: `word catcode b|-` (`b`: can be a bare column label). The
//! description columns follow from the codes, as in PostgreSQL.

use std::sync::{Arc, OnceLock};

use datafusion::catalog::{TableFunctionArgs, TableFunctionImpl, TableProvider};
use datafusion::datasource::MemTable;
use datafusion::error::Result;

use super::table::{Kind, Spec, V, kept_table};

const KEYWORDS: &str = include_str!("keywords15.txt");

const SPEC: Spec = &[
    ("word", Kind::Text),
    ("catcode", Kind::Char),
    ("barelabel", Kind::Bool),
    ("catdesc", Kind::Text),
    ("baredesc", Kind::Text),
];

fn category(code: &str) -> &'static str {
    match code {
        "U" => "unreserved",
        "C" => "unreserved (cannot be function or type name)",
        "T" => "reserved (can be function or type name)",
        _ => "reserved",
    }
}

fn rows() -> Vec<Vec<V>> {
    KEYWORDS
        .lines()
        .filter_map(|line| {
            let mut parts = line.split_whitespace();
            let (word, code, bare) = (parts.next()?, parts.next()?, parts.next()? == "b");
            Some(vec![
                V::from(word),
                V::from(code),
                V::from(bare),
                V::from(category(code)),
                V::from(if bare {
                    "can be bare label"
                } else {
                    "requires AS"
                }),
            ])
        })
        .collect()
}

/// The table function, registered over datafusion-pg-catalog's; the table
/// is built on first use and kept.
#[derive(Debug, Default)]
pub struct Keywords {
    table: OnceLock<Arc<MemTable>>,
}

impl TableFunctionImpl for Keywords {
    fn call_with_args(&self, _args: TableFunctionArgs) -> Result<Arc<dyn TableProvider>> {
        Ok(kept_table(&self.table, SPEC, rows)?)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn postgres_15_keywords() {
        let rows = rows();
        assert_eq!(rows.len(), 460);
        let select = rows.iter().find(|r| r[0] == V::from("select"));
        assert_eq!(
            select.map(|r| r[1..].to_vec()),
            Some(vec![
                V::from("R"),
                V::from(true),
                V::from("reserved"),
                V::from("can be bare label")
            ])
        );
    }
}
