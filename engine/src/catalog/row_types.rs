//! `pg_type` rows for Isotherm's tables: as in PostgreSQL, every table has
//! a composite row type named after it (`pg_class.reltype`, type `c`,
//! `typrelid` the table) and an array type `_<name>` of it.
//!
//! datafusion-pg-catalog's `pg_type` is static; these rows are built when a
//! query reads `pg_type`, from its composite and array rows for `pg_type`
//! itself (OIDs 71 and 210) with the identifying columns replaced: OIDs
//! ([`super::oid::row_type_oids`]), name, namespace, owner, `typrelid`,
//! `typarray` / `typelem`.

use std::sync::Arc;

use datafusion::arrow::array::{Array, ArrayRef, AsArray, Int32Array, StringArray, UInt32Array};
use datafusion::arrow::compute::{cast, concat_batches, take};
use datafusion::arrow::datatypes::{DataType, Int64Type, SchemaRef};
use datafusion::arrow::record_batch::RecordBatch;
use datafusion::error::Result;

use super::oid;
use super::state::CatalogState;

/// One generated row: its OID, name, `typrelid`, `typarray`, `typelem`.
struct RowType {
    oid: i32,
    name: String,
    relid: i32,
    array: i32,
    elem: i32,
}

/// `pg_type`'s own composite row type and its array type (PostgreSQL's OIDs).
const COMPOSITE_TEMPLATE: i64 = 71;
const ARRAY_TEMPLATE: i64 = 210;

/// The row and array types of the state's tables, one batch of `schema`;
/// `None` when there are no tables or the templates are missing.
pub fn batch(
    schema: &SchemaRef,
    static_rows: &[RecordBatch],
    state: &CatalogState,
) -> Result<Option<RecordBatch>> {
    let relations = state.user_relations();
    if relations.is_empty() {
        return Ok(None);
    }
    let all = concat_batches(schema, static_rows)?;
    let index = |name: &str| schema.index_of(name).ok();
    let Some(oid_col) = index("oid") else {
        return Ok(None);
    };
    let oids = cast(all.column(oid_col), &DataType::Int64)?;
    let oids = oids.as_primitive::<Int64Type>();
    let row_of = |oid: i64| (0..oids.len()).find(|&r| !oids.is_null(r) && oids.value(r) == oid);
    let (Some(composite), Some(array)) = (row_of(COMPOSITE_TEMPLATE), row_of(ARRAY_TEMPLATE))
    else {
        return Ok(None);
    };
    let owner = state.owner_oid();
    // Row order: each table's row type, then its array type.
    let mut template_rows = Vec::new();
    let mut values: Vec<RowType> = Vec::new();
    for r in &relations {
        let (row_type, array_type) = oid::row_type_oids(&r.schema, &r.name);
        template_rows.push(u32::try_from(composite).unwrap_or(0));
        values.push(RowType {
            oid: row_type,
            name: r.name.clone(),
            relid: r.oid,
            array: array_type,
            elem: 0,
        });
        template_rows.push(u32::try_from(array).unwrap_or(0));
        values.push(RowType {
            oid: array_type,
            name: format!("_{}", r.name),
            relid: 0,
            array: 0,
            elem: row_type,
        });
    }
    let indices = UInt32Array::from(template_rows);
    let ints = |f: &dyn Fn(&RowType) -> i32| -> ArrayRef {
        Arc::new(Int32Array::from(values.iter().map(f).collect::<Vec<_>>()))
    };
    let mut columns = Vec::with_capacity(schema.fields().len());
    for (i, field) in schema.fields().iter().enumerate() {
        let replaced: Option<ArrayRef> = match field.name().as_str() {
            "oid" => Some(ints(&|v| v.oid)),
            "typname" => Some(Arc::new(StringArray::from(
                values.iter().map(|v| v.name.clone()).collect::<Vec<_>>(),
            ))),
            "typnamespace" => Some(ints(&|_| oid::PUBLIC_NAMESPACE)),
            "typowner" => Some(ints(&|_| owner)),
            "typrelid" => Some(ints(&|v| v.relid)),
            "typarray" => Some(ints(&|v| v.array)),
            "typelem" => Some(ints(&|v| v.elem)),
            _ => None,
        };
        columns.push(match replaced {
            Some(a) => cast(&a, field.data_type())?,
            None => take(all.column(i).as_ref(), &indices, None)?,
        });
    }
    Ok(Some(RecordBatch::try_new(schema.clone(), columns)?))
}
