//! Row-at-a-time evaluation of request expressions and predicates, with
//! PostgreSQL semantics: `date_trunc`, `extract`, three-valued logic.
//!
//! The in-memory backend answers requests with it, and post-processing uses
//! `date_trunc`/`extract` on group values (`SELECT extract(year FROM d) ...
//! GROUP BY d`).

use isotherm_indexer::{CmpOp, Expr, Predicate, Value};

/// Evaluates `expr` over one row; `column` finds a column's value by name.
pub fn eval_expr<'a>(expr: &Expr, column: &impl Fn(&str) -> Option<&'a Value>) -> Value {
    // An expression reads at most one column: the index's own evaluator.
    let leaf = isotherm_indexer::query::expr::leaf_column(expr)
        .and_then(column)
        .cloned()
        .unwrap_or(Value::Null);
    isotherm_indexer::query::expr::apply(expr, &leaf)
}

/// Three-valued: `None` is unknown.
pub fn eval_predicate<'a>(
    p: &Predicate,
    column: &impl Fn(&str) -> Option<&'a Value>,
) -> Option<bool> {
    match p {
        Predicate::Const(b) => Some(*b),
        Predicate::Compare { expr, op, value } => compare(&eval_expr(expr, column), *op, value),
        Predicate::InList {
            expr,
            values,
            negated,
        } => {
            let v = eval_expr(expr, column);
            in_list(&v, values).map(|b| b != *negated)
        }
        Predicate::Between {
            expr,
            low,
            high,
            negated,
        } => {
            let v = eval_expr(expr, column);
            and3(
                compare(&v, CmpOp::GtEq, low),
                compare(&v, CmpOp::LtEq, high),
            )
            .map(|b| b != *negated)
        }
        Predicate::IsNull { expr, negated } => Some(eval_expr(expr, column).is_null() != *negated),
        Predicate::And(ps) => {
            let mut acc = Some(true);
            for p in ps {
                acc = and3(acc, eval_predicate(p, column));
            }
            acc
        }
        Predicate::Or(ps) => {
            let mut acc = Some(false);
            for p in ps {
                acc = or3(acc, eval_predicate(p, column));
            }
            acc
        }
        Predicate::Not(p) => eval_predicate(p, column).map(|b| !b),
    }
}

fn in_list(v: &Value, values: &[Value]) -> Option<bool> {
    let mut acc = Some(false);
    for x in values {
        acc = or3(acc, compare(v, CmpOp::Eq, x));
    }
    acc
}

// One calendar and one three-valued logic for every layer: the index evaluates these per row.
pub use isotherm_indexer::query::expr::{and3, cmp_values, compare, date_trunc, extract, or3};

#[cfg(test)]
mod tests {
    use super::*;
    use crate::types::datetime::parse_timestamp;
    use isotherm_indexer::{ExtractField, Numeric, TruncUnit};

    fn ts(s: &str) -> i64 {
        parse_timestamp(s).unwrap_or(0)
    }

    #[test]
    fn trunc_units() {
        let t = Value::Timestamp(ts("2024-06-05 13:45:12.5"));
        assert_eq!(
            date_trunc(TruncUnit::Hour, &t),
            Value::Timestamp(ts("2024-06-05 13:00"))
        );
        assert_eq!(
            date_trunc(TruncUnit::Week, &t),
            Value::Timestamp(ts("2024-06-03 00:00"))
        );
        assert_eq!(
            date_trunc(TruncUnit::Quarter, &t),
            Value::Timestamp(ts("2024-04-01 00:00"))
        );
        assert_eq!(
            date_trunc(TruncUnit::Month, &Value::Date(19_879)),
            Value::TimestampTz(ts("2024-06-01 00:00"))
        );
    }

    #[test]
    fn extract_fields() {
        let t = Value::Timestamp(ts("2024-06-02 13:45:12.5"));
        let n = |u, s| {
            Value::Numeric(Numeric {
                unscaled: u,
                scale: s,
            })
        };
        assert_eq!(extract(ExtractField::Dow, &t), n(0, 0));
        assert_eq!(extract(ExtractField::IsoDow, &t), n(7, 0));
        assert_eq!(extract(ExtractField::Week, &t), n(22, 0));
        assert_eq!(extract(ExtractField::Second, &t), n(12_500_000, 6));
        assert_eq!(extract(ExtractField::Doy, &t), n(154, 0));
        let jan1 = Value::Timestamp(ts("2021-01-01 00:00"));
        assert_eq!(extract(ExtractField::Week, &jan1), n(53, 0));
    }

    #[test]
    fn three_valued_logic() {
        let row = [Value::Null];
        let col = |_: &str| row.first();
        let p = Predicate::Not(Box::new(Predicate::Compare {
            expr: Expr::Column("x".into()),
            op: CmpOp::Eq,
            value: Value::Int64(1),
        }));
        assert_eq!(eval_predicate(&p, &col), None);
        let p = Predicate::Or(vec![p, Predicate::Const(true)]);
        assert_eq!(eval_predicate(&p, &col), Some(true));
    }
}
