//! Building one partition's segment sections from a decoded Parquet file.

use std::collections::HashMap;

use roaring::RoaringBitmap;

use crate::dictionary::{DictValue, DictionarySet, NULL_ID};
use crate::error::{IndexError, Result};
use crate::ingest::parquet::NULL_CODE;
use crate::ingest::{ColumnData, DecodedFile};
use crate::partition::{PartitionKey, value_text};
use crate::schema::{ColumnRole, TableSchema};
use crate::segment::encoding::{ByteWriter, width_for, write_floats, write_ints, write_packed};
use crate::segment::stats::MeasureStats;
use crate::segment::{
    FORMAT_VERSION, MetaColumn, MetaRollup, SECTION_META, SegmentMeta, section_column,
    section_rollup, section_slice, section_value_index,
};
use crate::value::{ScalarType, Value};

/// The sections of one segment, ready for the storage writer.
pub struct BuiltSegment {
    pub meta: SegmentMeta,
    pub sections: Vec<(u32, Vec<u8>)>,
}

enum Prepared {
    Part,
    Dict {
        /// Sorted global ids used.
        slice: Vec<u32>,
        slice_values: Vec<DictValue>,
        /// Local code per row (original order); `slice.len()` is NULL.
        codes: Vec<u32>,
    },
    Float {
        values: Vec<f64>,
        valid: Vec<bool>,
    },
    Int {
        values: Vec<i64>,
        valid: Vec<bool>,
    },
}

/// Builds the segment of partition `key` from `file` under `schema`, interning
/// text/date values in the table's dictionaries.
pub fn build_segment(
    schema: &TableSchema,
    key: &PartitionKey,
    file: &DecodedFile,
    dicts: &DictionarySet,
) -> Result<BuiltSegment> {
    let n = file.rows;
    if u32::try_from(n).is_err() {
        return Err(IndexError::Unsupported(format!("a partition of {n} rows")));
    }
    let mismatch = |detail: String| IndexError::SchemaMismatch {
        table: schema.name.clone(),
        detail,
    };
    let mut meta_cols = Vec::with_capacity(schema.columns.len());
    let mut prepared = Vec::with_capacity(schema.columns.len());
    for col in &schema.columns {
        let mut mc = MetaColumn {
            name: col.name.clone(),
            ty: col.ty,
            role: col.role,
            partition: col.partition,
            part_id: None,
            part_value: None,
            slice_len: 0,
            has_nulls: false,
            indexed: false,
        };
        if col.partition {
            let value = key
                .values
                .iter()
                .find(|(c, _)| *c == col.name)
                .map(|(_, v)| v)
                .ok_or_else(|| {
                    mismatch(format!(
                        "partition column \"{}\" missing from the path",
                        col.name
                    ))
                })?;
            if let Some(dv) = DictValue::from_value(value) {
                let id = dicts
                    .get_or_create(&col.name)
                    .intern_all(std::slice::from_ref(&dv))[0];
                mc.part_id = Some(id);
                mc.part_value = Some(value_text(value));
            } else if !value.is_null() {
                return Err(IndexError::Internal(format!("partition value {value:?}")));
            }
            meta_cols.push(mc);
            prepared.push(Prepared::Part);
            continue;
        }
        let fc = file
            .column(&col.name)
            .ok_or_else(|| mismatch(format!("column \"{}\" is missing from the file", col.name)))?;
        if fc.ty != col.ty {
            return Err(mismatch(format!(
                "column \"{}\" has type {} in the file, {} in the table",
                col.name,
                fc.ty.pg_name(),
                col.ty.pg_name()
            )));
        }
        let p = match &fc.data {
            ColumnData::Dict { values, codes } => {
                let gids = dicts.get_or_create(&col.name).intern_all(values);
                let mut order: Vec<usize> = (0..values.len()).collect();
                order.sort_by_key(|&i| gids[i]);
                let slice: Vec<u32> = order.iter().map(|&i| gids[i]).collect();
                let slice_values: Vec<DictValue> =
                    order.iter().map(|&i| values[i].clone()).collect();
                let mut local_of = vec![0u32; values.len()];
                for (local, &i) in order.iter().enumerate() {
                    local_of[i] = local as u32;
                }
                let null_code = slice.len() as u32;
                let codes: Vec<u32> = codes
                    .iter()
                    .map(|&c| {
                        if c == NULL_CODE {
                            null_code
                        } else {
                            local_of[c as usize]
                        }
                    })
                    .collect();
                mc.slice_len = null_code;
                mc.has_nulls = codes.contains(&null_code);
                mc.indexed = col.role == ColumnRole::Dimension;
                Prepared::Dict {
                    slice,
                    slice_values,
                    codes,
                }
            }
            ColumnData::Float { values, valid } => Prepared::Float {
                values: values.clone(),
                valid: valid.clone(),
            },
            ColumnData::Int { values, valid } => Prepared::Int {
                values: values.clone(),
                valid: valid.clone(),
            },
        };
        meta_cols.push(mc);
        prepared.push(p);
    }

    let perm = sort_order(&meta_cols, &prepared, n);
    let measures: Vec<usize> = (0..schema.columns.len())
        .filter(|&c| {
            schema.columns[c].role == ColumnRole::Measure
                && matches!(prepared[c], Prepared::Float { .. })
        })
        .collect();
    // Measure values in sorted row order, reused by indexes and rollups.
    let measure_rows: Vec<(Vec<f64>, Vec<bool>)> = measures
        .iter()
        .map(|&c| match &prepared[c] {
            Prepared::Float { values, valid } => (
                perm.iter().map(|&i| values[i]).collect(),
                perm.iter().map(|&i| valid[i]).collect(),
            ),
            _ => (Vec::new(), Vec::new()),
        })
        .collect();
    let sorted_codes: Vec<Option<Vec<u32>>> = prepared
        .iter()
        .map(|p| match p {
            Prepared::Dict { codes, .. } => Some(perm.iter().map(|&i| codes[i]).collect()),
            _ => None,
        })
        .collect();

    let mut sections = Vec::new();
    for (c, p) in prepared.iter().enumerate() {
        match p {
            Prepared::Part => {}
            Prepared::Dict {
                slice,
                slice_values,
                ..
            } => {
                let codes = sorted_codes[c].as_deref().unwrap_or(&[]);
                let mut w = ByteWriter::new();
                let packed: Vec<u64> = codes.iter().map(|&c| u64::from(c)).collect();
                write_packed(&mut w, &packed, width_for(slice.len() as u64));
                sections.push((section_column(c), w.buf));
                sections.push((section_slice(c), write_slice(slice, slice_values)));
                if meta_cols[c].indexed {
                    sections.push((
                        section_value_index(c),
                        write_value_index(slice.len(), codes, &measure_rows),
                    ));
                }
            }
            Prepared::Float { values, valid } => {
                let mut w = ByteWriter::new();
                let v: Vec<f64> = perm.iter().map(|&i| values[i]).collect();
                let ok: Vec<bool> = perm.iter().map(|&i| valid[i]).collect();
                write_floats(&mut w, &v, &ok);
                sections.push((section_column(c), w.buf));
            }
            Prepared::Int { values, valid } => {
                let mut w = ByteWriter::new();
                let v: Vec<i64> = perm.iter().map(|&i| values[i]).collect();
                let ok: Vec<bool> = perm.iter().map(|&i| valid[i]).collect();
                write_ints(&mut w, &v, &ok);
                sections.push((section_column(c), w.buf));
            }
        }
    }

    let mut rollups = Vec::new();
    for (r, def) in schema.rollups.iter().enumerate() {
        let mut key_cols = Vec::new();
        for d in &def.dimensions {
            let c = schema.column_index(d).ok_or_else(|| {
                IndexError::BadDefinition(format!("rollup \"{}\": no column \"{d}\"", def.name))
            })?;
            if !schema.columns[c].partition {
                key_cols.push(c);
            }
        }
        let distinct: Vec<usize> = (0..meta_cols.len())
            .filter(|&c| meta_cols[c].indexed && !key_cols.contains(&c))
            .collect();
        let slices: Vec<&[u32]> = prepared
            .iter()
            .map(|p| match p {
                Prepared::Dict { slice, .. } => slice.as_slice(),
                _ => &[],
            })
            .collect();
        let (bytes, groups) = write_rollup(
            n,
            &key_cols,
            &distinct,
            &sorted_codes,
            &slices,
            &measure_rows,
        );
        sections.push((section_rollup(r), bytes));
        rollups.push(MetaRollup {
            name: def.name.clone(),
            dimensions: def.dimensions.clone(),
            key: key_cols,
            distinct,
            groups,
        });
    }

    let meta = SegmentMeta {
        format: FORMAT_VERSION,
        rows: n as u64,
        partition: key.path.clone(),
        columns: meta_cols,
        measures,
        rollups,
    };
    let meta_json = serde_json::to_vec(&meta).map_err(|e| IndexError::Internal(e.to_string()))?;
    sections.push((SECTION_META, meta_json));
    Ok(BuiltSegment { meta, sections })
}

/// Row order: dimensions with fewer values first, then integer columns.
fn sort_order(meta: &[MetaColumn], prepared: &[Prepared], n: usize) -> Vec<usize> {
    let mut dims: Vec<usize> = (0..meta.len())
        .filter(|&c| matches!(prepared[c], Prepared::Dict { .. }))
        .collect();
    dims.sort_by_key(|&c| (meta[c].role != ColumnRole::Dimension, meta[c].slice_len, c));
    let ints: Vec<usize> = (0..meta.len())
        .filter(|&c| matches!(prepared[c], Prepared::Int { .. }))
        .collect();
    let mut perm: Vec<usize> = (0..n).collect();
    perm.sort_by(|&a, &b| {
        for &c in &dims {
            if let Prepared::Dict { codes, .. } = &prepared[c] {
                let o = codes[a].cmp(&codes[b]);
                if o.is_ne() {
                    return o;
                }
            }
        }
        for &c in &ints {
            if let Prepared::Int { values, valid } = &prepared[c] {
                let o = (!valid[a], values[a]).cmp(&(!valid[b], values[b]));
                if o.is_ne() {
                    return o;
                }
            }
        }
        a.cmp(&b)
    });
    perm
}

fn write_slice(slice: &[u32], values: &[DictValue]) -> Vec<u8> {
    let mut w = ByteWriter::new();
    w.u32(slice.len() as u32);
    for id in slice {
        w.u32(*id);
    }
    let mut heap = Vec::new();
    let mut offsets = vec![0u32];
    for v in values {
        match v {
            DictValue::Text(s) => heap.extend_from_slice(s.as_bytes()),
            DictValue::Date(d) => heap.extend_from_slice(&d.to_le_bytes()),
        }
        offsets.push(heap.len() as u32);
    }
    for o in offsets {
        w.u32(o);
    }
    w.bytes(&heap);
    w.buf
}

fn write_value_index(
    slice_len: usize,
    codes: &[u32],
    measures: &[(Vec<f64>, Vec<bool>)],
) -> Vec<u8> {
    let has_null = codes.contains(&(slice_len as u32));
    let m = slice_len + usize::from(has_null);
    let mut bitmaps = vec![RoaringBitmap::new(); m];
    let mut rows = vec![0u32; m];
    let mut stats = vec![vec![MeasureStats::default(); measures.len()]; m];
    for (row, &code) in codes.iter().enumerate() {
        let e = code as usize;
        let _ = bitmaps[e].try_push(row as u32);
        rows[e] += 1;
        for (k, (vals, valid)) in measures.iter().enumerate() {
            if valid[row] {
                stats[e][k].add(vals[row]);
            }
        }
    }
    let mut w = ByteWriter::new();
    w.u32(m as u32);
    w.u16(measures.len() as u16);
    w.u16(0);
    for e in 0..m {
        w.u32(rows[e]);
        for s in &stats[e] {
            s.write(&mut w);
        }
    }
    write_bitmap_heap(&mut w, &bitmaps);
    w.buf
}

fn write_bitmap_heap(w: &mut ByteWriter, bitmaps: &[RoaringBitmap]) {
    let mut heap = Vec::new();
    let mut offsets = Vec::with_capacity(bitmaps.len() + 1);
    offsets.push(0u32);
    for b in bitmaps {
        if !b.is_empty() {
            let mut b = b.clone();
            b.optimize();
            // Writing into a Vec cannot fail.
            let _ = b.serialize_into(&mut heap);
        }
        offsets.push(heap.len() as u32);
    }
    for o in offsets {
        w.u32(o);
    }
    w.bytes(&heap);
}

#[derive(Clone)]
struct GroupAcc {
    rows: u32,
    stats: Vec<MeasureStats>,
    distinct: Vec<RoaringBitmap>,
}

fn write_rollup(
    n: usize,
    key_cols: &[usize],
    distinct: &[usize],
    codes: &[Option<Vec<u32>>],
    slices: &[&[u32]],
    measures: &[(Vec<f64>, Vec<bool>)],
) -> (Vec<u8>, u32) {
    let gid = |c: usize, row: usize| -> u32 {
        let code = codes[c].as_ref().map_or(u32::MAX, |v| v[row]);
        slices[c].get(code as usize).copied().unwrap_or(NULL_ID)
    };
    let mut groups: HashMap<Vec<u32>, GroupAcc> = HashMap::new();
    let empty = GroupAcc {
        rows: 0,
        stats: vec![MeasureStats::default(); measures.len()],
        distinct: vec![RoaringBitmap::new(); distinct.len()],
    };
    let mut key = Vec::with_capacity(key_cols.len());
    for row in 0..n {
        key.clear();
        key.extend(key_cols.iter().map(|&c| gid(c, row)));
        let g = match groups.get_mut(&key) {
            Some(g) => g,
            None => groups.entry(key.clone()).or_insert_with(|| empty.clone()),
        };
        g.rows += 1;
        for (k, (vals, valid)) in measures.iter().enumerate() {
            if valid[row] {
                g.stats[k].add(vals[row]);
            }
        }
        for (j, &c) in distinct.iter().enumerate() {
            let id = gid(c, row);
            if id != NULL_ID {
                g.distinct[j].insert(id);
            }
        }
    }
    let mut sorted: Vec<(Vec<u32>, GroupAcc)> = groups.into_iter().collect();
    sorted.sort_by(|a, b| a.0.cmp(&b.0));
    let mut w = ByteWriter::new();
    w.u32(sorted.len() as u32);
    w.u16(key_cols.len() as u16);
    w.u16(measures.len() as u16);
    w.u16(distinct.len() as u16);
    w.u16(0);
    for (key, g) in &sorted {
        for id in key {
            w.u32(*id);
        }
        w.u32(g.rows);
        for s in &g.stats {
            s.write(&mut w);
        }
    }
    let bitmaps: Vec<RoaringBitmap> = sorted
        .iter()
        .flat_map(|(_, g)| g.distinct.iter().cloned())
        .collect();
    write_bitmap_heap(&mut w, &bitmaps);
    (w.buf, sorted.len() as u32)
}

/// The partition value of a META column as a SQL value.
pub fn part_value(col: &MetaColumn) -> Value {
    match (&col.part_value, col.ty) {
        (None, _) => Value::Null,
        (Some(s), ScalarType::Date) => {
            crate::calendar::parse_date(s).map_or(Value::Null, Value::Date)
        }
        (Some(s), _) => Value::Text(s.clone()),
    }
}
