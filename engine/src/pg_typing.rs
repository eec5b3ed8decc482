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
//! Types kept through `nullif` and `coalesce`: a catalog column typed
//! `"char"` or `name` (field metadata, see [`crate::catalog::PG_TYPE_KEY`])
//! stays so when pgjdbc writes `nullif(a.attidentity, '')`; DataFusion's
//! functions drop field metadata, so it is put back on the projected column.

use std::sync::Arc;

use datafusion::arrow::datatypes::DataType;
use datafusion::common::metadata::FieldMetadata;
use datafusion::common::tree_node::{Transformed, TransformedResult, TreeNode};
use datafusion::common::{DFSchema, Result, ScalarValue};
use datafusion::logical_expr::expr::{Alias, Cast};
use datafusion::logical_expr::expr_rewriter::NamePreserver;
use datafusion::logical_expr::utils::merge_schema;
use datafusion::logical_expr::{
    BinaryExpr, Expr, ExprSchemable, LogicalPlan, Operator, Projection, Union,
};
use datafusion::optimizer::analyzer::type_coercion::coerce_union_schema;

use crate::catalog::PG_TYPE_KEY;

/// Applies both rewrites (see the module docs) to a statement's plan as
/// planned, before DataFusion's analysis (its type coercion then casts
/// operands around the narrowed results), so the result schema clients are
/// told has PostgreSQL's types.
pub fn postgres_types(plan: LogicalPlan) -> Result<LogicalPlan> {
    plan.transform_up_with_subqueries(|plan| {
        let schema = merge_schema(&plan.inputs());
        let names = NamePreserver::new(&plan);
        let plan = plan.map_expressions(|expr| {
            let name = names.save(&expr);
            expr.transform_up(|e| narrow(e, &schema))
                .map(|t| t.update_data(|e| name.restore(e)))
        })?;
        // Children may have changed type: every node's schema is rebuilt.
        plan.map_data(|p| match p {
            LogicalPlan::Projection(p) => keep_pg_types(p),
            // The common type of the branches, as analysis would compute it.
            LogicalPlan::Union(u) => {
                let schema = Arc::new(coerce_union_schema(&u.inputs)?);
                Ok(LogicalPlan::Union(Union {
                    inputs: u.inputs,
                    schema,
                }))
            }
            other => other.recompute_schema(),
        })
    })
    .data()
}

/// A projection whose `nullif(x, ..)` / `coalesce(x, ..)` of a value with a
/// PostgreSQL type tag keeps the tag.
fn keep_pg_types(p: Projection) -> Result<LogicalPlan> {
    let schema = p.input.schema().clone();
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
    Ok(LogicalPlan::Projection(Projection::try_new(
        exprs, p.input,
    )?))
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

fn narrow(e: Expr, schema: &DFSchema) -> Result<Transformed<Expr>> {
    let Expr::BinaryExpr(BinaryExpr { left, op, right }) = &e else {
        return Ok(Transformed::no(e));
    };
    if !matches!(
        op,
        Operator::Plus | Operator::Minus | Operator::Multiply | Operator::Divide | Operator::Modulo
    ) {
        return Ok(Transformed::no(e));
    }
    let (left, right) = match (widened_int4(left, schema), widened_int4(right, schema)) {
        (Some(l), None) if small_literal(right) => (l, right.as_ref().clone()),
        (None, Some(r)) if small_literal(left) => (left.as_ref().clone(), r),
        _ => return Ok(Transformed::no(e)),
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
