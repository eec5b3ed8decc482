//! PostgreSQL type facts for catalog rows: what `pg_attribute`,
//! `information_schema.columns` and `format_type` say about a column.
//!
//! Isotherm columns map from the index's [`ScalarType`] (exact, builtin type
//! OIDs only); the emulated catalog tables' own columns map from their Arrow
//! type ([`PgType::of_arrow`]), with oid-alias metadata read as `oid`.

use datafusion::arrow::datatypes::{DataType, Field};
use isotherm_indexer::ScalarType;

/// The default collation's OID (`pg_collation` "default").
pub const DEFAULT_COLLATION: i32 = 100;

/// One builtin PostgreSQL type as catalog rows describe it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct PgType {
    pub oid: i32,
    /// `pg_type.typname` (`int8`), also `information_schema` `udt_name`.
    pub typname: &'static str,
    /// What `format_type` prints (`bigint`), also `information_schema` `data_type`.
    pub sql_name: &'static str,
    pub len: i16,
    pub byval: bool,
    pub align: &'static str,
    pub storage: &'static str,
    /// `attcollation`: the default collation for collatable types, else 0.
    pub collation: i32,
    /// `information_schema.columns` numeric_precision / radix / scale.
    pub numeric: Option<(i32, i32, Option<i32>)>,
    /// `information_schema.columns` datetime_precision.
    pub datetime_precision: Option<i32>,
    /// `information_schema.columns` character_octet_length.
    pub octet_length: Option<i32>,
}

const fn t(
    oid: i32,
    typname: &'static str,
    sql_name: &'static str,
    len: i16,
    byval: bool,
    align: &'static str,
    storage: &'static str,
) -> PgType {
    PgType {
        oid,
        typname,
        sql_name,
        len,
        byval,
        align,
        storage,
        collation: 0,
        numeric: None,
        datetime_precision: None,
        octet_length: None,
    }
}

pub const BOOL: PgType = t(16, "bool", "boolean", 1, true, "c", "p");
pub const INT2: PgType = PgType {
    numeric: Some((16, 2, Some(0))),
    ..t(21, "int2", "smallint", 2, true, "s", "p")
};
pub const INT4: PgType = PgType {
    numeric: Some((32, 2, Some(0))),
    ..t(23, "int4", "integer", 4, true, "i", "p")
};
pub const INT8: PgType = PgType {
    numeric: Some((64, 2, Some(0))),
    ..t(20, "int8", "bigint", 8, true, "d", "p")
};
pub const OID: PgType = t(26, "oid", "oid", 4, true, "i", "p");
pub const FLOAT4: PgType = PgType {
    numeric: Some((24, 2, None)),
    ..t(700, "float4", "real", 4, true, "i", "p")
};
pub const FLOAT8: PgType = PgType {
    numeric: Some((53, 2, None)),
    ..t(701, "float8", "double precision", 8, true, "d", "p")
};
pub const TEXT: PgType = PgType {
    collation: DEFAULT_COLLATION,
    octet_length: Some(1_073_741_824),
    ..t(25, "text", "text", -1, false, "i", "x")
};
pub const BYTEA: PgType = t(17, "bytea", "bytea", -1, false, "i", "x");
pub const DATE: PgType = PgType {
    datetime_precision: Some(0),
    ..t(1082, "date", "date", 4, true, "i", "p")
};
pub const TIMESTAMP: PgType = PgType {
    datetime_precision: Some(6),
    ..t(
        1114,
        "timestamp",
        "timestamp without time zone",
        8,
        true,
        "d",
        "p",
    )
};
pub const TIMESTAMPTZ: PgType = PgType {
    datetime_precision: Some(6),
    ..t(
        1184,
        "timestamptz",
        "timestamp with time zone",
        8,
        true,
        "d",
        "p",
    )
};
pub const NUMERIC: PgType = PgType {
    numeric: Some((0, 10, None)),
    ..t(1700, "numeric", "numeric", -1, false, "i", "m")
};
pub const TEXT_ARRAY: PgType = PgType {
    collation: DEFAULT_COLLATION,
    ..t(1009, "_text", "text[]", -1, false, "i", "x")
};
pub const INT2_ARRAY: PgType = t(1005, "_int2", "smallint[]", -1, false, "i", "x");
pub const INT4_ARRAY: PgType = t(1007, "_int4", "integer[]", -1, false, "i", "x");
pub const INT8_ARRAY: PgType = t(1016, "_int8", "bigint[]", -1, false, "d", "x");
pub const OID_ARRAY: PgType = t(1028, "_oid", "oid[]", -1, false, "i", "x");
pub const BOOL_ARRAY: PgType = t(1000, "_bool", "boolean[]", -1, false, "i", "x");
pub const FLOAT8_ARRAY: PgType = t(1022, "_float8", "double precision[]", -1, false, "d", "x");

/// Every type this module can name, for OID lookups (`format_type`, `to_regtype`).
pub const ALL: &[PgType] = &[
    BOOL,
    INT2,
    INT4,
    INT8,
    OID,
    FLOAT4,
    FLOAT8,
    TEXT,
    DATE,
    TIMESTAMP,
    TIMESTAMPTZ,
    NUMERIC,
    TEXT_ARRAY,
    INT2_ARRAY,
    INT4_ARRAY,
    INT8_ARRAY,
    OID_ARRAY,
    BOOL_ARRAY,
    FLOAT8_ARRAY,
];

/// PostgreSQL 15's other builtin types, which no Isotherm or emulated
/// catalog column has, as `(oid, typname, format_type name)`: enough to
/// name them (`'varchar'::regtype`, `to_regtype('uuid')`).
pub const OTHER_NAMES: &[(i32, &str, &str)] = &[
    (17, "bytea", "bytea"),
    (18, "char", "\"char\""),
    (19, "name", "name"),
    (22, "int2vector", "int2vector"),
    (24, "regproc", "regproc"),
    (27, "tid", "tid"),
    (28, "xid", "xid"),
    (29, "cid", "cid"),
    (30, "oidvector", "oidvector"),
    (114, "json", "json"),
    (142, "xml", "xml"),
    (194, "pg_node_tree", "pg_node_tree"),
    (199, "_json", "json[]"),
    (600, "point", "point"),
    (650, "cidr", "cidr"),
    (790, "money", "money"),
    (829, "macaddr", "macaddr"),
    (869, "inet", "inet"),
    (1001, "_bytea", "bytea[]"),
    (1002, "_char", "\"char\"[]"),
    (1003, "_name", "name[]"),
    (1015, "_varchar", "character varying[]"),
    (1021, "_float4", "real[]"),
    (1033, "aclitem", "aclitem"),
    (1042, "bpchar", "character"),
    (1043, "varchar", "character varying"),
    (1083, "time", "time without time zone"),
    (1115, "_timestamp", "timestamp without time zone[]"),
    (1182, "_date", "date[]"),
    (1185, "_timestamptz", "timestamp with time zone[]"),
    (1186, "interval", "interval"),
    (1231, "_numeric", "numeric[]"),
    (1266, "timetz", "time with time zone"),
    (1560, "bit", "bit"),
    (1562, "varbit", "bit varying"),
    (2205, "regclass", "regclass"),
    (2206, "regtype", "regtype"),
    (2249, "record", "record"),
    (2277, "anyarray", "anyarray"),
    (2278, "void", "void"),
    (2283, "anyelement", "anyelement"),
    (2950, "uuid", "uuid"),
    (2951, "_uuid", "uuid[]"),
    (3614, "tsvector", "tsvector"),
    (3802, "jsonb", "jsonb"),
    (3807, "_jsonb", "jsonb[]"),
    (4089, "regnamespace", "regnamespace"),
    (4096, "regrole", "regrole"),
];

/// The OID of a builtin type by any of its names (`int8`, `bigint`,
/// `pg_catalog.int8`, `character varying`, `"char"`).
pub fn oid_by_name(name: &str) -> Option<i32> {
    let n = name.trim().to_ascii_lowercase();
    let n = n.strip_prefix("pg_catalog.").unwrap_or(&n);
    let n = match n {
        "int" | "integer" => "int4",
        "smallint" => "int2",
        "bigint" => "int8",
        "boolean" => "bool",
        "real" => "float4",
        "double precision" | "float" => "float8",
        "timestamp without time zone" => "timestamp",
        "timestamp with time zone" => "timestamptz",
        "decimal" => "numeric",
        "character varying" => "varchar",
        "character" | "char" => "bpchar",
        other => other.trim_matches('"'),
    };
    ALL.iter()
        .find(|t| t.typname == n || t.sql_name == n)
        .map(|t| t.oid)
        .or_else(|| {
            OTHER_NAMES
                .iter()
                .find(|(_, typname, sql)| *typname == n || *sql == n)
                .map(|(oid, _, _)| *oid)
        })
}

/// The name `format_type` gives a builtin type OID.
pub fn name_by_oid(oid: i64) -> Option<&'static str> {
    if let Some(t) = PgType::by_oid(oid) {
        return Some(t.sql_name);
    }
    OTHER_NAMES
        .iter()
        .find(|(o, _, _)| i64::from(*o) == oid)
        .map(|(_, _, sql)| *sql)
}

impl PgType {
    /// The type of an Isotherm column.
    pub fn of_scalar(ty: ScalarType) -> PgType {
        match ty {
            ScalarType::Bool => BOOL,
            ScalarType::Int64 => INT8,
            ScalarType::Float64 => FLOAT8,
            ScalarType::Text => TEXT,
            ScalarType::Date => DATE,
            ScalarType::Timestamp => TIMESTAMP,
            ScalarType::TimestampTz => TIMESTAMPTZ,
            ScalarType::Numeric => NUMERIC,
        }
    }

    /// The type of an emulated catalog table's column; `oid`-alias columns
    /// (datafusion-pg-catalog tags them with metadata) read as `oid`.
    pub fn of_field(field: &Field) -> PgType {
        if field
            .metadata()
            .contains_key(datafusion_pg_catalog::pg_catalog::oid_field::OID_ALIAS_KEY)
        {
            return OID;
        }
        Self::of_arrow(field.data_type())
    }

    pub fn of_arrow(dt: &DataType) -> PgType {
        match dt {
            DataType::Boolean => BOOL,
            DataType::Int8 | DataType::Int16 | DataType::UInt8 => INT2,
            DataType::Int32 | DataType::UInt16 => INT4,
            DataType::Int64 | DataType::UInt32 => INT8,
            DataType::Float16 | DataType::Float32 => FLOAT4,
            DataType::Float64 => FLOAT8,
            DataType::Date32 | DataType::Date64 => DATE,
            DataType::Timestamp(_, None) => TIMESTAMP,
            DataType::Timestamp(_, Some(_)) => TIMESTAMPTZ,
            DataType::Decimal128(..) | DataType::Decimal256(..) | DataType::UInt64 => NUMERIC,
            DataType::List(f) | DataType::LargeList(f) | DataType::FixedSizeList(f, _) => {
                match f.data_type() {
                    DataType::Boolean => BOOL_ARRAY,
                    DataType::Int8 | DataType::Int16 => INT2_ARRAY,
                    DataType::Int32 => INT4_ARRAY,
                    DataType::Int64 => INT8_ARRAY,
                    DataType::Float64 => FLOAT8_ARRAY,
                    DataType::UInt32 => OID_ARRAY,
                    _ => TEXT_ARRAY,
                }
            }
            _ => TEXT,
        }
    }

    pub fn by_oid(oid: i64) -> Option<PgType> {
        ALL.iter().copied().find(|t| i64::from(t.oid) == oid)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn builtin_types_are_named_both_ways() {
        assert_eq!(oid_by_name("int8"), Some(20));
        assert_eq!(oid_by_name("bigint"), Some(20));
        assert_eq!(oid_by_name("pg_catalog.int8"), Some(20));
        assert_eq!(oid_by_name("double precision"), Some(701));
        assert_eq!(oid_by_name("timestamptz"), Some(1184));
        assert_eq!(oid_by_name("\"char\""), Some(18));
        assert_eq!(oid_by_name("char"), Some(1042));
        assert_eq!(oid_by_name("pg_catalog.character varying"), Some(1043));
        assert_eq!(oid_by_name("uuid"), Some(2950));
        assert_eq!(oid_by_name("no_such_type"), None);
        assert_eq!(name_by_oid(1043), Some("character varying"));
        assert_eq!(name_by_oid(18), Some("\"char\""));
        assert_eq!(name_by_oid(20), Some("bigint"));
        assert_eq!(name_by_oid(1), None);
    }

    #[test]
    fn isotherm_types_use_builtin_oids() {
        let oids: Vec<i32> = [
            ScalarType::Int64,
            ScalarType::Float64,
            ScalarType::Text,
            ScalarType::Date,
            ScalarType::Timestamp,
            ScalarType::TimestampTz,
            ScalarType::Numeric,
            ScalarType::Bool,
        ]
        .into_iter()
        .map(|t| PgType::of_scalar(t).oid)
        .collect();
        assert_eq!(oids, vec![20, 701, 25, 1082, 1114, 1184, 1700, 16]);
        for t in ALL {
            assert_eq!(PgType::by_oid(i64::from(t.oid)), Some(*t));
            assert!(t.oid < 16384, "{} is not builtin", t.typname);
        }
    }
}
