//! Our rewrites of client SQL, around datafusion-pg-catalog's
//! `PostgresCompatibilityParser`:
//!
//! - before it (text, token level): Grafana's search-path membership
//!   subquery, which the parser would blank out (its blacklist predates
//!   `current_setting`), becomes `SELECT unnest(current_schemas(false))`,
//!   which is what it computes; a literal `'name'::regclass` (or
//!   `CAST('name' AS regclass)`) becomes the relation's OID, resolved along
//!   the search path with `pg_catalog` implicit as PostgreSQL does (the
//!   parser's own rewrite looks in the current schema only), and an unknown
//!   name fails with 42P01 as in PostgreSQL;
//! - after it (AST): `x::regclass::text` and `x::regtype::text` (an OID shown
//!   as a name), and a select item `x::regclass`, become `regclass_name(x)` /
//!   `regtype_name(x)` (DataFusion plans reg* types as plain integers);
//!   duplicate unnamed select items (`NULL, NULL`) get distinct aliases;
//!   `LIKE ... ESCAPE '/'` uses the backslash DataFusion accepts; a scalar
//!   subquery of one non-aggregated column is aggregated with `max` so
//!   DataFusion can decorrelate it.

use std::borrow::Cow;
use std::ops::ControlFlow;

use datafusion::sql::sqlparser::ast::{
    AccessExpr, BinaryOperator, CastKind, DataType, ExactNumberInfo, Expr, Function, FunctionArg,
    FunctionArgExpr, FunctionArgumentList, FunctionArguments, GroupByExpr, Ident, ObjectName,
    Query, SelectItem, SetExpr, Statement, TableAlias, TableFactor, UnaryOperator, Value,
    ValueWithSpan, VisitMut, VisitorMut,
};
use datafusion::sql::sqlparser::dialect::PostgreSqlDialect;

use crate::catalog::types::oid_by_name;
use datafusion::sql::sqlparser::tokenizer::{Token, Tokenizer};

use crate::error::{EngineError, EngineResult};

use super::pg_relations::EMPTY_TABLES;
use super::state::CatalogState;

const GRAFANA_SEARCH_PATH: &str = r#"SELECT
        CASE WHEN trim(s[i]) = '"$user"' THEN user ELSE trim(s[i]) END
    FROM
        generate_series(
            array_lower(string_to_array(current_setting('search_path'),','),1),
            array_upper(string_to_array(current_setting('search_path'),','),1)
        ) as i,
        string_to_array(current_setting('search_path'),',') s"#;

const SEARCH_PATH_SCHEMAS: &str = "SELECT unnest(current_schemas(false))";

/// Text-level rewrites, before parsing.
///
/// `search_path` is the session's `current_schemas(false)`: Grafana's
/// membership subquery in `x IN (<subquery>)` becomes that list of
/// literals (DataFusion cannot plan an `IN (subquery)` inside `ORDER BY`).
pub fn before_parse<'a>(
    sql: &'a str,
    catalog: &CatalogState,
    search_path: &[String],
) -> EngineResult<Cow<'a, str>> {
    let lower = sql.to_ascii_lowercase();
    let grafana = lower.contains("current_setting('search_path')");
    if !grafana
        && !lower.contains("regclass")
        && !lower.contains("regproc")
        && !lower.contains("regtype")
    {
        return Ok(Cow::Borrowed(sql));
    }
    let dialect = PostgreSqlDialect {};
    let Ok(tokens) = Tokenizer::new(&dialect, sql).tokenize() else {
        // The parser reports the syntax error.
        return Ok(Cow::Borrowed(sql));
    };
    let pattern: Vec<Token> = Tokenizer::new(&dialect, GRAFANA_SEARCH_PATH)
        .tokenize()
        .unwrap_or_default()
        .into_iter()
        .filter(|t| !matches!(t, Token::Whitespace(_)))
        .collect();
    let mut out = String::with_capacity(sql.len());
    let mut i = 0;
    let mut replaced = false;
    while i < tokens.len() {
        if grafana && let Some(end) = match_at(&tokens, i, &pattern) {
            let in_list = tokens[..i]
                .iter()
                .rev()
                .filter(|t| !matches!(t, Token::Whitespace(_)))
                .take(2)
                .collect::<Vec<_>>();
            let is_in = matches!(in_list.as_slice(), [Token::LParen, Token::Word(w)] if w.value.eq_ignore_ascii_case("in"));
            if is_in && !search_path.is_empty() {
                let literals: Vec<String> = search_path
                    .iter()
                    .map(|s| Token::SingleQuotedString(s.clone()).to_string())
                    .collect();
                out.push_str(&literals.join(", "));
            } else {
                out.push_str(SEARCH_PATH_SCHEMAS);
            }
            i = end;
            replaced = true;
        } else if let Some((name, end)) = reg_literal(&tokens, i, "regproc") {
            // `pg_type.typinput` and friends hold function names, so a
            // `'pg_catalog.array_in'::regproc` compares as the bare name.
            let bare = name.strip_prefix("pg_catalog.").unwrap_or(&name);
            out.push_str(&Token::SingleQuotedString(bare.to_owned()).to_string());
            i = end;
            replaced = true;
        } else if let Some((oid, end)) = reg_literal(&tokens, i, "regtype")
            .and_then(|(name, end)| Some((oid_by_name(&name)?, end)))
        {
            // A type we know: its OID, still a regtype (shown as its name in
            // a select list); others are left to datafusion-pg-catalog.
            out.push_str(&format!("{oid}::regtype"));
            i = end;
            replaced = true;
        } else if let Some((name, end)) = reg_literal(&tokens, i, "regclass") {
            let oid = match name.parse::<i64>() {
                Ok(oid) => oid,
                Err(_) => catalog
                    .resolve(&name)
                    .map(|r| i64::from(r.oid))
                    .ok_or_else(|| {
                        EngineError::new("42P01", format!("relation \"{name}\" does not exist"))
                    })?,
            };
            // Still a regclass: shown as a name in a select list.
            out.push_str(&format!("{oid}::regclass"));
            i = end;
            replaced = true;
        } else {
            out.push_str(&tokens[i].to_string());
            i += 1;
        }
    }
    Ok(if replaced {
        Cow::Owned(out)
    } else {
        Cow::Borrowed(sql)
    })
}

/// `'name'::[pg_catalog.]<ty>` or `CAST('name' AS [pg_catalog.]<ty>)` at `i`:
/// the name and the index after.
fn reg_literal(tokens: &[Token], i: usize, ty: &str) -> Option<(String, usize)> {
    let next = |mut j: usize| {
        while matches!(tokens.get(j), Some(Token::Whitespace(_))) {
            j += 1;
        }
        (tokens.get(j), j + 1)
    };
    let word = |t: Option<&Token>, w: &str| matches!(t, Some(Token::Word(x)) if x.value.eq_ignore_ascii_case(w));
    // After `pg_catalog.` or not, `regclass`; returns the index after it.
    let regclass = |j: usize| {
        let (t, j) = next(j);
        if word(t, ty) {
            return Some(j);
        }
        if word(t, "pg_catalog") {
            let (dot, j) = next(j);
            let (t, j) = next(j);
            if matches!(dot, Some(Token::Period)) && word(t, ty) {
                return Some(j);
            }
        }
        None
    };
    match tokens.get(i)? {
        Token::SingleQuotedString(name) => {
            let (t, j) = next(i + 1);
            if !matches!(t, Some(Token::DoubleColon)) {
                return None;
            }
            Some((name.clone(), regclass(j)?))
        }
        Token::Word(w) if w.value.eq_ignore_ascii_case("cast") => {
            let (open, j) = next(i + 1);
            let (lit, j) = next(j);
            let (as_kw, j) = next(j);
            let (Some(Token::LParen), Some(Token::SingleQuotedString(name))) = (open, lit) else {
                return None;
            };
            if !word(as_kw, "as") {
                return None;
            }
            let j = regclass(j)?;
            let (close, j) = next(j);
            matches!(close, Some(Token::RParen)).then(|| (name.clone(), j))
        }
        _ => None,
    }
}

/// The index after `pattern` if it matches (whitespace ignored) at `start`.
fn match_at(tokens: &[Token], start: usize, pattern: &[Token]) -> Option<usize> {
    if matches!(tokens.get(start), Some(Token::Whitespace(_))) {
        return None;
    }
    let mut i = start;
    for p in pattern {
        while matches!(tokens.get(i), Some(Token::Whitespace(_))) {
            i += 1;
        }
        if tokens.get(i)? != p {
            return None;
        }
        i += 1;
    }
    Some(i)
}

/// AST rewrites, after the compatibility parser.
/// An integer constant PostgreSQL types int4: a literal in int4's range,
/// one already cast to INT, or a CASE whose results are such (or NULL).
fn int4_literal(e: &Expr) -> bool {
    match e {
        Expr::Value(v) => match &v.value {
            Value::Number(n, _) => n.parse::<i32>().is_ok(),
            _ => false,
        },
        Expr::Cast {
            expr, data_type, ..
        } => {
            matches!(data_type, DataType::Int(None) | DataType::Integer(None)) && int4_literal(expr)
        }
        Expr::UnaryOp {
            op: UnaryOperator::Minus,
            expr,
        } => int4_literal(expr),
        Expr::Nested(inner) => int4_literal(inner),
        // A CASE of them (nested CASEs are rewritten first).
        Expr::Case {
            conditions,
            else_result,
            ..
        } => {
            let results = || {
                conditions
                    .iter()
                    .map(|c| &c.result)
                    .chain(else_result.as_deref())
            };
            results().all(|r| int4_literal(r) || is_null(r)) && results().any(int4_literal)
        }
        _ => false,
    }
}

/// A VALUES column of int4 literals (and NULLs) is int4 in PostgreSQL
/// (`sum` of it is bigint, `pg_typeof` says integer); DataFusion reads
/// them as int8.
fn int4_values(values: &mut datafusion::sql::sqlparser::ast::Values) {
    let width = values.rows.first().map_or(0, |r| r.len());
    for c in 0..width {
        let column = || values.rows.iter().filter_map(|r| r.get(c));
        if column().all(|e| int4_literal(e) || is_null(e)) && column().any(int4_literal) {
            for row in &mut values.rows {
                if let Some(e) = row.get_mut(c) {
                    as_int4(e);
                }
            }
        }
    }
}

fn is_null(e: &Expr) -> bool {
    matches!(e, Expr::Value(v) if v.value == Value::Null)
}

/// Casts an int4 literal to INT (once); leaves anything else (CASEs of
/// them are already rewritten).
fn as_int4(e: &mut Expr) {
    if int4_literal(e) && !matches!(e, Expr::Cast { .. } | Expr::Case { .. } | Expr::Nested(_)) {
        *e = Expr::Cast {
            kind: CastKind::Cast,
            expr: Box::new(e.clone()),
            data_type: DataType::Int(None),
            array: false,
            format: None,
        };
    }
}

/// `FROM generate_series(1, 32) pos(n)` with int4 bounds yields int4 in
/// PostgreSQL (pgjdbc's getImportedKeys reads KEY_SEQ from it), int8 in
/// DataFusion: read it through a cast. Without an alias the column is named
/// `generate_series`, as PostgreSQL names it.
fn int4_series(tf: &mut TableFactor) {
    let TableFactor::Table {
        name,
        args: Some(targs),
        alias,
        ..
    } = tf
    else {
        return;
    };
    let is_series = name
        .0
        .last()
        .and_then(|p| p.as_ident())
        .is_some_and(|i| i.value.eq_ignore_ascii_case("generate_series"));
    let int4_args = (2..=3).contains(&targs.args.len())
        && targs.args.iter().all(
            |a| matches!(a, FunctionArg::Unnamed(FunctionArgExpr::Expr(e)) if int4_literal(e)),
        );
    if !is_series || !int4_args {
        return;
    }
    let args: Vec<String> = targs.args.iter().map(ToString::to_string).collect();
    let sql = format!(
        "SELECT CAST(value AS INT) AS generate_series FROM generate_series({})",
        args.join(", ")
    );
    let Ok(mut parsed) =
        datafusion::sql::sqlparser::parser::Parser::parse_sql(&PostgreSqlDialect {}, &sql)
    else {
        return;
    };
    let Some(Statement::Query(subquery)) = parsed.pop() else {
        return;
    };
    let alias = alias.take().unwrap_or_else(|| TableAlias {
        explicit: true,
        name: Ident::new("generate_series"),
        columns: Vec::new(),
        at: None,
    });
    *tf = TableFactor::Derived {
        lateral: false,
        subquery,
        alias: Some(alias),
        sample: None,
    };
}

/// Makes `lit` a boolean if it is boolean text compared with a catalog
/// boolean column `col`; whether it did.
fn bool_literal_for(col: &Expr, lit: &mut Expr, catalog: &CatalogState) -> bool {
    let name = match col {
        Expr::Identifier(i) => &i.value,
        Expr::CompoundIdentifier(parts) => match parts.last() {
            Some(i) => &i.value,
            None => return false,
        },
        _ => return false,
    };
    if !catalog.is_system_bool(&name.to_ascii_lowercase()) {
        return false;
    }
    if let Expr::Value(v) = lit
        && let Value::SingleQuotedString(text) = &v.value
        && let Some(b) = boolean_literal(text)
    {
        v.value = Value::Boolean(b);
        return true;
    }
    false
}

/// PostgreSQL's boolean input: `t`, `true`, `yes`, `on`, `1` and their
/// negations, any case, unique prefixes of the words.
fn boolean_literal(text: &str) -> Option<bool> {
    let t = text.trim().to_ascii_lowercase();
    let prefix_of = |word: &str| !t.is_empty() && word.starts_with(t.as_str());
    match t.as_str() {
        "1" | "on" => Some(true),
        "0" | "off" => Some(false),
        _ if prefix_of("true") || prefix_of("yes") => Some(true),
        _ if prefix_of("false") || prefix_of("no") => Some(false),
        _ => None,
    }
}

/// A quoted array element's text: `\\x` is `x`.
fn unescape_array_element(quoted: &str) -> String {
    let mut out = String::with_capacity(quoted.len());
    let mut chars = quoted.chars();
    while let Some(c) = chars.next() {
        match c {
            '\\' => out.extend(chars.next()),
            c => out.push(c),
        }
    }
    out
}

pub fn after_parse(statement: &mut Statement, catalog: &CatalogState) {
    let _ = statement.visit(&mut AfterParse { catalog });
}

struct AfterParse<'a> {
    catalog: &'a CatalogState,
}

impl VisitorMut for AfterParse<'_> {
    type Break = ();

    fn pre_visit_query(&mut self, query: &mut Query) -> ControlFlow<()> {
        if let Some(with) = query.with.as_mut() {
            for cte in &mut with.cte_tables {
                name_items(&mut cte.query.body);
            }
        }
        fix_projections(&mut query.body);
        if let SetExpr::Values(values) = query.body.as_mut() {
            int4_values(values);
        }
        ControlFlow::Continue(())
    }

    fn pre_visit_table_factor(&mut self, tf: &mut TableFactor) -> ControlFlow<()> {
        if let TableFactor::Derived { subquery, .. } = tf {
            name_items(&mut subquery.body);
        }
        ControlFlow::Continue(())
    }

    fn post_visit_table_factor(&mut self, tf: &mut TableFactor) -> ControlFlow<()> {
        int4_series(tf);
        ControlFlow::Continue(())
    }

    fn post_visit_expr(&mut self, expr: &mut Expr) -> ControlFlow<()> {
        // `(f(x)).n` -> `get_field(f(x), 'n')`: DataFusion takes dot access
        // on column references only.
        if let Expr::CompoundFieldAccess { root, access_chain } = expr
            && matches!(root.as_ref(), Expr::Nested(_) | Expr::Function(_))
            && access_chain
                .iter()
                .all(|a| matches!(a, AccessExpr::Dot(Expr::Identifier(_))))
        {
            let mut out = (**root).clone();
            for a in access_chain.iter() {
                if let AccessExpr::Dot(Expr::Identifier(field)) = a {
                    out = call(
                        "get_field",
                        vec![out, string(&field.value.to_ascii_lowercase())],
                    );
                }
            }
            *expr = out;
        }
        // datafusion-pg-catalog turns `'{a,"null"}'::text[]` into ARRAY[...]
        // by splitting on commas and keeps a quoted element's quotes: drop
        // them (`"null"` is the text null; PostgreSQL's array input rules).
        if let Expr::Array(array) = expr {
            for e in &mut array.elem {
                if let Expr::Value(v) = e
                    && let Value::SingleQuotedString(text) = &mut v.value
                    && let Some(inner) = text.strip_prefix('"').and_then(|t| t.strip_suffix('"'))
                {
                    *text = unescape_array_element(inner);
                }
            }
        }
        // A CASE whose results are integer literals is int4 in PostgreSQL
        // (pgjdbc's UPDATE_RULE, TYPE, ...); DataFusion would make it int8.
        if int4_literal(expr)
            && let Expr::Case {
                conditions,
                else_result,
                ..
            } = expr
        {
            for c in conditions.iter_mut() {
                as_int4(&mut c.result);
            }
            if let Some(e) = else_result.as_deref_mut() {
                as_int4(e);
            }
        }
        // `ix.indisprimary = 'f'` (SQLAlchemy): PostgreSQL reads the literal
        // as a boolean; DataFusion would compare boolean with text.
        if let Expr::BinaryOp { left, op, right } = expr
            && matches!(op, BinaryOperator::Eq | BinaryOperator::NotEq)
            && !bool_literal_for(left, right, self.catalog)
        {
            bool_literal_for(right, left, self.catalog);
        }
        // `generate_subscripts(a, 1)` -> `unnest(generate_series(1, cardinality(a)))`.
        if let Expr::Function(f) = expr
            && f.name
                .to_string()
                .eq_ignore_ascii_case("generate_subscripts")
            && let FunctionArguments::List(list) = &f.args
            && let Some(FunctionArg::Unnamed(FunctionArgExpr::Expr(array))) = list.args.first()
        {
            let count = Expr::Cast {
                kind: CastKind::Cast,
                expr: Box::new(call("cardinality", vec![array.clone()])),
                data_type: DataType::BigInt(None),
                array: false,
                format: None,
            };
            let one = Expr::Value(Value::Number("1".to_owned(), false).with_empty_span());
            *expr = call("unnest", vec![call("generate_series", vec![one, count])]);
        }
        // `extract(f FROM x)` is numeric in PostgreSQL 14+ (date_part is
        // float8): marked here, typed by `crate::pg_typing` once x's type
        // is known. `julian` keeps float8 (its scale varies with the value).
        if let Expr::Extract { field, .. } = expr
            && !field.to_string().eq_ignore_ascii_case("julian")
        {
            *expr = call(crate::pg_typing::EXTRACT_MARKER, vec![expr.clone()]);
        }
        // A number literal is numeric (a decimal here) unless it needs more
        // than the 38 digits a decimal holds (`1e-200`, `1e100`): then it is
        // read as float8, which is what it is compared with or computed as.
        if let Expr::Value(ValueWithSpan {
            value: Value::Number(n, _),
            ..
        }) = expr
            && !fits_decimal(n)
        {
            *expr = Expr::Cast {
                kind: CastKind::Cast,
                expr: Box::new(string(n)),
                data_type: DataType::DoublePrecision,
                array: false,
                format: None,
            };
        }
        // `CAST(x AS numeric)` without precision keeps each value's scale in
        // PostgreSQL (`1.5::float8::numeric` is `1.5`): marked here, typed by
        // `crate::numeric` once x's type is known. A parameter keeps the
        // cast its type is inferred from.
        if let Expr::Cast {
            kind: CastKind::Cast | CastKind::DoubleColon,
            expr: operand,
            data_type:
                DataType::Numeric(ExactNumberInfo::None) | DataType::Decimal(ExactNumberInfo::None),
            format: None,
            ..
        } = expr
            && !matches!(
                operand.as_ref(),
                Expr::Value(ValueWithSpan {
                    value: Value::Placeholder(_),
                    ..
                })
            )
        {
            *expr = call(
                crate::numeric::rewrite::CAST_MARKER,
                vec![(**operand).clone()],
            );
        }
        // `format('%I.%I', s, t)::regclass` -> `regclass_in(...)`: a name
        // computed as text is looked up (datafusion-pg-catalog resolves
        // literals only and would cast the text to an integer).
        if let Expr::Cast {
            expr: operand,
            data_type,
            ..
        } = expr
            && type_name(data_type) == "regclass"
            && computes_text(operand)
        {
            *expr = call("regclass_in", vec![(**operand).clone()]);
        }
        // `x::regclass::text` -> `regclass_name(x)`.
        if let Expr::Cast {
            expr: inner,
            data_type,
            ..
        } = expr
            && is_text(data_type)
        {
            match inner.as_ref() {
                Expr::Cast {
                    expr: operand,
                    data_type: reg,
                    ..
                } => {
                    if let Some(func) = reg_name_function(reg) {
                        *expr = call(func, vec![(**operand).clone()]);
                    }
                }
                Expr::Function(f) if f.name.to_string() == "regclass_in" => {
                    *expr = call("regclass_name", vec![(**inner).clone()]);
                }
                _ => {}
            }
        }
        // `LIKE p ESCAPE '/'` -> `LIKE replace(p, '/', '\\')`: DataFusion only
        // takes the backslash as escape character.
        if let Expr::Like {
            pattern,
            escape_char,
            ..
        }
        | Expr::ILike {
            pattern,
            escape_char,
            ..
        } = expr
            && let Some(ValueWithSpan {
                value: Value::SingleQuotedString(esc),
                ..
            }) = escape_char.as_ref()
            && esc != "\\"
            && esc.chars().count() == 1
        {
            let esc = esc.clone();
            **pattern = call(
                "replace",
                vec![(**pattern).clone(), string(&esc), string("\\")],
            );
            *escape_char = None;
        }
        // A scalar subquery reading only always-empty catalog tables is NULL
        // (DataFusion cannot decorrelate some of these, e.g. SQLAlchemy's
        // identity lookup in pg_sequence inside a CASE).
        if let Expr::Subquery(query) = expr
            && reads_only_empty_tables(query)
        {
            *expr = Expr::Value(Value::Null.with_empty_span());
            return ControlFlow::Continue(());
        }
        // A scalar subquery returning one non-aggregated column: DataFusion
        // plans a correlated one only if it is aggregated. `max(x)` is `x`
        // when the subquery has at most one row (more is an error in
        // PostgreSQL); an ordered subquery keeps its meaning only as is.
        if let Expr::Subquery(query) = expr
            && query.order_by.is_none()
            && let SetExpr::Select(select) = query.body.as_mut()
            && select.projection.len() == 1
            && matches!(&select.group_by, GroupByExpr::Expressions(g, _) if g.is_empty())
            && select.having.is_none()
            && select.distinct.is_none()
        {
            let item = &mut select.projection[0];
            let inner = match item {
                SelectItem::UnnamedExpr(e) | SelectItem::ExprWithAlias { expr: e, .. } => Some(e),
                _ => None,
            };
            if let Some(e) = inner
                && !has_aggregate(e)
            {
                *e = call("max", vec![e.clone()]);
                query.limit_clause = None;
            }
        }
        ControlFlow::Continue(())
    }
}

/// A non-aggregating SELECT over tables of [`EMPTY_TABLES`] only.
fn reads_only_empty_tables(query: &Query) -> bool {
    let SetExpr::Select(select) = query.body.as_ref() else {
        return false;
    };
    if select.from.is_empty()
        || select.projection.iter().any(|item| match item {
            SelectItem::UnnamedExpr(e) | SelectItem::ExprWithAlias { expr: e, .. } => {
                has_aggregate(e)
            }
            _ => false,
        })
    {
        return false;
    }
    let empty = |f: &TableFactor| match f {
        TableFactor::Table {
            name, args: None, ..
        } => {
            let parts: Vec<String> = name
                .0
                .iter()
                .filter_map(|p| p.as_ident().map(|i| i.value.to_ascii_lowercase()))
                .collect();
            match parts.as_slice() {
                [t] | [_, t] if parts.len() == 1 || parts[0] == "pg_catalog" => {
                    EMPTY_TABLES.contains(&t.as_str())
                }
                _ => false,
            }
        }
        _ => false,
    };
    select
        .from
        .iter()
        .all(|t| empty(&t.relation) && t.joins.iter().all(|j| empty(&j.relation)))
}

/// In each SELECT list: `x::regclass` / `x::regtype` of a column becomes
/// the name PostgreSQL prints; unnamed items whose names collide (`NULL,
/// NULL`) get distinct aliases, which DataFusion requires.
fn fix_projections(body: &mut SetExpr) {
    match body {
        SetExpr::Select(select) => {
            let mut seen: Vec<String> = Vec::new();
            for item in &mut select.projection {
                // `x::oid` -> `pg_oid(x::oid) AS x`: described as oid, not
                // integer (DataFusion's cast keeps no type tag).
                let (e, alias) = match item {
                    SelectItem::UnnamedExpr(e) => (e.clone(), None),
                    SelectItem::ExprWithAlias { expr, alias } => {
                        (expr.clone(), Some(alias.clone()))
                    }
                    _ => continue,
                };
                if let Expr::Cast {
                    expr: operand,
                    data_type,
                    ..
                } = &e
                    && type_name(data_type) == "oid"
                {
                    let alias = alias.clone().unwrap_or_else(|| {
                        Ident::new(match operand.as_ref() {
                            Expr::Function(f) => {
                                f.name.0.last().and_then(|p| p.as_ident()).map_or_else(
                                    || "oid".to_owned(),
                                    |i| i.value.to_ascii_lowercase(),
                                )
                            }
                            Expr::Identifier(_) | Expr::CompoundIdentifier(_) => {
                                output_name(operand)
                            }
                            _ => "oid".to_owned(),
                        })
                    });
                    *item = SelectItem::ExprWithAlias {
                        expr: call("pg_oid", vec![e]),
                        alias,
                    };
                }
                if let SelectItem::UnnamedExpr(e) | SelectItem::ExprWithAlias { expr: e, .. } = item
                    && let Expr::Cast {
                        expr: operand,
                        data_type,
                        ..
                    } = e
                    && let Some(func) = reg_name_function(data_type)
                {
                    // A cast literal is named after its type, as in PostgreSQL.
                    let alias = match (&alias, operand.as_ref()) {
                        (Some(alias), _) => alias.clone(),
                        (None, Expr::Value(_)) => Ident::new(type_name(data_type)),
                        (None, other) => Ident::new(output_name(other)),
                    };
                    let oid = if func == "regclass_name" && computes_text(operand) {
                        call("regclass_in", vec![(**operand).clone()])
                    } else {
                        (**operand).clone()
                    };
                    *item = SelectItem::ExprWithAlias {
                        expr: call(func, vec![oid]),
                        alias,
                    };
                }
                let name = match item {
                    SelectItem::UnnamedExpr(e) => datafusion_name(e),
                    SelectItem::ExprWithAlias { alias, .. } => alias.value.clone(),
                    _ => continue,
                };
                // A repeated name gets a unique internal one (DataFusion
                // requires it; clients see the names of the statement as
                // written, see `crate::names`).
                let expr = match item {
                    SelectItem::UnnamedExpr(e)
                        if !matches!(e, Expr::Identifier(_) | Expr::CompoundIdentifier(_)) =>
                    {
                        Some(e.clone())
                    }
                    SelectItem::ExprWithAlias { expr, .. } => Some(expr.clone()),
                    _ => None,
                };
                if seen.contains(&name)
                    && let Some(expr) = expr
                {
                    let mut n = 2;
                    let alias = loop {
                        let candidate = format!("?column?_{n}");
                        if !seen.contains(&candidate) {
                            break candidate;
                        }
                        n += 1;
                    };
                    *item = SelectItem::ExprWithAlias {
                        expr,
                        alias: Ident::with_quote('"', alias.clone()),
                    };
                    seen.push(alias);
                } else {
                    seen.push(name);
                }
            }
        }
        SetExpr::SetOperation { left, right, .. } => {
            fix_projections(left);
            fix_projections(right);
        }
        _ => {}
    }
}

/// Whether a number literal's digits, written out in full, fit a 38-digit
/// decimal.
fn fits_decimal(n: &str) -> bool {
    let (mantissa, exp) = match n.find(['e', 'E']) {
        Some(i) => (&n[..i], n[i + 1..].parse::<i64>().unwrap_or(i64::MAX)),
        None => (n, 0),
    };
    let (int, frac) = mantissa.split_once('.').unwrap_or((mantissa, ""));
    let digits = format!("{int}{frac}");
    let significant = digits.trim_start_matches('0').len() as i64;
    let scale = (frac.len() as i64).saturating_sub(exp);
    let written = if scale >= 0 {
        significant.max(scale)
    } else {
        significant.saturating_add(-scale)
    };
    written <= 38
}

/// The select items of a CTE or a subquery in FROM get PostgreSQL's column
/// names (`avg(x)` is `avg`), which an outer `SELECT *` shows: DataFusion
/// would name them by their text. A name another item already has is left
/// to DataFusion (it requires names to be unique), as is a list with `*`.
fn name_items(body: &mut SetExpr) {
    let select = match body {
        SetExpr::Select(select) => select,
        // The first branch names a set operation's columns.
        SetExpr::SetOperation { left, .. } => return name_items(left),
        SetExpr::Query(q) => return name_items(&mut q.body),
        _ => return,
    };
    let name_of = |item: &SelectItem| match item {
        SelectItem::UnnamedExpr(e) => Some(crate::names::column_name(e).0),
        SelectItem::ExprWithAlias { alias, .. } => Some(crate::names::ident(alias)),
        _ => None,
    };
    let names: Vec<Option<String>> = select.projection.iter().map(name_of).collect();
    if names.iter().any(Option::is_none) {
        return;
    }
    for (i, item) in select.projection.iter_mut().enumerate() {
        let SelectItem::UnnamedExpr(e) = item else {
            continue;
        };
        if matches!(e, Expr::Identifier(_) | Expr::CompoundIdentifier(_)) {
            continue;
        }
        let Some(name) = names[i].clone() else {
            continue;
        };
        if names.iter().filter(|n| n.as_deref() == Some(&name)).count() > 1 {
            continue;
        }
        *item = SelectItem::ExprWithAlias {
            expr: e.clone(),
            alias: Ident::with_quote('"', name),
        };
    }
}

/// The name DataFusion gives an unnamed select item, as far as two items
/// can share it: a cast is named as what it casts, wherever it is (`a` and
/// `a::int` are both `a`, `f(1.5)` and `f(1.5::float8)` both `f(1.5)`).
fn datafusion_name(e: &Expr) -> String {
    struct NoCasts;
    impl VisitorMut for NoCasts {
        type Break = ();
        fn post_visit_expr(&mut self, e: &mut Expr) -> ControlFlow<()> {
            if let Expr::Cast { expr, .. } | Expr::Nested(expr) = e {
                *e = (**expr).clone();
            }
            ControlFlow::Continue(())
        }
    }
    let mut e = e.clone();
    let _ = e.visit(&mut NoCasts);
    e.to_string()
}

/// The column name PostgreSQL gives an expression (a column's own name).
fn output_name(e: &Expr) -> String {
    match e {
        Expr::Identifier(i) => i.value.clone(),
        Expr::CompoundIdentifier(parts) => {
            parts.last().map_or_else(String::new, |i| i.value.clone())
        }
        Expr::Nested(inner) => output_name(inner),
        _ => "?column?".to_owned(),
    }
}

const AGGREGATES: &[&str] = &[
    "count",
    "sum",
    "min",
    "max",
    "avg",
    "array_agg",
    "string_agg",
    "bool_and",
    "bool_or",
    "every",
    "json_agg",
    "jsonb_agg",
    "json_object_agg",
    "stddev",
    "variance",
];

fn has_aggregate(e: &Expr) -> bool {
    struct Finder(bool);
    impl datafusion::sql::sqlparser::ast::Visitor for Finder {
        type Break = ();
        fn pre_visit_expr(&mut self, e: &Expr) -> ControlFlow<()> {
            if let Expr::Function(f) = e {
                let name = f.name.to_string().to_ascii_lowercase();
                let bare = name.rsplit('.').next().unwrap_or(&name);
                if f.over.is_some() || AGGREGATES.contains(&bare) {
                    self.0 = true;
                    return ControlFlow::Break(());
                }
            }
            if matches!(e, Expr::Subquery(_)) {
                // An inner subquery's aggregates are its own.
                return ControlFlow::Continue(());
            }
            ControlFlow::Continue(())
        }
    }
    let mut f = Finder(false);
    let _ = datafusion::sql::sqlparser::ast::Visit::visit(e, &mut f);
    f.0
}

fn string(s: &str) -> Expr {
    Expr::Value(Value::SingleQuotedString(s.to_owned()).with_empty_span())
}

fn type_name(dt: &DataType) -> String {
    let lower = dt.to_string().to_ascii_lowercase();
    lower
        .strip_prefix("pg_catalog.")
        .unwrap_or(&lower)
        .to_owned()
}

fn is_text(dt: &DataType) -> bool {
    matches!(type_name(dt).as_str(), "text" | "varchar" | "name")
}

/// Whether `e` evidently computes text: a concatenation, a cast to text or
/// a call of a string function.
fn computes_text(e: &Expr) -> bool {
    match e {
        Expr::Nested(inner) => computes_text(inner),
        Expr::BinaryOp {
            op: BinaryOperator::StringConcat,
            ..
        } => true,
        Expr::Cast { data_type, .. } => is_text(data_type),
        Expr::Function(f) => {
            let name = f.name.to_string().to_ascii_lowercase();
            let name = name.strip_prefix("pg_catalog.").unwrap_or(&name);
            matches!(
                name,
                "format"
                    | "concat"
                    | "concat_ws"
                    | "quote_ident"
                    | "lower"
                    | "upper"
                    | "btrim"
                    | "trim"
                    | "replace"
                    | "substring"
                    | "substr"
            )
        }
        _ => false,
    }
}

fn reg_name_function(dt: &DataType) -> Option<&'static str> {
    match type_name(dt).as_str() {
        "regclass" => Some("regclass_name"),
        "regtype" => Some("regtype_name"),
        _ => None,
    }
}

fn call(name: &str, args: Vec<Expr>) -> Expr {
    Expr::Function(Function {
        name: ObjectName::from(vec![Ident::new(name)]),
        uses_odbc_syntax: false,
        parameters: FunctionArguments::None,
        args: FunctionArguments::List(FunctionArgumentList {
            duplicate_treatment: None,
            args: args
                .into_iter()
                .map(|a| FunctionArg::Unnamed(FunctionArgExpr::Expr(a)))
                .collect(),
            clauses: vec![],
        }),
        filter: None,
        null_treatment: None,
        over: None,
        within_group: vec![],
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use datafusion::sql::sqlparser::parser::Parser;

    fn catalog() -> CatalogState {
        struct NoTables;
        impl crate::backend::Backend for NoTables {
            fn schema(
                &self,
                table: &str,
            ) -> Result<std::sync::Arc<isotherm_indexer::TableSchema>, isotherm_indexer::IndexError>
            {
                Err(isotherm_indexer::IndexError::UnknownTable(table.to_owned()))
            }
            fn table_names(&self) -> Vec<String> {
                Vec::new()
            }
            fn aggregate(
                &self,
                _: &isotherm_indexer::AggregateRequest,
            ) -> Result<isotherm_indexer::ResultSet, isotherm_indexer::IndexError> {
                Err(isotherm_indexer::IndexError::Internal("none".into()))
            }
            fn scan(
                &self,
                _: &isotherm_indexer::ScanRequest,
            ) -> Result<isotherm_indexer::ResultSet, isotherm_indexer::IndexError> {
                Err(isotherm_indexer::IndexError::Internal("none".into()))
            }
            fn explain_aggregate(
                &self,
                _: &isotherm_indexer::AggregateRequest,
            ) -> Result<isotherm_indexer::Explain, isotherm_indexer::IndexError> {
                Err(isotherm_indexer::IndexError::Internal("none".into()))
            }
            fn explain_scan(
                &self,
                _: &isotherm_indexer::ScanRequest,
            ) -> Result<isotherm_indexer::Explain, isotherm_indexer::IndexError> {
                Err(isotherm_indexer::IndexError::Internal("none".into()))
            }
        }
        let pg_class = super::super::state::Relation {
            oid: 1259,
            namespace: 11,
            schema: "pg_catalog".into(),
            name: "pg_class".into(),
            kind: "r",
            columns: vec![super::super::state::Column {
                name: "relhasindex".into(),
                ty: super::super::types::BOOL,
                not_null: true,
            }],
        };
        CatalogState::new(
            std::sync::Arc::new(NoTables),
            "db".into(),
            "u".into(),
            vec![pg_class],
        )
    }

    #[test]
    fn grafana_search_path_subquery_becomes_current_schemas() {
        let c = catalog();
        let sql = format!("SELECT 1 WHERE 'public' IN ({GRAFANA_SEARCH_PATH})");
        let out = before_parse(&sql, &c, &[]).ok();
        assert_eq!(
            out.as_deref(),
            Some("SELECT 1 WHERE 'public' IN (SELECT unnest(current_schemas(false)))")
        );
        // With the session's schemas known: a list DataFusion plans anywhere.
        let path = ["public".to_owned()];
        let sql = format!("SELECT 1 ORDER BY CASE WHEN 'x' IN ({GRAFANA_SEARCH_PATH}) THEN 0 END");
        let out = before_parse(&sql, &c, &path).ok();
        assert_eq!(
            out.as_deref(),
            Some("SELECT 1 ORDER BY CASE WHEN 'x' IN ('public') THEN 0 END")
        );
        assert_eq!(
            before_parse("SELECT 1", &c, &path).ok().as_deref(),
            Some("SELECT 1")
        );
    }

    #[test]
    fn regclass_literals_resolve_along_the_search_path() {
        let c = catalog();
        let out = before_parse(
            "SELECT 'pg_class'::regclass, 'pg_catalog.pg_class' :: pg_catalog.regclass, \
             CAST('pg_class' AS REGCLASS), '42'::regclass, c.oid::regclass FROM c",
            &c,
            &[],
        )
        .ok();
        assert_eq!(
            out.as_deref(),
            Some(
                "SELECT 1259::regclass, 1259::regclass, 1259::regclass, 42::regclass, c.oid::regclass FROM c"
            )
        );
        let out = before_parse("SELECT typinput='pg_catalog.array_in'::regproc", &c, &[]).ok();
        assert_eq!(out.as_deref(), Some("SELECT typinput='array_in'"));
        let err = before_parse("SELECT 'nope'::regclass", &c, &[]).err();
        assert_eq!(
            err.map(|e| (e.sqlstate, e.message)),
            Some(("42P01", "relation \"nope\" does not exist".to_owned()))
        );
    }

    #[test]
    fn values_of_int4_literals_are_int4() {
        assert_eq!(
            rewritten(
                "SELECT * FROM (VALUES (1, 3000000000, 'a'), (NULL, 2, 'b'), (-2, 1, 'c')) AS v"
            ),
            "SELECT * FROM (VALUES (CAST(1 AS INT), 3000000000, 'a'), (NULL, 2, 'b'), \
             (CAST(-2 AS INT), 1, 'c')) AS v"
        );
    }

    #[test]
    fn regtype_literals_of_known_types_become_oids() {
        let c = catalog();
        let out = before_parse(
            "SELECT 'int8'::regtype, CAST('pg_catalog.int4' AS regtype), 'character varying'::regtype, 'no_type'::regtype",
            &c,
            &["public".to_owned()],
        )
        .ok();
        assert_eq!(
            out.as_deref(),
            Some("SELECT 20::regtype, 23::regtype, 1043::regtype, 'no_type'::regtype")
        );
    }

    #[test]
    fn reg_casts_to_text_become_name_functions() {
        let mut stmts = Parser::parse_sql(
            &PostgreSqlDialect {},
            "SELECT c.oid::pg_catalog.regclass::pg_catalog.text, t::regtype::text, x::regclass FROM c",
        )
        .unwrap_or_default();
        assert_eq!(stmts.len(), 1);
        after_parse(&mut stmts[0], &catalog());
        assert_eq!(
            stmts[0].to_string(),
            "SELECT regclass_name(c.oid), regtype_name(t), regclass_name(x) AS x FROM c"
        );
    }

    #[test]
    fn text_literals_compared_with_catalog_booleans_are_booleans() {
        assert_eq!(
            rewritten(
                "SELECT 1 FROM pg_class c WHERE c.relhasindex = 'f' AND 'Yes' <> relhasindex"
            ),
            "SELECT 1 FROM pg_class c WHERE c.relhasindex = false AND true <> relhasindex"
        );
        // Other columns and non-boolean text stay.
        assert_eq!(
            rewritten("SELECT 1 FROM t WHERE relname = 'f' AND relhasindex = 'maybe'"),
            "SELECT 1 FROM t WHERE relname = 'f' AND relhasindex = 'maybe'"
        );
    }

    fn rewritten(sql: &str) -> String {
        let mut stmts = Parser::parse_sql(&PostgreSqlDialect {}, sql).unwrap_or_default();
        assert_eq!(stmts.len(), 1, "{sql}");
        after_parse(&mut stmts[0], &catalog());
        stmts[0].to_string()
    }

    #[test]
    fn duplicate_unnamed_items_get_aliases() {
        assert_eq!(
            rewritten("SELECT a, NULL, NULL, NULL FROM t"),
            "SELECT a, NULL, NULL AS \"?column?_2\", NULL AS \"?column?_3\" FROM t"
        );
        // A CTE's and a derived table's items are named as in PostgreSQL.
        assert_eq!(
            rewritten(
                "WITH q AS (SELECT region, avg(h), count(*), count(x), 1 + 1 FROM t GROUP BY region) \
                 SELECT * FROM (SELECT max(a), b FROM q) AS s"
            ),
            "WITH q AS (SELECT region, avg(h) AS \"avg\", count(*), count(x), 1 + 1 AS \"?column?\" \
             FROM t GROUP BY region) SELECT * FROM (SELECT max(a) AS \"max\", b FROM q) AS s"
        );
        // Number literals beyond a decimal's 38 digits are float8.
        assert_eq!(
            rewritten("SELECT 1.5, 1e3, 1e-200, 1e100, 0.000001e-30 FROM t"),
            "SELECT 1.5, 1e3, CAST('1e-200' AS DOUBLE PRECISION), \
             CAST('1e100' AS DOUBLE PRECISION), 0.000001e-30 FROM t"
        );
        // DataFusion names a cast as what it casts.
        assert_eq!(
            rewritten("SELECT a, a::INT, CAST(a AS TEXT), b, f(1.5), f(1.5::FLOAT8) FROM t"),
            "SELECT a, a::INT AS \"?column?_2\", CAST(a AS TEXT) AS \"?column?_3\", b, f(1.5), \
             f(1.5::FLOAT8) AS \"?column?_4\" FROM t"
        );
    }

    #[test]
    fn field_access_on_expressions_uses_get_field() {
        assert_eq!(
            rewritten("SELECT (f(i.indkey)).n, (result.KEYS).x FROM t"),
            "SELECT get_field((f(i.indkey)), 'n'), get_field((result.KEYS), 'x') FROM t"
        );
        assert_eq!(
            rewritten("SELECT generate_subscripts(i.indkey, 1) FROM t"),
            "SELECT unnest(generate_series(1, CAST(cardinality(i.indkey) AS BIGINT))) FROM t"
        );
    }

    #[test]
    fn subqueries_over_empty_catalog_tables_are_null() {
        assert_eq!(
            rewritten(
                "SELECT (SELECT s.seqstart FROM pg_catalog.pg_sequence s WHERE s.seqrelid = a.x) FROM a"
            ),
            "SELECT NULL FROM a"
        );
        let counted = "SELECT (SELECT count(*) FROM pg_sequence) FROM a";
        assert_eq!(rewritten(counted), counted);
    }

    #[test]
    fn like_escape_becomes_backslash() {
        assert_eq!(
            rewritten("SELECT 1 WHERE n NOT LIKE 'pg/_' || '%' ESCAPE '/'"),
            "SELECT 1 WHERE n NOT LIKE replace('pg/_' || '%', '/', '\\')"
        );
    }

    #[test]
    fn scalar_subqueries_are_aggregated() {
        assert_eq!(
            rewritten(
                "SELECT (SELECT c.relkind = 'c' FROM c WHERE c.oid = t.typrelid LIMIT 1) FROM t"
            ),
            "SELECT (SELECT max(c.relkind = 'c') FROM c WHERE c.oid = t.typrelid) FROM t"
        );
        let kept = "SELECT (SELECT count(*) FROM c WHERE c.oid = t.x) FROM t";
        assert_eq!(rewritten(kept), kept);
        let ordered = "SELECT (SELECT c.a FROM c ORDER BY c.b LIMIT 1) FROM t";
        assert_eq!(rewritten(ordered), ordered);
    }
}
