//! A prepared statement's index plan, kept between executions.
//!
//! PostgreSQL keeps a prepared statement's plan while the objects it depends
//! on stay the same; so does Isotherm for statements the index answers. An
//! entry is reused only when everything planning read is unchanged:
//!
//! ```text
//! session settings   Session::generation (any SET, RESET, ROLLBACK of a SET)
//! table schema       the same Arc<TableSchema> the backend hands out now
//! parameters         the same types and values as the entry was planned with
//! ```
//!
//! Statements that read the clock or a random number (`now()`,
//! `current_date`, `random()`) are planned every time: planning folds them
//! into constants. One entry per statement: a dashboard re-running the same
//! query hits it; a loop over parameter values re-plans, as before.

use std::sync::Arc;

use isotherm_indexer::{TableSchema, Value};
use parking_lot::Mutex;
use sqlparser::ast::Statement;

use crate::backend::Backend;
use crate::sql::Params;
use crate::sql::select::{SelectPlan, Source};
use crate::sql::translate::reads_clock;
use crate::types::PgType;

#[derive(Debug, Default)]
pub struct PlanCache {
    slot: Mutex<Option<Entry>>,
}

#[derive(Debug)]
struct Entry {
    generation: u64,
    schema: Option<Arc<TableSchema>>,
    types: Vec<Option<PgType>>,
    values: Option<Vec<Value>>,
    plan: Arc<SelectPlan>,
}

/// The schema the plan was made against (`None` for no table).
fn schema_of(plan: &SelectPlan, backend: &dyn Backend) -> Option<Arc<TableSchema>> {
    let table = match &plan.source {
        Source::Aggregate(r) => &r.table,
        Source::Scan(r) => &r.table,
        Source::Single => return None,
    };
    backend.schema(table).ok()
}

impl PlanCache {
    /// A cache for `stmt`, unless its plans cannot be reused.
    pub fn for_statement(stmt: &Statement) -> Option<Arc<PlanCache>> {
        (!reads_clock(stmt)).then(|| Arc::new(PlanCache::default()))
    }

    /// The kept plan, if it was made with these settings, parameters and
    /// the table's current schema.
    pub fn get(
        &self,
        generation: u64,
        params: &Params,
        backend: &dyn Backend,
    ) -> Option<Arc<SelectPlan>> {
        let slot = self.slot.lock();
        let e = slot.as_ref()?;
        if e.generation != generation || e.types != params.types || e.values != params.values {
            return None;
        }
        let now = schema_of(&e.plan, backend);
        let same = match (&e.schema, &now) {
            (Some(a), Some(b)) => Arc::ptr_eq(a, b),
            (None, None) => true,
            _ => false,
        };
        same.then(|| e.plan.clone())
    }

    /// Keeps `plan`, made with these settings and parameters.
    pub fn put(
        &self,
        generation: u64,
        params: &Params,
        backend: &dyn Backend,
        plan: Arc<SelectPlan>,
    ) {
        let schema = schema_of(&plan, backend);
        *self.slot.lock() = Some(Entry {
            generation,
            schema,
            types: params.types.clone(),
            values: params.values.clone(),
            plan,
        });
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;
    use crate::sql::parse::parse_sql;
    use crate::sql::select::tests::{backend, plan, schema};

    fn cache(sql: &str) -> Option<Arc<PlanCache>> {
        PlanCache::for_statement(&parse_sql(sql).unwrap()[0])
    }

    #[test]
    fn statements_reading_the_clock_keep_no_plan() {
        assert!(cache("SELECT region, count(*) FROM temperatures GROUP BY region").is_some());
        for sql in [
            "SELECT count(*) FROM temperatures WHERE date < current_date",
            "SELECT count(*) FROM temperatures WHERE measured_at < now()",
            "SELECT count(*) FROM temperatures WHERE measured_at < CURRENT_TIMESTAMP",
            "SELECT random()",
        ] {
            assert!(cache(sql).is_none(), "{sql}");
        }
    }

    #[test]
    fn a_kept_plan_holds_while_settings_parameters_and_schema_do() {
        let b = backend();
        let sql = "SELECT region, count(*) FROM temperatures WHERE date = $1 GROUP BY region";
        let c = cache(sql).unwrap();
        let p =
            Arc::new(plan("SELECT region, count(*) FROM temperatures GROUP BY region").unwrap());
        let day = |d: i32| Params::bound(vec![Some(PgType::Date)], vec![Value::Date(d)]);
        c.put(7, &day(1), &b, p.clone());
        assert!(Arc::ptr_eq(&c.get(7, &day(1), &b).unwrap(), &p));
        // A SET since: settings generation moved.
        assert!(c.get(8, &day(1), &b).is_none());
        // Other parameter values, or the same value sent as another type.
        assert!(c.get(7, &day(2), &b).is_none());
        let as_text = Params::bound(vec![Some(PgType::Text)], vec![Value::Date(1)]);
        assert!(c.get(7, &as_text, &b).is_none());
        // The table's schema replaced (a push that added a column).
        b.insert_table(schema(), vec![]);
        assert!(c.get(7, &day(1), &b).is_none());
    }
}
