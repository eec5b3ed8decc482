//! pgwire glue: startup (trust, cancel keys), the simple and extended query
//! protocols, and the per-connection state they share.
//!
//! ```text
//! mod.rs       Handlers (what process_socket asks for), Core, Conn, startup
//! exec.rs      one statement: transaction control, cursors, COPY, routing
//!              to the index or the engine, materialized results
//! send.rs      a statement's reply as protocol messages
//! simple.rs    Query: every statement of the string, implicit transactions
//! extended.rs  Parse / Bind / Describe / Execute, portals with row limits
//! plan_cache.rs  a prepared statement's index plan, reused while it holds
//! ```
//!
//! Every statement runs to a materialized result before anything is sent,
//! racing the connection's cancel signal: a CancelRequest with this
//! connection's pid and secret key drops the running statement and the
//! client gets 57014. Authentication is `trust`; the startup handler is its
//! own type so a SCRAM handler (and TLS in `process_socket`) can replace it.

mod exec;
mod extended;
mod plan_cache;
mod send;
mod simple;

use std::collections::{BTreeMap, BTreeSet, HashMap};
use std::fmt::Debug;
use std::sync::Arc;

use async_trait::async_trait;
use futures::channel::oneshot;
use futures::future::{Either, select};
use futures::sink::Sink;
use isotherm_engine::Engine;
use parking_lot::Mutex;
use pgwire::api::auth::{
    ServerParameterProvider, StartupHandler, finish_authentication, protocol_negotiation,
    save_startup_parameters_to_metadata,
};
use pgwire::api::cancel::DefaultCancelHandler;
use pgwire::api::{
    ClientInfo, ConnectionHandle, ConnectionManager, METADATA_DATABASE, METADATA_USER,
    PgWireServerHandlers, PidSecretKeyGenerator, RandomPidSecretKeyGenerator,
};
use pgwire::error::{PgWireError, PgWireResult};
use pgwire::messages::response::TransactionStatus;
use pgwire::messages::{PgWireBackendMessage, PgWireFrontendMessage};

use crate::ProtocolConfig;
use crate::backend::Backend;
use crate::cursor::Cursors;
use crate::error::{SqlError, SqlResult};
use crate::session::Session;

pub use extended::{IsothermParser, Prepared, PreparedRoute};

/// What every connection shares: the index, the engine, the configuration.
pub struct Core {
    pub backend: Arc<dyn Backend>,
    pub engine: Arc<Engine>,
    pub config: Arc<ProtocolConfig>,
}

/// One connection's state, kept in pgwire's session extensions.
pub struct Conn {
    pub session: Mutex<Session>,
    pub state: Mutex<TxState>,
}

/// What lives and dies with transactions, and the statement names.
#[derive(Default)]
pub struct TxState {
    pub cursors: Cursors,
    pub savepoints: Vec<String>,
    /// Settings when the transaction began, put back by ROLLBACK.
    pub saved: Option<Session>,
    /// Named prepared statements (DEALLOCATE ALL / DISCARD ALL drop them).
    pub statements: BTreeSet<String>,
    /// The reported settings' values as last sent in ParameterStatus.
    pub reported: BTreeMap<String, String>,
    /// The session's settings generation when they were last compared.
    pub reported_generation: Option<u64>,
}

/// Where a statement runs with respect to transactions.
#[derive(Debug, Clone, Copy)]
pub struct Tx {
    pub status: TransactionStatus,
    /// Inside a multi-statement simple query that began outside a transaction.
    pub implicit: bool,
}

impl Tx {
    pub fn in_block(&self) -> bool {
        self.implicit || !matches!(self.status, TransactionStatus::Idle)
    }
}

impl Conn {
    fn new(session: Session) -> Self {
        Conn {
            session: Mutex::new(session),
            state: Mutex::new(TxState::default()),
        }
    }

    /// Ends the transaction: non-holdable cursors close, savepoints go;
    /// `rollback` puts the settings back.
    pub fn end_transaction(&self, rollback: bool) {
        let mut st = self.state.lock();
        st.cursors.end_transaction();
        st.savepoints.clear();
        let saved = st.saved.take();
        drop(st);
        if let (true, Some(saved)) = (rollback, saved) {
            self.session.lock().restore(&saved);
        }
    }

    /// The statement failed: a transaction block is now aborted; an implicit
    /// one is rolled back.
    pub fn fail(&self, tx: &mut Tx) {
        if tx.implicit {
            tx.implicit = false;
            tx.status = TransactionStatus::Idle;
            self.end_transaction(true);
        } else if matches!(tx.status, TransactionStatus::Transaction) {
            tx.status = TransactionStatus::Error;
        }
    }

    /// Reported settings whose value differs from the one last sent (sent
    /// before ReadyForQuery, as PostgreSQL 14+ does); marks them sent.
    pub fn changed_reports(&self) -> Vec<(String, String)> {
        let (now, generation) = {
            let s = self.session.lock();
            let generation = s.generation();
            if self.state.lock().reported_generation == Some(generation) {
                return Vec::new();
            }
            (s.reported(), generation)
        };
        let mut st = self.state.lock();
        st.reported_generation = Some(generation);
        let mut out = Vec::new();
        for (name, value) in now {
            if st.reported.get(&name) != Some(&value) {
                st.reported.insert(name.clone(), value.clone());
                out.push((name, value));
            }
        }
        out
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

/// The connection's state (created on first use if startup did not).
pub fn conn_of<C: ClientInfo + ?Sized>(client: &C, config: &ProtocolConfig) -> Arc<Conn> {
    let user = client.metadata().get(METADATA_USER).cloned();
    client
        .session_extensions()
        .get_or_insert_with(|| Conn::new(new_session(config, user.as_deref())))
}

/// A fresh cancel signal for the statement about to run.
async fn cancel_signal<C: ClientInfo + ?Sized>(client: &C) -> Option<oneshot::Receiver<()>> {
    let handle = client.session_extensions().get::<Arc<ConnectionHandle>>()?;
    Some(handle.start_query().await)
}

/// Runs `fut` unless the cancel signal fires first (then 57014).
async fn race<T>(
    fut: impl Future<Output = SqlResult<T>>,
    cancel: Option<oneshot::Receiver<()>>,
) -> SqlResult<T> {
    let Some(rx) = cancel else {
        return fut.await;
    };
    let fut = std::pin::pin!(fut);
    match select(fut, rx).await {
        Either::Left((r, _)) => r,
        Either::Right((Ok(()), _)) => Err(SqlError::Canceled),
        Either::Right((Err(_), fut)) => fut.await,
    }
}

/// Simple and extended query handling, one per server.
pub struct Handler {
    core: Arc<Core>,
    parser: Arc<IsothermParser>,
}

impl Handler {
    pub fn new(backend: Arc<dyn Backend>, engine: Arc<Engine>, config: ProtocolConfig) -> Self {
        let core = Arc::new(Core {
            backend,
            engine,
            config: Arc::new(config),
        });
        Handler {
            parser: Arc::new(IsothermParser { core: core.clone() }),
            core,
        }
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

/// `trust` authentication: every user is let in; the connection is
/// registered for cancel requests under its pid and secret key.
pub struct TrustStartup {
    config: Arc<ProtocolConfig>,
    pids: RandomPidSecretKeyGenerator,
    connections: Arc<ConnectionManager>,
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
        client.set_pid_and_secret_key(pid, key.clone());
        let (handle, guard) = self.connections.register(pid, key);
        client
            .session_extensions()
            .insert::<Arc<ConnectionHandle>>(handle);
        client.session_extensions().insert(guard);
        let user = client.metadata().get(METADATA_USER).cloned();
        let mut session = new_session(&self.config, user.as_deref());
        for (k, v) in &startup.parameters {
            if k != METADATA_USER && k != METADATA_DATABASE {
                session.apply_startup(k, v);
            }
        }
        let reported = Reported(session.reported());
        let conn = Conn::new(session);
        conn.state.lock().reported = reported.0.iter().cloned().collect();
        client.session_extensions().insert(conn);
        finish_authentication(client, &reported).await
    }
}

/// The handlers pgwire's `process_socket` asks for.
pub struct Handlers {
    handler: Arc<Handler>,
    startup: Arc<TrustStartup>,
    cancel: Arc<DefaultCancelHandler>,
}

impl Handlers {
    pub fn new(backend: Arc<dyn Backend>, engine: Arc<Engine>, config: ProtocolConfig) -> Self {
        let handler = Arc::new(Handler::new(backend, engine, config));
        let connections = Arc::new(ConnectionManager::new());
        let startup = Arc::new(TrustStartup {
            config: handler.core.config.clone(),
            pids: RandomPidSecretKeyGenerator::default(),
            connections: connections.clone(),
        });
        Handlers {
            handler,
            startup,
            cancel: Arc::new(DefaultCancelHandler::new(connections)),
        }
    }
}

impl PgWireServerHandlers for Handlers {
    fn simple_query_handler(&self) -> Arc<impl pgwire::api::query::SimpleQueryHandler> {
        self.handler.clone()
    }

    fn extended_query_handler(&self) -> Arc<impl pgwire::api::query::ExtendedQueryHandler> {
        self.handler.clone()
    }

    fn startup_handler(&self) -> Arc<impl StartupHandler> {
        self.startup.clone()
    }

    fn cancel_handler(&self) -> Arc<impl pgwire::api::cancel::CancelHandler> {
        self.cancel.clone()
    }
}
