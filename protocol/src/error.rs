//! The protocol crate's one error type and its SQLSTATE mapping.
//!
//! Every error a client can see goes through [`SqlError::sqlstate`]: user
//! mistakes get the class PostgreSQL would use (42xxx for names and syntax,
//! 22xxx for bad values, 0A000 for SQL Isotherm does not do), and only real
//! internal failures get XX000.

use isotherm_indexer::IndexError;
use pgwire::error::{ErrorInfo, PgWireError};

#[derive(Debug, thiserror::Error)]
pub enum SqlError {
    /// 42601: the parser's message.
    #[error("{0}")]
    Syntax(String),
    /// 0A000: valid SQL that Isotherm does not do; names the construct.
    #[error("{0} is not supported")]
    Unsupported(String),
    /// 0A000 with PostgreSQL's own wording (`unit "hour" not supported for type date`).
    #[error("{0}")]
    FeatureNotSupported(String),
    /// 42P01
    #[error("relation \"{0}\" does not exist")]
    UndefinedTable(String),
    /// 42P01: `t.x` where no FROM item is called `t`.
    #[error("missing FROM-clause entry for table \"{0}\"")]
    MissingFromEntry(String),
    /// 42P01: `temperatures.x` after `FROM temperatures AS t`.
    #[error("invalid reference to FROM-clause entry for table \"{0}\"")]
    InvalidFromReference(String),
    /// 42703; carries the reference as PostgreSQL prints it: `"x"` or `t.x`.
    #[error("column {0} does not exist")]
    UndefinedColumn(String),
    /// 42883: a function or operator that does not exist for these types.
    #[error("{0}")]
    UndefinedFunction(String),
    /// 42803
    #[error("{0}")]
    Grouping(String),
    /// 42804
    #[error("{0}")]
    DatatypeMismatch(String),
    /// 42P18
    #[error("could not determine data type of parameter ${0}")]
    IndeterminateParameter(usize),
    /// 42P02
    #[error("there is no parameter ${0}")]
    UndefinedParameter(usize),
    /// 42P10: `ORDER BY 7` / `GROUP BY 7` past the select list.
    #[error("{0}")]
    InvalidColumnReference(String),
    /// 42702
    #[error("{0}")]
    AmbiguousColumn(String),
    /// 22P02: a number (or boolean) the type cannot read.
    #[error("invalid input syntax for type {ty}: \"{value}\"")]
    InvalidText { ty: &'static str, value: String },
    /// 22007: a date or timestamp the type cannot read.
    #[error("invalid input syntax for type {ty}: \"{value}\"")]
    InvalidDatetime { ty: &'static str, value: String },
    /// 22008: a date/time with a field out of range (`2024-13-45`).
    #[error("date/time field value out of range: \"{0}\"")]
    DatetimeFieldOverflow(String),
    /// 22003
    #[error("{0}")]
    NumericOutOfRange(String),
    /// 22012
    #[error("division by zero")]
    DivisionByZero,
    /// 22023: a bad value for SET.
    #[error("{0}")]
    InvalidParameterValue(String),
    /// 2201W / 2201X
    #[error("{message}")]
    InvalidRowCount { code: &'static str, message: String },
    /// 42704: `SHOW nonsense`.
    #[error("unrecognized configuration parameter \"{0}\"")]
    UnknownSetting(String),
    /// 42704: `'1'::nosuchtype`.
    #[error("type \"{0}\" does not exist")]
    UndefinedObjectType(String),
    /// 55P02: SET of a read-only setting.
    #[error("parameter \"{0}\" cannot be changed")]
    CantChangeRuntimeParam(String),
    /// 25P02
    #[error("current transaction is aborted, commands ignored until end of transaction block")]
    InFailedTransaction,
    /// 08P01
    #[error("{0}")]
    ProtocolViolation(String),
    /// 25P01: `SAVEPOINT` / `DECLARE CURSOR` outside a transaction block.
    #[error("{0} can only be used in transaction blocks")]
    NoActiveTransaction(&'static str),
    /// 25001: `DISCARD ALL` inside a transaction block.
    #[error("{0} cannot run inside a transaction block")]
    ActiveTransaction(&'static str),
    /// 25006: writes (`COPY ... FROM`) to a read-only server.
    #[error("{0}")]
    ReadOnly(String),
    /// 34000
    #[error("cursor \"{0}\" does not exist")]
    UndefinedCursor(String),
    /// 42P03
    #[error("cursor \"{0}\" already exists")]
    DuplicateCursor(String),
    /// 26000
    #[error("prepared statement \"{0}\" does not exist")]
    UndefinedStatement(String),
    /// 3B001
    #[error("savepoint \"{0}\" does not exist")]
    UndefinedSavepoint(String),
    /// 55000: `FETCH BACKWARD` on a `NO SCROLL` cursor.
    #[error("{0}")]
    NotInPrerequisiteState(String),
    /// 57014
    #[error("canceling statement due to user request")]
    Canceled,
    /// Whatever the general engine said, with its SQLSTATE.
    #[error("{message}")]
    Engine { code: &'static str, message: String },
    /// Whatever the index said, mapped by variant.
    #[error(transparent)]
    Index(#[from] IndexError),
    /// XX000: an internal invariant failed.
    #[error("internal error: {0}")]
    Internal(String),
}

pub type SqlResult<T> = Result<T, SqlError>;

impl SqlError {
    pub fn unsupported(what: impl Into<String>) -> Self {
        SqlError::Unsupported(what.into())
    }

    /// The five-character SQLSTATE PostgreSQL would send for this error.
    pub fn sqlstate(&self) -> &'static str {
        match self {
            SqlError::Syntax(_) => "42601",
            SqlError::Unsupported(_) | SqlError::FeatureNotSupported(_) => "0A000",
            SqlError::UndefinedTable(_)
            | SqlError::MissingFromEntry(_)
            | SqlError::InvalidFromReference(_) => "42P01",
            SqlError::UndefinedColumn(_) => "42703",
            SqlError::UndefinedFunction(_) => "42883",
            SqlError::Grouping(_) => "42803",
            SqlError::DatatypeMismatch(_) => "42804",
            SqlError::IndeterminateParameter(_) => "42P18",
            SqlError::UndefinedParameter(_) => "42P02",
            SqlError::InvalidColumnReference(_) => "42P10",
            SqlError::AmbiguousColumn(_) => "42702",
            SqlError::InvalidText { .. } => "22P02",
            SqlError::InvalidDatetime { .. } => "22007",
            SqlError::DatetimeFieldOverflow(_) => "22008",
            SqlError::NumericOutOfRange(_) => "22003",
            SqlError::DivisionByZero => "22012",
            SqlError::InvalidParameterValue(_) => "22023",
            SqlError::InvalidRowCount { code, .. } => code,
            SqlError::UnknownSetting(_) | SqlError::UndefinedObjectType(_) => "42704",
            SqlError::CantChangeRuntimeParam(_) => "55P02",
            SqlError::InFailedTransaction => "25P02",
            SqlError::ProtocolViolation(_) => "08P01",
            SqlError::NoActiveTransaction(_) => "25P01",
            SqlError::ActiveTransaction(_) => "25001",
            SqlError::ReadOnly(_) => "25006",
            SqlError::UndefinedCursor(_) => "34000",
            SqlError::DuplicateCursor(_) => "42P03",
            SqlError::UndefinedStatement(_) => "26000",
            SqlError::UndefinedSavepoint(_) => "3B001",
            SqlError::NotInPrerequisiteState(_) => "55000",
            SqlError::Canceled => "57014",
            SqlError::Engine { code, .. } => code,
            SqlError::Index(e) => index_sqlstate(e),
            SqlError::Internal(_) => "XX000",
        }
    }

    /// The message PostgreSQL would print (the index's own wording is kept
    /// except where PostgreSQL's differs).
    pub fn message(&self) -> String {
        match self {
            SqlError::Index(IndexError::UnknownColumn { column, .. }) => {
                format!("column \"{column}\" does not exist")
            }
            other => other.to_string(),
        }
    }

    /// The error as pgwire sends it.
    pub fn to_error_info(&self) -> ErrorInfo {
        let mut info = ErrorInfo::new(
            "ERROR".to_owned(),
            self.sqlstate().to_owned(),
            self.message(),
        );
        if matches!(self, SqlError::DatetimeFieldOverflow(_)) {
            info.hint = Some("Perhaps you need a different \"datestyle\" setting.".to_owned());
        }
        info
    }
}

impl From<isotherm_engine::EngineError> for SqlError {
    fn from(e: isotherm_engine::EngineError) -> Self {
        SqlError::Engine {
            code: e.sqlstate,
            message: e.message,
        }
    }
}

fn index_sqlstate(e: &IndexError) -> &'static str {
    match e {
        IndexError::UnknownTable(_) => "42P01",
        IndexError::UnknownColumn { .. } => "42703",
        IndexError::Unsupported(_) => "0A000",
        IndexError::UndefinedFunction(_) => "42883",
        IndexError::TypeMismatch(_) => "42804",
        IndexError::InvalidValue { ty, .. } => match *ty {
            "date"
            | "timestamp"
            | "timestamptz"
            | "timestamp without time zone"
            | "timestamp with time zone" => "22007",
            _ => "22P02",
        },
        IndexError::Corrupted { .. } => "XX001",
        _ => "XX000",
    }
}

impl From<SqlError> for PgWireError {
    fn from(e: SqlError) -> Self {
        PgWireError::UserError(Box::new(e.to_error_info()))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn index_errors_map_to_postgres_codes() {
        let cases: Vec<(IndexError, &str)> = vec![
            (IndexError::UnknownTable("t".into()), "42P01"),
            (
                IndexError::UnknownColumn {
                    table: "t".into(),
                    column: "c".into(),
                },
                "42703",
            ),
            (IndexError::Unsupported("x".into()), "0A000"),
            (IndexError::UndefinedFunction("sum(text)".into()), "42883"),
            (IndexError::TypeMismatch("x".into()), "42804"),
            (
                IndexError::InvalidValue {
                    ty: "date",
                    value: "x".into(),
                },
                "22007",
            ),
            (
                IndexError::InvalidValue {
                    ty: "double precision",
                    value: "x".into(),
                },
                "22P02",
            ),
            (
                IndexError::Corrupted {
                    table: "t".into(),
                    partition: "p".into(),
                    path: "/x".into(),
                },
                "XX001",
            ),
            (IndexError::Internal("x".into()), "XX000"),
            (IndexError::BadParquet("x".into()), "XX000"),
        ];
        for (e, code) in cases {
            assert_eq!(SqlError::from(e).sqlstate(), code);
        }
    }

    #[test]
    fn unknown_column_message_matches_postgres() {
        let e = SqlError::from(IndexError::UnknownColumn {
            table: "t".into(),
            column: "nope".into(),
        });
        assert_eq!(e.message(), "column \"nope\" does not exist");
    }

    #[test]
    fn user_errors_never_internal() {
        for e in [
            SqlError::Syntax("x".into()),
            SqlError::unsupported("JOIN"),
            SqlError::DivisionByZero,
            SqlError::InvalidText {
                ty: "double precision",
                value: "x".into(),
            },
        ] {
            assert!(!e.sqlstate().starts_with("XX"));
        }
        assert_eq!(
            SqlError::unsupported("JOIN").message(),
            "JOIN is not supported"
        );
        assert_eq!(SqlError::Canceled.sqlstate(), "57014");
        assert_eq!(
            SqlError::Canceled.message(),
            "canceling statement due to user request"
        );
        let e = SqlError::from(isotherm_engine::EngineError::new("42P01", "nope"));
        assert_eq!((e.sqlstate(), e.message().as_str()), ("42P01", "nope"));
    }
}
