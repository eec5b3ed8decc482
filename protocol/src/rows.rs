//! [`Rows`]: a statement's materialized result from either path (index
//! values or the engine's Arrow batches), described as PostgreSQL columns
//! and encoded to DataRows in text or binary, or to text cells for COPY.
//!
//! Results are materialized: portals with row limits, cursors and COPY
//! slice them; nothing is truncated.

use std::sync::Arc;

use bytes::{BufMut, BytesMut};
use isotherm_engine::arrow::array::{Array, ArrayRef, new_empty_array};
use isotherm_engine::arrow::compute::concat;
use isotherm_engine::arrow::datatypes::SchemaRef;
use isotherm_engine::arrow::record_batch::RecordBatch;
use isotherm_indexer::Value;
use pgwire::api::Type;
use pgwire::api::portal::Format;
use pgwire::api::results::{FieldFormat, FieldInfo};
use pgwire::messages::data::DataRow;

use crate::error::{SqlError, SqlResult};
use crate::sql::Field;
use crate::types::arrow::{Kind, kind_of_field, normalize, write_binary, write_text};
use crate::types::{PgType, TextOptions, encode_binary, encode_text};

/// A result column as RowDescription describes it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Column {
    pub name: String,
    pub oid: u32,
    /// `typlen`.
    pub size: i16,
    /// A table's plain column: the table's OID and the attribute number.
    pub source: Option<(u32, i16)>,
}

impl Column {
    pub fn pg_type(&self) -> Type {
        Type::from_oid(self.oid).unwrap_or(Type::UNKNOWN)
    }
}

/// Columns of an index result.
pub fn columns_of_fields(fields: &[Field]) -> Vec<Column> {
    fields
        .iter()
        .map(|f| Column {
            name: f.name.clone(),
            oid: f.ty.oid(),
            size: f.ty.type_size(),
            source: f.source,
        })
        .collect()
}

/// Columns of an engine result.
pub fn columns_of_schema(schema: &SchemaRef) -> Vec<Column> {
    schema
        .fields()
        .iter()
        .map(|f| {
            let k = kind_of_field(f);
            Column {
                name: f.name().clone(),
                oid: k.oid(),
                size: k.type_size(),
                source: isotherm_engine::provider::column_source(f),
            }
        })
        .collect()
}

/// Whether column `i` uses the binary format (missing codes are text).
pub fn is_binary(format: &Format, i: usize) -> bool {
    match format {
        Format::UnifiedText => false,
        Format::UnifiedBinary => true,
        Format::Individual(codes) => codes.get(i) == Some(&1),
    }
}

/// RowDescription fields; `format` None (a statement's Describe) is text.
pub fn field_infos(columns: &[Column], format: Option<&Format>) -> Vec<FieldInfo> {
    columns
        .iter()
        .enumerate()
        .map(|(i, c)| {
            let fmt = if format.is_some_and(|f| is_binary(f, i)) {
                FieldFormat::Binary
            } else {
                FieldFormat::Text
            };
            let (table, attnum) = c.source.unzip();
            FieldInfo::new(
                c.name.clone(),
                table.map(|t| t as i32),
                attnum,
                c.pg_type(),
                fmt,
            )
            .with_type_size(c.size)
        })
        .collect()
}

/// A materialized result.
#[derive(Debug, Clone)]
pub enum Rows {
    Values {
        fields: Vec<Field>,
        rows: Vec<Vec<Value>>,
    },
    Arrow {
        names: Vec<String>,
        /// Each column's table OID and attnum, for a table's plain column.
        sources: Vec<Option<(u32, i16)>>,
        kinds: Vec<Kind>,
        /// One array per column, already in its kind's canonical type.
        columns: Vec<ArrayRef>,
        len: usize,
    },
}

impl Rows {
    /// The engine's batches, each column cast for encoding and concatenated.
    /// Kinds come from the plan's schema (its field metadata names catalog
    /// types); casts from each batch's own types (which may differ, e.g.
    /// Utf8View for Utf8).
    pub fn from_batches(schema: &SchemaRef, batches: &[RecordBatch]) -> SqlResult<Rows> {
        let width = schema.fields().len();
        let mut kinds = Vec::with_capacity(width);
        let mut columns = Vec::with_capacity(width);
        let mut len = 0;
        for b in batches {
            if b.num_columns() != width {
                return Err(SqlError::Internal(format!(
                    "the engine returned {} columns, its plan has {width}",
                    b.num_columns()
                )));
            }
            len += b.num_rows();
        }
        for (i, f) in schema.fields().iter().enumerate() {
            let k = kind_of_field(f);
            let parts = batches
                .iter()
                .map(|b| normalize(b.column(i), &k))
                .collect::<SqlResult<Vec<ArrayRef>>>()?;
            let column = match parts.as_slice() {
                [] => normalize(&new_empty_array(f.data_type()), &k)?,
                [one] => one.clone(),
                many => {
                    let refs: Vec<&dyn Array> = many.iter().map(|a| a.as_ref()).collect();
                    concat(&refs)
                        .map_err(|e| SqlError::Internal(format!("cannot gather results: {e}")))?
                }
            };
            columns.push(column);
            kinds.push(k);
        }
        Ok(Rows::Arrow {
            names: schema.fields().iter().map(|f| f.name().clone()).collect(),
            sources: schema
                .fields()
                .iter()
                .map(|f| isotherm_engine::provider::column_source(f))
                .collect(),
            kinds,
            columns,
            len,
        })
    }

    /// One text column (EXPLAIN, SHOW).
    pub fn text_lines(name: &str, lines: Vec<String>) -> Rows {
        Rows::Values {
            fields: vec![Field::new(name, PgType::Text)],
            rows: lines.into_iter().map(|l| vec![Value::Text(l)]).collect(),
        }
    }

    pub fn len(&self) -> usize {
        match self {
            Rows::Values { rows, .. } => rows.len(),
            Rows::Arrow { len, .. } => *len,
        }
    }

    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    pub fn columns(&self) -> Vec<Column> {
        match self {
            Rows::Values { fields, .. } => columns_of_fields(fields),
            Rows::Arrow {
                names,
                kinds,
                sources,
                ..
            } => names
                .iter()
                .zip(kinds)
                .zip(sources)
                .map(|((n, k), source)| Column {
                    name: n.clone(),
                    oid: k.oid(),
                    size: k.type_size(),
                    source: *source,
                })
                .collect(),
        }
    }

    pub fn width(&self) -> usize {
        match self {
            Rows::Values { fields, .. } => fields.len(),
            Rows::Arrow { names, .. } => names.len(),
        }
    }

    fn is_null(&self, row: usize, col: usize) -> bool {
        match self {
            Rows::Values { rows, .. } => rows[row].get(col).is_none_or(Value::is_null),
            Rows::Arrow { columns, .. } => columns[col].is_null(row),
        }
    }

    /// The text form of one cell; `None` for NULL.
    pub fn text(&self, row: usize, col: usize, opts: TextOptions) -> SqlResult<Option<String>> {
        if self.is_null(row, col) {
            return Ok(None);
        }
        let mut s = String::new();
        match self {
            Rows::Values { fields, rows } => {
                s = encode_text(&rows[row][col], fields[col].ty, opts);
            }
            Rows::Arrow { kinds, columns, .. } => {
                write_text(&kinds[col], columns[col].as_ref(), row, opts, &mut s)?;
            }
        }
        Ok(Some(s))
    }

    fn write_cell(
        &self,
        row: usize,
        col: usize,
        binary: bool,
        opts: TextOptions,
        buf: &mut BytesMut,
    ) -> SqlResult<()> {
        if binary {
            match self {
                Rows::Values { fields, rows } => {
                    encode_binary(&rows[row][col], fields[col].ty, buf)
                }
                Rows::Arrow { kinds, columns, .. } => {
                    write_binary(&kinds[col], columns[col].as_ref(), row, buf)
                }
            }
        } else {
            let s = self.text(row, col, opts)?.unwrap_or_default();
            buf.put_slice(s.as_bytes());
            Ok(())
        }
    }

    /// DataRows for the rows `which` (in that order) with the per-column `format`.
    pub fn encode(
        &self,
        which: impl ExactSizeIterator<Item = usize>,
        format: &Format,
        opts: TextOptions,
    ) -> SqlResult<Vec<DataRow>> {
        let range = which;
        let width = self.width();
        let binary: Vec<bool> = (0..width).map(|i| is_binary(format, i)).collect();
        let mut out = Vec::with_capacity(range.len());
        for row in range {
            let mut buf = BytesMut::with_capacity(16 * width);
            for (col, bin) in binary.iter().enumerate() {
                if self.is_null(row, col) {
                    buf.put_i32(-1);
                    continue;
                }
                let start = buf.len();
                buf.put_i32(0);
                self.write_cell(row, col, *bin, opts, &mut buf)?;
                let len = i32::try_from(buf.len() - start - 4)
                    .map_err(|_| SqlError::Internal("value too large".into()))?;
                buf[start..start + 4].copy_from_slice(&len.to_be_bytes());
            }
            out.push(DataRow::new(buf, width as i16));
        }
        Ok(out)
    }
}

/// Shares results between a portal and its executions.
pub type SharedRows = Arc<Rows>;

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;
    use isotherm_engine::arrow::array::{Int32Array, StringArray};
    use isotherm_engine::arrow::datatypes::{DataType, Field as ArrowField, Schema};

    #[test]
    fn arrow_batches_encode_text_and_binary() {
        let schema = Arc::new(Schema::new(vec![
            ArrowField::new("n", DataType::Int32, true),
            ArrowField::new("s", DataType::Utf8, true),
        ]));
        let b1 = RecordBatch::try_new(
            schema.clone(),
            vec![
                Arc::new(Int32Array::from(vec![Some(1), None])),
                Arc::new(StringArray::from(vec![Some("a"), Some("b")])),
            ],
        )
        .unwrap();
        let b2 = RecordBatch::try_new(
            schema.clone(),
            vec![
                Arc::new(Int32Array::from(vec![Some(3)])),
                Arc::new(StringArray::from(vec![None::<&str>])),
            ],
        )
        .unwrap();
        let rows = Rows::from_batches(&schema, &[b1, b2]).unwrap();
        assert_eq!(rows.len(), 3);
        assert_eq!(
            rows.columns().iter().map(|c| c.oid).collect::<Vec<_>>(),
            vec![23, 25]
        );
        let o = TextOptions::default();
        assert_eq!(rows.text(1, 0, o).unwrap(), None);
        assert_eq!(rows.text(2, 0, o).unwrap().as_deref(), Some("3"));
        let data = rows.encode(0..1, &Format::UnifiedBinary, o).unwrap();
        assert_eq!(
            data[0].data.to_vec(),
            vec![0, 0, 0, 4, 0, 0, 0, 1, 0, 0, 0, 1, b'a']
        );
        let data = rows
            .encode(1..3, &Format::Individual(vec![0, 1]), o)
            .unwrap();
        assert_eq!(data.len(), 2);
        assert_eq!(
            data[1].data.to_vec(),
            vec![0, 0, 0, 1, b'3', 255, 255, 255, 255]
        );
    }
}
