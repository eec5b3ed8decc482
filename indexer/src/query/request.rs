//! What the SQL face asks of the index: typed, resolved requests.
//!
//! The protocol layer parses SQL, resolves names against the [`TableSchema`],
//! coerces literals to the column's type and builds one of these. The index
//! answers it from the cheapest structure that can (rollup, value stats,
//! bitmaps, scan) and every path gives the same answer.
//!
//! Projection order, aliases, HAVING, ORDER BY, LIMIT and OFFSET over an
//! aggregate result are applied by the caller: results are small.
//!
//! [`TableSchema`]: crate::schema::TableSchema

use crate::value::{ScalarType, Value};

/// A row-level expression: what GROUP BY, WHERE and detail selects use.
#[derive(Debug, Clone, PartialEq)]
pub enum Expr {
    /// A column by its exact (already resolved) name.
    Column(String),
    /// `date_trunc(unit, arg)`. On a `date` or `timestamptz` argument the
    /// result is `timestamptz`, on a `timestamp` it is `timestamp` (as in PostgreSQL).
    DateTrunc { unit: TruncUnit, arg: Box<Expr> },
    /// `extract(field FROM arg)`: `numeric` in PostgreSQL 14+.
    Extract { field: ExtractField, arg: Box<Expr> },
    /// A constant, already typed.
    Literal(Value),
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum TruncUnit {
    Day,
    Week,
    Month,
    Quarter,
    Year,
    Hour,
    Minute,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum ExtractField {
    Year,
    Quarter,
    Month,
    Week,
    Day,
    /// Day of week, Sunday = 0.
    Dow,
    /// ISO day of week, Monday = 1.
    IsoDow,
    /// Day of year, 1-based.
    Doy,
    Hour,
    Minute,
    Second,
    Epoch,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum CmpOp {
    Eq,
    NotEq,
    Lt,
    LtEq,
    Gt,
    GtEq,
}

/// A WHERE clause. SQL three-valued logic: a comparison with NULL is unknown,
/// and only rows where the whole predicate is true are kept.
#[derive(Debug, Clone, PartialEq)]
pub enum Predicate {
    Compare {
        expr: Expr,
        op: CmpOp,
        value: Value,
    },
    InList {
        expr: Expr,
        values: Vec<Value>,
        negated: bool,
    },
    Between {
        expr: Expr,
        low: Value,
        high: Value,
        negated: bool,
    },
    IsNull {
        expr: Expr,
        negated: bool,
    },
    And(Vec<Predicate>),
    Or(Vec<Predicate>),
    Not(Box<Predicate>),
    Const(bool),
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum AggFunc {
    /// `count(*)`
    CountStar,
    /// `count(arg)`: non-null values
    Count,
    /// `count(DISTINCT arg)`
    CountDistinct,
    Sum,
    Avg,
    Min,
    Max,
}

#[derive(Debug, Clone, PartialEq)]
pub struct Aggregate {
    pub func: AggFunc,
    /// `None` only for `CountStar`.
    pub arg: Option<Expr>,
}

/// `SELECT <group_by..>, <aggregates..> FROM table WHERE filter GROUP BY <group_by..>`.
///
/// With no `group_by` the answer has exactly one row (as in SQL, even over no rows).
#[derive(Debug, Clone, PartialEq)]
pub struct AggregateRequest {
    pub table: String,
    pub filter: Option<Predicate>,
    pub group_by: Vec<Expr>,
    pub aggregates: Vec<Aggregate>,
}

/// `SELECT <columns..> FROM table WHERE filter LIMIT limit` (detail rows).
/// Row order is unspecified, as in SQL without ORDER BY; `limit` stops early.
#[derive(Debug, Clone, PartialEq)]
pub struct ScanRequest {
    pub table: String,
    pub filter: Option<Predicate>,
    pub columns: Vec<Expr>,
    pub limit: Option<usize>,
}

/// Rows of typed values. For an aggregate: the group values then the aggregate
/// values, in request order. Groups come in no particular order.
#[derive(Debug, Clone, PartialEq)]
pub struct ResultSet {
    pub types: Vec<ScalarType>,
    pub rows: Vec<Vec<Value>>,
}

/// Which index answered, and why: what `EXPLAIN` prints.
#[derive(Debug, Clone, PartialEq)]
pub struct Explain {
    /// `"rollup"`, `"value-stats"`, `"bitmap-scan"` or `"scan"`.
    pub path: String,
    /// The rollup or dimension used, if any.
    pub index: Option<String>,
    /// One sentence: why this path.
    pub reason: String,
    pub segments_total: usize,
    pub segments_selected: usize,
}
