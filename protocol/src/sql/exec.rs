//! Running a [`SelectPlan`]: ask the index, then apply the post-processing
//! program in SQL's order: HAVING, ORDER BY, select list, DISTINCT, OFFSET,
//! LIMIT. Results of aggregate queries are small (one row per group); scans
//! carry LIMIT down when nothing here reorders or filters.

use isotherm_indexer::{Explain, Value};

use crate::backend::Backend;
use crate::error::{SqlError, SqlResult};
use crate::sql::out::order_cmp;
use crate::sql::select::{SelectPlan, Source};
use crate::types::cast_value;

/// Runs the plan against the index; blocking.
pub fn run_select(plan: &SelectPlan, backend: &dyn Backend) -> SqlResult<Vec<Vec<Value>>> {
    let rows = match &plan.source {
        Source::Aggregate(r) => backend.aggregate(r)?.rows,
        Source::Scan(r) => backend.scan(r)?.rows,
        Source::Single => vec![Vec::new()],
    };
    post_process(plan, rows)
}

/// Runs the plan if it is cheap: no table, or an aggregate reading at most
/// `budget` entries; `None` (nothing run) otherwise. Blocks only briefly.
pub fn run_select_within(
    plan: &SelectPlan,
    backend: &dyn Backend,
    budget: usize,
) -> SqlResult<Option<Vec<Vec<Value>>>> {
    let rows = match &plan.source {
        Source::Aggregate(r) => match backend.aggregate_within(r, budget)? {
            Some(rs) => rs.rows,
            None => return Ok(None),
        },
        Source::Scan(_) => return Ok(None),
        Source::Single => vec![Vec::new()],
    };
    post_process(plan, rows).map(Some)
}

/// The index's plan for the request, if there is one.
pub fn explain_select(plan: &SelectPlan, backend: &dyn Backend) -> SqlResult<Option<Explain>> {
    Ok(match &plan.source {
        Source::Aggregate(r) => Some(backend.explain_aggregate(r)?),
        Source::Scan(r) => Some(backend.explain_scan(r)?),
        Source::Single => None,
    })
}

/// HAVING, ORDER BY, projection, DISTINCT, OFFSET and LIMIT over the index's rows.
pub fn post_process(plan: &SelectPlan, rows: Vec<Vec<Value>>) -> SqlResult<Vec<Vec<Value>>> {
    let mut kept = Vec::with_capacity(rows.len());
    for mut row in rows {
        if row.len() != plan.input_types.len() {
            return Err(SqlError::Internal(format!(
                "index returned {} columns, expected {}",
                row.len(),
                plan.input_types.len()
            )));
        }
        for (v, ty) in row.iter_mut().zip(&plan.input_types) {
            if !v.is_null() && crate::types::value_type(v).map(|t| t.scalar()) != Some(ty.scalar())
            {
                *v = cast_value(std::mem::replace(v, Value::Null), *ty)?;
            }
        }
        if let Some(h) = &plan.having
            && h.eval(&row)? != Some(true)
        {
            continue;
        }
        kept.push(row);
    }
    if !plan.order_by.is_empty() {
        let mut keyed = Vec::with_capacity(kept.len());
        for row in kept {
            let keys = plan
                .order_by
                .iter()
                .map(|k| k.expr.eval(&row))
                .collect::<SqlResult<Vec<Value>>>()?;
            keyed.push((keys, row));
        }
        keyed.sort_by(|(a, _), (b, _)| {
            for ((x, y), k) in a.iter().zip(b).zip(&plan.order_by) {
                let o = order_cmp(x, y, k.desc, k.nulls_first);
                if o.is_ne() {
                    return o;
                }
            }
            std::cmp::Ordering::Equal
        });
        kept = keyed.into_iter().map(|(_, r)| r).collect();
    }
    let mut out: Vec<Vec<Value>> = Vec::with_capacity(kept.len());
    for row in &kept {
        let projected = plan
            .projection
            .iter()
            .map(|p| p.eval(row))
            .collect::<SqlResult<Vec<Value>>>()?;
        if plan.distinct
            && out.iter().any(|o| {
                o.iter()
                    .zip(&projected)
                    .all(|(a, b)| a.is_null() == b.is_null() && a.sql_cmp(b).is_eq())
            })
        {
            continue;
        }
        out.push(projected);
    }
    let start = plan.offset.min(out.len());
    let end = match plan.limit {
        Some(l) => start.saturating_add(l).min(out.len()),
        None => out.len(),
    };
    Ok(out.drain(start..end).collect())
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;
    use crate::sql::out::{Out, OutExpr};
    use crate::sql::select::SortKey;
    use crate::types::PgType;

    fn plan(order_by: Vec<SortKey>, offset: usize, limit: Option<usize>) -> SelectPlan {
        SelectPlan {
            source: Source::Single,
            input_types: vec![PgType::Int8],
            having: None,
            order_by,
            distinct: false,
            offset,
            limit,
            projection: vec![Out::new(OutExpr::Input(0), PgType::Int8)],
            fields: vec![],
        }
    }

    #[test]
    fn sorts_nulls_and_limits() {
        let rows = vec![
            vec![Value::Int64(2)],
            vec![Value::Null],
            vec![Value::Int64(1)],
        ];
        let key = |desc: bool| SortKey {
            expr: Out::new(OutExpr::Input(0), PgType::Int8),
            desc,
            nulls_first: desc,
        };
        let asc = post_process(&plan(vec![key(false)], 0, None), rows.clone()).unwrap();
        assert_eq!(
            asc,
            vec![
                vec![Value::Int64(1)],
                vec![Value::Int64(2)],
                vec![Value::Null]
            ]
        );
        let desc = post_process(&plan(vec![key(true)], 1, Some(1)), rows).unwrap();
        assert_eq!(desc, vec![vec![Value::Int64(2)]]);
    }

    #[test]
    fn wrong_width_is_internal() {
        let e = post_process(&plan(vec![], 0, None), vec![vec![]]).unwrap_err();
        assert_eq!(e.sqlstate(), "XX000");
    }
}
