//! pgwire glue: startup (trust), simple query, extended query (parse / bind /
//! describe / execute) and result encoding.
//!
//! Statements are planned at Parse, which fixes parameter and result types
//! for Describe, and planned again at Execute with the bound values (cheap:
//! a schema lookup). Index calls run on tokio's blocking pool. Each
//! connection keeps its [`Session`] in pgwire's per-connection extensions.
//!
//! Authentication is `trust`: the startup handler is its own type so a
//! SCRAM handler (and TLS in `process_socket`) can replace it later.

use std::collections::HashMap;
use std::fmt::Debug;
use std::sync::Arc;

use async_trait::async_trait;
use bytes::{BufMut, BytesMut};
use futures::sink::{Sink, SinkExt};
use futures::stream;
use isotherm_indexer::Value;
use parking_lot::Mutex;
use pgwire::api::auth::{
    ServerParameterProvider, StartupHandler, finish_authentication, protocol_negotiation,
    save_startup_parameters_to_metadata,
};
use pgwire::api::portal::{Format, Portal};
use pgwire::api::query::{ExtendedQueryHandler, SimpleQueryHandler};
use pgwire::api::results::{FieldFormat, FieldInfo, QueryResponse, Response, Tag};
use pgwire::api::stmt::{QueryParser, StoredStatement};
use pgwire::api::store::PortalStore;
use pgwire::api::{
    ClientInfo, ClientPortalStore, METADATA_DATABASE, METADATA_USER, PgWireServerHandlers,
    PidSecretKeyGenerator, RandomPidSecretKeyGenerator, Type,
};
use pgwire::error::{PgWireError, PgWireResult};
use pgwire::messages::data::DataRow;
use pgwire::messages::response::TransactionStatus;
use pgwire::messages::startup::ParameterStatus;
use pgwire::messages::{PgWireBackendMessage, PgWireFrontendMessage};
use sqlparser::ast::Statement;

use crate::ProtocolConfig;
use crate::backend::Backend;
use crate::error::{SqlError, SqlResult};
use crate::session::{Session, SessionCommand};
use crate::sql::exec::{explain_select, run_select};
use crate::sql::parse::parse_sql;
use crate::sql::plan::{Plan, explain_lines, plan_statement};
use crate::sql::select::Planner;
use crate::sql::{Field, Params};
use crate::types::{PgType, TextOptions, decode_param, encode_binary, encode_text};

type SharedSession = Arc<Mutex<Session>>;

/// A statement prepared by Parse.
#[derive(Debug, Clone)]
pub struct Prepared {
    pub statement: Arc<Statement>,
    /// Parameter types: the client's where it declared them, else inferred.
    pub param_types: Vec<PgType>,
    pub fields: Vec<Field>,
}

/// Everything a connection needs; one per server, shared by all connections.
pub struct Handler {
    backend: Arc<dyn Backend>,
    config: Arc<ProtocolConfig>,
    parser: Arc<IsothermParser>,
}

impl Handler {
    pub fn new(backend: Arc<dyn Backend>, config: ProtocolConfig) -> Self {
        let config = Arc::new(config);
        Handler {
            parser: Arc::new(IsothermParser {
                backend: backend.clone(),
                config: config.clone(),
            }),
            backend,
            config,
        }
    }
}

fn new_session(config: &ProtocolConfig, user: Option<&str>) -> Session {
    Session::new(
        user.unwrap_or(&config.user),
        &config.database,
        &config.server_version,
        &config.version_string(),
    )
}

fn session_of<C: ClientInfo + ?Sized>(client: &C, config: &ProtocolConfig) -> SharedSession {
    let user = client.metadata().get(METADATA_USER).cloned();
    client
        .session_extensions()
        .get_or_insert_with(|| Mutex::new(new_session(config, user.as_deref())))
}

fn field_infos(fields: &[Field], format: Option<&Format>) -> Vec<FieldInfo> {
    fields
        .iter()
        .enumerate()
        .map(|(i, f)| {
            FieldInfo::new(
                f.name.clone(),
                None,
                None,
                f.ty.pg_type(),
                if format.is_some_and(|fmt| is_binary(fmt, i)) {
                    FieldFormat::Binary
                } else {
                    FieldFormat::Text
                },
            )
            .with_type_size(f.ty.type_size())
        })
        .collect()
}

/// Whether column / parameter `i` uses the binary format (missing codes are text).
fn is_binary(format: &Format, i: usize) -> bool {
    match format {
        Format::UnifiedText => false,
        Format::UnifiedBinary => true,
        Format::Individual(codes) => codes.get(i) == Some(&1),
    }
}

fn encode_rows(
    rows: Vec<Vec<Value>>,
    fields: &[Field],
    format: &Format,
    opts: TextOptions,
) -> SqlResult<Vec<DataRow>> {
    let mut out = Vec::with_capacity(rows.len());
    for row in rows {
        let mut buf = BytesMut::with_capacity(16 * row.len());
        for (i, (v, f)) in row.iter().zip(fields).enumerate() {
            if v.is_null() {
                buf.put_i32(-1);
                continue;
            }
            let start = buf.len();
            buf.put_i32(0);
            if is_binary(format, i) {
                encode_binary(v, f.ty, &mut buf)?;
            } else {
                buf.put_slice(encode_text(v, f.ty, opts).as_bytes());
            }
            let len = (buf.len() - start - 4) as i32;
            buf[start..start + 4].copy_from_slice(&len.to_be_bytes());
        }
        out.push(DataRow::new(buf, fields.len() as i16));
    }
    Ok(out)
}

fn query_response(
    rows: Vec<Vec<Value>>,
    fields: &[Field],
    format: &Format,
    opts: TextOptions,
    tag: &str,
) -> SqlResult<Response> {
    let data = encode_rows(rows, fields, format, opts)?;
    let mut resp = QueryResponse::new(
        Arc::new(field_infos(fields, Some(format))),
        stream::iter(data.into_iter().map(Ok)),
    );
    resp.set_command_tag(tag);
    Ok(Response::Query(resp))
}

fn text_rows(lines: Vec<String>) -> Vec<Vec<Value>> {
    lines.into_iter().map(|l| vec![Value::Text(l)]).collect()
}

async fn blocking<T: Send + 'static>(
    f: impl FnOnce() -> SqlResult<T> + Send + 'static,
) -> SqlResult<T> {
    tokio::task::spawn_blocking(f)
        .await
        .map_err(|e| SqlError::Internal(format!("query task failed: {e}")))?
}

impl Handler {
    fn plan(
        &self,
        session: &SharedSession,
        stmt: &Statement,
        params: Params,
    ) -> SqlResult<(Plan, Params)> {
        let s = session.lock();
        let mut planner = Planner {
            backend: self.backend.as_ref(),
            session: &s,
            params,
        };
        let plan = plan_statement(stmt, &mut planner)?;
        Ok((plan, planner.params))
    }

    /// Plans and runs one statement; `ParameterStatus` for changed settings is
    /// fed to the client before the statement's response.
    async fn execute<C>(
        &self,
        client: &mut C,
        stmt: &Statement,
        params: Params,
        format: &Format,
        tx: TransactionStatus,
    ) -> PgWireResult<SqlResult<Response>>
    where
        C: ClientInfo + Sink<PgWireBackendMessage> + Unpin + Send + Sync,
        C::Error: Debug,
        PgWireError: From<<C as Sink<PgWireBackendMessage>>::Error>,
    {
        let session = session_of(client, &self.config);
        let ends_tx = matches!(stmt, Statement::Commit { .. } | Statement::Rollback { .. });
        if matches!(tx, TransactionStatus::Error) && !ends_tx {
            return Ok(Err(SqlError::InFailedTransaction));
        }
        let plan = match self.plan(&session, stmt, params) {
            Ok((plan, _)) => plan,
            Err(e) => return Ok(Err(e)),
        };
        let opts = session.lock().text_options();
        let fields = plan.fields();
        let result = match plan {
            Plan::Select(p) => {
                let backend = self.backend.clone();
                match blocking(move || run_select(&p, backend.as_ref())).await {
                    Ok(rows) => query_response(rows, &fields, format, opts, "SELECT"),
                    Err(e) => Err(e),
                }
            }
            Plan::Explain(p) => {
                let backend = self.backend.clone();
                let lines = blocking(move || {
                    let e = explain_select(&p, backend.as_ref())?;
                    Ok(explain_lines(&p, e.as_ref()))
                })
                .await;
                lines.and_then(|l| query_response(text_rows(l), &fields, format, opts, "EXPLAIN"))
            }
            Plan::Session(cmd) => {
                let (result, reports) =
                    run_session_command(&session, cmd, &fields, format, opts, tx);
                for (name, value) in reports {
                    client
                        .feed(PgWireBackendMessage::ParameterStatus(ParameterStatus::new(
                            name, value,
                        )))
                        .await?;
                }
                result
            }
        };
        Ok(result)
    }
}

fn run_session_command(
    session: &SharedSession,
    cmd: SessionCommand,
    fields: &[Field],
    format: &Format,
    opts: TextOptions,
    tx: TransactionStatus,
) -> (SqlResult<Response>, Vec<(String, String)>) {
    let mut s = session.lock();
    let mut reports = Vec::new();
    let result = match cmd {
        SessionCommand::Set { name, value } => s.set(&name, value).map(|r| {
            reports.extend(r);
            Response::Execution(Tag::new("SET"))
        }),
        SessionCommand::Reset(name) => s.set(&name, None).map(|r| {
            reports.extend(r);
            Response::Execution(Tag::new("RESET"))
        }),
        SessionCommand::ResetAll => {
            reports = s.reset_all();
            Ok(Response::Execution(Tag::new("RESET")))
        }
        SessionCommand::Show(name) => s.show(&name).and_then(|(_, value)| {
            query_response(vec![vec![Value::Text(value)]], fields, format, opts, "SHOW")
        }),
        SessionCommand::ShowAll => {
            let rows = s
                .show_all()
                .into_iter()
                .map(|r| r.into_iter().map(Value::Text).collect())
                .collect();
            query_response(rows, fields, format, opts, "SHOW")
        }
        SessionCommand::Begin { tag } => Ok(Response::TransactionStart(Tag::new(tag))),
        SessionCommand::Commit => Ok(Response::TransactionEnd(Tag::new(
            if matches!(tx, TransactionStatus::Error) {
                "ROLLBACK"
            } else {
                "COMMIT"
            },
        ))),
        SessionCommand::Rollback => Ok(Response::TransactionEnd(Tag::new("ROLLBACK"))),
        SessionCommand::Noop { tag } => Ok(Response::Execution(Tag::new(&tag))),
    };
    (result, reports)
}

fn next_status(status: TransactionStatus, r: &Response) -> TransactionStatus {
    match r {
        Response::TransactionStart(_) => status.to_in_transaction_state(),
        Response::TransactionEnd(_) => status.to_idle_state(),
        Response::Error(_) => status.to_error_state(),
        _ => status,
    }
}

#[async_trait]
impl SimpleQueryHandler for Handler {
    async fn do_query<C>(&self, client: &mut C, query: &str) -> PgWireResult<Vec<Response>>
    where
        C: ClientInfo + ClientPortalStore + Sink<PgWireBackendMessage> + Unpin + Send + Sync,
        C::PortalStore: PortalStore,
        C::Error: Debug,
        PgWireError: From<<C as Sink<PgWireBackendMessage>>::Error>,
    {
        let statements = match parse_sql(query) {
            Ok(s) => s,
            Err(e) => return Ok(vec![Response::Error(Box::new(e.to_error_info()))]),
        };
        if statements.is_empty() {
            return Ok(vec![Response::EmptyQuery]);
        }
        let mut tx = client.transaction_status();
        let mut responses = Vec::with_capacity(statements.len());
        for stmt in &statements {
            let r = match self
                .execute(client, stmt, Params::default(), &Format::UnifiedText, tx)
                .await?
            {
                Ok(r) => r,
                Err(e) => Response::Error(Box::new(e.to_error_info())),
            };
            tx = next_status(tx, &r);
            let failed = matches!(r, Response::Error(_));
            responses.push(r);
            if failed {
                break;
            }
        }
        Ok(responses)
    }
}

/// Parses and plans statements for the extended protocol.
pub struct IsothermParser {
    backend: Arc<dyn Backend>,
    config: Arc<ProtocolConfig>,
}

#[async_trait]
impl QueryParser for IsothermParser {
    type Statement = Prepared;

    async fn parse_sql<C>(
        &self,
        client: &C,
        sql: &str,
        types: &[Option<Type>],
    ) -> PgWireResult<Option<Prepared>>
    where
        C: ClientInfo + Unpin + Send + Sync,
    {
        let mut statements = parse_sql(sql)?;
        if statements.len() > 1 {
            return Err(SqlError::Syntax(
                "cannot insert multiple commands into a prepared statement".into(),
            )
            .into());
        }
        let Some(stmt) = statements.pop() else {
            return Ok(None);
        };
        let declared: Vec<Option<PgType>> = types
            .iter()
            .map(|t| t.as_ref().and_then(|t| PgType::from_oid(t.oid())))
            .collect();
        let session = session_of(client, &self.config);
        let (plan, params) = {
            let s = session.lock();
            let mut planner = Planner {
                backend: self.backend.as_ref(),
                session: &s,
                params: Params::declared(declared),
            };
            let plan = plan_statement(&stmt, &mut planner)?;
            (plan, planner.params)
        };
        Ok(Some(Prepared {
            statement: Arc::new(stmt),
            param_types: params.resolved_types()?,
            fields: plan.fields(),
        }))
    }

    fn get_parameter_types(&self, stmt: &Prepared) -> PgWireResult<Vec<Type>> {
        Ok(stmt.param_types.iter().map(|t| t.pg_type()).collect())
    }

    fn get_result_schema(
        &self,
        stmt: &Prepared,
        column_format: Option<&Format>,
    ) -> PgWireResult<Vec<FieldInfo>> {
        Ok(field_infos(&stmt.fields, column_format))
    }
}

/// Decodes a portal's parameters: by the client's declared type, else the inferred one.
fn bind_params(portal: &Portal<Prepared>) -> SqlResult<Params> {
    let stmt: &StoredStatement<Prepared> = &portal.statement;
    let prepared = &stmt.statement;
    if portal.parameters.len() != prepared.param_types.len() {
        return Err(SqlError::ProtocolViolation(format!(
            "bind message supplies {} parameters, but prepared statement requires {}",
            portal.parameters.len(),
            prepared.param_types.len()
        )));
    }
    let mut types = Vec::with_capacity(prepared.param_types.len());
    let mut values = Vec::with_capacity(prepared.param_types.len());
    for (i, (bytes, inferred)) in portal
        .parameters
        .iter()
        .zip(&prepared.param_types)
        .enumerate()
    {
        let declared = stmt
            .parameter_types
            .get(i)
            .and_then(|t| t.as_ref())
            .map(|t| t.oid())
            .filter(|oid| *oid != 0);
        let oid = declared.unwrap_or(inferred.oid());
        let v = match bytes {
            None => Value::Null,
            Some(b) => decode_param(b, oid, is_binary(&portal.parameter_format, i))?,
        };
        // The value's own type; planning casts it to where it is used.
        types.push(Some(PgType::from_oid(oid).unwrap_or(*inferred)));
        values.push(v);
    }
    Ok(Params::bound(types, values))
}

#[async_trait]
impl ExtendedQueryHandler for Handler {
    type Statement = Prepared;
    type QueryParser = IsothermParser;

    fn query_parser(&self) -> Arc<IsothermParser> {
        self.parser.clone()
    }

    async fn do_query<C>(
        &self,
        client: &mut C,
        portal: &Portal<Prepared>,
        _max_rows: usize,
    ) -> PgWireResult<Response>
    where
        C: ClientInfo + ClientPortalStore + Sink<PgWireBackendMessage> + Unpin + Send + Sync,
        C::PortalStore: PortalStore<Statement = Prepared>,
        C::Error: Debug,
        PgWireError: From<<C as Sink<PgWireBackendMessage>>::Error>,
    {
        let params = bind_params(portal)?;
        let stmt = portal.statement.statement.statement.clone();
        let tx = client.transaction_status();
        let r = self
            .execute(client, &stmt, params, &portal.result_column_format, tx)
            .await??;
        Ok(r)
    }
}

/// ParameterStatus values sent after authentication.
struct Reported(Vec<(String, String)>);

impl ServerParameterProvider for Reported {
    fn server_parameters<C>(&self, _client: &C) -> Option<HashMap<String, String>>
    where
        C: ClientInfo,
    {
        Some(self.0.iter().cloned().collect())
    }
}

/// `trust` authentication: every user is let in.
pub struct TrustStartup {
    config: Arc<ProtocolConfig>,
    pids: RandomPidSecretKeyGenerator,
}

#[async_trait]
impl StartupHandler for TrustStartup {
    async fn on_startup<C>(
        &self,
        client: &mut C,
        message: PgWireFrontendMessage,
    ) -> PgWireResult<()>
    where
        C: ClientInfo + Sink<PgWireBackendMessage> + Unpin + Send + Sync,
        C::Error: Debug,
        PgWireError: From<<C as Sink<PgWireBackendMessage>>::Error>,
    {
        let PgWireFrontendMessage::Startup(ref startup) = message else {
            return Ok(());
        };
        protocol_negotiation(client, startup).await?;
        save_startup_parameters_to_metadata(client, startup);
        let (pid, key) = self.pids.generate(client);
        client.set_pid_and_secret_key(pid, key);
        let user = client.metadata().get(METADATA_USER).cloned();
        let mut session = new_session(&self.config, user.as_deref());
        for (k, v) in &startup.parameters {
            if k != METADATA_USER && k != METADATA_DATABASE {
                session.apply_startup(k, v);
            }
        }
        let reported = Reported(session.reported());
        client.session_extensions().insert(Mutex::new(session));
        finish_authentication(client, &reported).await
    }
}

/// The handlers pgwire's `process_socket` asks for.
pub struct Handlers {
    handler: Arc<Handler>,
    startup: Arc<TrustStartup>,
}

impl Handlers {
    pub fn new(backend: Arc<dyn Backend>, config: ProtocolConfig) -> Self {
        let handler = Arc::new(Handler::new(backend, config));
        let startup = Arc::new(TrustStartup {
            config: handler.config.clone(),
            pids: RandomPidSecretKeyGenerator::default(),
        });
        Handlers { handler, startup }
    }
}

impl PgWireServerHandlers for Handlers {
    fn simple_query_handler(&self) -> Arc<impl SimpleQueryHandler> {
        self.handler.clone()
    }

    fn extended_query_handler(&self) -> Arc<impl ExtendedQueryHandler> {
        self.handler.clone()
    }

    fn startup_handler(&self) -> Arc<impl StartupHandler> {
        self.startup.clone()
    }
}
