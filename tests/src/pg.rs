//! A throwaway PostgreSQL 15 cluster: the oracle every answer is compared with.
//!
//! One cluster per test process, started on first use ([`cluster`]); each test
//! takes its own database ([`PgCluster::create_database`]) so tests run in
//! parallel. The cluster lives in a temp dir under `/tmp`, listens on a free
//! loopback port with `TimeZone = UTC`, locale C and fsync off.
//!
//! Cleanup: statics are never dropped, so a sidecar shell waits on a pipe whose
//! write end only this process holds; when the process exits (normally, by
//! panic or by a signal) the pipe closes and the sidecar stops the server and
//! removes the directory.
//!
//! Running as root: `initdb` refuses root, so the PostgreSQL commands run as the
//! `postgres` user (Debian's package creates it) via `runuser`, and the temp dir
//! is chowned to that user.

use std::path::{Path, PathBuf};
use std::process::{ChildStdin, Command, Stdio};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Mutex, OnceLock};

use tokio_postgres::{Client, NoTls};

use crate::error::{Context, Error, Result};

/// A running cluster. Lives until the process exits.
pub struct PgCluster {
    pub port: u16,
    pub dir: PathBuf,
    bindir: PathBuf,
    run_as: Option<String>,
    /// Closing this (at process exit) makes the sidecar stop the cluster.
    _sidecar_stdin: Mutex<ChildStdin>,
}

static CLUSTER: OnceLock<Result<PgCluster, String>> = OnceLock::new();
static DB_COUNTER: AtomicU64 = AtomicU64::new(0);

/// The process's cluster, started on first call.
pub fn cluster() -> Result<&'static PgCluster> {
    CLUSTER
        .get_or_init(|| PgCluster::start().map_err(|e| e.0))
        .as_ref()
        .map_err(|e| Error::new(format!("PostgreSQL oracle unavailable: {e}")))
}

/// Where PostgreSQL 15's server binaries are: `$PG_BINDIR`, Debian's
/// `/usr/lib/postgresql/15/bin`, or `pg_config --bindir`.
pub fn find_bindir() -> Result<PathBuf> {
    let mut candidates = Vec::new();
    if let Some(dir) = std::env::var_os("PG_BINDIR") {
        candidates.push(PathBuf::from(dir));
    }
    candidates.push(PathBuf::from("/usr/lib/postgresql/15/bin"));
    if let Ok(out) = Command::new("pg_config").arg("--bindir").output()
        && out.status.success()
    {
        candidates.push(PathBuf::from(String::from_utf8_lossy(&out.stdout).trim()));
    }
    candidates
        .into_iter()
        .find(|d| d.join("initdb").is_file() && d.join("pg_ctl").is_file())
        .ok_or_else(|| {
            Error::new(
                "no PostgreSQL 15 server binaries (initdb, pg_ctl) found: install the \
                 `postgresql` package or set PG_BINDIR",
            )
        })
}

fn is_root() -> bool {
    Command::new("id")
        .arg("-u")
        .output()
        .map(|o| String::from_utf8_lossy(&o.stdout).trim() == "0")
        .unwrap_or(false)
}

fn user_ids(user: &str) -> Result<(u32, u32)> {
    let id = |flag: &str| -> Result<u32> {
        let out = Command::new("id").args([flag, user]).output()?;
        if !out.status.success() {
            return Err(Error::new(format!("no user {user:?}")));
        }
        String::from_utf8_lossy(&out.stdout)
            .trim()
            .parse()
            .map_err(|e| Error::new(format!("id {flag} {user}: {e}")))
    };
    Ok((id("-u")?, id("-g")?))
}

fn free_port() -> Result<u16> {
    let listener = std::net::TcpListener::bind("127.0.0.1:0")?;
    Ok(listener.local_addr()?.port())
}

impl PgCluster {
    fn start() -> Result<PgCluster> {
        let bindir = find_bindir()?;
        let run_as = if is_root() {
            Some("postgres".to_string())
        } else {
            None
        };
        let dir = tempfile::Builder::new()
            .prefix("isotherm-pg-")
            .tempdir_in("/tmp")
            .ctx("creating the PostgreSQL temp dir")?
            .keep();
        if let Some(user) = &run_as {
            let (uid, gid) = user_ids(user).ctx("running as root needs the `postgres` user")?;
            std::os::unix::fs::chown(&dir, Some(uid), Some(gid)).ctx("chown temp dir")?;
        }
        let cluster = PgCluster {
            port: 0,
            dir: dir.clone(),
            bindir,
            run_as,
            _sidecar_stdin: Mutex::new(spawn_sidecar(&dir)?),
        };
        cluster.initdb()?;
        // A port picked free can be taken before postgres binds it: retry.
        let mut last = Error::new("never tried");
        for _ in 0..5 {
            let port = free_port()?;
            match cluster.pg_ctl_start(port) {
                Ok(()) => {
                    return Ok(PgCluster { port, ..cluster });
                }
                Err(e) => last = e,
            }
        }
        Err(last.context("starting PostgreSQL"))
    }

    fn command(&self, program: &str) -> Command {
        let path = self.bindir.join(program);
        match &self.run_as {
            Some(user) => {
                let mut c = Command::new("runuser");
                c.args(["-u", user, "--"]).arg(path);
                c
            }
            None => Command::new(path),
        }
    }

    fn data_dir(&self) -> PathBuf {
        self.dir.join("data")
    }

    fn run(&self, mut cmd: Command, what: &str) -> Result<()> {
        // Output to a file, not a pipe: the daemonized postmaster must not hold our pipe.
        let log = self.dir.join(format!("{what}.out"));
        let file = std::fs::File::create(&log)?;
        let status = cmd
            .stdin(Stdio::null())
            .stdout(file.try_clone()?)
            .stderr(file)
            .status()
            .ctx(what)?;
        if status.success() {
            return Ok(());
        }
        let out = std::fs::read_to_string(&log).unwrap_or_default();
        Err(Error::new(format!("{what} failed ({status}):\n{out}")))
    }

    fn initdb(&self) -> Result<()> {
        let mut cmd = self.command("initdb");
        cmd.arg("-D")
            .arg(self.data_dir())
            .args(["--locale=C", "--encoding=UTF8", "-U", "postgres"])
            .args(["--auth=trust", "--no-sync"]);
        self.run(cmd, "initdb")
    }

    fn pg_ctl_start(&self, port: u16) -> Result<()> {
        let opts = format!(
            "-p {port} -c listen_addresses=127.0.0.1 -c unix_socket_directories={} \
             -c timezone=UTC -c fsync=off -c synchronous_commit=off \
             -c full_page_writes=off -c lc_messages=C -c max_connections=200",
            self.dir.display()
        );
        let mut cmd = self.command("pg_ctl");
        cmd.arg("-D")
            .arg(self.data_dir())
            .arg("-l")
            .arg(self.dir.join("postgres.log"))
            .args(["-w", "-t", "60", "-o", &opts, "start"]);
        self.run(cmd, "pg_ctl start")
    }

    /// The server's log, for failure messages.
    pub fn log(&self) -> String {
        std::fs::read_to_string(self.dir.join("postgres.log")).unwrap_or_default()
    }

    /// Connects as `postgres` to `dbname`; the connection task runs on the
    /// current tokio runtime.
    pub async fn connect(&self, dbname: &str) -> Result<Client> {
        connect("127.0.0.1", self.port, "postgres", dbname).await
    }

    /// A fresh, empty database for one test, named after `label`.
    pub async fn create_database(&'static self, label: &str) -> Result<PgDb> {
        let n = DB_COUNTER.fetch_add(1, Ordering::Relaxed);
        let clean: String = label
            .chars()
            .map(|c| {
                if c.is_ascii_alphanumeric() {
                    c.to_ascii_lowercase()
                } else {
                    '_'
                }
            })
            .take(40)
            .collect();
        let name = format!("t{n}_{clean}");
        let admin = self.connect("postgres").await?;
        admin
            .batch_execute(&format!("CREATE DATABASE \"{name}\""))
            .await
            .ctx("CREATE DATABASE")?;
        Ok(PgDb {
            cluster: self,
            name,
        })
    }
}

/// Connects to any PostgreSQL-speaking server without TLS or password.
pub async fn connect(host: &str, port: u16, user: &str, dbname: &str) -> Result<Client> {
    let mut config = tokio_postgres::Config::new();
    config
        .host(host)
        .port(port)
        .user(user)
        .dbname(dbname)
        .connect_timeout(std::time::Duration::from_secs(10));
    let (client, connection) = config
        .connect(NoTls)
        .await
        .ctx(&format!("connecting to {host}:{port} as {user}/{dbname}"))?;
    tokio::spawn(async move {
        // The connection ends when the client is dropped or the server goes away.
        let _ = connection.await;
    });
    Ok(client)
}

/// One test's database in the shared cluster.
pub struct PgDb {
    pub cluster: &'static PgCluster,
    pub name: String,
}

impl PgDb {
    pub async fn connect(&self) -> Result<Client> {
        self.cluster.connect(&self.name).await
    }
}

/// A sidecar that stops the cluster and removes its directory when this
/// process exits.
fn spawn_sidecar(dir: &Path) -> Result<ChildStdin> {
    let bindir = find_bindir()?;
    let pg_ctl = bindir.join("pg_ctl");
    let data = dir.join("data");
    let stop = format!(
        "'{}' -D '{}' -m immediate -w stop",
        pg_ctl.display(),
        data.display()
    );
    let stop = if is_root() {
        format!("runuser -u postgres -- {stop}")
    } else {
        stop
    };
    cleanup_on_exit(&stop, dir)
}

/// A shell that waits for EOF on stdin (this process's exit, however it
/// ends), then runs `stop` and removes `dir`. Keep the returned handle alive
/// as long as what it cleans up.
pub fn cleanup_on_exit(stop: &str, dir: &Path) -> Result<ChildStdin> {
    let script = format!(
        "cat >/dev/null; {stop} >/dev/null 2>&1; rm -rf '{}'",
        dir.display()
    );
    let mut child = Command::new("sh")
        .args(["-c", &script])
        .stdin(Stdio::piped())
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .ctx("spawning the cleanup sidecar")?;
    child
        .stdin
        .take()
        .ok_or_else(|| Error::new("sidecar has no stdin"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn cluster_starts_and_databases_are_separate() {
        let c = cluster().expect("cluster");
        let a = c.create_database("a").await.expect("db a");
        let b = c.create_database("b").await.expect("db b");
        let ca = a.connect().await.expect("connect a");
        let cb = b.connect().await.expect("connect b");
        ca.batch_execute("CREATE TABLE x (v int); INSERT INTO x VALUES (1)")
            .await
            .expect("create in a");
        let err = cb.simple_query("SELECT * FROM x").await;
        assert!(err.is_err(), "table x must not exist in b");
        let tz = ca.query_one("SHOW timezone", &[]).await.expect("show");
        assert_eq!(tz.get::<_, String>(0), "UTC");
        let ver: String = ca
            .query_one("SHOW server_version", &[])
            .await
            .expect("version")
            .get(0);
        assert!(ver.starts_with("15"), "PostgreSQL 15 expected, got {ver}");
    }
}
