//! datafusion-pg-catalog's static tables with PostgreSQL's column types.
//!
//! Its `pg_type`, `pg_proc`, `pg_am` and `pg_enum` hold rows exported from a
//! real PostgreSQL but type every `name`, `"char"` and `regproc` column as
//! plain text, so clients see type 25 where PostgreSQL reports 19, 18 or 24
//! (DBeaver and Metabase read those OIDs). These tables are read once, the
//! listed columns tagged with [`PG_TYPE_KEY`] (the values are unchanged:
//! PostgreSQL's text forms), and kept: they never change while the server
//! runs.
//!
//! A `regproc` value is a function's OID that prints as its name. The rows
//! hold the name (what SQL compares and text results show); binary results
//! need the OID, which [`regproc_oid`] finds in `pg_proc`.

use std::collections::HashMap;
use std::sync::{Arc, OnceLock};

use datafusion::arrow::array::{Array, ArrayRef, AsArray, ListBuilder, StringBuilder};
use datafusion::arrow::compute::cast;
use datafusion::arrow::datatypes::{DataType, Field, Schema, SchemaRef};
use datafusion::arrow::record_batch::RecordBatch;
use datafusion::catalog::TableProvider;
use datafusion::datasource::MemTable;
use datafusion::error::Result;
use datafusion::prelude::SessionContext;

use super::PG_TYPE_KEY;

/// Table -> (column, PostgreSQL type name as the wire layer knows it).
const RETYPED: &[(&str, &[(&str, &str)])] = &[
    (
        "pg_type",
        &[
            ("typname", "name"),
            ("typtype", "char"),
            ("typcategory", "char"),
            ("typdelim", "char"),
            ("typalign", "char"),
            ("typstorage", "char"),
            ("typsubscript", "regproc"),
            ("typinput", "regproc"),
            ("typoutput", "regproc"),
            ("typreceive", "regproc"),
            ("typsend", "regproc"),
            ("typmodin", "regproc"),
            ("typmodout", "regproc"),
            ("typanalyze", "regproc"),
            ("typdefaultbin", "pg_node_tree"),
            ("typacl", "_aclitem"),
        ],
    ),
    (
        "pg_proc",
        &[
            ("proname", "name"),
            ("prosupport", "regproc"),
            ("prokind", "char"),
            ("provolatile", "char"),
            ("proparallel", "char"),
            ("proargtypes", "oidvector"),
            ("proallargtypes", "_oid"),
            ("proargmodes", "_char"),
            ("proargnames", "_text"),
            ("protrftypes", "_oid"),
            ("proconfig", "_text"),
            ("proargdefaults", "pg_node_tree"),
            ("prosqlbody", "pg_node_tree"),
            ("proacl", "_aclitem"),
        ],
    ),
    (
        "pg_am",
        &[
            ("amname", "name"),
            ("amhandler", "regproc"),
            ("amtype", "char"),
        ],
    ),
    ("pg_enum", &[("enumlabel", "name")]),
];

/// `pg_proc` names to OIDs, known once `pg_proc` has been read.
static PROC_OIDS: OnceLock<HashMap<String, u32>> = OnceLock::new();

/// Whether reading `table` needs [`regproc_oid`] (it has regproc columns).
pub fn has_regproc(table: &str) -> bool {
    RETYPED
        .iter()
        .any(|(t, cols)| *t == table && cols.iter().any(|(_, ty)| *ty == "regproc"))
}

/// The OID a `regproc` value's binary form sends: 0 for `-`, else the
/// function's (the lowest OID among overloads, as names are all a regproc
/// column holds here). `None` for an unknown name or before `pg_proc` is read.
pub fn regproc_oid(name: &str) -> Option<u32> {
    if name == "-" {
        return Some(0);
    }
    PROC_OIDS.get()?.get(name).copied()
}

/// `pg_type` OIDs to their namespace OIDs, known once `pg_type` has been read.
static TYPE_NAMESPACES: OnceLock<HashMap<i64, i32>> = OnceLock::new();

/// The newer PostgreSQL's `information_schema` namespace OID in
/// datafusion-pg-catalog's `pg_type`; ours is PostgreSQL 15's.
const UPSTREAM_INFORMATION_SCHEMA: i32 = 13283;

/// The namespace of a builtin type (`None`: unknown, or `pg_type` not read yet).
pub fn type_namespace(oid: i64) -> Option<i32> {
    TYPE_NAMESPACES.get()?.get(&oid).copied()
}

/// `pg_type` with `information_schema`'s types in our namespace OID, and
/// their namespaces remembered for [`type_namespace`].
fn fix_pg_type(batch: RecordBatch) -> Result<RecordBatch> {
    use datafusion::arrow::array::Int32Array;
    use datafusion::arrow::datatypes::{Int32Type, Int64Type};
    let schema = batch.schema();
    let (Ok(oid), Ok(ns)) = (schema.index_of("oid"), schema.index_of("typnamespace")) else {
        return Ok(batch);
    };
    let Some(namespaces) = batch.column(ns).as_primitive_opt::<Int32Type>() else {
        return Ok(batch);
    };
    let fixed: Int32Array = namespaces.unary(|n| {
        if n == UPSTREAM_INFORMATION_SCHEMA {
            super::oid::INFORMATION_SCHEMA_NAMESPACE
        } else {
            n
        }
    });
    let oids = cast(batch.column(oid), &DataType::Int64)?;
    let oids = oids.as_primitive::<Int64Type>();
    let map = (0..batch.num_rows())
        .filter(|&r| !oids.is_null(r) && !fixed.is_null(r))
        .map(|r| (oids.value(r), fixed.value(r)))
        .collect();
    let _ = TYPE_NAMESPACES.set(map);
    let mut columns = batch.columns().to_vec();
    columns[ns] = Arc::new(fixed);
    Ok(RecordBatch::try_new(schema, columns)?)
}

/// Whether [`regproc_oid`] knows `pg_proc` yet.
pub fn knows_procs() -> bool {
    PROC_OIDS.get().is_some()
}

/// Records `pg_proc`'s names and OIDs from its rows (once).
fn remember_procs(batches: &[RecordBatch]) -> Result<()> {
    use datafusion::arrow::datatypes::Int64Type;
    if knows_procs() {
        return Ok(());
    }
    let mut map: HashMap<String, u32> = HashMap::new();
    for batch in batches {
        let schema = batch.schema();
        let (Ok(oid), Ok(name)) = (schema.index_of("oid"), schema.index_of("proname")) else {
            return Ok(());
        };
        let oids = cast(batch.column(oid), &DataType::Int64)?;
        let names = cast(batch.column(name), &DataType::Utf8)?;
        let (oids, names) = (oids.as_primitive::<Int64Type>(), names.as_string::<i32>());
        for row in 0..batch.num_rows() {
            if oids.is_null(row) || names.is_null(row) {
                continue;
            }
            let Ok(o) = u32::try_from(oids.value(row)) else {
                continue;
            };
            map.entry(names.value(row).to_owned())
                .and_modify(|v| *v = (*v).min(o))
                .or_insert(o);
        }
    }
    let _ = PROC_OIDS.set(map);
    Ok(())
}

/// Whether `table` is one of the retyped tables.
pub fn is_retyped(table: &str) -> bool {
    RETYPED.iter().any(|(t, _)| *t == table)
}

/// `upstream`'s rows under a schema whose listed columns carry their
/// PostgreSQL type, array columns parsed from their text into lists.
pub async fn retype(table: &str, upstream: Arc<dyn TableProvider>) -> Result<Arc<MemTable>> {
    let (schema, batches) = retype_rows(table, upstream).await?;
    Ok(Arc::new(MemTable::try_new(schema, vec![batches])?))
}

/// [`retype`]'s schema and rows.
pub async fn retype_rows(
    table: &str,
    upstream: Arc<dyn TableProvider>,
) -> Result<(SchemaRef, Vec<RecordBatch>)> {
    let schema = schema_for(table, &upstream.schema());
    let ctx = SessionContext::new();
    let batches = ctx.read_table(upstream)?.collect().await?;
    let batches = batches
        .into_iter()
        .map(|b| {
            let columns = b
                .columns()
                .iter()
                .zip(schema.fields())
                .map(|(c, f)| as_list(c, f))
                .collect::<Result<Vec<_>>>()?;
            Ok(RecordBatch::try_new(schema.clone(), columns)?)
        })
        .collect::<Result<Vec<_>>>()?;
    if table == "pg_proc" {
        remember_procs(&batches)?;
    }
    let batches = if table == "pg_type" {
        batches
            .into_iter()
            .map(fix_pg_type)
            .collect::<Result<_>>()?
    } else {
        batches
    };
    Ok((schema, batches))
}

/// The element type of the array types kept as lists (`None`: not one).
fn list_element(pg_type: &str) -> Option<DataType> {
    match pg_type {
        "oidvector" | "_oid" => Some(DataType::Int32),
        "_char" | "_text" | "_aclitem" => Some(DataType::Utf8),
        _ => None,
    }
}

/// `column` as the list `field` declares, parsing text; other columns as they are.
fn as_list(column: &ArrayRef, field: &Field) -> Result<ArrayRef> {
    let (DataType::List(item), Some(text)) = (field.data_type(), column.as_string_opt::<i32>())
    else {
        return Ok(column.clone());
    };
    let mut out = ListBuilder::new(StringBuilder::new());
    for row in 0..text.len() {
        if text.is_null(row) {
            out.append_null();
            continue;
        }
        for element in parse_array_text(text.value(row)) {
            out.values().append_option(element);
        }
        out.append(true);
    }
    let strings: ArrayRef = Arc::new(out.finish());
    Ok(cast(&strings, &DataType::List(item.clone()))?)
}

/// The elements of an array's text as datafusion-pg-catalog's exports write
/// it: PostgreSQL's `{a,"b c",NULL}`, a Python-style `['a', 'b']`, or a
/// vector's space-separated `23 25`.
pub fn parse_array_text(s: &str) -> Vec<Option<String>> {
    let s = s.trim();
    let (body, pg) = if let Some(b) = s.strip_prefix('{').and_then(|b| b.strip_suffix('}')) {
        (b, true)
    } else if let Some(b) = s.strip_prefix('[').and_then(|b| b.strip_suffix(']')) {
        (b, false)
    } else {
        return s.split_whitespace().map(|e| Some(e.to_owned())).collect();
    };
    let mut out = Vec::new();
    let mut chars = body.chars().peekable();
    loop {
        while chars.peek().is_some_and(|c| c.is_whitespace()) {
            chars.next();
        }
        let Some(&first) = chars.peek() else { break };
        let mut element = String::new();
        let quoted = first == '"' || (!pg && first == '\'');
        if quoted {
            chars.next();
            while let Some(c) = chars.next() {
                match c {
                    '\\' => element.extend(chars.next()),
                    c if c == first => break,
                    c => element.push(c),
                }
            }
        }
        while let Some(&c) = chars.peek() {
            if c == ',' {
                break;
            }
            chars.next();
            if !quoted {
                element.push(c);
            }
        }
        chars.next();
        let element = if quoted {
            element
        } else {
            element.trim().to_owned()
        };
        out.push((quoted || !(pg && element.eq_ignore_ascii_case("null"))).then_some(element));
    }
    out
}

/// `table`'s schema with its listed columns tagged (as is if not listed).
pub fn schema_for(table: &str, schema: &Schema) -> SchemaRef {
    let columns = RETYPED
        .iter()
        .find(|(t, _)| *t == table)
        .map_or(&[][..], |(_, c)| *c);
    let fields: Vec<Field> = schema
        .fields()
        .iter()
        .map(|f| match columns.iter().find(|(c, _)| c == f.name()) {
            Some((_, ty)) => {
                let mut metadata = f.metadata().clone();
                metadata.insert(PG_TYPE_KEY.to_owned(), (*ty).to_owned());
                let field = f.as_ref().clone().with_metadata(metadata);
                match list_element(ty) {
                    Some(element) if f.data_type() == &DataType::Utf8 => field.with_data_type(
                        DataType::List(Arc::new(Field::new_list_field(element, true))),
                    ),
                    _ => field,
                }
            }
            None => f.as_ref().clone(),
        })
        .collect();
    Arc::new(Schema::new_with_metadata(
        fields,
        schema
            .metadata()
            .clone()
            .into_iter()
            .collect::<HashMap<_, _>>(),
    ))
}

#[cfg(test)]
mod tests {
    use super::parse_array_text;

    fn some(v: &[&str]) -> Vec<Option<String>> {
        v.iter().map(|s| Some((*s).to_owned())).collect()
    }

    #[test]
    fn array_texts_of_every_export_form_parse() {
        assert_eq!(parse_array_text("25 26"), some(&["25", "26"]));
        assert_eq!(parse_array_text(""), some(&[]));
        assert_eq!(parse_array_text("[2276]"), some(&["2276"]));
        assert_eq!(
            parse_array_text("['i', 'o', 'it''s']")[..2],
            some(&["i", "o"])[..]
        );
        assert_eq!(
            parse_array_text("{postgres=X/postgres,\"a,b\",NULL}"),
            vec![Some("postgres=X/postgres".into()), Some("a,b".into()), None]
        );
        assert_eq!(parse_array_text("{}"), some(&[]));
        assert_eq!(parse_array_text("{\"NULL\"}"), some(&["NULL"]));
    }
}
