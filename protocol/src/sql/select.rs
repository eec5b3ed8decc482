//! `SELECT` to a [`SelectPlan`]: one index request (aggregate or scan, or
//! none without FROM) and the program that turns its answer into the result:
//! HAVING, ORDER BY, DISTINCT, OFFSET/LIMIT and the select list.
//!
//! Aggregate queries (GROUP BY, aggregates, HAVING) send an
//! [`AggregateRequest`] whose result row is `group values ++ aggregates`;
//! aggregates only used by HAVING or ORDER BY ride along as hidden columns.
//! `SELECT DISTINCT` without aggregates is a GROUP BY of its items. Other
//! queries send a [`ScanRequest`] of the columns they need, with LIMIT pushed
//! down when nothing reorders or filters the rows afterwards.

use isotherm_indexer::{AggFunc, Aggregate, AggregateRequest, Expr, Predicate, ScanRequest, Value};
use sqlparser::ast::{
    BinaryOperator, CastKind, Distinct, DuplicateTreatment, Expr as SqlExpr, FunctionArg,
    FunctionArgExpr, FunctionArguments, GroupByExpr, Ident, LimitClause, OrderByKind, Query,
    SelectItem, SelectItemQualifiedWildcardKind, SetExpr, UnaryOperator, Value as SqlValue,
};

use crate::backend::Backend;
use crate::error::{SqlError, SqlResult};
use crate::session::Session;
use crate::sql::literal::{Lit, coerce, constant, data_type, numeric_scale};
use crate::sql::names::{TableScope, column_name, ident, object_name, resolve_from};
use crate::sql::out::{ArithOp, Out, OutExpr, OutPred, arith_type};
use crate::sql::row::{
    RowExpr, WhereBuilder, check_extract_on, cmp_op, construct_name, contains_aggregate,
    extract_field, extract_field_name, function_args, function_name, is_aggregate_call, op_symbol,
    row_expr, string_arg, trunc_unit, undefined_function,
};
use crate::sql::{Field, Params};
use crate::types::PgType;

/// Where the rows come from.
#[derive(Debug, Clone, PartialEq)]
pub enum Source {
    Aggregate(AggregateRequest),
    Scan(ScanRequest),
    /// No FROM: one row with no columns.
    Single,
}

#[derive(Debug, Clone, PartialEq)]
pub struct SortKey {
    pub expr: Out,
    pub desc: bool,
    pub nulls_first: bool,
}

#[derive(Debug, Clone, PartialEq)]
pub struct SelectPlan {
    pub source: Source,
    /// The type of each column of the index's answer.
    pub input_types: Vec<PgType>,
    pub having: Option<OutPred>,
    pub order_by: Vec<SortKey>,
    /// Remove duplicate result rows (DISTINCT over aggregates).
    pub distinct: bool,
    pub offset: usize,
    pub limit: Option<usize>,
    pub projection: Vec<Out>,
    pub fields: Vec<Field>,
}

/// What planning needs: the index (for schemas), the session, the parameters.
pub struct Planner<'a> {
    pub backend: &'a dyn Backend,
    pub session: &'a Session,
    pub params: Params,
}

enum Mode {
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

struct Item {
    expr: SqlExpr,
    name: String,
    aliased: bool,
}

fn check_query_shape(q: &Query) -> SqlResult<()> {
    if q.with.is_some() {
        return Err(SqlError::unsupported("WITH (common table expressions)"));
    }
    if !q.locks.is_empty() {
        return Err(SqlError::unsupported("FOR UPDATE / FOR SHARE"));
    }
    if q.for_clause.is_some() || q.settings.is_some() || q.format_clause.is_some() {
        return Err(SqlError::unsupported("this query clause"));
    }
    if !q.pipe_operators.is_empty() {
        return Err(SqlError::unsupported("pipe operators"));
    }
    Ok(())
}

impl Planner<'_> {
    pub fn plan_query(&mut self, q: &Query) -> SqlResult<SelectPlan> {
        check_query_shape(q)?;
        let s = match q.body.as_ref() {
            SetExpr::Select(s) => s,
            SetExpr::SetOperation { op, .. } => {
                return Err(SqlError::unsupported(op.to_string().to_uppercase()));
            }
            SetExpr::Values(_) => return Err(SqlError::unsupported("VALUES")),
            SetExpr::Query(_) => return Err(SqlError::unsupported("parenthesized subqueries")),
            SetExpr::Table(_) => return Err(SqlError::unsupported("TABLE")),
            _ => return Err(SqlError::unsupported("INSERT, UPDATE, DELETE and MERGE")),
        };
        if s.into.is_some() {
            return Err(SqlError::unsupported("SELECT INTO"));
        }
        if !s.named_window.is_empty() || s.qualify.is_some() {
            return Err(SqlError::unsupported("window functions"));
        }
        if s.top.is_some()
            || !s.lateral_views.is_empty()
            || s.prewhere.is_some()
            || !s.connect_by.is_empty()
            || !s.cluster_by.is_empty()
            || !s.distribute_by.is_empty()
            || !s.sort_by.is_empty()
        {
            return Err(SqlError::unsupported("this SELECT clause"));
        }
        let scope = resolve_from(&s.from, self.backend, self.session.database())?;
        let filter = match (&s.selection, &scope) {
            (Some(w), Some(sc)) => Some(
                WhereBuilder {
                    scope: sc,
                    params: &mut self.params,
                }
                .predicate(w)?,
            ),
            (Some(_), None) => return Err(SqlError::unsupported("WHERE without FROM")),
            (None, _) => None,
        };
        let items = expand_items(&s.projection, scope.as_ref())?;
        let group_exprs: &[SqlExpr] = match &s.group_by {
            GroupByExpr::Expressions(v, mods) if mods.is_empty() => v,
            _ => {
                return Err(SqlError::unsupported(
                    "GROUP BY ALL / ROLLUP / CUBE / GROUPING SETS",
                ));
            }
        };
        let order_exprs = match &q.order_by {
            None => Vec::new(),
            Some(ob) => match &ob.kind {
                OrderByKind::Expressions(v) => v.clone(),
                OrderByKind::All(_) => return Err(SqlError::unsupported("ORDER BY ALL")),
            },
        };
        let distinct = match &s.distinct {
            None | Some(Distinct::All) => false,
            Some(Distinct::Distinct) => true,
            Some(Distinct::On(_)) => return Err(SqlError::unsupported("DISTINCT ON")),
        };
        let has_aggs = items.iter().any(|i| contains_aggregate(&i.expr))
            || s.having.as_ref().is_some_and(contains_aggregate)
            || order_exprs.iter().any(|o| contains_aggregate(&o.expr));
        let is_agg = !group_exprs.is_empty() || s.having.is_some() || has_aggs;

        let mut post_distinct = distinct;
        let mode = match &scope {
            None => {
                if is_agg {
                    return Err(SqlError::unsupported("aggregate functions without FROM"));
                }
                Mode::Const
            }
            Some(sc) if is_agg => Mode::Agg {
                groups: self.plan_groups(group_exprs, &items, sc)?,
                aggs: Vec::new(),
                agg_types: Vec::new(),
            },
            Some(sc) if distinct => {
                // SELECT DISTINCT a, b ≡ SELECT a, b GROUP BY a, b.
                let mut groups = Vec::new();
                for it in &items {
                    let r = row_expr(&it.expr, sc, &mut self.params)?.ok_or_else(|| {
                        SqlError::unsupported(format!(
                            "SELECT DISTINCT over {}",
                            construct_name(&it.expr)
                        ))
                    })?;
                    if !groups.contains(&r) {
                        groups.push(r);
                    }
                }
                post_distinct = false;
                Mode::Agg {
                    groups,
                    aggs: Vec::new(),
                    agg_types: Vec::new(),
                }
            }
            Some(_) => Mode::Scan {
                cols: Vec::new(),
                types: Vec::new(),
            },
        };

        let mut b = OutBuilder {
            planner: self,
            scope: scope.as_ref(),
            mode,
        };
        let mut projection = Vec::with_capacity(items.len());
        let mut fields = Vec::with_capacity(items.len());
        for it in &items {
            let o = b.out(&it.expr, None)?;
            fields.push(Field::new(it.name.clone(), o.ty));
            projection.push(o);
        }
        let having = match &s.having {
            Some(h) => Some(b.pred(h, "HAVING")?),
            None => None,
        };
        let mut order_by = Vec::with_capacity(order_exprs.len());
        for ob in &order_exprs {
            if ob.with_fill.is_some() {
                return Err(SqlError::unsupported("ORDER BY ... WITH FILL"));
            }
            let not_in_list = || {
                SqlError::InvalidColumnReference(
                    "for SELECT DISTINCT, ORDER BY expressions must appear in select list".into(),
                )
            };
            let expr = match b.order_key(&ob.expr, &items, &projection) {
                Err(SqlError::Grouping(_)) if distinct => return Err(not_in_list()),
                other => other?,
            };
            if distinct && !projection.contains(&expr) {
                return Err(not_in_list());
            }
            let desc = ob.options.asc == Some(false);
            order_by.push(SortKey {
                expr,
                desc,
                nulls_first: ob.options.nulls_first.unwrap_or(desc),
            });
        }
        let (offset, limit) = b.limits(q)?;
        let mode = b.mode;
        let table = scope.as_ref().map(|s| s.table.clone()).unwrap_or_default();
        let (source, input_types) = match mode {
            Mode::Const => (Source::Single, Vec::new()),
            Mode::Scan { cols, types } => {
                let pushable = order_by.is_empty() && !post_distinct && having.is_none();
                let limit = match (pushable, limit) {
                    (true, Some(l)) => Some(l.saturating_add(offset)),
                    _ => None,
                };
                (
                    Source::Scan(ScanRequest {
                        table,
                        filter,
                        columns: cols,
                        limit,
                    }),
                    types,
                )
            }
            Mode::Agg {
                groups,
                aggs,
                agg_types,
            } => {
                let mut types: Vec<PgType> = groups.iter().map(|g| g.ty).collect();
                types.extend(agg_types);
                (
                    Source::Aggregate(AggregateRequest {
                        table,
                        filter,
                        group_by: groups.into_iter().map(|g| g.expr).collect(),
                        aggregates: aggs,
                    }),
                    types,
                )
            }
        };
        Ok(SelectPlan {
            source,
            input_types,
            having,
            order_by,
            distinct: post_distinct,
            offset,
            limit,
            projection,
            fields,
        })
    }

    fn plan_groups(
        &mut self,
        exprs: &[SqlExpr],
        items: &[Item],
        scope: &TableScope,
    ) -> SqlResult<Vec<RowExpr>> {
        let mut groups: Vec<RowExpr> = Vec::new();
        for e in exprs {
            let target = match e {
                SqlExpr::Value(v) if matches!(v.value, SqlValue::Number(..)) => {
                    let pos = position(e, items.len(), "GROUP BY")?;
                    &items[pos].expr
                }
                SqlExpr::Identifier(i) if scope.schema.column(&ident(i)).is_none() => {
                    match items.iter().find(|it| it.aliased && it.name == ident(i)) {
                        Some(it) => &it.expr,
                        None => e,
                    }
                }
                _ => e,
            };
            if contains_aggregate(target) {
                return Err(SqlError::Grouping(
                    "aggregate functions are not allowed in GROUP BY".into(),
                ));
            }
            let r = row_expr(target, scope, &mut self.params)?.ok_or_else(|| {
                SqlError::unsupported(format!(
                    "GROUP BY {} (only columns, date_trunc and extract are)",
                    construct_name(target)
                ))
            })?;
            if !groups.contains(&r) {
                groups.push(r);
            }
        }
        Ok(groups)
    }
}

/// A 1-based select-list position (`GROUP BY 1`, `ORDER BY 2`).
fn position(e: &SqlExpr, len: usize, clause: &str) -> SqlResult<usize> {
    let SqlExpr::Value(v) = e else {
        return Err(SqlError::Internal("position expected".into()));
    };
    let SqlValue::Number(s, _) = &v.value else {
        return Err(SqlError::Internal("position expected".into()));
    };
    match s.parse::<usize>() {
        Ok(n) if n >= 1 && n <= len => Ok(n - 1),
        Ok(n) => Err(SqlError::InvalidColumnReference(format!(
            "{clause} position {n} is not in select list"
        ))),
        Err(_) => Err(SqlError::unsupported(format!(
            "{clause} on a non-integer constant"
        ))),
    }
}

fn expand_items(projection: &[SelectItem], scope: Option<&TableScope>) -> SqlResult<Vec<Item>> {
    let mut items = Vec::new();
    let all_columns = |items: &mut Vec<Item>, scope: &TableScope| {
        for c in &scope.schema.columns {
            items.push(Item {
                expr: SqlExpr::Identifier(Ident::with_quote('"', c.name.clone())),
                name: c.name.clone(),
                aliased: false,
            });
        }
    };
    for p in projection {
        match p {
            SelectItem::UnnamedExpr(e) => items.push(Item {
                expr: e.clone(),
                name: column_name(e).0,
                aliased: false,
            }),
            SelectItem::ExprWithAlias { expr, alias } => items.push(Item {
                expr: expr.clone(),
                name: ident(alias),
                aliased: true,
            }),
            SelectItem::Wildcard(opts) => {
                if opts.opt_exclude.is_some()
                    || opts.opt_except.is_some()
                    || opts.opt_replace.is_some()
                    || opts.opt_rename.is_some()
                    || opts.opt_ilike.is_some()
                {
                    return Err(SqlError::unsupported("* with options"));
                }
                let scope = scope.ok_or_else(|| {
                    SqlError::Syntax("SELECT * with no tables specified is not valid".into())
                })?;
                all_columns(&mut items, scope);
            }
            SelectItem::QualifiedWildcard(kind, _) => {
                let scope = scope.ok_or_else(|| SqlError::MissingFromEntry("?".into()))?;
                let SelectItemQualifiedWildcardKind::ObjectName(name) = kind else {
                    return Err(SqlError::unsupported("expression.*"));
                };
                let parts = object_name(name)?;
                let ok = match parts.as_slice() {
                    [t] => t == scope.visible_name(),
                    [s, t] => scope.alias.is_none() && s == "public" && t == &scope.table,
                    _ => false,
                };
                if !ok {
                    return Err(SqlError::MissingFromEntry(parts.join(".")));
                }
                all_columns(&mut items, scope);
            }
            SelectItem::ExprWithAliases { .. } => {
                return Err(SqlError::unsupported("multiple aliases"));
            }
        }
    }
    Ok(items)
}

/// Translates SQL expressions over result rows into [`Out`]s.
struct OutBuilder<'p, 'a> {
    planner: &'p mut Planner<'a>,
    scope: Option<&'p TableScope>,
    mode: Mode,
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
    fn params(&mut self) -> &mut Params {
        &mut self.planner.params
    }

    fn out(&mut self, e: &SqlExpr, expected: Option<PgType>) -> SqlResult<Out> {
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
        let Mode::Agg {
            groups,
            aggs,
            agg_types,
        } = &mut self.mode
        else {
            return Err(SqlError::unsupported("aggregate functions without FROM"));
        };
        let scope = self
            .scope
            .ok_or_else(|| SqlError::unsupported("aggregate functions without FROM"))?;
        if f.over.is_some() {
            return Err(SqlError::unsupported("window functions"));
        }
        if f.filter.is_some() || !f.within_group.is_empty() {
            return Err(SqlError::unsupported("FILTER / WITHIN GROUP"));
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
        let (func, arg) = match arg_expr {
            None => {
                if distinct {
                    return Err(SqlError::Syntax("syntax error at or near \"*\"".into()));
                }
                (AggFunc::CountStar, None)
            }
            Some(a) => {
                if contains_aggregate(a) {
                    return Err(SqlError::Grouping(
                        "aggregate function calls cannot be nested".into(),
                    ));
                }
                let params = &mut self.planner.params;
                match row_expr(a, scope, params)? {
                    Some(r) => {
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
                        (func, Some(r))
                    }
                    None => match constant(a, params, Some(PgType::Int4))? {
                        Some(l)
                            if name == "count"
                                && !distinct
                                && !l.clone().into_typed().0.is_null() =>
                        {
                            (AggFunc::CountStar, None)
                        }
                        _ => {
                            return Err(SqlError::unsupported(format!(
                                "{name} over {} (only columns, date_trunc and extract are)",
                                construct_name(a)
                            )));
                        }
                    },
                }
            }
        };
        let (input_ty, out_ty) = match &arg {
            None => (PgType::Int8, PgType::Int8),
            Some(r) => {
                let types = |t: PgType| -> SqlResult<PgType> {
                    Ok(match func {
                        AggFunc::CountStar | AggFunc::Count | AggFunc::CountDistinct => {
                            PgType::Int8
                        }
                        AggFunc::Sum | AggFunc::Avg => match t {
                            PgType::Float8 => PgType::Float8,
                            PgType::Int4 | PgType::Int8 | PgType::Numeric => PgType::Numeric,
                            _ => return Err(undefined_function(&name, &[t.name()])),
                        },
                        AggFunc::Min | AggFunc::Max => {
                            if t == PgType::Bool {
                                return Err(undefined_function(&name, &[t.name()]));
                            }
                            t
                        }
                    })
                };
                (types(r.ty)?, types(r.sql_type())?)
            }
        };
        let agg = Aggregate {
            func,
            arg: arg.map(|r| r.expr),
        };
        let j = match aggs.iter().position(|a| *a == agg) {
            Some(j) => j,
            None => {
                aggs.push(agg);
                agg_types.push(input_ty);
                aggs.len() - 1
            }
        };
        Ok(Out::new(OutExpr::Input(groups.len() + j), input_ty).cast(out_ty))
    }

    /// A boolean condition over result rows (HAVING, or a select-list predicate).
    fn pred(&mut self, e: &SqlExpr, clause: &str) -> SqlResult<OutPred> {
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

    /// ORDER BY: a position, an output column name, or an expression.
    fn order_key(&mut self, e: &SqlExpr, items: &[Item], projection: &[Out]) -> SqlResult<Out> {
        if let SqlExpr::Value(v) = e
            && matches!(v.value, SqlValue::Number(..))
        {
            let pos = position(e, items.len(), "ORDER BY")?;
            return Ok(projection[pos].clone());
        }
        if let SqlExpr::Identifier(i) = e {
            let name = ident(i);
            let matches: Vec<usize> = items
                .iter()
                .enumerate()
                .filter(|(_, it)| it.name == name)
                .map(|(k, _)| k)
                .collect();
            if let Some(&first) = matches.first() {
                if matches.iter().any(|&k| projection[k] != projection[first]) {
                    return Err(SqlError::AmbiguousColumn(format!(
                        "ORDER BY \"{name}\" is ambiguous"
                    )));
                }
                return Ok(projection[first].clone());
            }
        }
        self.out(e, None)
    }

    fn limit_value(&mut self, e: &SqlExpr, what: &str) -> SqlResult<Option<usize>> {
        let lit = constant(e, self.params(), Some(PgType::Int8))?.ok_or_else(|| {
            SqlError::unsupported(format!("{what} with a non-constant expression"))
        })?;
        let v = coerce(lit, PgType::Int8, "=")?;
        match v {
            Value::Null => Ok(None),
            Value::Int64(n) if n < 0 => Err(SqlError::InvalidRowCount {
                code: if what == "LIMIT" { "2201W" } else { "2201X" },
                message: format!("{what} must not be negative"),
            }),
            Value::Int64(n) => Ok(Some(usize::try_from(n).unwrap_or(usize::MAX))),
            Value::Numeric(n) => {
                let r = crate::types::cast_value(Value::Numeric(n), PgType::Int8)?;
                match r {
                    Value::Int64(n) if n >= 0 => Ok(Some(usize::try_from(n).unwrap_or(usize::MAX))),
                    _ => Err(SqlError::InvalidRowCount {
                        code: if what == "LIMIT" { "2201W" } else { "2201X" },
                        message: format!("{what} must not be negative"),
                    }),
                }
            }
            _ => Err(SqlError::DatatypeMismatch(format!(
                "argument of {what} must be type bigint"
            ))),
        }
    }

    fn limits(&mut self, q: &Query) -> SqlResult<(usize, Option<usize>)> {
        let mut offset = 0;
        let mut limit = None;
        match &q.limit_clause {
            None => {}
            Some(LimitClause::LimitOffset {
                limit: l,
                offset: o,
                limit_by,
            }) => {
                if !limit_by.is_empty() {
                    return Err(SqlError::unsupported("LIMIT BY"));
                }
                if let Some(l) = l {
                    limit = self.limit_value(l, "LIMIT")?;
                }
                if let Some(o) = o {
                    offset = self.limit_value(&o.value, "OFFSET")?.unwrap_or(0);
                }
            }
            Some(LimitClause::OffsetCommaLimit { .. }) => {
                return Err(SqlError::Syntax("LIMIT #,# syntax is not supported".into()));
            }
        }
        if let Some(fetch) = &q.fetch {
            if fetch.with_ties || fetch.percent {
                return Err(SqlError::unsupported("FETCH ... WITH TIES / PERCENT"));
            }
            if limit.is_some() {
                return Err(SqlError::Syntax(
                    "multiple LIMIT clauses not allowed".into(),
                ));
            }
            limit = match &fetch.quantity {
                Some(qty) => self.limit_value(qty, "LIMIT")?,
                None => Some(1),
            };
        }
        Ok((offset, limit))
    }
}

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
        "current_user" | "session_user" | "user" | "current_role" => text(session.user()),
        "current_catalog" | "current_database" => text(session.database()),
        "current_schema" => text("public"),
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

/// The filter of a plan, for tests and EXPLAIN.
pub fn plan_filter(plan: &SelectPlan) -> Option<&Predicate> {
    match &plan.source {
        Source::Aggregate(r) => r.filter.as_ref(),
        Source::Scan(r) => r.filter.as_ref(),
        Source::Single => None,
    }
}

#[cfg(test)]
pub(crate) mod tests;
