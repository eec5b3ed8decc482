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
