//! Catalog statements on the general engine: every catalog statement of the
//! BI-tool corpora (`tests/corpora/*.sql`, the ones that read no Isotherm
//! table) planned and run the way a session runs them, over a one-partition
//! `temperatures` table. The target is 20 ms per statement.
//!
//! For each statement: its first run in a fresh engine whose catalog was
//! warmed as the server warms it at start, then the median of [`RUNS`]
//! (or `ISOTHERM_BENCH_RUNS`) further runs of plan and execute each.
//! Prints one line per statement, slowest first, then p50/p90/max.
//! `ISOTHERM_BENCH_FILTER=describe` runs only statements whose `tool/name`
//! contains the text. Statements the protocol layer answers itself (`SET`,
//! `SHOW`, ...) fail to plan here and are counted as skipped.
//!
//! `cargo bench -p isotherm-benches --bench catalog`

use std::collections::HashMap;
use std::sync::Arc;
use std::time::{Duration, Instant};

use isotherm_benches::{days_from_civil, must, partition_parquet, partition_path};
use isotherm_engine::arrow::datatypes::DataType;
use isotherm_engine::{Engine, EngineConfig, ScalarValue, SessionVars};
use isotherm_indexer::Database;
use isotherm_tests::corpus::{self, CompareMode, ParamType, Statement};

/// The server's allocator (allocation dominates planning).
#[global_allocator]
static ALLOC: mimalloc::MiMalloc = mimalloc::MiMalloc;

/// Timed runs per statement after the first one.
const RUNS: usize = 15;
const TARGET: Duration = Duration::from_millis(20);

/// A session as BI tools open one: other settings keep their defaults.
fn vars() -> SessionVars {
    SessionVars {
        user: "isotherm".into(),
        settings: vec![("search_path".into(), "\"$user\", public".into())],
    }
}

fn engine(db: &Arc<Database>) -> Engine {
    let config = EngineConfig {
        database: "isotherm".into(),
        user: "isotherm".into(),
        version: "PostgreSQL 15.0 (Isotherm bench)".into(),
    };
    must(Engine::new(db.clone(), config), "Engine::new")
}

/// `{{oid:...}}` placeholders with Isotherm's OIDs.
fn placeholders() -> HashMap<String, String> {
    use isotherm_engine::catalog::oid;
    let mut values = HashMap::new();
    values.insert(
        "oid:public".into(),
        oid::namespace_oid("public").to_string(),
    );
    let table = oid::relation_oid("public", "temperatures").to_string();
    values.insert("oid:public.temperatures".into(), table.clone());
    values.insert("rowdesc_oid:public.temperatures".into(), table);
    values
}

/// The statement's parameters as the session would bind them, or `None`
/// when one has a type this harness does not bind.
fn params(s: &Statement, values: &HashMap<String, String>) -> Option<Vec<(DataType, ScalarValue)>> {
    s.params
        .iter()
        .map(|p| {
            let v = corpus::substitute(&p.value, values);
            Some(match p.ty {
                ParamType::Varchar | ParamType::Text => {
                    (DataType::Utf8, ScalarValue::Utf8(Some(v)))
                }
                ParamType::Int4 => (DataType::Int32, ScalarValue::Int32(Some(v.parse().ok()?))),
                ParamType::Int8 => (DataType::Int64, ScalarValue::Int64(Some(v.parse().ok()?))),
                _ => return None,
            })
        })
        .collect()
}

struct Timing {
    label: String,
    first: Duration,
    plan: Duration,
    execute: Duration,
}

/// One plan and one execution; `None` if the engine refuses the statement.
async fn run_once(
    engine: &Engine,
    sql: &str,
    params: &[(DataType, ScalarValue)],
) -> Option<(Duration, Duration)> {
    let declared: Vec<Option<DataType>> = params.iter().map(|(t, _)| Some(t.clone())).collect();
    let values: Vec<ScalarValue> = params.iter().map(|(_, v)| v.clone()).collect();
    let start = Instant::now();
    let plan = match engine.plan(sql, &vars(), &declared).await {
        Ok(p) => p,
        Err(e) => {
            eprintln!("plan: {e}");
            return None;
        }
    };
    let planned = start.elapsed();
    let start = Instant::now();
    if let Err(e) = plan.execute(values).await {
        eprintln!("execute: {e}");
        return None;
    }
    Some((planned, start.elapsed()))
}

fn median(mut v: Vec<Duration>) -> Duration {
    v.sort();
    v.get(v.len() / 2).copied().unwrap_or_default()
}

fn ms(d: Duration) -> f64 {
    d.as_secs_f64() * 1e3
}

fn main() {
    let filter = std::env::var("ISOTHERM_BENCH_FILTER").unwrap_or_default();
    let runs = std::env::var("ISOTHERM_BENCH_RUNS")
        .ok()
        .and_then(|r| r.parse().ok())
        .unwrap_or(RUNS);
    let runtime = must(
        tokio::runtime::Builder::new_multi_thread()
            .worker_threads(2)
            .enable_all()
            .build(),
        "tokio runtime",
    );
    let tmp = must(tempfile::tempdir(), "tempdir");
    let db = Arc::new(must(Database::open(tmp.path()), "Database::open"));
    let day = days_from_civil(2024, 6, 1);
    let parquet = must(partition_parquet(0, day), "partition_parquet");
    must(
        db.put_partition(
            "temperatures",
            &partition_path(&isotherm_benches::civil_from_days(day), "europe"),
            parquet,
        ),
        "put_partition",
    );
    let corpora = must(
        corpus::load_dir(&corpus::corpora_dir()),
        "loading the corpora",
    );
    let values = placeholders();
    let mut timings = Vec::new();
    let mut skipped = 0;
    for s in corpora.iter().flat_map(|c| &c.statements) {
        let label = format!("{}/{}", s.tool, s.name);
        if !s.is_catalog()
            || matches!(s.compare, CompareMode::Error | CompareMode::Refused)
            || !label.contains(&filter)
        {
            continue;
        }
        let sql = corpus::substitute(&s.sql, &values);
        let Some(params) = params(s, &values) else {
            skipped += 1;
            continue;
        };
        let timing = runtime.block_on(async {
            let fresh = engine(&db);
            let (_read, failed) = fresh.warm_catalog().await;
            if !failed.is_empty() {
                eprintln!("warm-up failed: {failed:?}");
            }
            let start = Instant::now();
            run_once(&fresh, &sql, &params).await?;
            let first = start.elapsed();
            let mut plans = Vec::new();
            let mut executes = Vec::new();
            for _ in 0..runs {
                let (p, e) = run_once(&fresh, &sql, &params).await?;
                plans.push(p);
                executes.push(e);
            }
            Some(Timing {
                label: label.clone(),
                first,
                plan: median(plans),
                execute: median(executes),
            })
        });
        match timing {
            Some(t) => timings.push(t),
            None => skipped += 1,
        }
    }
    timings.sort_by_key(|t| std::cmp::Reverse(t.plan + t.execute));
    println!(
        "{:<48} {:>9} {:>9} {:>9} {:>9}",
        "statement", "first ms", "plan ms", "exec ms", "total ms"
    );
    for t in &timings {
        println!(
            "{:<48} {:>9.2} {:>9.2} {:>9.2} {:>9.2}{}",
            t.label,
            ms(t.first),
            ms(t.plan),
            ms(t.execute),
            ms(t.plan + t.execute),
            if t.plan + t.execute > TARGET {
                "  over 20 ms"
            } else {
                ""
            }
        );
    }
    let mut totals: Vec<Duration> = timings.iter().map(|t| t.plan + t.execute).collect();
    totals.sort();
    let at = |q: f64| {
        let i = ((totals.len() as f64 * q).ceil() as usize).saturating_sub(1);
        totals.get(i).map_or(0.0, |d| ms(*d))
    };
    println!(
        "{} catalog statements ({} skipped): p50 {:.2} ms, p90 {:.2} ms, max {:.2} ms, over 20 ms: {}",
        totals.len(),
        skipped,
        at(0.5),
        at(0.9),
        totals.last().map_or(0.0, |d| ms(*d)),
        totals.iter().filter(|d| **d > TARGET).count()
    );
}
