//! `isotherm serve`: open (and recover) a data directory, bind the PostgreSQL
//! and admin listeners, print the ready line, run until SIGINT/SIGTERM.
//!
//! The ready line goes to stdout once both listeners are bound; scripts and
//! tests wait for it and read the real ports from it (port 0 binds any):
//!
//! ```text
//! isotherm ready: postgres on 127.0.0.1:5433, admin on http://127.0.0.1:8433 (8 partitions, 108000 rows, restored in 12 ms)
//! ```

use std::future::Future;
use std::net::SocketAddr;
use std::path::Path;
use std::process::ExitCode;
use std::sync::Arc;
use std::time::{Duration, Instant};

use isotherm_indexer::Database;
use isotherm_protocol::{Backend, ProtocolConfig};
use tokio::net::TcpListener;
use tokio::sync::watch;

use crate::admin::{self, AdminState};
use crate::cli::{ListenArgs, ServeArgs};
use crate::commands::runtime;
use crate::error::{Result, ServerError};

/// How long shutdown waits for in-flight admin requests.
const SHUTDOWN_GRACE: Duration = Duration::from_secs(10);

pub fn run_serve(args: ServeArgs) -> Result<ExitCode> {
    let rt = runtime()?;
    let result = rt.block_on(async {
        let (db, restore) = open_database(&args.data_dir).await?;
        let server = Server::bind(db, &args.listen, restore).await?;
        let shutdown = shutdown_signal();
        println!("{}", server.ready_line());
        server.run(shutdown).await
    });
    // In-flight index writes are crash-safe; do not wait on them forever.
    rt.shutdown_timeout(SHUTDOWN_GRACE);
    result.map(|()| ExitCode::SUCCESS)
}

/// Opens the data directory on the blocking pool; returns it with the time taken.
pub async fn open_database(dir: &Path) -> Result<(Arc<Database>, Duration)> {
    let started = Instant::now();
    let dir = dir.to_path_buf();
    tracing::info!(data_dir = %dir.display(), "opening data directory");
    let db = tokio::task::spawn_blocking(move || Database::open(&dir))
        .await
        .map_err(|e| ServerError::Failed(format!("opening the data directory panicked: {e}")))??;
    let elapsed = started.elapsed();
    match serde_json::to_string(&db.recovery_report()) {
        Ok(report) => tracing::info!(%report, "recovery done"),
        Err(e) => tracing::warn!(error = %e, "recovery report"),
    }
    Ok((Arc::new(db), elapsed))
}

/// Partitions and rows over every table.
pub fn totals(db: &Database) -> (u64, u64) {
    db.list_tables()
        .iter()
        .fold((0, 0), |(p, r), t| (p + t.partitions as u64, r + t.rows))
}

/// Both listeners bound, not yet serving.
pub struct Server {
    pub db: Arc<Database>,
    pub pg_addr: SocketAddr,
    pub admin_addr: SocketAddr,
    pg: TcpListener,
    admin: TcpListener,
    max_body_bytes: usize,
    restore: Duration,
}

async fn bind(addr: &str, what: &str) -> Result<TcpListener> {
    TcpListener::bind(addr)
        .await
        .map_err(|e| ServerError::io(format!("binding the {what} listener on {addr}"), e))
}

fn local_addr(l: &TcpListener) -> Result<SocketAddr> {
    l.local_addr()
        .map_err(|e| ServerError::io("reading a listener's address", e))
}

impl Server {
    pub async fn bind(db: Arc<Database>, listen: &ListenArgs, restore: Duration) -> Result<Server> {
        let pg = bind(&listen.listen, "PostgreSQL").await?;
        let admin = bind(&listen.admin_listen, "admin").await?;
        let max_body_bytes =
            usize::try_from(listen.max_body_mb.saturating_mul(1024 * 1024)).unwrap_or(usize::MAX);
        Ok(Server {
            pg_addr: local_addr(&pg)?,
            admin_addr: local_addr(&admin)?,
            db,
            pg,
            admin,
            max_body_bytes,
            restore,
        })
    }

    pub fn ready_line(&self) -> String {
        let (partitions, rows) = totals(&self.db);
        format!(
            "isotherm ready: postgres on {}, admin on http://{} ({partitions} partitions, {rows} rows, restored in {} ms)",
            self.pg_addr,
            self.admin_addr,
            self.restore.as_millis()
        )
    }

    /// Serves both faces until `shutdown` completes or the PostgreSQL listener fails.
    pub async fn run(self, shutdown: impl Future<Output = ()>) -> Result<()> {
        let (stop_tx, stop_rx) = watch::channel(false);
        let stopped = |mut rx: watch::Receiver<bool>| async move {
            let _ = rx.wait_for(|stop| *stop).await;
        };

        let app = admin::router(AdminState::new(self.db.clone()), self.max_body_bytes);
        let admin_task = tokio::spawn(
            axum::serve(self.admin, app)
                .with_graceful_shutdown(stopped(stop_rx.clone()))
                .into_future(),
        );

        let backend: Arc<dyn Backend> = self.db.clone();
        let config = ProtocolConfig {
            user: "isotherm".into(),
            database: "isotherm".into(),
            // Drivers parse this: keep it PostgreSQL's numeric form.
            server_version: "15.0".into(),
        };
        let engine = isotherm_protocol::Engine::new(
            backend.clone(),
            isotherm_protocol::engine_config(&config),
        )
        .map_err(|e| ServerError::Failed(format!("starting the SQL engine: {e}")))?;
        let engine = Arc::new(engine);
        // In the background: the server answers meanwhile.
        let warming = engine.clone();
        tokio::spawn(async move {
            let started = std::time::Instant::now();
            let (tables, failed) = warming.warm_catalog().await;
            let ms = u64::try_from(started.elapsed().as_millis()).unwrap_or(u64::MAX);
            tracing::info!(tables, ms, "catalog warmed");
            for f in failed {
                tracing::warn!(table = %f, "catalog table unreadable");
            }
        });
        let pg = isotherm_protocol::serve_with_engine(self.pg, backend, engine, config);
        tracing::info!(postgres = %self.pg_addr, admin = %self.admin_addr, "serving");

        let outcome = tokio::select! {
            () = shutdown => {
                tracing::info!("shutting down");
                Ok(())
            }
            r = pg => match r {
                Ok(()) => Ok(()),
                Err(e) => Err(ServerError::io("PostgreSQL listener", e)),
            },
        };
        let _ = stop_tx.send(true);
        match tokio::time::timeout(SHUTDOWN_GRACE, admin_task).await {
            Ok(Ok(Ok(()))) => {}
            Ok(Ok(Err(e))) => tracing::warn!(error = %e, "admin listener"),
            Ok(Err(e)) => tracing::warn!(error = %e, "admin task"),
            Err(_) => tracing::warn!("admin requests still running after the grace period"),
        }
        tracing::info!("isotherm stopped");
        outcome
    }
}

/// Completes on SIGINT (Ctrl-C) or SIGTERM. The handlers are installed
/// when this is called (not when first polled), so a signal that arrives
/// right after the ready line still shuts down cleanly. Call it within the
/// runtime.
pub fn shutdown_signal() -> impl Future<Output = ()> {
    #[cfg(unix)]
    {
        use tokio::signal::unix::{SignalKind, signal};
        let streams = (
            signal(SignalKind::interrupt()),
            signal(SignalKind::terminate()),
        );
        async move {
            match streams {
                (Ok(mut int), Ok(mut term)) => {
                    tokio::select! {
                        _ = int.recv() => {}
                        _ = term.recv() => {}
                    }
                }
                (int, term) => {
                    let e = int.err().or(term.err()).map(|e| e.to_string());
                    tracing::warn!(error = ?e, "cannot listen for SIGINT / SIGTERM");
                    std::future::pending::<()>().await;
                }
            }
        }
    }
    #[cfg(not(unix))]
    async {
        if let Err(e) = tokio::signal::ctrl_c().await {
            tracing::warn!(error = %e, "cannot listen for Ctrl-C");
            std::future::pending::<()>().await;
        }
    }
}
