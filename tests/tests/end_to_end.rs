//! End-to-end: the real binary's `generate` and `push`, queries through
//! `psql` and tokio-postgres (text and binary) compared with PostgreSQL, a
//! corrected and a deleted partition, restarts, kill -9 during a push, and a
//! corrupted segment.

use std::path::{Path, PathBuf};
use std::time::Duration;

use isotherm_tests::admin::{Admin, partition_count, quarantined};
use isotherm_tests::compare::{
    Mode, Oracle, assert_no_failures, check_all, compare, compare_psql, query_typed,
};
use isotherm_tests::data::{Dataset, EdgeOptions, Row, bulk_dataset, date, partition_path};
use isotherm_tests::fixture::{Fixture, TABLE};
use isotherm_tests::parquet_io::{
    encode_rows, parse_partition_path, read_dataset_dir, write_dataset_dir,
};
use isotherm_tests::server::{Server, flip_byte, generate, psql, push, spawn_push};
use isotherm_tests::{pg_load, queries, querygen};

/// Queries that read every part of the generated data.
const OVERVIEW: &[&str] = &[
    "SELECT count(*), count(humidity), count(DISTINCT station), count(DISTINCT country), sum(temperature), avg(humidity), min(measured_at), max(measured_at) FROM temperatures",
    "SELECT region, date, count(*), sum(temperature), min(temperature), max(temperature), avg(humidity) FROM temperatures GROUP BY region, date ORDER BY region, date",
    "SELECT country, count(DISTINCT station), avg(temperature) FROM temperatures GROUP BY country ORDER BY country",
    "SELECT date_trunc('day', measured_at), region, max(humidity) FROM temperatures GROUP BY 1, 2 ORDER BY 1, 2",
    "SELECT station, count(*), avg(temperature) FROM temperatures WHERE region = 'europe' GROUP BY station ORDER BY station LIMIT 50",
    "SELECT * FROM temperatures ORDER BY station, measured_at, region LIMIT 100",
];

fn overview() -> Vec<String> {
    OVERVIEW.iter().map(|s| s.to_string()).collect()
}

async fn expect_same(o: &Oracle<'_>, what: &str, queries: &[String], mode: Mode) {
    let failures = check_all(o, queries, mode).await;
    assert_no_failures(what, queries.len(), &failures);
}

fn stdout(out: &std::process::Output) -> String {
    String::from_utf8_lossy(&out.stdout).into_owned()
}

fn outputs(out: &std::process::Output) -> String {
    format!(
        "status {}\nstdout:\n{}\nstderr:\n{}",
        out.status,
        stdout(out),
        String::from_utf8_lossy(&out.stderr)
    )
}

/// The partition with the given index, with a few rows changed and dropped.
fn corrected(ds: &Dataset, idx: usize) -> (String, Vec<Row>) {
    let p = &ds.partitions[idx];
    let rows = p
        .rows
        .iter()
        .enumerate()
        .filter(|(i, _)| i % 3 != 0)
        .map(|(i, r)| {
            let mut r = r.clone();
            r.temperature += 1.5;
            if i % 5 == 0 {
                r.humidity = None;
            }
            r
        })
        .collect();
    (p.path(), rows)
}

async fn pg_replace_partition(pg: &tokio_postgres::Client, path: &str, rows: &[Row]) {
    let (d, region) = parse_partition_path(path).expect("path");
    let deleted = pg
        .execute(
            &format!(
                "DELETE FROM {TABLE} WHERE date = '{}' AND region = '{region}'",
                d.format("%Y-%m-%d")
            ),
            &[],
        )
        .await
        .expect("pg delete");
    assert!(deleted > 0, "{path} had rows in PostgreSQL");
    pg_load::load_rows(pg, TABLE, rows).await.expect("pg load");
}

async fn table_rows_and_partitions(admin: &Admin) -> (i64, usize) {
    let t = admin.table(TABLE).await.expect("GET table");
    assert_eq!(t.status, 200, "GET /v1/tables/{TABLE}: {}", t.text);
    let rows = t.int("rows").unwrap_or(-1);
    let parts = partition_count(&t.body).unwrap_or(usize::MAX);
    (rows, parts)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn generate_push_query_correct_delete_restart() {
    let mut server = Server::start().expect("serve");
    let src = tempfile::tempdir().expect("src dir");
    let gen_out = generate(src.path(), 3, 300, 7).expect("generate");
    assert!(
        gen_out.status.success(),
        "generate failed: {}",
        outputs(&gen_out)
    );
    let ds = read_dataset_dir(src.path()).expect("read generated files");
    assert!(
        ds.row_count() > 1000,
        "generated only {} rows",
        ds.row_count()
    );
    assert!(ds.partitions.len() >= 3);

    let pushed = push(&server.admin_url(), TABLE, src.path()).expect("push");
    let summary = stdout(&pushed);
    assert!(pushed.status.success(), "push failed: {}", outputs(&pushed));
    assert!(
        summary.contains(&format!(
            "pushed {} partitions ({} rows",
            ds.partitions.len(),
            ds.row_count()
        )) && summary.contains(" 0 failed"),
        "unexpected push summary: {summary}"
    );

    let db = isotherm_tests::pg::cluster()
        .expect("pg")
        .create_database("e2e_generated")
        .await
        .expect("db");
    let pg = db.connect().await.expect("pg connect");
    pg_load::create_table(&pg, TABLE).await.expect("create");
    pg_load::load_rows(&pg, TABLE, ds.rows())
        .await
        .expect("load");
    let mut iso = server.connect().await.expect("iso connect");
    let admin = Admin::new(server.admin_url()).expect("admin");
    assert_eq!(
        table_rows_and_partitions(&admin).await,
        (ds.row_count() as i64, ds.partitions.len())
    );

    // Text and binary through tokio-postgres.
    let mut all = overview();
    all.extend(queries::FIXED.iter().map(|s| s.to_string()));
    all.extend(querygen::generate(11, 60));
    expect_same(
        &Oracle { pg: &pg, iso: &iso },
        "generated data",
        &all,
        Mode::Both,
    )
    .await;

    // The psql CLI.
    let mut psql_failures = Vec::new();
    for sql in OVERVIEW.iter().chain(queries::FIXED.iter().take(20)) {
        let p = psql(db.cluster.port, "postgres", &db.name, sql).expect("psql pg");
        let i = psql(server.pg_port, "isotherm", "isotherm", sql).expect("psql iso");
        match (p, i) {
            (Ok(p), Ok(i)) => {
                if let Err(e) = compare_psql(sql, &p, &i) {
                    psql_failures.push(e);
                }
            }
            (p, i) => {
                psql_failures.push(format!("psql: {sql}\nPostgreSQL: {p:?}\nIsotherm: {i:?}"))
            }
        }
    }
    assert_no_failures("psql", OVERVIEW.len() + 20, &psql_failures);

    // Correct one partition: the answer changes exactly as PostgreSQL's does.
    let before = query_typed(&iso, OVERVIEW[0]).await.expect("before");
    let (path, rows) = corrected(&ds, 0);
    let reply = admin
        .put_partition(TABLE, &path, encode_rows(&rows, false).expect("encode"))
        .await
        .expect("PUT correction");
    assert_eq!(reply.status, 200, "PUT {path}: {}", reply.text);
    for key in [
        "table",
        "partition",
        "version",
        "rows",
        "bytes",
        "elapsed_ms",
    ] {
        assert!(
            reply.body.get(key).is_some(),
            "PUT reply lacks {key}: {}",
            reply.text
        );
    }
    assert_eq!(reply.int("rows"), Some(rows.len() as i64), "{}", reply.text);
    assert_eq!(
        reply.body.get("partition").and_then(|p| p.as_str()),
        Some(path.as_str())
    );
    pg_replace_partition(&pg, &path, &rows).await;
    let after = query_typed(&iso, OVERVIEW[0]).await.expect("after");
    assert!(
        compare(&before, &after, false).is_err(),
        "correcting {path} changed nothing"
    );
    expect_same(
        &Oracle { pg: &pg, iso: &iso },
        "after correction",
        &overview(),
        Mode::Both,
    )
    .await;

    // Delete another partition.
    let gone = ds.partitions[1].path();
    let reply = admin.delete_partition(TABLE, &gone).await.expect("DELETE");
    assert!(
        reply.is_success(),
        "DELETE {gone}: {} {}",
        reply.status,
        reply.text
    );
    let (d, region) = parse_partition_path(&gone).expect("path");
    pg.execute(
        &format!(
            "DELETE FROM {TABLE} WHERE date = '{}' AND region = '{region}'",
            d.format("%Y-%m-%d")
        ),
        &[],
    )
    .await
    .expect("pg delete");
    expect_same(
        &Oracle { pg: &pg, iso: &iso },
        "after delete",
        &overview(),
        Mode::Both,
    )
    .await;
    let pg_count: i64 = pg
        .query_one("SELECT count(*) FROM temperatures", &[])
        .await
        .expect("count")
        .get(0);
    assert_eq!(
        table_rows_and_partitions(&admin).await,
        (pg_count, ds.partitions.len() - 1)
    );

    // Restart on the same data dir: same answers.
    server.restart().expect("restart");
    iso = server.connect().await.expect("reconnect");
    let admin = Admin::new(server.admin_url()).expect("admin");
    assert_eq!(
        table_rows_and_partitions(&admin).await,
        (pg_count, ds.partitions.len() - 1)
    );
    let mut again = overview();
    again.extend(querygen::generate(12, 40));
    expect_same(
        &Oracle { pg: &pg, iso: &iso },
        "after restart",
        &again,
        Mode::Both,
    )
    .await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn kill9_during_push_keeps_committed_data() {
    let mut f = Fixture::edge("e2e_kill9", EdgeOptions::default())
        .await
        .expect("fixture");
    let bulk = bulk_dataset(date(2025, 1, 1), 8, 20_000, 99);
    let dir = tempfile::tempdir().expect("bulk dir");
    write_dataset_dir(&bulk, dir.path(), f.dataset.country_nullable()).expect("write bulk");
    let (_, committed_before) = table_rows_and_partitions(&f.admin).await;
    let mut pusher = spawn_push(&f.server.admin_url(), TABLE, dir.path()).expect("spawn push");
    // Kill as soon as the first new partition is committed: mid-push.
    let deadline = std::time::Instant::now() + Duration::from_secs(60);
    loop {
        let (_, parts) = table_rows_and_partitions(&f.admin).await;
        let done = pusher.try_wait().ok().flatten().is_some();
        if parts > committed_before || done || std::time::Instant::now() > deadline {
            break;
        }
        tokio::time::sleep(Duration::from_millis(2)).await;
    }
    f.server.kill9();
    let _ = pusher.kill();
    let _ = pusher.wait();

    f.server.start_again().expect("restart after kill -9");
    f.reconnect().await.expect("reconnect");
    let old: Vec<String> = [
        "SELECT region, date, count(*), sum(temperature), avg(humidity), count(DISTINCT station) FROM temperatures WHERE date < '2025-01-01' GROUP BY region, date ORDER BY region, date",
        "SELECT * FROM temperatures WHERE date < '2025-01-01' ORDER BY station, measured_at, region",
        "SELECT count(*), sum(temperature), min(humidity), max(measured_at) FROM temperatures WHERE date < '2025-01-01'",
    ]
    .iter()
    .map(|s| s.to_string())
    .collect();
    expect_same(
        &f.oracle(),
        "committed data after kill -9",
        &old,
        Mode::Both,
    )
    .await;

    // Each new partition is all there or not there at all.
    let mut survived = 0;
    for p in &bulk.partitions {
        let sql = format!(
            "SELECT count(*) FROM temperatures WHERE date = '{}' AND region = '{}'",
            p.date.format("%Y-%m-%d"),
            p.region
        );
        let a = query_typed(&f.iso, &sql).await.expect("count");
        let n = match a.scalar() {
            Some(isotherm_tests::cell::Cell::Int(n)) => *n,
            other => panic!("{sql}: {other:?}"),
        };
        assert!(
            n == 0 || n == p.rows.len() as i64,
            "{}: {n} of {} rows after kill -9",
            p.path(),
            p.rows.len()
        );
        survived += usize::from(n > 0);
    }
    eprintln!(
        "kill -9 mid-push: {survived} of {} new partitions were committed",
        bulk.partitions.len()
    );
    let t = f.admin.table(TABLE).await.expect("GET table");
    assert!(
        quarantined(&t.body).is_empty(),
        "nothing is corrupt: {}",
        t.text
    );

    // And the data dir takes the push again, in full.
    let pushed = push(&f.server.admin_url(), TABLE, dir.path()).expect("push again");
    assert!(
        pushed.status.success(),
        "push after recovery: {}",
        outputs(&pushed)
    );
    pg_load::load_rows(&f.pg, TABLE, bulk.rows())
        .await
        .expect("pg load bulk");
    expect_same(&f.oracle(), "after re-push", &overview(), Mode::Typed).await;
}

fn segment_files(data_dir: &Path) -> Vec<PathBuf> {
    let dir = data_dir.join("segments").join(TABLE);
    let mut files: Vec<PathBuf> = std::fs::read_dir(&dir)
        .unwrap_or_else(|e| panic!("{}: {e}", dir.display()))
        .filter_map(|e| e.ok().map(|e| e.path()))
        .filter(|p| p.extension().is_some_and(|x| x == "seg"))
        .collect();
    files.sort();
    files
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn corrupted_segment_is_quarantined_never_misanswered() {
    let mut f = Fixture::edge("e2e_corrupt", EdgeOptions::default())
        .await
        .expect("fixture");
    f.server.stop().expect("stop");
    let files = segment_files(&f.server.data_dir);
    assert!(
        files.len() >= f.dataset.partitions.len() - 1,
        "segments: {files:?}"
    );
    // The largest segment, so the flipped byte lands in real data.
    let victim = files
        .iter()
        .max_by_key(|p| std::fs::metadata(p).map(|m| m.len()).unwrap_or(0))
        .expect("a segment")
        .clone();
    let len = std::fs::metadata(&victim).expect("len").len();
    flip_byte(&victim, len / 2).expect("flip");
    f.server
        .start_again()
        .expect("server must start despite a corrupt segment");
    f.reconnect().await.expect("reconnect");

    // Every query either gives PostgreSQL's answer or XX001: never a smaller one.
    let mut wrong = Vec::new();
    let mut xx001 = 0;
    for sql in queries::FIXED.iter().chain(OVERVIEW) {
        let pg = query_typed(&f.pg, sql).await.expect("pg");
        match query_typed(&f.iso, sql).await {
            Ok(a) => {
                if let Err(e) = compare(&pg, &a, isotherm_tests::compare::has_order_by(sql)) {
                    wrong.push(format!("{sql}\n{e}"));
                }
            }
            Err(e) if e.code.as_deref() == Some("XX001") => xx001 += 1,
            Err(e) => wrong.push(format!(
                "{sql}\nexpected XX001 or the right answer, got {e}"
            )),
        }
    }
    assert_no_failures(
        "queries over a corrupt segment",
        queries::FIXED.len() + OVERVIEW.len(),
        &wrong,
    );

    let t = f.admin.table(TABLE).await.expect("GET table");
    let q = quarantined(&t.body);
    assert!(
        !q.is_empty(),
        "byte {} of {} flipped, {xx001} queries gave XX001, yet nothing is quarantined: {}",
        len / 2,
        victim.display(),
        t.text
    );
    let bad: Vec<String> = q
        .iter()
        .map(|e| {
            e.get("partition")
                .and_then(|p| p.as_str())
                .unwrap_or_default()
                .to_string()
        })
        .collect();
    eprintln!(
        "corrupt segment: byte {} of {} flipped; {xx001} queries gave XX001; quarantined: {q:?}",
        len / 2,
        victim.display()
    );
    for e in &q {
        for key in ["partition", "file", "reason"] {
            assert!(e.get(key).is_some(), "quarantined entry lacks {key}: {e}");
        }
    }
    assert!(
        f.server.data_dir.join("quarantine").join(TABLE).is_dir(),
        "no quarantine dir after quarantining"
    );

    // A query needing the bad partition: XX001.
    for sql in [
        "SELECT count(*), sum(temperature) FROM temperatures",
        "SELECT * FROM temperatures ORDER BY station, measured_at, region",
    ] {
        match query_typed(&f.iso, sql).await {
            Err(e) => assert_eq!(e.code.as_deref(), Some("XX001"), "{sql}: {e}"),
            Ok(a) => panic!(
                "{sql}: answered {} rows without quarantined {bad:?}",
                a.rows.len()
            ),
        }
    }
    // Queries filtered to the other partitions: PostgreSQL's answers.
    let mut excluded = Vec::new();
    for b in &bad {
        let (d, region) = parse_partition_path(b).expect("quarantined partition path");
        excluded.push(format!(
            "(date = '{}' AND region = '{region}')",
            d.format("%Y-%m-%d")
        ));
        assert!(partition_path(d, &region) == *b);
    }
    let keep = format!("NOT ({})", excluded.join(" OR "));
    let others: Vec<String> = [
        format!("SELECT count(*), sum(temperature), avg(humidity), count(DISTINCT station) FROM temperatures WHERE {keep}"),
        format!("SELECT region, date, count(*), max(temperature) FROM temperatures WHERE {keep} GROUP BY region, date ORDER BY region, date"),
        format!("SELECT * FROM temperatures WHERE {keep} ORDER BY station, measured_at, region"),
    ]
    .into_iter()
    .collect();
    expect_same(
        &f.oracle(),
        "queries avoiding the quarantined partition",
        &others,
        Mode::Both,
    )
    .await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn load_job_loads_a_server_side_directory() {
    let server = Server::start().expect("serve");
    let src = tempfile::tempdir().expect("src dir");
    let gen_out = generate(src.path(), 2, 120, 3).expect("generate");
    assert!(gen_out.status.success(), "generate: {}", outputs(&gen_out));
    let ds = read_dataset_dir(src.path()).expect("read generated files");
    let admin = Admin::new(server.admin_url()).expect("admin");
    let path = src.path().to_string_lossy().into_owned();
    let started = admin.load(TABLE, &path).await.expect("POST load");
    assert!(
        started.is_success(),
        "POST load: {} {}",
        started.status,
        started.text
    );
    let id = started
        .body
        .get("job_id")
        .map(|v| v.as_str().map_or_else(|| v.to_string(), str::to_string))
        .unwrap_or_else(|| panic!("no job_id in {}", started.text));
    let deadline = std::time::Instant::now() + Duration::from_secs(90);
    let job = loop {
        let j = admin.get(&format!("/v1/jobs/{id}")).await.expect("GET job");
        assert_eq!(j.status, 200, "GET /v1/jobs/{id}: {}", j.text);
        if j.body.get("state").and_then(|s| s.as_str()) != Some("running") {
            break j;
        }
        assert!(
            std::time::Instant::now() < deadline,
            "job still running: {}",
            j.text
        );
        tokio::time::sleep(Duration::from_millis(50)).await;
    };
    assert_eq!(
        job.body.get("state").and_then(|s| s.as_str()),
        Some("done"),
        "{}",
        job.text
    );
    assert_eq!(job.int("rows"), Some(ds.row_count() as i64), "{}", job.text);

    let db = isotherm_tests::pg::cluster()
        .expect("pg")
        .create_database("e2e_load_job")
        .await
        .expect("db");
    let pg = db.connect().await.expect("pg connect");
    pg_load::create_table(&pg, TABLE).await.expect("create");
    pg_load::load_rows(&pg, TABLE, ds.rows())
        .await
        .expect("load");
    let iso = server.connect().await.expect("iso connect");
    expect_same(
        &Oracle { pg: &pg, iso: &iso },
        "loaded by a job",
        &overview(),
        Mode::Both,
    )
    .await;

    // A job over a directory that does not exist fails (at once or as a job), loading nothing.
    let r = admin
        .load(TABLE, "/nonexistent/isotherm/dir")
        .await
        .expect("POST load");
    if r.is_success() {
        let id = r
            .body
            .get("job_id")
            .and_then(|v| v.as_str())
            .unwrap_or_default()
            .to_string();
        let deadline = std::time::Instant::now() + Duration::from_secs(30);
        loop {
            let j = admin.get(&format!("/v1/jobs/{id}")).await.expect("GET job");
            match j.body.get("state").and_then(|s| s.as_str()) {
                Some("running") if std::time::Instant::now() < deadline => {
                    tokio::time::sleep(Duration::from_millis(50)).await;
                }
                Some("failed") => break,
                _ => panic!("job over a missing dir: {}", j.text),
            }
        }
    } else {
        assert!(
            r.is_error_json(),
            "POST load of a missing dir: {} {}",
            r.status,
            r.text
        );
    }
    assert_eq!(
        table_rows_and_partitions(&admin).await,
        (ds.row_count() as i64, ds.partitions.len())
    );
}
