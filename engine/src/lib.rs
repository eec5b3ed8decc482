//! The general SQL engine: DataFusion over Isotherm's tables and an emulated
//! PostgreSQL catalog.
//!
//! The index (`isotherm-indexer`) answers the aggregate shapes it covers in
//! microseconds. Everything else a client sends — catalog queries from
//! drivers and BI tools, joins, subqueries, CTEs, window functions, string
//! functions — runs here, in DataFusion, over:
//! - `public.<table>`: a table provider per Isotherm table that reads the
//!   index through [`Backend::scan`], with filters pushed down to the bitmaps;
//! - `pg_catalog` and `information_schema`: `datafusion-pg-catalog`'s
//!   emulated, joinable catalog tables, plus the functions clients call.
//!
//! ```text
//! backend.rs   what the engine (and the SQL face) needs from the index
//! convert.rs   index values <-> Arrow / DataFusion scalars
//! provider/    schema `public`: Isotherm's tables, filters pushed to the index
//! catalog/     pg_catalog and information_schema, stable OIDs
//! functions/   PostgreSQL functions clients call (catalog and session)
//! names.rs     PostgreSQL's result column names (FigureColname)
//! pg_typing.rs plan rules giving results PostgreSQL's types (int4 arithmetic)
//! numeric/     unconstrained numeric with per-value scales (avg, division, casts)
//! error.rs     EngineError and its SQLSTATEs
//! session.rs   Engine (one per server), EnginePlan: plan, bind, execute
//! ```
//!
//! The protocol crate decides which path answers: it plans with the index
//! first and comes here when the index reports a shape it does not cover.

pub mod backend;
pub mod catalog;
pub mod convert;
pub mod error;
pub mod functions;
pub mod names;
pub mod numeric;
pub mod pg_typing;
pub mod provider;
pub mod session;

pub use backend::Backend;
pub use error::{EngineError, EngineResult};
pub use session::{EXPLAIN_PATH, Engine, EngineConfig, EnginePlan, SessionVars};

/// Re-exported so the SQL face converts results without its own copies.
pub use datafusion::arrow;
pub use datafusion::common::ScalarValue;
