//! Every request, along every path that can answer it, equals the naive answer.
#![allow(clippy::unwrap_used)]

use crate::calendar::{MICROS_PER_DAY, parse_date};
use crate::database::Database;
use crate::query::request::{
    AggFunc, Aggregate, AggregateRequest, CmpOp, Expr, ExtractField, Predicate, ScanRequest,
    TruncUnit,
};
use crate::table::TableDefinition;
use crate::tests::naive::*;
use crate::value::{Numeric, ScalarType, Value};

pub fn col(c: &str) -> Expr {
    Expr::Column(c.into())
}
pub fn text(s: &str) -> Value {
    Value::Text(s.into())
}
fn date(s: &str) -> Value {
    Value::Date(parse_date(s).unwrap())
}
fn agg(func: AggFunc, arg: Option<Expr>) -> Aggregate {
    Aggregate::new(func, arg)
}
fn cmp(e: Expr, op: CmpOp, v: Value) -> Predicate {
    Predicate::Compare {
        expr: e,
        op,
        value: v,
    }
}
fn all_aggs() -> Vec<Aggregate> {
    vec![
        agg(AggFunc::CountStar, None),
        agg(AggFunc::Count, Some(col("humidity"))),
        agg(AggFunc::Sum, Some(col("temperature"))),
        agg(AggFunc::Avg, Some(col("humidity"))),
        agg(AggFunc::Min, Some(col("temperature"))),
        agg(AggFunc::Max, Some(col("humidity"))),
    ]
}
pub fn req(
    group_by: Vec<Expr>,
    aggregates: Vec<Aggregate>,
    filter: Option<Predicate>,
) -> AggregateRequest {
    AggregateRequest {
        table: "temps".into(),
        filter,
        group_by,
        aggregates,
    }
}

pub fn build_db(dir: &std::path::Path, with_rollup: bool) -> (Database, Vec<Part>) {
    let db = Database::open(dir).unwrap();
    if with_rollup {
        let def: TableDefinition = serde_json::from_str(
            r#"{"rollups":[{"name":"by_country","dimensions":["date","country"]},
                           {"name":"by_station","dimensions":["date","region","country","station"]}]}"#,
        )
        .unwrap();
        db.define_table("temps", def).unwrap();
    }
    let mut parts = Vec::new();
    let mut seed = 1;
    for day in DAYS {
        for region in REGIONS {
            let p = make_part(day, region, seed, 150 + (seed as usize * 37) % 200);
            db.put_partition("temps", &p.path, parquet_of(&p)).unwrap();
            parts.push(p);
            seed += 1;
        }
    }
    (db, parts)
}

pub fn requests() -> Vec<AggregateRequest> {
    let month = Expr::DateTrunc {
        unit: TruncUnit::Month,
        arg: Box::new(col("date")),
    };
    let dow = Expr::Extract {
        field: ExtractField::Dow,
        arg: Box::new(col("date")),
    };
    let hour = Expr::DateTrunc {
        unit: TruncUnit::Hour,
        arg: Box::new(col("measured_at")),
    };
    vec![
        req(vec![], all_aggs(), None),
        req(vec![col("region")], all_aggs(), None),
        req(vec![col("date"), col("region")], all_aggs(), None),
        req(
            vec![col("country")],
            all_aggs(),
            Some(cmp(col("region"), CmpOp::Eq, text("europe"))),
        ),
        req(vec![col("country")], all_aggs(), None),
        req(
            vec![col("station")],
            all_aggs(),
            Some(Predicate::InList {
                expr: col("country"),
                values: vec![text("europe-c1"), text("asia-c2")],
                negated: false,
            }),
        ),
        req(vec![month.clone(), dow.clone()], all_aggs(), None),
        req(vec![month.clone(), col("country")], all_aggs(), None),
        req(
            vec![col("region")],
            vec![
                agg(AggFunc::CountDistinct, Some(col("station"))),
                agg(AggFunc::CountDistinct, Some(col("country"))),
                agg(AggFunc::CountDistinct, Some(col("date"))),
            ],
            None,
        ),
        req(
            vec![],
            vec![
                agg(AggFunc::CountDistinct, Some(col("station"))),
                agg(AggFunc::CountStar, None),
            ],
            Some(Predicate::And(vec![
                cmp(col("region"), CmpOp::Eq, text("europe")),
                cmp(col("date"), CmpOp::Eq, date("2024-01-31")),
            ])),
        ),
        req(
            vec![col("country")],
            all_aggs(),
            Some(cmp(col("temperature"), CmpOp::Gt, Value::Int64(20))),
        ),
        req(
            vec![col("country"), col("station")],
            all_aggs(),
            Some(Predicate::Or(vec![
                Predicate::Not(Box::new(cmp(col("country"), CmpOp::Eq, text("europe-c1")))),
                Predicate::IsNull {
                    expr: col("station"),
                    negated: false,
                },
            ])),
        ),
        req(
            vec![hour],
            all_aggs(),
            Some(cmp(col("station"), CmpOp::Eq, text("ST000011"))),
        ),
        req(
            vec![],
            all_aggs(),
            Some(cmp(col("region"), CmpOp::Eq, text("nowhere"))),
        ),
        req(
            vec![col("region")],
            all_aggs(),
            Some(cmp(col("region"), CmpOp::Eq, text("nowhere"))),
        ),
        req(
            vec![],
            vec![
                agg(AggFunc::Min, Some(col("station"))),
                agg(AggFunc::Max, Some(col("date"))),
                agg(AggFunc::Count, Some(col("country"))),
                agg(AggFunc::Max, Some(col("measured_at"))),
                agg(AggFunc::Min, Some(month.clone())),
            ],
            None,
        ),
        req(
            vec![Expr::Extract {
                field: ExtractField::Year,
                arg: Box::new(col("measured_at")),
            }],
            all_aggs(),
            Some(Predicate::Between {
                expr: col("date"),
                low: date("2024-01-31"),
                high: date("2024-02-01"),
                negated: false,
            }),
        ),
        req(
            vec![col("country")],
            all_aggs(),
            Some(Predicate::InList {
                expr: col("station"),
                values: vec![text("ST000011"), Value::Null],
                negated: true,
            }),
        ),
        req(
            vec![col("country")],
            all_aggs(),
            Some(cmp(col("country"), CmpOp::NotEq, text("asia-c0"))),
        ),
        req(
            vec![dow],
            vec![agg(AggFunc::CountDistinct, Some(month.clone()))],
            Some(cmp(
                month,
                CmpOp::GtEq,
                Value::TimestampTz(i64::from(parse_date("2024-02-01").unwrap()) * MICROS_PER_DAY),
            )),
        ),
        req(
            vec![col("station")],
            vec![agg(AggFunc::Sum, Some(col("temperature")))],
            Some(Predicate::And(vec![
                cmp(col("date"), CmpOp::Eq, date("2024-06-02")),
                cmp(col("station"), CmpOp::Lt, text("ST000012")),
            ])),
        ),
        req(
            vec![col("region")],
            vec![agg(AggFunc::CountStar, None)],
            Some(cmp(
                Expr::Extract {
                    field: ExtractField::Month,
                    arg: Box::new(col("date")),
                },
                CmpOp::Eq,
                Value::Numeric(Numeric::from_i64(1)),
            )),
        ),
    ]
}

pub fn check_all_paths(db: &Database, parts: &[Part], expect_rollup_for_first: bool) {
    let schema = db.schema("temps").unwrap();
    let rows = table_rows(parts);
    let mut used = std::collections::BTreeSet::new();
    for (i, r) in requests().iter().enumerate() {
        let want = naive_aggregate(&schema, &rows, r);
        let paths = db.aggregate_paths(r).unwrap();
        assert!(paths.contains(&"scan".to_string()));
        if i == 0 && expect_rollup_for_first {
            assert_eq!(paths[0], "rollup");
        }
        for p in &paths {
            used.insert(p.clone());
            let got = db.aggregate_via(r, Some(p)).unwrap();
            assert_rows_eq(
                got.rows,
                want.clone(),
                &format!("request {i} via {p}: {r:?}"),
            );
        }
        let got = db.aggregate(r).unwrap();
        assert_eq!(got.types.len(), r.group_by.len() + r.aggregates.len());
    }
    assert_eq!(used.len(), 4, "every path exercised: {used:?}");
}

#[test]
fn all_paths_agree_with_naive_evaluation() {
    for with_rollup in [false, true] {
        let dir = tempfile::tempdir().unwrap();
        let (db, parts) = build_db(dir.path(), with_rollup);
        check_all_paths(&db, &parts, true);
        drop(db);
        let db = Database::open(dir.path()).unwrap();
        assert_eq!(db.recovery_report().segments_opened, parts.len());
        check_all_paths(&db, &parts, true);
    }
}

#[test]
fn paths_are_chosen_as_documented() {
    let dir = tempfile::tempdir().unwrap();
    let (db, _) = build_db(dir.path(), true);
    let first = |r: &AggregateRequest| db.explain_aggregate(r).unwrap();
    let e = first(&req(vec![col("region")], all_aggs(), None));
    assert_eq!(
        (e.path.as_str(), e.index.as_deref()),
        ("rollup", Some("by_partition"))
    );
    assert_eq!((e.segments_total, e.segments_selected), (8, 8));
    let e = first(&req(
        vec![col("country")],
        all_aggs(),
        Some(cmp(col("region"), CmpOp::Eq, text("asia"))),
    ));
    assert_eq!(
        (e.path.as_str(), e.index.as_deref()),
        ("rollup", Some("by_country"))
    );
    assert_eq!(e.segments_selected, 4);
    let e = first(&req(
        vec![],
        all_aggs(),
        Some(cmp(col("temperature"), CmpOp::Gt, Value::Float64(1.0))),
    ));
    assert_eq!(e.path, "scan");
    let e = first(&req(
        vec![],
        all_aggs(),
        Some(Predicate::And(vec![
            cmp(col("station"), CmpOp::Eq, text("ST000011")),
            cmp(col("temperature"), CmpOp::Gt, Value::Float64(1.0)),
        ])),
    ));
    assert_eq!(e.path, "bitmap-scan");

    let dir = tempfile::tempdir().unwrap();
    let (db, _) = build_db(dir.path(), false);
    let e = db
        .explain_aggregate(&req(vec![col("station")], all_aggs(), None))
        .unwrap();
    assert_eq!(
        (e.path.as_str(), e.index.as_deref()),
        ("value-stats", Some("station"))
    );
}

#[test]
fn result_types_and_errors() {
    let dir = tempfile::tempdir().unwrap();
    let (db, _) = build_db(dir.path(), false);
    let r = db
        .aggregate(&req(
            vec![
                Expr::DateTrunc {
                    unit: TruncUnit::Month,
                    arg: Box::new(col("date")),
                },
                Expr::Extract {
                    field: ExtractField::Epoch,
                    arg: Box::new(col("measured_at")),
                },
            ],
            vec![
                agg(AggFunc::CountStar, None),
                agg(AggFunc::Max, Some(col("station"))),
            ],
            None,
        ))
        .unwrap();
    use ScalarType::*;
    check_types(&r, &[TimestampTz, Numeric, Int64, Text], "types");
    let e = db.aggregate(&req(
        vec![],
        vec![agg(AggFunc::Sum, Some(col("station")))],
        None,
    ));
    assert!(
        matches!(&e, Err(crate::IndexError::UndefinedFunction(f)) if f == "sum(text)"),
        "{e:?}"
    );
    let e = db.aggregate(&req(vec![col("nope")], vec![], None));
    assert!(matches!(e, Err(crate::IndexError::UnknownColumn { .. })));
    let mut bad = req(vec![], vec![], None);
    bad.table = "other".into();
    assert!(matches!(
        db.aggregate(&bad),
        Err(crate::IndexError::UnknownTable(_))
    ));
}

#[test]
fn scans_agree_with_naive_evaluation() {
    let dir = tempfile::tempdir().unwrap();
    let (db, parts) = build_db(dir.path(), false);
    let schema = db.schema("temps").unwrap();
    let rows = table_rows(&parts);
    let reqs = vec![
        ScanRequest {
            table: "temps".into(),
            filter: Some(cmp(col("station"), CmpOp::Eq, text("ST000011"))),
            columns: vec![
                col("date"),
                col("station"),
                col("measured_at"),
                col("temperature"),
                col("humidity"),
            ],
            limit: None,
        },
        ScanRequest {
            table: "temps".into(),
            filter: Some(Predicate::And(vec![
                cmp(col("region"), CmpOp::Eq, text("asia")),
                cmp(col("humidity"), CmpOp::Lt, Value::Float64(5.0)),
            ])),
            columns: vec![
                col("country"),
                Expr::Extract {
                    field: ExtractField::Hour,
                    arg: Box::new(col("measured_at")),
                },
            ],
            limit: None,
        },
    ];
    for r in &reqs {
        let want = naive_scan(&schema, &rows, r);
        assert!(!want.is_empty());
        for p in ["bitmap-scan", "scan"] {
            if let Ok(got) = db.scan_via(r, Some(p)) {
                assert_rows_eq(got.rows, want.clone(), &format!("scan via {p}"));
            }
        }
    }
    let mut limited = reqs[0].clone();
    limited.limit = Some(3);
    assert_eq!(db.scan(&limited).unwrap().rows.len(), 3);
}
