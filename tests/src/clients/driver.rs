//! Running the client drivers: finding each tool, running a driver against one
//! target with a time limit, reading its JSON Lines; and the two command-line
//! clients driven from here directly, psql and pgbench.
//!
//! Tools (installed by `scripts/install-clients.sh`; a missing one fails its
//! test with a message naming the script, it is never skipped):
//! - Python drivers: `$ISOTHERM_CLIENTS_HOME/venv/bin/python`
//!   (default `~/.cache/isotherm-clients`), scripts in `tests/clients/python/`;
//! - node-postgres: `node` with `NODE_PATH=$ISOTHERM_CLIENTS_HOME/node/node_modules`;
//! - pgjdbc: `/usr/share/java/postgresql.jar` (or `$PGJDBC_JAR`), `javac`, `java`;
//! - `psql` and `pgbench` on `PATH`.

use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use serde_json::{Value as Json, json};

use super::targets::Target;
use crate::error::{Context, Error, Result};

/// How long one driver may run against one target.
pub const DRIVER_TIMEOUT: Duration = Duration::from_secs(90);

const INSTALL_HINT: &str = "run scripts/install-clients.sh";

/// Where install-clients.sh puts the virtualenv and node_modules.
pub fn clients_home() -> PathBuf {
    if let Some(h) = std::env::var_os("ISOTHERM_CLIENTS_HOME") {
        return PathBuf::from(h);
    }
    let home = std::env::var_os("HOME").unwrap_or_else(|| "/root".into());
    PathBuf::from(home).join(".cache").join("isotherm-clients")
}

/// `tests/clients/<rel>` in the source tree.
pub fn clients_dir(rel: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("clients")
        .join(rel)
}

fn require_file(path: &Path, what: &str) -> Result<PathBuf> {
    if path.exists() {
        Ok(path.to_path_buf())
    } else {
        Err(Error::new(format!(
            "{what} not found at {}: {INSTALL_HINT}",
            path.display()
        )))
    }
}

/// `PATH` lookup, as the shell does.
pub fn which(program: &str) -> Result<PathBuf> {
    std::env::var_os("PATH")
        .iter()
        .flat_map(std::env::split_paths)
        .map(|d| d.join(program))
        .find(|p| p.is_file())
        .ok_or_else(|| Error::new(format!("`{program}` not on PATH: {INSTALL_HINT}")))
}

/// The suite's Python interpreter (with the drivers installed).
pub fn python() -> Result<PathBuf> {
    require_file(
        &clients_home().join("venv").join("bin").join("python"),
        "the clients' Python virtualenv",
    )
}

/// A Python driver script run by the suite's interpreter.
pub fn python_driver(script: &str) -> Result<Command> {
    let mut cmd = Command::new(python()?);
    cmd.arg(require_file(&clients_dir("python").join(script), "driver")?);
    Ok(cmd)
}

/// The node-postgres driver.
pub fn node_driver() -> Result<Command> {
    let modules = require_file(
        &clients_home().join("node").join("node_modules").join("pg"),
        "node-postgres (npm pg)",
    )?;
    let mut cmd = Command::new(which("node")?);
    cmd.arg(require_file(
        &clients_dir("node").join("client.js"),
        "driver",
    )?)
    .env("NODE_PATH", modules.parent().unwrap_or(&modules));
    Ok(cmd)
}

/// The pgjdbc jar.
pub fn jdbc_jar() -> Result<PathBuf> {
    let jar = std::env::var_os("PGJDBC_JAR")
        .map(PathBuf::from)
        .unwrap_or_else(|| PathBuf::from("/usr/share/java/postgresql.jar"));
    require_file(&jar, "pgjdbc (Debian libpostgresql-jdbc-java)")
}

/// Compiles the pgjdbc driver into `out` and returns the command that runs it.
pub fn jdbc_driver(out: &Path) -> Result<Command> {
    let jar = jdbc_jar()?;
    let src = require_file(&clients_dir("java").join("JdbcClient.java"), "driver")?;
    let status = Command::new(which("javac")?)
        .arg("-d")
        .arg(out)
        .arg("-cp")
        .arg(&jar)
        .arg(&src)
        .status()
        .ctx("running javac")?;
    if !status.success() {
        return Err(Error::new(format!(
            "javac {} failed: {status}",
            src.display()
        )));
    }
    let mut cmd = Command::new(which("java")?);
    cmd.arg("-Duser.timezone=UTC")
        .arg("-cp")
        .arg(format!("{}:{}", jar.display(), out.display()));
    cmd.arg("JdbcClient");
    Ok(cmd)
}

/// What one driver printed against one target.
#[derive(Debug, Clone, Default)]
pub struct Run {
    pub steps: Vec<Json>,
    /// Why the run ended early or oddly (exit status, timeout, stray output).
    pub problems: Vec<String>,
    pub stderr: String,
}

/// Output of a finished (or killed) child process.
struct Finished {
    status: Option<std::process::ExitStatus>,
    stdout: String,
    stderr: String,
}

/// Runs `cmd` with stdout and stderr to files, killing it after `timeout`.
fn run_with_timeout(mut cmd: Command, timeout: Duration) -> Result<Finished> {
    let dir = tempfile::tempdir()?;
    let (out, err) = (dir.path().join("stdout"), dir.path().join("stderr"));
    let mut child = cmd
        .env("TZ", "UTC")
        .env("PGCONNECT_TIMEOUT", "10")
        .env_remove("PGPASSWORD")
        .stdin(Stdio::null())
        .stdout(std::fs::File::create(&out)?)
        .stderr(std::fs::File::create(&err)?)
        .spawn()
        .ctx(&format!("spawning {:?}", cmd.get_program()))?;
    let deadline = Instant::now() + timeout;
    let status = loop {
        if let Some(s) = child.try_wait()? {
            break Some(s);
        }
        if Instant::now() > deadline {
            let _ = child.kill();
            let _ = child.wait();
            break None;
        }
        std::thread::sleep(Duration::from_millis(20));
    };
    let read = |p: &Path| {
        std::fs::read(p)
            .map(|b| String::from_utf8_lossy(&b).into_owned())
            .unwrap_or_default()
    };
    Ok(Finished {
        status,
        stdout: read(&out),
        stderr: read(&err),
    })
}

/// Runs a driver (a command taking `HOST PORT USER DBNAME`) against `target`.
pub fn run_driver(mut cmd: Command, target: &Target) -> Result<Run> {
    cmd.args(target.args());
    let f = run_with_timeout(cmd, DRIVER_TIMEOUT)?;
    let mut run = Run {
        stderr: f.stderr,
        ..Run::default()
    };
    for line in f.stdout.lines().filter(|l| !l.trim().is_empty()) {
        match serde_json::from_str::<Json>(line) {
            Ok(v) if v.get("step").is_some() => run.steps.push(v),
            _ => run.problems.push(format!("stray output line: {line}")),
        }
    }
    match f.status {
        None => run.problems.push(format!(
            "killed after {DRIVER_TIMEOUT:?} (a hang: the last step printed is the one before it)"
        )),
        Some(s) if !s.success() => run.problems.push(format!("driver exited with {s}")),
        Some(_) => {}
    }
    if !run.problems.is_empty() && !run.stderr.trim().is_empty() {
        let tail: Vec<&str> = run.stderr.lines().rev().take(15).collect();
        let tail: Vec<&str> = tail.into_iter().rev().collect();
        run.problems
            .push(format!("driver stderr (tail):\n{}", tail.join("\n")));
    }
    Ok(run)
}

/// A step record (the drivers' JSON shape) for a command-line client.
fn cli_step(name: &str, sql: Option<&str>, f: &Finished, extra_rows: Vec<String>) -> Json {
    let mut rows: Vec<Json> = f.stdout.lines().map(|l| json!([l])).collect();
    rows.extend(extra_rows.into_iter().map(|l| json!([l])));
    let error = match f.status {
        Some(s) if s.success() => Json::Null,
        status => json!({
            "sqlstate": sqlstate_in(&f.stderr),
            "message": format!("{} ({})", f.stderr.trim(), describe_status(status)),
        }),
    };
    json!({"step": name, "sql": sql, "error": error, "rows": rows})
}

fn describe_status(status: Option<std::process::ExitStatus>) -> String {
    match status {
        None => format!("killed after {DRIVER_TIMEOUT:?}"),
        Some(s) => s
            .code()
            .map_or_else(|| s.to_string(), |c| format!("exit {c}")),
    }
}

/// The SQLSTATE in psql's verbose error output (`ERROR:  42703: column ...`).
pub fn sqlstate_in(stderr: &str) -> Option<String> {
    stderr.lines().find_map(|l| {
        let rest = l.split_once("ERROR:")?.1.trim_start();
        let code: String = rest.chars().take(5).collect();
        (code.len() == 5
            && code
                .chars()
                .all(|c| c.is_ascii_uppercase() || c.is_ascii_digit())
            && rest[5..].starts_with(':'))
        .then_some(code)
    })
}

/// psql steps: (name, psql arguments; `{FILE}` is a per-run output file).
pub const PSQL_STEPS: &[(&str, &[&str])] = &[
    ("dt", &["-c", "\\dt"]),
    ("d_temperatures", &["-c", "\\d temperatures"]),
    ("l_isotherm", &["-c", "\\l isotherm"]),
    ("dn", &["-c", "\\dn"]),
    ("dn_plus", &["-c", "\\dn+"]),
    (
        "x_expanded_query",
        &[
            "-c",
            "\\x on",
            "-c",
            "SELECT region, count(*) AS n, min(date) AS first_day, max(temperature) AS hottest \
             FROM temperatures GROUP BY region ORDER BY region",
        ],
    ),
    (
        "aligned_query_with_nulls",
        &[
            "-c",
            "SELECT country, count(*) AS n, avg(humidity) AS avg_h FROM temperatures \
             WHERE region = 'europe' GROUP BY country ORDER BY country",
        ],
    ),
    (
        "copy_select_to_file",
        &[
            "-c",
            "\\copy (SELECT date, region, count(*), min(temperature), max(measured_at) \
             FROM temperatures GROUP BY date, region ORDER BY date, region) TO '{FILE}' WITH (FORMAT csv, HEADER)",
        ],
    ),
    (
        "error_undefined_column",
        &["-c", "SELECT nosuch FROM temperatures"],
    ),
];

/// Runs [`PSQL_STEPS`] against `target`, one psql process per step.
pub fn run_psql(target: &Target) -> Result<Run> {
    let psql = which("psql")?;
    let dir = tempfile::tempdir()?;
    let mut run = Run::default();
    for (name, args) in PSQL_STEPS {
        let file = dir.path().join(format!("{name}.out"));
        let file_s = file.display().to_string();
        let mut cmd = Command::new(&psql);
        cmd.args(["-X", "-v", "ON_ERROR_STOP=1", "-v", "VERBOSITY=verbose"])
            .args(["-h", &target.host, "-p", &target.port.to_string()])
            .args(["-U", &target.user, "-d", &target.dbname])
            .env("PAGER", "")
            .env("PSQL_PAGER", "")
            .env("COLUMNS", "200");
        for a in *args {
            cmd.arg(a.replace("{FILE}", &file_s));
        }
        let f = run_with_timeout(cmd, DRIVER_TIMEOUT)?;
        if f.status.is_none() {
            run.problems
                .push(format!("psql step {name} killed after {DRIVER_TIMEOUT:?}"));
        }
        let written: Vec<String> = std::fs::read_to_string(&file)
            .map(|s| s.lines().map(|l| format!("file: {l}")).collect())
            .unwrap_or_default();
        let sql = args.last().copied();
        run.steps.push(cli_step(name, sql, &f, written));
    }
    Ok(run)
}

/// The pgbench script: parameterised aggregates (`:t` becomes `$1` in the
/// extended and prepared modes).
pub const PGBENCH_SCRIPT: &str = "\\set t random(0, 30)\n\
SELECT region, count(*), avg(temperature), max(humidity) FROM temperatures WHERE temperature > :t GROUP BY region ORDER BY region;\n\
SELECT date_trunc('month', date), count(*) FROM temperatures WHERE region = 'europe' GROUP BY 1 ORDER BY 1;\n";

/// `pgbench -M <mode>` with [`PGBENCH_SCRIPT`], 2 clients x 20 transactions:
/// the step records whether every transaction completed (throughput is
/// measured elsewhere).
pub fn run_pgbench(target: &Target) -> Result<Run> {
    let pgbench = which("pgbench")?;
    let dir = tempfile::tempdir()?;
    let script = dir.path().join("aggregates.sql");
    std::fs::write(&script, PGBENCH_SCRIPT)?;
    let mut run = Run::default();
    for mode in ["simple", "extended", "prepared"] {
        let mut cmd = Command::new(&pgbench);
        cmd.args(["-n", "-M", mode, "-c", "2", "-j", "1", "-t", "20", "-f"])
            .arg(&script)
            .args(["-h", &target.host, "-p", &target.port.to_string()])
            .args(["-U", &target.user, &target.dbname]);
        let f = run_with_timeout(cmd, DRIVER_TIMEOUT)?;
        let field = |prefix: &str| {
            f.stdout
                .lines()
                .find_map(|l| l.strip_prefix(prefix))
                .map(|v| v.split_whitespace().next().unwrap_or("").to_string())
        };
        let mut step = json!({
            "step": format!("pgbench_{mode}"),
            "sql": PGBENCH_SCRIPT,
            "rows": [
                ["processed", field("number of transactions actually processed: ")],
                ["failed", field("number of failed transactions: ")],
            ],
            "error": null,
        });
        if !f.status.is_some_and(|s| s.success()) {
            let tail: Vec<&str> = f.stderr.lines().rev().take(6).collect();
            step["error"] = json!({
                "sqlstate": sqlstate_in(&f.stderr),
                "message": format!(
                    "{}: {}",
                    describe_status(f.status),
                    tail.into_iter().rev().collect::<Vec<_>>().join(" / ")
                ),
            });
        }
        run.steps.push(step);
    }
    Ok(run)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sqlstates_are_read_from_verbose_psql_errors() {
        let err = "ERROR:  42703: column \"nosuch\" does not exist\nLINE 1: ...\nLOCATION:  x.c:1";
        assert_eq!(sqlstate_in(err).as_deref(), Some("42703"));
        assert_eq!(
            sqlstate_in("psql: error: ERROR:  0A000: JOIN"),
            Some("0A000".into())
        );
        assert_eq!(sqlstate_in("ERROR:  column does not exist"), None);
        assert_eq!(sqlstate_in(""), None);
    }

    #[test]
    fn timeouts_kill_and_report() {
        let mut cmd = Command::new("sh");
        cmd.args(["-c", "echo '{\"step\":\"a\"}'; echo junk; sleep 5"]);
        let f = run_with_timeout(cmd, Duration::from_millis(300)).expect("run");
        assert!(f.status.is_none());
        assert!(f.stdout.contains("junk"));
    }
}
