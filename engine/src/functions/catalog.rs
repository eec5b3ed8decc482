//! Catalog functions datafusion-pg-catalog lacks or gets wrong for us,
//! registered once on the shared state (they read [`CatalogState`], not the
//! session).
//!
//! Isotherm has no indexes, constraints, comments, sequences or views, so the
//! functions describing those return what PostgreSQL returns for an object
//! without them (NULL, or an empty string where PostgreSQL prints one).
//! `obj_description` gives PostgreSQL 15's comments on builtin objects.

use std::sync::Arc;

use datafusion::arrow::datatypes::{DataType, TimeUnit};
use datafusion::common::ScalarValue;
use datafusion::error::Result;
use datafusion::logical_expr::ScalarUDF;

use crate::catalog::oid::{INFORMATION_SCHEMA_NAMESPACE, PG_TOAST_NAMESPACE};
use crate::catalog::pg_relations::UTF8_ENCODING;
use crate::catalog::state::CatalogState;

use super::udf::{Udf, any_of, int, text, utf8};

type S = CatalogState;

fn null(_: &S, _: &[ScalarValue]) -> Result<ScalarValue> {
    Ok(ScalarValue::Null)
}

/// `obj_description(oid [, catalog])`: PostgreSQL 15's comments on builtin
/// objects (Isotherm's own have none).
fn obj_description(state: &S, args: &[ScalarValue]) -> Result<ScalarValue> {
    let Some(objoid) = int(args, 0) else {
        return Ok(ScalarValue::Utf8(None));
    };
    let classoid = match args.len() {
        1 => None,
        _ => match text(args, 1).and_then(|name| state.resolve(&name)) {
            Some(catalog) => Some(i64::from(catalog.oid)),
            None => return Ok(ScalarValue::Utf8(None)),
        },
    };
    Ok(ScalarValue::Utf8(
        crate::catalog::pg_description::object_description(objoid, classoid).map(str::to_owned),
    ))
}

fn yes(_: &S, _: &[ScalarValue]) -> Result<ScalarValue> {
    Ok(ScalarValue::Boolean(Some(true)))
}

fn empty(_: &S, _: &[ScalarValue]) -> Result<ScalarValue> {
    Ok(utf8(""))
}

/// Every catalog function, over `state`.
pub fn functions(state: Arc<S>) -> Vec<ScalarUDF> {
    let s = || state.clone();
    let mut fns = vec![
        // No indexes, constraints, views or serial columns; comments only on builtins.
        Udf::function(
            "pg_get_indexdef",
            any_of(&[1, 3]),
            DataType::Utf8,
            s(),
            null,
        ),
        Udf::function(
            "pg_get_constraintdef",
            any_of(&[1, 2]),
            DataType::Utf8,
            s(),
            null,
        ),
        Udf::function(
            "obj_description",
            any_of(&[1, 2]),
            DataType::Utf8,
            s(),
            obj_description,
        ),
        Udf::function("col_description", any_of(&[2]), DataType::Utf8, s(), null),
        Udf::function("shobj_description", any_of(&[2]), DataType::Utf8, s(), null),
        Udf::function("pg_get_expr", any_of(&[2, 3]), DataType::Utf8, s(), null),
        Udf::function("pg_get_viewdef", any_of(&[1, 2]), DataType::Utf8, s(), null),
        // No partitioned tables: NULL, as PostgreSQL answers for others.
        Udf::function("pg_get_partkeydef", any_of(&[1]), DataType::Utf8, s(), null),
        Udf::function(
            "pg_get_serial_sequence",
            any_of(&[2]),
            DataType::Utf8,
            s(),
            null,
        ),
        Udf::function(
            "pg_get_function_result",
            any_of(&[1]),
            DataType::Utf8,
            s(),
            null,
        ),
        Udf::function(
            "pg_get_function_arguments",
            any_of(&[1]),
            DataType::Utf8,
            s(),
            empty,
        ),
        Udf::function(
            "pg_get_function_identity_arguments",
            any_of(&[1]),
            DataType::Utf8,
            s(),
            empty,
        ),
        Udf::function(
            "pg_get_triggerdef",
            any_of(&[1, 2]),
            DataType::Utf8,
            s(),
            null,
        ),
        Udf::function("pg_get_ruledef", any_of(&[1, 2]), DataType::Utf8, s(), null),
        Udf::function(
            "pg_tablespace_location",
            any_of(&[1]),
            DataType::Utf8,
            s(),
            empty,
        ),
        // Statistics counters are int8 (datafusion-pg-catalog's is int4);
        // Isotherm's tables have no PostgreSQL indexes to count scans of.
        Udf::function(
            "pg_stat_get_numscans",
            any_of(&[1]),
            DataType::Int64,
            s(),
            |_, row| Ok(ScalarValue::Int64(int(row, 0).map(|_| 0))),
        ),
        Udf::name_function("pg_encoding_to_char", any_of(&[1]), s(), |_, row| {
            Ok(ScalarValue::Utf8(int(row, 0).map(|e| {
                if e == i64::from(UTF8_ENCODING) {
                    "UTF8".to_owned()
                } else if e == 0 {
                    "SQL_ASCII".to_owned()
                } else {
                    String::new()
                }
            })))
        }),
        Udf::function(
            "pg_char_to_encoding",
            any_of(&[1]),
            DataType::Int32,
            s(),
            |_, row| {
                Ok(ScalarValue::Int32(text(row, 0).map(|e| {
                    if e.eq_ignore_ascii_case("utf8") || e.eq_ignore_ascii_case("utf-8") {
                        UTF8_ENCODING
                    } else {
                        -1
                    }
                })))
            },
        ),
        Udf::name_function("pg_get_userbyid", any_of(&[1]), s(), |s, row| {
            Ok(ScalarValue::Utf8(int(row, 0).map(|oid| {
                s.roles()
                    .into_iter()
                    .find(|(_, o)| i64::from(*o) == oid)
                    .map_or_else(|| format!("unknown (OID={oid})"), |(n, _)| n.to_owned())
            })))
        }),
        Udf::function(
            "to_regclass",
            any_of(&[1]),
            DataType::Int32,
            s(),
            |s, row| {
                Ok(ScalarValue::Int32(
                    text(row, 0).and_then(|n| s.resolve(&n)).map(|r| r.oid),
                ))
            },
        ),
        // `x::oid`: the value, described as an oid (DataFusion's cast to
        // the Int32 standing for oid keeps no type tag).
        Udf::typed_function(
            "pg_oid",
            any_of(&[1]),
            DataType::Int32,
            "oid",
            s(),
            |_, row| {
                Ok(ScalarValue::Int32(
                    int(row, 0).and_then(|v| i32::try_from(v).ok()),
                ))
            },
        ),
        // Marks `extract(...)` for `crate::pg_typing`, which replaces it at
        // planning; as a function it is the identity.
        Udf::function(
            crate::pg_typing::EXTRACT_MARKER,
            any_of(&[1]),
            DataType::Float64,
            s(),
            |_, row| Ok(row.first().cloned().unwrap_or(ScalarValue::Float64(None))),
        ),
        // `text::regclass` of a computed name: the OID, or 42P01.
        Udf::function(
            "regclass_in",
            any_of(&[1]),
            DataType::Int32,
            s(),
            |s, row| {
                let Some(name) = text(row, 0) else {
                    return Ok(ScalarValue::Int32(None));
                };
                match s.resolve(&name) {
                    Some(r) => Ok(ScalarValue::Int32(Some(r.oid))),
                    None => Err(super::udf::pg_error(
                        "42P01",
                        format!("relation \"{name}\" does not exist"),
                    )),
                }
            },
        ),
        Udf::function(
            "to_regtype",
            any_of(&[1]),
            DataType::Int32,
            s(),
            |_, row| {
                Ok(ScalarValue::Int32(
                    text(row, 0).and_then(|n| crate::catalog::types::oid_by_name(&n)),
                ))
            },
        ),
        Udf::function(
            "to_regnamespace",
            any_of(&[1]),
            DataType::Int32,
            s(),
            |_, row| {
                Ok(ScalarValue::Int32(text(row, 0).and_then(|n| {
                    let n = n.trim_matches('"').to_owned();
                    crate::catalog::pg_relations::NAMESPACES
                        .contains(&n.as_str())
                        .then(|| crate::catalog::oid::namespace_oid(&n))
                })))
            },
        ),
        Udf::function(
            "to_regrole",
            any_of(&[1]),
            DataType::Int32,
            s(),
            |s, row| {
                Ok(ScalarValue::Int32(text(row, 0).and_then(|n| {
                    let n = n.trim_matches('"');
                    s.roles().into_iter().find(|(r, _)| *r == n).map(|(_, o)| o)
                })))
            },
        ),
        // `oid::regclass::text`, `oid::regtype::text` spelled as functions.
        Udf::function(
            "regclass_name",
            any_of(&[1]),
            DataType::Utf8,
            s(),
            |s, row| {
                Ok(ScalarValue::Utf8(int(row, 0).map(
                    |oid| match s.by_oid(oid) {
                        Some(r) if r.schema == "public" || r.schema == "pg_catalog" => {
                            r.name.clone()
                        }
                        Some(r) => format!("{}.{}", r.schema, r.name),
                        None => oid.to_string(),
                    },
                )))
            },
        ),
        Udf::function(
            "regtype_name",
            any_of(&[1]),
            DataType::Utf8,
            s(),
            |_, row| {
                Ok(ScalarValue::Utf8(int(row, 0).map(|oid| {
                    crate::catalog::types::name_by_oid(oid)
                        .map_or_else(|| oid.to_string(), str::to_owned)
                })))
            },
        ),
        Udf::function(
            "pg_advisory_unlock_all",
            any_of(&[0]),
            DataType::Utf8,
            s(),
            empty,
        ),
        Udf::function(
            "pg_is_in_recovery",
            any_of(&[0]),
            DataType::Boolean,
            s(),
            |_, _| Ok(ScalarValue::Boolean(Some(false))),
        ),
        Udf::function(
            "pg_postmaster_start_time",
            any_of(&[0]),
            DataType::Timestamp(TimeUnit::Microsecond, Some("+00:00".into())),
            s(),
            |s, _| {
                Ok(ScalarValue::TimestampMicrosecond(
                    Some(s.started_micros),
                    Some("+00:00".into()),
                ))
            },
        ),
        Udf::function(
            "pg_size_pretty",
            any_of(&[1]),
            DataType::Utf8,
            s(),
            |_, row| Ok(ScalarValue::Utf8(int(row, 0).map(size_pretty))),
        ),
        Udf::function(
            "pg_relation_size",
            any_of(&[1, 2]),
            DataType::Int64,
            s(),
            |_, _| Ok(ScalarValue::Int64(Some(0))),
        ),
        Udf::function(
            "pg_total_relation_size",
            any_of(&[1]),
            DataType::Int64,
            s(),
            |_, _| Ok(ScalarValue::Int64(Some(0))),
        ),
        Udf::function(
            "pg_table_size",
            any_of(&[1]),
            DataType::Int64,
            s(),
            |_, _| Ok(ScalarValue::Int64(Some(0))),
        ),
        Udf::function(
            "pg_indexes_size",
            any_of(&[1]),
            DataType::Int64,
            s(),
            |_, _| Ok(ScalarValue::Int64(Some(0))),
        ),
        Udf::function(
            "pg_database_size",
            any_of(&[1]),
            DataType::Int64,
            s(),
            |_, _| Ok(ScalarValue::Int64(Some(0))),
        ),
        Udf::function(
            "txid_current",
            any_of(&[0]),
            DataType::Int64,
            s(),
            |_, _| Ok(ScalarValue::Int64(Some(1))),
        ),
    ];
    fns.push(Udf::function(
        "json_build_object",
        datafusion::logical_expr::Signature::variadic_any(
            datafusion::logical_expr::Volatility::Immutable,
        ),
        DataType::Utf8,
        s(),
        |_, row| json_build_object(row),
    ));
    fns.push(Udf::function(
        "_pg_expandarray",
        any_of(&[1]),
        DataType::Struct(
            vec![
                datafusion::arrow::datatypes::Field::new("x", DataType::Int64, true),
                datafusion::arrow::datatypes::Field::new("n", DataType::Int32, true),
            ]
            .into(),
        ),
        s(),
        |_, row| expand_array_first(row),
    ));
    fns.push(Udf::function(
        "pg_table_is_visible",
        any_of(&[1]),
        DataType::Boolean,
        s(),
        |s, row| {
            Ok(ScalarValue::Boolean(int(row, 0).and_then(|oid| {
                s.by_oid(oid)
                    .map(|r| r.schema == "pg_catalog" || r.schema == "public")
            })))
        },
    ));
    fns.push(Udf::function(
        "pg_type_is_visible",
        any_of(&[1]),
        DataType::Boolean,
        s(),
        |_, row| {
            Ok(ScalarValue::Boolean(int(row, 0).map(|oid| {
                !matches!(
                    crate::catalog::retyped::type_namespace(oid),
                    Some(INFORMATION_SCHEMA_NAMESPACE | PG_TOAST_NAMESPACE)
                )
            })))
        },
    ));
    for name in VISIBLE {
        fns.push(Udf::function(
            name,
            any_of(&[1]),
            DataType::Boolean,
            s(),
            yes,
        ));
    }
    for name in PRIVILEGES {
        fns.push(Udf::function(
            name,
            any_of(&[2, 3, 4]),
            DataType::Boolean,
            s(),
            yes,
        ));
    }
    fns
}

/// Every other object is visible on the search path (there is one user
/// schema, and no functions, operators ... outside `pg_catalog`).
const VISIBLE: &[&str] = &[
    "pg_function_is_visible",
    "pg_collation_is_visible",
    "pg_opclass_is_visible",
    "pg_operator_is_visible",
    "pg_conversion_is_visible",
];

/// The session's user owns everything.
const PRIVILEGES: &[&str] = &[
    "has_table_privilege",
    "has_schema_privilege",
    "has_database_privilege",
    "has_any_column_privilege",
    "has_column_privilege",
    "has_function_privilege",
    "has_sequence_privilege",
    "has_type_privilege",
    "has_language_privilege",
    "has_tablespace_privilege",
    "has_foreign_data_wrapper_privilege",
    "has_server_privilege",
    "pg_has_role",
];

/// `json_build_object(k1, v1, ...)` as text: keys as strings, numbers and
/// booleans bare, NULL as `null`, anything else a JSON string.
fn json_build_object(row: &[ScalarValue]) -> Result<ScalarValue> {
    if !row.len().is_multiple_of(2) {
        return Err(super::udf::pg_error(
            "22023",
            "argument list must have even number of elements",
        ));
    }
    let mut out = String::from("{");
    for (i, pair) in row.chunks(2).enumerate() {
        if i > 0 {
            out.push_str(", ");
        }
        let key = text(pair, 0).unwrap_or_default();
        out.push_str(&json_string(&key));
        out.push_str(" : ");
        out.push_str(&json_value(&pair[1]));
    }
    out.push('}');
    Ok(utf8(out))
}

fn json_value(v: &ScalarValue) -> String {
    if v.is_null() {
        return "null".to_owned();
    }
    match v {
        ScalarValue::Boolean(Some(b)) => b.to_string(),
        ScalarValue::Int8(_)
        | ScalarValue::Int16(_)
        | ScalarValue::Int32(_)
        | ScalarValue::Int64(_)
        | ScalarValue::UInt8(_)
        | ScalarValue::UInt16(_)
        | ScalarValue::UInt32(_)
        | ScalarValue::UInt64(_)
        | ScalarValue::Float32(_)
        | ScalarValue::Float64(_)
        | ScalarValue::Decimal128(..) => v.to_string(),
        other => json_string(&other.to_string()),
    }
}

fn json_string(s: &str) -> String {
    let mut out = String::with_capacity(s.len() + 2);
    out.push('"');
    for c in s.chars() {
        match c {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            '\n' => out.push_str("\\n"),
            '\r' => out.push_str("\\r"),
            '\t' => out.push_str("\\t"),
            c if u32::from(c) < 0x20 => out.push_str(&format!("\\u{:04x}", u32::from(c))),
            c => out.push(c),
        }
    }
    out.push('"');
    out
}

/// `information_schema._pg_expandarray(arr)` is set-returning in PostgreSQL
/// (one `(x, n)` row per element). Here it is scalar and yields the first
/// element only: clients (pgjdbc getPrimaryKeys / getIndexInfo) apply it to
/// `pg_index.indkey`, which has no rows for Isotherm's tables.
fn expand_array_first(row: &[ScalarValue]) -> Result<ScalarValue> {
    let first = match row.first() {
        Some(ScalarValue::List(list))
            if !datafusion::arrow::array::Array::is_null(list.as_ref(), 0) =>
        {
            let values = list.value(0);
            if values.is_empty() {
                None
            } else {
                let v = ScalarValue::try_from_array(&values, 0)?;
                match v.cast_to(&DataType::Int64)? {
                    ScalarValue::Int64(i) => i,
                    _ => None,
                }
            }
        }
        _ => None,
    };
    let Some(x) = first else {
        return Ok(ScalarValue::Null);
    };
    datafusion::common::scalar::ScalarStructBuilder::new()
        .with_scalar(
            datafusion::arrow::datatypes::Field::new("x", DataType::Int64, true),
            ScalarValue::Int64(Some(x)),
        )
        .with_scalar(
            datafusion::arrow::datatypes::Field::new("n", DataType::Int32, true),
            ScalarValue::Int32(Some(1)),
        )
        .build()
}

/// `pg_size_pretty` as PostgreSQL 15 computes it: one extra bit kept for
/// rounding half away from zero at each unit.
fn size_pretty(bytes: i64) -> String {
    const LIMIT: i64 = 10 * 1024;
    const LIMIT2: i64 = LIMIT * 2 - 1;
    let half_rounded = |x: i64| (x + if x < 0 { -1 } else { 1 }) / 2;
    if bytes.abs() < LIMIT {
        return format!("{bytes} bytes");
    }
    let mut size = bytes >> 9;
    for unit in ["kB", "MB", "GB", "TB"] {
        if size.abs() < LIMIT2 {
            return format!("{} {unit}", half_rounded(size));
        }
        size >>= 10;
    }
    format!("{} PB", half_rounded(size))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn json_objects_print_like_postgres() {
        let got = json_build_object(&[
            utf8("a"),
            ScalarValue::Int64(Some(1)),
            utf8("b\"c"),
            ScalarValue::Utf8(None),
            utf8("d"),
            ScalarValue::Boolean(Some(true)),
        ])
        .ok();
        assert_eq!(
            got,
            Some(utf8("{\"a\" : 1, \"b\\\"c\" : null, \"d\" : true}"))
        );
    }

    #[test]
    fn sizes_print_like_postgres() {
        assert_eq!(size_pretty(10), "10 bytes");
        assert_eq!(size_pretty(10 * 1024), "10 kB");
        assert_eq!(size_pretty(123_456_789), "118 MB");
        assert_eq!(size_pretty(-123_456_789), "-118 MB");
    }
}
