//! [`EngineError`]: a DataFusion (or catalog) failure with the SQLSTATE a
//! PostgreSQL client expects for it.
//!
//! DataFusion reports most user mistakes as `Plan` or `Schema` errors with
//! English messages; [`EngineError::from`] unwraps context layers, then
//! classifies by variant and, where the variant is too coarse, by DataFusion's
//! message wording (pinned by the tests below, so a DataFusion upgrade that
//! rewords one fails here, not at a client). Messages are rewritten to
//! PostgreSQL's (`relation "x" does not exist`). Functions of this crate
//! raise an exact SQLSTATE by prefixing the message with [`SQLSTATE_TAG`].

use datafusion::arrow::error::ArrowError;
use datafusion::common::SchemaError;
use datafusion::error::DataFusionError;
use isotherm_indexer::IndexError;

/// `"[sqlstate XXXXX] "` before a message sets its SQLSTATE exactly.
pub const SQLSTATE_TAG: &str = "[sqlstate ";

/// A failure of the general engine, ready for the wire.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{message}")]
pub struct EngineError {
    /// The five-character SQLSTATE (`42P01`, `42703`, `0A000`, ...).
    pub sqlstate: &'static str,
    pub message: String,
}

pub type EngineResult<T> = Result<T, EngineError>;

impl EngineError {
    pub fn new(sqlstate: &'static str, message: impl Into<String>) -> Self {
        EngineError {
            sqlstate,
            message: message.into(),
        }
    }

    pub fn internal(message: impl Into<String>) -> Self {
        EngineError::new("XX000", message)
    }

    pub fn syntax(message: impl Into<String>) -> Self {
        EngineError::new("42601", message)
    }

    pub fn unsupported(message: impl Into<String>) -> Self {
        EngineError::new("0A000", message)
    }
}

impl From<DataFusionError> for EngineError {
    fn from(e: DataFusionError) -> Self {
        classify(e)
    }
}

/// The SQLSTATEs this crate knows, so a tag's code becomes `&'static str`.
const KNOWN: &[&str] = &[
    "0A000", "22003", "22007", "22008", "22012", "22023", "22P02", "42601", "42602", "42702",
    "42P10", "42703", "42704", "42804", "42883", "42P01", "42P02", "53200", "54000", "57014",
    "XX000",
];

fn known(code: &str) -> Option<&'static str> {
    KNOWN.iter().copied().find(|k| *k == code)
}

fn classify(e: DataFusionError) -> EngineError {
    match e {
        DataFusionError::Context(_, inner) | DataFusionError::Diagnostic(_, inner) => {
            classify(*inner)
        }
        DataFusionError::Shared(shared) => match std::sync::Arc::try_unwrap(shared) {
            Ok(inner) => classify(inner),
            Err(shared) => from_message(&shared.to_string()),
        },
        DataFusionError::Collection(mut errors) if !errors.is_empty() => classify(errors.remove(0)),
        DataFusionError::SQL(parse, _) => EngineError::syntax(syntax_message(&parse.to_string())),
        DataFusionError::SchemaError(schema, _) => from_schema(&schema),
        DataFusionError::NotImplemented(msg) => EngineError::unsupported(msg),
        DataFusionError::ArrowError(arrow, _) => from_arrow(&arrow),
        DataFusionError::ResourcesExhausted(msg) => EngineError::new("53200", msg),
        DataFusionError::External(ext) => {
            if let Some(ix) = ext.downcast_ref::<IndexError>() {
                return from_index(ix);
            }
            match ext.downcast::<DataFusionError>() {
                Ok(df) => classify(*df),
                Err(other) => from_message(&other.to_string()),
            }
        }
        DataFusionError::Plan(msg)
        | DataFusionError::Execution(msg)
        | DataFusionError::Internal(msg)
        | DataFusionError::Configuration(msg)
        | DataFusionError::Substrait(msg) => from_message(&msg),
        other => from_message(&other.to_string()),
    }
}

fn from_index(e: &IndexError) -> EngineError {
    let code = match e {
        IndexError::UnknownTable(_) => "42P01",
        IndexError::UnknownColumn { .. } => "42703",
        IndexError::Unsupported(_) => "0A000",
        IndexError::UndefinedFunction(_) => "42883",
        IndexError::TypeMismatch(_) => "42804",
        IndexError::InvalidValue { .. } => "22P02",
        IndexError::Corrupted { .. } => "XX001",
        _ => "XX000",
    };
    EngineError::new(code, e.to_string())
}

fn from_schema(e: &SchemaError) -> EngineError {
    match e {
        SchemaError::FieldNotFound { field, .. } => {
            EngineError::new("42703", format!("column \"{}\" does not exist", field.name))
        }
        SchemaError::AmbiguousReference { field } => EngineError::new(
            "42702",
            format!("column reference \"{}\" is ambiguous", field.name),
        ),
        SchemaError::DuplicateQualifiedField { name, .. }
        | SchemaError::DuplicateUnqualifiedField { name } => EngineError::new(
            "42712",
            format!("table name \"{name}\" specified more than once"),
        ),
    }
}

fn from_arrow(e: &ArrowError) -> EngineError {
    match e {
        ArrowError::DivideByZero => EngineError::new("22012", "division by zero"),
        ArrowError::ArithmeticOverflow(msg) => EngineError::new("22003", msg.clone()),
        ArrowError::CastError(msg) | ArrowError::ParseError(msg) => {
            out_of_range(msg).unwrap_or_else(|| EngineError::new("22P02", cast_message(msg)))
        }
        ArrowError::ExternalError(inner) => from_message(&inner.to_string()),
        other => EngineError::internal(other.to_string()),
    }
}

/// Classifies a message by DataFusion's wording.
fn from_message(msg: &str) -> EngineError {
    if let Some(rest) = msg
        .find(SQLSTATE_TAG)
        .map(|i| &msg[i + SQLSTATE_TAG.len()..])
        && let Some((code, text)) = rest.split_once("]: ")
        && let Some(code) = known(code)
    {
        return EngineError::new(code, text.trim());
    }
    let lower = msg.to_ascii_lowercase();
    if let Some(name) = quoted_after(msg, "table '")
        && lower.contains("not found")
    {
        let bare = name.rsplit('.').next().unwrap_or(&name).to_owned();
        return EngineError::new("42P01", format!("relation \"{bare}\" does not exist"));
    }
    if let Some(name) = quoted_after(msg, "Invalid function '") {
        return EngineError::new("42883", format!("function {name} does not exist"));
    }
    if lower.contains("no function matches the given name and argument types")
        || lower.contains("does not support") && lower.contains("function")
        || lower.contains("failed to coerce arguments")
        || lower.contains("coercion from")
    {
        return EngineError::new("42883", first_line(msg));
    }
    if let Some(name) = quoted_after(msg, "column '")
        && lower.contains("not found")
    {
        return EngineError::new("42703", format!("column \"{name}\" does not exist"));
    }
    if lower.contains("ambiguous") {
        return EngineError::new("42702", first_line(msg));
    }
    if lower.contains("cannot find column with position") {
        // `GROUP BY 2` / `ORDER BY 2` past the select list.
        return EngineError::new("42P10", first_line(msg));
    }
    if lower.contains("error parsing timestamp") || lower.contains("error parsing date") {
        return EngineError::new("22007", first_line(msg));
    }
    if lower.contains("divide by zero") || lower.contains("division by zero") {
        return EngineError::new("22012", "division by zero");
    }
    if let Some(e) = out_of_range(msg) {
        return e;
    }
    if lower.contains("cannot cast") || lower.contains("cast error") {
        return EngineError::new("22P02", cast_message(msg));
    }
    if lower.contains("overflow") {
        return EngineError::new("22003", first_line(msg));
    }
    if lower.contains("unsupported")
        || lower.contains("not supported")
        || lower.contains("not implemented")
    {
        return EngineError::unsupported(first_line(msg));
    }
    if lower.contains("cannot infer common")
        || lower.contains("type mismatch")
        || lower.contains("not compatible")
    {
        return EngineError::new("42804", first_line(msg));
    }
    EngineError::internal(first_line(msg))
}

/// `'name'` following `prefix` in `msg`.
fn quoted_after(msg: &str, prefix: &str) -> Option<String> {
    let start = msg.find(prefix)? + prefix.len();
    let end = msg[start..].find('\'')?;
    Some(msg[start..start + end].to_owned())
}

fn first_line(msg: &str) -> String {
    msg.lines().next().unwrap_or(msg).trim().to_owned()
}

/// A number cast to a type too small for it (`Can't cast value 1.5e100 to
/// type Int32`): PostgreSQL's 22003 and its words (`integer out of range`).
fn out_of_range(msg: &str) -> Option<EngineError> {
    let ty = msg
        .strip_prefix("Cast error: ")
        .unwrap_or(msg)
        .strip_prefix("Can't cast value ")?
        .split(" to type ")
        .nth(1)?;
    let name = match ty.trim() {
        "Int16" => "smallint",
        "Int32" => "integer",
        "Int64" => "bigint",
        _ => return None,
    };
    Some(EngineError::new("22003", format!("{name} out of range")))
}

/// `Cannot cast string 'abc' to value of Int64 type` ->
/// `invalid input syntax for type bigint: "abc"`.
fn cast_message(msg: &str) -> String {
    if let Some(value) = quoted_after(msg, "Cannot cast string '") {
        let ty = if msg.contains("Int") {
            Some("bigint")
        } else if msg.contains("Float") {
            Some("double precision")
        } else if msg.contains("Date") {
            Some("date")
        } else if msg.contains("Timestamp") {
            Some("timestamp")
        } else if msg.contains("Boolean") {
            Some("boolean")
        } else {
            None
        };
        if let Some(ty) = ty {
            return format!("invalid input syntax for type {ty}: \"{value}\"");
        }
    }
    first_line(msg)
}

/// PostgreSQL says `syntax error at or near "x"`; sqlparser says
/// `Expected: ..., found: x at Line: 1, Column: 8`.
fn syntax_message(msg: &str) -> String {
    let msg = msg.strip_prefix("sql parser error: ").unwrap_or(msg);
    if let Some(i) = msg.find("found: ") {
        let rest = &msg[i + "found: ".len()..];
        let token = rest.split(" at Line").next().unwrap_or(rest).trim();
        if token == "EOF" {
            return "syntax error at end of input".to_owned();
        }
        return format!("syntax error at or near \"{token}\"");
    }
    format!("syntax error: {msg}")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tagged_messages_keep_their_sqlstate() {
        let e = EngineError::from(DataFusionError::Execution(format!(
            "{SQLSTATE_TAG}42704]: unrecognized configuration parameter \"x\""
        )));
        assert_eq!(e.sqlstate, "42704");
        assert_eq!(e.message, "unrecognized configuration parameter \"x\"");
    }

    #[test]
    fn syntax_errors_read_like_postgres() {
        assert_eq!(
            syntax_message(
                "sql parser error: Expected: an expression, found: FROM at Line: 1, Column: 8"
            ),
            "syntax error at or near \"FROM\""
        );
        assert_eq!(
            syntax_message("Expected: an expression, found: EOF"),
            "syntax error at end of input"
        );
    }

    #[test]
    fn index_errors_map_by_variant() {
        let e = EngineError::from(DataFusionError::External(Box::new(
            IndexError::UnknownTable("x".into()),
        )));
        assert_eq!(e.sqlstate, "42P01");
        assert_eq!(e.message, "relation \"x\" does not exist");
    }

    #[test]
    fn cast_failures_are_invalid_text_representation() {
        let e = EngineError::from(DataFusionError::ArrowError(
            Box::new(ArrowError::CastError(
                "Cannot cast string 'abc' to value of Int64 type".into(),
            )),
            None,
        ));
        assert_eq!(e.sqlstate, "22P02");
        assert_eq!(e.message, "invalid input syntax for type bigint: \"abc\"");
        // DataFusion 55's wording for a number too large for the type.
        let e = EngineError::from(DataFusionError::ArrowError(
            Box::new(ArrowError::CastError(
                "Can't cast value 1.5e100 to type Int32".into(),
            )),
            None,
        ));
        assert_eq!(
            (e.sqlstate, e.message.as_str()),
            ("22003", "integer out of range")
        );
        let e = from_message("Cast error: Can't cast value 1e30 to type Int64");
        assert_eq!(
            (e.sqlstate, e.message.as_str()),
            ("22003", "bigint out of range")
        );
    }
}
