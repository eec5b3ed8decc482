//! The emulated PostgreSQL catalog: `pg_catalog` and `information_schema`
//! as joinable DataFusion tables.
//!
//! ```text
//! mod.rs                 install(): datafusion-pg-catalog, then our overrides
//! state.rs               CatalogState: the relations listed (Isotherm's + system)
//! oid.rs                 stable OIDs (PostgreSQL's for system objects, hashes for tables)
//! types.rs               PgType: builtin type OIDs and facts per column type
//! table.rs               Generated: a table built from rows at execution
//! pg_relations.rs        pg_namespace, pg_class, pg_attribute, pg_database, pg_tables, ...
//! information_schema.rs  information_schema views with PostgreSQL's types
//! keywords.rs            pg_get_keywords(): PostgreSQL 15's list
//! narrow.rs              tables narrowed to the columns a statement names, while it is planned
//! pg_settings.rs         pg_settings: the session's settings, PostgreSQL 15's descriptions
//! pg_description.rs      pg_description: PostgreSQL 15's comments on builtin objects
//! retyped.rs             datafusion-pg-catalog's pg_type, pg_proc, ... with name/"char"/regproc types
//! row_types.rs           pg_type rows of Isotherm's tables' row types
//! rewrite.rs             client SQL rewrites around datafusion-pg-catalog's parser
//! ```
//!
//! datafusion-pg-catalog provides most of `pg_catalog` (static rows exported
//! from a real PostgreSQL: `pg_type`, `pg_proc`, `pg_am`, ...; empty typed
//! tables for the long tail) and many functions. Its tables describing user
//! objects assign OIDs from a counter in visiting order, so they change
//! across restarts; [`PgCatalog`] replaces those with [`pg_relations`].

pub mod information_schema;
pub mod keywords;
pub mod narrow;
pub mod oid;
pub mod pg_description;
pub mod pg_relations;
pub mod pg_settings;
pub mod retyped;
pub mod rewrite;
pub mod row_types;
pub mod state;
pub mod table;
pub mod types;

use std::collections::HashMap;
use std::sync::Arc;

use async_trait::async_trait;
use datafusion::arrow::datatypes::SchemaRef;
use datafusion::arrow::record_batch::RecordBatch;
use datafusion::catalog::{SchemaProvider, TableProvider};
use datafusion::datasource::MemTable;
use datafusion::error::{DataFusionError, Result};
use datafusion::prelude::SessionContext;
use datafusion_pg_catalog::pg_catalog::PG_CATALOG_TABLES;
use datafusion_pg_catalog::pg_catalog::context::EmptyContextProvider;
use parking_lot::Mutex;

use crate::backend::Backend;
use crate::provider::PublicSchema;

pub use state::{CatalogState, Column, Relation};
pub use table::PG_TYPE_KEY;
use table::{Generated, schema_of};
use types::PgType;

/// Installs `pg_catalog`, `information_schema` and `public` into `ctx`'s
/// catalog `database` (which must exist) and the catalog functions of
/// datafusion-pg-catalog. Returns the state the catalog tables read.
pub fn install(
    ctx: &SessionContext,
    backend: Arc<dyn Backend>,
    database: &str,
    owner: &str,
) -> Result<Arc<CatalogState>> {
    datafusion_pg_catalog::setup_pg_catalog(ctx, database, EmptyContextProvider).map_err(|e| *e)?;
    ctx.register_udtf("pg_get_keywords", Arc::new(keywords::Keywords::default()));
    let catalog = ctx
        .catalog(database)
        .ok_or_else(|| DataFusionError::Configuration(format!("catalog {database} is missing")))?;
    let upstream = catalog.schema("pg_catalog").ok_or_else(|| {
        DataFusionError::Configuration("datafusion-pg-catalog registered no pg_catalog".into())
    })?;

    let system = system_relations(upstream.as_ref())?;
    let state = Arc::new(CatalogState::new(
        backend.clone(),
        database.to_owned(),
        owner.to_owned(),
        system,
    ));
    catalog.register_schema(
        "pg_catalog",
        Arc::new(PgCatalog {
            upstream,
            state: state.clone(),
            retyped: Mutex::default(),
            pg_type: Mutex::default(),
        }),
    )?;
    catalog.register_schema(
        "information_schema",
        Arc::new(information_schema::InformationSchema::new(state.clone())),
    )?;
    catalog.register_schema("public", Arc::new(PublicSchema::new(backend)))?;
    Ok(state)
}

/// The relations of `pg_catalog` and `information_schema`, with their columns.
fn system_relations(upstream: &dyn SchemaProvider) -> Result<Vec<Relation>> {
    let mut out = Vec::new();
    for name in PG_CATALOG_TABLES {
        let schema = match pg_relations::TABLES.iter().find(|(n, _, _)| n == name) {
            Some((_, spec, _)) => schema_of(spec),
            None if *name == "pg_settings" => schema_of(pg_settings::PG_SETTINGS),
            // datafusion-pg-catalog builds its tables synchronously inside
            // `async fn table`; nothing here waits on I/O.
            None => match futures::executor::block_on(upstream.table(name))? {
                Some(t) => retyped::schema_for(name, &t.schema()),
                None => continue,
            },
        };
        out.push(Relation {
            oid: oid::relation_oid("pg_catalog", name),
            namespace: oid::PG_CATALOG_NAMESPACE,
            schema: "pg_catalog".to_owned(),
            name: (*name).to_owned(),
            kind: if pg_relations::SYSTEM_VIEWS.contains(name) {
                "v"
            } else {
                "r"
            },
            columns: columns_of(&schema),
        });
    }
    for (name, spec, _) in information_schema::VIEWS {
        out.push(Relation {
            oid: oid::relation_oid("information_schema", name),
            namespace: oid::INFORMATION_SCHEMA_NAMESPACE,
            schema: "information_schema".to_owned(),
            name: (*name).to_owned(),
            kind: "v",
            columns: columns_of(&schema_of(spec)),
        });
    }
    Ok(out)
}

fn columns_of(schema: &datafusion::arrow::datatypes::Schema) -> Vec<Column> {
    schema
        .fields()
        .iter()
        .map(|f| Column {
            name: f.name().clone(),
            ty: PgType::of_field(f),
            not_null: false,
        })
        .collect()
}

/// `pg_catalog`: datafusion-pg-catalog's tables, with the ones describing
/// Isotherm's objects replaced by [`pg_relations`].
#[derive(Debug)]
pub struct PgCatalog {
    upstream: Arc<dyn SchemaProvider>,
    state: Arc<CatalogState>,
    /// [`retyped`] tables, built on first use.
    retyped: Mutex<HashMap<String, Arc<MemTable>>>,
    /// `pg_type`'s static rows (the tables' row types are added per query).
    pg_type: Mutex<Option<(SchemaRef, Vec<RecordBatch>)>>,
}

impl PgCatalog {
    /// `pg_type`: the static rows and the row types of today's tables.
    async fn pg_type(&self) -> Result<Arc<dyn TableProvider>> {
        let cached = self.pg_type.lock().clone();
        let (schema, rows) = match cached {
            Some(c) => c,
            None => {
                let Some(upstream) = self.upstream.table("pg_type").await? else {
                    return Err(DataFusionError::Configuration(
                        "datafusion-pg-catalog registered no pg_type".into(),
                    ));
                };
                let c = retyped::retype_rows("pg_type", upstream).await?;
                *self.pg_type.lock() = Some(c.clone());
                c
            }
        };
        let mut batches = rows.clone();
        // The row types change only with the set of tables.
        batches.push(self.state.built_batch("pg_type row types", || {
            Ok(row_types::batch(&schema, &rows, &self.state)?
                .unwrap_or_else(|| RecordBatch::new_empty(schema.clone())))
        })?);
        Ok(Arc::new(MemTable::try_new(schema, vec![batches])?))
    }

    /// Table `name` with all its columns.
    async fn full_table(&self, name: &str) -> Result<Option<Arc<dyn TableProvider>>> {
        let lower = name.to_ascii_lowercase();
        match pg_relations::TABLES.iter().find(|(n, _, _)| *n == lower) {
            Some((name, spec, rows)) => Ok(Some(
                Generated::new(name, spec, self.state.clone(), *rows).into_provider()?,
            )),
            None if lower == "pg_settings" => Ok(Some(
                Generated::for_session(
                    pg_settings::PG_SETTINGS,
                    self.state.clone(),
                    pg_settings::rows,
                )
                .into_provider()?,
            )),
            None if lower == "pg_description" => Ok(Some(pg_description::table()?)),
            None if retyped::is_retyped(&lower) => {
                // Binary regproc values need pg_proc's OIDs: read it first.
                if retyped::has_regproc(&lower) && !retyped::knows_procs() {
                    self.retyped_table("pg_proc").await?;
                }
                if lower == "pg_type" {
                    self.pg_type().await.map(Some)
                } else {
                    self.retyped_table(&lower).await
                }
            }
            None => self.upstream.table(name).await,
        }
    }

    /// A [`retyped`] table, built on first use and kept.
    async fn retyped_table(&self, name: &str) -> Result<Option<Arc<dyn TableProvider>>> {
        if let Some(t) = self.retyped.lock().get(name) {
            return Ok(Some(t.clone()));
        }
        let Some(upstream) = self.upstream.table(name).await? else {
            return Ok(None);
        };
        let t = retyped::retype(name, upstream).await?;
        self.retyped.lock().insert(name.to_owned(), t.clone());
        Ok(Some(t))
    }
}

#[async_trait]
impl SchemaProvider for PgCatalog {
    fn table_names(&self) -> Vec<String> {
        self.upstream.table_names()
    }

    async fn table(&self, name: &str) -> Result<Option<Arc<dyn TableProvider>>> {
        Ok(self
            .full_table(name)
            .await?
            .map(|t| narrow::narrowed(name, t)))
    }

    fn table_exist(&self, name: &str) -> bool {
        self.upstream.table_exist(name)
    }
}
