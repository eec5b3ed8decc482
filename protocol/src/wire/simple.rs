//! The simple query protocol: every statement of the string in order, one
//! response each, an error stopping the rest.
//!
//! Like PostgreSQL, a string of several statements sent outside a
//! transaction block runs as one implicit transaction: an error rolls it
//! back (settings changed by earlier statements revert), cursors declared
//! in it close at its end, and `BEGIN` inside it makes it explicit.

use std::fmt::Debug;

use async_trait::async_trait;
use futures::sink::{Sink, SinkExt};
use pgwire::api::portal::Format;
use pgwire::api::query::SimpleQueryHandler;
use pgwire::api::results::Response;
use pgwire::api::store::PortalStore;
use pgwire::api::{ClientInfo, ClientPortalStore, PgWireConnectionState};
use pgwire::error::{PgWireError, PgWireResult};
use pgwire::messages::PgWireBackendMessage;
use pgwire::messages::response::{EmptyQueryResponse, ReadyForQuery, TransactionStatus};
use pgwire::messages::simplequery::Query;

use super::exec::{Bound, Dealloc};
use super::{Handler, Tx, cancel_signal, conn_of, race, send};
use crate::command::parse_commands;

/// Drops prepared statements for DEALLOCATE / DISCARD ALL.
pub fn deallocate<S: PortalStore + ?Sized>(store: &S, names: Vec<String>, what: &Dealloc) {
    match what {
        Dealloc::One(n) => store.rm_statement(n),
        Dealloc::All => {
            for n in names {
                store.rm_statement(&n);
            }
        }
    }
}

#[async_trait]
impl SimpleQueryHandler for Handler {
    async fn on_query<C>(&self, client: &mut C, query: Query) -> PgWireResult<()>
    where
        C: ClientInfo + ClientPortalStore + Sink<PgWireBackendMessage> + Unpin + Send + Sync,
        C::PortalStore: PortalStore,
        C::Error: Debug,
        PgWireError: From<<C as Sink<PgWireBackendMessage>>::Error>,
    {
        if !matches!(client.state(), PgWireConnectionState::ReadyForQuery) {
            return Err(PgWireError::NotReadyForQuery);
        }
        client.set_state(PgWireConnectionState::QueryInProgress);
        let conn = conn_of(client, &self.core.config);
        let mut tx = Tx {
            status: client.transaction_status(),
            implicit: false,
        };
        match parse_commands(&query.query) {
            Err(e) => {
                send::error(client, &e).await?;
                conn.fail(&mut tx);
            }
            Ok(commands) if commands.is_empty() => {
                client
                    .feed(PgWireBackendMessage::EmptyQueryResponse(
                        EmptyQueryResponse::new(),
                    ))
                    .await?;
            }
            Ok(commands) => {
                if commands.len() > 1 && matches!(tx.status, TransactionStatus::Idle) {
                    tx.implicit = true;
                    let saved = conn.session.lock().clone();
                    conn.state.lock().saved = Some(saved);
                }
                for p in &commands {
                    let cancel = cancel_signal(client).await;
                    let run = self
                        .core
                        .run(&conn, p, Bound::None, &Format::UnifiedText, &mut tx);
                    match race(run, cancel).await {
                        Ok(mut reply) => {
                            if let Some(what) = reply.dealloc.take() {
                                let names = conn.state.lock().statements.iter().cloned().collect();
                                deallocate(client.portal_store(), names, &what);
                            }
                            send::reply(client, reply, true).await?;
                        }
                        Err(e) => {
                            send::error(client, &e).await?;
                            conn.fail(&mut tx);
                            break;
                        }
                    }
                }
                if tx.implicit {
                    tx.implicit = false;
                    conn.end_transaction(false);
                }
            }
        }
        if matches!(tx.status, TransactionStatus::Idle) {
            conn.state.lock().cursors.end_transaction();
        }
        send::reports(client, conn.changed_reports()).await?;
        client.set_state(PgWireConnectionState::ReadyForQuery);
        client.set_transaction_status(tx.status);
        client
            .send(PgWireBackendMessage::ReadyForQuery(ReadyForQuery::new(
                tx.status,
            )))
            .await?;
        Ok(())
    }

    async fn do_query<C>(&self, _client: &mut C, _query: &str) -> PgWireResult<Vec<Response>>
    where
        C: ClientInfo + ClientPortalStore + Sink<PgWireBackendMessage> + Unpin + Send + Sync,
        C::PortalStore: PortalStore,
        C::Error: Debug,
        PgWireError: From<<C as Sink<PgWireBackendMessage>>::Error>,
    {
        // on_query above does all the work.
        Ok(Vec::new())
    }
}
