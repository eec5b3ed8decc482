//! What the SQL face needs from the index: schemas, answers and plans.
//!
//! [`Backend`] is implemented by `isotherm_indexer::Database` and by
//! `isotherm_protocol::MemoryBackend`, a naive in-memory
//! reference used in tests. Calls are synchronous and may be CPU-heavy: the
//! handler runs them on tokio's blocking pool, except requests that
//! `aggregate_within` answers within a small budget, which run in place.

use std::sync::Arc;

use isotherm_indexer::{
    AggregateRequest, Explain, IndexError, ResultSet, ScanRequest, TableSchema,
};

pub trait Backend: Send + Sync + 'static {
    /// The table's schema; `IndexError::UnknownTable` if there is none.
    fn schema(&self, table: &str) -> Result<Arc<TableSchema>, IndexError>;
    /// Names of all tables.
    fn table_names(&self) -> Vec<String>;
    /// Rows a table holds (`pg_class.reltuples`, `n_live_tup`); `None`
    /// where the backend does not count them.
    fn row_count(&self, _table: &str) -> Option<u64> {
        None
    }
    fn aggregate(&self, req: &AggregateRequest) -> Result<ResultSet, IndexError>;
    /// `aggregate`, if it reads at most `budget` entries (rollup groups,
    /// value-index entries or rows); `None`, having run nothing, otherwise
    /// or where the backend cannot tell.
    fn aggregate_within(
        &self,
        _req: &AggregateRequest,
        _budget: usize,
    ) -> Result<Option<ResultSet>, IndexError> {
        Ok(None)
    }
    fn scan(&self, req: &ScanRequest) -> Result<ResultSet, IndexError>;
    fn explain_aggregate(&self, req: &AggregateRequest) -> Result<Explain, IndexError>;
    fn explain_scan(&self, req: &ScanRequest) -> Result<Explain, IndexError>;
}

impl Backend for isotherm_indexer::Database {
    fn schema(&self, table: &str) -> Result<Arc<TableSchema>, IndexError> {
        isotherm_indexer::Database::schema(self, table)
    }

    fn table_names(&self) -> Vec<String> {
        self.list_tables().into_iter().map(|t| t.name).collect()
    }

    fn row_count(&self, table: &str) -> Option<u64> {
        self.list_tables()
            .into_iter()
            .find(|t| t.name == table)
            .map(|t| t.rows)
    }

    fn aggregate(&self, req: &AggregateRequest) -> Result<ResultSet, IndexError> {
        isotherm_indexer::Database::aggregate(self, req)
    }

    fn aggregate_within(
        &self,
        req: &AggregateRequest,
        budget: usize,
    ) -> Result<Option<ResultSet>, IndexError> {
        isotherm_indexer::Database::aggregate_within(self, req, budget)
    }

    fn scan(&self, req: &ScanRequest) -> Result<ResultSet, IndexError> {
        isotherm_indexer::Database::scan(self, req)
    }

    fn explain_aggregate(&self, req: &AggregateRequest) -> Result<Explain, IndexError> {
        isotherm_indexer::Database::explain_aggregate(self, req)
    }

    fn explain_scan(&self, req: &ScanRequest) -> Result<Explain, IndexError> {
        isotherm_indexer::Database::explain_scan(self, req)
    }
}
