//! Failed pushes, corruption and quarantine.
#![allow(clippy::unwrap_used)]

use bytes::Bytes;

use crate::database::Database;
use crate::error::IndexError;
use crate::query::request::{AggFunc, Aggregate, CmpOp, Predicate};
use crate::tests::naive::*;
use crate::tests::paths::{build_db, col, req, text};

fn count_all(db: &Database) -> crate::Result<i64> {
    let r = db.aggregate(&req(
        vec![],
        vec![Aggregate::new(AggFunc::CountStar, None)],
        None,
    ))?;
    match r.rows[0][0] {
        crate::Value::Int64(n) => Ok(n),
        _ => panic!("not a count"),
    }
}

#[test]
fn failed_pushes_leave_previous_data() {
    let dir = tempfile::tempdir().unwrap();
    let (db, parts) = build_db(dir.path(), false);
    let total: usize = parts.iter().map(|p| p.rows.len()).sum();
    assert_eq!(count_all(&db).unwrap(), total as i64);
    let files_before = std::fs::read_dir(dir.path().join("segments/temps"))
        .unwrap()
        .count();
    let r = db.put_partition("temps", &parts[0].path, Bytes::from_static(b"garbage"));
    assert!(matches!(r, Err(IndexError::BadParquet(_))), "{r:?}");
    // A file with another schema.
    let other = {
        use arrow::array::{Float64Array, RecordBatch};
        use arrow::datatypes::{DataType, Field, Schema};
        let schema =
            std::sync::Arc::new(Schema::new(vec![Field::new("x", DataType::Float64, true)]));
        let b = RecordBatch::try_new(
            schema,
            vec![std::sync::Arc::new(Float64Array::from(vec![1.0]))],
        )
        .unwrap();
        crate::ingest::parquet::tests::write_parquet(&[b], parquet::basic::Compression::SNAPPY, 10)
    };
    let r = db.put_partition("temps", &parts[0].path, other);
    assert!(matches!(r, Err(IndexError::SchemaMismatch { .. })), "{r:?}");
    let r = db.put_partition("temps", "region=europe", parquet_of(&parts[0]));
    assert!(
        matches!(r, Err(IndexError::BadPartitionPath { .. })),
        "{r:?}"
    );
    let r = db.put_partition("bad/name", &parts[0].path, parquet_of(&parts[0]));
    assert!(matches!(r, Err(IndexError::BadDefinition(_))), "{r:?}");
    assert_eq!(count_all(&db).unwrap(), total as i64);
    assert_eq!(
        std::fs::read_dir(dir.path().join("segments/temps"))
            .unwrap()
            .count(),
        files_before
    );

    // Replace and delete.
    let small = make_part(DAYS[0], REGIONS[0], 99, 5);
    let out = db
        .put_partition("temps", &parts[0].path, parquet_of(&small))
        .unwrap();
    assert_eq!(out.rows, 5);
    assert_eq!(
        count_all(&db).unwrap(),
        (total - parts[0].rows.len() + 5) as i64
    );
    db.delete_partition("temps", &parts[0].path).unwrap();
    assert_eq!(
        count_all(&db).unwrap(),
        (total - parts[0].rows.len()) as i64
    );
    assert!(matches!(
        db.delete_partition("temps", &parts[0].path),
        Err(IndexError::UnknownPartition { .. })
    ));
    drop(db);
    let db = Database::open(dir.path()).unwrap();
    assert_eq!(
        count_all(&db).unwrap(),
        (total - parts[0].rows.len()) as i64
    );
    assert_eq!(db.partitions("temps").unwrap().len(), parts.len() - 1);
    let info = db.table_info("temps").unwrap();
    assert_eq!(info.rows as usize, total - parts[0].rows.len());
    assert_eq!(
        info.dimensions,
        vec!["date", "region", "country", "station"]
    );
    assert_eq!(info.measures, vec!["temperature", "humidity"]);
}

fn flip_byte_in_section(path: &std::path::Path, section: u32) {
    let seg = isotherm_storage::Segment::open(path).unwrap();
    let bytes = seg.section(section).unwrap().unwrap();
    let base = std::fs::read(path).unwrap();
    // Find the section's bytes in the file and flip one in the middle.
    let pos = base.windows(bytes.len()).position(|w| w == bytes).unwrap() + bytes.len() / 2;
    drop(seg);
    let mut data = base;
    data[pos] ^= 0x5a;
    std::fs::write(path, data).unwrap();
}

#[test]
fn corruption_is_quarantined_and_reported() {
    let dir = tempfile::tempdir().unwrap();
    let (db, parts) = build_db(dir.path(), false);
    let victim = db
        .partitions("temps")
        .unwrap()
        .into_iter()
        .find(|p| p.partition == parts[1].path)
        .unwrap();
    drop(db);
    let path = dir.path().join("segments/temps").join(&victim.file);
    // Corrupt a lazily read section: the temperature column (schema index 5).
    flip_byte_in_section(&path, crate::segment::section_column(5));
    let db = Database::open(dir.path()).unwrap();
    assert!(db.recovery_report().quarantined.is_empty());
    // A query that prunes the partition away still answers.
    let other_region = Predicate::And(vec![Predicate::Compare {
        expr: col("region"),
        op: CmpOp::Eq,
        value: text(&parts[0].region),
    }]);
    let sum_t = vec![Aggregate::new(AggFunc::Sum, Some(col("temperature")))];
    let ok = db.aggregate_via(
        &req(vec![], sum_t.clone(), Some(other_region.clone())),
        Some("scan"),
    );
    assert!(ok.is_ok(), "{ok:?}");
    // One that needs it fails with Corrupted and quarantines it.
    let r = db.aggregate_via(&req(vec![], sum_t.clone(), None), Some("scan"));
    assert!(
        matches!(&r, Err(IndexError::Corrupted { partition, .. }) if *partition == parts[1].path),
        "{r:?}"
    );
    assert!(!path.exists());
    assert!(
        dir.path()
            .join("quarantine/temps")
            .join(&victim.file)
            .exists()
    );
    // Later queries needing it (any path) also fail; others still answer.
    let r = db.aggregate(&req(vec![], sum_t.clone(), None));
    assert!(matches!(&r, Err(IndexError::Corrupted { .. })), "{r:?}");
    assert!(
        db.aggregate_via(
            &req(vec![], sum_t.clone(), Some(other_region.clone())),
            Some("scan")
        )
        .is_ok()
    );
    let info = db.table_info("temps").unwrap();
    assert_eq!(info.quarantined.len(), 1);
    assert_eq!(info.partitions, parts.len() - 1);
    drop(db);
    // After a restart the partition is still unavailable.
    let db = Database::open(dir.path()).unwrap();
    assert!(matches!(
        db.aggregate(&req(vec![], sum_t.clone(), None)),
        Err(IndexError::Corrupted { .. })
    ));
    // Pushing it again heals it.
    db.put_partition("temps", &parts[1].path, parquet_of(&parts[1]))
        .unwrap();
    let schema = db.schema("temps").unwrap();
    let want = naive_aggregate(
        &schema,
        &table_rows(&parts),
        &req(vec![], sum_t.clone(), None),
    );
    assert_rows_eq(
        db.aggregate(&req(vec![], sum_t.clone(), None))
            .unwrap()
            .rows,
        want,
        "healed",
    );
    drop(db);
    let db = Database::open(dir.path()).unwrap();
    assert!(db.aggregate(&req(vec![], sum_t, None)).is_ok());
}

#[test]
fn segment_failing_open_is_quarantined_at_startup() {
    let dir = tempfile::tempdir().unwrap();
    let (db, parts) = build_db(dir.path(), false);
    let victim = db.partitions("temps").unwrap().remove(2);
    drop(db);
    let path = dir.path().join("segments/temps").join(&victim.file);
    flip_byte_in_section(&path, crate::segment::SECTION_META);
    let db = Database::open(dir.path()).unwrap();
    let rep = db.recovery_report();
    assert_eq!(rep.quarantined.len(), 1);
    assert_eq!(rep.segments_opened, parts.len() - 1);
    assert!(matches!(count_all(&db), Err(IndexError::Corrupted { .. })));
    db.delete_partition("temps", &victim.partition).unwrap();
    assert!(count_all(&db).is_ok());
    drop(db);
    let db = Database::open(dir.path()).unwrap();
    assert!(count_all(&db).is_ok());
}
