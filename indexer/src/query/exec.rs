//! Planning and execution.
//!
//! 1. Partition pruning: predicate atoms on partition columns are decided per
//!    segment (the value is in META); a segment stays only if the predicate
//!    can still be true.
//! 2. Path: a rollup covering every group key, filter column and aggregate;
//!    else the value index of the one non-partition dimension the query
//!    touches; else bitmaps for the dimension conjuncts of the filter, then a
//!    scan of the selected rows; else a scan.
//! 3. Execution feeds one [`GroupTable`] per request. A segment lacking the
//!    chosen structure is scanned instead, so answers never depend on the path.

use std::borrow::Cow;
use std::sync::Arc;

use roaring::RoaringBitmap;

use crate::dictionary::NULL_ID;
use crate::error::{IndexError, Result};
use crate::query::agg::{GroupTable, KeyInterner};
use crate::query::compile::{CAtom, CExpr, CPred, Compiled};
use crate::query::expr::apply;
use crate::query::request::{AggFunc, Explain, ResultSet};
use crate::schema::ColumnRole;
use crate::segment::encoding::{FloatColumn, IntColumn};
use crate::segment::read::{DimColumn, LoadedSegment};
use crate::segment::stats::MeasureStats;
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

fn is_partition(q: &Compiled, c: usize) -> bool {
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

struct Coverage {
    /// By schema column: value known per group (partition or key column).
    covered: Vec<bool>,
    /// By schema column: a distinct-id bitmap per group.
    distinct: Vec<bool>,
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

fn rollup_coverage(q: &Compiled, dims: &[String]) -> Coverage {
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
fn bitmap_conjunct(q: &Compiled, p: &CPred) -> bool {
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

// ---------------------------------------------------------------- row access

enum Access<'a> {
    Absent,
    Const(u32),
    Dim(DimColumn<'a>),
    Float(FloatColumn<'a>),
    Int(IntColumn<'a>, ScalarType),
}

/// Random access to the columns a request reads, for one segment.
struct SegRows<'a> {
    access: Vec<Access<'a>>,
}

impl<'a> SegRows<'a> {
    fn open(q: &Compiled, seg: &'a LoadedSegment) -> Result<SegRows<'a>> {
        let mut access: Vec<Access<'a>> = (0..q.schema.columns.len())
            .map(|_| Access::Absent)
            .collect();
        for c in q.columns() {
            let col = &q.schema.columns[c];
            access[c] = if col.partition {
                Access::Const(seg.part_id(c))
            } else {
                match col.ty {
                    ScalarType::Text | ScalarType::Date => Access::Dim(seg.dim_column(c)?),
                    ScalarType::Float64 => Access::Float(seg.float_column(c)?),
                    ScalarType::Int64 | ScalarType::Timestamp | ScalarType::TimestampTz => {
                        Access::Int(seg.int_column(c)?, col.ty)
                    }
                    other => {
                        return Err(IndexError::Unsupported(format!(
                            "column type {}",
                            other.pg_name()
                        )));
                    }
                }
            };
        }
        Ok(SegRows { access })
    }

    #[inline]
    fn id(&self, c: usize, row: usize) -> u32 {
        match &self.access[c] {
            Access::Const(id) => *id,
            Access::Dim(d) => d.id(row),
            _ => NULL_ID,
        }
    }

    #[inline]
    fn float(&self, c: usize, row: usize) -> Option<f64> {
        match &self.access[c] {
            Access::Float(f) => f.get(row),
            _ => None,
        }
    }

    /// A non-dictionary column's value.
    fn leaf(&self, c: usize, row: usize) -> Value {
        match &self.access[c] {
            Access::Float(f) => f.get(row).map_or(Value::Null, Value::Float64),
            Access::Int(i, ty) => match (i.get(row), ty) {
                (None, _) => Value::Null,
                (Some(v), ScalarType::Timestamp) => Value::Timestamp(v),
                (Some(v), ScalarType::TimestampTz) => Value::TimestampTz(v),
                (Some(v), _) => Value::Int64(v),
            },
            _ => Value::Null,
        }
    }

    #[inline]
    fn eval<'e>(&self, e: &'e CExpr, row: usize) -> Cow<'e, Value> {
        match e.col {
            None => Cow::Borrowed(&e.null_value),
            Some(c) if e.dict => Cow::Borrowed(e.value_of_id(self.id(c, row))),
            Some(c) => {
                let v = self.leaf(c, row);
                if e.is_column {
                    Cow::Owned(v)
                } else {
                    Cow::Owned(apply(&e.expr, &v))
                }
            }
        }
    }

    #[inline]
    fn atom(&self, a: &CAtom, row: usize) -> Option<bool> {
        match a.expr.col {
            None => a.null_truth,
            Some(c) if a.expr.dict => a.truth_of_id(self.id(c, row)),
            Some(_) => a.test.eval(&self.eval(&a.expr, row)),
        }
    }
}

// ---------------------------------------------------------------- execution

struct Acc {
    groups: GroupTable,
    interners: Vec<KeyInterner>,
    key: Vec<u32>,
}

fn scan_segment(
    q: &Compiled,
    seg: &LoadedSegment,
    rows: Option<&RoaringBitmap>,
    acc: &mut Acc,
) -> Result<()> {
    let r = SegRows::open(q, seg)?;
    let mut visit = |row: usize| {
        if let Some(p) = &q.pred
            && p.eval(&mut |i| r.atom(&q.atoms[i], row)) != Some(true)
        {
            return;
        }
        for (j, g) in q.group.iter().enumerate() {
            acc.key[j] = match g.col {
                Some(c) if g.dict => acc.interners[j].code_of_id(r.id(c, row)),
                _ => {
                    let v = r.eval(g, row);
                    acc.interners[j].code(&v)
                }
            };
        }
        let gi = acc.groups.group(&acc.key);
        for (a, st) in q.aggs.iter().zip(acc.groups.states[gi].iter_mut()) {
            match &a.arg {
                None => st.add_count(1),
                Some(e) => match e.col {
                    Some(c) if e.is_column && e.ty == ScalarType::Float64 => {
                        if let Some(x) = r.float(c, row) {
                            st.add_f64(x);
                        }
                    }
                    Some(c) if e.is_column && e.dict && a.func == AggFunc::CountDistinct => {
                        st.add_id(r.id(c, row))
                    }
                    _ => st.add_value(&r.eval(e, row), 1),
                },
            }
        }
    };
    match rows {
        Some(b) => b.iter().for_each(|row| visit(row as usize)),
        None => (0..seg.rows()).for_each(visit),
    }
    Ok(())
}

/// Feeds one pre-aggregated group (rollup group or value-index entry).
fn feed_group(
    q: &Compiled,
    acc: &mut Acc,
    covered: &[bool],
    id_of: &dyn Fn(usize) -> u32,
    rows: u64,
    stats_of: &dyn Fn(usize) -> Result<MeasureStats>,
    distinct_of: &dyn Fn(usize) -> Result<RoaringBitmap>,
) -> Result<()> {
    if rows == 0 {
        return Ok(());
    }
    if let Some(p) = &q.pred {
        let keep = p.eval(&mut |i| {
            let a = &q.atoms[i];
            match a.expr.col {
                None => a.null_truth,
                Some(c) => a.truth_of_id(id_of(c)),
            }
        });
        if keep != Some(true) {
            return Ok(());
        }
    }
    for (j, g) in q.group.iter().enumerate() {
        acc.key[j] = match g.col {
            Some(c) => acc.interners[j].code_of_id(id_of(c)),
            None => {
                let v = g.null_value.clone();
                acc.interners[j].code(&v)
            }
        };
    }
    let gi = acc.groups.group(&acc.key);
    for (a, st) in q.aggs.iter().zip(acc.groups.states[gi].iter_mut()) {
        match &a.arg {
            None => st.add_count(rows),
            Some(e) => match e.col {
                None => st.add_value(&e.null_value, rows),
                Some(c) if covered[c] && e.dict => {
                    if a.func == AggFunc::CountDistinct && e.is_column {
                        st.add_id(id_of(c));
                    } else {
                        st.add_value(e.value_of_id(id_of(c)), rows);
                    }
                }
                Some(c) if a.func == AggFunc::CountDistinct => st.add_bitmap(&distinct_of(c)?),
                Some(c) => st.add_stats(&stats_of(c)?),
            },
        }
    }
    Ok(())
}

/// Answers one segment from rollup `name`; false if the segment lacks it.
fn rollup_segment(q: &Compiled, seg: &LoadedSegment, name: &str, acc: &mut Acc) -> Result<bool> {
    let Some(meta) = seg.meta.rollups.iter().find(|r| r.name == name) else {
        return Ok(false);
    };
    let cov = rollup_coverage(q, &meta.dimensions);
    let needs_distinct = q.aggs.iter().any(|a| {
        a.func == AggFunc::CountDistinct
            && a.arg
                .as_ref()
                .and_then(|e| e.col)
                .is_some_and(|c| !cov.covered[c] && !meta.distinct.contains(&c))
    });
    if needs_distinct {
        return Ok(false);
    }
    let Some(view) = seg.rollup(name)? else {
        return Ok(false);
    };
    for g in 0..view.groups() {
        let id_of = |c: usize| -> u32 {
            if is_partition(q, c) {
                seg.part_id(c)
            } else {
                meta.key
                    .iter()
                    .position(|&k| k == c)
                    .and_then(|j| view.key(g, j).ok())
                    .unwrap_or(NULL_ID)
            }
        };
        let stats_of = |c: usize| -> Result<MeasureStats> {
            let k = seg
                .meta
                .measures
                .iter()
                .position(|&m| m == c)
                .ok_or_else(|| missing("measure stats"))?;
            view.stats(g, k)
        };
        let distinct_of = |c: usize| -> Result<RoaringBitmap> {
            let j = meta
                .distinct
                .iter()
                .position(|&d| d == c)
                .ok_or_else(|| missing("distinct bitmap"))?;
            view.distinct(g, j)
        };
        feed_group(
            q,
            acc,
            &cov.covered,
            &id_of,
            u64::from(view.rows(g)?),
            &stats_of,
            &distinct_of,
        )?;
    }
    Ok(true)
}

fn missing(what: &str) -> IndexError {
    IndexError::Internal(format!("planned path needs a {what} the segment lacks"))
}

/// Answers one segment from dimension `d`'s value index; false if it has none.
fn value_stats_segment(q: &Compiled, seg: &LoadedSegment, d: usize, acc: &mut Acc) -> Result<bool> {
    let Some(vi) = seg.value_index(d)? else {
        return Ok(false);
    };
    let mut covered: Vec<bool> = q.schema.columns.iter().map(|c| c.partition).collect();
    covered[d] = true;
    for e in 0..vi.entries() {
        let id_of = |c: usize| {
            if c == d {
                vi.entry_id(e)
            } else {
                seg.part_id(c)
            }
        };
        let stats_of = |c: usize| -> Result<MeasureStats> {
            let k = seg
                .meta
                .measures
                .iter()
                .position(|&m| m == c)
                .ok_or_else(|| missing("measure stats"))?;
            vi.stats(e, k)
        };
        let distinct_of = |_: usize| -> Result<RoaringBitmap> { Err(missing("distinct bitmap")) };
        feed_group(
            q,
            acc,
            &covered,
            &id_of,
            u64::from(vi.rows(e)?),
            &stats_of,
            &distinct_of,
        )?;
    }
    Ok(true)
}

/// Rows where the bitmap-able conjuncts of the filter are true; `None` when
/// none is bitmap-able here.
fn candidate_rows(q: &Compiled, seg: &LoadedSegment) -> Result<Option<RoaringBitmap>> {
    let Some(pred) = &q.pred else { return Ok(None) };
    let mut all = RoaringBitmap::new();
    all.insert_range(0..seg.rows() as u32);
    let mut out: Option<RoaringBitmap> = None;
    for c in pred.conjuncts() {
        if !bitmap_conjunct(q, c) {
            continue;
        }
        let Some((t, _)) = pred_bitmaps(q, seg, c, &all)? else {
            continue;
        };
        out = Some(match out {
            Some(o) => o & t,
            None => t,
        });
    }
    Ok(out)
}

/// `(true rows, unknown rows)` of `p`; `None` when a dimension lacks a value index here.
fn pred_bitmaps(
    q: &Compiled,
    seg: &LoadedSegment,
    p: &CPred,
    all: &RoaringBitmap,
) -> Result<Option<(RoaringBitmap, RoaringBitmap)>> {
    let konst = |t: Option<bool>| match t {
        Some(true) => (all.clone(), RoaringBitmap::new()),
        Some(false) => (RoaringBitmap::new(), RoaringBitmap::new()),
        None => (RoaringBitmap::new(), all.clone()),
    };
    Ok(Some(match p {
        CPred::Const(b) => konst(*b),
        CPred::Atom(i) => {
            let a = &q.atoms[*i];
            match a.expr.col {
                None => konst(a.null_truth),
                Some(c) if is_partition(q, c) => konst(a.truth_of_id(seg.part_id(c))),
                Some(c) => {
                    let Some(vi) = seg.value_index(c)? else {
                        return Ok(None);
                    };
                    let (mut t, mut u) = (RoaringBitmap::new(), RoaringBitmap::new());
                    for e in 0..vi.entries() {
                        match a.truth_of_id(vi.entry_id(e)) {
                            Some(true) => t |= vi.bitmap(e)?,
                            None => u |= vi.bitmap(e)?,
                            Some(false) => {}
                        }
                    }
                    (t, u)
                }
            }
        }
        CPred::Not(inner) => {
            let Some((t, u)) = pred_bitmaps(q, seg, inner, all)? else {
                return Ok(None);
            };
            (all - &t - &u, u)
        }
        CPred::And(ps) => {
            let (mut t, mut f) = (all.clone(), RoaringBitmap::new());
            for p in ps {
                let Some((pt, pu)) = pred_bitmaps(q, seg, p, all)? else {
                    return Ok(None);
                };
                f |= all - &pt - &pu;
                t &= pt;
            }
            let u = all - &t - &f;
            (t, u)
        }
        CPred::Or(ps) => {
            let (mut t, mut f) = (RoaringBitmap::new(), all.clone());
            for p in ps {
                let Some((pt, pu)) = pred_bitmaps(q, seg, p, all)? else {
                    return Ok(None);
                };
                f &= all - &pt - &pu;
                t |= pt;
            }
            let u = all - &t - &f;
            (t, u)
        }
    }))
}

/// Answers an aggregate request over `segs` along `path`.
pub fn run_aggregate(
    q: &Compiled,
    segs: &[Arc<LoadedSegment>],
    path: &PathKind,
) -> Result<ResultSet> {
    let mut acc = Acc {
        groups: GroupTable::new(&q.aggs),
        interners: q.group.iter().map(KeyInterner::new).collect(),
        key: vec![0; q.group.len()],
    };
    for seg in segs {
        let done = match path {
            PathKind::Rollup(name) => rollup_segment(q, seg, name, &mut acc)?,
            PathKind::ValueStats(d) => value_stats_segment(q, seg, *d, &mut acc)?,
            PathKind::BitmapScan => {
                let rows = candidate_rows(q, seg)?;
                scan_segment(q, seg, rows.as_ref(), &mut acc)?;
                true
            }
            PathKind::Scan => false,
        };
        if !done {
            scan_segment(q, seg, None, &mut acc)?;
        }
    }
    Ok(ResultSet {
        types: q.output_types(),
        rows: acc.groups.finish(&acc.interners, &q.aggs),
    })
}

/// Answers a scan (detail rows) request.
pub fn run_scan(
    q: &Compiled,
    segs: &[Arc<LoadedSegment>],
    path: &PathKind,
    limit: Option<usize>,
) -> Result<ResultSet> {
    let limit = limit.unwrap_or(usize::MAX);
    let mut rows = Vec::new();
    for seg in segs {
        if rows.len() >= limit {
            break;
        }
        let cand = if *path == PathKind::BitmapScan {
            candidate_rows(q, seg)?
        } else {
            None
        };
        let r = SegRows::open(q, seg)?;
        let mut visit = |row: usize| -> bool {
            if let Some(p) = &q.pred
                && p.eval(&mut |i| r.atom(&q.atoms[i], row)) != Some(true)
            {
                return true;
            }
            rows.push(
                q.select
                    .iter()
                    .map(|e| r.eval(e, row).into_owned())
                    .collect(),
            );
            rows.len() < limit
        };
        match cand {
            Some(b) => {
                for row in b.iter() {
                    if !visit(row as usize) {
                        break;
                    }
                }
            }
            None => {
                for row in 0..seg.rows() {
                    if !visit(row) {
                        break;
                    }
                }
            }
        }
    }
    Ok(ResultSet {
        types: q.select.iter().map(|e| e.ty).collect(),
        rows,
    })
}
