//! [`Engine`]: one DataFusion context per server; [`EnginePlan`]: one
//! planned statement, bound and executed per use.
//!
//! Life of a statement:
//! 1. parse with datafusion-pg-catalog's `PostgresCompatibilityParser` (it
//!    rewrites client SQL DataFusion cannot plan: `OPERATOR(pg_catalog.~)`,
//!    `'x'::regclass`, `pg_catalog.` qualified calls, known psql queries);
//! 2. honour the client's declared parameter types by casting those `$n`;
//! 3. plan on a per-statement copy of the shared state carrying the
//!    session's functions (`current_user`, `current_setting`, ...), with
//!    catalog tables narrowed to the columns the statement names
//!    (`catalog/narrow.rs`);
//! 4. report the output schema and each `$n`'s type (declared, else inferred);
//! 5. per execution: bind values, optimise, run, collect.

use std::ops::ControlFlow;
use std::sync::Arc;

use datafusion::arrow::datatypes::{DataType, Field, FieldRef, SchemaRef};
use datafusion::arrow::record_batch::RecordBatch;
use datafusion::common::{ParamValues, ScalarValue};
use datafusion::execution::session_state::{SessionState, SessionStateBuilder};
use datafusion::logical_expr::LogicalPlan;
use datafusion::physical_plan::displayable;
use datafusion::prelude::{DataFrame, SessionConfig, SessionContext};
use datafusion::sql::parser::Statement as DFStatement;
use datafusion::sql::sqlparser::ast::{
    CastKind, Expr as SqlExpr, Statement, Value, ValueWithSpan, VisitMut, VisitorMut,
};
use datafusion::sql::sqlparser::dialect::PostgreSqlDialect;
use datafusion::sql::sqlparser::parser::Parser;
use datafusion_pg_catalog::sql::PostgresCompatibilityParser;

use crate::backend::Backend;
use crate::catalog::{self, CatalogState};
use crate::error::{EngineError, EngineResult};
use crate::functions::{self, session::SessionScope};

/// How the server presents itself (mirrors the protocol's config).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct EngineConfig {
    /// The one database: `current_database()`, `pg_database`.
    pub database: String,
    /// The default user: `pg_roles`, `current_user` when the session has none.
    pub user: String,
    /// What `version()` returns.
    pub version: String,
}

/// What a statement may read of its session: `current_user`,
/// `current_setting(...)`, `current_schemas(...)`.
#[derive(Debug, Clone, Default, PartialEq, Eq, Hash)]
pub struct SessionVars {
    pub user: String,
    /// Every setting by its lower-case name (`datestyle`, `search_path`, ...).
    pub settings: Vec<(String, String)>,
}

/// The first line of every general-path `EXPLAIN`.
pub const EXPLAIN_PATH: &str = "Isotherm General (DataFusion)";

/// The general engine, shared by all connections.
pub struct Engine {
    backend: Arc<dyn Backend>,
    config: EngineConfig,
    ctx: SessionContext,
    catalog: Arc<CatalogState>,
    parser: PostgresCompatibilityParser,
    /// What statements that read only catalog tables run with: the shared
    /// state tuned by [`for_catalog`] (built once: building a state
    /// registers every function again).
    catalog_base: SessionState,
}

impl Engine {
    pub fn new(backend: Arc<dyn Backend>, config: EngineConfig) -> EngineResult<Engine> {
        let mut df_config = SessionConfig::new()
            .with_default_catalog_and_schema(&config.database, "public")
            .with_create_default_catalog_and_schema(true)
            // Ours replaces DataFusion's (PostgreSQL type names, not Arrow's).
            .with_information_schema(false);
        let options = df_config.options_mut();
        options.sql_parser.dialect = datafusion::config::Dialect::PostgreSQL;
        // `1.5` is numeric in PostgreSQL, not float8.
        options.sql_parser.parse_float_as_decimal = true;
        options.execution.time_zone = Some("+00:00".to_owned());
        let ctx = SessionContext::new_with_config(df_config);
        let catalog = catalog::install(&ctx, backend.clone(), &config.database, &config.user)?;
        functions::register_catalog_functions(&ctx, catalog.clone());
        let catalog_base = for_catalog(ctx.state());
        Ok(Engine {
            catalog_base,
            backend,
            config,
            ctx,
            catalog,
            parser: PostgresCompatibilityParser::new(),
        })
    }

    pub fn backend(&self) -> &Arc<dyn Backend> {
        &self.backend
    }

    pub fn config(&self) -> &EngineConfig {
        &self.config
    }

    /// What the catalog lists (stable OIDs: see [`crate::catalog::oid`]).
    pub fn catalog(&self) -> &Arc<CatalogState> {
        &self.catalog
    }

    /// Reads every catalog table once, so that the tables built on first
    /// use (`pg_proc`, `pg_type`, keywords, `pg_description`, and the
    /// generated ones for today's tables) are ready before the first client
    /// asks: a BI tool's first metadata query otherwise pays for building
    /// them. Returns how many tables were read and the ones that failed
    /// (`schema.table: error`).
    pub async fn warm_catalog(&self) -> (usize, Vec<String>) {
        let mut read = 0;
        let mut failed = Vec::new();
        let vars = SessionVars {
            user: self.config.user.clone(),
            settings: Vec::new(),
        };
        for schema in ["pg_catalog", "information_schema"] {
            let names = self
                .ctx
                .catalog(&self.config.database)
                .and_then(|c| c.schema(schema))
                .map(|s| s.table_names())
                .unwrap_or_default();
            for name in names {
                let sql = format!("SELECT count(*) FROM {schema}.\"{name}\"");
                let outcome = match self.plan(&sql, &vars, &[]).await {
                    Ok(plan) => plan.execute(Vec::new()).await.map(|_| ()),
                    Err(e) => Err(e),
                };
                match outcome {
                    Ok(()) => read += 1,
                    Err(e) => failed.push(format!("{schema}.{name}: {e}")),
                }
            }
        }
        (read, failed)
    }

    /// The OID `pg_class` gives table `name` of schema `public` (for
    /// RowDescription's table OID).
    pub fn table_oid(&self, name: &str) -> i32 {
        catalog::oid::relation_oid("public", name)
    }

    /// Plans one statement (SQL text) for a session. `declared` are the
    /// parameter types the client declared (`None` where it left them open).
    pub async fn plan(
        &self,
        sql: &str,
        vars: &SessionVars,
        declared: &[Option<DataType>],
    ) -> EngineResult<EnginePlan> {
        let scope = SessionScope {
            vars: vars.clone(),
            config: self.config.clone(),
        };
        let sql = catalog::rewrite::before_parse(sql, &self.catalog, &scope.search_path())?;
        // PostgreSQL's column names, from the statement as written (the
        // compatibility parser below adds aliases of its own).
        let names = Parser::parse_sql(&PostgreSqlDialect {}, &sql)
            .ok()
            .and_then(|s| s.first().map(crate::names::output_names))
            .unwrap_or_default();
        let mut statements = self.parser.parse(&sql).map_err(|e| {
            EngineError::from(datafusion::error::DataFusionError::SQL(Box::new(e), None))
        })?;
        let mut statement = match statements.len() {
            0 => return Err(EngineError::syntax("empty query")),
            1 => statements.remove(0),
            _ => {
                return Err(EngineError::syntax(
                    "cannot insert multiple commands into a prepared statement",
                ));
            }
        };
        if !matches!(statement, Statement::Query(_)) {
            return Err(EngineError::unsupported(format!(
                "statement not supported by the general engine: {}",
                first_words(&statement.to_string())
            )));
        }
        catalog::rewrite::after_parse(&mut statement, &self.catalog);
        cast_declared_params(&mut statement, declared);

        let mut state = self.session_state(self.ctx.state(), vars);
        // Catalog tables carry only the columns the statement names (narrow.rs).
        let needed = Arc::new(catalog::narrow::needed_columns(&statement));
        let plan = catalog::narrow::NEEDED
            .scope(
                needed,
                state.statement_to_plan(DFStatement::Statement(Box::new(statement))),
            )
            .await?;
        let plan = crate::pg_typing::postgres_types(plan)?;
        if !is_query(&plan) {
            return Err(EngineError::unsupported(
                "only queries run on the general engine",
            ));
        }
        if !reads_isotherm_tables(&plan) {
            state = self.session_state(self.catalog_base.clone(), vars);
        }
        let inferred = plan.get_parameter_fields()?;
        let count = inferred
            .keys()
            .filter_map(|k| k.strip_prefix('$')?.parse::<usize>().ok())
            .max()
            .unwrap_or(0)
            .max(declared.len());
        let param_fields: Vec<Option<FieldRef>> = (1..=count)
            .map(|i| match declared.get(i - 1).cloned().flatten() {
                Some(t) => Some(Arc::new(Field::new(format!("${i}"), t, true))),
                None => inferred.get(&format!("${i}")).cloned().flatten(),
            })
            .collect();
        let param_types = param_fields
            .iter()
            .map(|f| f.as_ref().map(|f| f.data_type().clone()))
            .collect();
        Ok(EnginePlan {
            schema: crate::names::rename(&Arc::new(plan.schema().as_arrow().clone()), &names),
            param_types,
            param_fields,
            plan,
            state: Arc::new(state),
        })
    }

    /// A statement's copy of `base` with the session's functions.
    fn session_state(&self, mut state: SessionState, vars: &SessionVars) -> SessionState {
        let scope = Arc::new(SessionScope {
            vars: vars.clone(),
            config: self.config.clone(),
        });
        // What session-dependent catalog tables (`pg_settings`) read.
        state.config_mut().set_extension(Arc::new(vars.clone()));
        // Unqualified names find Isotherm's tables only while `public` is
        // on the search path (else: 42P01, as in PostgreSQL).
        if !scope.search_path().iter().any(|s| s == "public") {
            state.config_mut().options_mut().catalog.default_schema = "pg_catalog".to_owned();
        }
        for f in functions::session::functions(scope) {
            // Registering replaces a function of the same name; the old one is not needed.
            let _replaced =
                datafusion::execution::FunctionRegistry::register_udf(&mut state, Arc::new(f));
        }
        state
    }
}

/// One planned statement.
#[derive(Clone)]
pub struct EnginePlan {
    /// The result columns.
    pub schema: SchemaRef,
    /// `$1..$n`: declared or inferred types (`None`: nothing to infer from).
    pub param_types: Vec<Option<DataType>>,
    /// The same as fields: an inferred one keeps the metadata of what it is
    /// compared with (`pg.type` `name` for `nspname = $1`).
    pub param_fields: Vec<Option<FieldRef>>,
    plan: LogicalPlan,
    state: Arc<SessionState>,
}

impl std::fmt::Debug for EnginePlan {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("EnginePlan")
            .field("schema", &self.schema)
            .field("param_types", &self.param_types)
            .finish_non_exhaustive()
    }
}

impl EnginePlan {
    /// Binds `$n` (already coerced to `param_types`) and runs the plan.
    pub async fn execute(&self, params: Vec<ScalarValue>) -> EngineResult<Vec<RecordBatch>> {
        let plan = self.bind(params)?;
        let df = DataFrame::new((*self.state).clone(), plan);
        Ok(df.collect().await?)
    }

    fn bind(&self, params: Vec<ScalarValue>) -> EngineResult<LogicalPlan> {
        if params.len() != self.param_types.len() {
            return Err(EngineError::new(
                "08P01",
                format!(
                    "bind message supplies {} parameters, but prepared statement requires {}",
                    params.len(),
                    self.param_types.len()
                ),
            ));
        }
        if params.is_empty() {
            return Ok(self.plan.clone());
        }
        Ok(self
            .plan
            .clone()
            .with_param_values(ParamValues::from(params))?)
    }

    /// The logical plan as planned (before optimisation), for tests and logs.
    pub fn logical_plan(&self) -> &LogicalPlan {
        &self.plan
    }

    /// EXPLAIN's lines: which path answers, then DataFusion's optimised
    /// logical plan (table scans show the filters pushed to the index).
    pub fn explain(&self) -> Vec<String> {
        let mut lines = vec![EXPLAIN_PATH.to_owned()];
        let plan = self
            .state
            .optimize(&self.plan)
            .unwrap_or_else(|_| self.plan.clone());
        lines.extend(
            plan.display_indent()
                .to_string()
                .lines()
                .map(|l| format!("  {l}")),
        );
        lines
    }

    /// EXPLAIN's lines with the physical plan too (the index scan node names
    /// the index path and the segments read). Placeholders must be bound.
    pub async fn explain_physical(&self, params: Vec<ScalarValue>) -> EngineResult<Vec<String>> {
        let plan = self.bind(params)?;
        let optimized = self.state.optimize(&plan)?;
        let physical = self.state.create_physical_plan(&plan).await?;
        let mut lines = vec![EXPLAIN_PATH.to_owned(), "  Logical plan:".to_owned()];
        lines.extend(
            optimized
                .display_indent()
                .to_string()
                .lines()
                .map(|l| format!("    {l}")),
        );
        lines.push("  Physical plan:".to_owned());
        lines.extend(
            displayable(physical.as_ref())
                .indent(true)
                .to_string()
                .lines()
                .map(|l| format!("    {l}")),
        );
        Ok(lines)
    }
}

/// Physical optimizer rules a catalog statement skips: they pay off on big
/// inputs only, and on a dozen joins over wide catalog tables they cost
/// milliseconds each. Correctness never depends on them (the distribution
/// and sorting rules and the sanity check stay; with one partition, joins
/// are planned `CollectLeft`, which needs no join selection).
const CATALOG_SKIPPED_RULES: &[&str] = &["ProjectionPushdown", "join_selection"];

/// The state a statement that reads only catalog tables runs with. Those
/// hold a few hundred rows, so planning costs more than running (the target
/// is 20 ms for the largest of the BI tools' metadata queries): one
/// partition (no repartitioning), one optimizer pass (a second rarely
/// changes such a plan), and none of [`CATALOG_SKIPPED_RULES`].
fn for_catalog(mut state: SessionState) -> SessionState {
    let options = state.config_mut().options_mut();
    options.execution.target_partitions = 1;
    options.optimizer.max_passes = 1;
    let rules = state
        .physical_optimizers()
        .iter()
        .filter(|r| !CATALOG_SKIPPED_RULES.contains(&r.name()))
        .cloned()
        .collect();
    SessionStateBuilder::new_from_existing(state)
        .with_physical_optimizer_rules(rules)
        .build()
}

/// True when the plan (or one of its subqueries) scans an Isotherm table.
fn reads_isotherm_tables(plan: &LogicalPlan) -> bool {
    use datafusion::common::tree_node::TreeNodeRecursion;
    let mut found = false;
    let _ = plan.apply_with_subqueries(|node| {
        if let LogicalPlan::TableScan(scan) = node
            && let Ok(provider) =
                datafusion::catalog::default_table_source::source_as_provider(&scan.source)
            && provider.is::<crate::provider::IsothermTable>()
        {
            found = true;
            return Ok(TreeNodeRecursion::Stop);
        }
        Ok(TreeNodeRecursion::Continue)
    });
    found
}

/// True for plans that only read (no DDL, DML, COPY or session statements).
fn is_query(plan: &LogicalPlan) -> bool {
    !matches!(
        plan,
        LogicalPlan::Ddl(_)
            | LogicalPlan::Dml(_)
            | LogicalPlan::Copy(_)
            | LogicalPlan::Statement(_)
            | LogicalPlan::DescribeTable(_)
    )
}

fn first_words(sql: &str) -> String {
    sql.split_whitespace().take(2).collect::<Vec<_>>().join(" ")
}

/// Wraps each `$n` the client declared a type for in `CAST($n AS type)`:
/// the placeholder then takes that type instead of an inferred one.
fn cast_declared_params(statement: &mut Statement, declared: &[Option<DataType>]) {
    struct Caster<'a>(&'a [Option<DataType>]);
    impl VisitorMut for Caster<'_> {
        type Break = ();
        // Post-visit: the new Cast's child is not visited again.
        fn post_visit_expr(&mut self, expr: &mut SqlExpr) -> ControlFlow<()> {
            if let SqlExpr::Value(ValueWithSpan {
                value: Value::Placeholder(p),
                ..
            }) = expr
                && let Some(i) = p.strip_prefix('$').and_then(|n| n.parse::<usize>().ok())
                && let Some(Some(dt)) = i.checked_sub(1).and_then(|i| self.0.get(i))
                && let Some(sql_type) = sql_type(dt)
            {
                *expr = SqlExpr::Cast {
                    kind: CastKind::Cast,
                    expr: Box::new(expr.clone()),
                    data_type: sql_type,
                    array: false,
                    format: None,
                };
            }
            ControlFlow::Continue(())
        }
    }
    if declared.iter().any(Option::is_some) {
        let _ = statement.visit(&mut Caster(declared));
    }
}

/// The SQL type DataFusion plans back to `dt`.
fn sql_type(dt: &DataType) -> Option<datafusion::sql::sqlparser::ast::DataType> {
    let name = match dt {
        DataType::Boolean => "boolean".to_owned(),
        DataType::Int16 => "smallint".to_owned(),
        DataType::Int32 => "integer".to_owned(),
        DataType::Int64 => "bigint".to_owned(),
        DataType::Float32 => "real".to_owned(),
        DataType::Float64 => "double precision".to_owned(),
        DataType::Utf8 | DataType::LargeUtf8 | DataType::Utf8View => "text".to_owned(),
        DataType::Date32 => "date".to_owned(),
        DataType::Timestamp(_, None) => "timestamp".to_owned(),
        DataType::Timestamp(_, Some(_)) => "timestamptz".to_owned(),
        DataType::Decimal128(p, s) => format!("numeric({p}, {s})"),
        _ => return None,
    };
    Parser::new(&PostgreSqlDialect {})
        .try_with_sql(&name)
        .ok()?
        .parse_data_type()
        .ok()
}
