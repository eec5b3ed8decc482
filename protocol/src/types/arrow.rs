//! Arrow results (the general engine's) on the PostgreSQL wire.
//!
//! Each result column gets a [`Kind`] from its Arrow type (and field
//! metadata), which fixes the PostgreSQL type it is described as and how its
//! values are written. Columns are first cast to one canonical Arrow type per
//! kind ([`normalize`]), so encoding only handles those:
//!
//! | Arrow                                 | PostgreSQL (OID)   | canonical Arrow        |
//! |---------------------------------------|--------------------|------------------------|
//! | Boolean                               | bool (16)          | Boolean                |
//! | Int8, Int16, UInt8                    | int2 (21)          | Int16                  |
//! | Int32, UInt16                         | int4 (23)          | Int32                  |
//! | Int64; UInt64 (`row_number()`, ...)   | int8 (20)          | Int64                  |
//! | UInt32; Int32 marked `pg.oid_alias`   | oid (26)           | Int64                  |
//! | Decimal*                              | numeric (1700)     | Decimal128             |
//! | engine's numeric struct (own scales)  | numeric (1700)     | as is                  |
//! | Float16, Float32                      | float4 (700)       | Float32                |
//! | Float64                               | float8 (701)       | Float64                |
//! | Utf8, LargeUtf8, Utf8View, Null       | text (25)          | Utf8                   |
//! | Binary, LargeBinary, BinaryView, ...  | bytea (17)         | Binary                 |
//! | Date32, Date64                        | date (1082)        | Date32                 |
//! | Time32, Time64                        | time (1083)        | Time64(µs)             |
//! | Timestamp(_, None)                    | timestamp (1114)   | Timestamp(µs)          |
//! | Timestamp(_, Some(tz))                | timestamptz (1184) | Timestamp(µs, tz)      |
//! | Interval(_)                           | interval (1186)    | Interval(MonthDayNano) |
//! | Duration(_)                           | interval (1186)    | Duration(µs)           |
//! | List, LargeList, FixedSizeList of T   | T[] (1009, 1007..) | List(canonical T)      |
//! | Dictionary(_, T)                      | as T               | as T                   |
//! | anything else                         | text (25)          | Arrow's display text   |
//!
//! Field metadata `pg.type` (`name`, `char`, `varchar`, `bpchar`, `oid`,
//! `regclass`, `regtype`, `regproc`, `regnamespace`, `int2vector`,
//! `oidvector`) lets the engine name the PostgreSQL type of a catalog column
//! exactly; datafusion-pg-catalog's `pg.oid_alias` marks oid columns.
//!
//! Text forms are PostgreSQL 15's (`float4out`/`float8out` shortest round
//! trip, `numeric` with all scale digits, ISO dates, `IntervalStyle =
//! postgres`, bytea hex, arrays `{a,"b c",NULL}` with PostgreSQL's quoting,
//! int2vector/oidvector space separated). Binary forms are PostgreSQL's
//! `*send` functions: big-endian integers and IEEE floats, days / µs since
//! 2000-01-01, interval as `i64 µs, i32 days, i32 months`, arrays as
//! `i32 ndim, i32 has_nulls, u32 element oid, (i32 len, i32 lbound=1) per
//! dim, then (i32 len | -1, bytes) per element`.

use std::fmt::Write as _;
use std::sync::Arc;

use bytes::{BufMut, BytesMut};
use isotherm_engine::arrow::array::{Array, ArrayRef, AsArray};
use isotherm_engine::arrow::compute::{CastOptions, cast_with_options};
use isotherm_engine::arrow::datatypes::{
    DataType, Date32Type, Decimal128Type, DurationMicrosecondType, Field, Float32Type, Float64Type,
    Int16Type, Int32Type, Int64Type, IntervalMonthDayNanoType, Time64MicrosecondType, TimeUnit,
    TimestampMicrosecondType, UInt8Type,
};
use isotherm_engine::arrow::util::display::{ArrayFormatter, FormatOptions};
use isotherm_engine::numeric::is_numeric;
use isotherm_indexer::Numeric;

use crate::error::{SqlError, SqlResult};
use crate::types::{TextOptions, datetime, float, numeric};

/// Field metadata naming a column's PostgreSQL type (set by the engine).
pub use isotherm_engine::catalog::PG_TYPE_KEY;
/// datafusion-pg-catalog's marker of oid (and regclass...) columns.
pub const OID_ALIAS_KEY: &str = "pg.oid_alias";

/// How values of one column are written.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Kind {
    Bool,
    Int2,
    Int4,
    Int8,
    Oid,
    /// `xid` (transaction ids in catalog rows): written like an oid.
    Xid,
    Float4,
    Float8,
    Numeric,
    /// text and its relatives; the OID says which (25 text, 19 name, ...).
    Text(u32),
    Bytea,
    Date,
    Time,
    Timestamp,
    TimestampTz,
    Interval,
    Duration,
    /// A one-dimensional (or nested) array; `vector` for int2vector/oidvector.
    Array {
        elem: Box<Kind>,
        vector: bool,
    },
    /// No PostgreSQL counterpart: Arrow's display text, typed text.
    Display,
}

impl Kind {
    /// The PostgreSQL type OID this kind is described as.
    pub fn oid(&self) -> u32 {
        match self {
            Kind::Bool => 16,
            Kind::Int2 => 21,
            Kind::Int4 => 23,
            Kind::Int8 => 20,
            Kind::Oid => 26,
            Kind::Xid => 28,
            Kind::Float4 => 700,
            Kind::Float8 => 701,
            Kind::Numeric => 1700,
            Kind::Text(oid) => *oid,
            Kind::Bytea => 17,
            Kind::Date => 1082,
            Kind::Time => 1083,
            Kind::Timestamp => 1114,
            Kind::TimestampTz => 1184,
            Kind::Interval | Kind::Duration => 1186,
            Kind::Display => 25,
            Kind::Array { elem, vector } => match (elem.as_ref(), vector) {
                (Kind::Int2, true) => 22,
                (Kind::Oid, true) => 30,
                (e, _) => array_oid(e.oid()),
            },
        }
    }

    /// `typlen`: the size in RowDescription (-1 variable, -2 C string).
    pub fn type_size(&self) -> i16 {
        match self {
            Kind::Bool => 1,
            Kind::Int2 => 2,
            Kind::Int4 | Kind::Oid | Kind::Xid | Kind::Float4 | Kind::Date => 4,
            Kind::Int8 | Kind::Float8 | Kind::Time | Kind::Timestamp | Kind::TimestampTz => 8,
            Kind::Interval | Kind::Duration => 16,
            Kind::Text(19) => 64,
            Kind::Text(18) => 1,
            // regproc: an OID on the wire.
            Kind::Text(24) => 4,
            _ => -1,
        }
    }

    /// The Arrow type values of this kind are cast to before encoding.
    fn canonical(&self, original: &DataType) -> Option<DataType> {
        Some(match self {
            Kind::Bool => DataType::Boolean,
            Kind::Int2 => DataType::Int16,
            Kind::Int4 => DataType::Int32,
            Kind::Int8 | Kind::Oid | Kind::Xid => DataType::Int64,
            Kind::Float4 => DataType::Float32,
            Kind::Float8 => DataType::Float64,
            Kind::Numeric => match original {
                DataType::Decimal128(p, s) => DataType::Decimal128(*p, *s),
                dt if is_numeric(dt) => return None,
                DataType::Decimal32(_, s)
                | DataType::Decimal64(_, s)
                | DataType::Decimal256(_, s) => DataType::Decimal128(38, *s),
                _ => DataType::Decimal128(20, 0),
            },
            Kind::Text(_) => DataType::Utf8,
            Kind::Bytea => DataType::Binary,
            Kind::Date => DataType::Date32,
            Kind::Time => DataType::Time64(TimeUnit::Microsecond),
            Kind::Timestamp => DataType::Timestamp(TimeUnit::Microsecond, None),
            Kind::TimestampTz => match original {
                DataType::Timestamp(_, tz) => {
                    DataType::Timestamp(TimeUnit::Microsecond, tz.clone())
                }
                _ => DataType::Timestamp(TimeUnit::Microsecond, Some(Arc::from("UTC"))),
            },
            Kind::Interval => {
                DataType::Interval(isotherm_engine::arrow::datatypes::IntervalUnit::MonthDayNano)
            }
            Kind::Duration => DataType::Duration(TimeUnit::Microsecond),
            Kind::Array { elem, .. } => {
                let inner = match original {
                    DataType::List(f)
                    | DataType::LargeList(f)
                    | DataType::FixedSizeList(f, _)
                    | DataType::ListView(f)
                    | DataType::LargeListView(f) => f.data_type().clone(),
                    _ => return None,
                };
                let inner = elem.canonical(&inner)?;
                DataType::List(Arc::new(Field::new_list_field(inner, true)))
            }
            Kind::Display => return None,
        })
    }
}

/// The array type OID of an element type OID (0 if PostgreSQL has none).
pub fn array_oid(elem: u32) -> u32 {
    match elem {
        16 => 1000,
        17 => 1001,
        18 => 1002,
        19 => 1003,
        20 => 1016,
        21 => 1005,
        23 => 1007,
        25 => 1009,
        26 => 1028,
        700 => 1021,
        701 => 1022,
        1033 => 1034,
        1042 => 1014,
        1043 => 1015,
        1082 => 1182,
        1083 => 1183,
        1114 => 1115,
        1184 => 1185,
        1186 => 1187,
        1700 => 1231,
        _ => 0,
    }
}

/// The kind of a result column, from its type and metadata.
pub fn kind_of_field(field: &Field) -> Kind {
    let meta = field.metadata();
    if let Some(name) = meta.get(PG_TYPE_KEY)
        && let Some(k) = kind_of_name(name, field.data_type())
    {
        return k;
    }
    if meta.contains_key(OID_ALIAS_KEY) && field.data_type().is_integer() {
        return Kind::Oid;
    }
    kind_of(field.data_type())
}

fn kind_of_name(name: &str, dt: &DataType) -> Option<Kind> {
    let list_of = |elem: Kind| match dt {
        DataType::List(_)
        | DataType::LargeList(_)
        | DataType::FixedSizeList(_, _)
        | DataType::ListView(_)
        | DataType::LargeListView(_) => Some(Kind::Array {
            elem: Box::new(elem),
            vector: true,
        }),
        _ => None,
    };
    let array_of = |elem: Kind| match dt {
        DataType::List(_) | DataType::LargeList(_) => Some(Kind::Array {
            elem: Box::new(elem),
            vector: false,
        }),
        _ => None,
    };
    Some(match name {
        "name" => Kind::Text(19),
        "char" => Kind::Text(18),
        "varchar" => Kind::Text(1043),
        "bpchar" => Kind::Text(1042),
        "text" => Kind::Text(25),
        "oid" | "regclass" | "regtype" | "regproc" | "regnamespace" | "regrole"
            if dt.is_integer() =>
        {
            Kind::Oid
        }
        "pg_node_tree" => Kind::Text(194),
        "regproc" if !dt.is_integer() => Kind::Text(24),
        "anyarray" => Kind::Text(2277),
        "xid" if dt.is_integer() => Kind::Xid,
        "int2vector" => return list_of(Kind::Int2),
        "oidvector" => return list_of(Kind::Oid),
        "_oid" => return array_of(Kind::Oid),
        "_aclitem" => return array_of(Kind::Text(1033)),
        "_char" => return array_of(Kind::Text(18)),
        "_text" => return array_of(Kind::Text(25)),
        _ => return None,
    })
}

/// The kind of an Arrow type without metadata.
pub fn kind_of(dt: &DataType) -> Kind {
    match dt {
        DataType::Boolean => Kind::Bool,
        DataType::Int8 | DataType::Int16 | DataType::UInt8 => Kind::Int2,
        DataType::Int32 | DataType::UInt16 => Kind::Int4,
        // DataFusion's row_number(), rank(), ntile() are UInt64 where
        // PostgreSQL's are bigint (a value over 2^63 fails the cast).
        DataType::Int64 | DataType::UInt64 => Kind::Int8,
        DataType::UInt32 => Kind::Oid,
        DataType::Decimal32(_, _)
        | DataType::Decimal64(_, _)
        | DataType::Decimal128(_, _)
        | DataType::Decimal256(_, _) => Kind::Numeric,
        dt if is_numeric(dt) => Kind::Numeric,
        DataType::Float16 | DataType::Float32 => Kind::Float4,
        DataType::Float64 => Kind::Float8,
        DataType::Utf8 | DataType::LargeUtf8 | DataType::Utf8View | DataType::Null => {
            Kind::Text(25)
        }
        DataType::Binary
        | DataType::LargeBinary
        | DataType::BinaryView
        | DataType::FixedSizeBinary(_) => Kind::Bytea,
        DataType::Date32 | DataType::Date64 => Kind::Date,
        DataType::Time32(_) | DataType::Time64(_) => Kind::Time,
        DataType::Timestamp(_, None) => Kind::Timestamp,
        DataType::Timestamp(_, Some(_)) => Kind::TimestampTz,
        DataType::Interval(_) => Kind::Interval,
        DataType::Duration(_) => Kind::Duration,
        DataType::List(f)
        | DataType::LargeList(f)
        | DataType::FixedSizeList(f, _)
        | DataType::ListView(f)
        | DataType::LargeListView(f) => match kind_of_field(f) {
            Kind::Display => Kind::Display,
            elem => Kind::Array {
                elem: Box::new(elem),
                vector: false,
            },
        },
        DataType::Dictionary(_, v) => kind_of(v),
        DataType::RunEndEncoded(_, v) => kind_of(v.data_type()),
        _ => Kind::Display,
    }
}

/// The Arrow type a parameter of PostgreSQL type `oid` is bound as, if known.
pub fn data_type_of_oid(oid: u32) -> Option<DataType> {
    Some(match oid {
        16 => DataType::Boolean,
        21 => DataType::Int16,
        23 => DataType::Int32,
        20 => DataType::Int64,
        26 => DataType::UInt32,
        700 => DataType::Float32,
        701 => DataType::Float64,
        18 | 19 | 25 | 1042 | 1043 => DataType::Utf8,
        17 => DataType::Binary,
        1082 => DataType::Date32,
        1083 => DataType::Time64(TimeUnit::Microsecond),
        1114 => DataType::Timestamp(TimeUnit::Microsecond, None),
        1184 => DataType::Timestamp(TimeUnit::Microsecond, Some(Arc::from("+00:00"))),
        1186 => DataType::Interval(isotherm_engine::arrow::datatypes::IntervalUnit::MonthDayNano),
        _ => return None,
    })
}

/// Casts a column to its kind's canonical Arrow type.
pub fn normalize(array: &ArrayRef, kind: &Kind) -> SqlResult<ArrayRef> {
    let Some(target) = kind.canonical(array.data_type()) else {
        return Ok(array.clone());
    };
    if array.data_type() == &target {
        return Ok(array.clone());
    }
    let opts = CastOptions {
        safe: false,
        ..Default::default()
    };
    cast_with_options(array, &target, &opts).map_err(|e| {
        SqlError::Internal(format!(
            "cannot send {} as {}: {e}",
            array.data_type(),
            target
        ))
    })
}

fn wrong(kind: &Kind) -> SqlError {
    SqlError::Internal(format!("column is not the canonical array for {kind:?}"))
}

/// Appends the text form of `array[row]` (not null) to `out`.
pub fn write_text(
    kind: &Kind,
    array: &dyn Array,
    row: usize,
    opts: TextOptions,
    out: &mut String,
) -> SqlResult<()> {
    macro_rules! prim {
        ($t:ty) => {
            array
                .as_primitive_opt::<$t>()
                .ok_or_else(|| wrong(kind))?
                .value(row)
        };
    }
    match kind {
        Kind::Bool => {
            let v = array
                .as_boolean_opt()
                .ok_or_else(|| wrong(kind))?
                .value(row);
            out.push(if v { 't' } else { 'f' });
        }
        Kind::Int2 => push_display(out, prim!(Int16Type)),
        Kind::Int4 => push_display(out, prim!(Int32Type)),
        Kind::Int8 => push_display(out, prim!(Int64Type)),
        Kind::Oid | Kind::Xid => push_display(out, prim!(Int64Type) as u32),
        Kind::Float4 => out.push_str(&float::float4_out(
            prim!(Float32Type),
            opts.extra_float_digits,
        )),
        Kind::Float8 => out.push_str(&float::float8_out(
            prim!(Float64Type),
            opts.extra_float_digits,
        )),
        Kind::Numeric => push_display(out, decimal(array, row, kind)?),
        Kind::Text(_) => out.push_str(
            array
                .as_string_opt::<i32>()
                .ok_or_else(|| wrong(kind))?
                .value(row),
        ),
        Kind::Bytea => {
            let b = array
                .as_binary_opt::<i32>()
                .ok_or_else(|| wrong(kind))?
                .value(row);
            out.push_str("\\x");
            for byte in b {
                let _ = write!(out, "{byte:02x}");
            }
        }
        Kind::Date => out.push_str(&datetime::format_date(prim!(Date32Type))),
        Kind::Time => out.push_str(&format_time(prim!(Time64MicrosecondType))),
        Kind::Timestamp => out.push_str(&datetime::format_timestamp(
            prim!(TimestampMicrosecondType),
            false,
        )),
        Kind::TimestampTz => out.push_str(&datetime::format_timestamp(
            prim!(TimestampMicrosecondType),
            true,
        )),
        Kind::Interval => {
            let v = prim!(IntervalMonthDayNanoType);
            out.push_str(&format_interval(v.months, v.days, v.nanoseconds / 1000));
        }
        Kind::Duration => out.push_str(&format_interval(0, 0, prim!(DurationMicrosecondType))),
        Kind::Array { elem, vector } => {
            let list = array.as_list_opt::<i32>().ok_or_else(|| wrong(kind))?;
            let values = list.value(row);
            if *vector {
                for i in 0..values.len() {
                    if i > 0 {
                        out.push(' ');
                    }
                    write_text(elem, values.as_ref(), i, opts, out)?;
                }
                return Ok(());
            }
            out.push('{');
            for i in 0..values.len() {
                if i > 0 {
                    out.push(',');
                }
                if values.is_null(i) {
                    out.push_str("NULL");
                    continue;
                }
                let mut item = String::new();
                write_text(elem, values.as_ref(), i, opts, &mut item)?;
                if matches!(elem.as_ref(), Kind::Array { vector: false, .. }) {
                    out.push_str(&item);
                } else {
                    push_array_item(out, &item);
                }
            }
            out.push('}');
        }
        Kind::Display => {
            let f = ArrayFormatter::try_new(array, &FormatOptions::default())
                .map_err(|e| SqlError::Internal(format!("cannot format a value: {e}")))?;
            let _ = write!(out, "{}", f.value(row));
        }
    }
    Ok(())
}

fn push_display(out: &mut String, v: impl std::fmt::Display) {
    let _ = write!(out, "{v}");
}

/// An array element, double-quoted where `array_out` would quote it.
pub fn push_array_item(out: &mut String, item: &str) {
    let needs_quotes = item.is_empty()
        || item.eq_ignore_ascii_case("NULL")
        || item
            .chars()
            .any(|c| matches!(c, '{' | '}' | ',' | '"' | '\\') || c.is_ascii_whitespace());
    if !needs_quotes {
        out.push_str(item);
        return;
    }
    out.push('"');
    for c in item.chars() {
        if c == '"' || c == '\\' {
            out.push('\\');
        }
        out.push(c);
    }
    out.push('"');
}

fn decimal(array: &dyn Array, row: usize, kind: &Kind) -> SqlResult<Numeric> {
    // An unconstrained numeric: its digits and its own scale.
    if let Some(s) = array.as_struct_opt() {
        let digits = s
            .column(0)
            .as_primitive_opt::<Decimal128Type>()
            .ok_or_else(|| wrong(kind))?;
        let scale = s
            .column(1)
            .as_primitive_opt::<UInt8Type>()
            .ok_or_else(|| wrong(kind))?;
        return Ok(Numeric {
            unscaled: digits.value(row),
            scale: scale.value(row),
        });
    }
    let a = array
        .as_primitive_opt::<Decimal128Type>()
        .ok_or_else(|| wrong(kind))?;
    let v = a.value(row);
    let scale = a.scale();
    if scale >= 0 {
        return Ok(Numeric {
            unscaled: v,
            scale: scale as u8,
        });
    }
    let unscaled = 10i128
        .checked_pow(u32::from(scale.unsigned_abs()))
        .and_then(|m| v.checked_mul(m))
        .ok_or_else(|| SqlError::NumericOutOfRange("numeric value out of range".into()))?;
    Ok(Numeric { unscaled, scale: 0 })
}

/// `time` text: `HH:MM:SS[.ffffff]` with trailing zeros trimmed.
pub fn format_time(micros: i64) -> String {
    let secs = micros.div_euclid(1_000_000);
    let frac = micros.rem_euclid(1_000_000);
    let mut out = format!(
        "{:02}:{:02}:{:02}",
        secs / 3600,
        (secs / 60) % 60,
        secs % 60
    );
    push_fraction(&mut out, frac);
    out
}

fn push_fraction(out: &mut String, frac: i64) {
    if frac != 0 {
        let f = format!("{:06}", frac.unsigned_abs());
        out.push('.');
        out.push_str(f.trim_end_matches('0'));
    }
}

/// `interval` text with `IntervalStyle = postgres` (PostgreSQL's
/// `EncodeInterval`): `1 year 2 mons -3 days +04:05:06.5`, `00:00:00`.
pub fn format_interval(months: i32, days: i32, micros: i64) -> String {
    let mut out = String::new();
    let mut is_zero = true;
    let mut is_before = false;
    let mut part = |out: &mut String, value: i64, unit: &str| {
        if value == 0 {
            return;
        }
        let _ = write!(
            out,
            "{}{}{value} {unit}{}",
            if is_zero { "" } else { " " },
            if is_before && value > 0 { "+" } else { "" },
            if value != 1 { "s" } else { "" }
        );
        is_before = value < 0;
        is_zero = false;
    };
    part(&mut out, i64::from(months / 12), "year");
    part(&mut out, i64::from(months % 12), "mon");
    part(&mut out, i64::from(days), "day");
    let hours = micros / 3_600_000_000;
    let rest = micros % 3_600_000_000;
    let mins = rest / 60_000_000;
    let rest = rest % 60_000_000;
    let secs = rest / 1_000_000;
    let frac = rest % 1_000_000;
    if is_zero || micros != 0 {
        let minus = hours < 0 || mins < 0 || secs < 0 || frac < 0;
        let _ = write!(
            out,
            "{}{}{:02}:{:02}:{:02}",
            if is_zero { "" } else { " " },
            if minus {
                "-"
            } else if is_before {
                "+"
            } else {
                ""
            },
            hours.unsigned_abs(),
            mins.unsigned_abs(),
            secs.unsigned_abs()
        );
        push_fraction(&mut out, frac);
    }
    out
}

/// Appends the binary form of `array[row]` (not null) to `buf`.
pub fn write_binary(
    kind: &Kind,
    array: &dyn Array,
    row: usize,
    buf: &mut BytesMut,
) -> SqlResult<()> {
    macro_rules! prim {
        ($t:ty) => {
            array
                .as_primitive_opt::<$t>()
                .ok_or_else(|| wrong(kind))?
                .value(row)
        };
    }
    match kind {
        Kind::Bool => buf.put_u8(u8::from(
            array
                .as_boolean_opt()
                .ok_or_else(|| wrong(kind))?
                .value(row),
        )),
        Kind::Int2 => buf.put_i16(prim!(Int16Type)),
        Kind::Int4 => buf.put_i32(prim!(Int32Type)),
        Kind::Int8 => buf.put_i64(prim!(Int64Type)),
        Kind::Oid | Kind::Xid => buf.put_u32(prim!(Int64Type) as u32),
        Kind::Float4 => buf.put_f32(prim!(Float32Type)),
        Kind::Float8 => buf.put_f64(prim!(Float64Type)),
        Kind::Numeric => numeric::encode_binary(decimal(array, row, kind)?, buf),
        // `"char"`: one byte; the empty value is the zero byte (charsend).
        Kind::Text(18) => {
            let v = array
                .as_string_opt::<i32>()
                .ok_or_else(|| wrong(kind))?
                .value(row);
            match v.as_bytes().first() {
                Some(b) => buf.put_u8(*b),
                None => buf.put_u8(0),
            }
        }
        // regproc held as a function name: its binary form is the OID.
        Kind::Text(24) => {
            let name = array
                .as_string_opt::<i32>()
                .ok_or_else(|| wrong(kind))?
                .value(row);
            let oid = isotherm_engine::catalog::retyped::regproc_oid(name).ok_or_else(|| {
                SqlError::Internal(format!("regproc {name:?}: no such function in pg_proc"))
            })?;
            buf.put_u32(oid)
        }
        Kind::Text(_) => buf.put_slice(
            array
                .as_string_opt::<i32>()
                .ok_or_else(|| wrong(kind))?
                .value(row)
                .as_bytes(),
        ),
        Kind::Bytea => buf.put_slice(
            array
                .as_binary_opt::<i32>()
                .ok_or_else(|| wrong(kind))?
                .value(row),
        ),
        Kind::Date => buf.put_i32(
            i32::try_from(i64::from(prim!(Date32Type)) - datetime::PG_EPOCH_DAYS)
                .map_err(|_| SqlError::DatetimeFieldOverflow("date out of range".into()))?,
        ),
        Kind::Time => buf.put_i64(prim!(Time64MicrosecondType)),
        Kind::Timestamp | Kind::TimestampTz => {
            buf.put_i64(prim!(TimestampMicrosecondType).saturating_sub(datetime::PG_EPOCH_MICROS))
        }
        Kind::Interval => {
            let v = prim!(IntervalMonthDayNanoType);
            buf.put_i64(v.nanoseconds / 1000);
            buf.put_i32(v.days);
            buf.put_i32(v.months);
        }
        Kind::Duration => {
            buf.put_i64(prim!(DurationMicrosecondType));
            buf.put_i32(0);
            buf.put_i32(0);
        }
        Kind::Array { elem, .. } => {
            if matches!(elem.as_ref(), Kind::Array { .. }) {
                return Err(SqlError::unsupported(
                    "binary output of multidimensional arrays",
                ));
            }
            let list = array.as_list_opt::<i32>().ok_or_else(|| wrong(kind))?;
            let values = list.value(row);
            let n = i32::try_from(values.len())
                .map_err(|_| SqlError::Internal("array too large".into()))?;
            if n == 0 {
                buf.put_i32(0);
                buf.put_i32(0);
                buf.put_u32(elem.oid());
                return Ok(());
            }
            buf.put_i32(1);
            buf.put_i32(i32::from(values.null_count() > 0));
            buf.put_u32(elem.oid());
            buf.put_i32(n);
            buf.put_i32(1);
            for i in 0..values.len() {
                if values.is_null(i) {
                    buf.put_i32(-1);
                    continue;
                }
                let start = buf.len();
                buf.put_i32(0);
                write_binary(elem, values.as_ref(), i, buf)?;
                let len = (buf.len() - start - 4) as i32;
                buf[start..start + 4].copy_from_slice(&len.to_be_bytes());
            }
        }
        Kind::Display => {
            let mut s = String::new();
            write_text(kind, array, row, TextOptions::default(), &mut s)?;
            buf.put_slice(s.as_bytes());
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;
    use isotherm_engine::arrow::array::{
        BooleanArray, Decimal128Array, Float32Array, Int16Array, Int32Array,
        IntervalMonthDayNanoArray, LargeStringArray, ListArray, StringArray,
    };
    use isotherm_engine::arrow::datatypes::IntervalMonthDayNano;

    fn text_of(array: ArrayRef, field: &Field) -> Vec<Option<String>> {
        let kind = kind_of_field(field);
        let a = normalize(&array, &kind).unwrap();
        (0..a.len())
            .map(|i| {
                (!a.is_null(i)).then(|| {
                    let mut s = String::new();
                    write_text(&kind, a.as_ref(), i, TextOptions::default(), &mut s).unwrap();
                    s
                })
            })
            .collect()
    }

    #[test]
    fn oids_and_sizes() {
        assert_eq!(kind_of(&DataType::Int16).oid(), 21);
        assert_eq!(kind_of(&DataType::UInt32).oid(), 26);
        assert_eq!(kind_of(&DataType::Float32).oid(), 700);
        assert_eq!(kind_of(&DataType::Utf8View).oid(), 25);
        assert_eq!(kind_of(&DataType::Null).oid(), 25);
        assert_eq!(kind_of(&DataType::Decimal128(10, 2)).oid(), 1700);
        let list = |t: DataType| DataType::List(Arc::new(Field::new_list_field(t, true)));
        assert_eq!(kind_of(&list(DataType::Utf8)).oid(), 1009);
        assert_eq!(kind_of(&list(DataType::Int16)).oid(), 1005);
        assert_eq!(kind_of(&list(DataType::Int32)).oid(), 1007);
        assert_eq!(kind_of(&list(DataType::Int64)).oid(), 1016);
        assert_eq!(kind_of(&list(DataType::UInt32)).oid(), 1028);
        let oid = Field::new("oid", DataType::Int32, false).with_metadata(
            [(OID_ALIAS_KEY.to_owned(), "oid".to_owned())]
                .into_iter()
                .collect(),
        );
        assert_eq!(kind_of_field(&oid).oid(), 26);
        let name = Field::new("relname", DataType::Utf8, false).with_metadata(
            [(PG_TYPE_KEY.to_owned(), "name".to_owned())]
                .into_iter()
                .collect(),
        );
        assert_eq!(kind_of_field(&name).oid(), 19);
        assert_eq!(kind_of_field(&name).type_size(), 64);
    }

    #[test]
    fn scalar_text_like_postgres() {
        let f = |t: DataType| Field::new("x", t, true);
        assert_eq!(
            text_of(
                Arc::new(BooleanArray::from(vec![Some(true), None])),
                &f(DataType::Boolean)
            ),
            vec![Some("t".into()), None]
        );
        assert_eq!(
            text_of(
                Arc::new(Float32Array::from(vec![1e6, 1.1])),
                &f(DataType::Float32)
            ),
            vec![Some("1e+06".into()), Some("1.1".into())]
        );
        assert_eq!(
            text_of(
                Arc::new(
                    Decimal128Array::from(vec![12345, -5])
                        .with_precision_and_scale(10, 3)
                        .unwrap()
                ),
                &f(DataType::Decimal128(10, 3))
            ),
            vec![Some("12.345".into()), Some("-0.005".into())]
        );
        assert_eq!(
            text_of(
                Arc::new(LargeStringArray::from(vec!["a"])),
                &f(DataType::LargeUtf8)
            ),
            vec![Some("a".into())]
        );
        assert_eq!(
            text_of(Arc::new(Int16Array::from(vec![-3])), &f(DataType::Int16)),
            vec![Some("-3".into())]
        );
        let iv = IntervalMonthDayNanoArray::from(vec![
            IntervalMonthDayNano::new(14, -3, 14_706_500_000_000),
            IntervalMonthDayNano::new(0, 0, 0),
            IntervalMonthDayNano::new(0, -1, 0),
            IntervalMonthDayNano::new(0, 0, -1_000_000_000),
            IntervalMonthDayNano::new(-1, 1, 0),
            IntervalMonthDayNano::new(1, -1, -1_000_000_000),
        ]);
        let dt = iv.data_type().clone();
        assert_eq!(
            text_of(Arc::new(iv), &f(dt)),
            vec![
                Some("1 year 2 mons -3 days +04:05:06.5".into()),
                Some("00:00:00".into()),
                Some("-1 days".into()),
                Some("-00:00:01".into()),
                Some("-1 mons +1 day".into()),
                Some("1 mon -1 days -00:00:01".into()),
            ]
        );
    }

    #[test]
    fn arrays_quote_like_array_out() {
        let values = StringArray::from(vec![
            Some("a"),
            Some("b c"),
            Some(""),
            Some("NULL"),
            None,
            Some("x\"y"),
            Some("a\\b"),
        ]);
        let list = ListArray::new(
            Arc::new(Field::new_list_field(DataType::Utf8, true)),
            isotherm_engine::arrow::buffer::OffsetBuffer::from_lengths([7, 0]),
            Arc::new(values),
            None,
        );
        let dt = list.data_type().clone();
        assert_eq!(
            text_of(Arc::new(list), &Field::new("a", dt, true)),
            vec![
                Some(r#"{a,"b c","","NULL",NULL,"x\"y","a\\b"}"#.into()),
                Some("{}".into())
            ]
        );
    }

    #[test]
    fn binary_arrays_and_oids() {
        let list = ListArray::new(
            Arc::new(Field::new_list_field(DataType::Int32, true)),
            isotherm_engine::arrow::buffer::OffsetBuffer::from_lengths([2]),
            Arc::new(Int32Array::from(vec![Some(1), None])),
            None,
        );
        let kind = kind_of(list.data_type());
        let mut buf = BytesMut::new();
        write_binary(&kind, &list, 0, &mut buf).unwrap();
        let want: Vec<u8> = [1i32, 1, 23, 2, 1, 4, 1, -1]
            .iter()
            .flat_map(|v| v.to_be_bytes())
            .collect();
        assert_eq!(buf.to_vec(), want);
        let mut s = String::new();
        write_text(&kind, &list, 0, TextOptions::default(), &mut s).unwrap();
        assert_eq!(s, "{1,NULL}");
    }
}
