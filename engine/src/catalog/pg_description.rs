//! `pg_description`: PostgreSQL 15's descriptions of its builtin objects.
//!
//! datafusion-pg-catalog's rows come from a newer PostgreSQL, whose texts
//! differ (`boolean, format 't'/'f'` where 15 says `boolean, 'true'/'false'`);
//! DBeaver shows them next to every type and function. `pg_description15.tsv`
//! is PostgreSQL 15.18's, made on a fresh cluster with
//!
//! ```text
//! psql -Atc "COPY (SELECT objoid, classoid, objsubid, description FROM pg_description
//!            ORDER BY classoid, objoid, objsubid) TO STDOUT" > pg_description15.tsv
//! ```
//!
//! (COPY's text format: tab-separated, backslash escapes). Isotherm's own
//! objects have no comments, so these are all the rows.

use std::sync::{Arc, OnceLock};

use datafusion::datasource::MemTable;
use datafusion::error::Result;

use super::table::{Kind, Spec, V, kept_table};

const ROWS: &str = include_str!("pg_description15.tsv");

const SPEC: Spec = &[
    ("objoid", Kind::Oid),
    ("classoid", Kind::Oid),
    ("objsubid", Kind::Int4),
    ("description", Kind::Text),
];

/// Undoes COPY text escaping (`\t`, `\n`, `\\`, ...).
fn unescape(field: &str) -> String {
    let mut out = String::with_capacity(field.len());
    let mut chars = field.chars();
    while let Some(c) = chars.next() {
        if c != '\\' {
            out.push(c);
            continue;
        }
        match chars.next() {
            Some('t') => out.push('\t'),
            Some('n') => out.push('\n'),
            Some('r') => out.push('\r'),
            Some(other) => out.push(other),
            None => {}
        }
    }
    out
}

fn rows() -> Vec<Vec<V>> {
    ROWS.lines()
        .filter_map(|line| {
            let mut parts = line.splitn(4, '\t');
            let mut int = || parts.next()?.parse::<i64>().ok();
            let (objoid, classoid, objsubid) = (int()?, int()?, int()?);
            let description = unescape(parts.next()?);
            Some(vec![
                V::Int(objoid),
                V::Int(classoid),
                V::Int(objsubid),
                V::Text(description),
            ])
        })
        .collect()
}

/// The comment on object `objoid` of catalog `classoid` (any catalog when
/// `None`, as PostgreSQL's deprecated one-argument `obj_description` looks),
/// not on one of its columns: what `obj_description` returns.
pub fn object_description(objoid: i64, classoid: Option<i64>) -> Option<&'static str> {
    type ByObject = std::collections::HashMap<i64, Vec<(i64, String)>>;
    static OBJECTS: OnceLock<ByObject> = OnceLock::new();
    let objects = OBJECTS.get_or_init(|| {
        let mut by_object = ByObject::new();
        for row in rows() {
            if let [V::Int(objoid), V::Int(classoid), V::Int(0), V::Text(text)] = row.as_slice() {
                by_object
                    .entry(*objoid)
                    .or_default()
                    .push((*classoid, text.clone()));
            }
        }
        by_object
    });
    objects
        .get(&objoid)?
        .iter()
        .find(|(c, _)| classoid.is_none_or(|want| *c == want))
        .map(|(_, text)| text.as_str())
}

/// The table, built on first use and kept.
pub fn table() -> Result<Arc<MemTable>> {
    static TABLE: OnceLock<Arc<MemTable>> = OnceLock::new();
    kept_table(&TABLE, SPEC, rows)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn postgres_15_descriptions() {
        let rows = rows();
        assert_eq!(rows.len(), ROWS.lines().count());
        // pg_type "bool" (classoid 1247).
        let bool_type = rows
            .iter()
            .find(|r| r[0] == V::Int(16) && r[1] == V::Int(1247));
        assert_eq!(
            bool_type.map(|r| r[3].clone()),
            Some(V::from("boolean, 'true'/'false'"))
        );
        assert_eq!(unescape("a\\tb\\\\c"), "a\tb\\c");
    }

    #[test]
    fn object_descriptions_by_catalog() {
        // pg_type 16 is bool; pg_namespace 11 is pg_catalog.
        assert_eq!(
            object_description(16, Some(1247)),
            Some("boolean, 'true'/'false'")
        );
        assert_eq!(
            object_description(11, Some(2615)),
            Some("system catalog schema")
        );
        assert_eq!(object_description(11, None), Some("system catalog schema"));
        assert_eq!(object_description(16, Some(1259)), None);
        assert_eq!(object_description(987_654_321, None), None);
    }
}
