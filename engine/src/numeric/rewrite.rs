//! Where unconstrained `numeric` values (see the module above) enter and
//! leave a plan. Part of [`crate::pg_typing`]'s rewrite, which runs once
//! DataFusion has planned the statement and before its analysis:
//!
//! - **Division** of exact numbers with a decimal (or numeric) side is
//!   `numeric_div`, and `+`, `-`, `*` with a numeric side are
//!   `numeric_add/sub/mul` (integer division stays integer division, and a
//!   float on either side makes a float, as in PostgreSQL).
//! - **`avg`** of integers or decimals is `numeric` at the division's scale:
//!   the aggregate computes `sum` and `count` of the argument instead (with
//!   its DISTINCT and FILTER), and a projection above it divides them
//!   under the aggregate's own column name, so nothing above changes. The
//!   same for `avg(...) OVER (...)`, over the same window.
//! - **`CAST(x AS numeric)`** without precision (marked by the SQL rewrite
//!   as [`CAST_MARKER`]): of an integer, a `Decimal128(38, 0)`; of a
//!   decimal or numeric, itself; of a float or text, `numeric_in`.
//! - **Leaving**: anything else that takes a numeric value (a comparison,
//!   `round`, another cast, an aggregate's argument, a sort or join key)
//!   gets [`numeric_value`](super::ops::numeric_value)'s fixed-scale
//!   decimal. A projection passes numerics through, so they reach the
//!   client with their own scales, and GROUP BY and DISTINCT group by them
//!   as they are (equal values of different scales, `1.0` and `1.00`,
//!   which PostgreSQL groups together, are two groups here).
//! - **UNION** of numeric with other types: see [`union_inputs`].

use std::sync::Arc;

use datafusion::arrow::datatypes::DataType;
use datafusion::common::tree_node::{Transformed, TreeNode};
use datafusion::common::{Column, DFSchema, Result, ScalarValue};
use datafusion::functions_aggregate::count::count_udaf;
use datafusion::functions_aggregate::sum::sum_udaf;
use datafusion::logical_expr::expr::{Cast, ScalarFunction, WindowFunctionDefinition};
use datafusion::logical_expr::{
    Aggregate, AggregateUDF, BinaryExpr, ColumnarValue, Expr, ExprSchemable, LogicalPlan, Operator,
    Projection, ScalarFunctionArgs, ScalarUDF, ScalarUDFImpl, Signature, Volatility, Window,
};
use isotherm_indexer::query::request::NumOp;

use super::ops::{arith, numeric_in, numeric_value};
use super::{is_exact, is_numeric};

/// The function the SQL rewrite wraps an unconstrained `numeric` cast in.
pub const CAST_MARKER: &str = "pg_numeric_cast";

/// [`CAST_MARKER`] as DataFusion plans it: DataFusion's own `numeric`,
/// `Decimal128(38, 10)`, until the rewrite knows the argument's type.
pub fn cast_marker() -> ScalarUDF {
    ScalarUDF::new_from_impl(CastMarker {
        signature: Signature::any(1, Volatility::Immutable),
    })
}

#[derive(Debug, PartialEq, Eq, Hash)]
struct CastMarker {
    signature: Signature,
}

impl ScalarUDFImpl for CastMarker {
    fn name(&self) -> &str {
        CAST_MARKER
    }
    fn signature(&self) -> &Signature {
        &self.signature
    }
    fn return_type(&self, _args: &[DataType]) -> Result<DataType> {
        Ok(DataType::Decimal128(38, 10))
    }
    // Only reached if the rewrite did not run: DataFusion's own cast.
    fn invoke_with_args(&self, args: ScalarFunctionArgs) -> Result<ColumnarValue> {
        match args.args.first() {
            Some(x) => x.cast_to(&DataType::Decimal128(38, 10), None),
            None => datafusion::common::exec_err!("{CAST_MARKER}: no argument"),
        }
    }
}

/// Whether `e` (one expression node) may be something this rewrite acts
/// on, before types are known: a division, an `avg`, a decimal literal or
/// cast (which may meet a float), a cast to an integer (which may round a
/// decimal), the unconstrained cast.
pub fn applies_to(e: &Expr) -> bool {
    match e {
        Expr::BinaryExpr(b) => b.op == Operator::Divide,
        Expr::ScalarFunction(f) => f.name() == CAST_MARKER,
        Expr::AggregateFunction(f) => f.func.name() == "avg",
        Expr::WindowFunction(w) => w.fun.name() == "avg",
        Expr::Literal(ScalarValue::Decimal128(..), _) => true,
        Expr::Cast(c) => {
            matches!(c.field.data_type(), DataType::Decimal128(..))
                || c.field.data_type().is_integer()
        }
        _ => false,
    }
}

fn type_of(e: &Expr, schema: &DFSchema) -> Option<DataType> {
    e.get_type(schema).ok()
}

fn numeric(e: &Expr, schema: &DFSchema) -> bool {
    type_of(e, schema).is_some_and(|t| is_numeric(&t))
}

/// One expression node, its children already rewritten: numeric
/// arithmetic, the unconstrained cast, and numeric children of anything
/// else turned into fixed-scale decimals.
pub fn rewrite_expr(e: Expr, schema: &DFSchema) -> Result<Transformed<Expr>> {
    if let Some(op) = numeric_op(&e, schema)
        && let Expr::BinaryExpr(BinaryExpr { left, right, .. }) = e
    {
        return Ok(Transformed::yes(call(arith(op), vec![*left, *right])));
    }
    if let Expr::ScalarFunction(f) = &e
        && f.name() == CAST_MARKER
        && let [arg] = f.args.as_slice()
    {
        return Ok(Transformed::yes(cast(arg.clone(), schema)));
    }
    if passes_numerics(&e) {
        return Ok(Transformed::no(e));
    }
    e.map_children(|c| leave(c, schema))?
        .transform_data(|e| rounded_to_integer(e, schema))?
        .transform_data(|e| floats_win(e, schema))
}

/// Where a float meets a decimal, PostgreSQL computes in float8 (`numeric`
/// casts to `float8` implicitly, not the other way); DataFusion compares
/// them as decimals, which a float like 1e100 does not fit. The decimals
/// among the operands a node unifies (a comparison's sides, BETWEEN's
/// bounds, an IN list, CASE's results, `coalesce`'s arguments) become
/// float8 when one of them is a float.
fn floats_win(e: Expr, schema: &DFSchema) -> Result<Transformed<Expr>> {
    let float = |x: &Expr| type_of(x, schema).is_some_and(|t| t.is_floating());
    let decimal = |x: &Expr| matches!(type_of(x, schema), Some(DataType::Decimal128(_, _)));
    let to_float = |x: Expr| {
        if decimal(&x) {
            Expr::Cast(Cast::new(Box::new(x), DataType::Float64))
        } else {
            x
        }
    };
    let mixed = |xs: &[&Expr]| xs.iter().any(|x| float(x)) && xs.iter().any(|x| decimal(x));
    match e {
        Expr::BinaryExpr(BinaryExpr { left, op, right }) if mixed(&[&left, &right]) => {
            Ok(Transformed::yes(Expr::BinaryExpr(BinaryExpr::new(
                Box::new(to_float(*left)),
                op,
                Box::new(to_float(*right)),
            ))))
        }
        Expr::Between(mut b) if mixed(&[&b.expr, &b.low, &b.high]) => {
            b.expr = Box::new(to_float(*b.expr));
            b.low = Box::new(to_float(*b.low));
            b.high = Box::new(to_float(*b.high));
            Ok(Transformed::yes(Expr::Between(b)))
        }
        Expr::InList(mut l)
            if mixed(
                &std::iter::once(l.expr.as_ref())
                    .chain(&l.list)
                    .collect::<Vec<_>>(),
            ) =>
        {
            l.expr = Box::new(to_float(*l.expr));
            l.list = l.list.into_iter().map(to_float).collect();
            Ok(Transformed::yes(Expr::InList(l)))
        }
        Expr::Case(mut c)
            if mixed(
                &c.when_then_expr
                    .iter()
                    .map(|(_, t)| t.as_ref())
                    .chain(c.else_expr.as_deref())
                    .collect::<Vec<_>>(),
            ) =>
        {
            c.when_then_expr = c
                .when_then_expr
                .into_iter()
                .map(|(w, t)| (w, Box::new(to_float(*t))))
                .collect();
            c.else_expr = c.else_expr.map(|x| Box::new(to_float(*x)));
            Ok(Transformed::yes(Expr::Case(c)))
        }
        Expr::ScalarFunction(mut f)
            if matches!(f.name(), "coalesce" | "nullif" | "greatest" | "least")
                && mixed(&f.args.iter().collect::<Vec<_>>()) =>
        {
            f.args = f.args.into_iter().map(to_float).collect();
            Ok(Transformed::yes(Expr::ScalarFunction(f)))
        }
        other => Ok(Transformed::no(other)),
    }
}

/// A cast to an integer rounds in PostgreSQL, where DataFusion's
/// truncates: a decimal half away from zero (`1.5::int` is 2), a float half
/// to even (`rint`: `2.5::float8::int` is 2, `3.5::float8::int` is 4).
fn rounded_to_integer(e: Expr, schema: &DFSchema) -> Result<Transformed<Expr>> {
    let Expr::Cast(Cast { expr, field }) = &e else {
        return Ok(Transformed::no(e));
    };
    if !field.data_type().is_integer() {
        return Ok(Transformed::no(e));
    }
    let round = |x: Expr| {
        Expr::ScalarFunction(ScalarFunction::new_udf(
            datafusion::functions::math::round(),
            vec![x],
        ))
    };
    let x = expr.as_ref().clone();
    let rounded = match type_of(expr, schema) {
        Some(DataType::Decimal128(_, s)) if s > 0 => round(x),
        // CASE WHEN abs(x - trunc(x)) = 0.5 THEN 2 * round(x / 2) ELSE round(x) END
        Some(t) if t.is_floating() => {
            let trunc = Expr::ScalarFunction(ScalarFunction::new_udf(
                datafusion::functions::math::trunc(),
                vec![x.clone()],
            ));
            let abs = Expr::ScalarFunction(ScalarFunction::new_udf(
                datafusion::functions::math::abs(),
                vec![x.clone() - trunc],
            ));
            let even = Expr::Literal(ScalarValue::Float64(Some(2.0)), None)
                * round(x.clone() / Expr::Literal(ScalarValue::Float64(Some(2.0)), None));
            Expr::Case(datafusion::logical_expr::Case::new(
                None,
                vec![(
                    Box::new(abs.eq(Expr::Literal(ScalarValue::Float64(Some(0.5)), None))),
                    Box::new(even),
                )],
                Some(Box::new(round(x))),
            ))
        }
        _ => return Ok(Transformed::no(e)),
    };
    Ok(Transformed::yes(Expr::Cast(Cast::new(
        Box::new(rounded),
        field.data_type().clone(),
    ))))
}

/// `e` itself as a fixed-scale decimal if it is a numeric value (a sort,
/// group or join key, anything but a projected column).
pub fn leave(e: Expr, schema: &DFSchema) -> Result<Transformed<Expr>> {
    if numeric(&e, schema) {
        return Ok(Transformed::yes(call(numeric_value(), vec![e])));
    }
    Ok(Transformed::no(e))
}

/// Expressions that take numeric values as they are: names for them and
/// this module's functions.
fn passes_numerics(e: &Expr) -> bool {
    match e {
        Expr::Alias(_) | Expr::Column(_) => true,
        Expr::ScalarFunction(f) => matches!(
            f.name(),
            "numeric_add"
                | "numeric_sub"
                | "numeric_mul"
                | "numeric_div"
                | "numeric_in"
                | "numeric_value"
        ),
        _ => false,
    }
}

/// The numeric operation a binary expression is, if it is one.
fn numeric_op(e: &Expr, schema: &DFSchema) -> Option<NumOp> {
    let Expr::BinaryExpr(BinaryExpr { left, op, right }) = e else {
        return None;
    };
    let op = match op {
        Operator::Plus => NumOp::Add,
        Operator::Minus => NumOp::Sub,
        Operator::Multiply => NumOp::Mul,
        Operator::Divide => NumOp::Div,
        _ => return None,
    };
    let (l, r) = (type_of(left, schema)?, type_of(right, schema)?);
    if !is_exact(&l) || !is_exact(&r) {
        return None;
    }
    let decimal = |t: &DataType| matches!(t, DataType::Decimal128(_, _));
    let numeric = is_numeric(&l) || is_numeric(&r);
    (numeric || (op == NumOp::Div && (decimal(&l) || decimal(&r)))).then_some(op)
}

/// `CAST(arg AS numeric)` for `arg`'s type.
fn cast(arg: Expr, schema: &DFSchema) -> Expr {
    match type_of(&arg, schema) {
        Some(t) if t.is_integer() || t == DataType::Null => {
            Expr::Cast(Cast::new(Box::new(arg), DataType::Decimal128(38, 0)))
        }
        Some(DataType::Decimal128(_, s)) if s >= 0 => arg,
        Some(t) if is_numeric(&t) => arg,
        Some(
            DataType::Float64
            | DataType::Float32
            | DataType::Utf8
            | DataType::LargeUtf8
            | DataType::Utf8View
            | DataType::Decimal128(_, _),
        ) => call(numeric_in(), vec![arg]),
        // Anything else: DataFusion's cast and its error.
        _ => Expr::Cast(Cast::new(Box::new(arg), DataType::Decimal128(38, 10))),
    }
}

fn call(f: ScalarUDF, args: Vec<Expr>) -> Expr {
    Expr::ScalarFunction(ScalarFunction::new_udf(Arc::new(f), args))
}

/// An aggregate whose `avg`s of exact numbers are `numeric` (see the module
/// docs); `Transformed::no` if it has none.
pub fn split_avg(agg: Aggregate) -> Result<Transformed<LogicalPlan>> {
    let grouped = agg.schema.fields().len() - agg.aggr_expr.len();
    let Some((aggr, exprs)) = split_avgs(&agg.aggr_expr, agg.input.schema(), &agg.schema, grouped)
    else {
        return Ok(Transformed::no(LogicalPlan::Aggregate(agg)));
    };
    let inner = Aggregate::try_new(agg.input, agg.group_expr, aggr)?;
    Ok(Transformed::yes(LogicalPlan::Projection(
        Projection::try_new(exprs, Arc::new(LogicalPlan::Aggregate(inner)))?,
    )))
}

/// A window node whose `avg(...) OVER (...)` of exact numbers are
/// `numeric`, as [`split_avg`]: `sum` and `count` over the same window.
pub fn split_window_avg(window: Window) -> Result<Transformed<LogicalPlan>> {
    let passed = window.input.schema().fields().len();
    let Some((window_expr, exprs)) = split_avgs(
        &window.window_expr,
        window.input.schema(),
        &window.schema,
        passed,
    ) else {
        return Ok(Transformed::no(LogicalPlan::Window(window)));
    };
    let inner = Window::try_new(window_expr, window.input)?;
    Ok(Transformed::yes(LogicalPlan::Projection(
        Projection::try_new(exprs, Arc::new(LogicalPlan::Window(inner)))?,
    )))
}

/// A node's aggregate or window expressions with each `avg` of an exact
/// number replaced by its `sum` and `count`, and the projection above that
/// divides them under the node's original column names (`leading`: the
/// node's output columns before these expressions'). `None` if there is no
/// such `avg`.
fn split_avgs(
    node_exprs: &[Expr],
    input: &DFSchema,
    original: &DFSchema,
    leading: usize,
) -> Option<(Vec<Expr>, Vec<Expr>)> {
    let mut replaced = Vec::with_capacity(node_exprs.len() + 2);
    // Per expression: the (sum, count) columns an avg became.
    let mut split: Vec<Option<(String, String)>> = Vec::with_capacity(node_exprs.len());
    for (i, e) in node_exprs.iter().enumerate() {
        let inner = match e {
            Expr::Alias(a) => a.expr.as_ref(),
            other => other,
        };
        match sum_and_count(inner, input) {
            Some((sum, count)) => {
                let names = (format!("__pg_avg_sum_{i}"), format!("__pg_avg_count_{i}"));
                replaced.push(sum.alias(&names.0));
                replaced.push(count.alias(&names.1));
                split.push(Some(names));
            }
            None => {
                replaced.push(e.clone());
                split.push(None);
            }
        }
    }
    if split.iter().all(Option::is_none) {
        return None;
    }
    let mut exprs: Vec<Expr> = (0..leading)
        .map(|j| Expr::Column(Column::from(original.qualified_field(j))))
        .collect();
    for (i, parts) in split.into_iter().enumerate() {
        let (qualifier, field) = original.qualified_field(leading + i);
        exprs.push(match parts {
            None => Expr::Column(Column::from((qualifier, field))),
            Some((sum, count)) => call(
                arith(NumOp::Div),
                vec![
                    Expr::Column(Column::from_name(sum)),
                    Expr::Column(Column::from_name(count)),
                ],
            )
            .alias_qualified(qualifier.cloned(), field.name()),
        });
    }
    Some((replaced, exprs))
}

/// `sum(arg)` and `count(arg)` for `avg(arg)` (an aggregate or a window
/// function, with its DISTINCT, FILTER and window), if `arg` is an exact
/// number (integers are summed as `Decimal128(38, 0)`: a bigint sum can
/// pass `i64::MAX`).
fn sum_and_count(avg: &Expr, schema: &DFSchema) -> Option<(Expr, Expr)> {
    let arg = match avg {
        Expr::AggregateFunction(f) if f.func.name() == "avg" => f.params.args.as_slice(),
        Expr::WindowFunction(w) => match &w.fun {
            WindowFunctionDefinition::AggregateUDF(f) if f.name() == "avg" => {
                w.params.args.as_slice()
            }
            _ => return None,
        },
        _ => return None,
    };
    let [arg] = arg else {
        return None;
    };
    let summed = match type_of(arg, schema)? {
        DataType::Decimal128(_, s) if s >= 0 => arg.clone(),
        t if t.is_integer() => Expr::Cast(Cast::new(
            Box::new(arg.clone()),
            DataType::Decimal128(38, 0),
        )),
        _ => return None,
    };
    let make = |f: Arc<AggregateUDF>, a: Expr| match avg {
        Expr::WindowFunction(w) => {
            let mut w = w.as_ref().clone();
            w.fun = WindowFunctionDefinition::AggregateUDF(f);
            w.params.args = vec![a];
            Expr::WindowFunction(Box::new(w))
        }
        Expr::AggregateFunction(g) => {
            let mut g = g.clone();
            g.func = f;
            g.params.args = vec![a];
            g.params.order_by = Vec::new();
            Expr::AggregateFunction(g)
        }
        other => other.clone(),
    };
    Some((make(sum_udaf(), summed), make(count_udaf(), arg.clone())))
}

/// How a UNION column mixing numeric with other types is unified.
#[derive(Clone, Copy, PartialEq)]
enum Unify {
    /// All numeric already, or no numeric at all.
    Keep,
    /// The others are integers or decimals: they become numeric.
    Numeric,
    /// A float among numerics or decimals: all become float8, as
    /// PostgreSQL resolves it.
    Float,
    /// Anything else: numerics become decimals, for DataFusion's coercion.
    Decimal,
}

/// The inputs of a UNION whose columns mix numeric with other types, each
/// projected to the type they unify to ([`Unify`]); `None` if none does.
pub fn union_inputs(inputs: &[Arc<LogicalPlan>]) -> Result<Option<Vec<Arc<LogicalPlan>>>> {
    let Some(width) = inputs.first().map(|i| i.schema().fields().len()) else {
        return Ok(None);
    };
    let plan: Vec<Unify> = (0..width)
        .map(|c| {
            let types: Vec<DataType> = inputs
                .iter()
                .filter_map(|i| i.schema().fields().get(c).map(|f| f.data_type().clone()))
                .collect();
            let decimal = |t: &DataType| matches!(t, DataType::Decimal128(_, _));
            if types.iter().any(DataType::is_floating)
                && types.iter().any(|t| decimal(t) || is_numeric(t))
            {
                Unify::Float
            } else if !types.iter().any(is_numeric) || types.iter().all(is_numeric) {
                Unify::Keep
            } else if types.iter().all(|t| is_exact(t) || t == &DataType::Null) {
                Unify::Numeric
            } else if types.iter().any(DataType::is_floating) {
                Unify::Float
            } else {
                Unify::Decimal
            }
        })
        .collect();
    if plan.iter().all(|u| *u == Unify::Keep) {
        return Ok(None);
    }
    inputs
        .iter()
        .map(|input| {
            let schema = input.schema();
            let exprs = schema
                .iter()
                .zip(&plan)
                .map(|((qualifier, field), unify)| {
                    let column = Expr::Column(Column::from((qualifier, field)));
                    let numeric = is_numeric(field.data_type());
                    let unified = match unify {
                        Unify::Numeric if !numeric => call(numeric_in(), vec![column]),
                        Unify::Float if numeric => Expr::Cast(Cast::new(
                            Box::new(call(numeric_value(), vec![column])),
                            DataType::Float64,
                        )),
                        Unify::Float if matches!(field.data_type(), DataType::Decimal128(_, _)) => {
                            Expr::Cast(Cast::new(Box::new(column), DataType::Float64))
                        }
                        Unify::Decimal if numeric => call(numeric_value(), vec![column]),
                        _ => return column,
                    };
                    unified.alias_qualified(qualifier.cloned(), field.name())
                })
                .collect();
            Ok(Arc::new(LogicalPlan::Projection(Projection::try_new(
                exprs,
                input.clone(),
            )?)))
        })
        .collect::<Result<Vec<_>>>()
        .map(Some)
}
