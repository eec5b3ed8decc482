//! The extended query protocol: Parse (plan, fix parameter and result
//! types), Bind (decode parameters, text or binary), Describe, Execute
//! (with row limits: PortalSuspended, then the rest on the next Execute).
//!
//! Parse routes the statement: index plans are planned again at Execute
//! with the bound values (a schema lookup); engine plans are kept and run
//! with the values cast to the types the engine inferred. Named statements
//! live until Close, DEALLOCATE or DISCARD ALL, across transactions.

use std::fmt::Debug;
use std::sync::Arc;

use async_trait::async_trait;
use futures::sink::{Sink, SinkExt};
use isotherm_engine::EnginePlan;
use isotherm_indexer::Value;
use pgwire::api::portal::{Format, Portal, PortalExecutionState};
use pgwire::api::query::ExtendedQueryHandler;
use pgwire::api::results::{DescribeResponse, FieldInfo, QueryResponse, Response};
use pgwire::api::stmt::{QueryParser, StoredStatement};
use pgwire::api::store::{Entry, PortalStore};
use pgwire::api::{ClientInfo, ClientPortalStore, DEFAULT_NAME, PgWireConnectionState, Type};
use pgwire::error::{PgWireError, PgWireResult};
use pgwire::messages::PgWireBackendMessage;
use pgwire::messages::data::{NoData, ParameterDescription, RowDescription};
use pgwire::messages::extendedquery::{
    Bind, BindComplete, Describe, Execute, Parse, ParseComplete, PortalSuspended, Sync as PgSync,
    TARGET_TYPE_BYTE_PORTAL, TARGET_TYPE_BYTE_STATEMENT,
};
use pgwire::messages::response::{EmptyQueryResponse, ReadyForQuery, TransactionStatus};

use super::exec::{Body, Bound, Routed, is_control, tag_with_rows};
use super::plan_cache::PlanCache;
use super::simple::deallocate;
use super::{Core, Handler, Tx, cancel_signal, conn_of, race, send};
use crate::command::{Command, Parsed, parse_commands};
use crate::error::{SqlError, SqlResult};
use crate::general::{bind_params as bind_engine, declared_types, param_oids};
use crate::rows::{Column, columns_of_fields, columns_of_schema, field_infos, is_binary};
use crate::sql::Params;
use crate::sql::plan::Plan;
use crate::types::{PgType, decode_param};

/// A statement prepared by Parse.
#[derive(Debug, Clone)]
pub struct Prepared {
    pub parsed: Arc<Parsed>,
    pub route: PreparedRoute,
    /// `$1..$n` as Describe reports them (declared, else inferred).
    pub param_oids: Vec<u32>,
    pub columns: Arc<Vec<Column>>,
}

#[derive(Debug, Clone)]
pub enum PreparedRoute {
    /// Planned again by the index at Execute, unless the plan it keeps
    /// still holds (see `plan_cache`).
    Index { cache: Option<Arc<PlanCache>> },
    /// Planned by the engine at Parse.
    Engine {
        plan: Arc<EnginePlan>,
        explain: bool,
    },
    /// Control statements, cursors, COPY: nothing to plan.
    Other,
}

/// Parses and plans statements for the extended protocol.
pub struct IsothermParser {
    pub(super) core: Arc<Core>,
}

impl Core {
    async fn prepare(
        &self,
        conn: &super::Conn,
        sql: &str,
        types: &[Option<Type>],
    ) -> SqlResult<Option<Prepared>> {
        let mut commands = parse_commands(sql)?;
        if commands.len() > 1 {
            return Err(SqlError::Syntax(
                "cannot insert multiple commands into a prepared statement".into(),
            ));
        }
        let Some(parsed) = commands.pop() else {
            return Ok(None);
        };
        let oids: Vec<Option<u32>> = types.iter().map(|t| t.as_ref().map(Type::oid)).collect();
        let mut prepared = Prepared {
            parsed: Arc::new(parsed.clone()),
            route: PreparedRoute::Other,
            param_oids: Vec::new(),
            columns: Arc::new(Vec::new()),
        };
        // A query, or the query of a DECLARE (psycopg 3's server-side
        // cursors bind parameters into it); a DECLARE itself returns no rows.
        let query = match &parsed.cmd {
            Command::Sql(stmt) if !is_control(stmt) => {
                Some((stmt.as_ref(), parsed.text.as_str(), true))
            }
            Command::Declare(d) => Some((d.query.as_ref(), d.query_text.as_str(), false)),
            _ => None,
        };
        if let Some((stmt, text, returns_rows)) = query {
            let declared: Vec<Option<PgType>> =
                oids.iter().map(|o| o.and_then(PgType::from_oid)).collect();
            let (routed, params) = self
                .route(
                    conn,
                    stmt,
                    text,
                    Params::declared(declared),
                    &declared_types(&oids),
                )
                .await?;
            match routed {
                Routed::Index(plan) => {
                    let cache = PlanCache::for_statement(stmt);
                    prepared.param_oids =
                        params.resolved_types()?.iter().map(|t| t.oid()).collect();
                    let fields = match *plan {
                        // Without parameters, Execute would plan the same
                        // again: keep this plan for it.
                        Plan::Select(p) if prepared.param_oids.is_empty() => {
                            let fields = p.fields.clone();
                            if let Some(c) = &cache {
                                let generation = conn.session.lock().generation();
                                let none = Params::bound(Vec::new(), Vec::new());
                                c.put(generation, &none, self.backend.as_ref(), Arc::new(p));
                            }
                            fields
                        }
                        plan => plan.fields(),
                    };
                    prepared.route = PreparedRoute::Index { cache };
                    if returns_rows {
                        prepared.columns = Arc::new(columns_of_fields(&fields));
                    }
                }
                // `route` plans afresh; kept plans come from `route_prepared` only.
                Routed::Cached(_) => {
                    return Err(SqlError::Internal("a kept plan at Parse".into()));
                }
                Routed::Engine(plan) => {
                    prepared.param_oids = param_oids(&plan);
                    if returns_rows {
                        prepared.columns = Arc::new(columns_of_schema(&plan.schema));
                    }
                    prepared.route = PreparedRoute::Engine {
                        plan,
                        explain: false,
                    };
                }
                Routed::EngineExplain(plan) => {
                    prepared.param_oids = param_oids(&plan);
                    if returns_rows {
                        prepared.columns = Arc::new(columns_of_fields(&[crate::sql::Field::new(
                            "QUERY PLAN",
                            PgType::Text,
                        )]));
                    }
                    prepared.route = PreparedRoute::Engine {
                        plan,
                        explain: true,
                    };
                }
            }
        }
        match &parsed.cmd {
            Command::Fetch(f) if !f.is_move => {
                if let Some(c) = conn.state.lock().cursors.get(&f.name) {
                    prepared.columns = Arc::new(c.rows.columns());
                }
            }
            _ => {}
        }
        Ok(Some(prepared))
    }
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
        let conn = conn_of(client, &self.core.config);
        Ok(self.core.prepare(&conn, sql, types).await?)
    }

    fn get_parameter_types(&self, stmt: &Prepared) -> PgWireResult<Vec<Type>> {
        Ok(stmt
            .param_oids
            .iter()
            .map(|o| Type::from_oid(*o).unwrap_or(Type::UNKNOWN))
            .collect())
    }

    fn get_result_schema(
        &self,
        stmt: &Prepared,
        column_format: Option<&Format>,
    ) -> PgWireResult<Vec<FieldInfo>> {
        Ok(field_infos(&stmt.columns, column_format))
    }
}

/// The OIDs the values were sent as: the client's declared type, else the inferred one.
fn sent_oids(portal: &Portal<Prepared>) -> Vec<u32> {
    let stmt: &StoredStatement<Prepared> = &portal.statement;
    stmt.statement
        .param_oids
        .iter()
        .enumerate()
        .map(|(i, inferred)| {
            stmt.parameter_types
                .get(i)
                .and_then(|t| t.as_ref())
                .map(Type::oid)
                .filter(|o| *o != 0)
                .unwrap_or(*inferred)
        })
        .collect()
}

/// Decodes a portal's parameters for the index planner.
fn bind_index(portal: &Portal<Prepared>) -> SqlResult<Params> {
    let prepared = &portal.statement.statement;
    if portal.parameters.len() != prepared.param_oids.len() {
        return Err(SqlError::ProtocolViolation(format!(
            "bind message supplies {} parameters, but prepared statement requires {}",
            portal.parameters.len(),
            prepared.param_oids.len()
        )));
    }
    let oids = sent_oids(portal);
    let mut types = Vec::with_capacity(oids.len());
    let mut values = Vec::with_capacity(oids.len());
    for (i, (bytes, oid)) in portal.parameters.iter().zip(&oids).enumerate() {
        let v = match bytes {
            None => Value::Null,
            Some(b) => decode_param(b, *oid, is_binary(&portal.parameter_format, i))?,
        };
        // The value's own type; planning casts it to where it is used.
        types.push(PgType::from_oid(*oid).or_else(|| PgType::from_oid(prepared.param_oids[i])));
        values.push(v);
    }
    Ok(Params::bound(types, values))
}

fn bound(portal: &Portal<Prepared>) -> SqlResult<Bound> {
    let prepared = &portal.statement.statement;
    Ok(match &prepared.route {
        PreparedRoute::Index { cache } => Bound::Index {
            params: bind_index(portal)?,
            cache: cache.clone(),
        },
        PreparedRoute::Engine { plan, explain } => {
            let oids = sent_oids(portal);
            let binary: Vec<bool> = (0..portal.parameters.len())
                .map(|i| is_binary(&portal.parameter_format, i))
                .collect();
            Bound::Engine {
                params: bind_engine(plan, &portal.parameters, &oids, &binary)?,
                plan: plan.clone(),
                explain: *explain,
            }
        }
        PreparedRoute::Other => {
            if !portal.parameters.is_empty() {
                return Err(SqlError::ProtocolViolation(format!(
                    "bind message supplies {} parameters, but prepared statement requires 0",
                    portal.parameters.len()
                )));
            }
            Bound::None
        }
    })
}

#[async_trait]
impl ExtendedQueryHandler for Handler {
    type Statement = Prepared;
    type QueryParser = IsothermParser;

    fn query_parser(&self) -> Arc<IsothermParser> {
        self.parser.clone()
    }

    async fn on_parse<C>(&self, client: &mut C, message: Parse) -> PgWireResult<()>
    where
        C: ClientInfo + ClientPortalStore + Sink<PgWireBackendMessage> + Unpin + Send + Sync,
        C::PortalStore: PortalStore<Statement = Prepared>,
        C::Error: Debug,
        PgWireError: From<<C as Sink<PgWireBackendMessage>>::Error>,
    {
        let name = message
            .name
            .clone()
            .unwrap_or_else(|| DEFAULT_NAME.to_owned());
        let parser = self.query_parser();
        match StoredStatement::parse(client, &message, parser).await? {
            Some(stmt) => client.portal_store().put_statement(Arc::new(stmt)),
            None => client.portal_store().put_empty_statement(&name),
        }
        if name != DEFAULT_NAME {
            conn_of(client, &self.core.config)
                .state
                .lock()
                .statements
                .insert(name);
        }
        client
            .feed(PgWireBackendMessage::ParseComplete(ParseComplete::new()))
            .await?;
        Ok(())
    }

    /// As pgwire's, but the reply waits in the buffer for Sync or Flush (as
    /// PostgreSQL's does): a prepared statement's Bind, Execute, Sync costs
    /// one write, not two.
    async fn on_bind<C>(&self, client: &mut C, message: Bind) -> PgWireResult<()>
    where
        C: ClientInfo + ClientPortalStore + Sink<PgWireBackendMessage> + Unpin + Send + Sync,
        C::PortalStore: PortalStore<Statement = Prepared>,
        C::Error: Debug,
        PgWireError: From<<C as Sink<PgWireBackendMessage>>::Error>,
    {
        let statement = message.statement_name.as_deref().unwrap_or(DEFAULT_NAME);
        match client.portal_store().get_statement(statement) {
            Some(Entry::Value(stmt)) => {
                let portal = Portal::try_new(&message, stmt)?;
                client.portal_store().put_portal(Arc::new(portal));
            }
            Some(Entry::Empty) => {
                if !message.parameters.is_empty() {
                    return Err(SqlError::ProtocolViolation(format!(
                        "bind message supplies {} parameters, but prepared statement \"{statement}\" requires 0",
                        message.parameters.len()
                    ))
                    .into());
                }
                let portal = message.portal_name.as_deref().unwrap_or(DEFAULT_NAME);
                client.portal_store().put_empty_portal(portal);
            }
            None => return Err(PgWireError::StatementNotFound(statement.to_owned())),
        }
        client
            .feed(PgWireBackendMessage::BindComplete(BindComplete::new()))
            .await?;
        Ok(())
    }

    /// As pgwire's, plus: a portal not in the store may be a `DECLARE`d
    /// cursor (cursors are portals in PostgreSQL; psycopg 3 describes its
    /// server-side cursors by name before fetching). The reply waits for
    /// Sync or Flush.
    async fn on_describe<C>(&self, client: &mut C, message: Describe) -> PgWireResult<()>
    where
        C: ClientInfo + ClientPortalStore + Sink<PgWireBackendMessage> + Unpin + Send + Sync,
        C::PortalStore: PortalStore<Statement = Prepared>,
        C::Error: Debug,
        PgWireError: From<<C as Sink<PgWireBackendMessage>>::Error>,
    {
        let name = message.name.as_deref().unwrap_or(DEFAULT_NAME);
        let (params, fields) = match message.target_type {
            TARGET_TYPE_BYTE_STATEMENT => match client.portal_store().get_statement(name) {
                Some(Entry::Value(stmt)) => {
                    let r = self.do_describe_statement(client, &stmt).await?;
                    let fields = (!r.is_no_data()).then(|| r.fields().to_vec());
                    (Some(r.parameters().unwrap_or_default().to_vec()), fields)
                }
                Some(Entry::Empty) => (Some(Vec::new()), None),
                None => return Err(PgWireError::StatementNotFound(name.to_owned())),
            },
            TARGET_TYPE_BYTE_PORTAL => match client.portal_store().get_portal(name) {
                Some(Entry::Value(portal)) => {
                    let r = self.do_describe_portal(client, &portal).await?;
                    (None, (!r.is_no_data()).then(|| r.fields().to_vec()))
                }
                Some(Entry::Empty) => (None, None),
                None => {
                    let conn = conn_of(client, &self.core.config);
                    let st = conn.state.lock();
                    let Some(c) = st.cursors.get(name) else {
                        return Err(PgWireError::PortalNotFound(name.to_owned()));
                    };
                    let format = if c.binary {
                        Format::UnifiedBinary
                    } else {
                        Format::UnifiedText
                    };
                    (None, Some(field_infos(&c.rows.columns(), Some(&format))))
                }
            },
            other => return Err(PgWireError::InvalidTargetType(other)),
        };
        if let Some(types) = params {
            let oids = types.iter().map(Type::oid).collect();
            client
                .feed(PgWireBackendMessage::ParameterDescription(
                    ParameterDescription::new(oids),
                ))
                .await?;
        }
        let reply = match fields {
            Some(fields) => PgWireBackendMessage::RowDescription(RowDescription::new(
                fields.iter().map(Into::into).collect(),
            )),
            None => PgWireBackendMessage::NoData(NoData::new()),
        };
        client.feed(reply).await?;
        Ok(())
    }

    async fn on_execute<C>(&self, client: &mut C, message: Execute) -> PgWireResult<()>
    where
        C: ClientInfo + ClientPortalStore + Sink<PgWireBackendMessage> + Unpin + Send + Sync,
        C::PortalStore: PortalStore<Statement = Prepared>,
        C::Error: Debug,
        PgWireError: From<<C as Sink<PgWireBackendMessage>>::Error>,
    {
        if !matches!(client.state(), PgWireConnectionState::ReadyForQuery) {
            return Err(PgWireError::NotReadyForQuery);
        }
        let portal_name = message.name.as_deref().unwrap_or(DEFAULT_NAME);
        let max_rows = usize::try_from(message.max_rows.max(0)).unwrap_or(0);
        let portal = match client.portal_store().get_portal(portal_name) {
            Some(Entry::Value(p)) => p,
            Some(Entry::Empty) => {
                client
                    .feed(PgWireBackendMessage::EmptyQueryResponse(
                        EmptyQueryResponse::new(),
                    ))
                    .await?;
                return Ok(());
            }
            None => return Err(PgWireError::PortalNotFound(portal_name.to_owned())),
        };
        let conn = conn_of(client, &self.core.config);
        let initial = matches!(*portal.state().lock().await, PortalExecutionState::Initial);
        if initial {
            let mut tx = Tx {
                status: client.transaction_status(),
                implicit: false,
            };
            client.set_state(PgWireConnectionState::QueryInProgress);
            let cancel = cancel_signal(client).await;
            let run = async {
                let b = bound(&portal)?;
                let parsed = portal.statement.statement.parsed.clone();
                self.core
                    .run(&conn, &parsed, b, &portal.result_column_format, &mut tx)
                    .await
            };
            let result = race(run, cancel).await;
            client.set_state(PgWireConnectionState::ReadyForQuery);
            let mut reply = match result {
                Ok(r) => r,
                Err(e) => {
                    conn.fail(&mut tx);
                    client.set_transaction_status(tx.status);
                    return Err(e.into());
                }
            };
            client.set_transaction_status(tx.status);
            if let Some(what) = reply.dealloc.take() {
                let names = conn.state.lock().statements.iter().cloned().collect();
                deallocate(client.portal_store(), names, &what);
            }
            match reply.body {
                Body::Rows {
                    columns,
                    format,
                    data,
                    tag,
                } => {
                    send::notices(client, &reply.notices).await?;
                    let fields = Arc::new(field_infos(&columns, Some(&format)));
                    let mut response =
                        QueryResponse::new(fields, futures::stream::iter(data.into_iter().map(Ok)));
                    response.set_command_tag(tag);
                    portal.start(response).await;
                }
                _ => return send::reply(client, reply, false).await,
            }
        }
        let fetched = portal.fetch(max_rows).await?;
        let mut response = fetched.response;
        let tag = response.command_tag().to_owned();
        let mut n = 0;
        while let Some(row) = futures::StreamExt::next(response.data_rows()).await {
            client.feed(PgWireBackendMessage::DataRow(row?)).await?;
            n += 1;
        }
        if fetched.suspended {
            client
                .feed(PgWireBackendMessage::PortalSuspended(PortalSuspended::new()))
                .await?;
        } else {
            client.feed(send::complete(tag_with_rows(&tag, n))).await?;
        }
        Ok(())
    }

    async fn on_sync<C>(&self, client: &mut C, _message: PgSync) -> PgWireResult<()>
    where
        C: ClientInfo + ClientPortalStore + Sink<PgWireBackendMessage> + Unpin + Send + Sync,
        C::PortalStore: PortalStore<Statement = Prepared>,
        C::Error: Debug,
        PgWireError: From<<C as Sink<PgWireBackendMessage>>::Error>,
    {
        client.portal_store().rm_portal(DEFAULT_NAME);
        let conn = conn_of(client, &self.core.config);
        if matches!(client.transaction_status(), TransactionStatus::Idle) {
            conn.state.lock().cursors.end_transaction();
        }
        send::reports(client, conn.changed_reports()).await?;
        client
            .send(PgWireBackendMessage::ReadyForQuery(ReadyForQuery::new(
                client.transaction_status(),
            )))
            .await?;
        client.flush().await?;
        Ok(())
    }

    async fn do_query<C>(
        &self,
        _client: &mut C,
        _portal: &Portal<Prepared>,
        _max_rows: usize,
    ) -> PgWireResult<Response>
    where
        C: ClientInfo + ClientPortalStore + Sink<PgWireBackendMessage> + Unpin + Send + Sync,
        C::PortalStore: PortalStore<Statement = Prepared>,
        C::Error: Debug,
        PgWireError: From<<C as Sink<PgWireBackendMessage>>::Error>,
    {
        // on_execute above does all the work.
        Err(SqlError::Internal("do_query is not used".into()).into())
    }
}
