//! Wire completeness end to end, every answer compared with PostgreSQL 15
//! holding the same rows: startup ParameterStatus and SET reports, simple
//! query scripts (multi-statement strings, implicit and explicit
//! transactions, savepoints, cursors, DISCARD / DEALLOCATE, COPY, command
//! tags) compared message by message through a raw protocol client,
//! prepared statements across transactions, Describe's parameter types,
//! portals with row limits, typed binary parameters, `copy_out`, cancel
//! (57014), and psql (`-c` with several statements, `\copy`).

use std::collections::BTreeMap;
use std::time::Duration;

use isotherm_tests::compare::{compare, query_text};
use isotherm_tests::fixture::Fixture;
use isotherm_tests::server::psql;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;
use tokio_postgres::Client;
use tokio_postgres::types::{ToSql, Type};

/// One backend message, reduced to what must match PostgreSQL.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
enum Msg {
    Param(String, String),
    RowDesc(Vec<(String, u32)>),
    Row(Vec<Option<String>>),
    Complete(String),
    Error(String),
    Notice(String),
    CopyOut(i8, i16),
    CopyData(Vec<u8>),
    CopyDone,
    Empty,
    Ready(char),
    Other(char),
}

/// A raw protocol-3 connection: exact tags, notices and ParameterStatus,
/// which tokio-postgres does not show.
struct Raw {
    stream: TcpStream,
}

impl Raw {
    async fn connect(port: u16, user: &str, db: &str) -> (Raw, Vec<Msg>) {
        let stream = TcpStream::connect(("127.0.0.1", port)).await.expect("tcp");
        let mut raw = Raw { stream };
        let mut body = Vec::new();
        body.extend(196_608i32.to_be_bytes());
        for (k, v) in [
            ("user", user),
            ("database", db),
            ("application_name", "wire-test"),
        ] {
            body.extend(k.as_bytes());
            body.push(0);
            body.extend(v.as_bytes());
            body.push(0);
        }
        body.push(0);
        let mut msg = ((body.len() + 4) as i32).to_be_bytes().to_vec();
        msg.extend(body);
        raw.stream.write_all(&msg).await.expect("startup");
        let startup = raw.until_ready().await;
        (raw, startup)
    }

    async fn read(&mut self) -> (u8, Vec<u8>) {
        let mut head = [0u8; 5];
        self.stream
            .read_exact(&mut head)
            .await
            .expect("message header");
        let len = i32::from_be_bytes([head[1], head[2], head[3], head[4]]) as usize - 4;
        let mut body = vec![0u8; len];
        self.stream
            .read_exact(&mut body)
            .await
            .expect("message body");
        (head[0], body)
    }

    async fn until_ready(&mut self) -> Vec<Msg> {
        let mut out = Vec::new();
        loop {
            let (t, body) = self.read().await;
            let m = decode(t, &body);
            let done = matches!(m, Msg::Ready(_));
            if !matches!(m, Msg::Other('R') | Msg::Other('K')) {
                out.push(m);
            }
            if done {
                return out;
            }
        }
    }

    async fn simple(&mut self, sql: &str) -> Vec<Msg> {
        let mut msg = vec![b'Q'];
        msg.extend(((sql.len() + 5) as i32).to_be_bytes());
        msg.extend(sql.as_bytes());
        msg.push(0);
        self.stream.write_all(&msg).await.expect("query");
        self.until_ready().await
    }
}

fn cstr(b: &[u8], at: &mut usize) -> String {
    let end = b[*at..]
        .iter()
        .position(|c| *c == 0)
        .unwrap_or(b.len() - *at)
        + *at;
    let s = String::from_utf8_lossy(&b[*at..end]).into_owned();
    *at = end + 1;
    s
}

fn field(b: &[u8], code: u8) -> String {
    let mut at = 0;
    while at < b.len() && b[at] != 0 {
        let c = b[at];
        at += 1;
        let v = cstr(b, &mut at);
        if c == code {
            return v;
        }
    }
    String::new()
}

fn decode(t: u8, b: &[u8]) -> Msg {
    let i16_at = |at: usize| i16::from_be_bytes([b[at], b[at + 1]]);
    let i32_at = |at: usize| i32::from_be_bytes([b[at], b[at + 1], b[at + 2], b[at + 3]]);
    match t {
        b'S' => {
            let mut at = 0;
            let k = cstr(b, &mut at);
            Msg::Param(k, cstr(b, &mut at))
        }
        b'T' => {
            let n = i16_at(0) as usize;
            let mut at = 2;
            let mut cols = Vec::with_capacity(n);
            for _ in 0..n {
                let name = cstr(b, &mut at);
                let oid = i32_at(at + 6) as u32;
                at += 18;
                cols.push((name, oid));
            }
            Msg::RowDesc(cols)
        }
        b'D' => {
            let n = i16_at(0) as usize;
            let mut at = 2;
            let mut vals = Vec::with_capacity(n);
            for _ in 0..n {
                let len = i32_at(at);
                at += 4;
                if len < 0 {
                    vals.push(None);
                } else {
                    let l = len as usize;
                    vals.push(Some(String::from_utf8_lossy(&b[at..at + l]).into_owned()));
                    at += l;
                }
            }
            Msg::Row(vals)
        }
        b'C' => {
            let mut at = 0;
            Msg::Complete(cstr(b, &mut at))
        }
        b'E' => Msg::Error(field(b, b'C')),
        b'N' => Msg::Notice(field(b, b'C')),
        b'H' => Msg::CopyOut(b[0] as i8, i16_at(1)),
        b'd' => Msg::CopyData(b.to_vec()),
        b'c' => Msg::CopyDone,
        b'I' => Msg::Empty,
        b'Z' => Msg::Ready(b[0] as char),
        other => Msg::Other(other as char),
    }
}

/// Makes two message lists comparable: CopyData sorted when the COPY has no
/// ORDER BY, EXPLAIN's plan lines dropped, ParameterStatus runs sorted.
fn normalize(sql: &str, msgs: Vec<Msg>) -> Vec<Msg> {
    let explain = sql.trim_start().to_uppercase().starts_with("EXPLAIN");
    let unordered_copy =
        sql.to_uppercase().contains("COPY") && !sql.to_uppercase().contains("ORDER BY");
    let mut out: Vec<Msg> = Vec::new();
    let mut run: Vec<Msg> = Vec::new();
    let flush = |out: &mut Vec<Msg>, run: &mut Vec<Msg>| {
        run.sort();
        out.append(run);
    };
    for m in msgs {
        match m {
            Msg::Param(..) => run.push(m),
            Msg::Row(_) if explain => {}
            Msg::CopyData(_) if unordered_copy => run.push(m),
            m => {
                flush(&mut out, &mut run);
                out.push(m);
            }
        }
    }
    flush(&mut out, &mut run);
    out
}

async fn fixture(label: &str) -> Fixture {
    Fixture::edge(label, Default::default())
        .await
        .expect("fixture")
}

async fn raw_pair(f: &Fixture) -> ((Raw, Vec<Msg>), (Raw, Vec<Msg>)) {
    let pg = Raw::connect(f.pg_db.cluster.port, "postgres", &f.pg_db.name).await;
    let iso = Raw::connect(f.server.pg_port, "isotherm", "isotherm").await;
    (pg, iso)
}

/// Runs each script on a fresh connection pair; every reply must match.
async fn same_replies(f: &Fixture, scripts: &[&[&str]]) {
    let mut failures = Vec::new();
    for script in scripts {
        let ((mut pg, _), (mut iso, _)) = raw_pair(f).await;
        for sql in *script {
            let p = normalize(sql, pg.simple(sql).await);
            let i = normalize(sql, iso.simple(sql).await);
            if p != i {
                failures.push(format!(
                    "script {script:?}\nstatement: {sql}\nPostgreSQL: {p:?}\nIsotherm:   {i:?}"
                ));
                break;
            }
        }
    }
    assert!(
        failures.is_empty(),
        "{} of {} scripts differ from PostgreSQL:\n\n{}",
        failures.len(),
        scripts.len(),
        failures.join("\n\n")
    );
}

fn params(msgs: &[Msg]) -> BTreeMap<String, String> {
    msgs.iter()
        .filter_map(|m| match m {
            Msg::Param(k, v) => Some((k.clone(), v.clone())),
            _ => None,
        })
        .collect()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn startup_parameters_and_set_reports() {
    let f = fixture("wire_startup").await;
    let ((mut pg, pg_start), (mut iso, iso_start)) = raw_pair(&f).await;
    let (p, i) = (params(&pg_start), params(&iso_start));
    assert_eq!(
        p.keys().collect::<Vec<_>>(),
        i.keys().collect::<Vec<_>>(),
        "reported parameter names"
    );
    for name in [
        "DateStyle",
        "IntervalStyle",
        "TimeZone",
        "client_encoding",
        "server_encoding",
        "integer_datetimes",
        "standard_conforming_strings",
        "application_name",
        "default_transaction_read_only",
        "in_hot_standby",
        "is_superuser",
    ] {
        assert_eq!(p.get(name), i.get(name), "ParameterStatus {name}");
    }
    let version = i.get("server_version").cloned().unwrap_or_default();
    let major = version.split('.').next().unwrap_or_default();
    assert_eq!(
        major,
        p.get("server_version")
            .and_then(|v| v.split('.').next())
            .unwrap_or_default()
    );
    assert!(
        version.split('.').all(|part| part.parse::<u32>().is_ok()),
        "server_version {version:?} is not numeric"
    );
    for sql in [
        "SET application_name = 'x1'",
        "SET DateStyle = 'ISO, DMY'",
        "SET extra_float_digits = 3",
        "SET application_name = 'x2'; SELECT 1/0",
        "BEGIN; SET application_name = 'x3'; ROLLBACK",
        "BEGIN; SET application_name = 'x4'; COMMIT",
        "RESET ALL",
        "SET application_name = 'x5'; SET application_name = 'wire-test'",
    ] {
        let p = normalize(sql, pg.simple(sql).await);
        let i = normalize(sql, iso.simple(sql).await);
        assert_eq!(p, i, "{sql}");
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn simple_query_scripts_match_postgres() {
    let f = fixture("wire_scripts").await;
    let count = "SELECT count(*) FROM temperatures";
    let by_station = "SELECT station, count(*) FROM temperatures GROUP BY station ORDER BY station";
    let declare = format!("DECLARE c SCROLL CURSOR FOR {by_station}");
    let hold = "DECLARE h CURSOR WITH HOLD FOR SELECT region, count(*) FROM temperatures GROUP BY region ORDER BY region";
    let multi_cursor = format!("{declare}; FETCH 2 FROM c; MOVE 3 IN c; FETCH NEXT FROM c");
    let multi = format!("{count}; SELECT 1; {by_station}");
    let multi_err = format!("{count}; SELECT 1/0; SELECT 2");
    let begin_err = format!("BEGIN; {count}; SELECT 1/0; SELECT 2");
    let scripts: Vec<Vec<&str>> = vec![
        vec![
            &multi, &multi_err, "SELECT 1", &begin_err, "SELECT 1", "ROLLBACK", "SELECT 1",
        ],
        vec!["", ";", "-- only a comment", "SELECT 1;;SELECT 2;"],
        vec![
            "BEGIN",
            &declare,
            "FETCH 2 FROM c",
            "FETCH NEXT c",
            "FETCH c",
            "MOVE FORWARD 2 IN c",
            "FETCH FORWARD 3 FROM c",
            "FETCH BACKWARD 2 FROM c",
            "FETCH ABSOLUTE 1 FROM c",
            "FETCH RELATIVE 2 FROM c",
            "FETCH LAST FROM c",
            "FETCH PRIOR FROM c",
            "FETCH ALL FROM c",
            "FETCH 1 FROM c",
            "MOVE BACKWARD ALL IN c",
            "FETCH FORWARD ALL FROM c",
            "CLOSE c",
            "FETCH 1 FROM c",
            "ROLLBACK",
        ],
        vec![
            "DECLARE d CURSOR FOR SELECT 1",
            hold,
            "FETCH 2 FROM h",
            "FETCH ALL IN h",
            "CLOSE ALL",
            "FETCH h",
            &multi_cursor,
            "FETCH c",
            "DECLARE hb BINARY CURSOR WITH HOLD FOR SELECT region, count(*), min(date) FROM temperatures GROUP BY region ORDER BY region",
            "FETCH 2 FROM hb",
            "MOVE ABSOLUTE 4 IN hb",
            "FETCH BACKWARD 1 FROM hb",
            "CLOSE hb",
        ],
        vec![
            "BEGIN",
            &declare,
            "DECLARE c CURSOR FOR SELECT 1",
            "ROLLBACK",
            "BEGIN",
            &declare,
            "COMMIT",
            "FETCH c",
        ],
        vec![
            "SAVEPOINT a",
            "RELEASE SAVEPOINT a",
            "ROLLBACK TO SAVEPOINT a",
            "BEGIN",
            "SAVEPOINT a",
            count,
            "SELECT 1/0",
            count,
            "ROLLBACK TO SAVEPOINT a",
            count,
            "SAVEPOINT b",
            "RELEASE a",
            "RELEASE b",
            "ROLLBACK TO a",
            "COMMIT",
            "COMMIT",
            "ROLLBACK",
            "BEGIN",
            "BEGIN",
            "SELECT 1/0",
            "COMMIT",
        ],
        vec![
            "DISCARD ALL",
            "BEGIN; DISCARD ALL",
            "DEALLOCATE ALL",
            "DEALLOCATE nope",
            "DEALLOCATE PREPARE ALL",
            "UNLISTEN *",
            "SHOW DateStyle",
            "SHOW TIME ZONE",
            "EXPLAIN SELECT count(*) FROM temperatures",
            "SET application_name = 'tags'",
        ],
        vec![
            "COPY (SELECT station, count(*), min(temperature) FROM temperatures GROUP BY station ORDER BY station) TO STDOUT",
            "COPY (SELECT station, date, max(measured_at) FROM temperatures GROUP BY station, date ORDER BY station, date) TO STDOUT WITH (FORMAT csv, HEADER)",
            "COPY (SELECT region, count(*) FROM temperatures GROUP BY region ORDER BY region) TO STDOUT CSV HEADER",
            "COPY (SELECT region, count(*) FROM temperatures GROUP BY region ORDER BY region) TO STDOUT WITH (FORMAT binary)",
            "COPY (SELECT country FROM temperatures GROUP BY country ORDER BY country) TO STDOUT WITH (FORMAT csv, NULL 'none')",
            "COPY temperatures TO STDOUT",
            "COPY temperatures (station, date) TO STDOUT CSV",
        ],
    ];
    let scripts: Vec<&[&str]> = scripts.iter().map(Vec::as_slice).collect();
    same_replies(&f, &scripts).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn copy_from_is_refused_and_copy_out_matches() {
    let f = fixture("wire_copy").await;
    let mut iso = Raw::connect(f.server.pg_port, "isotherm", "isotherm")
        .await
        .0;
    let r = iso.simple("COPY temperatures FROM STDIN").await;
    assert!(
        r.iter().any(|m| matches!(m, Msg::Error(c) if c == "25006")),
        "{r:?}"
    );
    let sql = "COPY (SELECT station, date, count(*), min(temperature), max(humidity) FROM temperatures GROUP BY station, date ORDER BY station, date) TO STDOUT WITH (FORMAT csv, HEADER)";
    let mut got = Vec::new();
    for client in [&f.pg, &f.iso] {
        let stream = client.copy_out(sql).await.expect("copy_out");
        let mut stream = std::pin::pin!(stream);
        let mut bytes = Vec::new();
        while let Some(chunk) = futures::StreamExt::next(&mut stream).await {
            bytes.extend_from_slice(&chunk.expect("copy data"));
        }
        got.push(String::from_utf8(bytes).expect("utf8"));
    }
    assert_eq!(got[0], got[1]);
}

async fn prepare_both(
    f: &Fixture,
    sql: &str,
    types: &[Type],
) -> (tokio_postgres::Statement, tokio_postgres::Statement) {
    let p = f.pg.prepare_typed(sql, types).await.expect("pg prepare");
    let i = f
        .iso
        .prepare_typed(sql, types)
        .await
        .unwrap_or_else(|e| panic!("isotherm prepare {sql}: {e}"));
    (p, i)
}

fn rows_text(rows: &[tokio_postgres::Row]) -> Vec<Vec<Option<String>>> {
    rows.iter()
        .map(|r| {
            (0..r.len())
                .map(|i| {
                    r.try_get::<_, isotherm_tests::cell::RawValue>(i)
                        .ok()
                        .and_then(|v| v.0)
                        .map(|b| format!("{b:?}"))
                })
                .collect()
        })
        .collect()
}

/// Parameter values of one statement.
type Values = Vec<Box<dyn ToSql + Sync + Send>>;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn describe_infers_parameter_types_and_binds_binary() {
    let f = fixture("wire_describe").await;
    let cases: Vec<(&str, Values)> = vec![
        (
            "SELECT count(*) FROM temperatures WHERE region = $1",
            vec![Box::new("europe".to_owned())],
        ),
        (
            "SELECT count(*) FROM temperatures WHERE temperature > $1",
            vec![Box::new(5.5f64)],
        ),
        (
            "SELECT count(*), min(temperature) FROM temperatures WHERE date >= $1 AND region <> $2",
            vec![
                Box::new(chrono::NaiveDate::from_ymd_opt(2024, 1, 1).expect("date")),
                Box::new("asia".to_owned()),
            ],
        ),
        (
            "SELECT count(*) FROM temperatures WHERE measured_at < $1",
            vec![Box::new(
                chrono::DateTime::parse_from_rfc3339("2024-03-01T00:00:00Z")
                    .expect("ts")
                    .with_timezone(&chrono::Utc),
            )],
        ),
        (
            "WITH t AS (SELECT station FROM temperatures WHERE region = $1) SELECT count(*) AS n FROM t",
            vec![Box::new("europe".to_owned())],
        ),
    ];
    for (sql, values) in &cases {
        let (p, i) = prepare_both(&f, sql, &[]).await;
        assert_eq!(p.params(), i.params(), "parameter types of {sql}");
        let pt: Vec<_> = p
            .columns()
            .iter()
            .map(|c| (c.name().to_owned(), c.type_().clone()))
            .collect();
        let it: Vec<_> = i
            .columns()
            .iter()
            .map(|c| (c.name().to_owned(), c.type_().clone()))
            .collect();
        assert_eq!(pt, it, "result columns of {sql}");
        let refs: Vec<&(dyn ToSql + Sync)> = values
            .iter()
            .map(|v| v.as_ref() as &(dyn ToSql + Sync))
            .collect();
        let pr = f.pg.query(&p, &refs).await.expect("pg query");
        let ir = f.iso.query(&i, &refs).await.expect("isotherm query");
        assert_eq!(rows_text(&pr), rows_text(&ir), "{sql}");
    }
    // Declared binary parameter types, coerced where they are used.
    let typed: Vec<(&str, Vec<Type>, Values)> = vec![
        (
            "SELECT count(*) FROM temperatures WHERE temperature > $1 AND humidity < $2",
            vec![Type::FLOAT4, Type::INT4],
            vec![Box::new(3.5f32), Box::new(60i32)],
        ),
        (
            "SELECT count(*) FROM temperatures WHERE temperature > $1",
            vec![Type::INT2],
            vec![Box::new(10i16)],
        ),
        (
            "SELECT count(*) FROM temperatures WHERE temperature < $1",
            vec![Type::INT8],
            vec![Box::new(10i64)],
        ),
        (
            "SELECT count(*) FROM temperatures WHERE station = $1",
            vec![Type::VARCHAR],
            vec![Box::new("oslo".to_owned())],
        ),
        (
            "SELECT count(*) FROM temperatures WHERE (humidity > 50) = $1",
            vec![Type::BOOL],
            vec![Box::new(true)],
        ),
        (
            "SELECT count(*) FROM temperatures WHERE measured_at >= $1",
            vec![Type::TIMESTAMP],
            vec![Box::new(
                chrono::NaiveDate::from_ymd_opt(2024, 2, 29)
                    .and_then(|d| d.and_hms_opt(6, 0, 0))
                    .expect("ts"),
            )],
        ),
    ];
    for (sql, types, values) in &typed {
        let (p, i) = prepare_both(&f, sql, types).await;
        assert_eq!(p.params(), i.params(), "parameter types of {sql}");
        let refs: Vec<&(dyn ToSql + Sync)> = values
            .iter()
            .map(|v| v.as_ref() as &(dyn ToSql + Sync))
            .collect();
        let pr = f.pg.query(&p, &refs).await.expect("pg query");
        let ir = f
            .iso
            .query(&i, &refs)
            .await
            .unwrap_or_else(|e| panic!("isotherm {sql}: {e}"));
        assert_eq!(rows_text(&pr), rows_text(&ir), "{sql}");
    }
}

/// All rows of a portal fetched `chunk` at a time.
async fn portal_rows(
    client: &mut Client,
    sql: &str,
    chunk: i32,
) -> (Vec<Vec<Option<String>>>, usize) {
    let tx = client.transaction().await.expect("begin");
    let stmt = tx.prepare(sql).await.expect("prepare");
    let portal = tx.bind(&stmt, &[]).await.expect("bind");
    let mut all = Vec::new();
    let mut fetches = 0;
    loop {
        let rows = tx
            .query_portal(&portal, chunk)
            .await
            .expect("execute portal");
        fetches += 1;
        let n = rows.len();
        all.extend(rows_text(&rows));
        if n < chunk as usize {
            break;
        }
    }
    tx.commit().await.expect("commit");
    (all, fetches)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn portals_with_row_limits_never_truncate() {
    let mut f = fixture("wire_portals").await;
    for sql in [
        "SELECT station, date, count(*) FROM temperatures GROUP BY station, date ORDER BY station, date",
        "SELECT station, measured_at, country, temperature FROM temperatures ORDER BY station, measured_at, country, temperature",
        "WITH s AS (SELECT station, count(*) AS n FROM temperatures GROUP BY station) SELECT station, n FROM s ORDER BY station",
    ] {
        let (pg_rows, _) = portal_rows(&mut f.pg, sql, 7).await;
        let (iso_rows, fetches) = portal_rows(&mut f.iso, sql, 7).await;
        assert!(pg_rows.len() > 7, "{sql}: want several chunks");
        assert_eq!(fetches, pg_rows.len() / 7 + 1, "{sql}");
        assert_eq!(pg_rows, iso_rows, "{sql}");
    }
}

/// The prepared statement's rows, or the SQLSTATE it failed with.
async fn run_prepared(
    client: &Client,
    stmt: &tokio_postgres::Statement,
) -> Result<Vec<Vec<Option<String>>>, String> {
    match client.query(stmt, &[]).await {
        Ok(rows) => Ok(rows_text(&rows)),
        Err(e) => Err(e
            .code()
            .map_or_else(|| e.to_string(), |c| c.code().to_owned())),
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn named_statements_survive_transactions() {
    let f = fixture("wire_named").await;
    let sql = "SELECT region, count(*) FROM temperatures GROUP BY region ORDER BY region";
    let (p, i) = prepare_both(&f, sql, &[]).await;
    let first = run_prepared(&f.pg, &p).await;
    assert!(first.is_ok());
    for step in [
        "BEGIN",
        "COMMIT",
        "BEGIN",
        "SELECT 1/0",
        "ROLLBACK",
        "SELECT 1",
        "BEGIN; SELECT 1/0",
        "ROLLBACK",
        "DISCARD PLANS",
    ] {
        let pe =
            f.pg.batch_execute(step)
                .await
                .err()
                .and_then(|e| e.code().cloned());
        let ie = f
            .iso
            .batch_execute(step)
            .await
            .err()
            .and_then(|e| e.code().cloned());
        assert_eq!(pe, ie, "{step}");
        assert_eq!(
            run_prepared(&f.pg, &p).await,
            run_prepared(&f.iso, &i).await,
            "the prepared statement after {step}"
        );
    }
}

/// A prepared statement keeps its plan between executions (Isotherm's plan
/// cache): its answers still follow the session's settings, as
/// PostgreSQL's re-planned statements do (a search_path without the table:
/// 42P01).
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn prepared_statements_follow_settings() {
    let f = fixture("wire_prepared_settings").await;
    let sql = "SELECT date_trunc('day', measured_at) AS day, count(*), min(temperature) \
               FROM temperatures GROUP BY 1 ORDER BY 1";
    let (p, i) = prepare_both(&f, sql, &[]).await;
    let mut answers = Vec::new();
    for step in [
        "SELECT 1",
        "SET search_path = pg_catalog",
        "BEGIN; SET LOCAL search_path = public",
        "ROLLBACK",
        "RESET ALL",
    ] {
        f.pg.batch_execute(step).await.expect("pg step");
        f.iso.batch_execute(step).await.expect("isotherm step");
        let want = run_prepared(&f.pg, &p).await;
        assert_eq!(
            want,
            run_prepared(&f.iso, &i).await,
            "the prepared statement after {step}"
        );
        answers.push(want);
    }
    // The steps changed the answer: no table, the table, none, back.
    let table = answers[0].clone();
    assert!(table.as_ref().is_ok_and(|r| !r.is_empty()), "{table:?}");
    let none = Err("42P01".to_owned());
    assert_eq!(
        answers,
        [table.clone(), none.clone(), table.clone(), none, table]
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn cancel_stops_a_running_query() {
    let f = fixture("wire_cancel").await;
    let slow =
        "SELECT count(*) FROM temperatures a, temperatures b, temperatures c, temperatures d";
    for (who, client) in [("PostgreSQL", &f.pg), ("Isotherm", &f.iso)] {
        let token = client.cancel_token();
        let canceller = tokio::spawn(async move {
            tokio::time::sleep(Duration::from_millis(500)).await;
            token.cancel_query(tokio_postgres::NoTls).await
        });
        let started = std::time::Instant::now();
        let e = tokio::time::timeout(Duration::from_secs(60), client.simple_query(slow))
            .await
            .unwrap_or_else(|_| panic!("{who}: the cancel did not stop the query"))
            .expect_err("canceled");
        canceller.await.expect("join").expect("cancel request");
        assert_eq!(e.code().map(|c| c.code()), Some("57014"), "{who}: {e}");
        assert!(started.elapsed() < Duration::from_secs(30), "{who}");
        let after = query_text(client, "SELECT 1")
            .await
            .expect("connection still usable");
        assert_eq!(after.rows.len(), 1);
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn general_path_statements_through_routing() {
    let f = fixture("wire_general").await;
    for sql in [
        "SELECT pg_advisory_unlock_all() AS unlocked",
        "SELECT n.nspname FROM pg_catalog.pg_namespace n WHERE n.nspname = 'public'",
        "SELECT a.region, count(*) AS n FROM temperatures a JOIN (SELECT DISTINCT region FROM temperatures) b ON a.region = b.region GROUP BY a.region ORDER BY a.region",
        "SELECT 'int8'::regtype, 'varchar'::regtype AS v, 'bigint'::regtype::text AS t",
        "SELECT typname FROM pg_catalog.pg_type WHERE oid = 'pg_catalog.int4'::regtype",
        "SELECT to_regtype('uuid')::oid AS u, to_regtype('character varying')::oid AS v",
        "SELECT pg_typeof(1) AS a, pg_typeof(1.5) AS b, pg_typeof(temperature) AS c, pg_typeof(region) AS d, pg_typeof(count(*) OVER ()) AS e FROM temperatures LIMIT 1",
        "SELECT sum(x), pg_typeof(sum(x)) AS t, avg(x) FROM (VALUES (1), (2), (4)) AS v(x)",
    ] {
        let p = query_text(&f.pg, sql).await.expect("pg");
        let i = query_text(&f.iso, sql)
            .await
            .unwrap_or_else(|e| panic!("isotherm {sql}: {e}"));
        compare(&p, &i, sql.contains("ORDER BY")).unwrap_or_else(|e| panic!("{sql}: {e}"));
    }
    let plan = query_text(&f.iso, "EXPLAIN SELECT * FROM pg_catalog.pg_class")
        .await
        .expect("explain");
    let first = format!("{:?}", plan.rows.first());
    assert!(first.contains("Isotherm General (DataFusion)"), "{first}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn psql_multi_statement_and_copy_match_postgres() {
    let f = fixture("wire_psql").await;
    let sql = "SELECT region, count(*) FROM temperatures GROUP BY region ORDER BY region; SELECT 1/0; SELECT 2";
    let pg = psql(f.pg_db.cluster.port, "postgres", &f.pg_db.name, sql).expect("psql");
    let iso = psql(f.server.pg_port, "isotherm", "isotherm", sql).expect("psql");
    let strip = |r: Result<String, String>| match r {
        Ok(s) => format!("ok:{s}"),
        Err(e) => format!("err:{}", e.lines().next().unwrap_or_default()),
    };
    assert_eq!(strip(pg), strip(iso));
    let sql = "SELECT count(*) FROM temperatures; SELECT station FROM temperatures GROUP BY station ORDER BY station LIMIT 3";
    let pg = psql(f.pg_db.cluster.port, "postgres", &f.pg_db.name, sql).expect("psql");
    let iso = psql(f.server.pg_port, "isotherm", "isotherm", sql).expect("psql");
    assert_eq!(pg, iso);

    let dir = tempfile::tempdir().expect("tmp");
    let mut files = Vec::new();
    for (who, port, user, db) in [
        (
            "pg",
            f.pg_db.cluster.port,
            "postgres",
            f.pg_db.name.as_str(),
        ),
        ("iso", f.server.pg_port, "isotherm", "isotherm"),
    ] {
        let path = dir.path().join(format!("{who}.csv"));
        let cmd = format!(
            "\\copy (SELECT station, date, count(*), max(temperature) FROM temperatures GROUP BY station, date ORDER BY station, date) TO '{}' WITH (FORMAT csv, HEADER)",
            path.display()
        );
        let out = psql(port, user, db, &cmd).expect("psql");
        assert!(out.is_ok(), "{who}: {out:?}");
        files.push(std::fs::read_to_string(&path).expect("copied file"));
    }
    assert!(files[0].lines().count() > 2);
    assert_eq!(files[0], files[1]);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn engine_result_types_on_the_wire() {
    use isotherm_tests::compare::Mode;
    let f = fixture("wire_types").await;
    let o = f.oracle();
    let mut failures = Vec::new();
    for sql in [
        "SELECT CAST(7 AS smallint) AS a, CAST(2.5 AS real) AS b, CAST(1e6 AS real) AS c, CAST(1.50 AS numeric(5,2)) AS d",
        "SELECT CAST(ARRAY[1, 2, NULL] AS int4[]) AS a, CAST(ARRAY['a', 'b c', '', 'NULL', 'x\"y'] AS text[]) AS b",
        "SELECT CAST(ARRAY[1, 2] AS int2[]) AS a, CAST(ARRAY[3, 4] AS int8[]) AS b",
        "SELECT CAST('1 day 2 hours 3 minutes 4.5 seconds' AS interval) AS a, CAST('-1 month' AS interval) AS b, CAST('-3 days' AS interval) AS c",
        "SELECT CAST('2024-06-01 12:00:00' AS timestamp) AS a, CAST('2024-06-01' AS date) AS b, CAST('12:34:56.5' AS time) AS c",
        "SELECT true AS a, CAST(NULL AS text) AS b, 'x' AS c",
        "SELECT r.region, s.n FROM (SELECT region FROM temperatures GROUP BY region) r JOIN (SELECT region, count(*) AS n FROM temperatures GROUP BY region) s ON r.region = s.region ORDER BY r.region",
        "SELECT oid, typlen FROM pg_catalog.pg_type WHERE typname IN ('int4', 'text', 'bool') ORDER BY oid",
    ] {
        if let Err(e) = o.check(sql, Mode::Both).await {
            failures.push(e);
        }
    }
    assert!(failures.is_empty(), "{}", failures.join("\n\n"));
}

/// RowDescription names the table and attribute of a result column that is a
/// table's plain column, on both paths, and nothing for computed columns, as
/// PostgreSQL does (pgjdbc's ResultSetMetaData looks columns up by them).
#[tokio::test]
async fn row_description_names_source_columns() {
    let f = fixture("wire_rowdesc_sources").await;
    let oid_sql = "SELECT 'public.temperatures'::regclass::oid";
    let pg_oid: u32 = f.pg.query_one(oid_sql, &[]).await.expect("pg oid").get(0);
    let iso_oid: u32 = f.iso.query_one(oid_sql, &[]).await.expect("iso oid").get(0);
    for sql in [
        "SELECT * FROM temperatures",
        "SELECT region, count(*), max(temperature) AS t FROM temperatures GROUP BY region",
        "SELECT station AS s, temperature + 1 FROM temperatures WHERE region = 'europe'",
        "SELECT region, rank() OVER (ORDER BY temperature) FROM temperatures",
        "SELECT t.country, u.region FROM temperatures t JOIN temperatures u ON t.station = u.station",
        "SELECT 1 AS one",
    ] {
        let (p, i) = prepare_both(&f, sql, &[]).await;
        let sources = |s: &tokio_postgres::Statement, table: u32| -> Vec<Option<i16>> {
            s.columns()
                .iter()
                .map(|c| match c.table_oid() {
                    Some(t) if t == table => c.column_id(),
                    Some(other) => panic!("{sql}: column {} from table {other}", c.name()),
                    None => None,
                })
                .collect()
        };
        let want = sources(&p, pg_oid);
        assert_eq!(want, sources(&i, iso_oid), "{sql}");
    }
}
