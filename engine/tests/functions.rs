//! Every catalog and session function a client calls, checked with a query.
#![allow(clippy::unwrap_used)]

mod common;

use common::{fixture, query, vars};

/// The single value `sql` returns.
async fn value(engine: &isotherm_engine::Engine, sql: &str) -> String {
    let rows = query(engine, sql)
        .await
        .unwrap_or_else(|e| panic!("{sql}: {} {}", e.sqlstate, e.message));
    assert_eq!(rows.len(), 1, "{sql}: {rows:?}");
    rows[0][0].clone()
}

#[tokio::test]
async fn session_functions_read_the_session() {
    let f = fixture();
    let e = &f.engine;
    for (sql, want) in [
        ("SELECT version()", "PostgreSQL 15.0 (Isotherm 0.1.0)"),
        (
            "SELECT pg_catalog.version()",
            "PostgreSQL 15.0 (Isotherm 0.1.0)",
        ),
        ("SELECT current_user", "alice"),
        ("SELECT session_user", "alice"),
        ("SELECT user", "alice"),
        ("SELECT current_database()", "isotherm"),
        ("SELECT current_catalog", "isotherm"),
        ("SELECT current_schema()", "public"),
        ("SELECT current_schema", "public"),
        ("SELECT current_schemas(false)", "[public]"),
        ("SELECT current_schemas(true)", "[pg_catalog, public]"),
        ("SELECT (current_schemas(true))[1]", "pg_catalog"),
        ("SELECT current_setting('DateStyle')", "ISO, MDY"),
        ("SELECT current_setting('search_path')", "\"$user\", public"),
        ("SELECT current_setting('nope', true) IS NULL", "true"),
        // Quoted array elements (pgjdbc's getSQLKeywords sends '{...,"null",...}').
        ("SELECT 'null' = ANY('{a,\"null\",b}'::text[])", "true"),
        ("SELECT 'b' <> ALL('{a,\"b\"}'::text[])", "false"),
        // generate_series over int4 bounds is int4, named as in PostgreSQL.
        (
            "SELECT arrow_typeof(n) FROM generate_series(1, 3) AS pos(n) LIMIT 1",
            "Int32",
        ),
        (
            "SELECT sum(generate_series) FROM pg_catalog.generate_series(1, 3)",
            "6",
        ),
        // A CASE of integer literals is int4, as in PostgreSQL.
        (
            "SELECT arrow_typeof(CASE WHEN true THEN 1 ELSE CASE WHEN false THEN -2 END END)",
            "Int32",
        ),
        (
            "SELECT arrow_typeof(CASE WHEN true THEN 1 ELSE 3000000000 END)",
            "Int64",
        ),
        (
            "SELECT set_config('search_path', 'public', false)",
            "public",
        ),
    ] {
        assert_eq!(value(e, sql).await, want, "{sql}");
    }
    let err = query(e, "SELECT current_setting('nope')")
        .await
        .unwrap_err();
    assert_eq!(err.sqlstate, "42704", "{err:?}");
    assert_eq!(err.message, "unrecognized configuration parameter \"nope\"");
}

#[tokio::test]
async fn sessions_do_not_share_settings() {
    let f = fixture();
    let mut other = vars();
    other.user = "bob".into();
    other.settings = vec![("datestyle".into(), "German".into())];
    let plan = f
        .engine
        .plan(
            "SELECT current_user, current_setting('datestyle')",
            &other,
            &[],
        )
        .await
        .unwrap();
    let rows = common::rows(&plan.execute(vec![]).await.unwrap());
    assert_eq!(rows, vec![vec!["bob".to_owned(), "German".to_owned()]]);
    assert_eq!(value(&f.engine, "SELECT current_user").await, "alice");
}

#[tokio::test]
async fn pg_settings_shows_the_sessions_values() {
    let f = fixture();
    let mut german = vars();
    german.settings = vec![("datestyle".into(), "German, DMY".into())];
    let sql = "SELECT setting, reset_val, boot_val, vartype, context FROM pg_settings \
               WHERE name = 'DateStyle'";
    let plan = f.engine.plan(sql, &german, &[]).await.unwrap();
    let rows = common::rows(&plan.execute(vec![]).await.unwrap());
    assert_eq!(
        rows,
        vec![vec![
            "German, DMY",
            "German, DMY",
            "ISO, MDY",
            "string",
            "user"
        ]]
    );
    // Settings the session does not carry show PostgreSQL's boot value.
    assert_eq!(
        value(
            &f.engine,
            "SELECT setting FROM pg_catalog.pg_settings WHERE name = 'max_index_keys'"
        )
        .await,
        "32"
    );
}

#[tokio::test]
async fn catalog_functions_answer_like_postgres() {
    let f = fixture();
    let e = &f.engine;
    let oid = e.table_oid("temperatures").to_string();
    let toast = format!("pg_toast.pg_toast_{oid}");
    let cases: Vec<(String, &str)> = vec![
        ("SELECT format_type(20, NULL)".into(), "bigint"),
        ("SELECT format_type(701, -1)".into(), "double precision"),
        (
            "SELECT format_type(1184, -1)".into(),
            "timestamp with time zone",
        ),
        ("SELECT pg_catalog.format_type(25, -1)".into(), "text"),
        ("SELECT pg_get_userbyid(10)".into(), "postgres"),
        (
            "SELECT t.typname FROM pg_class c JOIN pg_type t ON t.oid = c.reltype \
             AND t.typrelid = c.oid AND t.typtype = 'c' WHERE c.relname = 'temperatures'"
                .into(),
            "temperatures",
        ),
        (
            "SELECT count(*) FROM pg_type a JOIN pg_type t ON a.typelem = t.oid \
             WHERE a.typname = '_temperatures' AND t.oid = a.typelem AND t.typarray = a.oid"
                .into(),
            "1",
        ),
        (
            "SELECT c.reltoastrelid::regclass::text FROM pg_class c WHERE relname = 'temperatures'"
                .to_owned(),
            &toast,
        ),
        (
            "SELECT count(*) FROM pg_attribute a JOIN pg_class c ON a.attrelid = c.oid \
             WHERE c.relkind = 't' AND a.attnum > 0"
                .into(),
            "3",
        ),
        (
            "SELECT count(*) FROM information_schema.tables WHERE table_schema = 'pg_toast'".into(),
            "0",
        ),
        ("SELECT 'pg_class'::regclass".into(), "pg_class"),
        ("SELECT 'pg_class'::regclass::oid".into(), "1259"),
        (
            "SELECT count(*) FROM pg_class WHERE oid = 'pg_class'::regclass".into(),
            "1",
        ),
        (
            "SELECT CAST(CAST(format('%I.%I', 'public', 'temperatures') AS regclass) AS oid) \
             = 'public.temperatures'::regclass"
                .into(),
            "true",
        ),
        (
            "SELECT ('pg_catalog' || '.' || 'pg_class')::regclass::text".into(),
            "pg_class",
        ),
        (
            "SELECT pg_table_is_visible('information_schema.tables'::regclass)".into(),
            "false",
        ),
        (
            "SELECT pg_table_is_visible('pg_class'::regclass)".into(),
            "true",
        ),
        (
            "SELECT bool_and(NOT pg_type_is_visible(oid)) FROM pg_type WHERE typtype = 'd'".into(),
            "true",
        ),
        (
            "SELECT DISTINCT n.nspname FROM pg_type t JOIN pg_namespace n \
             ON n.oid = t.typnamespace WHERE t.typtype = 'd'"
                .into(),
            "information_schema",
        ),
        (
            "SELECT pg_get_userbyid(datdba) FROM pg_database".into(),
            "isotherm",
        ),
        (
            "SELECT pg_get_userbyid(relowner) FROM pg_class WHERE relname = 'temperatures'".into(),
            "isotherm",
        ),
        (
            "SELECT to_regrole('isotherm') = datdba FROM pg_database".into(),
            "true",
        ),
        ("SELECT pg_encoding_to_char(6)".into(), "UTF8"),
        (
            "SELECT arrow_typeof(pg_stat_get_numscans(1259)) || ' ' || pg_stat_get_numscans(1259)"
                .into(),
            "Int64 0",
        ),
        (
            "SELECT pg_table_is_visible(".to_owned() + &oid + ")",
            "true",
        ),
        (
            "SELECT has_table_privilege('temperatures', 'SELECT')".into(),
            "true",
        ),
        (
            "SELECT has_table_privilege(".to_owned() + &oid + ", 'SELECT')",
            "true",
        ),
        (
            "SELECT has_schema_privilege('public', 'USAGE')".into(),
            "true",
        ),
        (
            "SELECT has_database_privilege('isotherm', 'CONNECT')".into(),
            "true",
        ),
        (
            "SELECT has_column_privilege('temperatures', 'region', 'SELECT')".into(),
            "true",
        ),
        ("SELECT quote_ident('temperatures')".into(), "temperatures"),
        ("SELECT quote_ident('Mixed Case')".into(), "\"Mixed Case\""),
        ("SELECT pg_get_indexdef(1) IS NULL".into(), "true"),
        ("SELECT pg_get_constraintdef(1) IS NULL".into(), "true"),
        (
            "SELECT obj_description(".to_owned() + &oid + ", 'pg_class') IS NULL",
            "true",
        ),
        (
            "SELECT col_description(".to_owned() + &oid + ", 1) IS NULL",
            "true",
        ),
        (
            "SELECT shobj_description(1, 'pg_database') IS NULL".into(),
            "true",
        ),
        ("SELECT to_regtype('bigint')".into(), "20"),
        ("SELECT to_regtype('pg_catalog.float8')".into(), "701"),
        ("SELECT to_regtype('nope') IS NULL".into(), "true"),
        ("SELECT to_regclass('temperatures')".into(), &oid),
        ("SELECT to_regclass('public.temperatures')".into(), &oid),
        ("SELECT to_regclass('pg_class')".into(), "1259"),
        ("SELECT to_regclass('nope') IS NULL".into(), "true"),
        ("SELECT 'temperatures'::regclass".into(), "temperatures"),
        ("SELECT 'public.temperatures'::regclass::oid".into(), &oid),
        ("SELECT 'public'::regnamespace::oid".into(), "2200"),
        ("SELECT 'int8'::regtype::oid".into(), "20"),
        (
            "SELECT count(*) FROM pg_class WHERE relname OPERATOR(pg_catalog.~) '^(temperatures)$'"
                .into(),
            "1",
        ),
        ("SELECT pg_advisory_unlock_all() IS NOT NULL".into(), "true"),
        ("SELECT pg_backend_pid() > 0".into(), "true"),
        ("SELECT pg_postmaster_start_time() <= now()".into(), "true"),
        ("SELECT pg_size_pretty(123456789::bigint)".into(), "118 MB"),
        ("SELECT pg_is_in_recovery()".into(), "false"),
        ("SELECT pg_get_expr(NULL, 0) IS NULL".into(), "true"),
        (
            "SELECT pg_get_partkeydef(oid) IS NULL FROM pg_class WHERE relname = 'temperatures'"
                .into(),
            "true",
        ),
        ("SELECT array_to_string(ARRAY['a','b'], ',')".into(), "a,b"),
        (
            "SELECT regclass_name(".to_owned() + &oid + ")",
            "temperatures",
        ),
        (
            "SELECT regtype_name(1184)".into(),
            "timestamp with time zone",
        ),
    ];
    let mut failures = Vec::new();
    for (sql, want) in &cases {
        match query(e, sql).await {
            Ok(rows) if rows.len() == 1 && rows[0][0] == *want => {}
            Ok(rows) => failures.push(format!("{sql}: want {want}, got {rows:?}")),
            Err(err) => failures.push(format!("{sql}: {} {}", err.sqlstate, err.message)),
        }
    }
    assert!(failures.is_empty(), "{}", failures.join("\n"));
    let missing = query(e, "SELECT format('%I.%I', 'public', 'nope')::regclass").await;
    assert_eq!(
        missing.err().map(|e| e.sqlstate),
        Some("42P01"),
        "a computed name of no relation"
    );
}
