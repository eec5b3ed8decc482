//! PostgreSQL's names for result columns (`FigureColname` in
//! `parser/parse_target.c`), which clients show and key results by.
//!
//! DataFusion names an unaliased expression by its text
//! (`format_type(a.atttypid,a.atttypmod)`); PostgreSQL by what the
//! expression is: a column its name, a function call the function's name, a
//! cast its operand's name or else the type's, `CASE` `case`, anything else
//! `?column?`. [`output_names`] computes them from the statement as the
//! client wrote it; [`rename`] puts them on a planned schema.

use std::sync::Arc;

use datafusion::arrow::datatypes::{Field, Schema, SchemaRef};
use datafusion::sql::sqlparser::ast::{
    CastKind, DataType, Expr, Ident, ObjectName, Query, SelectItem, SetExpr, Statement,
    TimezoneInfo, Value,
};

/// An identifier as PostgreSQL folds it (unquoted: lower case).
pub fn ident(i: &Ident) -> String {
    if i.quote_style.is_some() {
        i.value.clone()
    } else {
        i.value.to_lowercase()
    }
}

fn last_part(name: &ObjectName) -> String {
    name.0
        .last()
        .and_then(|p| p.as_ident())
        .map(ident)
        .unwrap_or_default()
}

/// The name of a result column with no alias, and how strongly the
/// expression names it (2: a name, 1: a type or keyword, 0: none).
pub fn column_name(expr: &Expr) -> (String, u8) {
    match expr {
        Expr::Identifier(i) => (ident(i), 2),
        Expr::CompoundIdentifier(parts) => (parts.last().map(ident).unwrap_or_default(), 2),
        Expr::Function(f) => (last_part(&f.name), 2),
        Expr::Extract { .. } => ("extract".into(), 2),
        Expr::Ceil { .. } => ("ceil".into(), 2),
        Expr::Floor { .. } => ("floor".into(), 2),
        Expr::Substring { .. } => ("substring".into(), 2),
        Expr::Trim { .. } => ("btrim".into(), 2),
        Expr::Position { .. } => ("position".into(), 2),
        Expr::Overlay { .. } => ("overlay".into(), 2),
        Expr::Exists { .. } => ("exists".into(), 2),
        Expr::Array(_) => ("array".into(), 2),
        Expr::Case { .. } => ("case".into(), 1),
        Expr::Nested(e) => column_name(e),
        Expr::Subquery(q) => match first_item_name(q) {
            Some(n) => (n, 2),
            None => ("?column?".into(), 0),
        },
        Expr::Cast {
            expr,
            data_type,
            kind,
            ..
        } => {
            let (name, strength) = column_name(expr);
            if strength <= 1 && !matches!(kind, CastKind::TryCast | CastKind::SafeCast) {
                (type_name(data_type), 1)
            } else {
                (name, strength)
            }
        }
        Expr::TypedString(ts) => (type_name(&ts.data_type), 1),
        Expr::Value(v) if matches!(v.value, Value::Boolean(_)) => ("bool".into(), 1),
        _ => ("?column?".into(), 0),
    }
}

/// The name PostgreSQL gives the first column of a scalar subquery.
fn first_item_name(q: &Query) -> Option<String> {
    let mut body = q.body.as_ref();
    loop {
        match body {
            SetExpr::Select(s) => {
                return match s.projection.first()? {
                    SelectItem::UnnamedExpr(e) => Some(column_name(e).0),
                    SelectItem::ExprWithAlias { alias, .. } => Some(ident(alias)),
                    _ => None,
                };
            }
            SetExpr::Query(q) => body = q.body.as_ref(),
            SetExpr::SetOperation { left, .. } => body = left.as_ref(),
            _ => return None,
        }
    }
}

/// The internal name of a type as a cast names its column (`'1'::int` is
/// `int4`, `::double precision` is `float8`).
pub fn type_name(dt: &DataType) -> String {
    let s = match dt {
        DataType::SmallInt(_) | DataType::Int2(_) => "int2",
        DataType::Int(_) | DataType::Integer(_) | DataType::Int4(_) => "int4",
        DataType::BigInt(_) | DataType::Int8(_) => "int8",
        DataType::Real | DataType::Float4 => "float4",
        DataType::Float8 | DataType::DoublePrecision | DataType::Double(_) => "float8",
        DataType::Float(info) => match info {
            datafusion::sql::sqlparser::ast::ExactNumberInfo::Precision(p) if *p <= 24 => "float4",
            _ => "float8",
        },
        DataType::Numeric(_) | DataType::Decimal(_) | DataType::Dec(_) => "numeric",
        DataType::Text => "text",
        DataType::Varchar(_) | DataType::CharacterVarying(_) | DataType::CharVarying(_) => {
            "varchar"
        }
        DataType::Char(_) | DataType::Character(_) => "bpchar",
        DataType::Bool | DataType::Boolean => "bool",
        DataType::Date => "date",
        DataType::Time(_, _) => "time",
        DataType::Timestamp(_, tz) => match tz {
            TimezoneInfo::WithTimeZone | TimezoneInfo::Tz => "timestamptz",
            _ => "timestamp",
        },
        DataType::Interval { .. } => "interval",
        DataType::Bytea => "bytea",
        DataType::Custom(name, _) => {
            let n = last_part(name);
            return match n.as_str() {
                "integer" | "int" => "int4".into(),
                "smallint" => "int2".into(),
                "bigint" => "int8".into(),
                "boolean" => "bool".into(),
                "decimal" => "numeric".into(),
                _ => n,
            };
        }
        other => return other.to_string().to_lowercase(),
    };
    s.to_owned()
}

/// The output names of a statement's columns, as far as the statement
/// alone tells them: one entry per result column before the first `*`
/// (`Some(name)` for an expression or alias, `None` where the planner's
/// name stands: columns), then, after a `*`, the items following
/// the last `*` counted from the end. Empty for anything but a query.
pub fn output_names(stmt: &Statement) -> Names {
    match stmt {
        Statement::Query(q) => query_names(q),
        _ => Names::default(),
    }
}

/// See [`output_names`].
#[derive(Debug, Default, Clone, PartialEq, Eq)]
pub struct Names {
    /// From the first column on.
    pub head: Vec<Option<String>>,
    /// Up to the last column (after a `*`).
    pub tail: Vec<Option<String>>,
    /// Whether a `*` stands between them (else `head` is every column).
    pub star: bool,
}

fn query_names(q: &Query) -> Names {
    let mut body = q.body.as_ref();
    loop {
        match body {
            SetExpr::Select(s) => return select_names(&s.projection),
            SetExpr::Query(q) => body = q.body.as_ref(),
            // The leftmost branch names the columns of a UNION.
            SetExpr::SetOperation { left, .. } => body = left.as_ref(),
            _ => return Names::default(),
        }
    }
}

fn select_names(items: &[SelectItem]) -> Names {
    let name = |item: &SelectItem| match item {
        SelectItem::UnnamedExpr(e) => Some(column_name(e).0),
        // An alias is the name, even where the planner needed another
        // (a name repeated in the select list).
        SelectItem::ExprWithAlias { alias, .. } => Some(match alias.quote_style {
            Some(_) => alias.value.clone(),
            None => alias.value.to_lowercase(),
        }),
        _ => None,
    };
    let star = |item: &SelectItem| {
        matches!(
            item,
            SelectItem::Wildcard(_) | SelectItem::QualifiedWildcard(_, _)
        )
    };
    match items.iter().position(star) {
        None => Names {
            head: items.iter().map(name).collect(),
            tail: Vec::new(),
            star: false,
        },
        Some(first) => {
            let last = items.iter().rposition(star).unwrap_or(first);
            Names {
                head: items[..first].iter().map(name).collect(),
                tail: items[last + 1..].iter().map(name).collect(),
                star: true,
            }
        }
    }
}

/// `schema` with the names PostgreSQL gives its columns (types and
/// metadata kept). Does nothing when the counts cannot match.
pub fn rename(schema: &SchemaRef, names: &Names) -> SchemaRef {
    let n = schema.fields().len();
    if names.head.len() + names.tail.len() > n || (!names.star && names.head.len() != n) {
        return schema.clone();
    }
    let tail_from = n - names.tail.len();
    let mut changed = false;
    let fields: Vec<Field> = schema
        .fields()
        .iter()
        .enumerate()
        .map(|(i, f)| {
            let want = if i < names.head.len() {
                names.head[i].as_deref()
            } else if i >= tail_from {
                names.tail[i - tail_from].as_deref()
            } else {
                None
            };
            match want {
                Some(w) if w != f.name() => {
                    changed = true;
                    f.as_ref().clone().with_name(w)
                }
                _ => f.as_ref().clone(),
            }
        })
        .collect();
    if !changed {
        return schema.clone();
    }
    Arc::new(Schema::new_with_metadata(fields, schema.metadata().clone()))
}

#[cfg(test)]
mod tests {
    use super::*;
    use datafusion::sql::sqlparser::dialect::PostgreSqlDialect;
    use datafusion::sql::sqlparser::parser::Parser;

    fn names(sql: &str) -> Names {
        let stmts = Parser::parse_sql(&PostgreSqlDialect {}, sql).expect("parses");
        output_names(&stmts[0])
    }

    fn head(sql: &str) -> Vec<String> {
        names(sql)
            .head
            .into_iter()
            .map(|n| n.unwrap_or_else(|| "-".into()))
            .collect()
    }

    #[test]
    fn figure_colname_like_postgres() {
        let cases = [
            ("SELECT Region", "region"),
            ("SELECT \"Region\"", "Region"),
            ("SELECT t.region", "region"),
            ("SELECT count(*)", "count"),
            ("SELECT pg_catalog.format_type(a, b)", "format_type"),
            ("SELECT max(x) - min(x)", "?column?"),
            ("SELECT 1", "?column?"),
            ("SELECT '1'::int", "int4"),
            ("SELECT 1::double precision", "float8"),
            ("SELECT avg(x)::numeric", "avg"),
            ("SELECT extract(year from d)", "extract"),
            ("SELECT CASE WHEN a THEN 1 END", "case"),
            ("SELECT (SELECT max(x) FROM t)", "max"),
            ("SELECT EXISTS (SELECT 1)", "exists"),
            ("SELECT true", "bool"),
            ("SELECT DATE '2024-06-01'", "date"),
            ("SELECT CAST(x AS date)", "x"),
        ];
        for (sql, want) in cases {
            assert_eq!(head(sql), vec![want.to_owned()], "{sql}");
        }
    }

    #[test]
    fn aliases_name_and_stars_keep_the_planner_names() {
        assert_eq!(head("SELECT a AS b, count(*)"), vec!["b", "count"]);
        assert_eq!(
            head("SELECT a AS TABLE_SCHEM, b AS \"Q\""),
            vec!["table_schem", "Q"]
        );
        let n = names("SELECT x.oid, x.* FROM t x");
        assert_eq!(
            (n.head, n.tail, n.star),
            (vec![Some("oid".into())], vec![], true)
        );
        let n = names("SELECT x.oid, x.*, format_type(1, 2) FROM t x");
        assert_eq!(n.head, vec![Some("oid".into())]);
        assert_eq!(n.tail, vec![Some("format_type".into())]);
        assert_eq!(head("SELECT 1 UNION SELECT 2 AS two"), vec!["?column?"]);
    }

    #[test]
    fn rename_keeps_types_and_skips_mismatches() {
        use datafusion::arrow::datatypes::DataType as Arrow;
        let schema: SchemaRef = Arc::new(Schema::new(vec![
            Field::new("__alias_oid", Arrow::Int64, false),
            Field::new("nspname", Arrow::Utf8, false),
            Field::new("format_type(a,b)", Arrow::Utf8, true),
        ]));
        let out = rename(
            &schema,
            &names("SELECT x.oid, x.*, format_type(a, b) FROM t x"),
        );
        let got: Vec<&str> = out.fields().iter().map(|f| f.name().as_str()).collect();
        assert_eq!(got, ["oid", "nspname", "format_type"]);
        assert_eq!(out.field(0).data_type(), &Arrow::Int64);
        // Two items, three columns, no star: leave it.
        let same = rename(&schema, &names("SELECT a, b"));
        assert_eq!(same.field(0).name(), "__alias_oid");
    }
}
