//! Splitting one table scan into bounded backend calls.
//!
//! [`Backend::scan`] answers a whole request as one in-memory [`ResultSet`]:
//! a full scan of a large table would hold every row as values at once. To
//! keep memory bounded, a scan is cut along the table's partitions (each a
//! segment of the index): one cheap aggregate lists the partitions that the
//! filter's partition-only conjuncts keep, with their row counts (answered
//! from segment metadata), and consecutive partitions are grouped into
//! chunks of about [`CHUNK_ROWS`] rows. Each chunk is one `scan` whose filter
//! is the query's filter AND the chunk's partition values, so the index
//! prunes every other segment.
//!
//! A scan may run as several DataFusion partitions (streams in parallel):
//! stream `p` of `n` takes the partitions whose key hashes to `p`, so two
//! streams never read the same partition even if each lists the table at a
//! slightly different moment. A partition committed while a query runs is
//! read whole (the index swaps segments atomically) or not at all.
//!
//! What the index's API would need for true streaming is in the module doc
//! of [`super`].
//!
//! [`ResultSet`]: isotherm_indexer::ResultSet

use std::hash::{DefaultHasher, Hash, Hasher};

use isotherm_indexer::{
    AggFunc, Aggregate, AggregateRequest, Expr as IExpr, IndexError, Predicate, TableSchema, Value,
};

use crate::backend::Backend;

/// About this many rows per backend call (a partition is never split).
pub const CHUNK_ROWS: u64 = 65_536;

/// The filters of the backend calls that stream `part` of `parts` makes,
/// in partition order. `None` is an unfiltered scan.
pub fn chunk_filters(
    backend: &dyn Backend,
    schema: &TableSchema,
    filter: Option<&Predicate>,
    part: usize,
    parts: usize,
    chunk_rows: u64,
) -> Result<Vec<Option<Predicate>>, IndexError> {
    let part_cols: Vec<&str> = schema
        .partition_columns()
        .map(|c| c.name.as_str())
        .collect();
    if part_cols.is_empty() {
        return Ok(if part == 0 {
            vec![filter.cloned()]
        } else {
            Vec::new()
        });
    }
    let listing = AggregateRequest {
        table: schema.name.clone(),
        filter: filter.and_then(|f| partition_only(f, &part_cols)),
        group_by: part_cols
            .iter()
            .map(|c| IExpr::Column((*c).to_owned()))
            .collect(),
        aggregates: vec![Aggregate::new(AggFunc::CountStar, None)],
    };
    let result = backend.aggregate(&listing)?;
    let width = part_cols.len();
    let mut partitions: Vec<(Vec<Value>, u64)> = result
        .rows
        .into_iter()
        .filter_map(|mut row| {
            let count = match row.pop() {
                Some(Value::Int64(n)) => u64::try_from(n).unwrap_or(0),
                _ => 0,
            };
            (row.len() == width && count > 0).then_some((row, count))
        })
        .filter(|(key, _)| parts <= 1 || key_hash(key) % parts as u64 == part as u64)
        .collect();
    partitions.sort_by(|(a, _), (b, _)| {
        a.iter()
            .zip(b)
            .map(|(x, y)| x.sql_cmp(y))
            .find(|o| o.is_ne())
            .unwrap_or(std::cmp::Ordering::Equal)
    });
    if parts <= 1 && partitions.iter().map(|(_, n)| n).sum::<u64>() <= chunk_rows {
        // One call answers it all: no partition predicate needed.
        return Ok(vec![filter.cloned()]);
    }
    let mut chunks = Vec::new();
    let mut keys: Vec<Vec<Value>> = Vec::new();
    let mut rows = 0u64;
    for (key, n) in partitions {
        keys.push(key);
        rows += n;
        if rows >= chunk_rows {
            chunks.push(with_partitions(
                filter,
                &part_cols,
                std::mem::take(&mut keys),
            ));
            rows = 0;
        }
    }
    if !keys.is_empty() {
        chunks.push(with_partitions(filter, &part_cols, keys));
    }
    Ok(chunks)
}

/// A stable hash of a partition key (same in every stream of one process).
fn key_hash(key: &[Value]) -> u64 {
    let mut h = DefaultHasher::new();
    for v in key {
        format!("{v:?}").hash(&mut h);
    }
    h.finish()
}

/// `filter AND (<key 1> OR <key 2> ...)`, each key `col = value AND ...`.
fn with_partitions(
    filter: Option<&Predicate>,
    cols: &[&str],
    keys: Vec<Vec<Value>>,
) -> Option<Predicate> {
    let matches = |key: Vec<Value>| {
        let atoms: Vec<Predicate> = cols
            .iter()
            .zip(key)
            .map(|(c, v)| {
                let expr = IExpr::Column((*c).to_owned());
                if v.is_null() {
                    Predicate::IsNull {
                        expr,
                        negated: false,
                    }
                } else {
                    Predicate::Compare {
                        expr,
                        op: isotherm_indexer::CmpOp::Eq,
                        value: v,
                    }
                }
            })
            .collect();
        match <[Predicate; 1]>::try_from(atoms) {
            Ok([one]) => one,
            Err(atoms) => Predicate::And(atoms),
        }
    };
    let keys = Predicate::Or(keys.into_iter().map(matches).collect());
    Some(match filter {
        Some(f) => Predicate::And(vec![f.clone(), keys]),
        None => keys,
    })
}

/// The part of `p` that reads only partition columns (`None`: nothing).
fn partition_only(p: &Predicate, cols: &[&str]) -> Option<Predicate> {
    if reads_only(p, cols) {
        return Some(p.clone());
    }
    match p {
        Predicate::And(ps) => {
            let kept: Vec<Predicate> = ps.iter().filter_map(|p| partition_only(p, cols)).collect();
            (!kept.is_empty()).then_some(Predicate::And(kept))
        }
        _ => None,
    }
}

fn reads_only(p: &Predicate, cols: &[&str]) -> bool {
    fn expr_ok(e: &IExpr, cols: &[&str]) -> bool {
        match e {
            IExpr::Column(c) => cols.contains(&c.as_str()),
            IExpr::DateTrunc { arg, .. }
            | IExpr::Extract { arg, .. }
            | IExpr::Cast { arg, .. }
            | IExpr::Floor(arg)
            | IExpr::Coalesce { arg, .. } => expr_ok(arg, cols),
            IExpr::Arith { left, right, .. } => expr_ok(left, cols) && expr_ok(right, cols),
            IExpr::Literal(_) => true,
        }
    }
    match p {
        Predicate::Compare { expr, .. }
        | Predicate::InList { expr, .. }
        | Predicate::Between { expr, .. }
        | Predicate::IsNull { expr, .. } => expr_ok(expr, cols),
        Predicate::And(ps) | Predicate::Or(ps) => ps.iter().all(|p| reads_only(p, cols)),
        Predicate::Not(p) => reads_only(p, cols),
        Predicate::Const(_) => true,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use isotherm_indexer::CmpOp;

    fn cmp(c: &str, v: Value) -> Predicate {
        Predicate::Compare {
            expr: IExpr::Column(c.into()),
            op: CmpOp::Eq,
            value: v,
        }
    }

    #[test]
    fn listing_keeps_only_partition_conjuncts() {
        let cols = ["date", "region"];
        let p = Predicate::And(vec![
            cmp("region", Value::Text("asia".into())),
            cmp("station", Value::Text("ST1".into())),
            Predicate::Or(vec![
                cmp("date", Value::Date(1)),
                cmp("country", Value::Text("x".into())),
            ]),
        ]);
        assert_eq!(
            partition_only(&p, &cols),
            Some(Predicate::And(vec![cmp(
                "region",
                Value::Text("asia".into())
            )]))
        );
        assert_eq!(partition_only(&cmp("station", Value::Null), &cols), None);
    }

    #[test]
    fn chunks_name_their_partitions() {
        let p = with_partitions(
            None,
            &["date", "region"],
            vec![vec![Value::Date(1), Value::Null]],
        );
        assert_eq!(
            p,
            Some(Predicate::Or(vec![Predicate::And(vec![
                cmp("date", Value::Date(1)),
                Predicate::IsNull {
                    expr: IExpr::Column("region".into()),
                    negated: false
                }
            ])]))
        );
    }
}
