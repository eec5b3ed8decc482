//! Differential suite: the edge-case dataset served by Isotherm and loaded
//! into PostgreSQL 15; the fixed query list, ~300 seeded random queries and
//! the error cases must give PostgreSQL's answers (text and binary) and
//! SQLSTATEs.

use isotherm_tests::compare::{Mode, assert_no_failures, check_all, query_text};
use isotherm_tests::data::EdgeOptions;
use isotherm_tests::fixture::Fixture;
use isotherm_tests::{queries, querygen};

/// Seed of the random queries; change it to explore, keep it to reproduce.
const SEED: u64 = 0x150_7E44;
const RANDOM_QUERIES: usize = 300;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn fixed_queries_match_postgres() {
    let f = Fixture::edge("diff_fixed", EdgeOptions::default())
        .await
        .expect("fixture");
    let sql: Vec<String> = queries::FIXED.iter().map(|s| s.to_string()).collect();
    let failures = check_all(&f.oracle(), &sql, Mode::Both).await;
    assert_no_failures("fixed queries", sql.len(), &failures);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn random_queries_match_postgres() {
    let f = Fixture::edge("diff_random", EdgeOptions::default())
        .await
        .expect("fixture");
    let sql = querygen::generate(SEED, RANDOM_QUERIES);
    let failures = check_all(&f.oracle(), &sql, Mode::Both).await;
    assert_no_failures(
        &format!("random queries (seed {SEED:#x})"),
        sql.len(),
        &failures,
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn errors_carry_postgres_sqlstates() {
    let f = Fixture::edge("diff_errors", EdgeOptions::default())
        .await
        .expect("fixture");
    let o = f.oracle();
    let mut failures = Vec::new();
    for (sql, code) in queries::ERRORS {
        if let Err(e) = o.check_error(sql, Some(code)).await {
            failures.push(e);
        }
    }
    for sql in queries::UNSUPPORTED {
        match query_text(&f.iso, sql).await {
            Err(e) if e.code.as_deref() == Some("0A000") => {}
            other => failures.push(format!(
                "SQL: {sql}\nexpected 0A000 from Isotherm, got {other:?}"
            )),
        }
    }
    // After all those errors the session still answers.
    if let Err(e) = o
        .check("SELECT count(*) FROM temperatures", Mode::Both)
        .await
    {
        failures.push(format!("connection unusable after errors: {e}"));
    }
    assert_no_failures(
        "error cases",
        queries::ERRORS.len() + queries::UNSUPPORTED.len() + 1,
        &failures,
    );
}

/// NaN humidity: PostgreSQL sorts NaN above every number, `max` returns it,
/// `sum`/`avg` become NaN and `NaN = NaN` is true.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn nan_values_behave_like_postgres() {
    let f = Fixture::edge(
        "diff_nan",
        EdgeOptions {
            nan: true,
            null_country: true,
        },
    )
    .await
    .expect("fixture");
    let sql: Vec<String> = [
        "SELECT count(humidity), max(humidity), min(humidity) FROM temperatures",
        "SELECT region, sum(humidity), avg(humidity), max(humidity) FROM temperatures GROUP BY region ORDER BY region",
        "SELECT count(*) FROM temperatures WHERE humidity > 99",
        "SELECT count(*) FROM temperatures WHERE humidity = 'NaN'",
        "SELECT station, humidity FROM temperatures WHERE humidity > 95 ORDER BY humidity DESC, station, measured_at",
        "SELECT date, region, station, humidity FROM temperatures WHERE region = 'americas' AND date = '2024-04-01' ORDER BY humidity NULLS FIRST, station, measured_at",
    ]
    .iter()
    .map(|s| s.to_string())
    .collect();
    let failures = check_all(&f.oracle(), &sql, Mode::Both).await;
    assert_no_failures("NaN queries", sql.len(), &failures);
}
