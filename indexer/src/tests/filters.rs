//! Aggregate filters (`agg(...) FILTER (WHERE ...)`, what `CASE` inside an
//! aggregate becomes) and the arithmetic / cast / coalesce expressions BI
//! tools group by: every path equals the naive answer, and the rollup and
//! value-stats paths still answer when the filters read only what they cover.
#![allow(clippy::unwrap_used)]

use crate::database::Database;
use crate::query::request::{
    AggFunc, Aggregate, AggregateRequest, CmpOp, Expr, ExtractField, NumOp, Predicate, TruncUnit,
};
use crate::tests::naive::*;
use crate::tests::paths::{build_db, col, req, text};
use crate::value::{Numeric, ScalarType, Value};

fn cmp(e: Expr, op: CmpOp, v: Value) -> Predicate {
    Predicate::Compare {
        expr: e,
        op,
        value: v,
    }
}

fn f(func: AggFunc, arg: Option<Expr>, filter: Predicate) -> Aggregate {
    Aggregate::filtered(func, arg, Some(filter))
}

fn lit(n: i64) -> Box<Expr> {
    Box::new(Expr::Literal(Value::Numeric(Numeric::from_i64(n))))
}

/// Grafana's `floor(extract(epoch from t) / n) * n`.
fn bucket(column: &str, n: i64) -> Expr {
    Expr::Arith {
        op: NumOp::Mul,
        left: Box::new(Expr::Floor(Box::new(Expr::Arith {
            op: NumOp::Div,
            left: Box::new(Expr::Extract {
                field: ExtractField::Epoch,
                arg: Box::new(col(column)),
            }),
            right: lit(n),
        }))),
        right: lit(n),
    }
}

fn requests() -> Vec<AggregateRequest> {
    let europe_c1 = cmp(col("country"), CmpOp::Eq, text("europe-c1"));
    let asia = cmp(col("region"), CmpOp::Eq, text("asia"));
    let warm = cmp(col("temperature"), CmpOp::Gt, Value::Float64(10.0));
    let in_list = Predicate::InList {
        expr: col("station"),
        values: vec![text("ST000011"), text("ST000012"), Value::Null],
        negated: false,
    };
    let case_like = vec![
        f(AggFunc::Sum, Some(col("temperature")), europe_c1.is_true()),
        f(AggFunc::CountStar, None, europe_c1.is_not_true()),
        f(AggFunc::Count, Some(col("humidity")), asia.clone()),
        f(AggFunc::Max, Some(col("temperature")), asia.is_not_true()),
        f(AggFunc::Avg, Some(col("humidity")), europe_c1.clone()),
        Aggregate::new(AggFunc::CountStar, None),
    ];
    vec![
        // Filters on covered columns: rollups and value stats still answer.
        req(vec![col("region")], case_like.clone(), None),
        req(vec![], case_like.clone(), Some(asia.is_not_true())),
        req(
            vec![col("country")],
            vec![
                f(AggFunc::CountDistinct, Some(col("station")), asia.clone()),
                f(AggFunc::Min, Some(col("station")), europe_c1.is_not_true()),
            ],
            None,
        ),
        req(
            vec![col("station")],
            vec![
                f(AggFunc::Sum, Some(col("humidity")), in_list.clone()),
                f(AggFunc::CountStar, None, in_list.is_not_true()),
            ],
            Some(cmp(
                col("date"),
                CmpOp::GtEq,
                Value::Date(crate::calendar::parse_date("2024-01-31").unwrap()),
            )),
        ),
        // A filter on a measure: only scans answer.
        req(
            vec![col("region")],
            vec![
                f(AggFunc::CountStar, None, warm.clone()),
                f(AggFunc::Sum, Some(col("humidity")), warm.is_not_true()),
                f(AggFunc::CountDistinct, Some(col("country")), warm),
            ],
            Some(cmp(col("station"), CmpOp::Lt, text("ST000020"))),
        ),
        // The shapes BI tools group by.
        req(
            vec![bucket("measured_at", 3600)],
            vec![Aggregate::new(AggFunc::CountStar, None)],
            Some(asia),
        ),
        req(
            vec![bucket("measured_at", 86_400), bucket("date", 604_800)],
            vec![Aggregate::new(AggFunc::Avg, Some(col("temperature")))],
            None,
        ),
        req(
            vec![Expr::Cast {
                to: ScalarType::Date,
                arg: Box::new(Expr::DateTrunc {
                    unit: TruncUnit::Month,
                    arg: Box::new(col("measured_at")),
                }),
            }],
            vec![Aggregate::new(AggFunc::CountStar, None)],
            None,
        ),
        req(
            vec![
                Expr::Cast {
                    to: ScalarType::Timestamp,
                    arg: Box::new(col("date")),
                },
                Expr::Coalesce {
                    arg: Box::new(col("country")),
                    value: text("(none)"),
                },
            ],
            vec![Aggregate::new(AggFunc::Max, Some(col("humidity")))],
            Some(cmp(
                Expr::Coalesce {
                    arg: Box::new(col("country")),
                    value: text("(none)"),
                },
                CmpOp::NotEq,
                text("asia-c1"),
            )),
        ),
    ]
}

fn check(db: &Database, parts: &[Part]) -> std::collections::BTreeSet<String> {
    let schema = db.schema("temps").unwrap();
    let rows = table_rows(parts);
    let mut used = std::collections::BTreeSet::new();
    for (i, r) in requests().iter().enumerate() {
        let want = naive_aggregate(&schema, &rows, r);
        for p in db.aggregate_paths(r).unwrap() {
            let got = db.aggregate_via(r, Some(&p)).unwrap();
            assert_rows_eq(got.rows, want.clone(), &format!("request {i} via {p}"));
            used.insert(p);
        }
    }
    used
}

#[test]
fn filtered_aggregates_agree_on_every_path() {
    let mut used = std::collections::BTreeSet::new();
    for with_rollup in [false, true] {
        let dir = tempfile::tempdir().unwrap();
        let (db, parts) = build_db(dir.path(), with_rollup);
        used.extend(check(&db, &parts));
    }
    assert_eq!(used.len(), 4, "every path exercised: {used:?}");
}

#[test]
fn covered_filters_keep_the_fast_paths() {
    let dir = tempfile::tempdir().unwrap();
    let (db, _) = build_db(dir.path(), true);
    let reqs = requests();
    let e = db.explain_aggregate(&reqs[0]).unwrap();
    assert_eq!(
        (e.path.as_str(), e.index.as_deref()),
        ("rollup", Some("by_country"))
    );
    assert_eq!(db.explain_aggregate(&reqs[4]).unwrap().path, "bitmap-scan");
    let dir = tempfile::tempdir().unwrap();
    let (db, _) = build_db(dir.path(), false);
    let e = db.explain_aggregate(&reqs[3]).unwrap();
    assert_eq!(
        (e.path.as_str(), e.index.as_deref()),
        ("value-stats", Some("station"))
    );
}

/// `is_true` / `is_not_true` are two-valued and agree with three-valued
/// evaluation, NULLs in lists and bounds included.
#[test]
fn two_valued_predicates() {
    let dir = tempfile::tempdir().unwrap();
    let (db, parts) = build_db(dir.path(), false);
    let schema = db.schema("temps").unwrap();
    let rows = table_rows(&parts);
    let hum = |op, x: f64| cmp(col("humidity"), op, Value::Float64(x));
    let list = |values: Vec<Value>, negated| Predicate::InList {
        expr: col("country"),
        values,
        negated,
    };
    let preds = vec![
        hum(CmpOp::Lt, 50.0),
        cmp(col("country"), CmpOp::Eq, Value::Null),
        list(vec![text("asia-c1"), Value::Null], false),
        list(vec![text("asia-c1"), Value::Null], true),
        list(vec![text("asia-c1"), text("europe-c2")], true),
        Predicate::Between {
            expr: col("humidity"),
            low: Value::Float64(20.0),
            high: Value::Null,
            negated: true,
        },
        Predicate::Between {
            expr: col("temperature"),
            low: Value::Float64(-5.0),
            high: Value::Float64(5.0),
            negated: false,
        },
        Predicate::Not(Box::new(Predicate::Or(vec![
            hum(CmpOp::Gt, 80.0),
            Predicate::And(vec![
                cmp(col("station"), CmpOp::NotEq, text("ST000011")),
                Predicate::IsNull {
                    expr: col("country"),
                    negated: true,
                },
            ]),
        ]))),
    ];
    for p in &preds {
        let (t, nt) = (p.is_true(), p.is_not_true());
        let mut seen = [false; 2];
        for row in &rows {
            let want = pred(&schema, p, row) == Some(true);
            seen[usize::from(want)] = true;
            assert_eq!(pred(&schema, &t, row), Some(want), "{p:?} on {row:?}");
            assert_eq!(pred(&schema, &nt, row), Some(!want), "{p:?} on {row:?}");
        }
        assert!(seen[0], "never false: {p:?}");
    }
}
