//! DataFusion filters to the index's [`Predicate`]: what the bitmaps and
//! partition pruning can evaluate instead of DataFusion.
//!
//! A filter translates when it is built from comparisons, `IN` lists,
//! `BETWEEN` and `IS [NOT] NULL` of an *operand* against literals, joined by
//! `AND`, `OR` and `NOT`. An operand is a column, `date_trunc(unit, operand)`
//! or `date_part(field, operand)` (what `extract` plans to), under any casts
//! DataFusion inserts that keep the values' order and equality: a text column
//! as `Utf8View`, a `bigint` as `double` or `decimal`, a `date` as a
//! timestamp at midnight, a timestamp in another unit or time zone. Literals
//! are converted to the index value the index compares with the column's type
//! the way PostgreSQL does (numbers across int/float/numeric, dates against
//! timestamps at midnight).
//!
//! Every translated leaf is evaluated by the index with PostgreSQL's
//! three-valued logic, so a fully translated filter is pushed `Exact`
//! (DataFusion drops its own copy; note the index follows PostgreSQL where
//! Arrow's kernels do not: `-0 = 0` for floats). An `AND` with some conjuncts
//! left over is pushed `Inexact` (the index keeps a superset, DataFusion
//! re-applies the whole filter); anything else is `Unsupported`. `NOT` and
//! `OR` need exact children: a weaker child would not give a weaker whole.

use datafusion::arrow::datatypes::DataType;
use datafusion::common::ScalarValue;
use datafusion::logical_expr::expr::{InList, ScalarFunction};
use datafusion::logical_expr::{Between, BinaryExpr, Expr, Operator};
use isotherm_indexer::calendar::{MICROS_PER_DAY, format_date};
use isotherm_indexer::{
    CmpOp, Expr as IExpr, ExtractField, Numeric, Predicate, ScalarType, TableSchema, TruncUnit,
    Value,
};

use crate::convert::timestamp_micros;

/// A filter in the index's terms; `exact` when it keeps exactly the rows the
/// DataFusion filter keeps.
#[derive(Debug, Clone, PartialEq)]
pub struct Translated {
    pub predicate: Predicate,
    pub exact: bool,
}

/// Translates one DataFusion filter against `schema`; `None` if no part of it
/// can be evaluated by the index.
pub fn translate(filter: &Expr, schema: &TableSchema) -> Option<Translated> {
    translate_in(filter, schema, true)
}

/// `positive`: not under a `NOT`, where a NULL keeps no row just as `false`
/// does (under `NOT` they differ: `NOT NULL` is NULL, `NOT false` true).
fn translate_in(filter: &Expr, schema: &TableSchema, positive: bool) -> Option<Translated> {
    let exact = |predicate| {
        Some(Translated {
            predicate,
            exact: true,
        })
    };
    let translate = |e: &Expr, schema: &TableSchema| translate_in(e, schema, positive);
    match filter {
        Expr::Alias(a) => translate(&a.expr, schema),
        Expr::Literal(ScalarValue::Boolean(Some(b)), _) => exact(Predicate::Const(*b)),
        Expr::Literal(ScalarValue::Boolean(None), _) if positive => exact(Predicate::Const(false)),
        Expr::BinaryExpr(BinaryExpr { left, op, right }) => match op {
            Operator::And => match (translate(left, schema), translate(right, schema)) {
                (Some(l), Some(r)) => Some(Translated {
                    exact: l.exact && r.exact,
                    predicate: and(l.predicate, r.predicate),
                }),
                (Some(one), None) | (None, Some(one)) => Some(Translated {
                    exact: false,
                    predicate: one.predicate,
                }),
                (None, None) => None,
            },
            Operator::Or => {
                let (l, r) = (translate(left, schema)?, translate(right, schema)?);
                if !(l.exact && r.exact) {
                    return None;
                }
                let mut ps = Vec::new();
                for p in [l.predicate, r.predicate] {
                    match p {
                        Predicate::Or(inner) => ps.extend(inner),
                        p => ps.push(p),
                    }
                }
                exact(Predicate::Or(ps))
            }
            _ => exact(comparison(left, *op, right, schema)?),
        },
        Expr::Not(inner) => {
            let t = translate_in(inner, schema, false)?;
            t.exact.then(|| Translated {
                predicate: Predicate::Not(Box::new(t.predicate)),
                exact: true,
            })
        }
        Expr::IsNull(e) | Expr::IsNotNull(e) => {
            let o = operand(e, schema)?;
            exact(Predicate::IsNull {
                expr: o.expr,
                negated: matches!(filter, Expr::IsNotNull(_)),
            })
        }
        Expr::InList(InList {
            expr,
            list,
            negated,
        }) => {
            let o = operand(expr, schema)?;
            let values = list
                .iter()
                .map(|e| literal_for(o.ty, e))
                .collect::<Option<Vec<_>>>()?;
            exact(Predicate::InList {
                expr: o.expr,
                values,
                negated: *negated,
            })
        }
        Expr::Between(Between {
            expr,
            negated,
            low,
            high,
        }) => {
            let o = operand(expr, schema)?;
            exact(Predicate::Between {
                low: literal_for(o.ty, low)?,
                high: literal_for(o.ty, high)?,
                expr: o.expr,
                negated: *negated,
            })
        }
        _ => None,
    }
}

/// The conjunction of translated filters (`None` for none).
pub fn conjunction(preds: Vec<Predicate>) -> Option<Predicate> {
    preds.into_iter().reduce(and)
}

fn and(a: Predicate, b: Predicate) -> Predicate {
    let mut ps = Vec::new();
    for p in [a, b] {
        match p {
            Predicate::And(inner) => ps.extend(inner),
            p => ps.push(p),
        }
    }
    Predicate::And(ps)
}

fn comparison(left: &Expr, op: Operator, right: &Expr, schema: &TableSchema) -> Option<Predicate> {
    let op = cmp_op(op)?;
    if let Some(o) = operand(left, schema) {
        let value = literal_for(o.ty, right)?;
        return Some(Predicate::Compare {
            expr: o.expr,
            op,
            value,
        });
    }
    let o = operand(right, schema)?;
    Some(Predicate::Compare {
        value: literal_for(o.ty, left)?,
        expr: o.expr,
        op: flip(op),
    })
}

fn cmp_op(op: Operator) -> Option<CmpOp> {
    Some(match op {
        Operator::Eq => CmpOp::Eq,
        Operator::NotEq => CmpOp::NotEq,
        Operator::Lt => CmpOp::Lt,
        Operator::LtEq => CmpOp::LtEq,
        Operator::Gt => CmpOp::Gt,
        Operator::GtEq => CmpOp::GtEq,
        _ => return None,
    })
}

/// `lit op x` as `x op' lit`.
fn flip(op: CmpOp) -> CmpOp {
    match op {
        CmpOp::Lt => CmpOp::Gt,
        CmpOp::LtEq => CmpOp::GtEq,
        CmpOp::Gt => CmpOp::Lt,
        CmpOp::GtEq => CmpOp::LtEq,
        other => other,
    }
}

/// A row-level expression the index evaluates, with its index type.
struct Operand {
    expr: IExpr,
    ty: ScalarType,
}

fn operand(e: &Expr, schema: &TableSchema) -> Option<Operand> {
    match e {
        Expr::Alias(a) => operand(&a.expr, schema),
        Expr::Column(c) => {
            let col = schema.column(&c.name)?;
            // The index refuses boolean and numeric columns in expressions.
            if matches!(col.ty, ScalarType::Bool | ScalarType::Numeric) {
                return None;
            }
            Some(Operand {
                expr: IExpr::Column(col.name.clone()),
                ty: col.ty,
            })
        }
        Expr::Cast(c) => cast_operand(operand(&c.expr, schema)?, c.field.data_type()),
        Expr::TryCast(c) => cast_operand(operand(&c.expr, schema)?, c.field.data_type()),
        Expr::ScalarFunction(f) => function_operand(f, schema),
        _ => None,
    }
}

fn is_utc(tz: &str) -> bool {
    matches!(
        tz.to_ascii_lowercase().as_str(),
        "+00:00" | "utc" | "z" | "+00" | "+0000" | "etc/utc" | "gmt"
    )
}

/// The operand seen through a cast, when the cast keeps order and equality
/// (so comparing the cast value is comparing the index value).
fn cast_operand(o: Operand, to: &DataType) -> Option<Operand> {
    let keeps = match (o.ty, to) {
        (ScalarType::Text, DataType::Utf8 | DataType::LargeUtf8 | DataType::Utf8View) => true,
        (ScalarType::Int64, DataType::Int64 | DataType::Float64) => true,
        (ScalarType::Int64, DataType::Decimal128(p, s)) => i16::from(*p) - i16::from(*s) >= 19,
        (ScalarType::Float64, DataType::Float64) => true,
        (ScalarType::Date, DataType::Date32) => true,
        // Midnight of the date, read as UTC.
        (ScalarType::Date | ScalarType::Timestamp, DataType::Timestamp(_, tz)) => {
            tz.as_deref().is_none_or(is_utc)
        }
        // An instant stays the same instant in any zone; without a zone Arrow
        // shows the UTC wall clock.
        (ScalarType::TimestampTz, DataType::Timestamp(_, _)) => true,
        _ => false,
    };
    keeps.then_some(o)
}

fn literal_str(e: &Expr) -> Option<String> {
    match e {
        Expr::Literal(s, _) => s.try_as_str().flatten().map(|s| s.to_ascii_lowercase()),
        _ => None,
    }
}

fn function_operand(f: &ScalarFunction, schema: &TableSchema) -> Option<Operand> {
    let [unit, arg] = f.args.as_slice() else {
        return None;
    };
    let unit = literal_str(unit)?;
    let arg = operand(arg, schema)?;
    let temporal = matches!(
        arg.ty,
        ScalarType::Date | ScalarType::Timestamp | ScalarType::TimestampTz
    );
    if !temporal {
        return None;
    }
    match f.name() {
        "date_trunc" | "datetrunc" => {
            let unit = match unit.as_str() {
                "minute" => TruncUnit::Minute,
                "hour" => TruncUnit::Hour,
                "day" => TruncUnit::Day,
                "week" => TruncUnit::Week,
                "month" => TruncUnit::Month,
                "quarter" => TruncUnit::Quarter,
                "year" => TruncUnit::Year,
                _ => return None,
            };
            let ty = if arg.ty == ScalarType::Timestamp {
                ScalarType::Timestamp
            } else {
                ScalarType::TimestampTz
            };
            Some(Operand {
                expr: IExpr::DateTrunc {
                    unit,
                    arg: Box::new(arg.expr),
                },
                ty,
            })
        }
        "date_part" | "datepart" => {
            // Only fields where DataFusion's integer answer equals
            // PostgreSQL's numeric one (not second or epoch).
            let field = match unit.as_str() {
                "year" => ExtractField::Year,
                "quarter" | "qtr" => ExtractField::Quarter,
                "month" => ExtractField::Month,
                "week" => ExtractField::Week,
                "day" => ExtractField::Day,
                "dow" => ExtractField::Dow,
                "isodow" => ExtractField::IsoDow,
                "doy" => ExtractField::Doy,
                "hour" if arg.ty != ScalarType::Date => ExtractField::Hour,
                "minute" if arg.ty != ScalarType::Date => ExtractField::Minute,
                _ => return None,
            };
            Some(Operand {
                expr: IExpr::Extract {
                    field,
                    arg: Box::new(arg.expr),
                },
                ty: ScalarType::Numeric,
            })
        }
        _ => None,
    }
}

/// A literal (possibly under casts DataFusion left in place) as the value the
/// index compares with an operand of type `ty`.
fn literal_for(ty: ScalarType, e: &Expr) -> Option<Value> {
    let scalar = literal_scalar(e)?;
    if scalar.is_null() {
        return Some(Value::Null);
    }
    let int = |s: &ScalarValue| -> Option<i64> {
        Some(match s {
            ScalarValue::Int8(Some(v)) => i64::from(*v),
            ScalarValue::Int16(Some(v)) => i64::from(*v),
            ScalarValue::Int32(Some(v)) => i64::from(*v),
            ScalarValue::Int64(Some(v)) => *v,
            ScalarValue::UInt8(Some(v)) => i64::from(*v),
            ScalarValue::UInt16(Some(v)) => i64::from(*v),
            ScalarValue::UInt32(Some(v)) => i64::from(*v),
            ScalarValue::UInt64(Some(v)) => i64::try_from(*v).ok()?,
            _ => return None,
        })
    };
    match ty {
        ScalarType::Text => scalar
            .try_as_str()
            .flatten()
            .map(|s| Value::Text(s.to_owned())),
        ScalarType::Int64 | ScalarType::Float64 | ScalarType::Numeric => {
            if let Some(i) = int(&scalar) {
                return Some(Value::Int64(i));
            }
            match scalar {
                ScalarValue::Float32(Some(f)) => Some(Value::Float64(f64::from(f))),
                ScalarValue::Float64(Some(f)) => Some(Value::Float64(f)),
                ScalarValue::Decimal128(Some(u), _, s) if s >= 0 => {
                    let n = Numeric {
                        unscaled: u,
                        scale: u8::try_from(s).ok()?,
                    };
                    // A float column compares with the decimal as a float.
                    Some(if ty == ScalarType::Float64 {
                        Value::Float64(n.to_f64())
                    } else {
                        Value::Numeric(n)
                    })
                }
                _ => None,
            }
        }
        ScalarType::Date | ScalarType::Timestamp | ScalarType::TimestampTz => match scalar {
            ScalarValue::Date32(Some(d)) => Some(Value::Date(d)),
            ScalarValue::Date64(Some(ms)) if ms % (MICROS_PER_DAY / 1000) == 0 => Some(
                Value::Date(i32::try_from(ms / (MICROS_PER_DAY / 1000)).ok()?),
            ),
            ref ts @ (ScalarValue::TimestampSecond(..)
            | ScalarValue::TimestampMillisecond(..)
            | ScalarValue::TimestampMicrosecond(..)
            | ScalarValue::TimestampNanosecond(..)) => {
                // The index compares timestamps with and without a zone
                // by their UTC instant; keep the literal's own kind.
                let micros = timestamp_micros(ts)?;
                Some(if has_zone(ts) {
                    Value::TimestampTz(micros)
                } else {
                    Value::Timestamp(micros)
                })
            }
            _ => None,
        },
        ScalarType::Bool => None,
    }
}

fn has_zone(s: &ScalarValue) -> bool {
    matches!(
        s,
        ScalarValue::TimestampSecond(_, Some(_))
            | ScalarValue::TimestampMillisecond(_, Some(_))
            | ScalarValue::TimestampMicrosecond(_, Some(_))
            | ScalarValue::TimestampNanosecond(_, Some(_))
    )
}

fn literal_scalar(e: &Expr) -> Option<ScalarValue> {
    match e {
        Expr::Literal(s, _) => Some(s.clone()),
        Expr::Alias(a) => literal_scalar(&a.expr),
        Expr::Cast(c) => literal_scalar(&c.expr)?.cast_to(c.field.data_type()).ok(),
        Expr::TryCast(c) => literal_scalar(&c.expr)?.cast_to(c.field.data_type()).ok(),
        _ => None,
    }
}

// ------------------------------------------------------------ display

/// The predicate as SQL-like text, for `EXPLAIN`.
pub fn display_predicate(p: &Predicate) -> String {
    let join = |ps: &[Predicate], sep: &str| {
        ps.iter()
            .map(|p| match p {
                Predicate::And(_) | Predicate::Or(_) => format!("({})", display_predicate(p)),
                p => display_predicate(p),
            })
            .collect::<Vec<_>>()
            .join(sep)
    };
    let not = |negated: bool| if negated { "NOT " } else { "" };
    match p {
        Predicate::Compare { expr, op, value } => {
            let op = match op {
                CmpOp::Eq => "=",
                CmpOp::NotEq => "<>",
                CmpOp::Lt => "<",
                CmpOp::LtEq => "<=",
                CmpOp::Gt => ">",
                CmpOp::GtEq => ">=",
            };
            format!("{} {op} {}", display_expr(expr), display_value(value))
        }
        Predicate::InList {
            expr,
            values,
            negated,
        } => format!(
            "{} {}IN ({})",
            display_expr(expr),
            not(*negated),
            values
                .iter()
                .map(display_value)
                .collect::<Vec<_>>()
                .join(", ")
        ),
        Predicate::Between {
            expr,
            low,
            high,
            negated,
        } => format!(
            "{} {}BETWEEN {} AND {}",
            display_expr(expr),
            not(*negated),
            display_value(low),
            display_value(high)
        ),
        Predicate::IsNull { expr, negated } => {
            format!("{} IS {}NULL", display_expr(expr), not(*negated))
        }
        Predicate::And(ps) => join(ps, " AND "),
        Predicate::Or(ps) => join(ps, " OR "),
        Predicate::Not(p) => format!("NOT ({})", display_predicate(p)),
        Predicate::Const(b) => b.to_string(),
    }
}

fn display_expr(e: &IExpr) -> String {
    match e {
        IExpr::Column(c) => c.clone(),
        IExpr::DateTrunc { unit, arg } => {
            format!(
                "date_trunc('{}', {})",
                format!("{unit:?}").to_lowercase(),
                display_expr(arg)
            )
        }
        IExpr::Extract { field, arg } => format!(
            "extract({} FROM {})",
            format!("{field:?}").to_lowercase(),
            display_expr(arg)
        ),
        IExpr::Literal(v) => display_value(v),
        IExpr::Cast { to, arg } => format!("CAST({} AS {})", display_expr(arg), to.pg_name()),
        IExpr::Arith { op, left, right } => {
            use isotherm_indexer::query::request::NumOp;
            let op = match op {
                NumOp::Add => "+",
                NumOp::Sub => "-",
                NumOp::Mul => "*",
                NumOp::Div => "/",
            };
            format!("({} {op} {})", display_expr(left), display_expr(right))
        }
        IExpr::Floor(arg) => format!("floor({})", display_expr(arg)),
        IExpr::Coalesce { arg, value } => {
            format!("coalesce({}, {})", display_expr(arg), display_value(value))
        }
    }
}

fn display_value(v: &Value) -> String {
    let ts = |micros: i64| {
        let days = micros.div_euclid(MICROS_PER_DAY);
        let tod = micros.rem_euclid(MICROS_PER_DAY);
        let date = i32::try_from(days).map_or_else(|_| days.to_string(), format_date);
        let (h, m, s, us) = (
            tod / 3_600_000_000,
            tod / 60_000_000 % 60,
            tod / 1_000_000 % 60,
            tod % 1_000_000,
        );
        if us == 0 {
            format!("{date} {h:02}:{m:02}:{s:02}")
        } else {
            format!("{date} {h:02}:{m:02}:{s:02}.{us:06}")
        }
    };
    match v {
        Value::Null => "NULL".into(),
        Value::Bool(b) => b.to_string(),
        Value::Int64(i) => i.to_string(),
        Value::Float64(f) => format!("{f:?}"),
        Value::Text(s) => format!("'{}'", s.replace('\'', "''")),
        Value::Date(d) => format!("DATE '{}'", format_date(*d)),
        Value::Timestamp(t) => format!("TIMESTAMP '{}'", ts(*t)),
        Value::TimestampTz(t) => format!("TIMESTAMPTZ '{}+00'", ts(*t)),
        Value::Numeric(n) => n.to_string(),
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;
    use datafusion::arrow::datatypes::TimeUnit;
    use datafusion::logical_expr::{cast, col, lit};
    use isotherm_indexer::{ColumnDef, ColumnRole};

    fn schema() -> TableSchema {
        let c = |name: &str, ty, nullable| ColumnDef {
            name: name.into(),
            ty,
            role: ColumnRole::Plain,
            partition: false,
            nullable,
        };
        TableSchema {
            name: "t".into(),
            columns: vec![
                c("date", ScalarType::Date, false),
                c("region", ScalarType::Text, false),
                c("measured_at", ScalarType::TimestampTz, false),
                c("temperature", ScalarType::Float64, true),
                c("n", ScalarType::Int64, true),
            ],
            rollups: vec![],
        }
    }

    fn t(e: Expr) -> Option<Translated> {
        translate(&e, &schema())
    }

    #[test]
    fn simple_comparisons_are_exact() {
        let got = t(col("region").eq(lit("europe"))).unwrap();
        assert!(got.exact);
        assert_eq!(
            got.predicate,
            Predicate::Compare {
                expr: IExpr::Column("region".into()),
                op: CmpOp::Eq,
                value: Value::Text("europe".into())
            }
        );
        // Literal on the left flips the operator.
        let got = t(lit(20.5).lt(col("temperature"))).unwrap();
        assert!(matches!(
            got.predicate,
            Predicate::Compare { op: CmpOp::Gt, value: Value::Float64(v), .. } if v == 20.5
        ));
    }

    #[test]
    fn casts_that_keep_order_are_seen_through() {
        let ts = DataType::Timestamp(TimeUnit::Nanosecond, None);
        let got = t(cast(col("date"), ts.clone()).gt_eq(Expr::Literal(
            ScalarValue::TimestampNanosecond(Some(86_400_000_000_000), None),
            None,
        )))
        .unwrap();
        assert!(got.exact);
        assert!(matches!(
            got.predicate,
            Predicate::Compare {
                value: Value::Timestamp(86_400_000_000),
                ..
            }
        ));
        // A cast that loses information (float to int) is not.
        assert_eq!(
            t(cast(col("temperature"), DataType::Int64).eq(lit(3i64))),
            None
        );
        // Sub-microsecond literals cannot be compared exactly.
        assert_eq!(
            t(col("measured_at").gt(Expr::Literal(
                ScalarValue::TimestampNanosecond(Some(1), Some("+00:00".into())),
                None
            ))),
            None
        );
    }

    #[test]
    fn and_keeps_what_translates_or_needs_everything() {
        let untranslatable = col("temperature").gt(col("n"));
        let got = t(col("region").eq(lit("asia")).and(untranslatable.clone())).unwrap();
        assert!(!got.exact);
        assert!(matches!(got.predicate, Predicate::Compare { .. }));
        assert_eq!(
            t(col("region").eq(lit("asia")).or(untranslatable.clone())),
            None
        );
        // NOT over an inexact filter is not weaker than the original.
        assert_eq!(
            t(Expr::Not(Box::new(
                col("region").eq(lit("asia")).and(untranslatable)
            ))),
            None
        );
        let got = t(Expr::Not(Box::new(
            col("n")
                .is_null()
                .or(col("n").in_list(vec![lit(1i64), lit(2i32)], true)),
        )))
        .unwrap();
        assert!(got.exact);
        assert_eq!(
            display_predicate(&got.predicate),
            "NOT (n IS NULL OR n NOT IN (1, 2))"
        );
    }

    #[test]
    fn null_keeps_no_row_except_under_not() {
        let null = Expr::Literal(ScalarValue::Boolean(None), None);
        let got = t(col("n").gt(lit(1i64)).or(null.clone())).unwrap();
        assert!(got.exact);
        assert_eq!(display_predicate(&got.predicate), "n > 1 OR false");
        assert_eq!(t(Expr::Not(Box::new(null))), None);
    }

    #[test]
    fn date_functions_translate() {
        let trunc = Expr::ScalarFunction(ScalarFunction::new_udf(
            datafusion::functions::datetime::date_trunc(),
            vec![lit("month"), col("measured_at")],
        ));
        let got = t(trunc.eq(Expr::Literal(
            ScalarValue::TimestampMicrosecond(Some(0), Some("+00:00".into())),
            None,
        )))
        .unwrap();
        assert_eq!(
            display_predicate(&got.predicate),
            "date_trunc('month', measured_at) = TIMESTAMPTZ '1970-01-01 00:00:00+00'"
        );
        let part = |p: &str| {
            Expr::ScalarFunction(ScalarFunction::new_udf(
                datafusion::functions::datetime::date_part(),
                vec![lit(p), col("date")],
            ))
        };
        let got = t(part("dow").between(lit(1i32), lit(5i32))).unwrap();
        assert_eq!(
            display_predicate(&got.predicate),
            "extract(dow FROM date) BETWEEN 1 AND 5"
        );
        // DataFusion's second and epoch differ from PostgreSQL's numeric.
        assert_eq!(t(part("epoch").gt(lit(0.0))), None);
        assert_eq!(t(part("hour").gt(lit(0i32))), None);
    }
}
