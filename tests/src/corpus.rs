//! The BI-tool SQL corpora (`tests/corpora/*.sql`): parsing, placeholders and
//! the small SQL facts the replay needs.
//!
//! The format is specified in `tests/corpora/README.md`; in short, each
//! statement is a block
//!
//! ```text
//! -- name: <area>.<what>          required, unique in the file
//! -- source: <where it comes from> required, repeatable
//! -- compare: exact|rows|shape|columns|error|refused
//! -- protocol: both|extended|simple   (default both; extended with params)
//! -- param: <varchar|text|int4|int8|date|timestamptz|infer> <value>   repeatable
//! -- sqlstate: <code> ...         error / refused
//! -- keep: <marker> ...           shape
//! -- ignore: <column> ...         exact / rows / shape
//! -- note: <text>
//! <SQL, sent as written, up to the next "-- name:">
//! ```
//!
//! Placeholders `{{oid:public}}`, `{{oid:public.temperatures}}` and
//! `{{rowdesc_oid:public.temperatures}}` are resolved per server by the replay
//! ([`substitute`] does the text part).

use std::collections::{BTreeSet, HashMap};
use std::path::{Path, PathBuf};

use crate::error::{Error, Result};

/// Rows that mention one of these are compared in `shape` mode by default.
pub const DEFAULT_KEEP: &[&str] = &["public", "temperatures", "isotherm"];

/// How two answers are compared (see the README).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum CompareMode {
    Exact,
    Rows,
    Shape,
    Columns,
    Error,
    Refused,
}

impl CompareMode {
    fn parse(s: &str) -> Option<CompareMode> {
        Some(match s {
            "exact" => CompareMode::Exact,
            "rows" => CompareMode::Rows,
            "shape" => CompareMode::Shape,
            "columns" => CompareMode::Columns,
            "error" => CompareMode::Error,
            "refused" => CompareMode::Refused,
            _ => return None,
        })
    }

    pub fn as_str(self) -> &'static str {
        match self {
            CompareMode::Exact => "exact",
            CompareMode::Rows => "rows",
            CompareMode::Shape => "shape",
            CompareMode::Columns => "columns",
            CompareMode::Error => "error",
            CompareMode::Refused => "refused",
        }
    }
}

/// Which wire protocol(s) a statement goes through.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Protocol {
    /// Extended (binary results), then simple (text results).
    Both,
    Extended,
    Simple,
}

impl Protocol {
    pub fn as_str(self) -> &'static str {
        match self {
            Protocol::Both => "both",
            Protocol::Extended => "extended",
            Protocol::Simple => "simple",
        }
    }
}

/// The type a driver declares for a parameter at Parse.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ParamType {
    Varchar,
    Text,
    Int4,
    Int8,
    Date,
    Timestamptz,
    /// Declared unspecified (OID 0): the server infers it.
    Infer,
}

impl ParamType {
    fn parse(s: &str) -> Option<ParamType> {
        Some(match s {
            "varchar" => ParamType::Varchar,
            "text" => ParamType::Text,
            "int4" => ParamType::Int4,
            "int8" => ParamType::Int8,
            "date" => ParamType::Date,
            "timestamptz" => ParamType::Timestamptz,
            "infer" => ParamType::Infer,
            _ => return None,
        })
    }
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Param {
    pub ty: ParamType,
    /// The value as text; may hold placeholders.
    pub value: String,
}

/// One statement of a corpus.
#[derive(Debug, Clone, PartialEq)]
pub struct Statement {
    pub tool: String,
    pub name: String,
    /// 1-based line of its `-- name:` in the file.
    pub line: usize,
    pub sources: Vec<String>,
    pub compare: CompareMode,
    pub protocol: Protocol,
    pub params: Vec<Param>,
    pub sqlstates: Vec<String>,
    pub keep: Vec<String>,
    pub ignore: Vec<String>,
    pub notes: Vec<String>,
    /// A difference from PostgreSQL that is known and not yet fixed (the
    /// reason). The replay reports it as KNOWN, and fails when the statement
    /// starts to match, so the list only shrinks.
    pub known: Option<String>,
    pub sql: String,
}

impl Statement {
    /// Does the statement read the catalog rather than the user's table? (Its
    /// Isotherm latency is held to the 20 ms catalog target.)
    pub fn is_catalog(&self) -> bool {
        !reads_user_table(&self.sql)
    }

    /// Placeholders used in the SQL and the parameters.
    pub fn placeholders(&self) -> BTreeSet<String> {
        let mut out = placeholders(&self.sql);
        for p in &self.params {
            out.extend(placeholders(&p.value));
        }
        out
    }
}

/// One tool's file.
#[derive(Debug, Clone, PartialEq)]
pub struct Corpus {
    pub tool: String,
    pub statements: Vec<Statement>,
}

/// Where the corpora live: `tests/corpora/`.
pub fn corpora_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("corpora")
}

/// Every `*.sql` in `dir`, parsed, in file-name order.
pub fn load_dir(dir: &Path) -> Result<Vec<Corpus>> {
    let mut files: Vec<PathBuf> = std::fs::read_dir(dir)
        .map_err(|e| Error::new(format!("reading {}: {e}", dir.display())))?
        .filter_map(|e| e.ok().map(|e| e.path()))
        .filter(|p| p.extension().is_some_and(|x| x == "sql"))
        .collect();
    files.sort();
    files
        .iter()
        .map(|path| {
            let tool = path
                .file_stem()
                .map(|s| s.to_string_lossy().into_owned())
                .unwrap_or_default();
            let text = std::fs::read_to_string(path)
                .map_err(|e| Error::new(format!("reading {}: {e}", path.display())))?;
            parse(&tool, &text).map_err(|e| e.context(&path.display().to_string()))
        })
        .collect()
}

const KEYS: &[&str] = &[
    "name", "source", "compare", "protocol", "param", "sqlstate", "keep", "ignore", "note", "known",
];

/// `-- key: value` with a known key, else `None` (the line is SQL).
fn annotation(line: &str) -> Option<(&str, &str)> {
    let rest = line.strip_prefix("-- ")?;
    let (key, value) = rest.split_once(':')?;
    KEYS.contains(&key).then_some((key, value.trim()))
}

/// Parses one tool's corpus.
pub fn parse(tool: &str, text: &str) -> Result<Corpus> {
    let mut statements: Vec<Statement> = Vec::new();
    let mut block: Option<(usize, Vec<&str>)> = None;
    for (i, line) in text.lines().enumerate() {
        if matches!(annotation(line), Some(("name", _))) {
            if let Some((start, lines)) = block.take() {
                statements.push(parse_block(tool, start, &lines)?);
            }
            block = Some((i + 1, vec![line]));
        } else if let Some((_, lines)) = block.as_mut() {
            lines.push(line);
        }
    }
    if let Some((start, lines)) = block {
        statements.push(parse_block(tool, start, &lines)?);
    }
    let mut seen = BTreeSet::new();
    for s in &statements {
        if !seen.insert(s.name.as_str()) {
            return Err(Error::new(format!(
                "line {}: duplicate name {:?}",
                s.line, s.name
            )));
        }
    }
    if statements.is_empty() {
        return Err(Error::new(format!("{tool}: no statements")));
    }
    Ok(Corpus {
        tool: tool.to_string(),
        statements,
    })
}

fn words(v: &str) -> Vec<String> {
    v.split_whitespace().map(str::to_string).collect()
}

fn parse_block(tool: &str, line: usize, lines: &[&str]) -> Result<Statement> {
    let err = |msg: String| Error::new(format!("line {line}: {msg}"));
    let mut name = None;
    let mut sources = Vec::new();
    let mut compare = None;
    let mut protocol = None;
    let mut params = Vec::new();
    let mut sqlstates = Vec::new();
    let mut keep = Vec::new();
    let mut ignore = Vec::new();
    let mut notes = Vec::new();
    let mut known = None;
    let mut sql_lines = Vec::new();
    for l in lines {
        match annotation(l) {
            Some(("name", v)) => name = Some(v.to_string()),
            Some(("source", v)) => sources.push(v.to_string()),
            Some(("compare", v)) => {
                compare = Some(CompareMode::parse(v).ok_or_else(|| err(format!("compare {v:?}?")))?)
            }
            Some(("protocol", v)) => {
                protocol = Some(match v {
                    "both" => Protocol::Both,
                    "extended" => Protocol::Extended,
                    "simple" => Protocol::Simple,
                    _ => return Err(err(format!("protocol {v:?}?"))),
                })
            }
            Some(("param", v)) => {
                let (ty, value) = v.split_once(' ').unwrap_or((v, ""));
                let ty = ParamType::parse(ty).ok_or_else(|| err(format!("param type {ty:?}?")))?;
                params.push(Param {
                    ty,
                    value: value.to_string(),
                });
            }
            Some(("sqlstate", v)) => sqlstates.extend(words(v)),
            Some(("keep", v)) => keep.extend(words(v)),
            Some(("ignore", v)) => ignore.extend(words(v)),
            Some(("note", v)) => notes.push(v.to_string()),
            Some(("known", v)) => known = Some(v.to_string()),
            _ => sql_lines.push(*l),
        }
    }
    let name = name
        .filter(|n| !n.is_empty())
        .ok_or_else(|| err("empty name".into()))?;
    let err = |msg: &str| Error::new(format!("line {line} ({name}): {msg}"));
    let compare = compare.ok_or_else(|| err("no `-- compare:`"))?;
    if sources.iter().all(|s| s.is_empty()) {
        return Err(err("no `-- source:`"));
    }
    let protocol = match (protocol, params.is_empty()) {
        (None, true) => Protocol::Both,
        (None, false) | (Some(Protocol::Extended), _) => Protocol::Extended,
        (Some(p), true) => p,
        (Some(_), false) => return Err(err("parameters need the extended protocol")),
    };
    if !sqlstates.is_empty() && !matches!(compare, CompareMode::Error | CompareMode::Refused) {
        return Err(err("`sqlstate` is for error / refused"));
    }
    if let Some(bad) = sqlstates.iter().find(|c| c.len() != 5) {
        return Err(err(&format!("SQLSTATE {bad:?} is not 5 characters")));
    }
    if !keep.is_empty() && compare != CompareMode::Shape {
        return Err(err("`keep` is for shape"));
    }
    if !ignore.is_empty()
        && !matches!(
            compare,
            CompareMode::Exact | CompareMode::Rows | CompareMode::Shape
        )
    {
        return Err(err("`ignore` is for exact / rows / shape"));
    }
    if compare == CompareMode::Shape && keep.is_empty() {
        keep = DEFAULT_KEEP.iter().map(|s| s.to_string()).collect();
    }
    let sql = sql_lines.join("\n").trim().to_string();
    if sql.is_empty() {
        return Err(err("no SQL"));
    }
    let used = max_param_ref(&sql);
    if used != params.len() {
        return Err(err(&format!(
            "the SQL uses ${used} but {} `param` lines are given",
            params.len()
        )));
    }
    Ok(Statement {
        tool: tool.to_string(),
        name,
        line,
        sources,
        compare,
        protocol,
        params,
        sqlstates,
        keep,
        ignore,
        notes,
        known,
        sql,
    })
}

/// Calls `f(byte index, depth)` for every byte of `sql` outside quotes and
/// comments, with the parenthesis depth there.
fn scan_code(sql: &str, mut f: impl FnMut(usize, usize)) {
    let b = sql.as_bytes();
    let (mut i, mut depth) = (0, 0usize);
    while i < b.len() {
        match b[i] {
            q @ (b'\'' | b'"') => {
                i += 1;
                while i < b.len() {
                    if b[i] == q {
                        // A doubled quote is an escaped quote.
                        if b.get(i + 1) == Some(&q) {
                            i += 1;
                        } else {
                            break;
                        }
                    }
                    i += 1;
                }
            }
            b'-' if b.get(i + 1) == Some(&b'-') => {
                while i < b.len() && b[i] != b'\n' {
                    i += 1;
                }
            }
            b'(' => {
                depth += 1;
                f(i, depth);
            }
            b')' => {
                depth = depth.saturating_sub(1);
                f(i, depth);
            }
            _ => f(i, depth),
        }
        i += 1;
    }
}

/// The highest `$n` in the SQL's code (0 when none).
pub fn max_param_ref(sql: &str) -> usize {
    let b = sql.as_bytes();
    let mut max = 0;
    scan_code(sql, |i, _| {
        let after_word = i > 0 && (b[i - 1].is_ascii_alphanumeric() || b[i - 1] == b'_');
        if b[i] == b'$' && !after_word {
            let digits: String = sql[i + 1..]
                .chars()
                .take_while(char::is_ascii_digit)
                .collect();
            if let Ok(n) = digits.parse::<usize>() {
                max = max.max(n);
            }
        }
    });
    max
}

/// The SQL with each `$n` replaced by its parameter as a typed literal
/// (`'europe'::varchar`; untyped for `infer`), for running a parameterised
/// statement through the simple protocol.
pub fn inline_params(sql: &str, params: &[(ParamType, String)]) -> String {
    let b = sql.as_bytes();
    let mut refs = Vec::new();
    scan_code(sql, |i, _| {
        let after_word = i > 0 && (b[i - 1].is_ascii_alphanumeric() || b[i - 1] == b'_');
        if b[i] == b'$' && !after_word {
            let len = sql[i + 1..].bytes().take_while(u8::is_ascii_digit).count();
            if let Ok(n) = sql[i + 1..i + 1 + len].parse::<usize>() {
                refs.push((i, len + 1, n));
            }
        }
    });
    let mut out = String::with_capacity(sql.len());
    let mut at = 0;
    for (i, len, n) in refs {
        out.push_str(&sql[at..i]);
        match params.get(n.wrapping_sub(1)) {
            Some((ty, value)) => {
                let quoted = format!("'{}'", value.replace('\'', "''"));
                let cast = match ty {
                    ParamType::Varchar => "::varchar",
                    ParamType::Text => "::text",
                    ParamType::Int4 => "::int4",
                    ParamType::Int8 => "::int8",
                    ParamType::Date => "::date",
                    ParamType::Timestamptz => "::timestamptz",
                    ParamType::Infer => "",
                };
                out.push_str(&quoted);
                out.push_str(cast);
            }
            None => out.push_str(&sql[i..i + len]),
        }
        at = i + len;
    }
    out.push_str(&sql[at..]);
    out
}

/// The SQL with quoted strings, quoted identifiers' quotes and comments
/// removed from code, parentheses kept: code text at depth 0 only when
/// `top_level`.
fn code_words(sql: &str, top_level: bool) -> Vec<String> {
    let b = sql.as_bytes();
    let mut text = String::with_capacity(sql.len());
    let mut prev: Option<usize> = None;
    scan_code(sql, |i, depth| {
        // Bytes skipped by the scanner (quoted text, comments) separate words.
        if prev.is_some_and(|p| i > p + 1) {
            text.push(' ');
        }
        prev = Some(i);
        let keep = !top_level || (depth == 0 && b[i] != b')');
        if keep && b[i].is_ascii() {
            text.push(b[i].to_ascii_lowercase() as char);
        } else {
            text.push(' ');
        }
    });
    text.split(|c: char| !(c.is_ascii_alphanumeric() || c == '_' || c == '.'))
        .filter(|w| !w.is_empty())
        .map(str::to_string)
        .collect()
}

/// Is there an `ORDER BY` outside every parenthesis (not in a subquery or a
/// window)? Then the answer's row order is specified.
pub fn has_top_level_order_by(sql: &str) -> bool {
    code_words(sql, true)
        .windows(2)
        .any(|w| w[0] == "order" && w[1] == "by")
}

/// Does the SQL read Isotherm's table (`FROM`/`JOIN` [public.]temperatures,
/// quoted or not)?
pub fn reads_user_table(sql: &str) -> bool {
    let unquoted: String = sql.chars().filter(|&c| c != '"').collect();
    code_words(&unquoted, false).windows(2).any(|w| {
        (w[0] == "from" || w[0] == "join")
            && (w[1] == "temperatures" || w[1] == "public.temperatures")
    })
}

/// The `{{...}}` placeholders in `text` (without the braces).
pub fn placeholders(text: &str) -> BTreeSet<String> {
    let mut out = BTreeSet::new();
    let mut rest = text;
    while let Some(start) = rest.find("{{") {
        let Some(len) = rest[start + 2..].find("}}") else {
            break;
        };
        out.insert(rest[start + 2..start + 2 + len].to_string());
        rest = &rest[start + 2 + len + 2..];
    }
    out
}

/// Replaces every `{{key}}` whose key is in `values`.
pub fn substitute(text: &str, values: &HashMap<String, String>) -> String {
    let mut out = text.to_string();
    for (k, v) in values {
        out = out.replace(&format!("{{{{{k}}}}}"), v);
    }
    out
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;

    const SAMPLE: &str = "-- header commentary\n\
        \n\
        -- name: a.one\n\
        -- source: somewhere\n\
        -- compare: exact\n\
        SELECT 1;\n\
        \n\
        -- name: a.two\n\
        -- source: x\n\
        -- source: y\n\
        -- compare: shape\n\
        -- param: varchar public\n\
        -- param: int8 {{oid:public}}\n\
        -- a plain comment stays in the SQL\n\
        SELECT * FROM pg_namespace WHERE nspname = $1 AND oid = $2\n\
        -- name: a.ping\n\
        -- source: pgx\n\
        -- compare: exact\n\
        -- protocol: simple\n\
        -- ping\n";

    #[test]
    fn parses_blocks_annotations_and_sql() {
        let c = parse("t", SAMPLE).unwrap();
        assert_eq!(c.statements.len(), 3);
        let [one, two, ping] = &c.statements[..] else {
            panic!("three statements")
        };
        assert_eq!(one.sql, "SELECT 1;");
        assert_eq!(
            (one.compare, one.protocol),
            (CompareMode::Exact, Protocol::Both)
        );
        assert_eq!(one.line, 3);
        assert_eq!(two.sources, ["x", "y"]);
        assert_eq!(two.protocol, Protocol::Extended);
        assert_eq!(two.params[1].ty, ParamType::Int8);
        assert_eq!(two.keep, DEFAULT_KEEP);
        assert!(two.sql.starts_with("-- a plain comment"));
        assert_eq!(
            two.placeholders().into_iter().collect::<Vec<_>>(),
            ["oid:public"]
        );
        assert_eq!(ping.sql, "-- ping");
        assert_eq!(ping.protocol, Protocol::Simple);
    }

    #[test]
    fn rejects_malformed_blocks() {
        let bad = [
            ("-- name: x\n-- compare: exact\nSELECT 1", "source"),
            ("-- name: x\n-- source: s\nSELECT 1", "compare"),
            (
                "-- name: x\n-- source: s\n-- compare: nearly\nSELECT 1",
                "compare",
            ),
            ("-- name: x\n-- source: s\n-- compare: exact\n", "no SQL"),
            (
                "-- name: x\n-- source: s\n-- compare: exact\nSELECT $1",
                "param",
            ),
            (
                "-- name: x\n-- source: s\n-- compare: exact\n-- protocol: simple\n-- param: text a\nSELECT $1",
                "extended",
            ),
            (
                "-- name: x\n-- source: s\n-- compare: exact\n-- sqlstate: 42P01\nSELECT 1",
                "sqlstate",
            ),
            (
                "-- name: x\n-- source: s\n-- compare: exact\nSELECT 1\n-- name: x\n-- source: s\n-- compare: exact\nSELECT 2",
                "duplicate",
            ),
            (
                "-- name: x\n-- source: s\n-- compare: exact\n-- param: blob 1\nSELECT $1",
                "type",
            ),
        ];
        for (text, why) in bad {
            let e = parse("t", text).expect_err(text);
            assert!(e.0.contains(why), "{text:?}: {e} should mention {why}");
        }
    }

    #[test]
    fn top_level_order_by_ignores_subqueries_windows_and_strings() {
        assert!(has_top_level_order_by("SELECT a FROM t ORDER BY a"));
        assert!(has_top_level_order_by("select a from t order\n  by 1"));
        assert!(!has_top_level_order_by(
            "SELECT * FROM (SELECT a FROM t ORDER BY a LIMIT 3) s"
        ));
        assert!(!has_top_level_order_by(
            "SELECT row_number() OVER (PARTITION BY a ORDER BY b) FROM t"
        ));
        assert!(!has_top_level_order_by("SELECT 'order by' FROM t"));
        assert!(!has_top_level_order_by("SELECT \"order by\" FROM t"));
        assert!(!has_top_level_order_by("SELECT 1 -- order by\nFROM t"));
        assert!(has_top_level_order_by(
            "SELECT x FROM (SELECT 1 AS x) s WHERE x IN (1, 2) ORDER BY x"
        ));
    }

    #[test]
    fn user_table_reads_are_told_from_catalog_reads() {
        assert!(reads_user_table(
            "SELECT * FROM \"public\".\"temperatures\" t"
        ));
        assert!(reads_user_table("select count(*) from temperatures"));
        assert!(reads_user_table(
            "SELECT 1 FROM x JOIN public.temperatures ON true"
        ));
        assert!(!reads_user_table(
            "SELECT * FROM pg_class WHERE relname = 'temperatures'"
        ));
        assert!(!reads_user_table(
            "SELECT * FROM information_schema.columns WHERE table_name LIKE 'temperatures'"
        ));
    }

    #[test]
    fn param_refs_and_placeholders() {
        assert_eq!(max_param_ref("SELECT $1, $12, '$3', x$4"), 12);
        assert_eq!(max_param_ref("SELECT '\"$user\"'"), 0);
        let mut values = HashMap::new();
        values.insert("oid:public".to_string(), "2200".to_string());
        assert_eq!(
            substitute("a {{oid:public}} {{oid:public}} {{other}}", &values),
            "a 2200 2200 {{other}}"
        );
        assert_eq!(
            placeholders("{{a}} x {{b.c}} {{unclosed").len(),
            2,
            "two closed placeholders"
        );
    }

    #[test]
    fn params_inline_as_typed_literals() {
        let params = [
            (ParamType::Varchar, "Côte d'Ivoire".to_string()),
            (ParamType::Int8, "2200".to_string()),
            (ParamType::Infer, "public".to_string()),
        ];
        assert_eq!(
            inline_params(
                "SELECT '$1', $1, x$2 FROM t WHERE a = $2 AND b IN ($3) -- $1",
                &params
            ),
            "SELECT '$1', 'Côte d''Ivoire'::varchar, x$2 FROM t WHERE a = '2200'::int8 \
             AND b IN ('public') -- $1"
        );
        assert_eq!(inline_params("SELECT $4", &params), "SELECT $4");
    }

    /// Every checked-in corpus parses, every tool is there, and the names a
    /// report prints are unique.
    #[test]
    fn checked_in_corpora_parse() {
        let corpora = load_dir(&corpora_dir()).unwrap();
        let tools: Vec<&str> = corpora.iter().map(|c| c.tool.as_str()).collect();
        assert_eq!(
            tools,
            ["dbeaver", "grafana", "metabase", "superset", "tableau"]
        );
        for c in &corpora {
            assert!(c.statements.len() >= 15, "{}: few statements", c.tool);
            assert!(c.statements.iter().any(Statement::is_catalog), "{}", c.tool);
            assert!(c.statements.iter().any(|s| !s.is_catalog()), "{}", c.tool);
            for s in &c.statements {
                for p in s.placeholders() {
                    assert!(
                        p.starts_with("oid:") || p.starts_with("rowdesc_oid:"),
                        "{}/{}: unknown placeholder {p}",
                        c.tool,
                        s.name
                    );
                }
            }
        }
    }
}
