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
use crate::query::compile::{CExpr, CPred, Compiled};
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
    let keep = |seg: &LoadedSegment| {
        pred.possible(&|i| {
            let a = &q.atoms[i];
            match a.expr.col {
                None => mask(a.null_truth),
                Some(c) if is_partition(q, c) => mask(a.truth_of_id(seg.part_id(c))),
                Some(_) => 7,
            }
        }) & 1
            != 0
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

pub fn explain(choice: &PathChoice, total: usize, selected: usize) -> Explain {
    Explain {
        path: choice.kind.name().to_owned(),
        index: choice.index.clone(),
        reason: choice.reason.clone(),
        segments_total: total,
        segments_selected: selected,
    }
}
