//! [`MemoryBackend`]: a naive [`Backend`] over rows held in memory.
//!
//! It answers every request by scanning every row: slow, obviously correct,
//! and independent of the index. Tests of the SQL face (here and in the
//! server) run against it; it is not meant for data of any size.

use std::collections::HashMap;
use std::sync::Arc;

use isotherm_indexer::{
    AggFunc, AggregateRequest, ColumnDef, Explain, Expr, IndexError, Numeric, ResultSet,
    ScalarType, ScanRequest, TableSchema, Value,
};
use parking_lot::RwLock;

use crate::backend::Backend;
use crate::eval::{eval_expr, eval_predicate};

/// A group's key and, per row, each aggregate's input (`None`: filtered out).
type Group = (Vec<Value>, Vec<Vec<Option<Value>>>);

struct Table {
    schema: Arc<TableSchema>,
    rows: Vec<Vec<Value>>,
}

#[derive(Default)]
pub struct MemoryBackend {
    tables: RwLock<HashMap<String, Table>>,
}

impl MemoryBackend {
    pub fn new() -> Self {
        Self::default()
    }

    /// Adds (or replaces) a table; each row has one value per schema column.
    pub fn insert_table(&self, schema: TableSchema, rows: Vec<Vec<Value>>) {
        self.tables.write().insert(
            schema.name.clone(),
            Table {
                schema: Arc::new(schema),
                rows,
            },
        );
    }

    fn with_table<T>(
        &self,
        name: &str,
        f: impl FnOnce(&Table) -> Result<T, IndexError>,
    ) -> Result<T, IndexError> {
        let tables = self.tables.read();
        let t = tables
            .get(name)
            .ok_or_else(|| IndexError::UnknownTable(name.to_owned()))?;
        f(t)
    }
}

fn check_columns(schema: &TableSchema, expr: &Expr) -> Result<(), IndexError> {
    match expr {
        Expr::Column(c) if schema.column(c).is_none() => Err(IndexError::UnknownColumn {
            table: schema.name.clone(),
            column: c.clone(),
        }),
        _ => match isotherm_indexer::query::expr::leaf_column(expr) {
            Some(c) if schema.column(c).is_none() => Err(IndexError::UnknownColumn {
                table: schema.name.clone(),
                column: c.to_owned(),
            }),
            _ => Ok(()),
        },
    }
}

fn expr_type(schema: &TableSchema, expr: &Expr) -> ScalarType {
    match expr {
        Expr::Literal(v) => crate::types::value_type(v).map_or(ScalarType::Text, |t| t.scalar()),
        _ => isotherm_indexer::query::expr::expr_type(schema, expr).unwrap_or(ScalarType::Text),
    }
}

fn agg_type(func: AggFunc, arg: ScalarType) -> ScalarType {
    match (func, arg) {
        (AggFunc::CountStar | AggFunc::Count | AggFunc::CountDistinct, _) => ScalarType::Int64,
        (AggFunc::Sum | AggFunc::Avg, ScalarType::Int64 | ScalarType::Numeric) => {
            ScalarType::Numeric
        }
        (AggFunc::Sum | AggFunc::Avg, _) => ScalarType::Float64,
        (AggFunc::Min | AggFunc::Max, t) => t,
    }
}

fn aggregate(func: AggFunc, values: &[Value], out: ScalarType) -> Value {
    let non_null: Vec<&Value> = values.iter().filter(|v| !v.is_null()).collect();
    match func {
        AggFunc::CountStar => Value::Int64(values.len() as i64),
        AggFunc::Count => Value::Int64(non_null.len() as i64),
        AggFunc::CountDistinct => {
            let mut v = non_null.clone();
            v.sort_by(|a, b| a.sql_cmp(b));
            v.dedup_by(|a, b| a.sql_cmp(b).is_eq());
            Value::Int64(v.len() as i64)
        }
        AggFunc::Min => non_null
            .iter()
            .min_by(|a, b| a.sql_cmp(b))
            .map_or(Value::Null, |v| (*v).clone()),
        AggFunc::Max => non_null
            .iter()
            .max_by(|a, b| a.sql_cmp(b))
            .map_or(Value::Null, |v| (*v).clone()),
        AggFunc::Sum | AggFunc::Avg => {
            if non_null.is_empty() {
                return Value::Null;
            }
            if out == ScalarType::Numeric {
                let mut scale = 0u8;
                let nums: Vec<Numeric> = non_null
                    .iter()
                    .filter_map(|v| match v {
                        Value::Int64(i) => Some(Numeric::from_i64(*i)),
                        Value::Numeric(n) => Some(*n),
                        _ => None,
                    })
                    .inspect(|n| scale = scale.max(n.scale))
                    .collect();
                let sum: i128 = nums
                    .iter()
                    .filter_map(|n| n.rescale(scale))
                    .map(|n| n.unscaled)
                    .sum();
                let total = Numeric {
                    unscaled: sum,
                    scale,
                };
                if func == AggFunc::Sum {
                    return Value::Numeric(total);
                }
                // avg(numeric): 16 significant digits are plenty for tests.
                let avg = total.to_f64() / nums.len() as f64;
                return crate::types::cast_value(
                    Value::Float64(avg),
                    crate::types::PgType::Numeric,
                )
                .unwrap_or(Value::Null);
            }
            let sum: f64 = non_null
                .iter()
                .map(|v| match v {
                    Value::Float64(f) => *f,
                    Value::Int64(i) => *i as f64,
                    Value::Numeric(n) => n.to_f64(),
                    _ => 0.0,
                })
                .sum();
            if func == AggFunc::Sum {
                Value::Float64(sum)
            } else {
                Value::Float64(sum / non_null.len() as f64)
            }
        }
    }
}

impl Backend for MemoryBackend {
    fn schema(&self, table: &str) -> Result<Arc<TableSchema>, IndexError> {
        self.with_table(table, |t| Ok(t.schema.clone()))
    }

    fn table_names(&self) -> Vec<String> {
        let mut names: Vec<String> = self.tables.read().keys().cloned().collect();
        names.sort();
        names
    }

    fn aggregate(&self, req: &AggregateRequest) -> Result<ResultSet, IndexError> {
        self.with_table(&req.table, |t| {
            let schema = &t.schema;
            for e in req
                .group_by
                .iter()
                .chain(req.aggregates.iter().filter_map(|a| a.arg.as_ref()))
            {
                check_columns(schema, e)?;
            }
            let mut groups: Vec<Group> = Vec::new();
            for row in &t.rows {
                let col = |name: &str| schema.column_index(name).and_then(|i| row.get(i));
                if let Some(f) = &req.filter
                    && eval_predicate(f, &col) != Some(true)
                {
                    continue;
                }
                let key: Vec<Value> = req.group_by.iter().map(|e| eval_expr(e, &col)).collect();
                // `None`: the row is outside the aggregate's FILTER.
                let args: Vec<Option<Value>> = req
                    .aggregates
                    .iter()
                    .map(|a| {
                        let keep = a
                            .filter
                            .as_ref()
                            .is_none_or(|f| eval_predicate(f, &col) == Some(true));
                        keep.then(|| {
                            a.arg
                                .as_ref()
                                .map_or(Value::Bool(true), |e| eval_expr(e, &col))
                        })
                    })
                    .collect();
                let pos = groups
                    .iter()
                    .position(|(k, _)| k.iter().zip(&key).all(|(a, b)| a.sql_cmp(b).is_eq()));
                match pos {
                    Some(i) => groups[i].1.push(args),
                    None => groups.push((key, vec![args])),
                }
            }
            if req.group_by.is_empty() && groups.is_empty() {
                groups.push((Vec::new(), Vec::new()));
            }
            let agg_types: Vec<ScalarType> = req
                .aggregates
                .iter()
                .map(|a| {
                    let arg = a
                        .arg
                        .as_ref()
                        .map_or(ScalarType::Int64, |e| expr_type(schema, e));
                    agg_type(a.func, arg)
                })
                .collect();
            let mut types: Vec<ScalarType> =
                req.group_by.iter().map(|e| expr_type(schema, e)).collect();
            types.extend(agg_types.iter().copied());
            let rows = groups
                .into_iter()
                .map(|(mut key, arg_rows)| {
                    for (i, a) in req.aggregates.iter().enumerate() {
                        let vals: Vec<Value> =
                            arg_rows.iter().filter_map(|r| r[i].clone()).collect();
                        key.push(aggregate(a.func, &vals, agg_types[i]));
                    }
                    key
                })
                .collect();
            Ok(ResultSet { types, rows })
        })
    }

    fn scan(&self, req: &ScanRequest) -> Result<ResultSet, IndexError> {
        self.with_table(&req.table, |t| {
            let schema = &t.schema;
            for e in &req.columns {
                check_columns(schema, e)?;
            }
            let mut rows = Vec::new();
            for row in &t.rows {
                if req.limit.is_some_and(|l| rows.len() >= l) {
                    break;
                }
                let col = |name: &str| schema.column_index(name).and_then(|i| row.get(i));
                if let Some(f) = &req.filter
                    && eval_predicate(f, &col) != Some(true)
                {
                    continue;
                }
                rows.push(req.columns.iter().map(|e| eval_expr(e, &col)).collect());
            }
            Ok(ResultSet {
                types: req.columns.iter().map(|e| expr_type(schema, e)).collect(),
                rows,
            })
        })
    }

    fn explain_aggregate(&self, req: &AggregateRequest) -> Result<Explain, IndexError> {
        self.with_table(&req.table, |_| Ok(memory_explain()))
    }

    fn explain_scan(&self, req: &ScanRequest) -> Result<Explain, IndexError> {
        self.with_table(&req.table, |_| Ok(memory_explain()))
    }
}

fn memory_explain() -> Explain {
    Explain {
        path: "scan".to_owned(),
        index: None,
        reason: "the in-memory backend scans every row".to_owned(),
        segments_total: 1,
        segments_selected: 1,
    }
}

/// A column definition, for building test schemas briefly.
pub fn column(name: &str, ty: ScalarType, role: isotherm_indexer::ColumnRole) -> ColumnDef {
    ColumnDef {
        name: name.to_owned(),
        ty,
        role,
        partition: false,
        nullable: true,
    }
}
