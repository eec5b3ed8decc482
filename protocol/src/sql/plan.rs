//! Any statement to a [`Plan`]: a SELECT, an EXPLAIN of one, or a session
//! command. Everything else is 0A000 naming the statement.

use isotherm_indexer::Explain;
use sqlparser::ast::{Expr as SqlExpr, Reset, Set, Statement, UnaryOperator, Value as SqlValue};

use crate::error::{SqlError, SqlResult};
use crate::session::SessionCommand;
use crate::sql::Field;
use crate::sql::names::object_name;
use crate::sql::select::{Planner, SelectPlan, Source};
use crate::types::PgType;

#[derive(Debug, Clone, PartialEq)]
pub enum Plan {
    Select(SelectPlan),
    Explain(SelectPlan),
    Session(SessionCommand),
}

impl Plan {
    /// The result columns (empty for commands without rows).
    pub fn fields(&self) -> Vec<Field> {
        match self {
            Plan::Select(p) => p.fields.clone(),
            Plan::Explain(_) => vec![Field::new("QUERY PLAN", PgType::Text)],
            Plan::Session(SessionCommand::ShowAll) => vec![
                Field::new("name", PgType::Text),
                Field::new("setting", PgType::Text),
                Field::new("description", PgType::Text),
            ],
            Plan::Session(SessionCommand::Show(name)) => {
                vec![Field::new(name.clone(), PgType::Text)]
            }
            Plan::Session(_) => Vec::new(),
        }
    }
}

/// The text of a SET value as PostgreSQL would read it.
fn set_value(values: &[SqlExpr]) -> SqlResult<Option<String>> {
    if let [SqlExpr::Identifier(i)] = values
        && i.quote_style.is_none()
        && i.value.eq_ignore_ascii_case("default")
    {
        return Ok(None);
    }
    let mut parts = Vec::with_capacity(values.len());
    for v in values {
        parts.push(match v {
            SqlExpr::Identifier(i) => i.value.clone(),
            SqlExpr::Value(v) => match &v.value {
                SqlValue::Number(n, _) => n.clone(),
                SqlValue::Boolean(b) => if *b { "on" } else { "off" }.to_owned(),
                other => other.clone().into_string().ok_or_else(|| {
                    SqlError::Syntax(format!("syntax error at or near \"{other}\""))
                })?,
            },
            SqlExpr::UnaryOp {
                op: UnaryOperator::Minus,
                expr,
            } => match expr.as_ref() {
                SqlExpr::Value(v) => match &v.value {
                    SqlValue::Number(n, _) => format!("-{n}"),
                    _ => return Err(SqlError::Syntax(format!("syntax error at or near \"{v}\""))),
                },
                other => {
                    return Err(SqlError::Syntax(format!(
                        "syntax error at or near \"{other}\""
                    )));
                }
            },
            other => {
                return Err(SqlError::Syntax(format!(
                    "syntax error at or near \"{other}\""
                )));
            }
        });
    }
    Ok(Some(parts.join(", ")))
}

/// The first words of a statement, for "X is not supported".
fn statement_kind(stmt: &Statement) -> String {
    let text = stmt.to_string();
    let words: Vec<&str> = text.split_whitespace().take(2).collect();
    match words.as_slice() {
        [first, second]
            if matches!(
                first.to_uppercase().as_str(),
                "CREATE" | "DROP" | "ALTER" | "TRUNCATE" | "COPY" | "GRANT" | "REVOKE"
            ) =>
        {
            format!("{} {}", first.to_uppercase(), second.to_uppercase())
        }
        [first, ..] => first.to_uppercase(),
        [] => "this statement".to_owned(),
    }
}

pub fn plan_statement(stmt: &Statement, planner: &mut Planner<'_>) -> SqlResult<Plan> {
    Ok(match stmt {
        Statement::Query(q) => Plan::Select(planner.plan_query(q)?),
        Statement::Explain {
            statement, format, ..
        } => {
            if format.is_some() {
                return Err(SqlError::unsupported("EXPLAIN (FORMAT ...)"));
            }
            match statement.as_ref() {
                Statement::Query(q) => Plan::Explain(planner.plan_query(q)?),
                other => {
                    return Err(SqlError::unsupported(format!(
                        "EXPLAIN {}",
                        statement_kind(other)
                    )));
                }
            }
        }
        Statement::Set(set) => Plan::Session(match set {
            Set::SingleAssignment {
                variable, values, ..
            } => SessionCommand::Set {
                name: object_name(variable)?.join("."),
                value: set_value(values)?,
            },
            Set::SetTimeZone { value, .. } => SessionCommand::Set {
                name: "timezone".into(),
                value: set_value(std::slice::from_ref(value))?,
            },
            Set::SetNames { charset_name, .. } => SessionCommand::Set {
                name: "client_encoding".into(),
                value: Some(charset_name.value.clone()),
            },
            Set::SetTransaction { .. } => SessionCommand::Noop { tag: "SET".into() },
            _ => return Err(SqlError::unsupported("this form of SET")),
        }),
        Statement::ShowVariable { variable } => {
            let name = variable
                .iter()
                .map(|i| i.value.to_lowercase())
                .collect::<Vec<_>>()
                .join(" ");
            Plan::Session(if name == "all" {
                SessionCommand::ShowAll
            } else {
                // The column is named with the canonical spelling (`DateStyle`).
                SessionCommand::Show(planner.session.show(&name)?.0)
            })
        }
        Statement::Reset(r) => Plan::Session(match &r.reset {
            Reset::ALL => SessionCommand::ResetAll,
            Reset::ConfigurationParameter(name) => {
                SessionCommand::Reset(object_name(name)?.join("."))
            }
        }),
        Statement::StartTransaction {
            begin, statements, ..
        } => {
            if !statements.is_empty() {
                return Err(SqlError::unsupported("BEGIN ... END blocks"));
            }
            Plan::Session(SessionCommand::Begin {
                tag: if *begin { "BEGIN" } else { "START TRANSACTION" },
            })
        }
        Statement::Commit { .. } => Plan::Session(SessionCommand::Commit),
        Statement::Rollback { savepoint, .. } => {
            if savepoint.is_some() {
                return Err(SqlError::unsupported("ROLLBACK TO SAVEPOINT"));
            }
            Plan::Session(SessionCommand::Rollback)
        }
        Statement::Discard { object_type } => Plan::Session(SessionCommand::Noop {
            tag: format!("DISCARD {}", object_type.to_string().to_uppercase()),
        }),
        Statement::Deallocate { name, .. } => Plan::Session(SessionCommand::Noop {
            tag: if name.value.eq_ignore_ascii_case("all") {
                "DEALLOCATE ALL".into()
            } else {
                "DEALLOCATE".into()
            },
        }),
        other => return Err(SqlError::unsupported(statement_kind(other))),
    })
}

/// EXPLAIN's lines: what the index will do and what Isotherm does after.
pub fn explain_lines(plan: &SelectPlan, explain: Option<&Explain>) -> Vec<String> {
    let mut lines = Vec::new();
    match (&plan.source, explain) {
        (Source::Single, _) | (_, None) => lines.push("Result".to_owned()),
        (source, Some(e)) => {
            let (kind, table, detail) = match source {
                Source::Aggregate(r) => (
                    "Aggregate",
                    r.table.as_str(),
                    format!(
                        "{} group key(s), {} aggregate(s)",
                        r.group_by.len(),
                        r.aggregates.len()
                    ),
                ),
                Source::Scan(r) => (
                    "Scan",
                    r.table.as_str(),
                    format!("{} column(s)", r.columns.len()),
                ),
                Source::Single => ("Result", "", String::new()),
            };
            lines.push(format!("Isotherm {kind} on {table} ({detail})"));
            lines.push(format!("  Path: {}", e.path));
            lines.push(format!("  Index: {}", e.index.as_deref().unwrap_or("none")));
            lines.push(format!("  Reason: {}", e.reason));
            lines.push(format!(
                "  Segments: {} of {} selected",
                e.segments_selected, e.segments_total
            ));
        }
    }
    if let Some(f) = crate::sql::select::plan_filter(plan) {
        lines.push(format!("  Filter: {f:?}"));
    }
    let mut post = Vec::new();
    if plan.having.is_some() {
        post.push("HAVING");
    }
    if !plan.order_by.is_empty() {
        post.push("ORDER BY");
    }
    if plan.distinct {
        post.push("DISTINCT");
    }
    if plan.offset > 0 {
        post.push("OFFSET");
    }
    if plan.limit.is_some() {
        post.push("LIMIT");
    }
    if !post.is_empty() {
        lines.push(format!("  Post-processing: {}", post.join(", ")));
    }
    lines
}
