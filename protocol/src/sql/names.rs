//! Names: identifier folding, the one table in FROM, column references, and
//! the names PostgreSQL gives result columns.
//!
//! Unquoted identifiers fold to lower case, quoted ones are exact. A table
//! may be named `t`, `public.t` or `<database>.public.t` and aliased; once
//! aliased, columns may be qualified only by the alias (as in PostgreSQL).

use std::sync::Arc;

use isotherm_indexer::{ColumnDef, TableSchema};
use sqlparser::ast::{Ident, ObjectName, ObjectNamePart, TableFactor, TableWithJoins};

use crate::backend::Backend;
use crate::error::{SqlError, SqlResult};
use crate::session::Session;

pub use isotherm_engine::names::ident;

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
    session: &Session,
) -> SqlResult<Option<TableScope>> {
    let database = session.database();
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
        [t] if session.searches_public() => t.clone(),
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

/// PostgreSQL's `FigureColname` (shared with the general engine).
pub use isotherm_engine::names::column_name;
