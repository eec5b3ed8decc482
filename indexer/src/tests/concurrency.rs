//! Queries running while pushes commit see old rows or new, never a mix;
//! table definitions follow the documented rules.
#![allow(clippy::unwrap_used)]

use std::sync::Arc;

use crate::database::Database;
use crate::error::IndexError;
use crate::query::request::{AggFunc, Aggregate};
use crate::table::TableDefinition;
use crate::tests::naive::*;
use crate::tests::paths::{build_db, col, req};
use crate::value::Value;

#[test]
fn queries_see_whole_snapshots_during_pushes() {
    let dir = tempfile::tempdir().unwrap();
    let (db, parts) = build_db(dir.path(), false);
    let db = Arc::new(db);
    let base: usize = parts[1..].iter().map(|p| p.rows.len()).sum();
    let a = make_part(DAYS[0], REGIONS[0], 500, 40);
    let b = make_part(DAYS[0], REGIONS[0], 501, 90);
    let allowed = [base + parts[0].rows.len(), base + 40, base + 90];
    let (pa, pb) = (parquet_of(&a), parquet_of(&b));
    let writer = {
        let db = db.clone();
        let path = parts[0].path.clone();
        std::thread::spawn(move || {
            for i in 0..30 {
                db.put_partition(
                    "temps",
                    &path,
                    if i % 2 == 0 { pa.clone() } else { pb.clone() },
                )
                .unwrap();
            }
        })
    };
    let count = req(vec![], vec![Aggregate::new(AggFunc::CountStar, None)], None);
    let by_region = req(
        vec![col("region")],
        vec![Aggregate::new(AggFunc::CountStar, None)],
        None,
    );
    let mut seen = 0;
    while !writer.is_finished() || seen < 10 {
        for path in ["rollup", "scan"] {
            let r = db.aggregate_via(&count, Some(path)).unwrap();
            let Value::Int64(n) = r.rows[0][0] else {
                panic!()
            };
            assert!(allowed.contains(&(n as usize)), "count {n} via {path}");
        }
        let r = db.aggregate(&by_region).unwrap();
        let total: i64 = r
            .rows
            .iter()
            .map(|row| if let Value::Int64(n) = row[1] { n } else { 0 })
            .sum();
        assert!(allowed.contains(&(total as usize)));
        seen += 1;
    }
    writer.join().unwrap();
    // Old segment files were removed; only live ones remain.
    let files = std::fs::read_dir(dir.path().join("segments/temps"))
        .unwrap()
        .count();
    assert_eq!(files, parts.len());
}

#[test]
fn definitions_before_and_after_data() {
    let dir = tempfile::tempdir().unwrap();
    let db = Database::open(dir.path()).unwrap();
    let def: TableDefinition = serde_json::from_str(
        r#"{"measures":["temperature"],"rollups":[{"name":"by_country","dimensions":["date","country"]}]}"#,
    )
    .unwrap();
    let info = db.define_table("temps", def.clone()).unwrap();
    assert_eq!(info.partitions, 0);
    assert!(matches!(
        db.schema("temps"),
        Err(IndexError::UnknownTable(_))
    ));
    let p = make_part(DAYS[0], REGIONS[0], 3, 50);
    db.put_partition("temps", &p.path, parquet_of(&p)).unwrap();
    let info = db.table_info("temps").unwrap();
    assert_eq!(info.measures, vec!["temperature"]);
    assert_eq!(info.rollups.len(), 2);
    // Identical definition: fine. A new rollup on a table with data: not yet.
    db.define_table("temps", def).unwrap();
    let more: TableDefinition =
        serde_json::from_str(r#"{"rollups":[{"name":"by_station","dimensions":["station"]}]}"#)
            .unwrap();
    let r = db.define_table("temps", more.clone());
    assert!(
        matches!(&r, Err(IndexError::Unsupported(m)) if m.contains("backfill")),
        "{r:?}"
    );
    let bad: TableDefinition = serde_json::from_str(r#"{"dimensions":["humidity"]}"#).unwrap();
    assert!(matches!(
        db.define_table("temps", bad),
        Err(IndexError::BadDefinition(_))
    ));
    // Once the table is empty again, the definition can change.
    db.delete_partition("temps", &p.path).unwrap();
    db.define_table("temps", more).unwrap();
    drop(db);
    let db = Database::open(dir.path()).unwrap();
    let info = db.table_info("temps").unwrap();
    assert_eq!(
        info.rollups
            .iter()
            .map(|r| r.name.as_str())
            .collect::<Vec<_>>(),
        vec!["by_partition", "by_station"]
    );
    assert_eq!(info.measures, vec!["temperature", "humidity"]);
    db.put_partition("temps", &p.path, parquet_of(&p)).unwrap();
    let e = db
        .explain_aggregate(&req(
            vec![col("station")],
            vec![Aggregate::new(AggFunc::CountStar, None)],
            None,
        ))
        .unwrap();
    assert_eq!(e.index.as_deref(), Some("by_station"));
    assert_eq!(db.list_tables().len(), 1);
}
