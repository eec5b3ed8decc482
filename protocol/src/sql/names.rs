//! Names: identifier folding, the one table in FROM, column references, and
//! the names PostgreSQL gives result columns.
//!
//! Unquoted identifiers fold to lower case, quoted ones are exact. A table
//! may be named `t`, `public.t` or `<database>.public.t` and aliased; once
//! aliased, columns may be qualified only by the alias (as in PostgreSQL).

use std::sync::Arc;

use isotherm_indexer::{ColumnDef, TableSchema};
use sqlparser::ast::{
    CastKind, DataType, Expr, Ident, ObjectName, ObjectNamePart, TableFactor, TableWithJoins,
    Value as SqlValue,
};

use crate::backend::Backend;
use crate::error::{SqlError, SqlResult};

pub fn ident(id: &Ident) -> String {
    if id.quote_style.is_some() {
        id.value.clone()
    } else {
        id.value.to_lowercase()
    }
}

/// The parts of a dotted name, folded.
pub fn object_name(name: &ObjectName) -> SqlResult<Vec<String>> {
    name.0
        .iter()
        .map(|p| match p {
            ObjectNamePart::Identifier(i) => Ok(ident(i)),
            ObjectNamePart::Function(_) => Err(SqlError::unsupported("functions in object names")),
        })
        .collect()
}

/// The table in FROM, as the query refers to it.
#[derive(Debug, Clone)]
pub struct TableScope {
    pub schema: Arc<TableSchema>,
    /// The table's own name.
    pub table: String,
    pub alias: Option<String>,
    pub database: String,
}

impl TableScope {
    /// The name columns are qualified with: the alias if any, else the table.
    pub fn visible_name(&self) -> &str {
        self.alias.as_deref().unwrap_or(&self.table)
    }

    /// Resolves a column reference (`x`, `t.x`, `public.t.x`, `db.public.t.x`).
    pub fn column(&self, parts: &[Ident]) -> SqlResult<&ColumnDef> {
        let names: Vec<String> = parts.iter().map(ident).collect();
        let (qualifier, col) = match names.split_last() {
            Some((col, q)) => (q, col),
            None => return Err(SqlError::Internal("empty column reference".into())),
        };
        let qualifies = match qualifier {
            [] => true,
            [t] => t == self.visible_name(),
            [s, t] => self.alias.is_none() && s == "public" && t == &self.table,
            [d, s, t] => {
                self.alias.is_none() && d == &self.database && s == "public" && t == &self.table
            }
            _ => false,
        };
        if !qualifies {
            let q = qualifier.last().map_or("", String::as_str);
            if self.alias.is_some() && q == self.table {
                return Err(SqlError::InvalidFromReference(q.to_owned()));
            }
            return Err(SqlError::MissingFromEntry(q.to_owned()));
        }
        self.schema.column(col).ok_or_else(|| {
            if qualifier.is_empty() {
                SqlError::UndefinedColumn(format!("\"{col}\""))
            } else {
                SqlError::UndefinedColumn(format!("{}.{col}", qualifier.join(".")))
            }
        })
    }
}

/// Resolves FROM: exactly one plain table, optionally aliased.
pub fn resolve_from(
    from: &[TableWithJoins],
    backend: &dyn Backend,
    database: &str,
) -> SqlResult<Option<TableScope>> {
    let first = match from {
        [] => return Ok(None),
        [one] => one,
        _ => return Err(SqlError::unsupported("JOIN (several tables in FROM)")),
    };
    if !first.joins.is_empty() {
        return Err(SqlError::unsupported("JOIN"));
    }
    let (name, alias, args) = match &first.relation {
        TableFactor::Table {
            name, alias, args, ..
        } => (name, alias, args),
        TableFactor::Derived { .. } => return Err(SqlError::unsupported("subquery in FROM")),
        TableFactor::Function { .. } | TableFactor::TableFunction { .. } => {
            return Err(SqlError::unsupported("table function in FROM"));
        }
        TableFactor::NestedJoin { .. } => return Err(SqlError::unsupported("JOIN")),
        _ => return Err(SqlError::unsupported("this kind of FROM item")),
    };
    if args.is_some() {
        return Err(SqlError::unsupported("table function in FROM"));
    }
    let parts = object_name(name)?;
    let table = match parts.as_slice() {
        [t] => t.clone(),
        [s, t] if s == "public" => t.clone(),
        [d, s, t] if s == "public" => {
            if d != database {
                return Err(SqlError::FeatureNotSupported(format!(
                    "cross-database references are not implemented: \"{}\"",
                    parts.join(".")
                )));
            }
            t.clone()
        }
        _ => return Err(SqlError::UndefinedTable(parts.join("."))),
    };
    let schema = backend.schema(&table).map_err(|e| match e {
        isotherm_indexer::IndexError::UnknownTable(_) => SqlError::UndefinedTable(table.clone()),
        other => SqlError::Index(other),
    })?;
    if let Some(a) = alias
        && !a.columns.is_empty()
    {
        return Err(SqlError::unsupported("column aliases in FROM"));
    }
    Ok(Some(TableScope {
        schema,
        table,
        alias: alias.as_ref().map(|a| ident(&a.name)),
        database: database.to_owned(),
    }))
}

/// The internal type name a cast gives its column (`'1'::int` is `int4`).
fn cast_type_name(dt: &DataType) -> String {
    crate::sql::literal::data_type(dt)
        .map(|t| t.internal_name().to_owned())
        .unwrap_or_else(|_| dt.to_string().to_lowercase())
}

/// PostgreSQL's `FigureColname`: the name of a result column with no alias,
/// and how strongly the expression names it (2 name, 1 type, 0 none).
pub fn column_name(expr: &Expr) -> (String, u8) {
    match expr {
        Expr::Identifier(i) => (ident(i), 2),
        Expr::CompoundIdentifier(parts) => (parts.last().map(ident).unwrap_or_default(), 2),
        Expr::Function(f) => {
            let name = f
                .name
                .0
                .last()
                .and_then(|p| p.as_ident())
                .map(ident)
                .unwrap_or_default();
            (name, 2)
        }
        Expr::Extract { .. } => ("extract".into(), 2),
        Expr::Ceil { .. } => ("ceil".into(), 2),
        Expr::Floor { .. } => ("floor".into(), 2),
        Expr::Substring { .. } => ("substring".into(), 2),
        Expr::Trim { .. } => ("btrim".into(), 2),
        Expr::Position { .. } => ("position".into(), 2),
        Expr::Case { .. } => ("case".into(), 1),
        Expr::Nested(e) => column_name(e),
        Expr::Cast {
            expr,
            data_type,
            kind,
            ..
        } => {
            let (name, strength) = column_name(expr);
            if strength <= 1 && !matches!(kind, CastKind::TryCast | CastKind::SafeCast) {
                (cast_type_name(data_type), 1)
            } else {
                (name, strength)
            }
        }
        Expr::TypedString(ts) => (cast_type_name(&ts.data_type), 1),
        Expr::Value(v) if matches!(v.value, SqlValue::Boolean(_)) => ("bool".into(), 1),
        _ => ("?column?".into(), 0),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::sql::parse::parse_sql;
    use sqlparser::ast::{SelectItem, SetExpr, Statement};

    fn first_item(sql: &str) -> Option<Expr> {
        let stmts = parse_sql(sql).ok()?;
        let Statement::Query(q) = stmts.first()? else {
            return None;
        };
        let SetExpr::Select(s) = q.body.as_ref() else {
            return None;
        };
        match s.projection.first()? {
            SelectItem::UnnamedExpr(e) => Some(e.clone()),
            _ => None,
        }
    }

    #[test]
    fn figure_colname_like_postgres() {
        let cases = [
            ("SELECT Region", "region"),
            ("SELECT \"Region\"", "Region"),
            ("SELECT t.region", "region"),
            ("SELECT count(*)", "count"),
            ("SELECT max(x) - min(x)", "?column?"),
            ("SELECT 1", "?column?"),
            ("SELECT '1'::int", "int4"),
            ("SELECT avg(x)::numeric", "avg"),
            ("SELECT extract(year from d)", "extract"),
            ("SELECT date_trunc('day', d)", "date_trunc"),
            ("SELECT true", "bool"),
            ("SELECT DATE '2024-06-01'", "date"),
            ("SELECT CAST(x AS date)", "x"),
            ("SELECT current_user", "current_user"),
        ];
        for (sql, want) in cases {
            let e = first_item(sql);
            assert_eq!(e.map(|e| column_name(&e).0).as_deref(), Some(want), "{sql}");
        }
    }
}
