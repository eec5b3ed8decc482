//! One statement, from parsed text to a materialized [`Reply`].
//!
//! Transaction control (`BEGIN`, `COMMIT`, `ROLLBACK [TO SAVEPOINT]`,
//! `SAVEPOINT`, `RELEASE`), `DISCARD`, `DEALLOCATE`, `LISTEN`/`UNLISTEN`,
//! cursors and `COPY` are handled here; everything else is routed (see
//! [`crate::general`]) to the index planner or the general engine and run.
//! In an aborted transaction only `COMMIT` / `ROLLBACK` run (25P02).

use std::sync::Arc;

use bytes::Bytes;
use isotherm_engine::arrow::datatypes::DataType;
use isotherm_engine::{EnginePlan, ScalarValue};
use pgwire::api::portal::Format;
use pgwire::messages::data::DataRow;
use pgwire::messages::response::TransactionStatus;
use sqlparser::ast::{CopySource, CopyTarget, DiscardObject, Ident, Statement};

use super::plan_cache::PlanCache;
use super::{Conn, Core, Tx};
use crate::command::{Command, Declare, Fetch, Parsed};
use crate::copy::{CopyOptions, copy_data};
use crate::cursor::Cursor;
use crate::error::{SqlError, SqlResult};
use crate::general::{Fallback, explain_lines, fallback, names_catalog, pick_error};
use crate::rows::{Column, Rows};
use crate::session::SessionCommand;
use crate::sql::exec::{explain_select, run_select, run_select_within};
use crate::sql::names::ident;
use crate::sql::plan::{Plan, explain_lines as index_explain_lines, plan_statement};
use crate::sql::select::{Planner, SelectPlan};
use crate::sql::{Field, Params};
use crate::types::{PgType, TextOptions};

/// What a statement sends back (before ReadyForQuery).
#[derive(Debug)]
pub struct Reply {
    pub body: Body,
    /// WARNINGs to send before it.
    pub notices: Vec<(&'static str, String)>,
    /// Prepared statements to drop (the caller owns the statement store).
    pub dealloc: Option<Dealloc>,
}

#[derive(Debug)]
pub enum Body {
    Rows {
        columns: Vec<Column>,
        format: Format,
        data: Vec<DataRow>,
        /// `SELECT`, `FETCH` (with a row count) or `SHOW`, `EXPLAIN` (without).
        tag: &'static str,
    },
    Command(String),
    Copy {
        format: i8,
        columns: usize,
        data: Vec<Bytes>,
        rows: usize,
    },
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Dealloc {
    All,
    One(String),
}

impl Reply {
    fn command(tag: impl Into<String>) -> Reply {
        Reply {
            body: Body::Command(tag.into()),
            notices: Vec::new(),
            dealloc: None,
        }
    }

    fn with_notice(mut self, code: &'static str, msg: &str) -> Reply {
        self.notices.push((code, msg.to_owned()));
        self
    }
}

/// The command tag with its row count (`SHOW` and `EXPLAIN` have none).
pub fn tag_with_rows(tag: &str, rows: usize) -> String {
    match tag {
        "SHOW" | "EXPLAIN" => tag.to_owned(),
        _ => format!("{tag} {rows}"),
    }
}

/// How a statement's parameters arrive.
pub enum Bound {
    /// None: plan now (simple protocol, control statements).
    None,
    /// Index route, bound values to plan with, and where the statement
    /// keeps its plan (if it may).
    Index {
        params: Params,
        cache: Option<Arc<PlanCache>>,
    },
    /// Engine route, planned at Parse.
    Engine {
        plan: Arc<EnginePlan>,
        params: Vec<ScalarValue>,
        explain: bool,
    },
}

/// Which path answers a statement.
#[derive(Debug)]
pub enum Routed {
    Index(Box<Plan>),
    /// A prepared statement's kept plan.
    Cached(Arc<SelectPlan>),
    Engine(Arc<EnginePlan>),
    EngineExplain(Arc<EnginePlan>),
}

/// A statement's result before encoding.
enum Outcome {
    Rows(Rows, &'static str),
    Command(String),
}

/// Statements handled here rather than planned.
pub fn is_control(stmt: &Statement) -> bool {
    matches!(
        stmt,
        Statement::StartTransaction { .. }
            | Statement::Commit { .. }
            | Statement::Rollback { .. }
            | Statement::Savepoint { .. }
            | Statement::ReleaseSavepoint { .. }
            | Statement::Discard { .. }
            | Statement::Deallocate { .. }
            | Statement::LISTEN { .. }
            | Statement::UNLISTEN { .. }
            | Statement::NOTIFY { .. }
            | Statement::Copy { .. }
    )
}

/// Where the innermost savepoint `name` stands (3B001 if none).
fn savepoint_at(savepoints: &[String], name: &Ident) -> SqlResult<usize> {
    let name = ident(name);
    savepoints
        .iter()
        .rposition(|s| *s == name)
        .ok_or(SqlError::UndefinedSavepoint(name))
}

/// Index answers reading at most this many entries (rollup groups, rows)
/// run on the connection's task: well under a millisecond, and a trip
/// through the blocking pool would cost more than the answer.
const INLINE_WORK: usize = 10_000;

async fn blocking<T: Send + 'static>(
    f: impl FnOnce() -> SqlResult<T> + Send + 'static,
) -> SqlResult<T> {
    tokio::task::spawn_blocking(f)
        .await
        .map_err(|e| SqlError::Internal(format!("query task failed: {e}")))?
}

impl Core {
    /// Plans `stmt` with the index, or with the engine where the index does
    /// not cover it. Returns the route and the parameters as the index saw them.
    pub async fn route(
        &self,
        conn: &Conn,
        stmt: &Statement,
        text: &str,
        params: Params,
        declared: &[Option<DataType>],
    ) -> SqlResult<(Routed, Params)> {
        let mut index_error = None;
        if !names_catalog(stmt, self.backend.as_ref()) {
            let planned = {
                let s = conn.session.lock();
                let mut planner = Planner {
                    backend: self.backend.as_ref(),
                    session: &s,
                    params,
                };
                plan_statement(stmt, &mut planner).map(|p| (p, planner.params))
            };
            match planned {
                Ok((plan, params)) => return Ok((Routed::Index(Box::new(plan)), params)),
                Err(e) => {
                    let how = fallback(&e);
                    let general = matches!(stmt, Statement::Query(_))
                        || matches!(stmt, Statement::Explain { statement, .. }
                            if matches!(statement.as_ref(), Statement::Query(_)));
                    if how == Fallback::No || !general {
                        return Err(e);
                    }
                    index_error = Some((e, how));
                }
            }
        }
        let (sql, explain) = match stmt {
            Statement::Explain { statement, .. } => (statement.to_string(), true),
            _ => (text.to_owned(), false),
        };
        let vars = conn.session.lock().vars();
        match self.engine.plan(&sql, &vars, declared).await {
            Ok(plan) => {
                let plan = Arc::new(plan);
                let routed = if explain {
                    Routed::EngineExplain(plan)
                } else {
                    Routed::Engine(plan)
                };
                Ok((routed, Params::default()))
            }
            Err(e) => Err(match index_error {
                Some((ie, how)) => pick_error(ie, e.into(), how),
                None => e.into(),
            }),
        }
    }

    /// Runs a routed statement to its (unencoded) outcome.
    async fn execute(
        &self,
        conn: &Conn,
        routed: Routed,
        params: Vec<ScalarValue>,
        tx: &mut Tx,
    ) -> SqlResult<Outcome> {
        match routed {
            Routed::Cached(p) => self.select(p).await,
            Routed::Index(plan) => match *plan {
                Plan::Select(p) => self.select(Arc::new(p)).await,
                Plan::Explain(p) => {
                    let backend = self.backend.clone();
                    let lines = blocking(move || {
                        let e = explain_select(&p, backend.as_ref())?;
                        Ok(index_explain_lines(&p, e.as_ref()))
                    })
                    .await?;
                    Ok(Outcome::Rows(
                        Rows::text_lines("QUERY PLAN", lines),
                        "EXPLAIN",
                    ))
                }
                Plan::Session(cmd) => session_command(conn, cmd, tx),
            },
            Routed::Engine(plan) => {
                let batches = plan.execute(params).await?;
                Ok(Outcome::Rows(
                    Rows::from_batches(&plan.schema, &batches)?,
                    "SELECT",
                ))
            }
            Routed::EngineExplain(plan) => Ok(Outcome::Rows(
                Rows::text_lines("QUERY PLAN", explain_lines(&plan)),
                "EXPLAIN",
            )),
        }
    }

    /// Runs an index plan: in place when cheap, else on the blocking pool.
    async fn select(&self, p: Arc<SelectPlan>) -> SqlResult<Outcome> {
        let fields = p.fields.clone();
        let rows = match run_select_within(&p, self.backend.as_ref(), INLINE_WORK)? {
            Some(rows) => rows,
            None => {
                let backend = self.backend.clone();
                blocking(move || run_select(&p, backend.as_ref())).await?
            }
        };
        Ok(Outcome::Rows(Rows::Values { fields, rows }, "SELECT"))
    }

    /// Plans a prepared index statement, or takes its kept plan.
    async fn route_prepared(
        &self,
        conn: &Conn,
        stmt: &Statement,
        text: &str,
        params: Params,
        cache: Option<Arc<PlanCache>>,
    ) -> SqlResult<Routed> {
        let Some(cache) = cache else {
            return Ok(self.route(conn, stmt, text, params, &[]).await?.0);
        };
        let generation = conn.session.lock().generation();
        if let Some(plan) = cache.get(generation, &params, self.backend.as_ref()) {
            return Ok(Routed::Cached(plan));
        }
        let key = params.clone();
        Ok(match self.route(conn, stmt, text, params, &[]).await?.0 {
            Routed::Index(plan) => match *plan {
                Plan::Select(p) => {
                    let p = Arc::new(p);
                    cache.put(generation, &key, self.backend.as_ref(), p.clone());
                    Routed::Cached(p)
                }
                other => Routed::Index(Box::new(other)),
            },
            other => other,
        })
    }

    /// Routes and runs a query to rows (cursors, COPY).
    async fn query_rows(
        &self,
        conn: &Conn,
        stmt: &Statement,
        text: &str,
        tx: &mut Tx,
    ) -> SqlResult<Rows> {
        let (routed, _) = self.route(conn, stmt, text, Params::default(), &[]).await?;
        match self.execute(conn, routed, Vec::new(), tx).await? {
            Outcome::Rows(rows, _) => Ok(rows),
            Outcome::Command(tag) => Err(SqlError::Syntax(format!("{tag} does not return rows"))),
        }
    }

    /// Runs one statement. `tx` is updated when it succeeds.
    pub async fn run(
        &self,
        conn: &Conn,
        p: &Parsed,
        bound: Bound,
        format: &Format,
        tx: &mut Tx,
    ) -> SqlResult<Reply> {
        let ends_tx = matches!(
            &p.cmd,
            Command::Sql(s) if matches!(s.as_ref(), Statement::Commit { .. } | Statement::Rollback { .. })
        );
        if matches!(tx.status, TransactionStatus::Error) && !ends_tx {
            return Err(SqlError::InFailedTransaction);
        }
        let opts = conn.session.lock().text_options();
        match &p.cmd {
            Command::Declare(d) => self.declare(conn, d, bound, tx).await,
            Command::Fetch(f) => fetch(conn, f, format, opts),
            Command::Close(name) => {
                conn.state.lock().cursors.close(name.as_deref())?;
                Ok(Reply::command(if name.is_some() {
                    "CLOSE CURSOR"
                } else {
                    "CLOSE CURSOR ALL"
                }))
            }
            Command::Sql(stmt) => {
                if is_control(stmt) {
                    return self.control(conn, stmt, tx, opts).await;
                }
                let (routed, params) = match bound {
                    Bound::Engine {
                        plan,
                        params,
                        explain,
                    } => (
                        if explain {
                            Routed::EngineExplain(plan)
                        } else {
                            Routed::Engine(plan)
                        },
                        params,
                    ),
                    Bound::Index { params, cache } => (
                        self.route_prepared(conn, stmt, &p.text, params, cache)
                            .await?,
                        Vec::new(),
                    ),
                    Bound::None => (
                        self.route(conn, stmt, &p.text, Params::default(), &[])
                            .await?
                            .0,
                        Vec::new(),
                    ),
                };
                match self.execute(conn, routed, params, tx).await? {
                    Outcome::Command(tag) => Ok(Reply::command(tag)),
                    Outcome::Rows(rows, tag) => rows_reply(&rows, 0..rows.len(), format, tag, opts),
                }
            }
        }
    }

    async fn declare(
        &self,
        conn: &Conn,
        d: &Declare,
        bound: Bound,
        tx: &mut Tx,
    ) -> SqlResult<Reply> {
        if !d.hold && !tx.in_block() {
            return Err(SqlError::NoActiveTransaction("DECLARE CURSOR"));
        }
        if conn.state.lock().cursors.get(&d.name).is_some() {
            return Err(SqlError::DuplicateCursor(d.name.clone()));
        }
        let rows = match bound {
            // Parameters bound into the cursor's query (extended protocol).
            Bound::Engine {
                plan,
                params,
                explain: false,
            } => match self.execute(conn, Routed::Engine(plan), params, tx).await? {
                Outcome::Rows(rows, _) => rows,
                Outcome::Command(tag) => {
                    return Err(SqlError::Syntax(format!("{tag} does not return rows")));
                }
            },
            Bound::Index { params, .. } => {
                let (routed, _) = self
                    .route(conn, &d.query, &d.query_text, params, &[])
                    .await?;
                match self.execute(conn, routed, Vec::new(), tx).await? {
                    Outcome::Rows(rows, _) => rows,
                    Outcome::Command(tag) => {
                        return Err(SqlError::Syntax(format!("{tag} does not return rows")));
                    }
                }
            }
            _ => self.query_rows(conn, &d.query, &d.query_text, tx).await?,
        };
        conn.state.lock().cursors.declare(
            &d.name,
            Cursor::new(Arc::new(rows), d.binary, d.hold, d.no_scroll),
        )?;
        Ok(Reply::command("DECLARE CURSOR"))
    }

    async fn control(
        &self,
        conn: &Conn,
        stmt: &Statement,
        tx: &mut Tx,
        opts: TextOptions,
    ) -> SqlResult<Reply> {
        let explicit = !matches!(tx.status, TransactionStatus::Idle);
        Ok(match stmt {
            Statement::StartTransaction {
                begin, statements, ..
            } => {
                if !statements.is_empty() {
                    return Err(SqlError::unsupported("BEGIN ... END blocks"));
                }
                let tag = if *begin { "BEGIN" } else { "START TRANSACTION" };
                if explicit {
                    return Ok(Reply::command(tag)
                        .with_notice("25001", "there is already a transaction in progress"));
                }
                if !tx.implicit {
                    let saved = conn.session.lock().clone();
                    conn.state.lock().saved = Some(saved);
                }
                tx.implicit = false;
                tx.status = TransactionStatus::Transaction;
                Reply::command(tag)
            }
            Statement::Commit { .. }
            | Statement::Rollback {
                savepoint: None, ..
            } => {
                let rollback = matches!(stmt, Statement::Rollback { .. })
                    || matches!(tx.status, TransactionStatus::Error);
                let tag = if rollback { "ROLLBACK" } else { "COMMIT" };
                if !explicit {
                    return Ok(Reply::command(tag)
                        .with_notice("25P01", "there is no transaction in progress"));
                }
                conn.end_transaction(rollback);
                tx.status = TransactionStatus::Idle;
                Reply::command(tag)
            }
            Statement::Rollback {
                savepoint: Some(name),
                ..
            } => {
                if !explicit {
                    return Err(SqlError::NoActiveTransaction("ROLLBACK TO SAVEPOINT"));
                }
                let mut st = conn.state.lock();
                let at = savepoint_at(&st.savepoints, name)?;
                st.savepoints.truncate(at + 1);
                tx.status = TransactionStatus::Transaction;
                Reply::command("ROLLBACK")
            }
            Statement::Savepoint { name } => {
                if !explicit {
                    return Err(SqlError::NoActiveTransaction("SAVEPOINT"));
                }
                conn.state.lock().savepoints.push(ident(name));
                Reply::command("SAVEPOINT")
            }
            Statement::ReleaseSavepoint { name } => {
                if !explicit {
                    return Err(SqlError::NoActiveTransaction("RELEASE SAVEPOINT"));
                }
                let mut st = conn.state.lock();
                let at = savepoint_at(&st.savepoints, name)?;
                st.savepoints.truncate(at);
                Reply::command("RELEASE")
            }
            Statement::Discard { object_type } => match object_type {
                DiscardObject::ALL => {
                    if tx.in_block() {
                        return Err(SqlError::ActiveTransaction("DISCARD ALL"));
                    }
                    let mut st = conn.state.lock();
                    st.cursors.close(None)?;
                    st.statements.clear();
                    drop(st);
                    let mut reply = Reply::command("DISCARD ALL");
                    conn.session.lock().reset_all();
                    reply.dealloc = Some(Dealloc::All);
                    reply
                }
                other => Reply::command(format!("DISCARD {other}")),
            },
            Statement::Deallocate { name, .. } => {
                if name.quote_style.is_none() && name.value.eq_ignore_ascii_case("all") {
                    conn.state.lock().statements.clear();
                    let mut reply = Reply::command("DEALLOCATE ALL");
                    reply.dealloc = Some(Dealloc::All);
                    reply
                } else {
                    let name = ident(name);
                    if !conn.state.lock().statements.remove(&name) {
                        return Err(SqlError::UndefinedStatement(name));
                    }
                    let mut reply = Reply::command("DEALLOCATE");
                    reply.dealloc = Some(Dealloc::One(name));
                    reply
                }
            }
            Statement::UNLISTEN { .. } => Reply::command("UNLISTEN"),
            Statement::LISTEN { .. } => return Err(SqlError::unsupported("LISTEN")),
            Statement::NOTIFY { .. } => return Err(SqlError::unsupported("NOTIFY")),
            Statement::Copy {
                source,
                to,
                target,
                options,
                legacy_options,
                ..
            } => {
                if !*to {
                    return Err(SqlError::ReadOnly(
                        "cannot execute COPY FROM in a read-only transaction: Isotherm's tables are written through the admin API".into(),
                    ));
                }
                if !matches!(target, CopyTarget::Stdout) {
                    return Err(SqlError::unsupported(
                        "COPY TO a file or program (use COPY ... TO STDOUT, or psql's \\copy)",
                    ));
                }
                let o = CopyOptions::parse(options, legacy_options)?;
                let (stmt, text) = copy_query(source)?;
                let rows = self.query_rows(conn, &stmt, &text, tx).await?;
                let data = copy_data(&rows, &o, opts)?;
                Reply {
                    body: Body::Copy {
                        format: o.format_code(),
                        columns: rows.width(),
                        data,
                        rows: rows.len(),
                    },
                    notices: Vec::new(),
                    dealloc: None,
                }
            }
            other => return Err(SqlError::unsupported(other.to_string())),
        })
    }
}

/// The query a COPY reads: its own, or `SELECT cols FROM table`.
fn copy_query(source: &CopySource) -> SqlResult<(Statement, String)> {
    match source {
        CopySource::Query(q) => Ok((Statement::Query(q.clone()), q.to_string())),
        CopySource::Table {
            table_name,
            columns,
        } => {
            let cols = if columns.is_empty() {
                "*".to_owned()
            } else {
                columns
                    .iter()
                    .map(ToString::to_string)
                    .collect::<Vec<_>>()
                    .join(", ")
            };
            let text = format!("SELECT {cols} FROM {table_name}");
            let stmt = crate::sql::parse::parse_sql(&text)?
                .pop()
                .ok_or_else(|| SqlError::Internal("empty COPY query".into()))?;
            Ok((stmt, text))
        }
    }
}

fn rows_reply(
    rows: &Rows,
    which: impl ExactSizeIterator<Item = usize>,
    format: &Format,
    tag: &'static str,
    opts: TextOptions,
) -> SqlResult<Reply> {
    let data = rows.encode(which, format, opts)?;
    Ok(Reply {
        body: Body::Rows {
            columns: rows.columns(),
            format: format.clone(),
            data,
            tag,
        },
        notices: Vec::new(),
        dealloc: None,
    })
}

fn fetch(conn: &Conn, f: &Fetch, format: &Format, opts: TextOptions) -> SqlResult<Reply> {
    let (rows, which, binary) = conn.state.lock().cursors.fetch(f)?;
    if f.is_move {
        return Ok(Reply::command(format!("MOVE {}", which.len())));
    }
    let format = if binary && matches!(format, Format::UnifiedText) {
        Format::UnifiedBinary
    } else {
        format.clone()
    };
    rows_reply(&rows, which.into_iter(), &format, "FETCH", opts)
}

/// SET / SHOW / RESET and the session commands the index planner knows.
fn session_command(conn: &Conn, cmd: SessionCommand, tx: &mut Tx) -> SqlResult<Outcome> {
    let mut s = conn.session.lock();
    let show = |name: String, value: String| {
        Outcome::Rows(
            Rows::Values {
                fields: vec![Field::new(name, PgType::Text)],
                rows: vec![vec![isotherm_indexer::Value::Text(value)]],
            },
            "SHOW",
        )
    };
    Ok(match cmd {
        SessionCommand::Set { name, value } => {
            s.set(&name, value)?;
            Outcome::Command("SET".into())
        }
        SessionCommand::Reset(name) => {
            s.set(&name, None)?;
            Outcome::Command("RESET".into())
        }
        SessionCommand::ResetAll => {
            s.reset_all();
            Outcome::Command("RESET".into())
        }
        SessionCommand::Show(name) => {
            let (name, value) = s.show(&name)?;
            show(name, value)
        }
        SessionCommand::ShowAll => Outcome::Rows(
            Rows::Values {
                fields: vec![
                    Field::new("name", PgType::Text),
                    Field::new("setting", PgType::Text),
                    Field::new("description", PgType::Text),
                ],
                rows: s
                    .show_all()
                    .into_iter()
                    .map(|r| r.into_iter().map(isotherm_indexer::Value::Text).collect())
                    .collect(),
            },
            "SHOW",
        ),
        // Transaction statements are handled before planning; these arms
        // only keep the match whole.
        SessionCommand::Begin { tag } => {
            tx.status = TransactionStatus::Transaction;
            Outcome::Command(tag.into())
        }
        SessionCommand::Commit => Outcome::Command("COMMIT".into()),
        SessionCommand::Rollback => Outcome::Command("ROLLBACK".into()),
        SessionCommand::Noop { tag } => Outcome::Command(tag),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tags_count_rows_except_show_and_explain() {
        assert_eq!(tag_with_rows("SELECT", 3), "SELECT 3");
        assert_eq!(tag_with_rows("FETCH", 0), "FETCH 0");
        assert_eq!(tag_with_rows("SHOW", 1), "SHOW");
        assert_eq!(tag_with_rows("EXPLAIN", 9), "EXPLAIN");
    }
}
