//! Comparing one client's run against PostgreSQL with its run against Isotherm.
//!
//! A run is the list of step records a driver printed (see [`super`] for the
//! format). Steps are matched by name, in PostgreSQL's order. Within a step every
//! field is compared exactly, with these rules and no others:
//!
//! 1. **Errors compare by SQLSTATE only.** Message wording, positions and
//!    driver tracebacks (`message`, `trace`) are not compared: PostgreSQL's
//!    phrasing is not part of the contract, its codes are.
//! 2. **Floats compare within 1e-9 relative** ([`crate::cell::texts_match`], the
//!    rule the differential suite uses): PostgreSQL and Isotherm sum in different
//!    orders. A value may carry a client's type tag (`number:1.5`, `Decimal:2`):
//!    the tags must be equal and the rest is compared as above.
//! 3. **psql's aligned and CSV layout**: when two output lines differ, they are
//!    compared cell by cell (split on `|`, `+`, `,` and tabs, trimmed, runs of
//!    `-` collapsed). psql sizes columns and rules from the widest value, so a
//!    float that differs in its last digit (rule 2) shifts the layout; values and
//!    headers are still compared one by one.
//! 4. **Per-step rules** in [`normalise`]: none is needed today (the drivers ask
//!    only for objects both servers have: schema `public`, database `isotherm`,
//!    role `isotherm`; version strings are reduced to the major version by the
//!    drivers). Add one there, commented, only where PostgreSQL legitimately
//!    differs (its own catalog objects, OIDs of its tables).

use serde_json::Value as Json;

use crate::cell::texts_match;

/// How many differing rows a step's report shows.
const MAX_ROWS_SHOWN: usize = 5;
/// Longest rendering of one value in a report.
const MAX_SHOWN: usize = 400;

/// One step's differences, ready to print.
#[derive(Debug, Clone, PartialEq)]
pub struct StepDiff {
    pub step: String,
    pub sql: Option<String>,
    pub lines: Vec<String>,
}

/// A whole client's comparison.
#[derive(Debug, Clone, Default)]
pub struct Report {
    pub client: String,
    pub steps: usize,
    pub diffs: Vec<StepDiff>,
    /// Problems with the runs themselves (crash, timeout, unparsable output).
    pub notes: Vec<String>,
    /// Isotherm's recent warnings and errors, shown after the differences.
    pub server_log: String,
}

impl Report {
    pub fn passed(&self) -> usize {
        self.steps.saturating_sub(self.diffs.len())
    }

    pub fn is_clean(&self) -> bool {
        self.diffs.is_empty() && self.notes.is_empty()
    }

    /// The report as text: a summary line, notes, then each differing step.
    pub fn render(&self) -> String {
        let mut out = format!(
            "== {}: {} passed, {} failed (steps where Isotherm differs from PostgreSQL 15)\n",
            self.client,
            self.passed(),
            self.diffs.len()
        );
        for n in &self.notes {
            out.push_str(&format!("!! {n}\n"));
        }
        for d in &self.diffs {
            out.push_str(&format!("-- [{}] step `{}`", self.client, d.step));
            if let Some(sql) = &d.sql {
                out.push_str(&format!(": {}", clip(sql)));
            }
            out.push('\n');
            for l in &d.lines {
                out.push_str(&format!("   {l}\n"));
            }
        }
        if !self.diffs.is_empty() {
            let names: Vec<&str> = self.diffs.iter().map(|d| d.step.as_str()).collect();
            out.push_str(&format!(
                "== {}: failing steps: {}\n",
                self.client,
                names.join(", ")
            ));
        }
        if !self.server_log.trim().is_empty() {
            out.push_str(&format!(
                "== Isotherm's recent warnings and errors:\n{}\n",
                self.server_log.trim_end()
            ));
        }
        out
    }
}

fn clip(s: &str) -> String {
    if s.chars().count() <= MAX_SHOWN {
        s.to_string()
    } else {
        let head: String = s.chars().take(MAX_SHOWN).collect();
        format!("{head}...")
    }
}

fn show(v: &Json) -> String {
    clip(&v.to_string())
}

fn step_name(s: &Json) -> String {
    s.get("step")
        .and_then(Json::as_str)
        .unwrap_or("?")
        .to_string()
}

/// Per-step normalisation of PostgreSQL's (`pg`) and Isotherm's (`iso`) records
/// before comparing; see rule 4 of the module doc. Deliberately empty today.
pub fn normalise(_client: &str, _pg: &mut Json, _iso: &mut Json) {}

/// Compares the two runs of `client`.
pub fn compare_runs(client: &str, pg: &[Json], iso: &[Json]) -> Report {
    let mut report = Report {
        client: client.to_string(),
        ..Report::default()
    };
    for p in pg {
        let name = step_name(p);
        report.steps += 1;
        let sql = p.get("sql").and_then(Json::as_str).map(str::to_string);
        let Some(i) = iso.iter().find(|s| step_name(s) == name) else {
            report.diffs.push(StepDiff {
                step: name,
                sql,
                lines: vec!["missing from Isotherm's run (the driver stopped before it)".into()],
            });
            continue;
        };
        let (mut p, mut i) = (p.clone(), i.clone());
        normalise(client, &mut p, &mut i);
        let lines = compare_step(&p, &i);
        if !lines.is_empty() {
            report.diffs.push(StepDiff {
                step: name,
                sql,
                lines,
            });
        }
    }
    for i in iso {
        let name = step_name(i);
        if !pg.iter().any(|p| step_name(p) == name) {
            report.steps += 1;
            report.diffs.push(StepDiff {
                step: name,
                sql: None,
                lines: vec![format!(
                    "only in Isotherm's run (PostgreSQL's driver run stopped before it): {}",
                    show(i)
                )],
            });
        }
    }
    report
}

fn error_state(s: &Json) -> Option<Option<String>> {
    let e = s.get("error")?;
    if e.is_null() {
        return None;
    }
    Some(e.get("sqlstate").and_then(Json::as_str).map(str::to_string))
}

fn describe_error(s: &Json) -> String {
    let e = s.get("error").cloned().unwrap_or(Json::Null);
    let code = e
        .get("sqlstate")
        .and_then(Json::as_str)
        .unwrap_or("no SQLSTATE");
    let msg = e.get("message").and_then(Json::as_str).unwrap_or("");
    let msg: Vec<&str> = msg
        .lines()
        .map(str::trim)
        .filter(|l| !l.is_empty())
        .collect();
    clip(&format!("ERROR {code}: {}", msg.join(" / ")))
}

fn describe_ok(s: &Json) -> String {
    let n = s.get("rows").and_then(Json::as_array).map(Vec::len);
    let mut out = String::from("ok");
    if let Some(n) = n {
        out.push_str(&format!(", {n} row(s)"));
        if let Some(first) = s
            .get("rows")
            .and_then(Json::as_array)
            .and_then(|r| r.first())
        {
            out.push_str(&format!(", first {}", show(first)));
        }
    }
    if let Some(t) = s.get("tag") {
        out.push_str(&format!(", tag {t}"));
    }
    out
}

/// The differences of one step, one line each; empty when they agree.
pub fn compare_step(pg: &Json, iso: &Json) -> Vec<String> {
    match (error_state(pg), error_state(iso)) {
        (None, None) => {}
        (Some(p), Some(i)) => {
            return if p == i {
                Vec::new()
            } else {
                vec![
                    format!("PostgreSQL: {}", describe_error(pg)),
                    format!("Isotherm:   {}", describe_error(iso)),
                ]
            };
        }
        (Some(_), None) => {
            return vec![
                format!("PostgreSQL: {}", describe_error(pg)),
                format!("Isotherm:   {}", describe_ok(iso)),
            ];
        }
        (None, Some(_)) => {
            return vec![
                format!("PostgreSQL: {}", describe_ok(pg)),
                format!("Isotherm:   {}", describe_error(iso)),
            ];
        }
    }
    let mut lines = Vec::new();
    let mut keys: Vec<&String> = pg
        .as_object()
        .into_iter()
        .chain(iso.as_object())
        .flat_map(|o| o.keys())
        .filter(|k| !matches!(k.as_str(), "step" | "sql" | "error" | "rows"))
        .collect();
    keys.sort();
    keys.dedup();
    for k in keys {
        let (p, i) = (
            pg.get(k).unwrap_or(&Json::Null),
            iso.get(k).unwrap_or(&Json::Null),
        );
        if p != i {
            lines.push(format!(
                "{k}: PostgreSQL {} | Isotherm {}",
                show(p),
                show(i)
            ));
        }
    }
    lines.extend(compare_rows(
        pg.get("rows").unwrap_or(&Json::Null),
        iso.get("rows").unwrap_or(&Json::Null),
    ));
    lines
}

fn compare_rows(pg: &Json, iso: &Json) -> Vec<String> {
    let (Some(p), Some(i)) = (pg.as_array(), iso.as_array()) else {
        return if pg == iso {
            Vec::new()
        } else {
            vec![format!(
                "rows: PostgreSQL {} | Isotherm {}",
                show(pg),
                show(iso)
            )]
        };
    };
    let mut lines = Vec::new();
    if p.len() != i.len() {
        lines.push(format!(
            "row count: PostgreSQL {} | Isotherm {}",
            p.len(),
            i.len()
        ));
    }
    let mut shown = 0;
    let mut differing = 0;
    for (n, (a, b)) in p.iter().zip(i).enumerate() {
        if !rows_match(a, b) {
            differing += 1;
            if shown < MAX_ROWS_SHOWN {
                shown += 1;
                lines.push(format!("row {n}: PostgreSQL {}", show(a)));
                lines.push(format!("row {n}: Isotherm   {}", show(b)));
            }
        }
    }
    if differing > shown {
        lines.push(format!("... {} more differing row(s)", differing - shown));
    }
    if p.len() != i.len() {
        let (longer, who) = if p.len() > i.len() {
            (p, "PostgreSQL")
        } else {
            (i, "Isotherm")
        };
        let common = p.len().min(i.len());
        for (n, r) in longer.iter().enumerate().skip(common).take(MAX_ROWS_SHOWN) {
            lines.push(format!("row {n}: only {who} {}", show(r)));
        }
    }
    lines
}

fn rows_match(a: &Json, b: &Json) -> bool {
    match (a.as_array(), b.as_array()) {
        (Some(x), Some(y)) => {
            x.len() == y.len() && x.iter().zip(y).all(|(u, v)| values_match(u, v))
        }
        _ => values_match(a, b),
    }
}

/// Two values equal as answers: identical, or strings equal by rules 2 and 3.
pub fn values_match(a: &Json, b: &Json) -> bool {
    if a == b {
        return true;
    }
    match (a.as_str(), b.as_str()) {
        (Some(x), Some(y)) => text_values_match(x, y) || layout_match(x, y),
        _ => false,
    }
}

/// `tag:rest` (a client's type tag, letters only) split off.
fn split_tag(s: &str) -> (&str, &str) {
    match s.split_once(':') {
        Some((tag, rest)) if !tag.is_empty() && tag.chars().all(|c| c.is_ascii_alphabetic()) => {
            (tag, rest)
        }
        _ => ("", s),
    }
}

fn text_values_match(a: &str, b: &str) -> bool {
    let ((ta, ra), (tb, rb)) = (split_tag(a), split_tag(b));
    ta == tb && texts_match(ra, rb)
}

fn cells(line: &str) -> Vec<String> {
    line.split(['|', '+', ',', '\t'])
        .map(|c| {
            let mut out = String::new();
            for ch in c.trim().chars() {
                if !(ch == '-' && out.ends_with('-')) {
                    out.push(ch);
                }
            }
            out
        })
        .collect()
}

/// Rule 3: two lines of psql output (or CSV) equal cell by cell.
fn layout_match(a: &str, b: &str) -> bool {
    let (x, y) = (cells(a), cells(b));
    // One cell is a layout only when it is a rule (`-[ RECORD 1 ]------`).
    (x.len() > 1 || a.contains("--"))
        && x.len() == y.len()
        && x.iter().zip(&y).all(|(u, v)| text_values_match(u, v))
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;
    use serde_json::json;

    fn ok(step: &str, rows: Json) -> Json {
        json!({"step": step, "sql": "SELECT 1", "error": null, "columns": ["a"], "types": [25], "rows": rows, "tag": "SELECT 1"})
    }

    #[test]
    fn identical_runs_are_clean() {
        let run = vec![ok("a", json!([["x", "1.5"]])), ok("b", json!([]))];
        let r = compare_runs("c", &run, &run);
        assert!(r.is_clean(), "{}", r.render());
        assert_eq!((r.steps, r.passed()), (2, 2));
    }

    #[test]
    fn floats_within_tolerance_match_but_other_values_do_not() {
        let a = vec![ok("a", json!([["22.95625", "number:7225.4000000000015"]]))];
        let b = vec![ok("a", json!([["22.956249999999997", "number:7225.4"]]))];
        assert!(compare_runs("c", &a, &b).is_clean());
        let c = vec![ok("a", json!([["22.95", "number:7225.4"]]))];
        let r = compare_runs("c", &a, &c);
        assert_eq!(r.diffs.len(), 1);
        assert!(r.render().contains("row 0: Isotherm"), "{}", r.render());
        // Different type tags never match.
        let d = vec![ok("a", json!([["22.95625", "string:7225.4000000000015"]]))];
        assert_eq!(compare_runs("c", &a, &d).diffs.len(), 1);
    }

    #[test]
    fn errors_compare_by_sqlstate_only() {
        let e = |code: &str, msg: &str| json!({"step": "e", "error": {"sqlstate": code, "message": msg}});
        assert!(compare_runs("c", &[e("42703", "x")], &[e("42703", "y")]).is_clean());
        let r = compare_runs(
            "c",
            &[e("42703", "x")],
            &[e("0A000", "JOIN is not supported")],
        );
        assert!(
            r.render().contains("JOIN is not supported"),
            "{}",
            r.render()
        );
        let r = compare_runs("c", &[ok("e", json!([]))], &[e("0A000", "no")]);
        assert!(
            r.render().contains("Isotherm:   ERROR 0A000"),
            "{}",
            r.render()
        );
    }

    #[test]
    fn tags_types_and_columns_are_exact() {
        let mut b = ok("a", json!([]));
        b["tag"] = json!("SHOW 1");
        b["types"] = json!([19]);
        let r = compare_runs("c", &[ok("a", json!([]))], &[b]);
        let text = r.render();
        assert!(
            text.contains("tag: PostgreSQL \"SELECT 1\" | Isotherm \"SHOW 1\""),
            "{text}"
        );
        assert!(
            text.contains("types: PostgreSQL [25] | Isotherm [19]"),
            "{text}"
        );
    }

    #[test]
    fn missing_and_extra_steps_are_reported() {
        let r = compare_runs(
            "c",
            &[ok("a", json!([])), ok("b", json!([]))],
            &[ok("a", json!([]))],
        );
        assert_eq!(r.diffs.len(), 1);
        assert!(r.render().contains("missing from Isotherm"));
        let r = compare_runs(
            "c",
            &[ok("a", json!([]))],
            &[ok("a", json!([])), ok("z", json!([]))],
        );
        assert_eq!(r.diffs.len(), 1);
    }

    #[test]
    fn row_count_differences_show_the_extra_rows() {
        let r = compare_runs(
            "c",
            &[ok("a", json!([["1"], ["2"]]))],
            &[ok("a", json!([["1"]]))],
        );
        let text = r.render();
        assert!(
            text.contains("row count: PostgreSQL 2 | Isotherm 1"),
            "{text}"
        );
        assert!(text.contains("row 1: only PostgreSQL [\"2\"]"), "{text}");
    }

    #[test]
    fn psql_layout_compares_cells() {
        assert!(values_match(
            &json!(" africa | 22.95625 |  1"),
            &json!(" africa | 22.956249999999997 |  1")
        ));
        assert!(values_match(
            &json!("--------+----------"),
            &json!("--------+-----------------")
        ));
        assert!(values_match(
            &json!("-[ RECORD 1 ]-----"),
            &json!("-[ RECORD 1 ]---------")
        ));
        assert!(!values_match(
            &json!(" africa | 22.9 | 1"),
            &json!(" africa | 23.9 | 1")
        ));
        assert!(!values_match(&json!(" a | b"), &json!(" a | b | c")));
        // A plain sentence is not split into agreeing nothing.
        assert!(!values_match(&json!("(1 row)"), &json!("(2 rows)")));
    }
}
