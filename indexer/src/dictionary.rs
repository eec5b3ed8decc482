//! Table-wide dictionaries: one per dictionary-encoded column (text, date).
//!
//! A value gets a `u32` id the first time any push of the table meets it; ids
//! are never reused while the table lives, so per-segment structures keyed by
//! id (distinct-id bitmaps in rollups, value indexes) merge across segments by
//! plain set union. NULL is not in the dictionary: it is [`NULL_ID`].
//!
//! Persistence: every segment stores `(global id, value)` for each id it uses
//! (its *slice*, see `segment` docs); on open the dictionary is rebuilt as the
//! union of the live segments' slices.

use std::collections::HashMap;
use std::sync::Arc;

use parking_lot::RwLock;

use crate::calendar::format_date;
use crate::value::Value;

/// The id standing for NULL in per-row id columns and rollup keys.
pub const NULL_ID: u32 = u32::MAX;

/// A dictionary value: the text or date itself.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum DictValue {
    Text(Arc<str>),
    Date(i32),
}

impl DictValue {
    pub fn to_value(&self) -> Value {
        match self {
            DictValue::Text(s) => Value::Text(s.to_string()),
            DictValue::Date(d) => Value::Date(*d),
        }
    }

    /// From a SQL value; `None` for NULL and for types that are not dictionary-encoded.
    pub fn from_value(v: &Value) -> Option<DictValue> {
        match v {
            Value::Text(s) => Some(DictValue::Text(Arc::from(s.as_str()))),
            Value::Date(d) => Some(DictValue::Date(*d)),
            _ => None,
        }
    }

    pub fn display(&self) -> String {
        match self {
            DictValue::Text(s) => s.to_string(),
            DictValue::Date(d) => format_date(*d),
        }
    }
}

/// A dictionary value borrowed from a segment.
#[derive(Debug, Clone, Copy)]
pub enum DictRef<'a> {
    Text(&'a str),
    Date(i32),
}

impl DictRef<'_> {
    fn matches(&self, v: &DictValue) -> bool {
        match (self, v) {
            (DictRef::Text(a), DictValue::Text(b)) => *a == &**b,
            (DictRef::Date(a), DictValue::Date(b)) => a == b,
            _ => false,
        }
    }

    pub fn to_owned(self) -> DictValue {
        match self {
            DictRef::Text(s) => DictValue::Text(Arc::from(s)),
            DictRef::Date(d) => DictValue::Date(d),
        }
    }
}

#[derive(Default)]
struct Inner {
    /// Indexed by id; `None` for ids no live segment uses.
    values: Vec<Option<DictValue>>,
    index: HashMap<DictValue, u32>,
}

/// One column's dictionary. Interning takes a short write lock; reads a read lock.
#[derive(Default)]
pub struct Dictionary {
    inner: RwLock<Inner>,
}

impl Dictionary {
    pub fn new() -> Self {
        Self::default()
    }

    /// Ids for `values`, assigning new ids to values never seen.
    pub fn intern_all(&self, values: &[DictValue]) -> Vec<u32> {
        {
            let inner = self.inner.read();
            let ids: Option<Vec<u32>> =
                values.iter().map(|v| inner.index.get(v).copied()).collect();
            if let Some(ids) = ids {
                return ids;
            }
        }
        let mut inner = self.inner.write();
        values
            .iter()
            .map(|v| {
                if let Some(&id) = inner.index.get(v) {
                    return id;
                }
                let id = u32::try_from(inner.values.len()).unwrap_or(NULL_ID - 1);
                inner.values.push(Some(v.clone()));
                inner.index.insert(v.clone(), id);
                id
            })
            .collect()
    }

    /// Records a persisted `(id, value)` pair (on open). Errors when it
    /// contradicts a pair already known.
    pub fn insert_known(&self, id: u32, value: &DictValue) -> Result<(), String> {
        if id == NULL_ID {
            return Err("dictionary id u32::MAX is reserved for NULL".into());
        }
        let mut inner = self.inner.write();
        if let Some(&known) = inner.index.get(value) {
            if known != id {
                return Err(format!("value {value:?} has ids {known} and {id}"));
            }
            return Ok(());
        }
        let slot = id as usize;
        if inner.values.len() <= slot {
            inner.values.resize(slot + 1, None);
        }
        if let Some(other) = &inner.values[slot] {
            return Err(format!("id {id} names {other:?} and {value:?}"));
        }
        inner.values[slot] = Some(value.clone());
        inner.index.insert(value.clone(), id);
        Ok(())
    }

    /// Merges a segment's persisted slice: `ids[i]` names `value(i)`. Allocates
    /// only for values not yet known. Errors on a contradiction (pairs merged
    /// before it stay: they are consistent).
    pub fn merge_slice<'v>(
        &self,
        ids: &[u32],
        value: impl Fn(usize) -> Option<DictRef<'v>>,
    ) -> Result<(), String> {
        let mut inner = self.inner.write();
        for (i, &id) in ids.iter().enumerate() {
            let r = value(i).ok_or_else(|| format!("slice value {i} is malformed"))?;
            if id == NULL_ID {
                return Err("dictionary id u32::MAX is reserved for NULL".into());
            }
            let slot = id as usize;
            if let Some(Some(known)) = inner.values.get(slot) {
                if !r.matches(known) {
                    return Err(format!("id {id} names {known:?} and {r:?}"));
                }
                continue;
            }
            let v = r.to_owned();
            if let Some(&other) = inner.index.get(&v) {
                return Err(format!("value {v:?} has ids {other} and {id}"));
            }
            if inner.values.len() <= slot {
                inner.values.resize(slot + 1, None);
            }
            inner.values[slot] = Some(v.clone());
            inner.index.insert(v, id);
        }
        Ok(())
    }

    /// Checks a batch of persisted pairs without changing anything.
    pub fn check_known(&self, pairs: &[(u32, DictValue)]) -> Result<(), String> {
        let inner = self.inner.read();
        for (id, value) in pairs {
            if let Some(&known) = inner.index.get(value)
                && known != *id
            {
                return Err(format!("value {value:?} has ids {known} and {id}"));
            }
            if let Some(Some(other)) = inner.values.get(*id as usize)
                && other != value
            {
                return Err(format!("id {id} names {other:?} and {value:?}"));
            }
        }
        Ok(())
    }

    pub fn lookup(&self, value: &DictValue) -> Option<u32> {
        self.inner.read().index.get(value).copied()
    }

    pub fn get(&self, id: u32) -> Option<DictValue> {
        self.inner.read().values.get(id as usize).cloned().flatten()
    }

    /// Runs `f` over the id-indexed values under a read lock.
    pub fn with_values<R>(&self, f: impl FnOnce(&[Option<DictValue>]) -> R) -> R {
        f(&self.inner.read().values)
    }

    pub fn len(&self) -> usize {
        self.inner.read().index.len()
    }

    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }
}

/// A table's dictionaries by column name.
#[derive(Default)]
pub struct DictionarySet {
    dicts: RwLock<HashMap<String, Arc<Dictionary>>>,
}

impl DictionarySet {
    pub fn new() -> Self {
        Self::default()
    }

    /// The column's dictionary, created empty if it has none yet.
    pub fn get_or_create(&self, column: &str) -> Arc<Dictionary> {
        if let Some(d) = self.dicts.read().get(column) {
            return d.clone();
        }
        self.dicts
            .write()
            .entry(column.to_owned())
            .or_default()
            .clone()
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;

    fn t(s: &str) -> DictValue {
        DictValue::Text(Arc::from(s))
    }

    #[test]
    fn interning_is_stable_and_never_reuses() {
        let d = Dictionary::new();
        assert_eq!(d.intern_all(&[t("a"), t("b"), t("a")]), vec![0, 1, 0]);
        assert_eq!(d.intern_all(&[t("c"), t("b")]), vec![2, 1]);
        assert_eq!(d.get(2), Some(t("c")));
        assert_eq!(d.lookup(&t("b")), Some(1));
    }

    #[test]
    fn known_pairs_rebuild_and_conflicts_are_caught() {
        let d = Dictionary::new();
        d.insert_known(5, &t("x")).unwrap();
        d.insert_known(5, &t("x")).unwrap();
        assert!(d.insert_known(6, &t("x")).is_err());
        assert!(d.insert_known(5, &t("y")).is_err());
        assert!(d.check_known(&[(5, t("y"))]).is_err());
        assert!(d.check_known(&[(7, t("y"))]).is_ok());
        // New values continue after the highest known id.
        assert_eq!(d.intern_all(&[t("z")]), vec![6]);
    }
}
