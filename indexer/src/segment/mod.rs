//! One partition's index, as the sections of one storage segment file.
//!
//! The storage layer gives each section an id, a length and a CRC32; this
//! module defines what the sections hold. Column indexes `c` are positions in
//! the table schema's `columns`; rollup indexes `r` positions in META's
//! `rollups`. Partition columns have no per-row sections: their value is in
//! META and is the same for every row.
//!
//! | id              | section        | read                              |
//! |-----------------|----------------|-----------------------------------|
//! | `1`             | META           | at open (JSON, [`SegmentMeta`])   |
//! | `0x1_0000 + c`  | column data    | on demand                         |
//! | `0x2_0000 + c`  | dictionary slice of a text/date column | at open   |
//! | `0x3_0000 + c`  | value index of a dimension | on demand             |
//! | `0x4_0000 + r`  | rollup groups  | on demand                         |
//!
//! Rows are sorted by the dimensions (fewest distinct values first), then by
//! the integer/timestamp columns, so value bitmaps are runs and packed
//! timestamps repeat.
//!
//! ## Column data
//! - text/date: `Packed` local codes (see [`encoding`]); code `k < slice.len()`
//!   is the slice's `k`-th id, code `slice.len()` is NULL;
//! - float: `FloatCodec`; integers and timestamps (µs): `IntCodec`.
//!
//! ## Dictionary slice (ids this segment uses, ascending)
//! ```text
//! u32 n | n x u32 global id | (n+1) x u32 offset into heap | heap
//! ```
//! A text value is its UTF-8 bytes, a date 4 bytes (i32 days since 1970-01-01).
//!
//! ## Value index (dimension `c`): one entry per slice id, then NULL if any row is NULL
//! ```text
//! u32 m | u16 n_measures | u16 0
//! m x ( u32 rows | n_measures x MeasureStats )        -- fixed width, random access
//! (m+1) x u32 offset into heap | heap of serialized roaring bitmaps of row numbers
//! ```
//! ## Rollup `r`: groups by META `key` columns (partition columns implied)
//! ```text
//! u32 groups | u16 key_len | u16 n_measures | u16 n_distinct | u16 0
//! groups x ( key_len x u32 global id (NULL = u32::MAX) | u32 rows | n_measures x MeasureStats )
//! (groups*n_distinct + 1) x u32 offset | heap of roaring bitmaps of global ids,
//!   group g's bitmap for META `distinct[j]` at index g*n_distinct + j
//! ```
//! `MeasureStats` is 36 bytes (see [`stats`]); measures in META `measures` order.

pub mod build;
pub mod encoding;
pub mod read;
pub mod stats;

use crate::schema::ColumnRole;
use crate::value::ScalarType;

pub const FORMAT_VERSION: u32 = 1;
pub const SECTION_META: u32 = 1;

pub fn section_column(c: usize) -> u32 {
    0x1_0000 + c as u32
}
pub fn section_slice(c: usize) -> u32 {
    0x2_0000 + c as u32
}
pub fn section_value_index(c: usize) -> u32 {
    0x3_0000 + c as u32
}
pub fn section_rollup(r: usize) -> u32 {
    0x4_0000 + r as u32
}

/// The META section.
#[derive(Debug, Clone, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct SegmentMeta {
    pub format: u32,
    pub rows: u64,
    /// Normalized partition path.
    pub partition: String,
    pub columns: Vec<MetaColumn>,
    /// Measure column indexes, in stats order.
    pub measures: Vec<usize>,
    pub rollups: Vec<MetaRollup>,
}

#[derive(Debug, Clone, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct MetaColumn {
    pub name: String,
    #[serde(rename = "type")]
    pub ty: ScalarType,
    pub role: ColumnRole,
    pub partition: bool,
    /// Partition columns: the value's global id (`None` = NULL) and its text.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub part_id: Option<u32>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub part_value: Option<String>,
    /// Text/date columns stored per row: slice length, whether NULLs occur.
    #[serde(default)]
    pub slice_len: u32,
    #[serde(default)]
    pub has_nulls: bool,
    /// A value index section exists.
    #[serde(default)]
    pub indexed: bool,
}

impl MetaColumn {
    pub fn is_dict(&self) -> bool {
        matches!(self.ty, ScalarType::Text | ScalarType::Date)
    }
}

#[derive(Debug, Clone, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct MetaRollup {
    pub name: String,
    /// All dimensions, as defined (partition columns included).
    pub dimensions: Vec<String>,
    /// Non-partition key columns stored per group.
    pub key: Vec<usize>,
    /// Columns with a distinct-id bitmap per group.
    pub distinct: Vec<usize>,
    pub groups: u32,
}
