//! BI-tool corpora replayed: every statement of `tests/corpora/*.sql` (what
//! Metabase, Grafana, DBeaver, Superset and Tableau send to a PostgreSQL data
//! source) runs on PostgreSQL 15 and on Isotherm holding the same rows, and
//! the answers are compared per the statement's `compare` mode. Format, modes
//! and the oracle's setup: `tests/corpora/README.md`.
//!
//! The report prints one line per statement (tool/name, mode, protocol,
//! Isotherm's and PostgreSQL's time for its first run, PASS/FAIL) and the
//! difference under each failure, then per-tool counts, the catalog
//! statements slower than 20 ms on Isotherm, and the catalog statements'
//! p50/p90/max on both servers (printed, not asserted: speed is measured,
//! see BENCHMARKS.md). `ISOTHERM_CORPUS_TOOLS=metabase,grafana` replays
//! only those tools. A second test replays PostgreSQL against itself: the
//! harness must see no difference there.

use std::collections::HashMap;
use std::fmt::Write as _;
use std::time::{Duration, Instant};

use bytes::BytesMut;
use isotherm_tests::cell::{Cell, RawValue};
use isotherm_tests::clients::{Target, targets};
use isotherm_tests::compare::{Answer, DbError, compare, query_text};
use isotherm_tests::corpus::{
    self, CompareMode, Corpus, ParamType, Protocol, Statement, has_top_level_order_by,
};
use tokio_postgres::Client;
use tokio_postgres::types::{IsNull, Kind, ToSql, Type, to_sql_checked};

/// The latency target for catalog queries on Isotherm.
const CATALOG_TARGET: Duration = Duration::from_millis(20);
/// A statement that takes longer has hung.
const STATEMENT_TIMEOUT: Duration = Duration::from_secs(60);
/// OIDs from here up are objects created after initdb (`FirstNormalObjectId`).
const FIRST_USER_OID: u32 = 16384;
/// Types whose values are OIDs.
const OID_TYPES: &[u32] = &[26, 24, 2202, 2203, 2204, 2205, 2206, 3734, 3769, 4089, 4096];

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn bi_tool_corpora_match_postgres() {
    let t = targets().expect("shared PostgreSQL and Isotherm");
    let outcomes = replay_all(&t.pg, &t.iso, true).await;
    let report = render(&outcomes);
    println!("{report}");
    let failed: Vec<String> = outcomes
        .iter()
        .filter(|o| o.failure.is_some() && o.known.is_none())
        .map(|o| format!("{}/{}", o.tool, o.name))
        .collect();
    // A `known` difference that is gone: drop its annotation.
    let fixed: Vec<String> = outcomes
        .iter()
        .filter(|o| o.failure.is_none() && o.known.is_some())
        .map(|o| format!("{}/{}", o.tool, o.name))
        .collect();
    assert!(
        failed.is_empty() && fixed.is_empty(),
        "{} of {} corpus statements differ from PostgreSQL: {failed:?}\n\
         now matching but annotated `known` (remove the annotation): {fixed:?}\n\n{report}\n\
         Isotherm log tail:\n{}",
        failed.len(),
        outcomes.len(),
        t.iso_log_tail(30)
    );
}

/// The harness itself: PostgreSQL replayed against PostgreSQL must show no
/// difference (no statement depends on unspecified row order, placeholders
/// resolve, every mode accepts equal answers). `refused` statements are
/// skipped: they would write into the shared database.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn corpora_replay_postgres_against_itself() {
    let t = targets().expect("shared PostgreSQL and Isotherm");
    let outcomes = replay_all(&t.pg, &t.pg, false).await;
    let failures: Vec<String> = outcomes
        .iter()
        .filter_map(|o| {
            o.failure
                .as_ref()
                .map(|f| format!("{}/{}: {f}", o.tool, o.name))
        })
        .collect();
    assert!(
        outcomes.len() > 100 && failures.is_empty(),
        "{} statements replayed; PostgreSQL differs from itself:\n{}",
        outcomes.len(),
        failures.join("\n")
    );
}

/// Every corpus (or those in `ISOTHERM_CORPUS_TOOLS`), `pg` as the oracle.
async fn replay_all(pg: &Target, iso: &Target, with_refused: bool) -> Vec<Outcome> {
    let corpora = corpus::load_dir(&corpus::corpora_dir()).expect("corpora parse");
    let only: Option<Vec<String>> = std::env::var("ISOTHERM_CORPUS_TOOLS")
        .ok()
        .map(|v| v.split(',').map(|s| s.trim().to_string()).collect());
    let mut outcomes = Vec::new();
    for c in &corpora {
        if only.as_ref().is_some_and(|o| !o.contains(&c.tool)) {
            continue;
        }
        let mut c = c.clone();
        if !with_refused {
            c.statements.retain(|s| s.compare != CompareMode::Refused);
        }
        outcomes.extend(replay(&c, pg, iso).await);
    }
    outcomes
}

/// One statement's result.
struct Outcome {
    tool: String,
    name: String,
    mode: CompareMode,
    protocol: Protocol,
    catalog: bool,
    /// Both servers' times for the statement's first run.
    time: Option<Times>,
    failure: Option<String>,
    /// The statement's `known` difference, if annotated.
    known: Option<String>,
}

/// A tool's sessions: fresh connections, as the tool would open.
struct Sessions {
    pg: Client,
    iso: Client,
    /// PostgreSQL session for `refused` statements (inside BEGIN/ROLLBACK).
    scratch: Client,
}

async fn connect(t: &Target) -> Result<Client, String> {
    isotherm_tests::pg::connect(&t.host, t.port, &t.user, &t.dbname)
        .await
        .map_err(|e| format!("connecting to {}: {e}", t.label))
}

async fn replay(c: &Corpus, pg: &Target, iso: &Target) -> Vec<Outcome> {
    let outcome = |s: &Statement, failure: Option<String>, time| Outcome {
        tool: c.tool.clone(),
        name: s.name.clone(),
        mode: s.compare,
        protocol: s.protocol,
        catalog: s.is_catalog(),
        time,
        failure,
        known: s.known.clone(),
    };
    let mut sessions = match open_sessions(pg, iso).await {
        Ok(s) => s,
        Err(e) => {
            return c
                .statements
                .iter()
                .map(|s| outcome(s, Some(e.clone()), None))
                .collect();
        }
    };
    let mut placeholders = std::collections::BTreeSet::new();
    for s in &c.statements {
        placeholders.extend(s.placeholders());
    }
    let (pg_values, pg_problems) = resolve(&sessions.pg, &placeholders).await;
    let (iso_values, iso_problems) = resolve(&sessions.iso, &placeholders).await;
    let mut out = Vec::new();
    for s in &c.statements {
        let pg_sql = corpus::substitute(&s.sql, &pg_values);
        let iso_sql = corpus::substitute(&s.sql, &iso_values);
        let pg_params = bind(s, &pg_values);
        let iso_params = bind(s, &iso_values);
        let run = Run {
            s,
            pg_sql: &pg_sql,
            iso_sql: &iso_sql,
            pg_params: &pg_params,
            iso_params: &iso_params,
        };
        let started = Instant::now();
        let result = tokio::time::timeout(STATEMENT_TIMEOUT, run.check(&sessions)).await;
        let (failure, time) = match result {
            Ok((Ok(()), time)) => (None, time),
            Ok((Err(e), time)) => (Some(e), time),
            Err(_) => (
                Some(format!("no answer within {STATEMENT_TIMEOUT:?}")),
                Some(Times {
                    iso: started.elapsed(),
                    pg: Duration::ZERO,
                }),
            ),
        };
        let mut failure = failure.map(|f| {
            let mut f = f;
            for (k, why) in iso_problems.iter().chain(&pg_problems) {
                if s.placeholders().contains(k) {
                    let _ = write!(f, "\n(placeholder {{{{{k}}}}}: {why})");
                }
            }
            f
        });
        // A tool reconnects when its connection dies; so do we, and say so.
        if sessions.iso.is_closed() || sessions.pg.is_closed() || sessions.scratch.is_closed() {
            let lost = if sessions.iso.is_closed() {
                "Isotherm"
            } else {
                "PostgreSQL"
            };
            let note = format!("{lost} closed the connection; reconnected");
            failure = Some(match failure {
                Some(f) => format!("{f}\n{note}"),
                None => note,
            });
            match open_sessions(pg, iso).await {
                Ok(new) => sessions = new,
                Err(e) => {
                    out.push(outcome(s, failure, time));
                    let rest = c.statements.iter().skip(out.len());
                    out.extend(rest.map(|s| outcome(s, Some(e.clone()), None)));
                    return out;
                }
            }
        }
        out.push(outcome(s, failure, time));
    }
    out
}

async fn open_sessions(pg: &Target, iso: &Target) -> Result<Sessions, String> {
    Ok(Sessions {
        pg: connect(pg).await?,
        iso: connect(iso).await?,
        scratch: connect(pg).await?,
    })
}

/// Each placeholder's value on one server, and what went wrong resolving the
/// others (they become `0`).
async fn resolve(
    client: &Client,
    keys: &std::collections::BTreeSet<String>,
) -> (HashMap<String, String>, Vec<(String, String)>) {
    let mut values = HashMap::new();
    let mut problems = Vec::new();
    for key in keys {
        let value = match key.split_once(':') {
            Some(("oid", name)) => {
                let sql = match name.split_once('.') {
                    Some((schema, table)) => format!(
                        "SELECT c.oid FROM pg_catalog.pg_class c JOIN pg_catalog.pg_namespace n \
                         ON n.oid = c.relnamespace WHERE n.nspname = '{schema}' AND c.relname = '{table}'"
                    ),
                    None => {
                        format!("SELECT oid FROM pg_catalog.pg_namespace WHERE nspname = '{name}'")
                    }
                };
                match query_text(client, &sql).await {
                    Ok(a) => match a.scalar() {
                        Some(Cell::Text(v)) => Ok(v.clone()),
                        _ => Err(format!("{sql}: answer {}", a.render())),
                    },
                    Err(e) => Err(format!("{sql}: {e}")),
                }
            }
            Some(("rowdesc_oid", name)) => {
                let sql = format!("SELECT * FROM {name}");
                match client.prepare(&sql).await {
                    Ok(stmt) => match stmt.columns().first().and_then(|c| c.table_oid()) {
                        Some(oid) if oid != 0 => Ok(oid.to_string()),
                        _ => Err(format!("{sql}: RowDescription carries no table OID")),
                    },
                    Err(e) => Err(format!("{sql}: {}", DbError::from(e))),
                }
            }
            _ => Err("unknown placeholder".to_string()),
        };
        match value {
            Ok(v) => {
                values.insert(key.clone(), v);
            }
            Err(e) => {
                values.insert(key.clone(), "0".to_string());
                problems.push((key.clone(), e));
            }
        }
    }
    (values, problems)
}

/// A parameter value, encoded for whatever type the server reports for it.
#[derive(Debug)]
struct Bound(String);

impl ToSql for Bound {
    fn to_sql(
        &self,
        ty: &Type,
        out: &mut BytesMut,
    ) -> Result<IsNull, Box<dyn std::error::Error + Sync + Send>> {
        let v = self.0.as_str();
        match *ty {
            Type::INT2 => v.parse::<i16>()?.to_sql(ty, out),
            Type::INT4 => v.parse::<i32>()?.to_sql(ty, out),
            Type::INT8 => v.parse::<i64>()?.to_sql(ty, out),
            Type::OID => v.parse::<u32>()?.to_sql(ty, out),
            Type::FLOAT4 => v.parse::<f32>()?.to_sql(ty, out),
            Type::FLOAT8 => v.parse::<f64>()?.to_sql(ty, out),
            Type::BOOL => v.parse::<bool>()?.to_sql(ty, out),
            Type::DATE => chrono::NaiveDate::parse_from_str(v, "%Y-%m-%d")?.to_sql(ty, out),
            Type::TIMESTAMP => {
                chrono::NaiveDateTime::parse_from_str(v, "%Y-%m-%dT%H:%M:%S")?.to_sql(ty, out)
            }
            Type::TIMESTAMPTZ => chrono::DateTime::parse_from_rfc3339(v)?
                .with_timezone(&chrono::Utc)
                .to_sql(ty, out),
            // text, varchar, name, bpchar, unknown and domains over them.
            _ => {
                out.extend_from_slice(v.as_bytes());
                Ok(IsNull::No)
            }
        }
    }

    fn accepts(_: &Type) -> bool {
        true
    }

    to_sql_checked!();
}

/// The declared types and values of a statement's parameters on one server.
struct Params {
    types: Vec<Type>,
    values: Vec<Bound>,
    /// For inlining into a simple-protocol statement.
    literals: Vec<(ParamType, String)>,
}

fn bind(s: &Statement, values: &HashMap<String, String>) -> Params {
    let unspecified = Type::new("unspecified".into(), 0, Kind::Simple, "pg_catalog".into());
    Params {
        types: s
            .params
            .iter()
            .map(|p| match p.ty {
                ParamType::Varchar => Type::VARCHAR,
                ParamType::Text => Type::TEXT,
                ParamType::Int4 => Type::INT4,
                ParamType::Int8 => Type::INT8,
                ParamType::Date => Type::DATE,
                ParamType::Timestamptz => Type::TIMESTAMPTZ,
                ParamType::Infer => unspecified.clone(),
            })
            .collect(),
        values: s
            .params
            .iter()
            .map(|p| Bound(corpus::substitute(&p.value, values)))
            .collect(),
        literals: s
            .params
            .iter()
            .map(|p| (p.ty, corpus::substitute(&p.value, values)))
            .collect(),
    }
}

/// Extended protocol, binary results, declared parameter types.
async fn query_extended(client: &Client, sql: &str, params: &Params) -> Result<Answer, DbError> {
    let stmt = client.prepare_typed(sql, &params.types).await?;
    let refs: Vec<&(dyn ToSql + Sync)> = params
        .values
        .iter()
        .map(|v| v as &(dyn ToSql + Sync))
        .collect();
    let rows = client.query(&stmt, &refs).await?;
    let types: Vec<Type> = stmt.columns().iter().map(|c| c.type_().clone()).collect();
    let mut out = Vec::with_capacity(rows.len());
    for row in &rows {
        let mut cells = Vec::with_capacity(types.len());
        for (i, ty) in types.iter().enumerate() {
            let raw: RawValue = row.try_get(i)?;
            cells.push(Cell::decode(ty, raw.0.as_deref()).map_err(|e| DbError {
                code: None,
                message: format!("undecodable value in column {i} ({ty}): {e}"),
            })?);
        }
        out.push(cells);
    }
    Ok(Answer {
        columns: stmt
            .columns()
            .iter()
            .map(|c| c.name().to_string())
            .collect(),
        types: types.iter().map(Type::oid).collect(),
        rows: out,
    })
}

/// One statement, substituted for each server.
struct Run<'a> {
    s: &'a Statement,
    pg_sql: &'a str,
    iso_sql: &'a str,
    pg_params: &'a Params,
    iso_params: &'a Params,
}

type Timed<T> = (T, Option<Times>);

/// How long one run of a statement took on each server (the client's view:
/// from sending to the last row).
#[derive(Clone, Copy)]
struct Times {
    iso: Duration,
    pg: Duration,
}

impl Run<'_> {
    async fn check(&self, ses: &Sessions) -> Timed<Result<(), String>> {
        match self.s.compare {
            CompareMode::Error => self.check_error(ses).await,
            CompareMode::Refused => self.check_refused(ses).await,
            _ => self.check_answers(ses).await,
        }
    }

    async fn extended(
        &self,
        ses: &Sessions,
    ) -> Timed<(Result<Answer, DbError>, Result<Answer, DbError>)> {
        let started = Instant::now();
        let pg = query_extended(&ses.pg, self.pg_sql, self.pg_params).await;
        let pg_time = started.elapsed();
        let started = Instant::now();
        let iso = query_extended(&ses.iso, self.iso_sql, self.iso_params).await;
        let times = Times {
            iso: started.elapsed(),
            pg: pg_time,
        };
        ((pg, iso), Some(times))
    }

    async fn simple(
        &self,
        ses: &Sessions,
    ) -> Timed<(Result<Answer, DbError>, Result<Answer, DbError>)> {
        let started = Instant::now();
        let pg = query_text(&ses.pg, self.pg_sql).await;
        let pg_time = started.elapsed();
        let started = Instant::now();
        let iso = query_text(&ses.iso, self.iso_sql).await;
        let times = Times {
            iso: started.elapsed(),
            pg: pg_time,
        };
        ((pg, iso), Some(times))
    }

    /// exact, rows, shape, columns: through each protocol the statement uses.
    async fn check_answers(&self, ses: &Sessions) -> Timed<Result<(), String>> {
        let mut first_time = None;
        let mut types: Option<Vec<u32>> = None;
        let mut failures = Vec::new();
        if matches!(self.s.protocol, Protocol::Both | Protocol::Extended) {
            let ((pg, iso), time) = self.extended(ses).await;
            first_time = first_time.or(time);
            if let Ok(a) = &pg {
                types = Some(a.types.clone());
            }
            let verdict = match &pg {
                Err(e) if no_binary_output(e) => self.extended_text_results(ses).await,
                _ => self.judge("extended", pg, iso, None),
            };
            if let Err(e) = verdict {
                failures.push(e);
            }
        }
        if matches!(self.s.protocol, Protocol::Both | Protocol::Simple) {
            if types.is_none() {
                // Column types for OID normalization: describe on PostgreSQL.
                if let Ok(stmt) = ses.pg.prepare(self.pg_sql).await {
                    types = Some(stmt.columns().iter().map(|c| c.type_().oid()).collect());
                }
            }
            let ((pg, iso), time) = self.simple(ses).await;
            first_time = first_time.or(time);
            if let Err(e) = self.judge("simple", pg, iso, types.as_deref()) {
                failures.push(e);
            }
        }
        let result = if failures.is_empty() {
            Ok(())
        } else {
            Err(failures.join("\n"))
        };
        (result, first_time)
    }

    /// PostgreSQL has no binary output for some types (`aclitem`), so a
    /// client asks for text results there, which tokio-postgres cannot: the
    /// statement is described with its declared parameter types (names and
    /// types compared), then its rows are read as text with the parameters
    /// inlined as typed literals.
    async fn extended_text_results(&self, ses: &Sessions) -> Result<(), String> {
        let how = "extended, text results";
        let pg = ses
            .pg
            .prepare_typed(self.pg_sql, &self.pg_params.types)
            .await
            .map_err(|e| {
                format!(
                    "[{how}] PostgreSQL rejected the statement: {}",
                    DbError::from(e)
                )
            })?;
        let iso = ses
            .iso
            .prepare_typed(self.iso_sql, &self.iso_params.types)
            .await
            .map_err(|e| format!("[{how}] Isotherm failed: {}", DbError::from(e)))?;
        let describe = |s: &tokio_postgres::Statement| -> (Vec<String>, Vec<u32>) {
            s.columns()
                .iter()
                .map(|c| (c.name().to_string(), c.type_().oid()))
                .unzip()
        };
        let ((pg_names, pg_types), (iso_names, iso_types)) = (describe(&pg), describe(&iso));
        if (&pg_names, &pg_types) != (&iso_names, &iso_types) {
            return Err(format!(
                "[{how}] described columns differ\n  PostgreSQL: {}\n  Isotherm:   {}",
                describe_types(&pg_names, &pg_types),
                describe_types(&iso_names, &iso_types)
            ));
        }
        let pg_rows = query_text(
            &ses.pg,
            &corpus::inline_params(self.pg_sql, &self.pg_params.literals),
        )
        .await;
        let iso_rows = query_text(
            &ses.iso,
            &corpus::inline_params(self.iso_sql, &self.iso_params.literals),
        )
        .await;
        self.judge(how, pg_rows, iso_rows, Some(&pg_types))
    }

    fn judge(
        &self,
        how: &str,
        pg: Result<Answer, DbError>,
        iso: Result<Answer, DbError>,
        text_types: Option<&[u32]>,
    ) -> Result<(), String> {
        let (mut pg, mut iso) = match (pg, iso) {
            (Ok(p), Ok(i)) => (p, i),
            (Err(p), _) => return Err(format!("[{how}] PostgreSQL rejected the statement: {p}")),
            (Ok(_), Err(i)) => return Err(format!("[{how}] Isotherm failed: {i}")),
        };
        if pg.columns != iso.columns {
            return Err(format!(
                "[{how}] column names differ\n  PostgreSQL: {:?}\n  Isotherm:   {:?}",
                pg.columns, iso.columns
            ));
        }
        if !pg.types.is_empty() && pg.types != iso.types {
            return Err(format!(
                "[{how}] column types differ\n  PostgreSQL: {}\n  Isotherm:   {}",
                describe_types(&pg.columns, &pg.types),
                describe_types(&iso.columns, &iso.types)
            ));
        }
        if self.s.compare == CompareMode::Columns {
            return Ok(());
        }
        let oid_columns: Vec<bool> = match text_types {
            Some(t) => t.iter().map(|oid| OID_TYPES.contains(oid)).collect(),
            None => pg.types.iter().map(|oid| OID_TYPES.contains(oid)).collect(),
        };
        let ignored: Vec<bool> = pg
            .columns
            .iter()
            .map(|c| self.s.ignore.iter().any(|i| i == c))
            .collect();
        for a in [&mut pg, &mut iso] {
            normalize(a, &oid_columns, &ignored);
        }
        if self.s.compare == CompareMode::Shape {
            for a in [&mut pg, &mut iso] {
                a.rows.retain(|row| {
                    row.iter()
                        .any(|c| matches!(c, Cell::Text(t) if self.s.keep.contains(t)))
                });
            }
        }
        let ordered = self.s.compare == CompareMode::Exact && has_top_level_order_by(&self.s.sql);
        compare(&pg, &iso, ordered).map_err(|why| {
            format!(
                "[{how}] {why}\n  PostgreSQL: {}\n  Isotherm:   {}",
                indent(&pg.render()),
                indent(&iso.render())
            )
        })
    }

    /// Both fail, with the same SQLSTATE class.
    async fn check_error(&self, ses: &Sessions) -> Timed<Result<(), String>> {
        let ((pg, iso), time) = if self.s.protocol == Protocol::Simple {
            self.simple(ses).await
        } else {
            self.extended(ses).await
        };
        let result = match (pg, iso) {
            (Err(p), Err(i)) => {
                let class = |e: &DbError| e.code.as_deref().map(|c| c[..2].to_string());
                if !self.s.sqlstates.is_empty()
                    && !p
                        .code
                        .as_ref()
                        .is_some_and(|c| self.s.sqlstates.contains(c))
                {
                    Err(format!(
                        "PostgreSQL failed with {p}, not one of {:?}",
                        self.s.sqlstates
                    ))
                } else if class(&p).is_none() || class(&p) != class(&i) {
                    Err(format!(
                        "SQLSTATE classes differ\n  PostgreSQL: {p}\n  Isotherm:   {i}"
                    ))
                } else {
                    Ok(())
                }
            }
            (Ok(a), _) => Err(format!(
                "PostgreSQL accepted the statement ({} rows); expected an error",
                a.rows.len()
            )),
            (Err(p), Ok(a)) => Err(format!(
                "Isotherm answered ({} rows) where PostgreSQL failed with {p}",
                a.rows.len()
            )),
        };
        (result, time)
    }

    /// Isotherm must refuse cleanly; PostgreSQL's outcome is only reported.
    async fn check_refused(&self, ses: &Sessions) -> Timed<Result<(), String>> {
        let started = Instant::now();
        let pg = match ses.scratch.batch_execute("BEGIN").await {
            Ok(()) => {
                let r = if self.s.protocol == Protocol::Simple {
                    query_text(&ses.scratch, self.pg_sql).await
                } else {
                    query_extended(&ses.scratch, self.pg_sql, self.pg_params).await
                };
                let _ = ses.scratch.batch_execute("ROLLBACK").await;
                r
            }
            Err(e) => Err(DbError::from(e)),
        };
        let pg_time = started.elapsed();
        let started = Instant::now();
        let iso = if self.s.protocol == Protocol::Simple {
            query_text(&ses.iso, self.iso_sql).await
        } else {
            query_extended(&ses.iso, self.iso_sql, self.iso_params).await
        };
        let time = Some(Times {
            iso: started.elapsed(),
            pg: pg_time,
        });
        let pg_outcome = match &pg {
            Ok(_) => "PostgreSQL: ok (rolled back)".to_string(),
            Err(e) => format!("PostgreSQL: {e}"),
        };
        let result = match iso {
            Ok(a) => Err(format!(
                "Isotherm accepted a write ({} rows); expected a clean refusal. {pg_outcome}",
                a.rows.len()
            )),
            Err(e) => {
                let code = e.code.clone().unwrap_or_default();
                let clean = if self.s.sqlstates.is_empty() {
                    !code.is_empty() && !["XX", "08", "53", "58"].contains(&&code[..2])
                } else {
                    self.s.sqlstates.contains(&code)
                };
                if clean {
                    Ok(())
                } else {
                    Err(format!(
                        "Isotherm refused with {e}; expected one of {:?}. {pg_outcome}",
                        self.s.sqlstates
                    ))
                }
            }
        };
        (result, time)
    }
}

/// PostgreSQL's refusal to send a type in binary.
fn no_binary_output(e: &DbError) -> bool {
    e.code.as_deref() == Some("42883") && e.message.contains("binary output function")
}

/// User OIDs become `<user oid>`, built-in ones integers; ignored columns NULL.
fn normalize(a: &mut Answer, oid_columns: &[bool], ignored: &[bool]) {
    for row in &mut a.rows {
        for (i, cell) in row.iter_mut().enumerate() {
            if ignored.get(i).copied().unwrap_or(false) {
                *cell = Cell::Null;
                continue;
            }
            if !oid_columns.get(i).copied().unwrap_or(false) {
                continue;
            }
            let oid = match cell {
                Cell::Other { bytes, .. } => <[u8; 4]>::try_from(bytes.as_slice())
                    .ok()
                    .map(u32::from_be_bytes),
                Cell::Text(t) => t.parse::<u32>().ok(),
                Cell::Int(v) => u32::try_from(*v).ok(),
                _ => None,
            };
            if let Some(oid) = oid {
                *cell = if oid >= FIRST_USER_OID {
                    Cell::Text("<user oid>".into())
                } else {
                    Cell::Int(i64::from(oid))
                };
            }
        }
    }
}

fn describe_types(columns: &[String], types: &[u32]) -> String {
    let parts: Vec<String> = columns
        .iter()
        .zip(types)
        .map(|(c, t)| {
            let name = Type::from_oid(*t).map_or_else(|| t.to_string(), |ty| ty.name().to_string());
            format!("{c}:{name}")
        })
        .collect();
    parts.join(", ")
}

fn indent(s: &str) -> String {
    s.replace('\n', "\n    ")
}

fn ms(d: Duration) -> f64 {
    d.as_secs_f64() * 1e3
}

/// The `q` quantile of `v` (nearest rank); zero for none.
fn quantile(v: &[Duration], q: f64) -> Duration {
    let mut v = v.to_vec();
    v.sort();
    let rank = ((v.len() as f64 * q).ceil() as usize).saturating_sub(1);
    v.get(rank).copied().unwrap_or_default()
}

impl Outcome {
    fn iso_time(&self) -> Option<Duration> {
        self.time.map(|t| t.iso)
    }
}

fn render(outcomes: &[Outcome]) -> String {
    let mut r = String::from("BI-tool corpora replayed against PostgreSQL 15 and Isotherm\n");
    for o in outcomes {
        let time = o.time.map_or_else(
            || "      - ms (PostgreSQL       - ms)".to_string(),
            |t| format!("{:7.1} ms (PostgreSQL {:7.1} ms)", ms(t.iso), ms(t.pg)),
        );
        let slow = if o.catalog && o.iso_time().is_some_and(|d| d > CATALOG_TARGET) {
            " SLOW"
        } else {
            ""
        };
        let _ = writeln!(
            r,
            "{} {:<45} {:<7} {:<8} {}{}{}",
            match (&o.failure, &o.known) {
                (None, None) => "pass",
                (None, Some(_)) => "FIXD",
                (Some(_), Some(_)) => "KNWN",
                (Some(_), None) => "FAIL",
            },
            format!("{}/{}", o.tool, o.name),
            o.mode.as_str(),
            o.protocol.as_str(),
            time,
            if o.catalog { " catalog" } else { "" },
            slow,
        );
        if let Some(k) = &o.known {
            let _ = writeln!(r, "      known: {k}");
        }
        if let Some(f) = &o.failure {
            let shown: String = f.lines().take(60).collect::<Vec<_>>().join("\n      ");
            let _ = writeln!(r, "      {shown}");
        }
    }
    let _ = writeln!(r, "\nper tool (passed / total; known differences):");
    let mut tools: Vec<&str> = outcomes.iter().map(|o| o.tool.as_str()).collect();
    tools.dedup();
    for tool in tools {
        let of: Vec<&Outcome> = outcomes.iter().filter(|o| o.tool == tool).collect();
        let passed = of.iter().filter(|o| o.failure.is_none()).count();
        let known = of
            .iter()
            .filter(|o| o.failure.is_some() && o.known.is_some())
            .count();
        let _ = writeln!(r, "  {tool:<10} {passed:>3} / {}; {known}", of.len());
    }
    let catalog: Vec<&Outcome> = outcomes.iter().filter(|o| o.catalog).collect();
    let slow: Vec<&Outcome> = catalog
        .iter()
        .copied()
        .filter(|o| o.iso_time().is_some_and(|d| d > CATALOG_TARGET))
        .collect();
    let _ = writeln!(
        r,
        "catalog statements: {}, slower than {} ms on Isotherm: {}",
        catalog.len(),
        CATALOG_TARGET.as_millis(),
        slow.len(),
    );
    let times: Vec<Times> = catalog.iter().filter_map(|o| o.time).collect();
    let iso: Vec<Duration> = times.iter().map(|t| t.iso).collect();
    let pg: Vec<Duration> = times.iter().map(|t| t.pg).collect();
    for (what, q) in [("p50", 0.5), ("p90", 0.9), ("max", 1.0)] {
        let (i, p) = (quantile(&iso, q), quantile(&pg, q));
        let _ = writeln!(
            r,
            "  {what}: Isotherm {:.1} ms, PostgreSQL {:.1} ms ({:.1}x)",
            ms(i),
            ms(p),
            ms(i) / ms(p).max(1e-3)
        );
    }
    for o in slow {
        let _ = writeln!(r, "  {}/{}", o.tool, o.name);
    }
    r
}
