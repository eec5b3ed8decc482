//! Aggregate states and the group table every path feeds.
//!
//! Rows (scan paths), value-index entries and rollup groups all update the
//! same states, so every path produces the same answer: a rollup group is
//! a bag of rows described by its key, row count, measure stats and
//! distinct-id bitmaps.

use roaring::RoaringBitmap;

use crate::dictionary::NULL_ID;
use crate::hash::{FxHashMap, FxHashSet};
use crate::query::compile::{CAgg, CExpr};
use crate::query::expr::{HKey, cmp_values};
use crate::query::request::AggFunc;
use crate::segment::stats::{KahanSum, MeasureStats};
use crate::value::{ScalarType, Value, float_cmp};

#[derive(Debug, Clone)]
pub enum AggState {
    Count(i64),
    Sum(KahanSum, u64),
    MinF(Option<f64>),
    MaxF(Option<f64>),
    MinV(Option<Value>),
    MaxV(Option<Value>),
    DistinctIds(RoaringBitmap),
    DistinctVals(FxHashSet<HKey>),
}

impl AggState {
    pub fn new(a: &CAgg) -> AggState {
        let float = a.arg.as_ref().is_some_and(|e| e.ty == ScalarType::Float64);
        match a.func {
            AggFunc::CountStar | AggFunc::Count => AggState::Count(0),
            AggFunc::Sum | AggFunc::Avg => AggState::Sum(KahanSum::default(), 0),
            AggFunc::Min if float => AggState::MinF(None),
            AggFunc::Max if float => AggState::MaxF(None),
            AggFunc::Min => AggState::MinV(None),
            AggFunc::Max => AggState::MaxV(None),
            AggFunc::CountDistinct => {
                if a.arg.as_ref().is_some_and(|e| e.dict && e.is_column) {
                    AggState::DistinctIds(RoaringBitmap::new())
                } else {
                    AggState::DistinctVals(FxHashSet::default())
                }
            }
        }
    }

    /// `rows` rows, each with value `v` for the argument (NULL counts nothing).
    pub fn add_value(&mut self, v: &Value, rows: u64) {
        if v.is_null() || rows == 0 {
            return;
        }
        if let (AggState::MinF(_) | AggState::MaxF(_), Value::Float64(x)) = (&*self, v) {
            self.add_f64(*x);
            return;
        }
        match self {
            AggState::Count(n) => *n += rows as i64,
            AggState::Sum(s, n) => {
                if let Value::Float64(x) = v {
                    for _ in 0..rows {
                        s.add(*x);
                    }
                    *n += rows;
                }
            }
            AggState::MinF(_) | AggState::MaxF(_) => {}
            AggState::MinV(m) => {
                if m.as_ref().is_none_or(|cur| cmp_values(v, cur).is_lt()) {
                    *m = Some(v.clone());
                }
            }
            AggState::MaxV(m) => {
                if m.as_ref().is_none_or(|cur| cmp_values(v, cur).is_gt()) {
                    *m = Some(v.clone());
                }
            }
            AggState::DistinctIds(_) => {}
            AggState::DistinctVals(set) => {
                set.insert(HKey::of(v));
            }
        }
    }

    /// One row with a float argument.
    #[inline]
    pub fn add_f64(&mut self, x: f64) {
        match self {
            AggState::Count(n) => *n += 1,
            AggState::Sum(s, n) => {
                s.add(x);
                *n += 1;
            }
            AggState::MinF(m) => {
                if m.is_none_or(|cur| float_cmp(x, cur).is_lt()) {
                    *m = Some(x);
                }
            }
            AggState::MaxF(m) => {
                if m.is_none_or(|cur| float_cmp(x, cur).is_gt()) {
                    *m = Some(x);
                }
            }
            other => other.add_value(&Value::Float64(x), 1),
        }
    }

    /// A dictionary id (for `count(DISTINCT dim)`); NULL is ignored.
    #[inline]
    pub fn add_id(&mut self, id: u32) {
        if let AggState::DistinctIds(b) = self
            && id != NULL_ID
        {
            b.insert(id);
        }
    }

    pub fn add_count(&mut self, rows: u64) {
        if let AggState::Count(n) = self {
            *n += rows as i64;
        }
    }

    pub fn add_stats(&mut self, s: &MeasureStats) {
        if s.nonnull == 0 {
            return;
        }
        match self {
            AggState::Count(n) => *n += s.nonnull as i64,
            AggState::Sum(k, n) => {
                k.merge(&s.sum);
                *n += s.nonnull;
            }
            AggState::MinF(_) => self.add_f64(s.min),
            AggState::MaxF(_) => self.add_f64(s.max),
            _ => {}
        }
    }

    pub fn add_bitmap(&mut self, b: &RoaringBitmap) {
        if let AggState::DistinctIds(ids) = self {
            *ids |= b;
        }
    }

    /// Adds another partial state of the same aggregate.
    pub fn merge(&mut self, other: AggState) {
        match (self, other) {
            (AggState::Count(a), AggState::Count(b)) => *a += b,
            (AggState::Sum(k, n), AggState::Sum(k2, n2)) => {
                k.merge(&k2);
                *n += n2;
            }
            (
                s @ (AggState::MinF(_) | AggState::MaxF(_)),
                AggState::MinF(Some(x)) | AggState::MaxF(Some(x)),
            ) => {
                s.add_f64(x);
            }
            (
                s @ (AggState::MinV(_) | AggState::MaxV(_)),
                AggState::MinV(Some(v)) | AggState::MaxV(Some(v)),
            ) => {
                s.add_value(&v, 1);
            }
            (AggState::DistinctIds(a), AggState::DistinctIds(b)) => *a |= b,
            (AggState::DistinctVals(a), AggState::DistinctVals(b)) => a.extend(b),
            _ => {}
        }
    }

    pub fn finish(&self, func: AggFunc) -> Value {
        match self {
            AggState::Count(n) => Value::Int64(*n),
            AggState::Sum(_, 0) => Value::Null,
            AggState::Sum(s, n) => {
                if func == AggFunc::Avg {
                    Value::Float64(s.value() / *n as f64)
                } else {
                    Value::Float64(s.value())
                }
            }
            AggState::MinF(m) | AggState::MaxF(m) => m.map_or(Value::Null, Value::Float64),
            AggState::MinV(m) | AggState::MaxV(m) => m.clone().unwrap_or(Value::Null),
            AggState::DistinctIds(b) => Value::Int64(b.len() as i64),
            AggState::DistinctVals(s) => Value::Int64(s.len() as i64),
        }
    }
}

/// Codes for one group expression's values.
pub struct KeyInterner {
    map: FxHashMap<HKey, u32>,
    pub values: Vec<Value>,
    /// Dictionary expressions: code per id (precomputed), and for NULL.
    by_id: Vec<u32>,
    null_code: u32,
}

impl KeyInterner {
    pub fn new(e: &CExpr) -> KeyInterner {
        let mut k = KeyInterner {
            map: FxHashMap::default(),
            values: Vec::new(),
            by_id: Vec::new(),
            null_code: 0,
        };
        k.null_code = k.code(&e.null_value);
        if e.dict {
            let by_id: Vec<u32> = e.table.iter().map(|v| k.code(v)).collect();
            k.by_id = by_id;
        }
        k
    }

    pub fn code(&mut self, v: &Value) -> u32 {
        let key = HKey::of(v);
        if let Some(&c) = self.map.get(&key) {
            return c;
        }
        let c = self.values.len() as u32;
        self.values.push(v.clone());
        self.map.insert(key, c);
        c
    }

    #[inline]
    pub fn code_of_id(&self, id: u32) -> u32 {
        if id == NULL_ID {
            return self.null_code;
        }
        self.by_id
            .get(id as usize)
            .copied()
            .unwrap_or(self.null_code)
    }
}

/// Groups by code tuples, with one state per aggregate. One-code keys use a
/// dense vector; the last key looked up is cached (rows arrive sorted).
pub struct GroupTable {
    index: FxHashMap<Vec<u32>, usize>,
    dense: Vec<usize>,
    last: Option<(Vec<u32>, usize)>,
    keys: Vec<Vec<u32>>,
    pub states: Vec<Vec<AggState>>,
    template: Vec<AggState>,
}

const NO_GROUP: usize = usize::MAX;

impl GroupTable {
    pub fn new(aggs: &[CAgg]) -> GroupTable {
        GroupTable {
            index: FxHashMap::default(),
            dense: Vec::new(),
            last: None,
            keys: Vec::new(),
            states: Vec::new(),
            template: aggs.iter().map(AggState::new).collect(),
        }
    }

    fn insert(&mut self, key: &[u32]) -> usize {
        let g = self.keys.len();
        self.keys.push(key.to_vec());
        self.states.push(self.template.clone());
        g
    }

    #[inline]
    pub fn group(&mut self, key: &[u32]) -> usize {
        match key {
            [] => {
                if self.keys.is_empty() {
                    self.insert(key);
                }
                0
            }
            [code] => {
                let c = *code as usize;
                if let Some(&g) = self.dense.get(c)
                    && g != NO_GROUP
                {
                    return g;
                }
                if self.dense.len() <= c {
                    self.dense.resize(c + 1, NO_GROUP);
                }
                let g = self.insert(key);
                self.dense[c] = g;
                g
            }
            _ => {
                if let Some((k, g)) = &self.last
                    && k.as_slice() == key
                {
                    return *g;
                }
                let g = match self.index.get(key) {
                    Some(&g) => g,
                    None => {
                        let g = self.insert(key);
                        self.index.insert(key.to_vec(), g);
                        g
                    }
                };
                match &mut self.last {
                    Some((k, lg)) => {
                        k.clear();
                        k.extend_from_slice(key);
                        *lg = g;
                    }
                    None => self.last = Some((key.to_vec(), g)),
                }
                g
            }
        }
    }

    /// Merges `other` (built with `other_interners`) into this table.
    pub fn merge(
        &mut self,
        interners: &mut [KeyInterner],
        other: GroupTable,
        other_interners: &[KeyInterner],
    ) {
        let mut key = Vec::with_capacity(interners.len());
        for (k, states) in other.keys.iter().zip(other.states) {
            key.clear();
            for (j, c) in k.iter().enumerate() {
                let v = other_interners[j]
                    .values
                    .get(*c as usize)
                    .cloned()
                    .unwrap_or(Value::Null);
                key.push(interners[j].code(&v));
            }
            let g = self.group(&key);
            for (s, o) in self.states[g].iter_mut().zip(states) {
                s.merge(o);
            }
        }
    }

    /// Result rows: group values then aggregate values. With no group
    /// expressions there is exactly one row, even over no input.
    pub fn finish(mut self, interners: &[KeyInterner], aggs: &[CAgg]) -> Vec<Vec<Value>> {
        if interners.is_empty() && self.keys.is_empty() {
            self.insert(&[]);
        }
        self.keys
            .iter()
            .zip(&self.states)
            .map(|(key, states)| {
                key.iter()
                    .zip(interners)
                    .map(|(c, k)| k.values.get(*c as usize).cloned().unwrap_or(Value::Null))
                    .chain(states.iter().zip(aggs).map(|(s, a)| s.finish(a.func)))
                    .collect()
            })
            .collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sum_and_avg_are_null_without_input() {
        let s = AggState::Sum(KahanSum::default(), 0);
        assert_eq!(s.finish(AggFunc::Sum), Value::Null);
        assert_eq!(s.finish(AggFunc::Avg), Value::Null);
        let mut m = AggState::MaxF(None);
        m.add_f64(1.0);
        m.add_f64(f64::NAN);
        m.add_f64(2.0);
        assert!(matches!(m.finish(AggFunc::Max), Value::Float64(x) if x.is_nan()));
    }
}
