//! Property test: on random small tables (NULLs everywhere, empty partitions,
//! NULL partition values), random filters and groupings give the naive answer
//! along every applicable path (rollup groups, value-index entries, bitmap
//! algebra and scans all merge to the same result).
#![allow(clippy::unwrap_used)]

use proptest::prelude::*;

use crate::calendar::parse_date;
use crate::database::Database;
use crate::query::request::{
    AggFunc, Aggregate, AggregateRequest, CmpOp, Expr, Predicate, TruncUnit,
};
use crate::tests::naive::*;
use crate::value::Value;

fn col(c: &str) -> Expr {
    Expr::Column(c.into())
}

fn text_value(options: &'static [&'static str]) -> impl Strategy<Value = Value> {
    prop_oneof![
        1 => Just(Value::Null),
        6 => proptest::sample::select(options).prop_map(|s| Value::Text(s.to_owned())),
    ]
}

fn row() -> impl Strategy<Value = [Value; 5]> {
    (
        text_value(&["c0", "c1", "c2"]),
        text_value(&["s0", "s1", "s2", "s3", "s4"]),
        0i64..3,
        prop_oneof![1 => Just(None), 5 => (-30i64..30).prop_map(|t| Some(t as f64 / 2.0)), 1 => Just(Some(1e15 + 0.5))],
        prop_oneof![1 => Just(None), 4 => (0i64..1000).prop_map(|h| Some(h as f64 / 10.0))],
    )
        .prop_map(|(c, s, hour, t, h)| {
            [
                c,
                s,
                Value::TimestampTz(hour * 3_600_000_000),
                t.map_or(Value::Null, Value::Float64),
                h.map_or(Value::Null, Value::Float64),
            ]
        })
}

fn parts() -> impl Strategy<Value = Vec<(usize, usize, Vec<[Value; 5]>)>> {
    proptest::collection::vec(
        (
            0usize..3,
            0usize..3,
            proptest::collection::vec(row(), 0..25),
        ),
        1..5,
    )
}

const PDAYS: [&str; 3] = ["2024-01-31", "2024-02-01", "2024-02-02"];
const PREGIONS: [&str; 3] = ["ra", "rb", "__HIVE_DEFAULT_PARTITION__"];

fn atom() -> impl Strategy<Value = Predicate> {
    let t = |s: &str| Value::Text(s.into());
    prop_oneof![
        proptest::sample::select(vec!["c0", "c1", "c9"]).prop_map(move |v| Predicate::Compare {
            expr: col("country"),
            op: CmpOp::Eq,
            value: t(v)
        }),
        proptest::sample::select(vec!["s1", "s3"]).prop_map(move |v| Predicate::Compare {
            expr: col("station"),
            op: CmpOp::NotEq,
            value: t(v)
        }),
        Just(Predicate::InList {
            expr: col("station"),
            values: vec![t("s0"), t("s2"), Value::Null],
            negated: false
        }),
        Just(Predicate::InList {
            expr: col("country"),
            values: vec![t("c2"), Value::Null],
            negated: true
        }),
        Just(Predicate::IsNull {
            expr: col("country"),
            negated: false
        }),
        Just(Predicate::Compare {
            expr: col("region"),
            op: CmpOp::Eq,
            value: t("ra")
        }),
        Just(Predicate::IsNull {
            expr: col("region"),
            negated: true
        }),
        Just(Predicate::Compare {
            expr: col("date"),
            op: CmpOp::GtEq,
            value: Value::Date(parse_date("2024-02-01").unwrap())
        }),
        (-10i64..10).prop_map(|v| Predicate::Compare {
            expr: col("temperature"),
            op: CmpOp::Lt,
            value: Value::Int64(v)
        }),
        Just(Predicate::Const(true)),
    ]
}

fn predicate() -> impl Strategy<Value = Predicate> {
    atom().prop_recursive(3, 8, 3, |inner| {
        prop_oneof![
            proptest::collection::vec(inner.clone(), 1..3).prop_map(Predicate::And),
            proptest::collection::vec(inner.clone(), 1..3).prop_map(Predicate::Or),
            inner.prop_map(|p| Predicate::Not(Box::new(p))),
        ]
    })
}

fn group_by() -> impl Strategy<Value = Vec<Expr>> {
    let month = Expr::DateTrunc {
        unit: TruncUnit::Month,
        arg: Box::new(col("date")),
    };
    proptest::sample::subsequence(
        vec![
            col("region"),
            col("country"),
            col("station"),
            month,
            col("date"),
        ],
        0..3,
    )
}

proptest! {
    #![proptest_config(ProptestConfig { cases: std::env::var("PROPTEST_CASES").ok().and_then(|v| v.parse().ok()).unwrap_or(40), ..ProptestConfig::default() })]
    #[test]
    fn every_path_equals_naive(parts in parts(), filter in proptest::option::of(predicate()), group_by in group_by()) {
        let dir = tempfile::tempdir().unwrap();
        let db = Database::open(dir.path()).unwrap();
        db.define_table("temps", serde_json::from_str(
            r#"{"rollups":[{"name":"by_country","dimensions":["date","country"]}]}"#).unwrap()).unwrap();
        let mut pushed: Vec<Part> = Vec::new();
        for (d, r, rows) in parts {
            let mut p = make_part(PDAYS[d], "x", 0, 0);
            p.path = format!("date={}/region={}", PDAYS[d], PREGIONS[r]);
            p.region = PREGIONS[r].to_owned();
            p.rows = rows;
            db.put_partition("temps", &p.path, parquet_of(&p)).unwrap();
            pushed.retain(|q| q.path != p.path);
            pushed.push(p);
        }
        let schema = db.schema("temps").unwrap();
        let mut rows = table_rows(&pushed);
        for r in &mut rows {
            if r[1] == Value::Text("__HIVE_DEFAULT_PARTITION__".into()) {
                r[1] = Value::Null;
            }
        }
        let req = AggregateRequest {
            table: "temps".into(),
            filter,
            group_by,
            aggregates: vec![
                Aggregate::new(AggFunc::CountStar, None),
                Aggregate::new(AggFunc::Sum, Some(col("temperature"))),
                Aggregate::new(AggFunc::Avg, Some(col("humidity"))),
                Aggregate::new(AggFunc::Min, Some(col("temperature"))),
                Aggregate::new(AggFunc::Max, Some(col("humidity"))),
                Aggregate::new(AggFunc::Count, Some(col("temperature"))),
                Aggregate::new(AggFunc::CountDistinct, Some(col("station"))),
                Aggregate::new(AggFunc::CountDistinct, Some(col("country"))),
            ],
        };
        let want = naive_aggregate(&schema, &rows, &req);
        for p in db.aggregate_paths(&req).unwrap() {
            let got = db.aggregate_via(&req, Some(&p)).unwrap();
            assert_rows_eq(got.rows, want.clone(), &format!("via {p}: {req:?}"));
        }
    }
}
