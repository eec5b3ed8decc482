//! Row-level SQL: the expressions the index evaluates per row (columns,
//! `date_trunc`, `extract` / `date_part`) and WHERE clauses as
//! [`Predicate`]s with literals coerced to the column's type.
//!
//! Comparisons put the expression on the left (`5 < t` becomes `t > 5`).
//! A date compared with a timestamp is rewritten exactly on whole days
//! (`d < '2024-06-01 12:00'` is `d < '2024-06-02'`), so the index only ever
//! compares values of the column's own type.

use isotherm_indexer::query::request::NumOp;
use isotherm_indexer::{CmpOp, Expr, ExtractField, Predicate, TruncUnit, Value};
use sqlparser::ast::{
    BinaryOperator, CastKind, CeilFloorKind, DateTimeField, Expr as SqlExpr, Function, FunctionArg,
    FunctionArgExpr, FunctionArguments, UnaryOperator, Value as SqlValue,
};

use crate::error::{SqlError, SqlResult};
use crate::sql::Params;
use crate::sql::literal::{Lit, coerce, constant, data_type, numeric_scale};
use crate::sql::names::{TableScope, ident};
use crate::types::PgType;
use crate::types::datetime::MICROS_PER_DAY;

/// A row-level expression with its SQL type.
#[derive(Debug, Clone, PartialEq)]
pub struct RowExpr {
    pub expr: Expr,
    /// The type of the value the index returns for `expr`.
    pub ty: PgType,
    /// `date_part(...)`: PostgreSQL's type is double precision, the index's numeric.
    pub float_part: bool,
}

impl RowExpr {
    /// The type the client sees.
    pub fn sql_type(&self) -> PgType {
        if self.float_part {
            PgType::Float8
        } else {
            self.ty
        }
    }
}

pub const AGGREGATES: [&str; 5] = ["count", "sum", "avg", "min", "max"];

/// The function's unqualified name (`pg_catalog.version` is `version`).
pub fn function_name(f: &Function) -> String {
    let parts: Vec<String> = f
        .name
        .0
        .iter()
        .filter_map(|p| p.as_ident().map(ident))
        .collect();
    match parts.as_slice() {
        [.., last] => last.clone(),
        [] => String::new(),
    }
}

/// Plain positional arguments of a call; anything fancier is unsupported.
pub fn function_args(f: &Function) -> SqlResult<Vec<&SqlExpr>> {
    match &f.args {
        FunctionArguments::None => Ok(Vec::new()),
        FunctionArguments::Subquery(_) => Err(SqlError::unsupported("subqueries")),
        FunctionArguments::List(list) => list
            .args
            .iter()
            .map(|a| match a {
                FunctionArg::Unnamed(FunctionArgExpr::Expr(e)) => Ok(e),
                FunctionArg::Unnamed(FunctionArgExpr::Wildcard) => Err(SqlError::Syntax(format!(
                    "syntax error: * is only allowed in count(*), not in {}",
                    function_name(f)
                ))),
                _ => Err(SqlError::unsupported(
                    "named or wildcard function arguments",
                )),
            })
            .collect(),
    }
}

pub fn is_aggregate_call(e: &SqlExpr) -> bool {
    matches!(e, SqlExpr::Function(f) if AGGREGATES.contains(&function_name(f).as_str()))
}

/// True if an aggregate call occurs anywhere in `e`.
pub fn contains_aggregate(e: &SqlExpr) -> bool {
    let mut found = false;
    let _ = sqlparser::ast::visit_expressions(e, |x| {
        if is_aggregate_call(x) {
            found = true;
            return std::ops::ControlFlow::Break(());
        }
        std::ops::ControlFlow::Continue(())
    });
    found
}

pub fn trunc_unit(s: &str, arg: PgType) -> SqlResult<TruncUnit> {
    Ok(match s.to_lowercase().as_str() {
        "minute" | "minutes" => TruncUnit::Minute,
        "hour" | "hours" => TruncUnit::Hour,
        "day" | "days" => TruncUnit::Day,
        "week" | "weeks" => TruncUnit::Week,
        "month" | "months" => TruncUnit::Month,
        "quarter" => TruncUnit::Quarter,
        "year" | "years" => TruncUnit::Year,
        "microseconds" | "milliseconds" | "second" | "seconds" | "decade" | "century"
        | "millennium" => {
            return Err(SqlError::unsupported(format!("date_trunc unit \"{s}\"")));
        }
        _ => {
            return Err(SqlError::InvalidParameterValue(format!(
                "unit \"{s}\" not recognized for type {}",
                if arg == PgType::Timestamp {
                    "timestamp without time zone"
                } else {
                    "timestamp with time zone"
                }
            )));
        }
    })
}

pub fn extract_field_name(s: &str) -> SqlResult<ExtractField> {
    Ok(match s.to_lowercase().as_str() {
        "year" | "years" => ExtractField::Year,
        "quarter" => ExtractField::Quarter,
        "month" | "months" => ExtractField::Month,
        "week" | "weeks" => ExtractField::Week,
        "day" | "days" => ExtractField::Day,
        "dow" => ExtractField::Dow,
        "isodow" => ExtractField::IsoDow,
        "doy" => ExtractField::Doy,
        "hour" | "hours" => ExtractField::Hour,
        "minute" | "minutes" => ExtractField::Minute,
        "second" | "seconds" => ExtractField::Second,
        "epoch" => ExtractField::Epoch,
        "isoyear" | "decade" | "century" | "millennium" | "julian" | "microseconds"
        | "milliseconds" | "timezone" | "timezone_hour" | "timezone_minute" => {
            return Err(SqlError::unsupported(format!("extract field \"{s}\"")));
        }
        _ => {
            return Err(SqlError::InvalidParameterValue(format!(
                "unit \"{s}\" not recognized for type timestamp without time zone"
            )));
        }
    })
}

pub fn extract_field(f: &DateTimeField) -> SqlResult<ExtractField> {
    let name = match f {
        DateTimeField::Year | DateTimeField::Years => "year",
        DateTimeField::Quarter => "quarter",
        DateTimeField::Month | DateTimeField::Months => "month",
        DateTimeField::Week(_) | DateTimeField::Weeks => "week",
        DateTimeField::Day | DateTimeField::Days => "day",
        DateTimeField::Dow | DateTimeField::DayOfWeek => "dow",
        DateTimeField::Isodow => "isodow",
        DateTimeField::Doy | DateTimeField::DayOfYear => "doy",
        DateTimeField::Hour | DateTimeField::Hours => "hour",
        DateTimeField::Minute | DateTimeField::Minutes => "minute",
        DateTimeField::Second | DateTimeField::Seconds => "second",
        DateTimeField::Epoch => "epoch",
        DateTimeField::Custom(i) => return extract_field_name(&i.value),
        other => return extract_field_name(&other.to_string()),
    };
    extract_field_name(name)
}

/// `extract(hour FROM date)` is an error in PostgreSQL.
pub fn check_extract_on(field: ExtractField, arg: PgType, name: &str) -> SqlResult<()> {
    if arg == PgType::Date
        && matches!(
            field,
            ExtractField::Hour | ExtractField::Minute | ExtractField::Second
        )
    {
        return Err(SqlError::FeatureNotSupported(format!(
            "unit \"{name}\" not supported for type date"
        )));
    }
    Ok(())
}

/// A string constant argument (`date_trunc('day', ...)`).
pub fn string_arg(e: &SqlExpr, params: &mut Params) -> SqlResult<Option<String>> {
    Ok(match constant(e, params, Some(PgType::Text))? {
        Some(Lit::Unknown(Some(s))) | Some(Lit::Typed(Value::Text(s), _)) => Some(s),
        _ => None,
    })
}

pub fn undefined_function(name: &str, args: &[&str]) -> SqlError {
    SqlError::UndefinedFunction(format!(
        "function {name}({}) does not exist",
        args.join(", ")
    ))
}

/// Translates `e` if it is a row-level expression over the table; `Ok(None)`
/// if it is something else (a constant, an aggregate, arithmetic).
pub fn row_expr(
    e: &SqlExpr,
    scope: &TableScope,
    params: &mut Params,
) -> SqlResult<Option<RowExpr>> {
    match e {
        SqlExpr::Identifier(i) => {
            let c = scope.column(std::slice::from_ref(i))?;
            Ok(Some(column_expr(c)))
        }
        SqlExpr::CompoundIdentifier(parts) => {
            let c = scope.column(parts)?;
            Ok(Some(column_expr(c)))
        }
        SqlExpr::Nested(inner) => row_expr(inner, scope, params),
        SqlExpr::Extract { field, expr, .. } => {
            let Some(arg) = row_expr(expr, scope, params)? else {
                return Ok(None);
            };
            let f = extract_field(field)?;
            extract_expr(f, arg, &field.to_string().to_lowercase(), false).map(Some)
        }
        SqlExpr::Cast {
            kind: CastKind::Cast | CastKind::DoubleColon,
            expr,
            data_type: dt,
            ..
        } => {
            let Some(inner) = row_expr(expr, scope, params)? else {
                return Ok(None);
            };
            let to = data_type(dt)?;
            if to == inner.sql_type() && numeric_scale(dt).is_none() {
                Ok(Some(inner))
            } else if numeric_scale(dt).is_none() {
                Ok(index_cast(inner, to))
            } else {
                Ok(None)
            }
        }
        SqlExpr::BinaryOp { left, op, right } => arith_expr(left, op, right, scope, params),
        SqlExpr::Floor {
            expr,
            field: CeilFloorKind::DateTimeField(DateTimeField::NoDateTime),
        } => floor_expr(expr, scope, params),
        SqlExpr::Function(f)
            if f.over.is_none()
                && f.filter.is_none()
                && matches!(function_name(f).as_str(), "floor" | "coalesce") =>
        {
            let args = function_args(f)?;
            match (function_name(f).as_str(), args.as_slice()) {
                ("floor", [x]) => floor_expr(x, scope, params),
                ("coalesce", [x, fallback]) => coalesce_expr(x, fallback, scope, params),
                _ => Ok(None),
            }
        }
        SqlExpr::Function(f) if f.over.is_none() && f.filter.is_none() => {
            let name = function_name(f);
            if name != "date_trunc" && name != "date_part" {
                return Ok(None);
            }
            let args = function_args(f)?;
            let [unit, arg] = args.as_slice() else {
                return Ok(None);
            };
            let Some(arg) = row_expr(arg, scope, params)? else {
                return Ok(None);
            };
            let Some(unit) = string_arg(unit, params)? else {
                return Ok(None);
            };
            if !arg.sql_type().is_datetime() {
                return Err(undefined_function(
                    &name,
                    &["unknown", arg.sql_type().name()],
                ));
            }
            if name == "date_trunc" {
                let u = trunc_unit(&unit, arg.ty)?;
                let ty = if arg.ty == PgType::Timestamp {
                    PgType::Timestamp
                } else {
                    PgType::TimestampTz
                };
                Ok(Some(RowExpr {
                    expr: Expr::DateTrunc {
                        unit: u,
                        arg: Box::new(arg.expr),
                    },
                    ty,
                    float_part: false,
                }))
            } else {
                let f = extract_field_name(&unit)?;
                // date_part on a date reads it as a timestamp: every field is allowed.
                extract_expr(f, arg, &unit, true).map(Some)
            }
        }
        _ => Ok(None),
    }
}

fn column_expr(c: &isotherm_indexer::ColumnDef) -> RowExpr {
    RowExpr {
        expr: Expr::Column(c.name.clone()),
        ty: PgType::from_scalar(c.ty),
        float_part: false,
    }
}

fn extract_expr(f: ExtractField, arg: RowExpr, name: &str, float_part: bool) -> SqlResult<RowExpr> {
    if !arg.sql_type().is_datetime() {
        return Err(undefined_function(
            if float_part { "date_part" } else { "extract" },
            &["unknown", arg.sql_type().name()],
        ));
    }
    if !float_part {
        check_extract_on(f, arg.ty, name)?;
    }
    Ok(RowExpr {
        expr: Expr::Extract {
            field: f,
            arg: Box::new(arg.expr),
        },
        ty: PgType::Numeric,
        float_part,
    })
}

/// `CAST(inner AS to)` computed by the index, where it can be exactly.
fn index_cast(inner: RowExpr, to: PgType) -> Option<RowExpr> {
    if inner.float_part {
        return None;
    }
    let ok = match (inner.ty, to) {
        (a, b) if a.is_datetime() && b.is_datetime() => true,
        (PgType::Numeric, PgType::Float8 | PgType::Int8) => true,
        // Fields other than epoch always fit an integer.
        (PgType::Numeric, PgType::Int4) => matches!(
            &inner.expr,
            Expr::Extract { field, .. } if *field != ExtractField::Epoch
        ),
        _ => false,
    };
    ok.then(|| RowExpr {
        expr: Expr::Cast {
            to: to.scalar(),
            arg: Box::new(inner.expr),
        },
        ty: to,
        float_part: false,
    })
}

/// How many arithmetic steps an index expression may nest: with constants of
/// at most [`MAX_OPERAND`] its numeric values stay far inside 38 digits.
const MAX_ARITH_DEPTH: usize = 3;
const MAX_OPERAND: i128 = 1_000_000;

fn arith_depth(e: &Expr) -> usize {
    match e {
        Expr::Arith { left, right, .. } => 1 + arith_depth(left).max(arith_depth(right)),
        Expr::Floor(a) | Expr::Cast { arg: a, .. } | Expr::Coalesce { arg: a, .. } => {
            arith_depth(a)
        }
        Expr::DateTrunc { arg, .. } | Expr::Extract { arg, .. } => arith_depth(arg),
        Expr::Column(_) | Expr::Literal(_) => 0,
    }
}

/// A numeric constant operand for index arithmetic: small, of scale <= 6.
fn small_numeric(e: &SqlExpr, params: &mut Params) -> SqlResult<Option<isotherm_indexer::Numeric>> {
    if matches!(e, SqlExpr::Value(v) if matches!(v.value, SqlValue::Placeholder(_))) {
        return Ok(None);
    }
    let n = match constant(e, params, None)? {
        Some(Lit::Typed(Value::Int64(i), PgType::Int4 | PgType::Int8)) => {
            isotherm_indexer::Numeric::from_i64(i)
        }
        Some(Lit::Typed(Value::Numeric(n), PgType::Numeric)) => n,
        _ => return Ok(None),
    };
    let bound = 10i128.pow(u32::from(n.scale.min(6))) * MAX_OPERAND;
    Ok((n.scale <= 6 && n.unscaled.abs() <= bound).then_some(n))
}

/// `numeric_expr op constant` (or `constant + / * numeric_expr`), e.g.
/// Grafana's `extract(epoch from t) / 3600`.
fn arith_expr(
    left: &SqlExpr,
    op: &BinaryOperator,
    right: &SqlExpr,
    scope: &TableScope,
    params: &mut Params,
) -> SqlResult<Option<RowExpr>> {
    let nop = match op {
        BinaryOperator::Plus => NumOp::Add,
        BinaryOperator::Minus => NumOp::Sub,
        BinaryOperator::Multiply => NumOp::Mul,
        BinaryOperator::Divide => NumOp::Div,
        _ => return Ok(None),
    };
    let numeric = |r: Option<RowExpr>| {
        r.filter(|r| {
            r.ty == PgType::Numeric && !r.float_part && arith_depth(&r.expr) < MAX_ARITH_DEPTH
        })
    };
    let (expr, k, expr_left) = if let Some(l) = numeric(row_expr(left, scope, params)?) {
        let Some(k) = small_numeric(right, params)? else {
            return Ok(None);
        };
        (l, k, true)
    } else if matches!(nop, NumOp::Add | NumOp::Mul)
        && let Some(r) = numeric(row_expr(right, scope, params)?)
    {
        let Some(k) = small_numeric(left, params)? else {
            return Ok(None);
        };
        (r, k, false)
    } else {
        return Ok(None);
    };
    if nop == NumOp::Div && k.unscaled == 0 {
        // PostgreSQL raises division_by_zero on the first row: not ours to decide.
        return Ok(None);
    }
    let lit = Box::new(Expr::Literal(Value::Numeric(k)));
    let e = Box::new(expr.expr);
    let (left, right) = if expr_left { (e, lit) } else { (lit, e) };
    Ok(Some(RowExpr {
        expr: Expr::Arith {
            op: nop,
            left,
            right,
        },
        ty: PgType::Numeric,
        float_part: false,
    }))
}

fn floor_expr(x: &SqlExpr, scope: &TableScope, params: &mut Params) -> SqlResult<Option<RowExpr>> {
    Ok(row_expr(x, scope, params)?
        .filter(|r| !r.float_part && matches!(r.ty, PgType::Numeric | PgType::Float8))
        .map(|r| RowExpr {
            ty: r.ty,
            expr: Expr::Floor(Box::new(r.expr)),
            float_part: false,
        }))
}

/// `coalesce(x, constant)` where the constant is read as `x`'s type.
fn coalesce_expr(
    x: &SqlExpr,
    fallback: &SqlExpr,
    scope: &TableScope,
    params: &mut Params,
) -> SqlResult<Option<RowExpr>> {
    let Some(r) = row_expr(x, scope, params)? else {
        return Ok(None);
    };
    if r.float_part {
        return Ok(None);
    }
    let value = match constant(fallback, params, Some(r.ty))? {
        Some(Lit::Unknown(s)) => coerce(Lit::Unknown(s), r.ty, "=")?,
        Some(Lit::Typed(v, t)) if t == r.ty => v,
        Some(Lit::Typed(v, t)) if r.ty == PgType::Float8 && t.is_numeric() => {
            crate::types::cast_value(v, PgType::Float8)?
        }
        _ => return Ok(None),
    };
    Ok(Some(RowExpr {
        ty: r.ty,
        expr: Expr::Coalesce {
            arg: Box::new(r.expr),
            value,
        },
        float_part: false,
    }))
}

pub fn cmp_op(op: &BinaryOperator) -> Option<CmpOp> {
    Some(match op {
        BinaryOperator::Eq => CmpOp::Eq,
        BinaryOperator::NotEq => CmpOp::NotEq,
        BinaryOperator::Lt => CmpOp::Lt,
        BinaryOperator::LtEq => CmpOp::LtEq,
        BinaryOperator::Gt => CmpOp::Gt,
        BinaryOperator::GtEq => CmpOp::GtEq,
        _ => return None,
    })
}

pub fn op_symbol(op: CmpOp) -> &'static str {
    match op {
        CmpOp::Eq => "=",
        CmpOp::NotEq => "<>",
        CmpOp::Lt => "<",
        CmpOp::LtEq => "<=",
        CmpOp::Gt => ">",
        CmpOp::GtEq => ">=",
    }
}

pub fn flip(op: CmpOp) -> CmpOp {
    match op {
        CmpOp::Lt => CmpOp::Gt,
        CmpOp::LtEq => CmpOp::GtEq,
        CmpOp::Gt => CmpOp::Lt,
        CmpOp::GtEq => CmpOp::LtEq,
        other => other,
    }
}

/// A name for an unsupported construct in an error message.
pub fn construct_name(e: &SqlExpr) -> String {
    match e {
        SqlExpr::Subquery(_) | SqlExpr::Exists { .. } | SqlExpr::InSubquery { .. } => {
            "subqueries".into()
        }
        SqlExpr::Case { .. } => "CASE".into(),
        SqlExpr::Like { .. } => "LIKE".into(),
        SqlExpr::ILike { .. } => "ILIKE".into(),
        SqlExpr::SimilarTo { .. } => "SIMILAR TO".into(),
        SqlExpr::Interval(_) => "INTERVAL".into(),
        SqlExpr::Function(f) if f.over.is_some() => "window functions".into(),
        SqlExpr::Function(f) => format!("function {}() here", function_name(f)),
        SqlExpr::IsDistinctFrom(..) | SqlExpr::IsNotDistinctFrom(..) => "IS DISTINCT FROM".into(),
        SqlExpr::IsTrue(_)
        | SqlExpr::IsFalse(_)
        | SqlExpr::IsNotTrue(_)
        | SqlExpr::IsNotFalse(_) => "IS TRUE / IS FALSE".into(),
        SqlExpr::BinaryOp { op, .. } => format!("operator {op} here"),
        other => format!("expression \"{other}\" here"),
    }
}

/// WHERE clause translation.
pub struct WhereBuilder<'a> {
    pub scope: &'a TableScope,
    pub params: &'a mut Params,
}

impl WhereBuilder<'_> {
    pub fn predicate(&mut self, e: &SqlExpr) -> SqlResult<Predicate> {
        if contains_aggregate(e) {
            return Err(SqlError::Grouping(
                "aggregate functions are not allowed in WHERE".into(),
            ));
        }
        match e {
            SqlExpr::Nested(inner) => self.predicate(inner),
            SqlExpr::BinaryOp {
                left,
                op: BinaryOperator::And,
                right,
            } => {
                let mut parts = Vec::new();
                for side in [left, right] {
                    match self.predicate(side)? {
                        Predicate::And(ps) => parts.extend(ps),
                        p => parts.push(p),
                    }
                }
                Ok(Predicate::And(parts))
            }
            SqlExpr::BinaryOp {
                left,
                op: BinaryOperator::Or,
                right,
            } => {
                let mut parts = Vec::new();
                for side in [left, right] {
                    match self.predicate(side)? {
                        Predicate::Or(ps) => parts.extend(ps),
                        p => parts.push(p),
                    }
                }
                Ok(Predicate::Or(parts))
            }
            SqlExpr::UnaryOp {
                op: UnaryOperator::Not,
                expr,
            } => Ok(Predicate::Not(Box::new(self.predicate(expr)?))),
            SqlExpr::BinaryOp { left, op, right } => match cmp_op(op) {
                Some(op) => self.compare(left, op, right),
                None => Err(SqlError::unsupported(construct_name(e))),
            },
            SqlExpr::IsNull(inner) | SqlExpr::IsNotNull(inner) => {
                let negated = matches!(e, SqlExpr::IsNotNull(_));
                match row_expr(inner, self.scope, self.params)? {
                    Some(r) => Ok(Predicate::IsNull {
                        expr: r.expr,
                        negated,
                    }),
                    None => match constant(inner, self.params, Some(PgType::Text))? {
                        Some(l) => Ok(Predicate::Const(l.into_typed().0.is_null() != negated)),
                        None => Err(SqlError::unsupported(construct_name(inner))),
                    },
                }
            }
            SqlExpr::InList {
                expr,
                list,
                negated,
            } => {
                let r = self.left_expr(expr)?;
                let mut values = Vec::with_capacity(list.len());
                let mut rewritten = Vec::new();
                for item in list {
                    let lit = self.right_lit(item, &r)?;
                    let v = coerce(lit, r.ty, "=")?;
                    match self.cross_type(&r, CmpOp::Eq, v)? {
                        Predicate::Compare { value, .. } => values.push(value),
                        p => rewritten.push(p),
                    }
                }
                let p = if rewritten.is_empty() {
                    Predicate::InList {
                        expr: r.expr,
                        values,
                        negated: *negated,
                    }
                } else {
                    let mut any = rewritten;
                    if !values.is_empty() {
                        any.push(Predicate::InList {
                            expr: r.expr,
                            values,
                            negated: false,
                        });
                    }
                    let or = Predicate::Or(any);
                    if *negated {
                        Predicate::Not(Box::new(or))
                    } else {
                        or
                    }
                };
                Ok(p)
            }
            SqlExpr::Between {
                expr,
                negated,
                low,
                high,
            } => {
                let r = self.left_expr(expr)?;
                let lo_lit = self.right_lit(low, &r)?;
                let hi_lit = self.right_lit(high, &r)?;
                let lo = coerce(lo_lit, r.ty, ">=")?;
                let hi = coerce(hi_lit, r.ty, "<=")?;
                let lo_p = self.cross_type(&r, CmpOp::GtEq, lo)?;
                let hi_p = self.cross_type(&r, CmpOp::LtEq, hi)?;
                match (lo_p, hi_p) {
                    (
                        Predicate::Compare { value: low, .. },
                        Predicate::Compare { value: high, .. },
                    ) => Ok(Predicate::Between {
                        expr: r.expr,
                        low,
                        high,
                        negated: *negated,
                    }),
                    (a, b) => {
                        let both = Predicate::And(vec![a, b]);
                        Ok(if *negated {
                            Predicate::Not(Box::new(both))
                        } else {
                            both
                        })
                    }
                }
            }
            SqlExpr::Value(v) => match &v.value {
                SqlValue::Boolean(b) => Ok(Predicate::Const(*b)),
                SqlValue::Null => Ok(Predicate::Const(false)),
                _ => Err(SqlError::DatatypeMismatch(format!(
                    "argument of WHERE must be type boolean, not type {}",
                    constant(e, self.params, None)?.map_or("unknown", |l| l.into_typed().1.name())
                ))),
            },
            SqlExpr::Identifier(_) | SqlExpr::CompoundIdentifier(_) => {
                let r = self.left_expr(e)?;
                if r.ty != PgType::Bool {
                    return Err(SqlError::DatatypeMismatch(format!(
                        "argument of WHERE must be type boolean, not type {}",
                        r.ty.name()
                    )));
                }
                Ok(Predicate::Compare {
                    expr: r.expr,
                    op: CmpOp::Eq,
                    value: Value::Bool(true),
                })
            }
            other => Err(SqlError::unsupported(construct_name(other))),
        }
    }

    fn left_expr(&mut self, e: &SqlExpr) -> SqlResult<RowExpr> {
        row_expr(e, self.scope, self.params)?.ok_or_else(|| {
            SqlError::unsupported(format!(
                "{} in WHERE (only columns, date_trunc and extract are)",
                construct_name(e)
            ))
        })
    }

    fn right_lit(&mut self, e: &SqlExpr, left: &RowExpr) -> SqlResult<Lit> {
        match constant(e, self.params, Some(left.sql_type()))? {
            Some(l) => Ok(l),
            None => {
                if row_expr(e, self.scope, self.params)?.is_some() {
                    Err(SqlError::unsupported("comparing two columns"))
                } else {
                    Err(SqlError::unsupported(construct_name(e)))
                }
            }
        }
    }

    fn compare(&mut self, left: &SqlExpr, op: CmpOp, right: &SqlExpr) -> SqlResult<Predicate> {
        let l = row_expr(left, self.scope, self.params)?;
        let (r_expr, op, other) = match l {
            Some(l) => (l, op, right),
            None => match row_expr(right, self.scope, self.params)? {
                Some(r) => (r, flip(op), left),
                None => return self.constant_compare(left, op, right),
            },
        };
        let lit = self.right_lit(other, &r_expr)?;
        let value = coerce(lit, r_expr.ty, op_symbol(op))?;
        self.cross_type(&r_expr, op, value)
    }

    /// Both sides constant (`WHERE 1 = 1`).
    fn constant_compare(
        &mut self,
        left: &SqlExpr,
        op: CmpOp,
        right: &SqlExpr,
    ) -> SqlResult<Predicate> {
        let l = constant(left, self.params, None)?;
        let r = constant(right, self.params, None)?;
        let (Some(l), Some(r)) = (l, r) else {
            return Err(SqlError::unsupported(format!(
                "{} in WHERE (only columns, date_trunc and extract are)",
                construct_name(left)
            )));
        };
        let (lv, rv) = constant_pair(l, r, op)?;
        Ok(Predicate::Const(
            crate::eval::compare(&lv, op, &rv).unwrap_or(false),
        ))
    }

    /// Rewrites a comparison whose value has another date/time type than the
    /// expression, so the index compares like with like.
    fn cross_type(&self, r: &RowExpr, op: CmpOp, value: Value) -> SqlResult<Predicate> {
        let expr = r.expr.clone();
        let cmp = |op, value| Predicate::Compare {
            expr: expr.clone(),
            op,
            value,
        };
        let value = match (r.ty, value) {
            (PgType::Date, Value::Timestamp(t) | Value::TimestampTz(t)) => {
                let floor = t.div_euclid(MICROS_PER_DAY);
                let exact = t.rem_euclid(MICROS_PER_DAY) == 0;
                let ceil = if exact { floor } else { floor + 1 };
                let d = |x: i64| -> SqlResult<Value> {
                    i32::try_from(x)
                        .map(Value::Date)
                        .map_err(|_| SqlError::DatetimeFieldOverflow(x.to_string()))
                };
                return Ok(match op {
                    CmpOp::Eq if !exact => cmp(CmpOp::Lt, Value::Date(i32::MIN)),
                    CmpOp::NotEq if !exact => Predicate::IsNull {
                        expr: expr.clone(),
                        negated: true,
                    },
                    CmpOp::Eq | CmpOp::NotEq => cmp(op, d(floor)?),
                    CmpOp::Lt | CmpOp::GtEq => cmp(op, d(ceil)?),
                    CmpOp::LtEq | CmpOp::Gt => cmp(op, d(floor)?),
                });
            }
            (PgType::Timestamp, Value::Date(d)) => Value::Timestamp(i64::from(d) * MICROS_PER_DAY),
            (PgType::TimestampTz, Value::Date(d)) => {
                Value::TimestampTz(i64::from(d) * MICROS_PER_DAY)
            }
            (PgType::Timestamp, Value::TimestampTz(t)) => Value::Timestamp(t),
            (PgType::TimestampTz, Value::Timestamp(t)) => Value::TimestampTz(t),
            (PgType::Numeric, Value::Float64(f)) if f.is_finite() => {
                crate::types::cast_value(Value::Float64(f), PgType::Numeric)?
            }
            (_, v) => v,
        };
        Ok(cmp(op, value))
    }
}

/// Two constants made comparable: an unknown side takes the other's type.
pub fn constant_pair(l: Lit, r: Lit, op: CmpOp) -> SqlResult<(Value, Value)> {
    Ok(match (l, r) {
        (Lit::Typed(lv, lt), r) => (lv, coerce(r, lt, op_symbol(op))?),
        (l, Lit::Typed(rv, rt)) => (coerce(l, rt, op_symbol(op))?, rv),
        (l, r) => (l.into_typed().0, r.into_typed().0),
    })
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;
    use crate::sql::select::tests::{scope, where_of};

    fn pred(sql: &str) -> SqlResult<Predicate> {
        let e = where_of(sql);
        WhereBuilder {
            scope: &scope(),
            params: &mut Params::default(),
        }
        .predicate(&e)
    }

    fn col(c: &str) -> Expr {
        Expr::Column(c.into())
    }

    #[test]
    fn comparisons_coerce_and_flip() {
        assert_eq!(
            pred("temperature > 20").unwrap(),
            Predicate::Compare {
                expr: col("temperature"),
                op: CmpOp::Gt,
                value: Value::Float64(20.0)
            }
        );
        assert_eq!(
            pred("5 < temperature").unwrap(),
            Predicate::Compare {
                expr: col("temperature"),
                op: CmpOp::Gt,
                value: Value::Float64(5.0)
            }
        );
        assert_eq!(
            pred("date >= '2024-06-01'").unwrap(),
            Predicate::Compare {
                expr: col("date"),
                op: CmpOp::GtEq,
                value: Value::Date(19_875)
            }
        );
        assert_eq!(
            pred("date < TIMESTAMP '2024-06-01 12:00'").unwrap(),
            Predicate::Compare {
                expr: col("date"),
                op: CmpOp::Lt,
                value: Value::Date(19_876)
            }
        );
        assert_eq!(
            pred("region IN ('eu', 'us')").unwrap(),
            Predicate::InList {
                expr: col("region"),
                values: vec![Value::Text("eu".into()), Value::Text("us".into())],
                negated: false
            }
        );
        assert!(matches!(
            pred("date NOT BETWEEN '2024-06-01' AND '2024-06-30'").unwrap(),
            Predicate::Between { negated: true, .. }
        ));
        assert!(matches!(
            pred("(region = 'eu' OR region = 'us') AND NOT temperature IS NULL").unwrap(),
            Predicate::And(v) if v.len() == 2
        ));
        assert!(matches!(
            pred("extract(year from date) = 2024").unwrap(),
            Predicate::Compare {
                expr: Expr::Extract {
                    field: ExtractField::Year,
                    ..
                },
                ..
            }
        ));
    }

    #[test]
    fn bad_where_clauses() {
        assert_eq!(
            pred("region = 5").unwrap_err().message(),
            "operator does not exist: text = integer"
        );
        assert_eq!(pred("date = '2024-13-45'").unwrap_err().sqlstate(), "22008");
        assert_eq!(pred("date = 'soon'").unwrap_err().sqlstate(), "22007");
        assert_eq!(pred("temperature = 'hot'").unwrap_err().sqlstate(), "22P02");
        assert_eq!(pred("nope = 1").unwrap_err().sqlstate(), "42703");
        assert_eq!(pred("region LIKE 'e%'").unwrap_err().sqlstate(), "0A000");
        assert_eq!(pred("count(*) > 1").unwrap_err().sqlstate(), "42803");
        assert_eq!(
            pred("temperature = humidity").unwrap_err().sqlstate(),
            "0A000"
        );
    }
}
