//! Reading a segment: META and dictionary slices at open, everything else
//! parsed lazily from the mapped sections (whose CRC the storage layer checks
//! on first access).

use std::borrow::Cow;
use std::collections::HashMap;
use std::path::PathBuf;
use std::sync::OnceLock;

use roaring::RoaringBitmap;

use crate::dictionary::{DictRef, DictValue, DictionarySet, NULL_ID};
use crate::error::{IndexError, Result};
use crate::segment::encoding::{ByteReader, FloatColumn, IntColumn, Packed, malformed, u32_at};
use crate::segment::stats::{MeasureStats, STATS_BYTES};
use crate::segment::{
    FORMAT_VERSION, SECTION_META, SegmentMeta, section_column, section_rollup, section_slice,
    section_value_index,
};
use crate::value::ScalarType;

/// Where a segment's sections come from: a storage segment (mmap) or memory (tests).
pub trait SectionSource: Send + Sync {
    fn section(
        &self,
        id: u32,
    ) -> std::result::Result<Option<&[u8]>, isotherm_storage::StorageError>;
}

impl SectionSource for isotherm_storage::Segment {
    fn section(
        &self,
        id: u32,
    ) -> std::result::Result<Option<&[u8]>, isotherm_storage::StorageError> {
        isotherm_storage::Segment::section(self, id)
    }
}

/// Sections held in memory.
pub struct MemSections(pub HashMap<u32, Vec<u8>>);

impl SectionSource for MemSections {
    fn section(
        &self,
        id: u32,
    ) -> std::result::Result<Option<&[u8]>, isotherm_storage::StorageError> {
        Ok(self.0.get(&id).map(|v| v.as_slice()))
    }
}

/// Identity of a live segment.
#[derive(Debug, Clone, PartialEq)]
pub struct SegmentId {
    pub table: String,
    pub partition: String,
    pub version: u64,
    pub file: String,
    pub path: PathBuf,
    pub bytes: u64,
}

/// An open segment.
pub struct LoadedSegment {
    pub id: SegmentId,
    pub meta: SegmentMeta,
    /// Per column: the dictionary slice (global ids by local code); empty for others.
    slices: Vec<Vec<u32>>,
    src: Box<dyn SectionSource>,
    /// Per META rollup: its decoded groups, when small (filled at first use).
    rollup_cache: Vec<OnceLock<RollupGroups>>,
    /// Per column: the decoded value-index stats, when small (filled at first use).
    value_cache: Vec<OnceLock<ValueStatsTable>>,
}

/// Rollups and value indexes with at most this many groups/entries are kept
/// decoded in memory after first use.
const CACHE_ENTRIES: usize = 256;

impl LoadedSegment {
    /// Reads META and the dictionary slices (verifying their checksums).
    pub fn open(src: Box<dyn SectionSource>, id: SegmentId) -> Result<LoadedSegment> {
        let corrupt = |e: isotherm_storage::StorageError| to_index_error(&id, e);
        let meta_bytes = src
            .section(SECTION_META)
            .map_err(corrupt)?
            .ok_or_else(|| malformed("no META section"))?;
        let meta: SegmentMeta =
            serde_json::from_slice(meta_bytes).map_err(|e| malformed(&format!("META: {e}")))?;
        if meta.format != FORMAT_VERSION {
            return Err(malformed(&format!("segment format {}", meta.format)));
        }
        let mut slices = Vec::with_capacity(meta.columns.len());
        for (c, col) in meta.columns.iter().enumerate() {
            if col.partition || !col.is_dict() {
                slices.push(Vec::new());
                continue;
            }
            let bytes = src
                .section(section_slice(c))
                .map_err(corrupt)?
                .ok_or_else(|| malformed("missing dictionary slice"))?;
            let view = SliceView::parse(bytes)?;
            if view.ids.len() != col.slice_len as usize {
                return Err(malformed("slice length"));
            }
            slices.push(view.ids);
        }
        let rollup_cache = meta.rollups.iter().map(|_| OnceLock::new()).collect();
        let value_cache = meta.columns.iter().map(|_| OnceLock::new()).collect();
        Ok(LoadedSegment {
            id,
            meta,
            slices,
            src,
            rollup_cache,
            value_cache,
        })
    }

    /// Adds this segment's `(id, value)` pairs to the table's dictionaries.
    pub fn merge_dictionaries(&self, dicts: &DictionarySet) -> Result<()> {
        for (c, col) in self.meta.columns.iter().enumerate() {
            if col.partition {
                if let (Some(pid), Some(_)) = (col.part_id, &col.part_value) {
                    let dv = DictValue::from_value(&crate::segment::build::part_value(col))
                        .ok_or_else(|| malformed("partition value"))?;
                    dicts
                        .get_or_create(&col.name)
                        .merge_slice(&[pid], |_| Some(dv_ref(&dv)))
                        .map_err(IndexError::Internal)?;
                }
                continue;
            }
            if !col.is_dict() {
                continue;
            }
            let view = SliceView::parse(self.section(section_slice(c))?)?;
            let ty = col.ty;
            dicts
                .get_or_create(&col.name)
                .merge_slice(&view.ids, |i| view.value(i, ty))
                .map_err(IndexError::Internal)?;
        }
        Ok(())
    }

    pub fn rows(&self) -> usize {
        self.meta.rows as usize
    }

    fn section(&self, id: u32) -> Result<&[u8]> {
        self.src
            .section(id)
            .map_err(|e| to_index_error(&self.id, e))?
            .ok_or_else(|| malformed(&format!("missing section {id:#x}")))
    }

    /// The partition value id of partition column `c` (`NULL_ID` for NULL).
    pub fn part_id(&self, c: usize) -> u32 {
        self.meta
            .columns
            .get(c)
            .and_then(|m| m.part_id)
            .unwrap_or(NULL_ID)
    }

    pub fn slice(&self, c: usize) -> &[u32] {
        self.slices.get(c).map_or(&[], |s| s.as_slice())
    }

    pub fn dim_column(&self, c: usize) -> Result<DimColumn<'_>> {
        let bytes = self.section(section_column(c))?;
        let packed = Packed::read(&mut ByteReader::new(bytes), self.rows())?;
        Ok(DimColumn {
            packed,
            slice: self.slice(c),
        })
    }

    pub fn float_column(&self, c: usize) -> Result<FloatColumn<'_>> {
        let bytes = self.section(section_column(c))?;
        FloatColumn::read(&mut ByteReader::new(bytes), self.rows())
    }

    pub fn int_column(&self, c: usize) -> Result<IntColumn<'_>> {
        let bytes = self.section(section_column(c))?;
        IntColumn::read(&mut ByteReader::new(bytes), self.rows())
    }

    /// The value index of dimension `c`, if this segment has one.
    pub fn value_index(&self, c: usize) -> Result<Option<ValueIndex<'_>>> {
        if !self.meta.columns.get(c).is_some_and(|m| m.indexed) {
            return Ok(None);
        }
        let bytes = self.section(section_value_index(c))?;
        let mut r = ByteReader::new(bytes);
        let m = r.u32()? as usize;
        let n_measures = r.u16()? as usize;
        r.u16()?;
        let entry_width = 4 + n_measures * STATS_BYTES;
        let stats_at = r.pos;
        let offsets_at = stats_at
            + m.checked_mul(entry_width)
                .ok_or_else(|| malformed("value index"))?;
        let heap_at = offsets_at + (m + 1) * 4;
        if heap_at > bytes.len() || m < self.slice(c).len() {
            return Err(malformed("value index size"));
        }
        Ok(Some(ValueIndex {
            bytes,
            m,
            n_measures,
            entry_width,
            stats_at,
            offsets_at,
            heap_at,
            slice: self.slice(c),
        }))
    }

    /// The decoded groups of rollup `name`, if this segment has it (cached
    /// when small).
    pub fn rollup_groups(&self, name: &str) -> Result<Option<Cow<'_, RollupGroups>>> {
        let Some(r) = self.meta.rollups.iter().position(|r| r.name == name) else {
            return Ok(None);
        };
        if let Some(g) = self.rollup_cache.get(r).and_then(|c| c.get()) {
            return Ok(Some(Cow::Borrowed(g)));
        }
        let Some(view) = self.rollup(name)? else {
            return Ok(None);
        };
        let groups = view.decode()?;
        match self.rollup_cache.get(r) {
            Some(cell) if groups.groups() <= CACHE_ENTRIES => {
                Ok(Some(Cow::Borrowed(cell.get_or_init(|| groups))))
            }
            _ => Ok(Some(Cow::Owned(groups))),
        }
    }

    /// The decoded per-entry rows and stats of dimension `c`'s value index,
    /// kept in memory after first use; `None` when the segment has no value
    /// index for `c` or it is too large to keep (read it with [`Self::value_index`]).
    pub fn cached_value_stats(&self, c: usize) -> Result<Option<&ValueStatsTable>> {
        let Some(cell) = self.value_cache.get(c) else {
            return Ok(None);
        };
        if let Some(t) = cell.get() {
            return Ok(Some(t));
        }
        let Some(vi) = self.value_index(c)? else {
            return Ok(None);
        };
        if vi.entries() > CACHE_ENTRIES {
            return Ok(None);
        }
        let table = vi.decode_stats()?;
        Ok(Some(cell.get_or_init(|| table)))
    }

    /// Rollup `name`, if this segment has it.
    pub fn rollup(&self, name: &str) -> Result<Option<RollupView<'_>>> {
        let Some(r) = self.meta.rollups.iter().position(|r| r.name == name) else {
            return Ok(None);
        };
        let bytes = self.section(section_rollup(r))?;
        let mut rd = ByteReader::new(bytes);
        let groups = rd.u32()? as usize;
        let key_len = rd.u16()? as usize;
        let n_measures = rd.u16()? as usize;
        let n_distinct = rd.u16()? as usize;
        rd.u16()?;
        let meta = &self.meta.rollups[r];
        if key_len != meta.key.len()
            || n_distinct != meta.distinct.len()
            || n_measures != self.meta.measures.len()
        {
            return Err(malformed("rollup header"));
        }
        let group_width = key_len * 4 + 4 + n_measures * STATS_BYTES;
        let groups_at = rd.pos;
        let offsets_at = groups_at
            + groups
                .checked_mul(group_width)
                .ok_or_else(|| malformed("rollup"))?;
        let heap_at = offsets_at + (groups * n_distinct + 1) * 4;
        if heap_at > bytes.len() {
            return Err(malformed("rollup size"));
        }
        Ok(Some(RollupView {
            bytes,
            groups,
            key_len,
            n_measures,
            n_distinct,
            group_width,
            groups_at,
            offsets_at,
            heap_at,
        }))
    }
}

/// A storage error on `id`: corruption becomes [`IndexError::Corrupted`].
pub fn to_index_error(id: &SegmentId, e: isotherm_storage::StorageError) -> IndexError {
    if e.is_corruption() {
        IndexError::Corrupted {
            table: id.table.clone(),
            partition: id.partition.clone(),
            path: id.path.clone(),
        }
    } else {
        IndexError::Storage(e)
    }
}

fn dv_ref(v: &DictValue) -> DictRef<'_> {
    match v {
        DictValue::Text(s) => DictRef::Text(s),
        DictValue::Date(d) => DictRef::Date(*d),
    }
}

/// A parsed dictionary slice section (values read on demand).
struct SliceView<'a> {
    ids: Vec<u32>,
    offsets_at: usize,
    heap: &'a [u8],
    bytes: &'a [u8],
}

impl<'a> SliceView<'a> {
    fn parse(bytes: &'a [u8]) -> Result<SliceView<'a>> {
        let mut r = ByteReader::new(bytes);
        let n = r.u32()? as usize;
        let raw = r.take(n.checked_mul(4).ok_or_else(|| malformed("slice"))?)?;
        let ids = raw
            .chunks_exact(4)
            .map(|c| u32::from_le_bytes([c[0], c[1], c[2], c[3]]))
            .collect();
        let offsets_at = r.pos;
        r.take((n + 1) * 4)?;
        Ok(SliceView {
            ids,
            offsets_at,
            heap: r.rest(),
            bytes,
        })
    }

    fn value(&self, i: usize, ty: ScalarType) -> Option<DictRef<'a>> {
        let start = u32_at(self.bytes, self.offsets_at, i).ok()? as usize;
        let end = u32_at(self.bytes, self.offsets_at, i + 1).ok()? as usize;
        let b = self.heap.get(start..end)?;
        Some(match ty {
            ScalarType::Date => DictRef::Date(i32::from_le_bytes(b.try_into().ok()?)),
            _ => DictRef::Text(std::str::from_utf8(b).ok()?),
        })
    }
}

/// Per-row global ids of a text/date column.
pub struct DimColumn<'a> {
    packed: Packed<'a>,
    slice: &'a [u32],
}

impl DimColumn<'_> {
    /// Global ids of every row.
    pub fn decode_all(&self, n: usize) -> Vec<u32> {
        (0..n).map(|i| self.id(i)).collect()
    }

    #[inline]
    pub fn id(&self, row: usize) -> u32 {
        self.slice
            .get(self.packed.get(row) as usize)
            .copied()
            .unwrap_or(NULL_ID)
    }
}

/// A dimension's value index: per value (and NULL) a row bitmap and stats.
pub struct ValueIndex<'a> {
    bytes: &'a [u8],
    m: usize,
    n_measures: usize,
    entry_width: usize,
    stats_at: usize,
    offsets_at: usize,
    heap_at: usize,
    slice: &'a [u32],
}

impl ValueIndex<'_> {
    pub fn entries(&self) -> usize {
        self.m
    }

    /// Global id of entry `e` (`NULL_ID` for the NULL entry).
    pub fn entry_id(&self, e: usize) -> u32 {
        self.slice.get(e).copied().unwrap_or(NULL_ID)
    }

    /// Entry of a global id, if the segment has it.
    pub fn entry_of(&self, id: u32) -> Option<usize> {
        if id == NULL_ID {
            return (self.m > self.slice.len()).then_some(self.slice.len());
        }
        self.slice.binary_search(&id).ok()
    }

    pub fn rows(&self, e: usize) -> Result<u32> {
        u32_at(self.bytes, self.stats_at + e * self.entry_width, 0)
    }

    pub fn stats(&self, e: usize, k: usize) -> Result<MeasureStats> {
        if k >= self.n_measures {
            return Err(malformed("measure index"));
        }
        let at = self.stats_at + e * self.entry_width + 4 + k * STATS_BYTES;
        let b = self
            .bytes
            .get(at..at + STATS_BYTES)
            .ok_or_else(|| malformed("stats"))?;
        let b: &[u8; STATS_BYTES] = b.try_into().map_err(|_| malformed("stats"))?;
        Ok(MeasureStats::from_bytes(b))
    }

    pub fn bitmap(&self, e: usize) -> Result<RoaringBitmap> {
        heap_bitmap(self.bytes, self.offsets_at, self.heap_at, e)
    }

    /// Every entry's rows and stats, decoded.
    pub fn decode_stats(&self) -> Result<ValueStatsTable> {
        let mut rows = Vec::with_capacity(self.m);
        let mut stats = Vec::with_capacity(self.m * self.n_measures);
        for e in 0..self.m {
            rows.push(self.rows(e)?);
            for k in 0..self.n_measures {
                stats.push(self.stats(e, k)?);
            }
        }
        let ids = (0..self.m).map(|e| self.entry_id(e)).collect();
        Ok(ValueStatsTable {
            n_measures: self.n_measures,
            ids,
            rows,
            stats,
        })
    }
}

/// A value index's entries decoded: global id (`NULL_ID` for the NULL
/// entry), rows and per-measure stats.
#[derive(Debug, Clone)]
pub struct ValueStatsTable {
    n_measures: usize,
    ids: Vec<u32>,
    rows: Vec<u32>,
    stats: Vec<MeasureStats>,
}

impl ValueStatsTable {
    pub fn entries(&self) -> usize {
        self.rows.len()
    }

    #[inline]
    pub fn entry_id(&self, e: usize) -> u32 {
        self.ids.get(e).copied().unwrap_or(NULL_ID)
    }

    #[inline]
    pub fn rows(&self, e: usize) -> u32 {
        self.rows.get(e).copied().unwrap_or(0)
    }

    /// Stats of measure `k` (META `measures` order) for entry `e`.
    #[inline]
    pub fn stats(&self, e: usize, k: usize) -> Option<&MeasureStats> {
        if k >= self.n_measures {
            return None;
        }
        self.stats.get(e * self.n_measures + k)
    }
}

/// A rollup's groups decoded: keys (META `key` order), rows and per-measure stats.
#[derive(Debug, Clone)]
pub struct RollupGroups {
    key_len: usize,
    n_measures: usize,
    keys: Vec<u32>,
    rows: Vec<u32>,
    stats: Vec<MeasureStats>,
}

impl RollupGroups {
    pub fn groups(&self) -> usize {
        self.rows.len()
    }

    /// Key id `j` (META `key[j]`) of group `g`.
    #[inline]
    pub fn key(&self, g: usize, j: usize) -> u32 {
        if j >= self.key_len {
            return NULL_ID;
        }
        self.keys
            .get(g * self.key_len + j)
            .copied()
            .unwrap_or(NULL_ID)
    }

    #[inline]
    pub fn rows(&self, g: usize) -> u32 {
        self.rows.get(g).copied().unwrap_or(0)
    }

    /// Stats of measure `k` (META `measures` order) for group `g`.
    #[inline]
    pub fn stats(&self, g: usize, k: usize) -> Option<&MeasureStats> {
        if k >= self.n_measures {
            return None;
        }
        self.stats.get(g * self.n_measures + k)
    }
}

fn heap_bitmap(bytes: &[u8], offsets_at: usize, heap_at: usize, i: usize) -> Result<RoaringBitmap> {
    let start = u32_at(bytes, offsets_at, i)? as usize;
    let end = u32_at(bytes, offsets_at, i + 1)? as usize;
    if start == end {
        return Ok(RoaringBitmap::new());
    }
    let b = bytes
        .get(heap_at + start..heap_at + end)
        .ok_or_else(|| malformed("bitmap heap"))?;
    RoaringBitmap::deserialize_from(b).map_err(|_| malformed("roaring bitmap"))
}

/// A rollup's groups in one segment.
pub struct RollupView<'a> {
    bytes: &'a [u8],
    groups: usize,
    key_len: usize,
    n_measures: usize,
    n_distinct: usize,
    group_width: usize,
    groups_at: usize,
    offsets_at: usize,
    heap_at: usize,
}

impl RollupView<'_> {
    pub fn groups(&self) -> usize {
        self.groups
    }

    /// Key id `j` (META `key[j]`) of group `g`.
    pub fn key(&self, g: usize, j: usize) -> Result<u32> {
        u32_at(self.bytes, self.groups_at + g * self.group_width, j)
    }

    pub fn rows(&self, g: usize) -> Result<u32> {
        u32_at(
            self.bytes,
            self.groups_at + g * self.group_width,
            self.key_len,
        )
    }

    pub fn stats(&self, g: usize, k: usize) -> Result<MeasureStats> {
        if k >= self.n_measures {
            return Err(malformed("measure index"));
        }
        let at = self.groups_at + g * self.group_width + self.key_len * 4 + 4 + k * STATS_BYTES;
        let b = self
            .bytes
            .get(at..at + STATS_BYTES)
            .ok_or_else(|| malformed("stats"))?;
        let b: &[u8; STATS_BYTES] = b.try_into().map_err(|_| malformed("stats"))?;
        Ok(MeasureStats::from_bytes(b))
    }

    /// Every group's keys, rows and stats, decoded.
    pub fn decode(&self) -> Result<RollupGroups> {
        let mut keys = Vec::with_capacity(self.groups * self.key_len);
        let mut rows = Vec::with_capacity(self.groups);
        let mut stats = Vec::with_capacity(self.groups * self.n_measures);
        for g in 0..self.groups {
            for j in 0..self.key_len {
                keys.push(self.key(g, j)?);
            }
            rows.push(self.rows(g)?);
            for k in 0..self.n_measures {
                stats.push(self.stats(g, k)?);
            }
        }
        Ok(RollupGroups {
            key_len: self.key_len,
            n_measures: self.n_measures,
            keys,
            rows,
            stats,
        })
    }

    /// Distinct-id bitmap `j` (META `distinct[j]`) of group `g`.
    pub fn distinct(&self, g: usize, j: usize) -> Result<RoaringBitmap> {
        heap_bitmap(
            self.bytes,
            self.offsets_at,
            self.heap_at,
            g * self.n_distinct + j,
        )
    }
}
