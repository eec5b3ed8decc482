//! Execution: every path feeds one [`GroupTable`] per request. A segment
//! lacking the chosen structure is scanned instead, so answers never depend
//! on the path. Large scans run on two threads whose partial groups merge.

use std::borrow::Cow;
use std::sync::Arc;

use roaring::RoaringBitmap;

use crate::dictionary::NULL_ID;
use crate::error::{IndexError, Result};
use crate::query::agg::{GroupTable, KeyInterner};
use crate::query::compile::{CAtom, CExpr, CPred, Compiled};
use crate::query::expr::apply;
use crate::query::plan::{
    PathKind, bitmap_conjunct, entry_restriction, is_partition, rollup_coverage,
};
use crate::query::request::{AggFunc, ResultSet};
use crate::segment::encoding::{FloatColumn, IntColumn};
use crate::segment::read::{DimColumn, LoadedSegment, ValueIndex, ValueStatsTable};
use crate::segment::stats::MeasureStats;
use crate::value::{ScalarType, Value};

// ---------------------------------------------------------------- row access

enum Access<'a> {
    Absent,
    Const(u32),
    Dim(DimColumn<'a>),
    Ids(Vec<u32>),
    Float(FloatColumn<'a>),
    Floats(Vec<f64>, Vec<bool>),
    Int(IntColumn<'a>, ScalarType),
    Ints(Vec<i64>, Vec<bool>, ScalarType),
}

/// Random access to the columns a request reads, for one segment.
struct SegRows<'a> {
    access: Vec<Access<'a>>,
}

impl<'a> SegRows<'a> {
    /// `dense`: decode whole columns up front (most rows will be read).
    fn open(q: &Compiled, seg: &'a LoadedSegment, dense: bool) -> Result<SegRows<'a>> {
        let mut access: Vec<Access<'a>> = (0..q.schema.columns.len())
            .map(|_| Access::Absent)
            .collect();
        let n = seg.rows();
        for c in q.columns() {
            let col = &q.schema.columns[c];
            access[c] = if col.partition {
                Access::Const(seg.part_id(c))
            } else {
                match col.ty {
                    ScalarType::Text | ScalarType::Date if dense => {
                        Access::Ids(seg.dim_column(c)?.decode_all(n))
                    }
                    ScalarType::Text | ScalarType::Date => Access::Dim(seg.dim_column(c)?),
                    ScalarType::Float64 if dense => {
                        let (v, ok) = seg.float_column(c)?.decode_all(n);
                        Access::Floats(v, ok)
                    }
                    ScalarType::Float64 => Access::Float(seg.float_column(c)?),
                    ScalarType::Int64 | ScalarType::Timestamp | ScalarType::TimestampTz
                        if dense =>
                    {
                        let (v, ok) = seg.int_column(c)?.decode_all(n);
                        Access::Ints(v, ok, col.ty)
                    }
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
            Access::Ids(v) => v.get(row).copied().unwrap_or(NULL_ID),
            Access::Dim(d) => d.id(row),
            _ => NULL_ID,
        }
    }

    #[inline]
    fn float(&self, c: usize, row: usize) -> Option<f64> {
        match &self.access[c] {
            Access::Floats(v, ok) => {
                if ok.get(row) == Some(&true) {
                    v.get(row).copied()
                } else {
                    None
                }
            }
            Access::Float(f) => f.get(row),
            _ => None,
        }
    }

    /// A non-dictionary column's value.
    fn leaf(&self, c: usize, row: usize) -> Value {
        let int = |v: Option<i64>, ty: &ScalarType| match (v, ty) {
            (None, _) => Value::Null,
            (Some(v), ScalarType::Timestamp) => Value::Timestamp(v),
            (Some(v), ScalarType::TimestampTz) => Value::TimestampTz(v),
            (Some(v), _) => Value::Int64(v),
        };
        match &self.access[c] {
            Access::Floats(..) | Access::Float(_) => {
                self.float(c, row).map_or(Value::Null, Value::Float64)
            }
            Access::Ints(v, ok, ty) => int(
                if ok.get(row) == Some(&true) {
                    v.get(row).copied()
                } else {
                    None
                },
                ty,
            ),
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
    let dense = rows.is_none_or(|b| b.len() as usize > seg.rows() / 16);
    let r = SegRows::open(q, seg, dense)?;
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
            if let Some(f) = &a.filter
                && f.eval(&mut |i| r.atom(&q.atoms[i], row)) != Some(true)
            {
                continue;
            }
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
    id_of: &impl Fn(usize) -> u32,
    rows: u64,
    stats_of: &impl Fn(usize) -> Result<MeasureStats>,
    distinct_of: &impl Fn(usize) -> Result<RoaringBitmap>,
) -> Result<()> {
    if rows == 0 {
        return Ok(());
    }
    let truth = |p: &CPred| {
        p.eval(&mut |i| {
            let a = &q.atoms[i];
            match a.expr.col {
                None => a.null_truth,
                Some(c) => a.truth_of_id(id_of(c)),
            }
        })
    };
    if let Some(p) = &q.pred
        && truth(p) != Some(true)
    {
        return Ok(());
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
        if let Some(f) = &a.filter
            && truth(f) != Some(true)
        {
            continue;
        }
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

/// Rollup coverage for one META rollup, computed once per request.
struct RollupCov {
    dimensions: Vec<String>,
    covered: Vec<bool>,
    /// `count(DISTINCT c)` columns the rollup neither covers nor keeps bitmaps for.
    uncovered_distinct: Vec<usize>,
    /// Whether some aggregate needs a distinct-id bitmap.
    reads_distinct: bool,
}

impl RollupCov {
    fn new(q: &Compiled, dimensions: &[String]) -> RollupCov {
        let cov = rollup_coverage(q, dimensions);
        let distinct_cols: Vec<usize> = q
            .aggs
            .iter()
            .filter(|a| a.func == AggFunc::CountDistinct)
            .filter_map(|a| a.arg.as_ref().and_then(|e| e.col))
            .filter(|&c| !cov.covered[c])
            .collect();
        RollupCov {
            dimensions: dimensions.to_vec(),
            covered: cov.covered,
            reads_distinct: !distinct_cols.is_empty(),
            uncovered_distinct: distinct_cols,
        }
    }
}

/// Answers one segment from rollup `name`; false if the segment lacks it.
fn rollup_segment(
    q: &Compiled,
    seg: &LoadedSegment,
    name: &str,
    cache: &mut Option<RollupCov>,
    acc: &mut Acc,
) -> Result<bool> {
    let Some(meta) = seg.meta.rollups.iter().find(|r| r.name == name) else {
        return Ok(false);
    };
    let cov = match cache {
        Some(c) if c.dimensions == meta.dimensions => c,
        _ => cache.insert(RollupCov::new(q, &meta.dimensions)),
    };
    if cov
        .uncovered_distinct
        .iter()
        .any(|c| !meta.distinct.contains(c))
    {
        return Ok(false);
    }
    let Some(groups) = seg.rollup_groups(name)? else {
        return Ok(false);
    };
    let view = if cov.reads_distinct {
        seg.rollup(name)?
    } else {
        None
    };
    // Schema column -> key position / measure position in this segment.
    let key_pos = |c: usize| meta.key.iter().position(|&k| k == c);
    let measure_pos = |c: usize| seg.meta.measures.iter().position(|&m| m == c);
    for g in 0..groups.groups() {
        let id_of = |c: usize| -> u32 {
            if is_partition(q, c) {
                seg.part_id(c)
            } else {
                key_pos(c).map_or(NULL_ID, |j| groups.key(g, j))
            }
        };
        let stats_of = |c: usize| -> Result<MeasureStats> {
            measure_pos(c)
                .and_then(|k| groups.stats(g, k))
                .copied()
                .ok_or_else(|| missing("measure stats"))
        };
        let distinct_of = |c: usize| -> Result<RoaringBitmap> {
            let j = meta
                .distinct
                .iter()
                .position(|&d| d == c)
                .ok_or_else(|| missing("distinct bitmap"))?;
            view.as_ref()
                .ok_or_else(|| missing("distinct bitmap"))?
                .distinct(g, j)
        };
        feed_group(
            q,
            acc,
            &cov.covered,
            &id_of,
            u64::from(groups.rows(g)),
            &stats_of,
            &distinct_of,
        )?;
    }
    Ok(true)
}

fn missing(what: &str) -> IndexError {
    IndexError::Internal(format!("planned path needs a {what} the segment lacks"))
}

/// Per-entry rows and stats of a value index: decoded in memory or read from the section.
trait Entries {
    fn entries(&self) -> usize;
    fn entry_id(&self, e: usize) -> u32;
    fn rows(&self, e: usize) -> Result<u32>;
    fn stats(&self, e: usize, k: usize) -> Result<MeasureStats>;
}

impl Entries for ValueStatsTable {
    fn entries(&self) -> usize {
        ValueStatsTable::entries(self)
    }
    fn entry_id(&self, e: usize) -> u32 {
        ValueStatsTable::entry_id(self, e)
    }
    fn rows(&self, e: usize) -> Result<u32> {
        Ok(ValueStatsTable::rows(self, e))
    }
    fn stats(&self, e: usize, k: usize) -> Result<MeasureStats> {
        ValueStatsTable::stats(self, e, k)
            .copied()
            .ok_or_else(|| missing("measure stats"))
    }
}

impl Entries for ValueIndex<'_> {
    fn entries(&self) -> usize {
        ValueIndex::entries(self)
    }
    fn entry_id(&self, e: usize) -> u32 {
        ValueIndex::entry_id(self, e)
    }
    fn rows(&self, e: usize) -> Result<u32> {
        ValueIndex::rows(self, e)
    }
    fn stats(&self, e: usize, k: usize) -> Result<MeasureStats> {
        ValueIndex::stats(self, e, k)
    }
}

/// Answers one segment from dimension `d`'s value index; false if it has none.
/// `covered`: partition columns and `d`.
fn value_stats_segment(
    q: &Compiled,
    seg: &LoadedSegment,
    d: usize,
    covered: &[bool],
    restrict: Option<&[u32]>,
    acc: &mut Acc,
) -> Result<bool> {
    if let Some(t) = seg.cached_value_stats(d)? {
        feed_entries(q, seg, d, covered, restrict, t, acc)?;
        return Ok(true);
    }
    let Some(vi) = seg.value_index(d)? else {
        return Ok(false);
    };
    feed_entries(q, seg, d, covered, restrict, &vi, acc)?;
    Ok(true)
}

fn feed_entries(
    q: &Compiled,
    seg: &LoadedSegment,
    d: usize,
    covered: &[bool],
    restrict: Option<&[u32]>,
    vi: &impl Entries,
    acc: &mut Acc,
) -> Result<()> {
    let measure_pos = |c: usize| seg.meta.measures.iter().position(|&m| m == c);
    let mut visit = |e: usize| -> Result<()> {
        let id_of = |c: usize| {
            if c == d {
                vi.entry_id(e)
            } else {
                seg.part_id(c)
            }
        };
        let stats_of = |c: usize| -> Result<MeasureStats> {
            let k = measure_pos(c).ok_or_else(|| missing("measure stats"))?;
            vi.stats(e, k)
        };
        let distinct_of = |_: usize| -> Result<RoaringBitmap> { Err(missing("distinct bitmap")) };
        feed_group(
            q,
            acc,
            covered,
            &id_of,
            u64::from(vi.rows(e)?),
            &stats_of,
            &distinct_of,
        )
    };
    match restrict {
        // Only the entries of ids that can pass the filter, and NULL, in
        // ascending order as the full walk visits them.
        Some(ids) => {
            let slice = seg.slice(d);
            for id in ids {
                if let Ok(e) = slice.binary_search(id) {
                    visit(e)?;
                }
            }
            if vi.entries() > slice.len() {
                visit(slice.len())?;
            }
        }
        None => {
            for e in 0..vi.entries() {
                visit(e)?;
            }
        }
    }
    Ok(())
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

fn new_acc(q: &Compiled) -> Acc {
    Acc {
        groups: GroupTable::new(&q.aggs),
        interners: q.group.iter().map(KeyInterner::new).collect(),
        key: vec![0; q.group.len()],
    }
}

fn run_segments(
    q: &Compiled,
    segs: &[Arc<LoadedSegment>],
    path: &PathKind,
    acc: &mut Acc,
) -> Result<()> {
    let mut rollup_cov = None;
    let vs_covered: Vec<bool> = match path {
        PathKind::ValueStats(d) => (0..q.schema.columns.len())
            .map(|c| c == *d || is_partition(q, c))
            .collect(),
        _ => Vec::new(),
    };
    let restrict = match path {
        PathKind::ValueStats(d) => entry_restriction(q, *d),
        _ => None,
    };
    for seg in segs {
        let done = match path {
            PathKind::Rollup(name) => rollup_segment(q, seg, name, &mut rollup_cov, acc)?,
            PathKind::ValueStats(d) => {
                value_stats_segment(q, seg, *d, &vs_covered, restrict.as_deref(), acc)?
            }
            PathKind::BitmapScan => {
                let rows = candidate_rows(q, seg)?;
                scan_segment(q, seg, rows.as_ref(), acc)?;
                true
            }
            PathKind::Scan => false,
        };
        if !done {
            scan_segment(q, seg, None, acc)?;
        }
    }
    Ok(())
}

/// Below this many rows a request runs on one thread.
const PARALLEL_ROWS: usize = 200_000;

/// Answers an aggregate request over `segs` along `path` (two threads for big scans).
pub fn run_aggregate(
    q: &Compiled,
    segs: &[Arc<LoadedSegment>],
    path: &PathKind,
) -> Result<ResultSet> {
    let rows: usize = segs.iter().map(|s| s.rows()).sum();
    let parallel = !matches!(path, PathKind::Rollup(_)) && segs.len() >= 2 && rows >= PARALLEL_ROWS;
    let mut acc = new_acc(q);
    if parallel {
        let (a, b) = segs.split_at(segs.len() / 2);
        let other = std::thread::scope(|s| -> Result<Acc> {
            let handle = s.spawn(|| -> Result<Acc> {
                let mut acc = new_acc(q);
                run_segments(q, b, path, &mut acc)?;
                Ok(acc)
            });
            run_segments(q, a, path, &mut acc)?;
            handle
                .join()
                .map_err(|_| IndexError::Internal("query thread panicked".into()))?
        })?;
        acc.groups
            .merge(&mut acc.interners, other.groups, &other.interners);
    } else {
        run_segments(q, segs, path, &mut acc)?;
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
        let r = SegRows::open(q, seg, cand.is_none())?;
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
