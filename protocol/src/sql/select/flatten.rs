//! Subquery wrappers: `SELECT ... FROM (SELECT ... FROM t WHERE ...) AS s`,
//! which Metabase and other tools put around a question to count its rows or
//! to aggregate it again, rewritten into one query over `t`.
//!
//! The inner query must be a plain projection of one table with an optional
//! WHERE (no GROUP BY, aggregates, DISTINCT, ORDER BY, LIMIT or window
//! functions): then every row of it is one row of `t`, and the outer query
//! reads the same rows if each reference to an inner column is replaced by
//! the inner expression and the two WHERE clauses are ANDed.
//!
//! ```text
//! SELECT s.region AS r, count(*) FROM (SELECT region, temperature AS t
//!   FROM temperatures WHERE t > 0) AS s WHERE s.t < 30 GROUP BY s.region
//! =>
//! SELECT (region) AS r, count(*) AS count FROM temperatures
//!   WHERE (t > 0) AND ((temperature) < 30) GROUP BY (region)
//! ```
//!
//! Output names are pinned as aliases first, so they are the ones the
//! outer query gives. Anything not covered (unknown or ambiguous names,
//! other shapes) returns `None` or `Unsupported`; the general engine then
//! answers, with PostgreSQL's errors.

use std::ops::ControlFlow;

use sqlparser::ast::{
    Expr as SqlExpr, GroupByExpr, Ident, OrderByKind, Query, Select, SelectItem,
    SelectItemQualifiedWildcardKind, SetExpr, TableFactor, visit_expressions_mut,
};

use crate::backend::Backend;
use crate::error::{SqlError, SqlResult};
use crate::session::Session;
use crate::sql::names::{column_name, ident, object_name, resolve_from};
use crate::sql::row::contains_aggregate;

/// SQL-standard names that look like columns but are not.
const SPECIAL_NAMES: &[&str] = &[
    "current_user",
    "session_user",
    "user",
    "current_role",
    "current_catalog",
    "current_schema",
    "current_date",
    "current_time",
    "current_timestamp",
    "localtime",
    "localtimestamp",
];

/// One output column of the inner query.
struct InnerColumn {
    name: String,
    expr: SqlExpr,
}

fn unsupported(what: &str) -> SqlError {
    SqlError::unsupported(format!("{what} in a subquery in FROM"))
}

/// True if `e` calls a window function anywhere.
fn contains_window(e: &SqlExpr) -> bool {
    let mut found = false;
    let _ = sqlparser::ast::visit_expressions(e, |x| {
        if matches!(x, SqlExpr::Function(f) if f.over.is_some()) {
            found = true;
            return ControlFlow::Break(());
        }
        ControlFlow::Continue(())
    });
    found
}

/// The query with its one derived table merged in, or `None` when FROM is
/// not a single derived table.
pub(crate) fn flatten(
    q: &Query,
    backend: &dyn Backend,
    session: &Session,
) -> SqlResult<Option<Query>> {
    let SetExpr::Select(outer) = q.body.as_ref() else {
        return Ok(None);
    };
    let [from] = outer.from.as_slice() else {
        return Ok(None);
    };
    let TableFactor::Derived {
        lateral,
        subquery,
        alias,
        sample,
    } = &from.relation
    else {
        return Ok(None);
    };
    if *lateral || sample.is_some() || !from.joins.is_empty() {
        return Err(unsupported("LATERAL, TABLESAMPLE or JOIN"));
    }
    let Some(alias) = alias else {
        return Err(unsupported("a subquery without an alias"));
    };
    if !alias.columns.is_empty() {
        return Err(unsupported("column aliases"));
    }
    // Nested wrappers flatten from the inside out.
    let inner_q = match flatten(subquery, backend, session)? {
        Some(flat) => flat,
        None => subquery.as_ref().clone(),
    };
    let inner = plain_inner(&inner_q)?;
    let columns = inner_columns(inner, backend, session)?;
    let alias_name = ident(&alias.name);

    // Output names, pinned before the expressions change.
    let mut projection = Vec::with_capacity(outer.projection.len());
    for item in &outer.projection {
        match item {
            SelectItem::UnnamedExpr(e) => projection.push(SelectItem::ExprWithAlias {
                expr: e.clone(),
                alias: Ident::with_quote('"', column_name(e).0),
            }),
            SelectItem::ExprWithAlias { .. } => projection.push(item.clone()),
            SelectItem::Wildcard(opts) => {
                if opts.opt_exclude.is_some()
                    || opts.opt_except.is_some()
                    || opts.opt_replace.is_some()
                    || opts.opt_rename.is_some()
                    || opts.opt_ilike.is_some()
                {
                    return Err(unsupported("* with options"));
                }
                projection.extend(expanded(&columns));
            }
            SelectItem::QualifiedWildcard(SelectItemQualifiedWildcardKind::ObjectName(n), _)
                if object_name(n)? == [alias_name.clone()] =>
            {
                projection.extend(expanded(&columns));
            }
            _ => return Err(unsupported("this select item")),
        }
    }
    let output_names: Vec<String> = projection
        .iter()
        .filter_map(|i| match i {
            SelectItem::ExprWithAlias { alias, .. } => Some(ident(alias)),
            _ => None,
        })
        .collect();

    let mut sel: Select = outer.as_ref().clone();
    sel.from = inner.from.clone();
    sel.projection = projection;
    let sub = |e: &mut SqlExpr| substitute(e, &columns, &alias_name);
    for item in &mut sel.projection {
        if let SelectItem::ExprWithAlias { expr, .. } = item {
            sub(expr)?;
        }
    }
    if let Some(w) = &mut sel.selection {
        sub(w)?;
    }
    if let Some(h) = &mut sel.having {
        sub(h)?;
    }
    if let GroupByExpr::Expressions(exprs, _) = &mut sel.group_by {
        for g in exprs {
            if is_output_name(g, &output_names, &columns) {
                continue;
            }
            sub(g)?;
        }
    }
    sel.selection = match (inner.selection.clone(), sel.selection.take()) {
        (None, x) | (x, None) => x,
        (Some(a), Some(b)) => Some(SqlExpr::BinaryOp {
            left: Box::new(SqlExpr::Nested(Box::new(a))),
            op: sqlparser::ast::BinaryOperator::And,
            right: Box::new(SqlExpr::Nested(Box::new(b))),
        }),
    };
    let mut out = q.clone();
    out.body = Box::new(SetExpr::Select(Box::new(sel)));
    if let Some(ob) = &mut out.order_by
        && let OrderByKind::Expressions(items) = &mut ob.kind
    {
        for o in items {
            if is_output_name(&o.expr, &output_names, &columns) {
                continue;
            }
            sub(&mut o.expr)?;
        }
    }
    Ok(Some(out))
}

/// A bare name the outer query gives one of its outputs (ORDER BY / GROUP
/// BY may use it) and that no inner column shadows.
fn is_output_name(e: &SqlExpr, outputs: &[String], columns: &[InnerColumn]) -> bool {
    match e {
        SqlExpr::Identifier(i) => {
            let n = ident(i);
            outputs.contains(&n) && !columns.iter().any(|c| c.name == n)
        }
        _ => false,
    }
}

fn expanded(columns: &[InnerColumn]) -> impl Iterator<Item = SelectItem> + '_ {
    columns.iter().map(|c| SelectItem::ExprWithAlias {
        expr: SqlExpr::Identifier(Ident::with_quote('"', c.name.clone())),
        alias: Ident::with_quote('"', c.name.clone()),
    })
}

/// The inner SELECT, if it is a plain projection and filter of one table.
fn plain_inner(q: &Query) -> SqlResult<&Select> {
    if q.with.is_some()
        || q.order_by.is_some()
        || q.limit_clause.is_some()
        || q.fetch.is_some()
        || !q.locks.is_empty()
        || q.for_clause.is_some()
        || q.settings.is_some()
        || q.format_clause.is_some()
        || !q.pipe_operators.is_empty()
    {
        return Err(unsupported("WITH, ORDER BY, LIMIT or locking"));
    }
    let SetExpr::Select(s) = q.body.as_ref() else {
        return Err(unsupported("set operations or VALUES"));
    };
    let grouped = match &s.group_by {
        GroupByExpr::Expressions(v, m) => !v.is_empty() || !m.is_empty(),
        GroupByExpr::All(_) => true,
    };
    if grouped
        || s.having.is_some()
        || s.distinct.is_some()
        || s.into.is_some()
        || s.top.is_some()
        || !s.named_window.is_empty()
        || s.qualify.is_some()
        || !s.lateral_views.is_empty()
        || s.prewhere.is_some()
        || !s.connect_by.is_empty()
    {
        return Err(unsupported("GROUP BY, HAVING, DISTINCT or windows"));
    }
    let [from] = s.from.as_slice() else {
        return Err(unsupported("several tables"));
    };
    if !from.joins.is_empty() || !matches!(from.relation, TableFactor::Table { .. }) {
        return Err(unsupported("a join or nested subquery"));
    }
    for item in &s.projection {
        if let SelectItem::UnnamedExpr(e) | SelectItem::ExprWithAlias { expr: e, .. } = item
            && (contains_aggregate(e) || contains_window(e))
        {
            return Err(unsupported("aggregates or window functions"));
        }
    }
    if s.selection.as_ref().is_some_and(contains_window) {
        return Err(unsupported("window functions"));
    }
    Ok(s)
}

fn inner_columns(
    s: &Select,
    backend: &dyn Backend,
    session: &Session,
) -> SqlResult<Vec<InnerColumn>> {
    let mut out = Vec::new();
    for item in &s.projection {
        match item {
            SelectItem::UnnamedExpr(e) => out.push(InnerColumn {
                name: column_name(e).0,
                expr: e.clone(),
            }),
            SelectItem::ExprWithAlias { expr, alias } => out.push(InnerColumn {
                name: ident(alias),
                expr: expr.clone(),
            }),
            SelectItem::Wildcard(opts)
                if opts.opt_exclude.is_none()
                    && opts.opt_except.is_none()
                    && opts.opt_replace.is_none()
                    && opts.opt_rename.is_none()
                    && opts.opt_ilike.is_none() =>
            {
                let scope = resolve_from(&s.from, backend, session)?
                    .ok_or_else(|| unsupported("SELECT * without a table"))?;
                for c in &scope.schema.columns {
                    out.push(InnerColumn {
                        name: c.name.clone(),
                        expr: SqlExpr::Identifier(Ident::with_quote('"', c.name.clone())),
                    });
                }
            }
            _ => return Err(unsupported("this select item")),
        }
    }
    Ok(out)
}

/// Replaces references to inner columns (`c`, `alias.c`) in `e`.
fn substitute(e: &mut SqlExpr, columns: &[InnerColumn], alias: &str) -> SqlResult<()> {
    let mut failure: Option<SqlError> = None;
    let lookup = |name: &str| -> Result<SqlExpr, SqlError> {
        let mut found = columns.iter().filter(|c| c.name == name);
        match (found.next(), found.next()) {
            (Some(c), None) => Ok(SqlExpr::Nested(Box::new(c.expr.clone()))),
            (Some(_), Some(_)) => Err(unsupported("an ambiguous column reference")),
            (None, _) => Err(unsupported(&format!("column \"{name}\" not found"))),
        }
    };
    let _ = visit_expressions_mut(e, |x| {
        let replacement = match x {
            SqlExpr::Identifier(i) => {
                let n = ident(i);
                if columns.iter().all(|c| c.name != n)
                    && i.quote_style.is_none()
                    && SPECIAL_NAMES.contains(&n.as_str())
                {
                    // current_user and friends are not column references.
                    return ControlFlow::Continue(());
                }
                lookup(&n)
            }
            SqlExpr::CompoundIdentifier(parts) => match parts.as_slice() {
                [q, c] if ident(q) == alias => lookup(&ident(c)),
                _ => Err(unsupported(
                    "a qualified name other than the subquery's alias",
                )),
            },
            _ => return ControlFlow::Continue(()),
        };
        match replacement {
            Ok(r) => {
                *x = r;
                ControlFlow::Continue(())
            }
            Err(err) => {
                failure = Some(err);
                ControlFlow::Break(())
            }
        }
    });
    match failure {
        Some(err) => Err(err),
        None => Ok(()),
    }
}
