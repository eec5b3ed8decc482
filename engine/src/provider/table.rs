//! [`IsothermTable`]: one Isotherm table as a DataFusion [`TableProvider`].

use std::sync::Arc;

use async_trait::async_trait;
use datafusion::arrow::datatypes::{Field, Schema, SchemaRef};
use datafusion::catalog::{Session, TableProvider};
use datafusion::common::Result;
use datafusion::logical_expr::{Expr, TableProviderFilterPushDown, TableType};
use datafusion::physical_plan::ExecutionPlan;
use isotherm_indexer::{Expr as IExpr, ScanRequest, TableSchema};

use super::exec::IsothermScanExec;
use super::pushdown::{conjunction, translate};
use crate::backend::Backend;
use crate::convert::table_arrow_schema;

/// A table of the index, read through [`Backend::scan`] with filters pushed
/// down (see [`super::pushdown`]).
pub struct IsothermTable {
    backend: Arc<dyn Backend>,
    table: Arc<TableSchema>,
    schema: SchemaRef,
    chunk_rows: Option<u64>,
}

impl std::fmt::Debug for IsothermTable {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("IsothermTable")
            .field("table", &self.table.name)
            .finish_non_exhaustive()
    }
}

impl IsothermTable {
    pub fn new(backend: Arc<dyn Backend>, table: Arc<TableSchema>) -> Self {
        let schema = with_sources(&table_arrow_schema(&table), &table.name);
        IsothermTable {
            backend,
            table,
            schema,
            chunk_rows: None,
        }
    }

    /// Rows per backend call (default [`super::chunks::CHUNK_ROWS`]).
    pub fn with_chunk_rows(mut self, rows: u64) -> Self {
        self.chunk_rows = Some(rows);
        self
    }

    /// The index's schema of the table.
    pub fn table_schema(&self) -> &Arc<TableSchema> {
        &self.table
    }
}

/// `schema` with each field marked as column `n` of table `name`
/// ([`super::SOURCE_KEY`]), so results that pass a column through say so.
fn with_sources(schema: &SchemaRef, name: &str) -> SchemaRef {
    let oid = crate::catalog::oid::relation_oid("public", name);
    let fields: Vec<Field> = schema
        .fields()
        .iter()
        .enumerate()
        .map(|(i, f)| {
            let mut metadata = f.metadata().clone();
            metadata.insert(super::SOURCE_KEY.to_owned(), format!("{oid}.{}", i + 1));
            f.as_ref().clone().with_metadata(metadata)
        })
        .collect();
    Arc::new(Schema::new_with_metadata(fields, schema.metadata().clone()))
}

#[async_trait]
impl TableProvider for IsothermTable {
    fn schema(&self) -> SchemaRef {
        self.schema.clone()
    }

    fn table_type(&self) -> TableType {
        TableType::Base
    }

    fn supports_filters_pushdown(
        &self,
        filters: &[&Expr],
    ) -> Result<Vec<TableProviderFilterPushDown>> {
        Ok(filters
            .iter()
            .map(|f| match translate(f, &self.table) {
                Some(t) if t.exact => TableProviderFilterPushDown::Exact,
                Some(_) => TableProviderFilterPushDown::Inexact,
                None => TableProviderFilterPushDown::Unsupported,
            })
            .collect())
    }

    async fn scan(
        &self,
        state: &dyn Session,
        projection: Option<&Vec<usize>>,
        filters: &[Expr],
        limit: Option<usize>,
    ) -> Result<Arc<dyn ExecutionPlan>> {
        let indices: Vec<usize> = match projection {
            Some(p) => p.clone(),
            None => (0..self.schema.fields().len()).collect(),
        };
        let schema = Arc::new(self.schema.project(&indices)?);
        let columns = indices
            .iter()
            .filter_map(|i| self.table.columns.get(*i))
            .map(|c| IExpr::Column(c.name.clone()))
            .collect();
        let filter = conjunction(
            filters
                .iter()
                .filter_map(|f| translate(f, &self.table))
                .map(|t| t.predicate)
                .collect(),
        );
        let request = ScanRequest {
            table: self.table.name.clone(),
            filter,
            columns,
            limit,
        };
        // Parallel streams only pay off without a limit and with partitions
        // to share out.
        let partitions = if limit.is_some() || self.table.partition_columns().next().is_none() {
            1
        } else {
            state.config().target_partitions()
        };
        let mut exec = IsothermScanExec::new(
            self.backend.clone(),
            self.table.clone(),
            request,
            schema,
            partitions,
        );
        if let Some(rows) = self.chunk_rows {
            exec = exec.with_chunk_rows(rows);
        }
        Ok(Arc::new(exec))
    }
}
