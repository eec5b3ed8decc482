//! [`IsothermScanExec`]: the leaf of a DataFusion plan that reads an
//! Isotherm table through [`Backend::scan`].
//!
//! Each output partition runs on tokio's blocking pool: it lists its chunks
//! ([`super::chunks`]), scans them one by one and sends [`RecordBatch`]es of
//! [`BATCH_ROWS`] rows through a channel of two batches, so at most one
//! chunk's rows are held as values at a time and a slow consumer stops the
//! producer. Dropping the stream (a cancelled query, a satisfied `LIMIT`)
//! ends the producer at its next send.

use std::fmt;
use std::sync::Arc;

use datafusion::arrow::datatypes::SchemaRef;
use datafusion::arrow::record_batch::RecordBatch;
use datafusion::common::tree_node::TreeNodeRecursion;
use datafusion::common::{DataFusionError, Result};
use datafusion::execution::TaskContext;
use datafusion::physical_expr::{EquivalenceProperties, PhysicalExpr};
use datafusion::physical_plan::execution_plan::{Boundedness, EmissionType};
use datafusion::physical_plan::stream::RecordBatchReceiverStreamBuilder;
use datafusion::physical_plan::{
    DisplayAs, DisplayFormatType, ExecutionPlan, Partitioning, PlanProperties,
    SendableRecordBatchStream,
};
use isotherm_indexer::{Explain, ScanRequest, TableSchema};
use tokio::sync::mpsc::Sender;

use super::chunks::{CHUNK_ROWS, chunk_filters};
use super::pushdown::display_predicate;
use crate::backend::Backend;
use crate::convert::{BATCH_ROWS, rows_to_batch};

/// Reads `request` from the index as `partitions` parallel streams.
pub struct IsothermScanExec {
    backend: Arc<dyn Backend>,
    table: Arc<TableSchema>,
    /// Columns, pushed filter and limit; the filter is split per chunk.
    request: ScanRequest,
    /// The index's plan for the request, for `EXPLAIN` (when it had one).
    explain: Option<Explain>,
    schema: SchemaRef,
    partitions: usize,
    chunk_rows: u64,
    properties: Arc<PlanProperties>,
}

impl IsothermScanExec {
    /// `schema` is the projected schema (one field per `request.columns`).
    pub fn new(
        backend: Arc<dyn Backend>,
        table: Arc<TableSchema>,
        request: ScanRequest,
        schema: SchemaRef,
        partitions: usize,
    ) -> Self {
        let partitions = partitions.max(1);
        let explain = backend.explain_scan(&request).ok();
        let properties = Arc::new(PlanProperties::new(
            EquivalenceProperties::new(schema.clone()),
            Partitioning::UnknownPartitioning(partitions),
            EmissionType::Incremental,
            Boundedness::Bounded,
        ));
        IsothermScanExec {
            backend,
            table,
            request,
            explain,
            schema,
            partitions,
            chunk_rows: CHUNK_ROWS,
            properties,
        }
    }

    /// Rows per backend call (tests make it small to exercise chunking).
    pub fn with_chunk_rows(mut self, rows: u64) -> Self {
        self.chunk_rows = rows.max(1);
        self
    }

    /// What this scan asks of the index.
    pub fn request(&self) -> &ScanRequest {
        &self.request
    }

    /// The index's plan for the request (path, segments kept), if known.
    pub fn index_explain(&self) -> Option<&Explain> {
        self.explain.as_ref()
    }
}

impl fmt::Debug for IsothermScanExec {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("IsothermScanExec")
            .field("request", &self.request)
            .field("partitions", &self.partitions)
            .finish_non_exhaustive()
    }
}

impl DisplayAs for IsothermScanExec {
    fn fmt_as(&self, t: DisplayFormatType, f: &mut fmt::Formatter) -> fmt::Result {
        let columns: Vec<String> = self
            .schema
            .fields()
            .iter()
            .map(|f| f.name().clone())
            .collect();
        match t {
            DisplayFormatType::Default | DisplayFormatType::Verbose => {
                write!(
                    f,
                    "IsothermScanExec: table={}, columns=[{}]",
                    self.request.table,
                    columns.join(", ")
                )?;
                if let Some(p) = &self.request.filter {
                    write!(f, ", filter={}", display_predicate(p))?;
                }
                if let Some(l) = self.request.limit {
                    write!(f, ", limit={l}")?;
                }
                if let Some(e) = &self.explain {
                    write!(
                        f,
                        ", index={}{}, segments={}/{}",
                        e.path,
                        e.index
                            .as_ref()
                            .map_or_else(String::new, |i| format!("({i})")),
                        e.segments_selected,
                        e.segments_total
                    )?;
                }
                Ok(())
            }
            DisplayFormatType::TreeRender => {
                writeln!(f, "table={}", self.request.table)?;
                if let Some(p) = &self.request.filter {
                    writeln!(f, "filter={}", display_predicate(p))?;
                }
                Ok(())
            }
        }
    }
}

impl ExecutionPlan for IsothermScanExec {
    fn name(&self) -> &str {
        "IsothermScanExec"
    }

    fn properties(&self) -> &Arc<PlanProperties> {
        &self.properties
    }

    fn children(&self) -> Vec<&Arc<dyn ExecutionPlan>> {
        Vec::new()
    }

    fn apply_expressions(
        &self,
        _f: &mut dyn FnMut(&Arc<dyn PhysicalExpr>) -> Result<TreeNodeRecursion>,
    ) -> Result<TreeNodeRecursion> {
        Ok(TreeNodeRecursion::Continue)
    }

    fn with_new_children(
        self: Arc<Self>,
        children: Vec<Arc<dyn ExecutionPlan>>,
    ) -> Result<Arc<dyn ExecutionPlan>> {
        if children.is_empty() {
            Ok(self)
        } else {
            Err(DataFusionError::Internal(
                "IsothermScanExec has no children".into(),
            ))
        }
    }

    fn execute(
        &self,
        partition: usize,
        _context: Arc<TaskContext>,
    ) -> Result<SendableRecordBatchStream> {
        if partition >= self.partitions {
            return Err(DataFusionError::Internal(format!(
                "IsothermScanExec: partition {partition} of {}",
                self.partitions
            )));
        }
        let mut builder = RecordBatchReceiverStreamBuilder::new(self.schema.clone(), 2);
        let producer = Producer {
            backend: self.backend.clone(),
            table: self.table.clone(),
            request: self.request.clone(),
            schema: self.schema.clone(),
            part: partition,
            parts: self.partitions,
            chunk_rows: self.chunk_rows,
            tx: builder.tx(),
        };
        builder.spawn_blocking(move || producer.run());
        Ok(builder.build())
    }
}

/// One output partition's work, run on the blocking pool.
struct Producer {
    backend: Arc<dyn Backend>,
    table: Arc<TableSchema>,
    request: ScanRequest,
    schema: SchemaRef,
    part: usize,
    parts: usize,
    chunk_rows: u64,
    tx: Sender<Result<RecordBatch>>,
}

fn index_error(e: isotherm_indexer::IndexError) -> DataFusionError {
    DataFusionError::External(Box::new(e))
}

impl Producer {
    fn run(self) -> Result<()> {
        let filters = chunk_filters(
            self.backend.as_ref(),
            &self.table,
            self.request.filter.as_ref(),
            self.part,
            self.parts,
            self.chunk_rows,
        )
        .map_err(index_error)?;
        let mut remaining = self.request.limit;
        for filter in filters {
            if remaining == Some(0) {
                break;
            }
            let req = ScanRequest {
                table: self.request.table.clone(),
                filter,
                columns: self.request.columns.clone(),
                limit: remaining,
            };
            let result = self.backend.scan(&req).map_err(index_error)?;
            if let Some(r) = remaining.as_mut() {
                *r = r.saturating_sub(result.rows.len());
            }
            for rows in result.rows.chunks(BATCH_ROWS) {
                let batch = rows_to_batch(&self.schema, rows)
                    .map_err(|e| DataFusionError::External(Box::new(e)))?;
                if self.tx.blocking_send(Ok(batch)).is_err() {
                    // The consumer is gone (cancelled, or its LIMIT is met).
                    return Ok(());
                }
            }
        }
        Ok(())
    }
}
