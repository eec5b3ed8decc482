//! `isotherm demo`: generate a dataset (once), load it (once), serve it.
//!
//! ```text
//! D/source/   generated Hive-partitioned Parquet (kept; reused on restart)
//! D/data/     the Isotherm data directory
//! ```
//!
//! On restart, partitions the table already holds are not loaded again, so a
//! demo interrupted while loading picks up where it stopped.

use std::collections::HashSet;
use std::path::Path;
use std::process::ExitCode;
use std::sync::Mutex;
use std::sync::atomic::{AtomicU64, AtomicUsize, Ordering};
use std::time::Instant;

use isotherm_indexer::{Database, IndexError};

use crate::admin::jobs::load_partition;
use crate::cli::DemoArgs;
use crate::commands::runtime;
use crate::error::{Result, ServerError};
use crate::generate::{self, GenerateConfig};
use crate::hive::{self, HivePartition};
use crate::push::progress_bar;
use crate::serve::{Server, open_database, shutdown_signal};

/// The table the demo loads.
pub const DEMO_TABLE: &str = "temperatures";
/// Threads loading partitions.
const LOAD_THREADS: usize = 2;

pub fn run_demo(args: DemoArgs) -> Result<ExitCode> {
    let source = args.data_dir.join("source");
    let data = args.data_dir.join("data");
    if generate::is_complete(&source) {
        println!("using the dataset in {}", source.display());
    } else {
        let mut cfg = GenerateConfig::new(&source);
        cfg.days = args.days;
        cfg.stations = args.stations;
        println!(
            "generating {} days of hourly readings from {} stations into {} ...",
            cfg.days,
            cfg.stations,
            source.display()
        );
        println!("{}", generate::generate(&cfg)?);
    }

    let rt = runtime()?;
    let result = rt.block_on(async {
        let (db, restore) = open_database(&data).await?;
        let loader = db.clone();
        tokio::task::spawn_blocking(move || load_missing(&loader, &source))
            .await
            .map_err(|e| ServerError::Failed(format!("loading panicked: {e}")))??;
        let server = Server::bind(db, &args.listen, restore).await?;
        let shutdown = shutdown_signal();
        println!("{}", server.ready_line());
        println!("{}", instructions(&server));
        server.run(shutdown).await
    });
    rt.shutdown_timeout(std::time::Duration::from_secs(10));
    result.map(|()| ExitCode::SUCCESS)
}

fn instructions(server: &Server) -> String {
    let pg = server.pg_addr;
    format!(
        r#"
Connect with:
  psql "host={host} port={port} user=isotherm dbname=isotherm"

Try:
  SELECT region, count(*) AS readings, avg(temperature) AS avg_temp
    FROM {t} GROUP BY region ORDER BY region;
  SELECT date, min(temperature), max(temperature)
    FROM {t} WHERE country = 'Norway' GROUP BY date ORDER BY date;
  SELECT country, count(DISTINCT station) AS stations, max(temperature) AS hottest
    FROM {t} WHERE region = 'europe' GROUP BY country ORDER BY stations DESC LIMIT 5;

Admin API: http://{admin}/v1/tables/{t}   (Ctrl-C to stop)"#,
        host = pg.ip(),
        port = pg.port(),
        admin = server.admin_addr,
        t = DEMO_TABLE,
    )
}

/// Loads every partition under `source` that the demo table does not hold yet.
pub fn load_missing(db: &Database, source: &Path) -> Result<()> {
    let parts = hive::discover(source)?;
    let have: HashSet<String> = match db.partitions(DEMO_TABLE) {
        Ok(list) => list.into_iter().map(|p| p.partition).collect(),
        Err(IndexError::UnknownTable(_)) => HashSet::new(),
        Err(e) => return Err(e.into()),
    };
    let todo: Vec<HivePartition> = parts
        .into_iter()
        .filter(|p| !have.contains(&p.path))
        .collect();
    if todo.is_empty() {
        println!(
            "table {DEMO_TABLE} already holds all {} partitions",
            have.len()
        );
        return Ok(());
    }
    println!(
        "loading {} partitions into table {DEMO_TABLE} ...",
        todo.len()
    );
    let started = Instant::now();
    let bar = progress_bar(todo.len() as u64, true, "partitions");
    let next = AtomicUsize::new(0);
    let rows = AtomicU64::new(0);
    let errors: Mutex<Vec<String>> = Mutex::new(Vec::new());
    std::thread::scope(|scope| {
        for _ in 0..LOAD_THREADS {
            scope.spawn(|| {
                while let Some(part) = todo.get(next.fetch_add(1, Ordering::Relaxed)) {
                    match load_partition(db, DEMO_TABLE, part) {
                        Ok(outcome) => {
                            rows.fetch_add(outcome.rows, Ordering::Relaxed);
                        }
                        Err(e) => {
                            let mut errs = errors.lock().unwrap_or_else(|p| p.into_inner());
                            errs.push(format!("{}: {e}", part.path));
                        }
                    }
                    bar.inc(1);
                }
            });
        }
    });
    bar.finish_and_clear();
    let errors = errors.into_inner().unwrap_or_else(|p| p.into_inner());
    if let Some(first) = errors.first() {
        return Err(ServerError::Failed(format!(
            "{} partitions failed to load; first: {first}",
            errors.len()
        )));
    }
    let rows = rows.into_inner();
    let secs = started.elapsed().as_secs_f64();
    println!(
        "loaded {} partitions ({rows} rows) in {secs:.1} s ({:.0} rows/s)",
        todo.len(),
        rows as f64 / secs.max(1e-9)
    );
    Ok(())
}
