//! Running one query on PostgreSQL and on Isotherm and comparing the answers.
//!
//! Two ways through the wire: [`query_text`] (simple protocol, text values, as
//! `psql` sees them) and [`query_typed`] (extended protocol, binary values,
//! with type OIDs). Answers match when column names, column types (typed only),
//! row counts and values agree; rows are compared in order when the query has
//! an ORDER BY, else as multisets. Floats get the tolerance of
//! [`crate::cell::floats_match`], everything else must be exact.

use tokio_postgres::types::ToSql;
use tokio_postgres::{Client, SimpleQueryMessage};

use crate::cell::{Cell, RawValue, texts_match};

/// A query's failure: its SQLSTATE and message.
#[derive(Debug, Clone, PartialEq)]
pub struct DbError {
    pub code: Option<String>,
    pub message: String,
}

impl std::fmt::Display for DbError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "[{}] {}",
            self.code.as_deref().unwrap_or("no SQLSTATE"),
            self.message
        )
    }
}

impl From<tokio_postgres::Error> for DbError {
    fn from(e: tokio_postgres::Error) -> Self {
        DbError {
            code: e.code().map(|c| c.code().to_string()),
            message: match e.as_db_error() {
                Some(db) => db.message().to_string(),
                None => e.to_string(),
            },
        }
    }
}

/// One answer. `types` holds type OIDs (empty for text answers).
#[derive(Debug, Clone, PartialEq)]
pub struct Answer {
    pub columns: Vec<String>,
    pub types: Vec<u32>,
    pub rows: Vec<Vec<Cell>>,
}

impl Answer {
    pub fn render(&self) -> String {
        let mut s = format!("columns {:?}", self.columns);
        if !self.types.is_empty() {
            s.push_str(&format!(" types {:?}", self.types));
        }
        s.push_str(&format!(", {} rows", self.rows.len()));
        for (i, row) in self.rows.iter().enumerate() {
            if i == 40 {
                s.push_str(&format!("\n  ... {} more", self.rows.len() - 40));
                break;
            }
            let cells: Vec<String> = row.iter().map(Cell::to_string).collect();
            s.push_str(&format!("\n  {}", cells.join(" | ")));
        }
        s
    }

    /// The single value of a one-row, one-column answer.
    pub fn scalar(&self) -> Option<&Cell> {
        match self.rows.as_slice() {
            [row] if row.len() == 1 => row.first(),
            _ => None,
        }
    }
}

/// Extended protocol, binary results: names, type OIDs and decoded values.
pub async fn query_typed(client: &Client, sql: &str) -> Result<Answer, DbError> {
    query_params(client, sql, &[]).await
}

/// [`query_typed`] with bound parameters (`$1`, `$2`, ...), whose types the
/// server infers at Parse.
pub async fn query_params(
    client: &Client,
    sql: &str,
    params: &[&(dyn ToSql + Sync)],
) -> Result<Answer, DbError> {
    let stmt = client.prepare(sql).await?;
    let rows = client.query(&stmt, params).await?;
    let columns = stmt
        .columns()
        .iter()
        .map(|c| c.name().to_string())
        .collect();
    let types: Vec<tokio_postgres::types::Type> =
        stmt.columns().iter().map(|c| c.type_().clone()).collect();
    let mut out = Vec::with_capacity(rows.len());
    for row in &rows {
        let mut cells = Vec::with_capacity(types.len());
        for (i, ty) in types.iter().enumerate() {
            let raw: RawValue = row.try_get(i)?;
            let cell = Cell::decode(ty, raw.0.as_deref()).map_err(|e| DbError {
                code: None,
                message: format!("undecodable value in column {i}: {e}"),
            })?;
            cells.push(cell);
        }
        out.push(cells);
    }
    Ok(Answer {
        columns,
        types: types.iter().map(|t| t.oid()).collect(),
        rows: out,
    })
}

/// Simple protocol, text results: every value a string (`Cell::Text`) or NULL.
pub async fn query_text(client: &Client, sql: &str) -> Result<Answer, DbError> {
    let messages = client.simple_query(sql).await?;
    let mut columns = Vec::new();
    let mut rows = Vec::new();
    for m in messages {
        match m {
            SimpleQueryMessage::RowDescription(cols) => {
                columns = cols.iter().map(|c| c.name().to_string()).collect();
            }
            SimpleQueryMessage::Row(row) => {
                if columns.is_empty() {
                    columns = row.columns().iter().map(|c| c.name().to_string()).collect();
                }
                let cells = (0..row.len())
                    .map(|i| match row.get(i) {
                        Some(s) => Cell::Text(s.to_string()),
                        None => Cell::Null,
                    })
                    .collect();
                rows.push(cells);
            }
            _ => {}
        }
    }
    Ok(Answer {
        columns,
        types: Vec::new(),
        rows,
    })
}

/// Does the statement's outermost level have an ORDER BY? (Our queries have
/// no subqueries, so a textual check is enough.)
pub fn has_order_by(sql: &str) -> bool {
    sql.to_ascii_uppercase()
        .split_whitespace()
        .collect::<Vec<_>>()
        .windows(2)
        .any(|w| w == ["ORDER", "BY"])
}

fn cells_match(a: &Cell, b: &Cell, text: bool) -> bool {
    match (a, b) {
        (Cell::Text(x), Cell::Text(y)) if text => texts_match(x, y),
        _ => a.matches(b),
    }
}

fn sorted(rows: &[Vec<Cell>]) -> Vec<Vec<Cell>> {
    let mut rows = rows.to_vec();
    rows.sort_by(|a, b| {
        a.iter()
            .zip(b)
            .map(|(x, y)| x.sort_cmp(y))
            .find(|o| o.is_ne())
            .unwrap_or(std::cmp::Ordering::Equal)
    });
    rows
}

/// Compares two answers; `Err` says how they differ.
pub fn compare(expected: &Answer, got: &Answer, ordered: bool) -> Result<(), String> {
    if expected.columns != got.columns {
        return Err(format!(
            "column names differ: expected {:?}, got {:?}",
            expected.columns, got.columns
        ));
    }
    if !expected.types.is_empty() && !got.types.is_empty() && expected.types != got.types {
        return Err(format!(
            "column type OIDs differ: expected {:?}, got {:?}",
            expected.types, got.types
        ));
    }
    if expected.rows.len() != got.rows.len() {
        return Err(format!(
            "row counts differ: expected {}, got {}",
            expected.rows.len(),
            got.rows.len()
        ));
    }
    let text = expected.types.is_empty();
    let (e, g) = if ordered {
        (expected.rows.clone(), got.rows.clone())
    } else {
        (sorted(&expected.rows), sorted(&got.rows))
    };
    for (i, (er, gr)) in e.iter().zip(&g).enumerate() {
        if er.len() != gr.len() {
            return Err(format!("row {i}: {} vs {} values", er.len(), gr.len()));
        }
        for (j, (ev, gv)) in er.iter().zip(gr).enumerate() {
            if !cells_match(ev, gv, text) {
                return Err(format!(
                    "row {i}{}, column {:?}: expected {ev}, got {gv}",
                    if ordered { "" } else { " (after sorting)" },
                    expected.columns.get(j).map(String::as_str).unwrap_or("?"),
                ));
            }
        }
    }
    Ok(())
}

/// Which protocol(s) to compare through.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Mode {
    Text,
    Typed,
    Both,
}

/// PostgreSQL (the oracle) and Isotherm, each with a client.
pub struct Oracle<'a> {
    pub pg: &'a Client,
    pub iso: &'a Client,
}

impl Oracle<'_> {
    /// Runs `sql` on both and compares; `Err` is a full report (SQL, both answers).
    pub async fn check(&self, sql: &str, mode: Mode) -> Result<(), String> {
        let ordered = has_order_by(sql);
        if matches!(mode, Mode::Text | Mode::Both) {
            let pg = query_text(self.pg, sql).await;
            let iso = query_text(self.iso, sql).await;
            report(sql, "simple/text", pg, iso, ordered)?;
        }
        if matches!(mode, Mode::Typed | Mode::Both) {
            let pg = query_typed(self.pg, sql).await;
            let iso = query_typed(self.iso, sql).await;
            report(sql, "extended/binary", pg, iso, ordered)?;
        }
        Ok(())
    }

    /// Runs `sql` on both; both must fail with the same SQLSTATE (and it must
    /// be `expected`, when given).
    pub async fn check_error(&self, sql: &str, expected: Option<&str>) -> Result<(), String> {
        let pg = query_text(self.pg, sql).await;
        let iso = query_text(self.iso, sql).await;
        match (pg, iso) {
            (Err(p), Err(i)) => {
                if p.code != i.code {
                    return Err(format!(
                        "SQL: {sql}\nSQLSTATE differs: PostgreSQL {p}, Isotherm {i}"
                    ));
                }
                if let Some(code) = expected
                    && p.code.as_deref() != Some(code)
                {
                    return Err(format!("SQL: {sql}\nexpected {code}, both gave {p}"));
                }
                Ok(())
            }
            (p, i) => Err(format!(
                "SQL: {sql}\nexpected both to fail; PostgreSQL: {}; Isotherm: {}",
                outcome(&p),
                outcome(&i)
            )),
        }
    }
}

fn outcome(r: &Result<Answer, DbError>) -> String {
    match r {
        Ok(a) => format!("ok, {} rows", a.rows.len()),
        Err(e) => e.to_string(),
    }
}

fn report(
    sql: &str,
    how: &str,
    pg: Result<Answer, DbError>,
    iso: Result<Answer, DbError>,
    ordered: bool,
) -> Result<(), String> {
    match (pg, iso) {
        (Ok(p), Ok(i)) => compare(&p, &i, ordered).map_err(|why| {
            format!(
                "SQL ({how}): {sql}\n{why}\n-- PostgreSQL: {}\n-- Isotherm:   {}",
                p.render(),
                i.render()
            )
        }),
        (Err(p), Err(i)) if p.code == i.code => Ok(()),
        (p, i) => Err(format!(
            "SQL ({how}): {sql}\nPostgreSQL: {}\nIsotherm:   {}",
            outcome(&p),
            outcome(&i)
        )),
    }
}

/// Runs every query, collecting failures instead of stopping at the first.
pub async fn check_all(oracle: &Oracle<'_>, queries: &[String], mode: Mode) -> Vec<String> {
    let mut failures = Vec::new();
    for sql in queries {
        if let Err(e) = oracle.check(sql, mode).await {
            failures.push(e);
        }
    }
    failures
}

/// Panics with every failure (and a count) if any.
pub fn assert_no_failures(what: &str, total: usize, failures: &[String]) {
    if !failures.is_empty() {
        let shown: Vec<&str> = failures.iter().take(25).map(String::as_str).collect();
        panic!(
            "{what}: {} of {total} queries differ from PostgreSQL\n\n{}",
            failures.len(),
            shown.join("\n\n")
        );
    }
}

/// `psql -At` output as an answer: one row per line, values split on `|`
/// (an empty value stands for NULL or ''; `psql -At` cannot tell them apart).
pub fn psql_answer(out: &str) -> Answer {
    Answer {
        columns: Vec::new(),
        types: Vec::new(),
        rows: out
            .lines()
            .map(|l| l.split('|').map(|v| Cell::Text(v.to_string())).collect())
            .collect(),
    }
}

/// Compares two `psql -At` outputs for `sql` (floats with tolerance).
pub fn compare_psql(sql: &str, pg_out: &str, iso_out: &str) -> Result<(), String> {
    compare(
        &psql_answer(pg_out),
        &psql_answer(iso_out),
        has_order_by(sql),
    )
    .map_err(|why| format!("psql: {sql}\n{why}\n-- PostgreSQL:\n{pg_out}\n-- Isotherm:\n{iso_out}"))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ans(rows: Vec<Vec<Cell>>) -> Answer {
        Answer {
            columns: vec!["a".into(), "b".into()],
            types: vec![25, 701],
            rows,
        }
    }

    #[test]
    fn psql_outputs_compare() {
        assert!(compare_psql("SELECT 1", "a|1.5\nb|2\n", "b|2\na|1.5000000000000002\n").is_ok());
        assert!(compare_psql("SELECT 1 ORDER BY 1", "a|1\nb|2\n", "b|2\na|1\n").is_err());
        assert!(compare_psql("SELECT 1", "a|1\n", "a|2\n").is_err());
    }

    #[test]
    fn order_by_detection() {
        assert!(has_order_by("SELECT 1 ORDER  BY 1"));
        assert!(has_order_by("select a from t order\nby a"));
        assert!(!has_order_by("SELECT border, by FROM t"));
    }

    #[test]
    fn unordered_answers_compare_as_multisets() {
        let x = ans(vec![
            vec![Cell::Text("x".into()), Cell::Float(0.3)],
            vec![Cell::Text("y".into()), Cell::Null],
        ]);
        let y = ans(vec![
            vec![Cell::Text("y".into()), Cell::Null],
            vec![Cell::Text("x".into()), Cell::Float(0.1 + 0.2)],
        ]);
        assert!(compare(&x, &y, false).is_ok());
        assert!(compare(&x, &y, true).is_err());
        let mut z = y.clone();
        z.types = vec![25, 700];
        assert!(
            compare(&x, &z, false)
                .expect_err("types")
                .contains("type OIDs")
        );
        z = y.clone();
        z.columns = vec!["a".into(), "c".into()];
        assert!(
            compare(&x, &z, false)
                .expect_err("names")
                .contains("column names")
        );
        z = y.clone();
        z.rows.pop();
        assert!(
            compare(&x, &z, false)
                .expect_err("count")
                .contains("row counts")
        );
        z = y;
        z.rows[1][1] = Cell::Float(0.31);
        assert!(
            compare(&x, &z, false)
                .expect_err("value")
                .contains("expected 0.3")
        );
    }

    #[tokio::test]
    async fn postgres_against_itself_matches_and_errors_carry_sqlstate() {
        let db = crate::pg::cluster()
            .expect("cluster")
            .create_database("compare_self")
            .await
            .expect("db");
        let a = db.connect().await.expect("a");
        let b = db.connect().await.expect("b");
        a.batch_execute(
            "CREATE TABLE t (d date, x float8, s text); \
             INSERT INTO t VALUES ('2024-01-01', 1.5, 'é'), ('2024-01-02', NULL, 'b'), (NULL, '-0', NULL)",
        )
        .await
        .expect("setup");
        let o = Oracle { pg: &a, iso: &b };
        for sql in [
            "SELECT * FROM t",
            "SELECT d, sum(x), count(*), extract(year from d), date_trunc('month', d) FROM t GROUP BY d ORDER BY d",
            "SELECT s FROM t WHERE false",
        ] {
            o.check(sql, Mode::Both).await.expect(sql);
        }
        let typed = query_typed(
            &a,
            "SELECT extract(year from d), date_trunc('week', d) FROM t WHERE d = '2024-01-02'",
        )
        .await
        .expect("typed");
        assert_eq!(typed.columns, ["extract", "date_trunc"]);
        assert_eq!(typed.rows[0][0], Cell::Numeric("2024".into()));
        assert_eq!(typed.rows[0][1].to_string(), "2024-01-01 00:00:00+00");
        let neg = query_typed(&a, "SELECT x FROM t WHERE d IS NULL")
            .await
            .expect("neg zero");
        assert!(matches!(neg.rows[0][0], Cell::Float(v) if v == 0.0 && v.is_sign_negative()));
        o.check_error("SELECT * FROM nope", Some("42P01"))
            .await
            .expect("42P01");
        o.check_error("SELECT nope FROM t", Some("42703"))
            .await
            .expect("42703");
        o.check_error("SELEC 1", Some("42601"))
            .await
            .expect("42601");
        o.check_error("SELECT * FROM t WHERE d = '2024-13-01'", Some("22008"))
            .await
            .expect("22008");
        assert!(o.check_error("SELECT 1", None).await.is_err());
        let err = query_text(&a, "SELECT * FROM t WHERE x = 'abc'")
            .await
            .expect_err("22P02");
        assert_eq!(err.code.as_deref(), Some("22P02"));
        // The connection stays usable after errors.
        assert_eq!(
            query_text(&a, "SELECT 1").await.expect("usable").scalar(),
            Some(&Cell::Text("1".into()))
        );
    }
}
