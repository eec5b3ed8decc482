//! The accept loop: one task per connection, each served by pgwire's
//! `process_socket` with Isotherm's handlers. No TLS yet (SSLRequest is
//! answered "N"); a TLS acceptor slots into `process_socket` later.

use std::sync::Arc;
use std::time::Duration;

use isotherm_engine::{Engine, EngineConfig};
use pgwire::tokio::process_socket;
use tokio::net::TcpListener;

use crate::ProtocolConfig;
use crate::backend::Backend;
use crate::wire::Handlers;

/// The engine's view of the server's configuration.
pub fn engine_config(config: &ProtocolConfig) -> EngineConfig {
    EngineConfig {
        database: config.database.clone(),
        user: config.user.clone(),
        version: config.version_string(),
    }
}

/// Serves the PostgreSQL protocol on `listener` until the task is dropped,
/// with a general engine of its own over `backend`.
pub async fn serve(
    listener: TcpListener,
    backend: Arc<dyn Backend>,
    config: ProtocolConfig,
) -> std::io::Result<()> {
    let engine = Engine::new(backend.clone(), engine_config(&config))
        .map_err(|e| std::io::Error::other(format!("starting the SQL engine: {e}")))?;
    serve_with_engine(listener, backend, Arc::new(engine), config).await
}

/// Serves the PostgreSQL protocol on `listener` until the task is dropped.
/// Accept errors (e.g. too many open files) are logged and retried.
pub async fn serve_with_engine(
    listener: TcpListener,
    backend: Arc<dyn Backend>,
    engine: Arc<Engine>,
    config: ProtocolConfig,
) -> std::io::Result<()> {
    let handlers = Arc::new(Handlers::new(backend, engine, config));
    loop {
        let (socket, peer) = match listener.accept().await {
            Ok(conn) => conn,
            Err(e) => {
                tracing::warn!(error = %e, "accept failed; retrying");
                tokio::time::sleep(Duration::from_millis(100)).await;
                continue;
            }
        };
        if let Err(e) = socket.set_nodelay(true) {
            tracing::debug!(error = %e, %peer, "set_nodelay failed");
        }
        let handlers = handlers.clone();
        tokio::spawn(async move {
            tracing::debug!(%peer, "connection opened");
            if let Err(e) = process_socket(socket, None, handlers).await {
                tracing::debug!(error = %e, %peer, "connection ended with an error");
            }
        });
    }
}
