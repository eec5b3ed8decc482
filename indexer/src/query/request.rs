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
    /// `CAST(arg AS to)`: between `date`, `timestamp` and `timestamptz`
    /// (session time zone UTC), and `numeric` to `double precision` or
    /// `bigint` (rounding half away from zero, as PostgreSQL does).
    Cast { to: ScalarType, arg: Box<Expr> },
    /// `left op right` over `numeric` operands, with PostgreSQL's result
    /// scales (division: at least 16 significant digits). At most one side
    /// reads a column; the other is a literal. NULL if either side is.
    Arith {
        op: NumOp,
        left: Box<Expr>,
        right: Box<Expr>,
    },
    /// `floor(arg)` of a `numeric` (scale 0) or `double precision`.
    Floor(Box<Expr>),
    /// `coalesce(arg, value)`: `value` (of `arg`'s type) where `arg` is NULL.
    Coalesce { arg: Box<Expr>, value: Value },
}

/// Arithmetic in [`Expr::Arith`].
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum NumOp {
    Add,
    Sub,
    Mul,
    Div,
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
    /// `agg(...) FILTER (WHERE filter)`: only rows where it is true are
    /// aggregated (what `CASE` inside an aggregate becomes).
    pub filter: Option<Predicate>,
}

impl Aggregate {
    /// An aggregate over every row.
    pub fn new(func: AggFunc, arg: Option<Expr>) -> Self {
        Aggregate {
            func,
            arg,
            filter: None,
        }
    }

    /// The same aggregate over the rows where `filter` is true.
    pub fn filtered(func: AggFunc, arg: Option<Expr>, filter: Option<Predicate>) -> Self {
        Aggregate { func, arg, filter }
    }
}

impl Predicate {
    /// A predicate true exactly where `self` is true, and false (never
    /// unknown) elsewhere: so `NOT p.is_true()` selects the rows where `p`
    /// is false or unknown, as the ELSE branch of `CASE WHEN p` does.
    pub fn is_true(&self) -> Predicate {
        self.two_valued(true)
    }

    /// True exactly where `self` is not true (false or unknown).
    pub fn is_not_true(&self) -> Predicate {
        Predicate::Not(Box::new(self.is_true()))
    }

    /// Two-valued: true where `self` is `want`, false elsewhere.
    fn two_valued(&self, want: bool) -> Predicate {
        let not_null = |expr: &Expr| Predicate::IsNull {
            expr: expr.clone(),
            negated: true,
        };
        // An atom over a non-NULL expression is two-valued once its
        // constants are non-NULL.
        let guarded = |expr: &Expr, p: Predicate| {
            let p = if want { p } else { Predicate::Not(Box::new(p)) };
            Predicate::And(vec![not_null(expr), p])
        };
        match self {
            Predicate::Const(b) => Predicate::Const(*b == want),
            Predicate::IsNull { expr, negated } => Predicate::IsNull {
                expr: expr.clone(),
                negated: *negated == want,
            },
            Predicate::Compare { value, .. } if value.is_null() => Predicate::Const(false),
            Predicate::Compare { expr, .. } => guarded(expr, self.clone()),
            Predicate::Between { low, high, .. } if low.is_null() || high.is_null() => {
                // Sometimes decided by the other bound: keep it exact by
                // splitting into the two comparisons.
                let Predicate::Between {
                    expr,
                    low,
                    high,
                    negated,
                } = self
                else {
                    return Predicate::Const(false);
                };
                let both = Predicate::And(vec![
                    Predicate::Compare {
                        expr: expr.clone(),
                        op: CmpOp::GtEq,
                        value: low.clone(),
                    },
                    Predicate::Compare {
                        expr: expr.clone(),
                        op: CmpOp::LtEq,
                        value: high.clone(),
                    },
                ]);
                let p = if *negated {
                    Predicate::Not(Box::new(both))
                } else {
                    both
                };
                p.two_valued(want)
            }
            Predicate::Between { expr, .. } => guarded(expr, self.clone()),
            Predicate::InList {
                expr,
                values,
                negated,
            } => {
                let known: Vec<Value> = values.iter().filter(|v| !v.is_null()).cloned().collect();
                let has_null = known.len() < values.len();
                // x IN (known..., NULL) is true on a match, else unknown.
                let matches = if known.is_empty() {
                    Predicate::Const(false)
                } else {
                    Predicate::And(vec![
                        not_null(expr),
                        Predicate::InList {
                            expr: expr.clone(),
                            values: known.clone(),
                            negated: false,
                        },
                    ])
                };
                let misses = if has_null {
                    Predicate::Const(false)
                } else if known.is_empty() {
                    not_null(expr)
                } else {
                    Predicate::And(vec![
                        not_null(expr),
                        Predicate::InList {
                            expr: expr.clone(),
                            values: known,
                            negated: true,
                        },
                    ])
                };
                // IN is true on a match and false on a miss; NOT IN the reverse.
                if want != *negated { matches } else { misses }
            }
            Predicate::And(ps) => {
                let parts = ps.iter().map(|p| p.two_valued(want)).collect();
                if want {
                    Predicate::And(parts)
                } else {
                    Predicate::Or(parts)
                }
            }
            Predicate::Or(ps) => {
                let parts = ps.iter().map(|p| p.two_valued(want)).collect();
                if want {
                    Predicate::Or(parts)
                } else {
                    Predicate::And(parts)
                }
            }
            Predicate::Not(p) => p.two_valued(!want),
        }
    }
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
