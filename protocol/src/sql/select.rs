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

use isotherm_indexer::{AggregateRequest, Predicate, ScanRequest, Value};
use sqlparser::ast::{
    Distinct, Expr as SqlExpr, GroupByExpr, Ident, LimitClause, OrderByKind, Query, SelectItem,
    SelectItemQualifiedWildcardKind, SetExpr, Value as SqlValue,
};

use crate::backend::Backend;
use crate::error::{SqlError, SqlResult};
use crate::session::Session;
use crate::sql::literal::{coerce, constant};
use crate::sql::names::{TableScope, column_name, ident, object_name, resolve_from};
use crate::sql::out::{Out, OutExpr, OutPred};
use crate::sql::row::{RowExpr, WhereBuilder, construct_name, contains_aggregate, row_expr};
use crate::sql::translate::{Mode, OutBuilder};
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
        if let Some(flat) = flatten::flatten(q, self.backend, self.session)? {
            return self.plan_query(&flat);
        }
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
        let scope = resolve_from(&s.from, self.backend, self.session)?;
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
        if let Some(sc) = &scope {
            column_sources(&mut fields, &projection, &mode, sc);
        }
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

impl OutBuilder<'_, '_> {
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
/// The filter of a plan, for tests and EXPLAIN.
pub fn plan_filter(plan: &SelectPlan) -> Option<&Predicate> {
    match &plan.source {
        Source::Aggregate(r) => r.filter.as_ref(),
        Source::Scan(r) => r.filter.as_ref(),
        Source::Single => None,
    }
}

mod branches;
mod flatten;

/// Marks the fields that are a table's plain columns with its OID and the
/// column's attribute number (RowDescription's table OID and attnum).
fn column_sources(fields: &mut [Field], projection: &[Out], mode: &Mode, scope: &TableScope) {
    let inputs: Vec<&isotherm_indexer::Expr> = match mode {
        Mode::Const => return,
        Mode::Scan { cols, .. } => cols.iter().collect(),
        Mode::Agg { groups, .. } => groups.iter().map(|g| &g.expr).collect(),
    };
    let table_oid = isotherm_engine::catalog::oid::relation_oid("public", &scope.table);
    for (f, o) in fields.iter_mut().zip(projection) {
        let OutExpr::Input(i) = &o.expr else { continue };
        let Some(isotherm_indexer::Expr::Column(name)) = inputs.get(*i) else {
            continue;
        };
        let attnum = scope.schema.columns.iter().position(|c| &c.name == name);
        if let (Ok(oid), Some(Ok(attnum))) = (
            u32::try_from(table_oid),
            attnum.map(|a| i16::try_from(a + 1)),
        ) {
            f.source = Some((oid, attnum));
        }
    }
}

#[cfg(test)]
mod bi_tests;
#[cfg(test)]
pub(crate) mod tests;
