//! Plan rewrites that give expressions PostgreSQL's result types where
//! DataFusion's differ.
//!
//! Integer arithmetic with a literal: PostgreSQL reads `1` as `int4`, so
//! `int4_expr + 1` is `int4` (Metabase's day-of-week `(CAST(extract(dow ..)
//! AS integer) + 1) % 7`, `ordinal_position - 1`). DataFusion reads literals
//! as `Int64` and widens the other side, which makes the result `bigint` and
//! changes the column type a client binds. [`postgres_types`] narrows such
//! an operation back: it still computes in 64 bits, then casts the result to
//! `Int32` with a checked cast, so an overflow is an error (as PostgreSQL's
//! `integer out of range`) rather than a wrapped value.
//!
//! `extract(field FROM x)` is `numeric` in PostgreSQL 14+, with the scale
//! of its field (6 for `epoch` and `second` of a timestamp, 3 for
//! `milliseconds`, else 0); DataFusion computes `date_part`'s float8. The
//! SQL rewrite marks each `extract` ([`EXTRACT_MARKER`]); here, with the
//! argument's type known, it becomes a cast to `Decimal128(38, scale)`. And
//! `floor` / `ceil` of a numeric have scale 0, as PostgreSQL's do (Grafana's
//! `floor(extract(epoch from t)/86400)*86400` buckets print as integers),
//! and `date_part` is always float8. `extract(second ...)` and
//! `extract(milliseconds ...)` keep their microseconds (DataFusion's
//! `date_part` truncates them).
//!
//! `date_trunc(unit, date)` is `timestamptz` (PostgreSQL casts the date);
//! `sum(bigint)` is `numeric` (summed as `Decimal128(38, 0)`).
//!
//! Types kept through `nullif` and `coalesce`: a catalog column typed
//! `"char"` or `name` (field metadata, see [`crate::catalog::PG_TYPE_KEY`])
//! stays so when pgjdbc writes `nullif(a.attidentity, '')`; DataFusion's
//! functions drop field metadata, so it is put back on the projected column.

use std::sync::Arc;

use datafusion::arrow::datatypes::{DataType, TimeUnit};
use datafusion::common::metadata::FieldMetadata;
use datafusion::common::tree_node::{Transformed, TransformedResult, TreeNode, TreeNodeRecursion};
use datafusion::common::{DFSchema, Result, ScalarValue};
use datafusion::logical_expr::expr::{Alias, Cast, ScalarFunction};
use datafusion::logical_expr::expr_rewriter::NamePreserver;
use datafusion::logical_expr::utils::merge_schema;
use datafusion::logical_expr::{
    BinaryExpr, Expr, ExprSchemable, LogicalPlan, Operator, Projection, Union, lit,
};
use datafusion::optimizer::analyzer::type_coercion::coerce_union_schema;

use crate::catalog::PG_TYPE_KEY;
use crate::numeric;

/// Applies both rewrites (see the module docs) to a statement's plan as
/// planned, before DataFusion's analysis (its type coercion then casts
/// operands around the narrowed results), so the result schema clients are
/// told has PostgreSQL's types.
pub fn postgres_types(plan: LogicalPlan) -> Result<LogicalPlan> {
    // Most statements (catalog lookups above all) have nothing to retype:
    // they are not rebuilt.
    if !needs_retyping(&plan)? {
        return Ok(plan);
    }
    retype(plan).data()
}

/// [`postgres_types`] on one node after its inputs and subqueries; a node's
/// schema is rebuilt only when it or something below it changed (rebuilding
/// every schema costs more than the rest of planning a catalog query).
fn retype(plan: LogicalPlan) -> Result<Transformed<LogicalPlan>> {
    let below = plan
        .map_children(retype)?
        .transform_data(|p| p.map_subqueries(retype))?;
    if !below.transformed && !node_needs_retyping(&below.data)? {
        return Ok(below);
    }
    let schema = merge_schema(&below.data.inputs());
    let names = NamePreserver::new(&below.data);
    let changed_below = below.transformed;
    // A projection hands numerics on as they are, and an aggregate groups
    // by them (so a group shows its value's own scale); every other node's
    // own expressions (sort and join keys, window frames) take them as
    // decimals.
    let projection = matches!(
        below.data,
        LogicalPlan::Projection(_) | LogicalPlan::Aggregate(_)
    );
    let here = below.data.map_expressions(|expr| {
        let name = names.save(&expr);
        expr.transform_up(|e| narrow(e, &schema))?
            .transform_data(|e| {
                if projection {
                    Ok(Transformed::no(e))
                } else {
                    numeric::rewrite::leave(e, &schema)
                }
            })
            .map(|t| t.update_data(|e| name.restore(e)))
    })?;
    let changed = changed_below || here.transformed;
    if !changed
        && !matches!(
            here.data,
            LogicalPlan::Projection(_)
                | LogicalPlan::Aggregate(_)
                | LogicalPlan::Window(_)
                | LogicalPlan::Union(_)
        )
    {
        return Ok(here);
    }
    let rebuilt = match here.data {
        LogicalPlan::Projection(p) => keep_pg_types(p, changed)?,
        LogicalPlan::Window(w) => {
            split_or_rebuilt(numeric::rewrite::split_window_avg(w)?, changed)?
        }
        LogicalPlan::Aggregate(a) => split_or_rebuilt(numeric::rewrite::split_avg(a)?, changed)?,
        // The common type of the branches, as analysis would compute it.
        LogicalPlan::Union(u) => match numeric::rewrite::union_inputs(&u.inputs)? {
            Some(inputs) => Transformed::yes(LogicalPlan::Union(Union {
                schema: Arc::new(coerce_union_schema(&inputs)?),
                inputs,
            })),
            None if changed => Transformed::yes(LogicalPlan::Union(Union {
                schema: Arc::new(coerce_union_schema(&u.inputs)?),
                inputs: u.inputs,
            })),
            None => Transformed::no(LogicalPlan::Union(u)),
        },
        other => Transformed::yes(other.recompute_schema()?),
    };
    Ok(Transformed::new_transformed(
        rebuilt.data,
        changed || rebuilt.transformed,
    ))
}

/// A node after `avg` was split (a projection over it), or else the node
/// itself, its schema recomputed if its expressions `changed`.
fn split_or_rebuilt(
    split: Transformed<LogicalPlan>,
    changed: bool,
) -> Result<Transformed<LogicalPlan>> {
    Ok(match (split.transformed, changed) {
        (false, true) => Transformed::yes(split.data.recompute_schema()?),
        _ => split,
    })
}

/// Whether any node is a UNION or has an expression a rewrite here applies to.
fn needs_retyping(plan: &LogicalPlan) -> Result<bool> {
    let mut found = false;
    plan.apply_with_subqueries(|node| {
        found = node_needs_retyping(node)?;
        Ok(stop_if(found))
    })?;
    Ok(found)
}

/// [`needs_retyping`] of one node, its inputs aside.
fn node_needs_retyping(node: &LogicalPlan) -> Result<bool> {
    if matches!(node, LogicalPlan::Union(_)) {
        return Ok(true);
    }
    let mut found = false;
    node.apply_expressions(|e| {
        e.apply(|x| {
            found |= match x {
                Expr::BinaryExpr(b) => small_literal(&b.left) || small_literal(&b.right),
                Expr::ScalarFunction(f) => matches!(
                    f.name(),
                    EXTRACT_MARKER
                        | "nullif"
                        | "coalesce"
                        | "floor"
                        | "ceil"
                        | "date_part"
                        | "date_trunc"
                        | "pg_typeof"
                ),
                Expr::AggregateFunction(f) => f.func.name() == "sum",
                _ => false,
            } || numeric::rewrite::applies_to(x);
            Ok(stop_if(found))
        })
    })?;
    Ok(found)
}

/// A walk's next step: stop once found.
fn stop_if(found: bool) -> TreeNodeRecursion {
    if found {
        TreeNodeRecursion::Stop
    } else {
        TreeNodeRecursion::Continue
    }
}

/// A projection whose `nullif(x, ..)` / `coalesce(x, ..)` of a value with a
/// PostgreSQL type tag keeps the tag.
fn keep_pg_types(p: Projection, changed: bool) -> Result<Transformed<LogicalPlan>> {
    let schema = p.input.schema().clone();
    if !changed
        && !p
            .expr
            .iter()
            .any(|e| tagged_passthrough(e, &schema).is_some())
    {
        return Ok(Transformed::no(LogicalPlan::Projection(p)));
    }
    let exprs = p
        .expr
        .into_iter()
        .map(|e| match tagged_passthrough(&e, &schema) {
            Some(md) => {
                let (relation, name) = match &e {
                    Expr::Alias(a) => (a.relation.clone(), a.name.clone()),
                    other => (None, other.schema_name().to_string()),
                };
                let inner = match e {
                    Expr::Alias(a) => *a.expr,
                    other => other,
                };
                Expr::Alias(Alias::new(inner, relation, name).with_metadata(Some(md)))
            }
            None => e,
        })
        .collect::<Vec<_>>();
    Ok(Transformed::yes(LogicalPlan::Projection(
        Projection::try_new(exprs, p.input)?,
    )))
}

/// The tag to put on `e` if it is `nullif`/`coalesce` of a tagged value
/// and has that value's Arrow type.
fn tagged_passthrough(e: &Expr, schema: &DFSchema) -> Option<FieldMetadata> {
    let inner = match e {
        Expr::Alias(a) => a.expr.as_ref(),
        other => other,
    };
    let Expr::ScalarFunction(f) = inner else {
        return None;
    };
    if !matches!(f.name(), "nullif" | "coalesce") {
        return None;
    }
    let (_, own) = e.to_field(schema).ok()?;
    if own.metadata().contains_key(PG_TYPE_KEY) {
        return None;
    }
    let (_, arg) = f.args.first()?.to_field(schema).ok()?;
    let tag = arg.metadata().get(PG_TYPE_KEY)?;
    (arg.data_type() == own.data_type()).then(|| {
        FieldMetadata::from(std::collections::HashMap::from([(
            PG_TYPE_KEY.to_owned(),
            tag.clone(),
        )]))
    })
}

/// The function the SQL rewrite wraps `extract(...)` in.
pub const EXTRACT_MARKER: &str = "pg_extract_numeric";

/// The zone of Isotherm's `timestamptz` values.
const UTC: &str = "+00:00";

/// `numeric`'s stand-in precision.
const NUMERIC_PRECISION: u8 = 38;

/// A function call with PostgreSQL's result type: `extract`'s marked call
/// as a decimal cast, `floor` / `ceil` of a decimal at scale 0, `date_part`
/// as float8, `date_trunc` of a date as timestamptz.
fn pg_function_type(e: &Expr, schema: &DFSchema) -> Option<Expr> {
    let Expr::ScalarFunction(f) = e else {
        return None;
    };
    match f.name() {
        EXTRACT_MARKER => {
            let [inner] = f.args.as_slice() else {
                return None;
            };
            let part = match inner {
                Expr::Cast(Cast { expr, .. }) => expr.as_ref(),
                other => other,
            };
            let Expr::ScalarFunction(part) = part else {
                return None;
            };
            let (
                Some(Expr::Literal(
                    ScalarValue::Utf8(Some(field))
                    | ScalarValue::Utf8View(Some(field))
                    | ScalarValue::LargeUtf8(Some(field)),
                    _,
                )),
                Some(arg),
            ) = (part.args.first(), part.args.get(1))
            else {
                return Some(inner.clone());
            };
            let date = matches!(
                arg.get_type(schema),
                Ok(DataType::Date32 | DataType::Date64)
            );
            let field = field.to_ascii_lowercase();
            // The scale, and for `second` and `millisecond` (whole numbers in
            // DataFusion, with microseconds in PostgreSQL) the microseconds
            // per unit to count them in instead.
            let (scale, per_unit) = match field.as_str() {
                _ if date => (0, None),
                "epoch" => (6, None),
                "second" | "seconds" => (6, Some(1e6)),
                "millisecond" | "milliseconds" => (3, Some(1e3)),
                _ => (0, None),
            };
            let value = match per_unit {
                Some(per_unit) => {
                    let micros = Expr::ScalarFunction(ScalarFunction::new_udf(
                        part.func.clone(),
                        vec![lit("microsecond"), arg.clone()],
                    ));
                    Expr::BinaryExpr(BinaryExpr::new(
                        Box::new(Expr::Cast(Cast::new(Box::new(micros), DataType::Float64))),
                        Operator::Divide,
                        Box::new(lit(per_unit)),
                    ))
                }
                None => inner.clone(),
            };
            Some(Expr::Cast(Cast::new(
                Box::new(value),
                DataType::Decimal128(NUMERIC_PRECISION, scale),
            )))
        }
        // PostgreSQL's date_part is always float8 (DataFusion's is Int32
        // for integral fields).
        "date_part" => match e.get_type(schema) {
            Ok(DataType::Float64) | Err(_) => None,
            Ok(_) => Some(Expr::Cast(Cast::new(
                Box::new(e.clone()),
                DataType::Float64,
            ))),
        },
        // PostgreSQL truncates a date as `timestamptz` (the date at
        // midnight, UTC in Isotherm's sessions); DataFusion as `timestamp`.
        "date_trunc" => {
            let [unit, arg] = f.args.as_slice() else {
                return None;
            };
            let Ok(DataType::Date32 | DataType::Date64) = arg.get_type(schema) else {
                return None;
            };
            let at_midnight = Expr::Cast(Cast::new(
                Box::new(arg.clone()),
                DataType::Timestamp(TimeUnit::Microsecond, Some(UTC.into())),
            ));
            Some(Expr::ScalarFunction(ScalarFunction::new_udf(
                f.func.clone(),
                vec![unit.clone(), at_midnight],
            )))
        }
        // `pg_typeof(1)` is `integer`: the literal's PostgreSQL type.
        "pg_typeof" => match f.args.as_slice() {
            [arg] if small_literal(arg) => Some(Expr::ScalarFunction(ScalarFunction::new_udf(
                f.func.clone(),
                vec![Expr::Cast(Cast::new(
                    Box::new(arg.clone()),
                    DataType::Int32,
                ))],
            ))),
            _ => None,
        },
        "floor" | "ceil" => {
            let [arg] = f.args.as_slice() else {
                return None;
            };
            let Ok(DataType::Decimal128(_, scale)) = arg.get_type(schema) else {
                return None;
            };
            (scale > 0).then(|| {
                Expr::Cast(Cast::new(
                    Box::new(e.clone()),
                    DataType::Decimal128(NUMERIC_PRECISION, 0),
                ))
            })
        }
        _ => None,
    }
}

/// `sum` of a `bigint` is `numeric` in PostgreSQL (it cannot overflow);
/// DataFusion's is `Int64`. The sum runs over the values as `numeric`.
fn numeric_sum(e: &Expr, schema: &DFSchema) -> Option<Expr> {
    let Expr::AggregateFunction(f) = e else {
        return None;
    };
    let [arg] = f.params.args.as_slice() else {
        return None;
    };
    if f.func.name() != "sum" || !matches!(arg.get_type(schema), Ok(DataType::Int64)) {
        return None;
    }
    let mut sum = f.clone();
    sum.params.args = vec![Expr::Cast(Cast::new(
        Box::new(arg.clone()),
        DataType::Decimal128(NUMERIC_PRECISION, 0),
    ))];
    Some(Expr::AggregateFunction(sum))
}

/// One expression node, its children done: numerics first
/// ([`numeric::rewrite`]), then the rules of this module.
fn narrow(e: Expr, schema: &DFSchema) -> Result<Transformed<Expr>> {
    let numeric = numeric::rewrite::rewrite_expr(e, schema)?;
    let (e, changed) = (numeric.data, numeric.transformed);
    let unchanged = |e| Ok(Transformed::new_transformed(e, changed));
    if let Some(typed) = pg_function_type(&e, schema).or_else(|| numeric_sum(&e, schema)) {
        return Ok(Transformed::yes(typed));
    }
    let Expr::BinaryExpr(BinaryExpr { left, op, right }) = &e else {
        return unchanged(e);
    };
    if !matches!(
        op,
        Operator::Plus | Operator::Minus | Operator::Multiply | Operator::Divide | Operator::Modulo
    ) {
        return unchanged(e);
    }
    let (left, right) = match (widened_int4(left, schema), widened_int4(right, schema)) {
        (Some(l), None) if small_literal(right) => (l, right.as_ref().clone()),
        (None, Some(r)) if small_literal(left) => (left.as_ref().clone(), r),
        _ => return unchanged(e),
    };
    let wide = Expr::BinaryExpr(BinaryExpr::new(Box::new(left), *op, Box::new(right)));
    Ok(Transformed::yes(Expr::Cast(Cast::new(
        Box::new(wide),
        DataType::Int32,
    ))))
}

/// `e` as an `Int64` operand if its value is an `int4` (or `int2`): either
/// coercion's `CAST(x AS Int64)` of one, or an expression this rule already
/// narrowed (then widened again here).
fn widened_int4(e: &Expr, schema: &DFSchema) -> Option<Expr> {
    let small = |x: &Expr| {
        matches!(
            x.get_type(schema),
            Ok(DataType::Int32 | DataType::Int16 | DataType::Int8)
        )
    };
    match e {
        Expr::Cast(Cast { expr, field })
            if *field.data_type() == DataType::Int64 && small(expr) =>
        {
            Some(e.clone())
        }
        _ if small(e) => Some(Expr::Cast(Cast::new(Box::new(e.clone()), DataType::Int64))),
        _ => None,
    }
}

/// An `Int64` literal that fits `int4` (what PostgreSQL types `int4`).
fn small_literal(e: &Expr) -> bool {
    matches!(e, Expr::Literal(ScalarValue::Int64(Some(v)), _) if i32::try_from(*v).is_ok())
}
