//! SQL expressions over result rows to [`Out`]s: the select list, HAVING
//! and ORDER BY of a query, in the mode its FROM and GROUP BY give it.
//!
//! - aggregate mode: an expression equal to a GROUP BY expression is that
//!   group column; aggregates become request aggregates (deduplicated);
//!   any other column is 42803;
//! - scan mode: columns and row-level functions become scan columns;
//! - constant mode (no FROM): literals and session functions only.
//!
//! Untyped operands (`'...'`, NULL, `$n`) take the type of the other side,
//! as PostgreSQL resolves `unknown`.

use isotherm_indexer::{AggFunc, Aggregate, Expr, Value};
use sqlparser::ast::{
    BinaryOperator, CastKind, DuplicateTreatment, Expr as SqlExpr, FunctionArg, FunctionArgExpr,
    FunctionArguments, UnaryOperator, Value as SqlValue,
};

use crate::error::{SqlError, SqlResult};
use crate::session::Session;
use crate::sql::Params;
use crate::sql::literal::{Lit, coerce, constant, data_type, numeric_scale};
use crate::sql::names::{TableScope, ident};
use crate::sql::out::{ArithOp, Out, OutExpr, OutPred, arith_type};
use crate::sql::row::WhereBuilder;
use crate::sql::row::{
    RowExpr, check_extract_on, cmp_op, construct_name, contains_aggregate, extract_field,
    extract_field_name, function_args, function_name, is_aggregate_call, op_symbol, row_expr,
    string_arg, trunc_unit, undefined_function,
};
use crate::sql::select::Planner;
use crate::types::PgType;

pub(crate) enum Mode {
    Const,
    Scan {
        cols: Vec<Expr>,
        types: Vec<PgType>,
    },
    Agg {
        groups: Vec<RowExpr>,
        aggs: Vec<Aggregate>,
        agg_types: Vec<PgType>,
    },
}

/// Translates SQL expressions over result rows into [`Out`]s.
pub(crate) struct OutBuilder<'p, 'a> {
    pub(crate) planner: &'p mut Planner<'a>,
    pub(crate) scope: Option<&'p TableScope>,
    pub(crate) mode: Mode,
}

/// A string literal, NULL or parameter: its type comes from the other operand.
fn is_untyped(e: &SqlExpr) -> bool {
    match e {
        SqlExpr::Value(v) => !matches!(v.value, SqlValue::Number(..) | SqlValue::Boolean(_)),
        SqlExpr::Nested(inner) => is_untyped(inner),
        _ => false,
    }
}

fn comparable(a: PgType, b: PgType) -> bool {
    a == b || (a.is_numeric() && b.is_numeric()) || (a.is_datetime() && b.is_datetime())
}

impl OutBuilder<'_, '_> {
    pub(crate) fn params(&mut self) -> &mut Params {
        &mut self.planner.params
    }

    pub(crate) fn out(&mut self, e: &SqlExpr, expected: Option<PgType>) -> SqlResult<Out> {
        if let Some(lit) = constant(e, self.params(), expected)? {
            return Ok(match (lit, expected) {
                (Lit::Unknown(s), Some(t)) => Out::constant(coerce(Lit::Unknown(s), t, "=")?, t),
                (l, _) => {
                    let (v, t) = l.into_typed();
                    Out::constant(v, t)
                }
            });
        }
        if is_aggregate_call(e) {
            return self.aggregate(e);
        }
        if let Some(scope) = self.scope
            && !is_special_identifier(e, scope)
            && let Some(r) = row_expr(e, scope, &mut self.planner.params)?
        {
            match &mut self.mode {
                Mode::Agg { groups, .. } => {
                    if let Some(i) = groups.iter().position(|g| g.expr == r.expr) {
                        return Ok(Out::new(OutExpr::Input(i), r.ty).cast(r.sql_type()));
                    }
                    if let Expr::Column(c) = &r.expr {
                        return Err(SqlError::Grouping(format!(
                            "column \"{}.{c}\" must appear in the GROUP BY clause or be used in an aggregate function",
                            scope.visible_name()
                        )));
                    }
                }
                Mode::Scan { cols, types } => {
                    let i = match cols.iter().position(|c| *c == r.expr) {
                        Some(i) => i,
                        None => {
                            cols.push(r.expr.clone());
                            types.push(r.ty);
                            cols.len() - 1
                        }
                    };
                    return Ok(Out::new(OutExpr::Input(i), r.ty).cast(r.sql_type()));
                }
                Mode::Const => {}
            }
        }
        self.structural(e, expected)
    }

    /// Two operands where an untyped one takes the other's type.
    fn operands(&mut self, l: &SqlExpr, r: &SqlExpr) -> SqlResult<(Out, Out)> {
        if is_untyped(l) && !is_untyped(r) {
            let ro = self.out(r, None)?;
            let lo = self.out(l, Some(ro.ty))?;
            Ok((lo, ro))
        } else {
            let lo = self.out(l, None)?;
            let ro = self.out(r, Some(lo.ty).filter(|_| is_untyped(r)))?;
            Ok((lo, ro))
        }
    }

    fn structural(&mut self, e: &SqlExpr, expected: Option<PgType>) -> SqlResult<Out> {
        match e {
            SqlExpr::Nested(inner) => self.out(inner, expected),
            SqlExpr::BinaryOp { left, op, right } => {
                let aop = match op {
                    BinaryOperator::Plus => ArithOp::Add,
                    BinaryOperator::Minus => ArithOp::Sub,
                    BinaryOperator::Multiply => ArithOp::Mul,
                    BinaryOperator::Divide => ArithOp::Div,
                    BinaryOperator::Modulo => ArithOp::Mod,
                    _ if cmp_op(op).is_some()
                        || matches!(op, BinaryOperator::And | BinaryOperator::Or) =>
                    {
                        let p = self.pred(e, "the select list")?;
                        return Ok(Out::new(OutExpr::Pred(Box::new(p)), PgType::Bool));
                    }
                    other => return Err(SqlError::unsupported(format!("operator {other}"))),
                };
                let (l, r) = self.operands(left, right)?;
                let ty = arith_type(aop, l.ty, r.ty)?;
                Ok(Out::new(OutExpr::Arith(aop, Box::new(l), Box::new(r)), ty))
            }
            SqlExpr::UnaryOp { op, expr } => match op {
                UnaryOperator::Minus => {
                    let inner = self.out(expr, expected)?;
                    if !inner.ty.is_numeric() {
                        return Err(SqlError::UndefinedFunction(format!(
                            "operator does not exist: - {}",
                            inner.ty.name()
                        )));
                    }
                    let ty = inner.ty;
                    Ok(Out::new(OutExpr::Neg(Box::new(inner)), ty))
                }
                UnaryOperator::Plus => self.out(expr, expected),
                UnaryOperator::Not => {
                    let p = self.pred(e, "the select list")?;
                    Ok(Out::new(OutExpr::Pred(Box::new(p)), PgType::Bool))
                }
                other => Err(SqlError::unsupported(format!("operator {other}"))),
            },
            SqlExpr::IsNull(_)
            | SqlExpr::IsNotNull(_)
            | SqlExpr::InList { .. }
            | SqlExpr::Between { .. } => {
                let p = self.pred(e, "the select list")?;
                Ok(Out::new(OutExpr::Pred(Box::new(p)), PgType::Bool))
            }
            SqlExpr::Cast {
                kind: CastKind::Cast | CastKind::DoubleColon,
                expr,
                data_type: dt,
                format: None,
                ..
            } => {
                let ty = data_type(dt)?;
                let inner = self.out(expr, Some(ty))?;
                let scale = numeric_scale(dt);
                if inner.ty == ty && scale.is_none() {
                    return Ok(inner);
                }
                Ok(Out::new(OutExpr::Cast(Box::new(inner), scale), ty))
            }
            SqlExpr::Extract { field, expr, .. } => {
                let f = extract_field(field)?;
                let arg = self.out(expr, None)?;
                if !arg.ty.is_datetime() {
                    return Err(undefined_function("extract", &["unknown", arg.ty.name()]));
                }
                check_extract_on(f, arg.ty, &field.to_string().to_lowercase())?;
                Ok(Out::new(
                    OutExpr::Extract(f, Box::new(arg)),
                    PgType::Numeric,
                ))
            }
            SqlExpr::Function(f) => self.function(e, f),
            SqlExpr::Case {
                operand,
                conditions,
                else_result,
                ..
            } => {
                let arms: Vec<(SqlExpr, SqlExpr)> = conditions
                    .iter()
                    .map(|w| (w.condition.clone(), w.result.clone()))
                    .collect();
                self.case_out(operand.as_deref(), &arms, else_result.as_deref())
            }
            SqlExpr::Identifier(_) | SqlExpr::CompoundIdentifier(_) => {
                // Reached only for special names (current_user) or without FROM.
                if let Some(v) = special_value(e, self.planner.session) {
                    return Ok(v);
                }
                match (self.scope, e) {
                    (None, SqlExpr::Identifier(i)) => {
                        Err(SqlError::UndefinedColumn(format!("\"{}\"", ident(i))))
                    }
                    (None, SqlExpr::CompoundIdentifier(p)) => Err(SqlError::MissingFromEntry(
                        p.first().map(ident).unwrap_or_default(),
                    )),
                    _ => Err(SqlError::Internal("column reference not resolved".into())),
                }
            }
            other => Err(SqlError::unsupported(construct_name(other))),
        }
    }

    fn function(&mut self, e: &SqlExpr, f: &sqlparser::ast::Function) -> SqlResult<Out> {
        if f.over.is_some() {
            return Err(SqlError::unsupported("window functions"));
        }
        if f.filter.is_some() || !f.within_group.is_empty() {
            return Err(SqlError::unsupported("FILTER / WITHIN GROUP"));
        }
        let name = function_name(f);
        if let Some(v) = special_value(e, self.planner.session) {
            return Ok(v);
        }
        let args = function_args(f)?;
        match (name.as_str(), args.as_slice()) {
            ("date_trunc", [unit, arg]) => {
                let arg = self.out(arg, None)?;
                let Some(unit) = string_arg(unit, self.params())? else {
                    return Err(SqlError::unsupported("date_trunc with a non-constant unit"));
                };
                if !arg.ty.is_datetime() {
                    return Err(undefined_function(
                        "date_trunc",
                        &["unknown", arg.ty.name()],
                    ));
                }
                let u = trunc_unit(&unit, arg.ty)?;
                let ty = if arg.ty == PgType::Timestamp {
                    PgType::Timestamp
                } else {
                    PgType::TimestampTz
                };
                Ok(Out::new(OutExpr::Trunc(u, Box::new(arg)), ty))
            }
            ("date_part", [field, arg]) => {
                let arg = self.out(arg, None)?;
                let Some(field) = string_arg(field, self.params())? else {
                    return Err(SqlError::unsupported("date_part with a non-constant field"));
                };
                if !arg.ty.is_datetime() {
                    return Err(undefined_function("date_part", &["unknown", arg.ty.name()]));
                }
                let f = extract_field_name(&field)?;
                Ok(Out::new(OutExpr::Extract(f, Box::new(arg)), PgType::Float8))
            }
            ("round", [x]) | ("round", [x, _]) => {
                let x = self.out(x, None)?;
                let places = match args.get(1) {
                    Some(p) => Some(self.out(p, Some(PgType::Int4))?),
                    None => None,
                };
                let bad = |x: &Out, p: &Option<Out>| {
                    let mut names = vec![x.ty.name()];
                    if let Some(p) = p {
                        names.push(p.ty.name());
                    }
                    undefined_function("round", &names)
                };
                if places
                    .as_ref()
                    .is_some_and(|p| !matches!(p.ty, PgType::Int4 | PgType::Int8))
                {
                    return Err(bad(&x, &places));
                }
                let x = match (x.ty, &places) {
                    (PgType::Numeric, _) | (PgType::Float8, None) => x,
                    (PgType::Int4 | PgType::Int8, None) => x.cast(PgType::Float8),
                    (PgType::Int4 | PgType::Int8, Some(_)) => x.cast(PgType::Numeric),
                    _ => return Err(bad(&x, &places)),
                };
                let ty = x.ty;
                Ok(Out::new(
                    OutExpr::Round(Box::new(x), places.map(Box::new)),
                    ty,
                ))
            }
            ("abs", [x]) => {
                let x = self.out(x, None)?;
                if !x.ty.is_numeric() {
                    return Err(undefined_function("abs", &[x.ty.name()]));
                }
                let ty = x.ty;
                Ok(Out::new(OutExpr::Abs(Box::new(x)), ty))
            }
            ("current_setting", [arg]) => {
                let Some(setting) = string_arg(arg, self.params())? else {
                    return Err(SqlError::unsupported("current_setting of a non-constant"));
                };
                let v = self
                    .planner
                    .session
                    .get(&setting)
                    .ok_or(SqlError::UnknownSetting(setting))?;
                Ok(Out::constant(Value::Text(v), PgType::Text))
            }
            ("coalesce" | "greatest" | "least", _) => self
                .variadic_out(&name, &args)?
                .ok_or_else(|| SqlError::unsupported(format!("function {name}()"))),
            _ if POSTGRES_FUNCTIONS.contains(&name.as_str()) => {
                Err(SqlError::unsupported(format!("function {name}()")))
            }
            _ => {
                let mut types = Vec::new();
                for a in &args {
                    types.push(self.out(a, None).map_or("unknown", |o| o.ty.name()));
                }
                Err(undefined_function(&name, &types))
            }
        }
    }

    fn aggregate(&mut self, e: &SqlExpr) -> SqlResult<Out> {
        let SqlExpr::Function(f) = e else {
            return Err(SqlError::Internal("aggregate expected".into()));
        };
        let name = function_name(f);
        if !matches!(self.mode, Mode::Agg { .. }) {
            return Err(SqlError::unsupported("aggregate functions without FROM"));
        }
        let scope = self
            .scope
            .ok_or_else(|| SqlError::unsupported("aggregate functions without FROM"))?;
        if f.over.is_some() {
            return Err(SqlError::unsupported("window functions"));
        }
        if !f.within_group.is_empty() {
            return Err(SqlError::unsupported("WITHIN GROUP"));
        }
        let (list_args, distinct) = match &f.args {
            FunctionArguments::List(l) => {
                if !l.clauses.is_empty() {
                    return Err(SqlError::unsupported("ORDER BY inside an aggregate"));
                }
                (
                    &l.args[..],
                    matches!(l.duplicate_treatment, Some(DuplicateTreatment::Distinct)),
                )
            }
            _ => return Err(undefined_function(&name, &[])),
        };
        let arg_expr = match list_args {
            [FunctionArg::Unnamed(FunctionArgExpr::Wildcard)] if name == "count" => None,
            [FunctionArg::Unnamed(FunctionArgExpr::Expr(a))] => Some(a),
            [] => return Err(undefined_function(&name, &[])),
            _ => {
                return Err(SqlError::unsupported(format!(
                    "{name} with these arguments"
                )));
            }
        };
        if let Some(a) = arg_expr
            && contains_aggregate(a)
        {
            return Err(SqlError::Grouping(
                "aggregate function calls cannot be nested".into(),
            ));
        }
        // FILTER (WHERE ...): only rows where it is true are aggregated.
        let filter = match &f.filter {
            Some(w) => {
                if contains_aggregate(w) {
                    return Err(SqlError::Grouping(
                        "aggregate functions are not allowed in FILTER".into(),
                    ));
                }
                Some(
                    WhereBuilder {
                        scope,
                        params: &mut self.planner.params,
                    }
                    .predicate(w)?,
                )
            }
            None => None,
        };
        let Some(a) = arg_expr else {
            if distinct {
                return Err(SqlError::Syntax("syntax error at or near \"*\"".into()));
            }
            return self.push_aggregate(
                Aggregate::filtered(AggFunc::CountStar, None, filter),
                PgType::Int8,
            );
        };
        let Some(r) = row_expr(a, scope, &mut self.planner.params)? else {
            // CASE, coalesce or a constant: branches of plain aggregates.
            return self.branch_aggregate(&name, distinct, a, filter);
        };
        let func = match (name.as_str(), distinct) {
            ("count", false) => AggFunc::Count,
            ("count", true) => AggFunc::CountDistinct,
            ("sum", false) => AggFunc::Sum,
            ("avg", false) => AggFunc::Avg,
            ("min", _) => AggFunc::Min,
            ("max", _) => AggFunc::Max,
            _ => {
                return Err(SqlError::unsupported(format!("{name}(DISTINCT ...)")));
            }
        };
        let (input_ty, out_ty) = (
            agg_result_type(func, &name, r.ty)?,
            agg_result_type(func, &name, r.sql_type())?,
        );
        if matches!(func, AggFunc::Sum | AggFunc::Avg) && r.ty != PgType::Float8 {
            // The index sums floats only.
            return Err(SqlError::unsupported(format!(
                "{name}({}) from the index",
                r.sql_type().name()
            )));
        }
        let out = self.push_aggregate(Aggregate::filtered(func, Some(r.expr), filter), input_ty)?;
        Ok(out.cast(out_ty))
    }

    /// Adds `agg` to the request (once) and returns the column reading it.
    pub(crate) fn push_aggregate(&mut self, agg: Aggregate, ty: PgType) -> SqlResult<Out> {
        let Mode::Agg {
            groups,
            aggs,
            agg_types,
        } = &mut self.mode
        else {
            return Err(SqlError::unsupported("aggregate functions without FROM"));
        };
        let j = match aggs.iter().position(|a| *a == agg) {
            Some(j) => j,
            None => {
                aggs.push(agg);
                agg_types.push(ty);
                aggs.len() - 1
            }
        };
        Ok(Out::new(OutExpr::Input(groups.len() + j), ty))
    }

    /// A boolean condition over result rows (HAVING, or a select-list predicate).
    pub(crate) fn pred(&mut self, e: &SqlExpr, clause: &str) -> SqlResult<OutPred> {
        match e {
            SqlExpr::Nested(inner) => self.pred(inner, clause),
            SqlExpr::BinaryOp {
                left,
                op: op @ (BinaryOperator::And | BinaryOperator::Or),
                right,
            } => {
                let l = self.pred(left, clause)?;
                let r = self.pred(right, clause)?;
                Ok(if *op == BinaryOperator::And {
                    OutPred::And(vec![l, r])
                } else {
                    OutPred::Or(vec![l, r])
                })
            }
            SqlExpr::UnaryOp {
                op: UnaryOperator::Not,
                expr,
            } => Ok(OutPred::Not(Box::new(self.pred(expr, clause)?))),
            SqlExpr::BinaryOp { left, op, right } if cmp_op(op).is_some() => {
                let op = cmp_op(op).ok_or_else(|| SqlError::Internal("cmp".into()))?;
                let (l, r) = self.operands(left, right)?;
                if !comparable(l.ty, r.ty) {
                    return Err(SqlError::UndefinedFunction(format!(
                        "operator does not exist: {} {} {}",
                        l.ty.name(),
                        op_symbol(op),
                        r.ty.name()
                    )));
                }
                Ok(OutPred::Cmp(l, op, r))
            }
            SqlExpr::IsNull(x) | SqlExpr::IsNotNull(x) => Ok(OutPred::IsNull(
                self.out(x, Some(PgType::Text))?,
                matches!(e, SqlExpr::IsNotNull(_)),
            )),
            SqlExpr::InList {
                expr,
                list,
                negated,
            } => {
                let x = self.out(expr, None)?;
                let mut items = Vec::with_capacity(list.len());
                for it in list {
                    let o = self.out(it, Some(x.ty))?;
                    if !comparable(x.ty, o.ty) {
                        return Err(SqlError::UndefinedFunction(format!(
                            "operator does not exist: {} = {}",
                            x.ty.name(),
                            o.ty.name()
                        )));
                    }
                    items.push(o);
                }
                Ok(OutPred::InList(x, items, *negated))
            }
            SqlExpr::Between {
                expr,
                negated,
                low,
                high,
            } => {
                let x = self.out(expr, None)?;
                let lo = self.out(low, Some(x.ty))?;
                let hi = self.out(high, Some(x.ty))?;
                for o in [&lo, &hi] {
                    if !comparable(x.ty, o.ty) {
                        return Err(SqlError::UndefinedFunction(format!(
                            "operator does not exist: {} >= {}",
                            x.ty.name(),
                            o.ty.name()
                        )));
                    }
                }
                Ok(OutPred::Between(x, lo, hi, *negated))
            }
            SqlExpr::Value(v) if matches!(v.value, SqlValue::Null) => Ok(OutPred::Const(None)),
            other => {
                let o = self.out(other, Some(PgType::Bool))?;
                if o.ty != PgType::Bool {
                    return Err(SqlError::DatatypeMismatch(format!(
                        "argument of {clause} must be type boolean, not type {}",
                        o.ty.name()
                    )));
                }
                Ok(OutPred::Bool(o))
            }
        }
    }
}

/// PostgreSQL's result type of `func` over an argument of type `t`.
pub(crate) fn agg_result_type(func: AggFunc, name: &str, t: PgType) -> SqlResult<PgType> {
    Ok(match func {
        AggFunc::CountStar | AggFunc::Count | AggFunc::CountDistinct => PgType::Int8,
        AggFunc::Sum => match t {
            PgType::Float8 => PgType::Float8,
            PgType::Int4 => PgType::Int8,
            PgType::Int8 | PgType::Numeric => PgType::Numeric,
            _ => return Err(undefined_function(name, &[t.name()])),
        },
        AggFunc::Avg => match t {
            PgType::Float8 => PgType::Float8,
            PgType::Int4 | PgType::Int8 | PgType::Numeric => PgType::Numeric,
            _ => return Err(undefined_function(name, &[t.name()])),
        },
        AggFunc::Min | AggFunc::Max => {
            if t == PgType::Bool {
                return Err(undefined_function(name, &[t.name()]));
            }
            t
        }
    })
}

/// Functions PostgreSQL has and Isotherm does not (yet): 0A000, not 42883.
const POSTGRES_FUNCTIONS: &[&str] = &[
    "coalesce",
    "nullif",
    "greatest",
    "least",
    "upper",
    "lower",
    "length",
    "concat",
    "substr",
    "substring",
    "replace",
    "trim",
    "btrim",
    "ltrim",
    "rtrim",
    "left",
    "right",
    "trunc",
    "floor",
    "ceil",
    "ceiling",
    "sqrt",
    "power",
    "pow",
    "ln",
    "log",
    "exp",
    "sign",
    "mod",
    "to_char",
    "to_date",
    "to_timestamp",
    "to_number",
    "age",
    "make_date",
    "make_timestamp",
    "stddev",
    "stddev_pop",
    "stddev_samp",
    "variance",
    "var_pop",
    "var_samp",
    "percentile_cont",
    "percentile_disc",
    "mode",
    "string_agg",
    "array_agg",
    "bool_and",
    "bool_or",
    "every",
    "corr",
    "covar_pop",
    "covar_samp",
    "regr_slope",
    "json_agg",
    "jsonb_agg",
    "row_number",
    "rank",
    "dense_rank",
    "lag",
    "lead",
    "first_value",
    "last_value",
    "ntile",
    "generate_series",
    "random",
    "pi",
    "width_bucket",
    "date_bin",
    "extract",
    "cast",
    "format",
    "md5",
];

/// SQL-standard names that look like columns: `current_user`, `current_date`...
const SPECIAL_NAMES: [&str; 10] = [
    "current_user",
    "session_user",
    "user",
    "current_role",
    "current_catalog",
    "current_schema",
    "current_date",
    "current_timestamp",
    "localtimestamp",
    "now",
];

/// Functions whose value changes between executions of one statement.
const CLOCK_FUNCTIONS: [&str; 5] = [
    "transaction_timestamp",
    "statement_timestamp",
    "clock_timestamp",
    "timeofday",
    "random",
];

/// Whether `stmt` reads the clock or a random number (its plan folds them in,
/// so a plan of it cannot be reused).
pub fn reads_clock(stmt: &sqlparser::ast::Statement) -> bool {
    let hit = sqlparser::ast::visit_expressions(stmt, |e| {
        let name = match e {
            SqlExpr::Identifier(i) if i.quote_style.is_none() => Some(ident(i)),
            SqlExpr::Function(f) => Some(function_name(f)),
            _ => None,
        };
        match name {
            Some(n)
                if SPECIAL_NAMES.contains(&n.as_str()) || CLOCK_FUNCTIONS.contains(&n.as_str()) =>
            {
                std::ops::ControlFlow::Break(())
            }
            _ => std::ops::ControlFlow::Continue(()),
        }
    });
    hit.is_break()
}

fn special_name(e: &SqlExpr) -> Option<String> {
    match e {
        SqlExpr::Identifier(i) if i.quote_style.is_none() => Some(ident(i)),
        SqlExpr::Function(f) if f.over.is_none() => {
            let empty = match &f.args {
                FunctionArguments::None => true,
                FunctionArguments::List(l) => l.args.is_empty(),
                FunctionArguments::Subquery(_) => false,
            };
            empty.then(|| function_name(f))
        }
        _ => None,
    }
}

fn is_special_identifier(e: &SqlExpr, scope: &TableScope) -> bool {
    match e {
        SqlExpr::Identifier(i) => {
            i.quote_style.is_none()
                && SPECIAL_NAMES.contains(&ident(i).as_str())
                && scope.schema.column(&ident(i)).is_none()
        }
        _ => false,
    }
}

/// Session functions answered at plan time.
fn special_value(e: &SqlExpr, session: &Session) -> Option<Out> {
    let name = special_name(e)?;
    let text = |s: &str| Some(Out::constant(Value::Text(s.to_owned()), PgType::Text));
    let now_micros = || {
        std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map(|d| i64::try_from(d.as_micros()).unwrap_or(i64::MAX))
            .unwrap_or(0)
    };
    match name.as_str() {
        // `current_user`, `current_database()`, `current_schema` are of type
        // `name`, which the index path does not type: the engine answers them.
        "version" => text(&session.version()),
        "now"
        | "current_timestamp"
        | "transaction_timestamp"
        | "statement_timestamp"
        | "clock_timestamp" => Some(Out::constant(
            Value::TimestampTz(now_micros()),
            PgType::TimestampTz,
        )),
        "localtimestamp" => Some(Out::constant(
            Value::Timestamp(now_micros()),
            PgType::Timestamp,
        )),
        "current_date" => Some(Out::constant(
            Value::Date(
                i32::try_from(now_micros().div_euclid(crate::types::datetime::MICROS_PER_DAY))
                    .unwrap_or(0),
            ),
            PgType::Date,
        )),
        "pg_backend_pid" => Some(Out::constant(
            Value::Int64(i64::from(std::process::id())),
            PgType::Int4,
        )),
        _ => None,
    }
}
