//! The real `isotherm` binary: `serve` as a child process (start, stop,
//! restart on the same data dir, kill -9), the `generate` and `push`
//! subcommands, and `psql` against any port.
//!
//! The binary is `$ISOTHERM_BIN`, else `<target>/debug/isotherm` where
//! `<target>` is `$CARGO_TARGET_DIR` or the workspace's `target/`. It is not
//! built from here: `cargo test` holds the build lock while tests run, so a
//! nested `cargo build` would wait forever. `scripts/test.sh` builds it first;
//! by hand: `cargo build -p isotherm-server`.
//!
//! `serve` runs on ports 0 and prints, once serving, a line
//! `isotherm ready: ... postgres on 127.0.0.1:<port> ... admin on http://127.0.0.1:<port> ...`
//! which gives the ports. Its stdout and stderr are saved to `server.log` in a
//! temp dir (printed by [`Server::log`] for failure messages).

use std::io::{BufRead, BufReader, Write};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Output, Stdio};
use std::sync::mpsc;
use std::time::{Duration, Instant};

use tokio_postgres::Client;

use crate::error::{Context, Error, Result};

/// How long `serve` may take to print its ready line.
pub const READY_TIMEOUT: Duration = Duration::from_secs(60);

/// The `isotherm` binary to test.
pub fn binary() -> Result<PathBuf> {
    if let Some(p) = std::env::var_os("ISOTHERM_BIN") {
        return Ok(PathBuf::from(p));
    }
    let target = match std::env::var_os("CARGO_TARGET_DIR") {
        Some(t) => PathBuf::from(t),
        None => Path::new(env!("CARGO_MANIFEST_DIR"))
            .join("..")
            .join("target"),
    };
    let bin = target.join("debug").join("isotherm");
    if bin.is_file() {
        Ok(bin)
    } else {
        Err(Error::new(format!(
            "{} not found: build it first with `cargo build -p isotherm-server` \
             (scripts/test.sh does), or set ISOTHERM_BIN",
            bin.display()
        )))
    }
}

/// Ports parsed from the ready line.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ReadyLine {
    pub pg_port: u16,
    pub admin_port: u16,
}

fn port_after(line: &str, marker: &str) -> Option<u16> {
    let rest = &line[line.find(marker)? + marker.len()..];
    let digits: String = rest.chars().take_while(char::is_ascii_digit).collect();
    digits.parse().ok()
}

/// Parses `isotherm ready: postgres on 127.0.0.1:P, admin on http://127.0.0.1:Q`.
pub fn parse_ready_line(line: &str) -> Option<ReadyLine> {
    if !line.starts_with("isotherm ready:") {
        return None;
    }
    Some(ReadyLine {
        pg_port: port_after(line, "postgres on 127.0.0.1:")?,
        admin_port: port_after(line, "admin on http://127.0.0.1:")?,
    })
}

/// A running `isotherm serve`. Killed (SIGKILL) on drop.
pub struct Server {
    pub data_dir: PathBuf,
    pub pg_port: u16,
    pub admin_port: u16,
    child: Option<Child>,
    log_path: PathBuf,
    /// Owns the temp dirs (data dir when not given, logs) for the test's life.
    _dirs: Vec<tempfile::TempDir>,
}

impl Server {
    /// Serves a fresh, empty data dir.
    pub fn start() -> Result<Server> {
        let dir = tempfile::Builder::new()
            .prefix("isotherm-data-")
            .tempdir()
            .ctx("data dir")?;
        let data_dir = dir.path().join("data");
        let mut s = Server::start_on(&data_dir)?;
        s._dirs.push(dir);
        Ok(s)
    }

    /// Serves `data_dir` (created if missing).
    pub fn start_on(data_dir: &Path) -> Result<Server> {
        let logs = tempfile::Builder::new()
            .prefix("isotherm-log-")
            .tempdir()
            .ctx("log dir")?;
        let log_path = logs.path().join("server.log");
        let mut s = Server {
            data_dir: data_dir.to_path_buf(),
            pg_port: 0,
            admin_port: 0,
            child: None,
            log_path,
            _dirs: vec![logs],
        };
        s.spawn()?;
        Ok(s)
    }

    fn spawn(&mut self) -> Result<()> {
        let bin = binary()?;
        let log = std::fs::OpenOptions::new()
            .create(true)
            .append(true)
            .open(&self.log_path)?;
        let mut child = Command::new(&bin)
            .arg("serve")
            .arg("--data-dir")
            .arg(&self.data_dir)
            .args(["--listen", "127.0.0.1:0", "--admin-listen", "127.0.0.1:0"])
            .env("RUST_BACKTRACE", "1")
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(log.try_clone()?)
            .spawn()
            .ctx(&format!("spawning {} serve", bin.display()))?;
        let stdout = child
            .stdout
            .take()
            .ok_or_else(|| Error::new("serve has no stdout"))?;
        // A thread copies stdout to the log (so the pipe never fills) and
        // reports the ready line.
        let (tx, rx) = mpsc::channel();
        let mut log_out = log;
        std::thread::spawn(move || {
            let mut tx = Some(tx);
            for line in BufReader::new(stdout).lines() {
                let Ok(line) = line else { break };
                let _ = writeln!(log_out, "{line}");
                if let Some(ready) = parse_ready_line(&line)
                    && let Some(tx) = tx.take()
                {
                    let _ = tx.send(ready);
                }
            }
        });
        self.child = Some(child);
        let deadline = Instant::now() + READY_TIMEOUT;
        loop {
            match rx.recv_timeout(Duration::from_millis(100)) {
                Ok(ready) => {
                    self.pg_port = ready.pg_port;
                    self.admin_port = ready.admin_port;
                    return Ok(());
                }
                Err(mpsc::RecvTimeoutError::Timeout) => {
                    if let Some(status) = self
                        .child
                        .as_mut()
                        .and_then(|c| c.try_wait().ok().flatten())
                    {
                        self.child = None;
                        return Err(Error::new(format!(
                            "isotherm serve exited ({status}) before ready:\n{}",
                            self.log()
                        )));
                    }
                    if Instant::now() > deadline {
                        self.kill9();
                        return Err(Error::new(format!(
                            "isotherm serve printed no ready line in {READY_TIMEOUT:?}:\n{}",
                            self.log()
                        )));
                    }
                }
                Err(mpsc::RecvTimeoutError::Disconnected) => {
                    let _ = self.child.as_mut().map(Child::wait);
                    self.child = None;
                    return Err(Error::new(format!(
                        "isotherm serve closed stdout before ready:\n{}",
                        self.log()
                    )));
                }
            }
        }
    }

    /// Everything the server printed so far.
    pub fn log(&self) -> String {
        std::fs::read_to_string(&self.log_path).unwrap_or_default()
    }

    /// The last `n` lines of the log, for failure messages.
    pub fn log_tail(&self, n: usize) -> String {
        let log = self.log();
        let lines: Vec<&str> = log.lines().collect();
        lines[lines.len().saturating_sub(n)..].join("\n")
    }

    pub fn admin_url(&self) -> String {
        format!("http://127.0.0.1:{}", self.admin_port)
    }

    pub fn pid(&self) -> Option<u32> {
        self.child.as_ref().map(Child::id)
    }

    /// A tokio-postgres client as `isotherm`/`isotherm`; on failure the error
    /// carries the server log's tail.
    pub async fn connect(&self) -> Result<Client> {
        crate::pg::connect("127.0.0.1", self.pg_port, "isotherm", "isotherm")
            .await
            .map_err(|e| Error::new(format!("{e}\nserver log tail:\n{}", self.log_tail(20))))
    }

    /// SIGKILL, then reap: a crash at an arbitrary moment.
    pub fn kill9(&mut self) {
        if let Some(mut c) = self.child.take() {
            let _ = c.kill();
            let _ = c.wait();
        }
    }

    /// SIGTERM and wait (up to 20 s, then SIGKILL): a clean shutdown.
    pub fn stop(&mut self) -> Result<()> {
        let Some(mut c) = self.child.take() else {
            return Ok(());
        };
        // The shell's builtin `kill`: no dependency on procps.
        let _ = Command::new("sh")
            .args(["-c", &format!("kill -TERM {}", c.id())])
            .status();
        let deadline = Instant::now() + Duration::from_secs(20);
        while Instant::now() < deadline {
            if c.try_wait()?.is_some() {
                return Ok(());
            }
            std::thread::sleep(Duration::from_millis(50));
        }
        let _ = c.kill();
        let _ = c.wait();
        Err(Error::new(format!(
            "isotherm serve did not exit within 20 s of SIGTERM:\n{}",
            self.log()
        )))
    }

    /// Stops (cleanly) and starts again on the same data dir; new ports.
    pub fn restart(&mut self) -> Result<()> {
        self.stop()?;
        self.spawn()
    }

    /// Starts again after [`Server::kill9`] or [`Server::stop`].
    pub fn start_again(&mut self) -> Result<()> {
        if self.child.is_some() {
            return Err(Error::new("server still running"));
        }
        self.spawn()
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        self.kill9();
    }
}

/// Runs `isotherm <args>` to completion.
pub fn run_cli(args: &[&str]) -> Result<Output> {
    let bin = binary()?;
    Command::new(&bin)
        .args(args)
        .stdin(Stdio::null())
        .output()
        .ctx(&format!("running isotherm {}", args.join(" ")))
}

/// `isotherm generate --out DIR --days N --stations N --seed S`.
pub fn generate(out: &Path, days: u32, stations: u32, seed: u64) -> Result<Output> {
    let out = out.to_string_lossy();
    run_cli(&[
        "generate",
        "--out",
        &out,
        "--days",
        &days.to_string(),
        "--stations",
        &stations.to_string(),
        "--seed",
        &seed.to_string(),
    ])
}

/// `isotherm push --admin URL --table T DIR`, as a child the caller can kill.
pub fn spawn_push(admin_url: &str, table: &str, dir: &Path) -> Result<Child> {
    Command::new(binary()?)
        .args(["push", "--admin", admin_url, "--table", table])
        .arg(dir)
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .ctx("spawning isotherm push")
}

pub fn push(admin_url: &str, table: &str, dir: &Path) -> Result<Output> {
    Ok(spawn_push(admin_url, table, dir)?.wait_with_output()?)
}

/// `psql -h 127.0.0.1 -p PORT -U USER -d DB -At -c SQL`: stdout, or the error text.
pub fn psql(port: u16, user: &str, db: &str, sql: &str) -> Result<Result<String, String>> {
    let out = Command::new("psql")
        .args([
            "-h",
            "127.0.0.1",
            "-p",
            &port.to_string(),
            "-U",
            user,
            "-d",
            db,
        ])
        .args(["-X", "-At", "-v", "ON_ERROR_STOP=1", "-c", sql])
        .env("PGCONNECT_TIMEOUT", "10")
        .env_remove("PGPASSWORD")
        .stdin(Stdio::null())
        .output()
        .ctx("running psql (install postgresql-client)")?;
    let stdout = String::from_utf8_lossy(&out.stdout).into_owned();
    if out.status.success() {
        Ok(Ok(stdout))
    } else {
        Ok(Err(String::from_utf8_lossy(&out.stderr).into_owned()))
    }
}

/// Flips one byte (XOR 0xFF) at `offset` of a file, in place.
pub fn flip_byte(path: &Path, offset: u64) -> Result<()> {
    use std::io::{Read, Seek, SeekFrom};
    let mut f = std::fs::OpenOptions::new()
        .read(true)
        .write(true)
        .open(path)?;
    let mut b = [0u8; 1];
    f.seek(SeekFrom::Start(offset))?;
    f.read_exact(&mut b)?;
    b[0] ^= 0xFF;
    f.seek(SeekFrom::Start(offset))?;
    f.write_all(&b)?;
    f.sync_all()?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ready_line_parses() {
        let r = parse_ready_line(
            "isotherm ready: postgres on 127.0.0.1:54321, admin on http://127.0.0.1:8080 (data /x)",
        )
        .expect("parse");
        assert_eq!(
            r,
            ReadyLine {
                pg_port: 54321,
                admin_port: 8080
            }
        );
        assert!(
            parse_ready_line("starting: postgres on 127.0.0.1:1, admin on http://127.0.0.1:2")
                .is_none()
        );
        assert!(parse_ready_line("isotherm ready: postgres on 127.0.0.1:x").is_none());
    }

    #[test]
    fn flipping_a_byte_changes_exactly_one() {
        let dir = tempfile::tempdir().expect("dir");
        let p = dir.path().join("f");
        std::fs::write(&p, [1u8, 2, 3, 4]).expect("write");
        flip_byte(&p, 2).expect("flip");
        assert_eq!(std::fs::read(&p).expect("read"), [1, 2, 0xFC, 4]);
    }
}
