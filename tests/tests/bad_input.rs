//! Bad input gets a clear error and loses nothing: broken pushes over the
//! admin API (each answered with its status and a JSON `{error, detail}`,
//! the table unchanged afterwards) and bad SQL over the wire (PostgreSQL's
//! SQLSTATEs, the connection still usable).

use isotherm_tests::admin::{Reply, partition_count, quarantined};
use isotherm_tests::compare::{Mode, assert_no_failures, query_text, query_typed};
use isotherm_tests::data::EdgeOptions;
use isotherm_tests::fixture::{Fixture, TABLE};
use isotherm_tests::parquet_io::{encode_partition, mismatched_files};
use isotherm_tests::queries;

/// Queries whose answers must not move when a push is refused.
const PROBES: &[&str] = &[
    "SELECT count(*), sum(temperature), count(humidity) FROM temperatures",
    "SELECT region, date, count(*), avg(temperature) FROM temperatures GROUP BY region, date ORDER BY region, date",
    "SELECT * FROM temperatures WHERE region = 'europe' AND date = '2024-01-01' ORDER BY station, measured_at",
];

/// (rows, partitions, quarantined) from `GET /v1/tables/temperatures`.
async fn table_state(f: &Fixture) -> (Option<i64>, usize, usize) {
    let t = f.admin.table(TABLE).await.expect("GET table");
    assert_eq!(t.status, 200, "{}", t.text);
    (
        t.int("rows"),
        partition_count(&t.body).unwrap_or(usize::MAX),
        quarantined(&t.body).len(),
    )
}

fn describe(r: &Reply) -> String {
    format!("{} {}", r.status, r.text)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn refused_pushes_change_nothing() {
    let f = Fixture::edge("bad_push", EdgeOptions::default())
        .await
        .expect("fixture");
    let state = table_state(&f).await;
    assert_eq!(state.0, Some(f.dataset.row_count() as i64));

    // An existing partition, so a refused replace must keep the old rows.
    let target = f
        .dataset
        .partitions
        .iter()
        .find(|p| p.path() == "date=2024-01-01/region=europe")
        .expect("target partition");
    let good = encode_partition(&f.dataset, target).expect("encode");
    let mut cases: Vec<(String, String, Vec<u8>, &[u16])> = vec![
        (
            "not Parquet".into(),
            target.path(),
            b"date,region\n2024-01-01,europe\n".to_vec(),
            &[400],
        ),
        ("empty body".into(), target.path(), Vec::new(), &[400]),
        (
            "truncated Parquet".into(),
            target.path(),
            good[..good.len() / 2].to_vec(),
            &[400],
        ),
        (
            "Parquet footer without its data".into(),
            target.path(),
            good[good.len() - 64..].to_vec(),
            &[400],
        ),
        (
            "a path with no partition values".into(),
            "europe".into(),
            good.clone(),
            &[400],
        ),
        (
            "an impossible date".into(),
            "date=2024-13-45/region=europe".into(),
            good.clone(),
            &[400],
        ),
        (
            "a date that is not one".into(),
            "date=yesterday/region=europe".into(),
            good.clone(),
            &[400],
        ),
        (
            "partition keys other than the table's".into(),
            "date=2024-01-01/city=paris".into(),
            good.clone(),
            &[400, 409],
        ),
    ];
    for (what, bytes) in mismatched_files(&target.rows).expect("mismatched files") {
        cases.push((
            format!("schema mismatch: {what}"),
            target.path(),
            bytes,
            &[409],
        ));
    }

    let mut failures = Vec::new();
    for (what, path, body, statuses) in &cases {
        let r = f
            .admin
            .put_partition(TABLE, path, body.clone())
            .await
            .expect("PUT");
        if !statuses.contains(&r.status) || !r.is_error_json() {
            failures.push(format!(
                "{what}: PUT {path} expected {statuses:?} with {{error, detail}}, got {}",
                describe(&r)
            ));
        }
        let now = table_state(&f).await;
        if now != state {
            failures.push(format!("{what}: table changed from {state:?} to {now:?}"));
        }
        for sql in PROBES {
            if let Err(e) = f.oracle().check(sql, Mode::Typed).await {
                failures.push(format!("{what}: answers changed:\n{e}"));
            }
        }
    }

    // Unknown table and partition.
    let r = f.admin.table("no_such_table").await.expect("GET");
    if r.status != 404 || !r.is_error_json() {
        failures.push(format!(
            "GET unknown table: expected 404 {{error, detail}}, got {}",
            describe(&r)
        ));
    }
    let r = f
        .admin
        .delete_partition(TABLE, "date=1999-01-01/region=europe")
        .await
        .expect("DELETE");
    if r.status != 404 || !r.is_error_json() {
        failures.push(format!(
            "DELETE unknown partition: expected 404 {{error, detail}}, got {}",
            describe(&r)
        ));
    }
    if table_state(&f).await != state {
        failures.push("table changed after the unknown-partition DELETE".into());
    }
    assert_no_failures("refused pushes", cases.len() + 2, &failures);

    // Still takes a good push afterwards.
    let r = f
        .admin
        .put_partition(TABLE, &target.path(), good)
        .await
        .expect("PUT good");
    assert_eq!(r.status, 200, "{}", describe(&r));
    assert_eq!(table_state(&f).await, state);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sql_errors_keep_the_connection_usable() {
    let f = Fixture::edge("bad_sql", EdgeOptions::default())
        .await
        .expect("fixture");
    let count = "SELECT count(*) FROM temperatures";
    let expected = query_typed(&f.pg, count).await.expect("pg count");
    let mut failures = Vec::new();
    let cases = queries::ERRORS
        .iter()
        .copied()
        .chain(queries::UNSUPPORTED.iter().map(|s| (*s, "0A000")));
    for (sql, code) in cases {
        // Simple protocol, then extended: each error leaves the session usable.
        match query_text(&f.iso, sql).await {
            Err(e) if e.code.as_deref() == Some(code) => {}
            other => failures.push(format!("simple: {sql}\nexpected {code}, got {other:?}")),
        }
        match query_typed(&f.iso, count).await {
            Ok(a) if a == expected => {}
            other => failures.push(format!("after {sql}: {count} gave {other:?}")),
        }
        match query_typed(&f.iso, sql).await {
            Err(e) if e.code.as_deref() == Some(code) => {}
            other => failures.push(format!("extended: {sql}\nexpected {code}, got {other:?}")),
        }
        match query_text(&f.iso, count).await {
            Ok(a) if a.rows.len() == 1 => {}
            other => failures.push(format!("after extended {sql}: {count} gave {other:?}")),
        }
    }
    assert_no_failures(
        "SQL errors",
        queries::ERRORS.len() + queries::UNSUPPORTED.len(),
        &failures,
    );
}
