//! SQL to requests: parse (sqlparser, PostgreSQL dialect), resolve names and
//! types, plan a `SELECT` into an index request plus a post-processing
//! program, and run that program over the index's answer.
//!
//! ```text
//! parse.rs      text -> sqlparser statements, syntax errors
//! names.rs      identifiers, the table in FROM, result column names
//! literal.rs    constants and $n parameters, coercion to a column's type,
//!               to_timestamp/to_date over constants folded
//! row.rs        row-level expressions (columns, date_trunc, extract, casts,
//!               numeric arithmetic, floor, coalesce) and WHERE -> Expr / Predicate
//! out.rs        expressions over result rows (aggregates, arithmetic, HAVING)
//! translate.rs  select list / HAVING / ORDER BY expressions -> Out
//! select.rs     SELECT -> SelectPlan
//! select/flatten.rs   FROM (SELECT ... FROM t WHERE ...) s  -> one query over t
//! select/branches.rs  agg(CASE ...), agg(coalesce(...)), agg(const) -> filtered aggregates
//! exec.rs       run a SelectPlan: request, HAVING, ORDER BY, LIMIT, projection
//! plan.rs       any statement -> Plan (select, explain, session commands)
//! ```

pub mod exec;
pub mod literal;
pub mod names;
pub mod out;
pub mod parse;
pub mod plan;
pub mod row;
pub mod select;
pub mod translate;

use isotherm_indexer::Value;

use crate::error::{SqlError, SqlResult};
use crate::types::{PgType, cast_value};

/// One result column as the client sees it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Field {
    pub name: String,
    pub ty: PgType,
    /// A plain column of a table: its table OID and attribute number, which
    /// RowDescription carries (pgjdbc looks nullability up by them).
    pub source: Option<(u32, i16)>,
}

impl Field {
    pub fn new(name: impl Into<String>, ty: PgType) -> Self {
        Field {
            name: name.into(),
            ty,
            source: None,
        }
    }
}

/// `$1..$n`: their types (declared by the client or inferred from where they
/// are used) and, once bound, their values.
#[derive(Debug, Clone, Default)]
pub struct Params {
    pub types: Vec<Option<PgType>>,
    pub values: Option<Vec<Value>>,
}

impl Params {
    /// Parameters typed by the client's Parse message (unknown types as `None`).
    pub fn declared(types: Vec<Option<PgType>>) -> Self {
        Params {
            types,
            values: None,
        }
    }

    pub fn bound(types: Vec<Option<PgType>>, values: Vec<Value>) -> Self {
        Params {
            types,
            values: Some(values),
        }
    }

    /// `$n` used where a value of `expected` type belongs. Returns its value
    /// (NULL while only describing) and its type.
    pub fn use_param(&mut self, n: usize, expected: Option<PgType>) -> SqlResult<(Value, PgType)> {
        if n == 0 {
            return Err(SqlError::UndefinedParameter(n));
        }
        if self.types.len() < n {
            if self.values.is_some() {
                return Err(SqlError::UndefinedParameter(n));
            }
            self.types.resize(n, None);
        }
        let ty = match (self.types[n - 1], expected) {
            (Some(t), _) => t,
            (None, Some(t)) => {
                self.types[n - 1] = Some(t);
                t
            }
            (None, None) => return Err(SqlError::IndeterminateParameter(n)),
        };
        let value = match &self.values {
            Some(vs) => {
                let v = vs
                    .get(n - 1)
                    .cloned()
                    .ok_or(SqlError::UndefinedParameter(n))?;
                let v = cast_value(v, ty)?;
                match expected {
                    // A fractional value against an integer column stays exact.
                    Some(PgType::Int4 | PgType::Int8)
                        if matches!(ty, PgType::Float8 | PgType::Numeric) =>
                    {
                        v
                    }
                    Some(e) if e != ty => cast_value(v, e)?,
                    _ => v,
                }
            }
            None => Value::Null,
        };
        Ok((value, ty))
    }

    /// Final parameter types; a parameter never given a type is an error.
    pub fn resolved_types(&self) -> SqlResult<Vec<PgType>> {
        self.types
            .iter()
            .enumerate()
            .map(|(i, t)| t.ok_or(SqlError::IndeterminateParameter(i + 1)))
            .collect()
    }
}
