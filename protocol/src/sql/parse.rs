//! SQL text to sqlparser statements (PostgreSQL dialect).

use sqlparser::ast::Statement;
use sqlparser::dialect::PostgreSqlDialect;
use sqlparser::parser::{Parser, ParserError};

use crate::error::{SqlError, SqlResult};

/// Parses every statement in `sql`; an empty or comment-only string gives none.
pub fn parse_sql(sql: &str) -> SqlResult<Vec<Statement>> {
    Parser::parse_sql(&PostgreSqlDialect {}, sql).map_err(|e| {
        let msg = match e {
            ParserError::TokenizerError(m) | ParserError::ParserError(m) => m,
            ParserError::RecursionLimitExceeded => "statement is too deeply nested".to_owned(),
        };
        SqlError::Syntax(format!("syntax error: {msg}"))
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn syntax_errors_are_42601() {
        let e = parse_sql("SELEC 1").err();
        assert!(matches!(e, Some(SqlError::Syntax(_))));
        assert_eq!(e.map(|e| e.sqlstate()), Some("42601"));
    }

    #[test]
    fn splits_statements_and_ignores_comments() {
        assert_eq!(
            parse_sql("SELECT 1; SELECT 2;").map(|v| v.len()).ok(),
            Some(2)
        );
        assert_eq!(parse_sql("-- nothing").map(|v| v.len()).ok(), Some(0));
    }
}
