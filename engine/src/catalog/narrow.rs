//! Catalog tables narrowed to the columns a statement can name.
//!
//! Catalog tables are wide (`pg_class` 33 columns, `pg_type` 32,
//! `information_schema.columns` 44) and BI tools join five or six of them
//! while reading a handful of columns. DataFusion drops the unread columns
//! only late in optimisation; until then every plan node, schema merge,
//! type-coercion pass and rule rewrite carries all of them, which is most of
//! the planning time of a large catalog join.
//!
//! So planning a statement first collects every name it could use as a
//! column ([`needed_columns`]), and while the SQL is planned
//! ([`NEEDED`], a task-local scope) the catalog's schema providers hand out
//! each table with only those columns ([`narrowed`]). The set is a superset
//! by construction, so the plan is the one the full tables give:
//!
//! ```text
//! collected     every identifier and every part of a compound identifier,
//!               wherever it appears (select list, joins, subqueries, ...),
//!               and JOIN ... USING columns
//! read whole    the tables a select list's `*` or `t.*` expands, the tables
//!               of a select with a NATURAL join, and a table whose alias
//!               has a column list (`AS c(a, b)`: columns by position)
//! ```
//!
//! A name that is not a column of the table (an alias, a function name, a
//! column of another table) simply matches nothing. A statement naming a
//! column the table lacks fails as it would on the full table.

use std::borrow::Cow;
use std::collections::HashSet;
use std::ops::ControlFlow;
use std::sync::Arc;

use async_trait::async_trait;
use datafusion::arrow::datatypes::{Schema, SchemaRef};
use datafusion::catalog::{Session, TableProvider};
use datafusion::common::Constraints;
use datafusion::datasource::TableType;
use datafusion::error::Result;
use datafusion::logical_expr::{Expr, LogicalPlan, TableProviderFilterPushDown};
use datafusion::physical_plan::ExecutionPlan;
use datafusion::sql::sqlparser::ast::{
    Expr as SqlExpr, JoinConstraint, JoinOperator, Select, SelectItem,
    SelectItemQualifiedWildcardKind, Statement, TableFactor, TableWithJoins, Visit, Visitor,
};

tokio::task_local! {
    /// What the statement being planned names (unset: no narrowing).
    pub static NEEDED: Arc<Needed>;
}

/// What a statement can read of the catalog tables it names.
#[derive(Debug, Default, Clone, PartialEq, Eq)]
pub struct Needed {
    /// Every name it could use as a column.
    pub columns: HashSet<String>,
    /// Tables (by bare lower-case name) it reads whole.
    pub whole_tables: HashSet<String>,
}

/// What `statement` can read (see the module doc).
pub fn needed_columns(statement: &Statement) -> Needed {
    let mut names = Names::default();
    let ControlFlow::Continue(()) = statement.visit(&mut names);
    names.0
}

#[derive(Default)]
struct Names(Needed);

impl Names {
    fn add(&mut self, value: &str) {
        self.0.columns.insert(value.to_lowercase());
        self.0.columns.insert(value.to_owned());
    }

    /// Marks the tables of `from` whose alias (or name) passes `which` as read whole.
    fn whole<'a>(
        &mut self,
        from: impl Iterator<Item = &'a TableFactor>,
        which: &dyn Fn(&str) -> bool,
    ) {
        for factor in from {
            match factor {
                TableFactor::Table { name, alias, .. } => {
                    let table = name
                        .0
                        .last()
                        .and_then(|p| p.as_ident())
                        .map(crate::names::ident)
                        .unwrap_or_default();
                    let seen_as = alias
                        .as_ref()
                        .map_or_else(|| table.clone(), |a| crate::names::ident(&a.name));
                    if which(&seen_as) {
                        self.0.whole_tables.insert(table.to_lowercase());
                    }
                }
                TableFactor::NestedJoin {
                    table_with_joins, ..
                } => self.whole(
                    factors(std::slice::from_ref(table_with_joins.as_ref())),
                    which,
                ),
                _ => {}
            }
        }
    }
}

/// The relations of a FROM list, joined ones included.
fn factors(from: &[TableWithJoins]) -> impl Iterator<Item = &TableFactor> {
    from.iter()
        .flat_map(|t| std::iter::once(&t.relation).chain(t.joins.iter().map(|j| &j.relation)))
}

fn constraint(op: &JoinOperator) -> Option<&JoinConstraint> {
    match op {
        JoinOperator::Join(c)
        | JoinOperator::Inner(c)
        | JoinOperator::Left(c)
        | JoinOperator::LeftOuter(c)
        | JoinOperator::Right(c)
        | JoinOperator::RightOuter(c)
        | JoinOperator::FullOuter(c)
        | JoinOperator::CrossJoin(c)
        | JoinOperator::Semi(c)
        | JoinOperator::LeftSemi(c)
        | JoinOperator::RightSemi(c)
        | JoinOperator::Anti(c)
        | JoinOperator::LeftAnti(c)
        | JoinOperator::RightAnti(c)
        | JoinOperator::StraightJoin(c) => Some(c),
        JoinOperator::AsOf { constraint, .. } => Some(constraint),
        _ => None,
    }
}

impl Names {
    /// `USING` columns and NATURAL joins of one FROM list (a parenthesised
    /// join's own list comes through [`Visitor::pre_visit_table_factor`]).
    fn joins(&mut self, from: &[TableWithJoins]) {
        let mut natural = false;
        for join in from.iter().flat_map(|t| &t.joins) {
            match constraint(&join.join_operator) {
                Some(JoinConstraint::Natural) => natural = true,
                Some(JoinConstraint::Using(columns)) => {
                    for name in columns {
                        name.0
                            .iter()
                            .filter_map(|p| p.as_ident())
                            .for_each(|i| self.add(&i.value));
                    }
                }
                _ => {}
            }
        }
        if natural {
            self.whole(factors(from), &|_| true);
        }
    }
}

impl Visitor for Names {
    type Break = std::convert::Infallible;

    fn pre_visit_expr(&mut self, expr: &SqlExpr) -> ControlFlow<Self::Break> {
        match expr {
            SqlExpr::Identifier(i) => self.add(&i.value),
            SqlExpr::CompoundIdentifier(parts) => parts.iter().for_each(|p| self.add(&p.value)),
            _ => {}
        }
        ControlFlow::Continue(())
    }

    fn pre_visit_select(&mut self, select: &Select) -> ControlFlow<Self::Break> {
        for item in &select.projection {
            match item {
                SelectItem::Wildcard(_) => self.whole(factors(&select.from), &|_| true),
                SelectItem::QualifiedWildcard(
                    SelectItemQualifiedWildcardKind::ObjectName(o),
                    _,
                ) => {
                    let alias =
                        o.0.last()
                            .and_then(|p| p.as_ident())
                            .map(crate::names::ident)
                            .unwrap_or_default();
                    self.whole(factors(&select.from), &|seen_as| seen_as == alias);
                }
                SelectItem::QualifiedWildcard(..) => self.whole(factors(&select.from), &|_| true),
                _ => {}
            }
        }
        self.joins(&select.from);
        ControlFlow::Continue(())
    }

    fn pre_visit_table_factor(&mut self, factor: &TableFactor) -> ControlFlow<Self::Break> {
        match factor {
            // A column list on a table's alias renames its columns by position.
            TableFactor::Table { alias: Some(a), .. } if !a.columns.is_empty() => {
                self.whole(std::iter::once(factor), &|_| true)
            }
            TableFactor::NestedJoin {
                table_with_joins, ..
            } => self.joins(std::slice::from_ref(table_with_joins.as_ref())),
            _ => {}
        }
        ControlFlow::Continue(())
    }
}

/// Table `name` with only the columns named in the current [`NEEDED`]
/// scope (the table itself outside one, when it is read whole, or when it
/// would keep every column).
pub fn narrowed(name: &str, table: Arc<dyn TableProvider>) -> Arc<dyn TableProvider> {
    let full = table.schema();
    let keep = NEEDED.try_with(|needed| {
        (!needed.whole_tables.contains(&name.to_lowercase())).then(|| {
            (0..full.fields().len())
                .filter(|i| needed.columns.contains(full.field(*i).name()))
                .collect::<Vec<usize>>()
        })
    });
    match keep {
        Ok(Some(columns)) if columns.len() < full.fields().len() => {
            let fields: Vec<_> = columns.iter().map(|i| full.field(*i).clone()).collect();
            let schema = Arc::new(Schema::new_with_metadata(fields, full.metadata().clone()));
            Arc::new(Narrowed {
                inner: table,
                schema,
                columns,
            })
        }
        _ => table,
    }
}

/// A table seen through a fixed projection of its columns.
#[derive(Debug)]
struct Narrowed {
    inner: Arc<dyn TableProvider>,
    schema: SchemaRef,
    /// The inner table's index of each of our columns.
    columns: Vec<usize>,
}

#[async_trait]
impl TableProvider for Narrowed {
    fn schema(&self) -> SchemaRef {
        self.schema.clone()
    }

    fn constraints(&self) -> Option<&Constraints> {
        None
    }

    fn table_type(&self) -> TableType {
        self.inner.table_type()
    }

    fn get_table_definition(&self) -> Option<&str> {
        self.inner.get_table_definition()
    }

    fn get_logical_plan(&'_ self) -> Option<Cow<'_, LogicalPlan>> {
        None
    }

    async fn scan(
        &self,
        state: &dyn Session,
        projection: Option<&Vec<usize>>,
        filters: &[Expr],
        limit: Option<usize>,
    ) -> Result<Arc<dyn ExecutionPlan>> {
        let inner: Vec<usize> = match projection {
            Some(p) => p
                .iter()
                .filter_map(|i| self.columns.get(*i).copied())
                .collect(),
            None => self.columns.clone(),
        };
        self.inner.scan(state, Some(&inner), filters, limit).await
    }

    fn supports_filters_pushdown(
        &self,
        filters: &[&Expr],
    ) -> Result<Vec<TableProviderFilterPushDown>> {
        self.inner.supports_filters_pushdown(filters)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use datafusion::sql::sqlparser::dialect::PostgreSqlDialect;
    use datafusion::sql::sqlparser::parser::Parser;

    fn needed(sql: &str) -> Needed {
        let statement = Parser::parse_sql(&PostgreSqlDialect {}, sql)
            .ok()
            .and_then(|s| s.into_iter().next());
        statement.map(|s| needed_columns(&s)).unwrap_or_default()
    }

    fn whole(sql: &str) -> Vec<String> {
        let mut tables: Vec<String> = needed(sql).whole_tables.into_iter().collect();
        tables.sort();
        tables
    }

    #[test]
    fn collects_every_name_a_column_could_have() {
        let names = needed(
            "SELECT c.relname, \"Quoted\" FROM pg_class c JOIN pg_namespace n USING (nspoid) \
             WHERE c.relkind = 'r' AND EXISTS (SELECT 1 FROM pg_attribute a WHERE a.attrelid = c.oid) \
             ORDER BY count(*) OVER (PARTITION BY relnamespace)",
        );
        for name in [
            "relname",
            "Quoted",
            "quoted",
            "c",
            "nspoid",
            "relkind",
            "attrelid",
            "oid",
            "relnamespace",
        ] {
            assert!(
                names.columns.contains(name),
                "{name} missing from {names:?}"
            );
        }
        assert!(!names.columns.contains("relpages"), "{names:?}");
        assert!(names.whole_tables.is_empty(), "{names:?}");
    }

    #[test]
    fn tables_a_statement_reads_whole_are_not_narrowed() {
        assert_eq!(whole("SELECT * FROM pg_class"), ["pg_class"]);
        assert_eq!(
            whole("SELECT c.*, n.nspname FROM pg_catalog.pg_class c JOIN pg_namespace n ON true"),
            ["pg_class"]
        );
        assert_eq!(
            whole("SELECT pg_class.* FROM pg_class, pg_type"),
            ["pg_class"]
        );
        assert_eq!(
            whole("SELECT 1 FROM pg_class c WHERE EXISTS (SELECT * FROM pg_type)"),
            ["pg_type"]
        );
        assert_eq!(
            whole("SELECT relname FROM pg_class NATURAL JOIN pg_namespace"),
            ["pg_class", "pg_namespace"]
        );
        assert_eq!(
            whole("SELECT a FROM pg_class AS c(a, b), pg_type"),
            ["pg_class"]
        );
        assert_eq!(
            whole("SELECT 1 FROM pg_type t JOIN (pg_class NATURAL JOIN pg_namespace) ON true"),
            ["pg_class", "pg_namespace"]
        );
        assert_eq!(
            whole("SELECT 1 FROM pg_type, (SELECT 1 FROM pg_class AS c(a, b)) s"),
            ["pg_class"]
        );
        assert!(
            needed("SELECT 1 FROM (pg_class c JOIN pg_namespace n USING (relowner))")
                .columns
                .contains("relowner")
        );
        assert_eq!(
            whole("SELECT * FROM (pg_class c JOIN pg_type t ON true)"),
            ["pg_class", "pg_type"]
        );
        // A wildcard over a subquery reads what the subquery selects.
        assert!(whole("SELECT * FROM (SELECT relname FROM pg_class) s").is_empty());
        assert!(whole("SELECT count(*) FROM pg_class").is_empty());
    }

    #[test]
    fn narrowing_happens_only_while_planning() {
        let table: Arc<dyn TableProvider> = Arc::new(
            datafusion::datasource::MemTable::try_new(
                crate::catalog::table::schema_of(&[
                    ("oid", crate::catalog::table::Kind::Oid),
                    ("relname", crate::catalog::table::Kind::Name),
                ]),
                vec![vec![]],
            )
            .unwrap_or_else(|e| panic!("{e}")),
        );
        assert_eq!(
            narrowed("pg_class", table.clone()).schema().fields().len(),
            2
        );
        let needed = Arc::new(needed("SELECT relname FROM pg_class"));
        let inside = NEEDED.sync_scope(needed.clone(), || narrowed("pg_class", table.clone()));
        assert_eq!(inside.schema().field(0).name(), "relname");
        assert_eq!(inside.schema().fields().len(), 1);
        let whole = Arc::new(Needed {
            whole_tables: HashSet::from(["pg_class".to_owned()]),
            ..Needed::clone(&needed)
        });
        let inside = NEEDED.sync_scope(whole, || narrowed("pg_class", table.clone()));
        assert_eq!(inside.schema().fields().len(), 2);
    }
}
