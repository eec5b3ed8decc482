//! Planning: partition pruning and the choice of path.
//!
//! 1. Partition pruning: predicate atoms on partition columns are decided per
//!    segment (the value is in META); a segment stays only if the predicate
//!    can still be true. Unavailable (quarantined) partitions that may match
//!    fail the request with `Corrupted`.
//! 2. Path: a rollup covering every group key, filter column and aggregate;
//!    else the value index of the one non-partition dimension the query
//!    touches; else bitmaps for the dimension conjuncts of the filter, then a
//!    scan of the selected rows; else a scan.

use std::sync::Arc;

use crate::error::{IndexError, Result};
use crate::query::compile::{CAtom, CExpr, CPred, Compiled};
use crate::query::expr::apply;
use crate::query::request::{AggFunc, Explain};
use crate::schema::ColumnRole;
use crate::segment::read::LoadedSegment;
use crate::table::TableSnapshot;
use crate::value::{ScalarType, Value};

/// How a request is answered.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum PathKind {
    Rollup(String),
    ValueStats(usize),
    BitmapScan,
    Scan,
}

impl PathKind {
    pub fn name(&self) -> &'static str {
        match self {
            PathKind::Rollup(_) => "rollup",
            PathKind::ValueStats(_) => "value-stats",
            PathKind::BitmapScan => "bitmap-scan",
            PathKind::Scan => "scan",
        }
    }
}

/// A path with its explanation.
#[derive(Debug, Clone)]
pub struct PathChoice {
    pub kind: PathKind,
    pub index: Option<String>,
    pub reason: String,
}

// ---------------------------------------------------------------- pruning

fn mask(t: Option<bool>) -> u8 {
    match t {
        Some(true) => 1,
        Some(false) => 2,
        None => 4,
    }
}

pub(crate) fn is_partition(q: &Compiled, c: usize) -> bool {
    q.schema.columns.get(c).is_some_and(|c| c.partition)
}

/// Segments whose partition values may satisfy the filter. Fails with
/// `Corrupted` when an unavailable (quarantined) partition may.
pub fn prune(q: &Compiled, snap: &TableSnapshot) -> Result<Vec<Arc<LoadedSegment>>> {
    let Some(pred) = &q.pred else {
        check_unavailable(q, snap, |_| true)?;
        return Ok(snap.segments.values().cloned().collect());
    };
    let true_ids: Vec<Option<Vec<u32>>> = q.atoms.iter().map(|a| true_ids(q, a)).collect();
    let any_membership = true_ids.iter().any(Option::is_some);
    // Partition values first (cheap); dictionary membership only for the
    // segments they keep.
    let keep = |seg: &LoadedSegment| {
        let possible = |membership: bool| {
            pred.possible(&|i| {
                let a = &q.atoms[i];
                match a.expr.col {
                    None => mask(a.null_truth),
                    Some(c) if is_partition(q, c) => mask(a.truth_of_id(seg.part_id(c))),
                    Some(c) => match &true_ids[i] {
                        Some(ids) if membership => membership_mask(a, seg, c, ids),
                        _ => 7,
                    },
                }
            }) & 1
                != 0
        };
        possible(false) && (!any_membership || possible(true))
    };
    check_unavailable(q, snap, |values| {
        pred.possible(&|i| {
            let a = &q.atoms[i];
            match a.expr.col {
                None => mask(a.null_truth),
                Some(c) if is_partition(q, c) => {
                    let name = &q.schema.columns[c].name;
                    let v = values
                        .iter()
                        .find(|(n, _)| n == name)
                        .map_or(Value::Null, |(_, v)| v.clone());
                    mask(a.test.eval(&apply(&a.expr.expr, &v)))
                }
                Some(_) => 7,
            }
        }) & 1
            != 0
    })?;
    Ok(snap
        .segments
        .values()
        .filter(|s| keep(s))
        .cloned()
        .collect())
}

/// Above this many ids an atom's truth is not decided by dictionary membership.
const MEMBERSHIP_IDS: usize = 64;

/// The ids for which dictionary atom `a` (on a non-partition column) is true,
/// when there are few of them.
pub(crate) fn true_ids(q: &Compiled, a: &CAtom) -> Option<Vec<u32>> {
    let c = a.expr.col?;
    if !a.expr.dict || is_partition(q, c) {
        return None;
    }
    let mut ids = Vec::new();
    for (id, t) in a.truth.iter().enumerate() {
        if *t == Some(true) {
            if ids.len() == MEMBERSHIP_IDS {
                return None;
            }
            ids.push(id as u32);
        }
    }
    Some(ids)
}

/// The possible outcomes of dictionary atom `a` on column `c` in `seg`: true
/// only if one of `ids` (or NULL, when the atom is true for NULL) occurs in
/// the segment's dictionary slice.
fn membership_mask(a: &CAtom, seg: &LoadedSegment, c: usize, ids: &[u32]) -> u8 {
    let Some(col) = seg.meta.columns.get(c) else {
        return 7;
    };
    if col.partition || !col.is_dict() {
        return 7;
    }
    let slice = seg.slice(c);
    // Ids newer than the query's tables read as NULL (`truth_of_id`).
    let unknown_ids = slice.last().is_some_and(|&l| l as usize >= a.truth.len());
    let may_be_true = ((col.has_nulls || unknown_ids) && a.null_truth == Some(true))
        || ids.iter().any(|id| slice.binary_search(id).is_ok());
    if may_be_true { 7 } else { 2 | 4 }
}

/// For the value-stats path over dimension `d`: the ids whose entries can
/// pass the filter (NULL aside), when the filter pins `d` to a few ids.
pub(crate) fn entry_restriction(q: &Compiled, d: usize) -> Option<Vec<u32>> {
    let pred = q.pred.as_ref()?;
    let mut ids = Vec::new();
    let mut on_d = vec![false; q.atoms.len()];
    for i in q.pred_atoms() {
        let a = &q.atoms[i];
        // Atoms true for NULL are also true for ids newer than the query.
        if a.expr.col == Some(d)
            && a.null_truth != Some(true)
            && let Some(t) = true_ids(q, a)
        {
            ids.extend(t);
            on_d[i] = true;
        }
    }
    // With every such atom false or unknown, the filter must not be true.
    if pred.possible(&|i| if on_d[i] { 2 | 4 } else { 7 }) & 1 != 0 {
        return None;
    }
    ids.sort_unstable();
    ids.dedup();
    Some(ids)
}

fn check_unavailable(
    q: &Compiled,
    snap: &TableSnapshot,
    needed: impl Fn(&[(String, Value)]) -> bool,
) -> Result<()> {
    for (partition, u) in &snap.unavailable {
        if needed(&u.values) {
            return Err(IndexError::Corrupted {
                table: q.schema.name.clone(),
                partition: partition.clone(),
                path: u.path.clone(),
            });
        }
    }
    Ok(())
}

// ---------------------------------------------------------------- planning

pub(crate) struct Coverage {
    /// By schema column: value known per group (partition or key column).
    pub covered: Vec<bool>,
    /// By schema column: a distinct-id bitmap per group.
    pub distinct: Vec<bool>,
}

fn covers(q: &Compiled, cov: &Coverage) -> bool {
    let dict_covered = |e: &CExpr| e.col.is_none_or(|c| e.dict && cov.covered[c]);
    if !q.group.iter().all(dict_covered) || !q.atoms.iter().all(|a| dict_covered(&a.expr)) {
        return false;
    }
    q.aggs.iter().all(|a| match &a.arg {
        None => true,
        Some(e) if dict_covered(e) => true,
        Some(e) => {
            let c = e.col.unwrap_or(usize::MAX);
            let measure = q
                .schema
                .columns
                .get(c)
                .is_some_and(|col| col.role == ColumnRole::Measure);
            (measure && e.is_column && a.func != AggFunc::CountDistinct)
                || (a.func == AggFunc::CountDistinct
                    && e.is_column
                    && e.dict
                    && cov.distinct.get(c) == Some(&true))
        }
    })
}

fn indexed_dims(q: &Compiled) -> Vec<usize> {
    (0..q.schema.columns.len())
        .filter(|&c| {
            let col = &q.schema.columns[c];
            !col.partition && col.role == ColumnRole::Dimension
        })
        .collect()
}

pub(crate) fn rollup_coverage(q: &Compiled, dims: &[String]) -> Coverage {
    let n = q.schema.columns.len();
    let mut covered = vec![false; n];
    for (c, col) in q.schema.columns.iter().enumerate() {
        covered[c] = col.partition || dims.contains(&col.name);
    }
    let mut distinct = vec![false; n];
    for c in indexed_dims(q) {
        distinct[c] = !covered[c];
    }
    Coverage { covered, distinct }
}

/// The non-partition text/date columns a request reads.
fn touched_dims(q: &Compiled) -> Vec<usize> {
    let mut v: Vec<usize> = q
        .columns()
        .into_iter()
        .filter(|&c| {
            let col = &q.schema.columns[c];
            !col.partition && matches!(col.ty, ScalarType::Text | ScalarType::Date)
        })
        .collect();
    v.dedup();
    v
}

/// Whether conjunct `p` can be answered from partition values and value indexes.
pub(crate) fn bitmap_conjunct(q: &Compiled, p: &CPred) -> bool {
    let mut atoms = Vec::new();
    p.atoms(&mut atoms);
    let mut on_dim = false;
    for i in atoms {
        match q.atoms[i].expr.col {
            None => {}
            Some(c) if is_partition(q, c) => {}
            Some(c)
                if q.schema.columns[c].role == ColumnRole::Dimension && q.atoms[i].expr.dict =>
            {
                on_dim = true
            }
            Some(_) => return false,
        }
    }
    on_dim
}

/// Every path that can answer an aggregate request, best first.
pub fn aggregate_paths(q: &Compiled) -> Vec<PathChoice> {
    let mut out = Vec::new();
    let mut rollups: Vec<_> = q
        .schema
        .rollups
        .iter()
        .filter(|r| covers(q, &rollup_coverage(q, &r.dimensions)))
        .collect();
    rollups.sort_by_key(|r| {
        r.dimensions
            .iter()
            .filter(|d| q.schema.column(d).is_some_and(|c| !c.partition))
            .count()
    });
    for r in rollups {
        out.push(PathChoice {
            kind: PathKind::Rollup(r.name.clone()),
            index: Some(r.name.clone()),
            reason: format!(
                "rollup \"{}\" covers every group key, filter column and aggregate",
                r.name
            ),
        });
    }
    if let [d] = touched_dims(q)[..]
        && q.schema.columns[d].role == ColumnRole::Dimension
    {
        let name = q.schema.columns[d].name.clone();
        let mut cov = rollup_coverage(q, std::slice::from_ref(&name));
        cov.distinct.iter_mut().for_each(|x| *x = false);
        if covers(q, &cov) {
            out.push(PathChoice {
                kind: PathKind::ValueStats(d),
                index: Some(name.clone()),
                reason: format!(
                    "per-value stats of dimension \"{name}\" answer every group and aggregate"
                ),
            });
        }
    }
    out.extend(filter_paths(q));
    out
}

/// Bitmap-scan (when the filter has dimension conjuncts), then scan.
pub fn filter_paths(q: &Compiled) -> Vec<PathChoice> {
    let mut out = Vec::new();
    if let Some(p) = &q.pred {
        let dims: Vec<String> = p
            .conjuncts()
            .into_iter()
            .filter(|c| bitmap_conjunct(q, c))
            .flat_map(|c| {
                let mut a = Vec::new();
                c.atoms(&mut a);
                a.into_iter()
                    .filter_map(|i| q.atoms[i].expr.col)
                    .filter(|&c| !is_partition(q, c))
                    .map(|c| q.schema.columns[c].name.clone())
                    .collect::<Vec<_>>()
            })
            .collect();
        if let Some(first) = dims.first() {
            out.push(PathChoice {
                kind: PathKind::BitmapScan,
                index: Some(first.clone()),
                reason: "the filter on indexed dimensions selects rows by bitmap; only those rows are scanned".into(),
            });
        }
    }
    out.push(PathChoice {
        kind: PathKind::Scan,
        index: None,
        reason: "no rollup or value index covers the request; every row of the selected partitions is read".into(),
    });
    out
}

/// An upper bound on the entries `path` reads over `segs`: rollup groups,
/// value-index entries, else rows. Reads section headers only; callers use it
/// to tell answers of a few microseconds from scans.
pub fn work(q: &Compiled, segs: &[Arc<LoadedSegment>], path: &PathKind) -> Result<usize> {
    let mut total = 0usize;
    for seg in segs {
        let n = match path {
            PathKind::Rollup(name) => match seg.rollup(name)? {
                Some(r) => r.groups(),
                None => seg.rows(),
            },
            PathKind::ValueStats(d) => match seg.value_index(*d)? {
                Some(v) if !is_partition(q, *d) => v.entries(),
                _ => seg.rows(),
            },
            PathKind::BitmapScan | PathKind::Scan => seg.rows(),
        };
        total = total.saturating_add(n);
    }
    Ok(total)
}

pub fn explain(choice: &PathChoice, total: usize, selected: usize) -> Explain {
    Explain {
        path: choice.kind.name().to_owned(),
        index: choice.index.clone(),
        reason: choice.reason.clone(),
        segments_total: total,
        segments_selected: selected,
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use crate::query::request::{AggFunc, Aggregate, CmpOp, Predicate};
    use crate::tests::paths::{build_db, col, req, text};
    use crate::value::Value;

    #[test]
    fn aggregate_within_runs_only_what_fits_the_budget() {
        let dir = tempfile::tempdir().unwrap();
        let (db, _) = build_db(dir.path(), true);
        let count = vec![Aggregate::new(AggFunc::CountStar, None)];
        // By country: the rollup answers, one group per country per segment.
        let by_country = req(vec![col("country")], count.clone(), None);
        let all = db.aggregate(&by_country).unwrap();
        assert_eq!(
            db.aggregate_within(&by_country, usize::MAX).unwrap(),
            Some(all)
        );
        assert_eq!(db.aggregate_within(&by_country, 0).unwrap(), None);
        // A filter on a measure: a scan, bounded by the rows it reads.
        let humid = Predicate::Compare {
            expr: col("humidity"),
            op: CmpOp::Gt,
            value: Value::Float64(50.0),
        };
        let scan = req(
            vec![],
            vec![Aggregate::new(AggFunc::CountStar, None)],
            Some(humid),
        );
        assert_eq!(db.explain_aggregate(&scan).unwrap().path, "scan");
        let rows: usize = db.list_tables().iter().map(|t| t.rows as usize).sum();
        assert_eq!(db.aggregate_within(&scan, rows - 1).unwrap(), None);
        assert_eq!(
            db.aggregate_within(&scan, rows).unwrap(),
            Some(db.aggregate(&scan).unwrap())
        );
    }

    #[test]
    fn dictionary_membership_prunes_segments() {
        let dir = tempfile::tempdir().unwrap();
        let (db, _) = build_db(dir.path(), true);
        let count = vec![Aggregate::new(AggFunc::CountStar, None)];
        let is_c0 = Predicate::Compare {
            expr: col("country"),
            op: CmpOp::Eq,
            value: text("asia-c0"),
        };
        let e = db
            .explain_aggregate(&req(vec![], count.clone(), Some(is_c0.clone())))
            .unwrap();
        assert!(e.segments_selected < e.segments_total, "{e:?}");
        assert!(e.segments_selected > 0, "{e:?}");
        // NOT keeps every segment: a segment without asia-c0 makes it true.
        let e = db
            .explain_aggregate(&req(
                vec![],
                count.clone(),
                Some(Predicate::Not(Box::new(is_c0.clone()))),
            ))
            .unwrap();
        assert_eq!(e.segments_selected, e.segments_total);
        // The pruned answer equals the unpruned per-country answer.
        let pruned = db
            .aggregate_via(&req(vec![], count.clone(), Some(is_c0)), Some("scan"))
            .unwrap();
        let all = db
            .aggregate_via(&req(vec![col("country")], count, None), Some("scan"))
            .unwrap();
        let want = all
            .rows
            .iter()
            .find(|r| r[0] == text("asia-c0"))
            .map(|r| r[1].clone())
            .unwrap();
        assert!(matches!(want, Value::Int64(n) if n > 0));
        assert_eq!(pruned.rows, vec![vec![want]]);
    }

    #[test]
    fn value_stats_with_a_pinned_dimension_matches_scan() {
        let dir = tempfile::tempdir().unwrap();
        let (db, _) = build_db(dir.path(), false);
        let aggs = vec![
            Aggregate::new(AggFunc::CountStar, None),
            Aggregate::new(AggFunc::Max, Some(col("temperature"))),
        ];
        let eq = |v: &str| Predicate::Compare {
            expr: col("country"),
            op: CmpOp::Eq,
            value: text(v),
        };
        for filter in [
            eq("asia-c0"),
            Predicate::Or(vec![eq("asia-c0"), eq("europe-c1")]),
            Predicate::Or(vec![
                eq("asia-c0"),
                Predicate::IsNull {
                    expr: col("country"),
                    negated: false,
                },
            ]),
            Predicate::Not(Box::new(eq("asia-c0"))),
        ] {
            let r = req(vec![col("country")], aggs.clone(), Some(filter));
            let vs = db.aggregate_via(&r, Some("value-stats")).unwrap();
            let scan = db.aggregate_via(&r, Some("scan")).unwrap();
            assert!(!vs.rows.is_empty());
            let sorted = |mut rows: Vec<Vec<Value>>| {
                rows.sort_by_key(|r| format!("{r:?}"));
                rows
            };
            assert_eq!(sorted(vs.rows), sorted(scan.rows));
        }
    }
}
