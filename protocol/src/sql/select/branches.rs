//! Aggregates over `CASE`, `coalesce` and constants, answered by the index
//! as filtered aggregates (`agg(x) FILTER (WHERE ...)`) and combined after.
//!
//! `agg(CASE WHEN c1 THEN v1 WHEN c2 THEN v2 ELSE v3 END)` aggregates `v1`
//! over the rows where `c1` is true, `v2` where `c1` is not true and `c2`
//! is, `v3` where neither is: three disjoint row sets, so
//!
//! ```text
//! count = Σ count(vi) FILTER (branch i)        (constant vi: count(*) FILTER ...)
//! sum   = Σ sum(vi)   FILTER (branch i)        (constant vi: vi * count(*) FILTER ...;
//!                                               NULL only if every part is)
//! avg   = sum / count                           (NULL when count is 0)
//! min   = least(min(vi) FILTER (branch i) ...)  (constant vi: vi where its branch has rows)
//! count(DISTINCT ...): one non-NULL branch only
//! ```
//!
//! "Not true" (false or unknown) is [`Predicate::is_not_true`], so the
//! ELSE rows are exact under three-valued logic. A value that is neither a
//! row expression the index computes nor a constant makes the whole
//! aggregate unsupported (the general engine answers it).

use isotherm_indexer::{AggFunc, Aggregate, Predicate, Value};
use sqlparser::ast::{BinaryOperator, Expr as SqlExpr};

use crate::error::{SqlError, SqlResult};
use crate::sql::literal::{Lit, constant};
use crate::sql::out::{Out, OutExpr, OutPred, common_type};
use crate::sql::row::{
    RowExpr, WhereBuilder, function_args, function_name, row_expr, undefined_function,
};
use crate::sql::translate::{OutBuilder, agg_result_type};
use crate::types::{PgType, cast_value, parse_text};
use isotherm_indexer::CmpOp;

/// What one branch yields per row.
enum Val {
    Row(RowExpr),
    /// A constant; untyped strings are read once the branch type is known.
    Const(Lit),
}

struct Branch {
    /// Rows this branch covers (`None`: all rows).
    filter: Option<Predicate>,
    val: Val,
}

fn and(a: Option<Predicate>, b: Option<Predicate>) -> Option<Predicate> {
    match (a, b) {
        (None, x) | (x, None) => x,
        (Some(a), Some(b)) => Some(Predicate::And(vec![a, b])),
    }
}

impl OutBuilder<'_, '_> {
    fn branch_value(&mut self, e: &SqlExpr) -> SqlResult<Option<Val>> {
        let Some(scope) = self.scope else {
            return Ok(None);
        };
        if let Some(r) = row_expr(e, scope, &mut self.planner.params)? {
            return Ok(Some(Val::Row(r)));
        }
        Ok(constant(e, &mut self.planner.params, None)?.map(Val::Const))
    }

    fn condition(&mut self, e: &SqlExpr) -> SqlResult<Predicate> {
        let scope = self
            .scope
            .ok_or_else(|| SqlError::unsupported("CASE without FROM"))?;
        WhereBuilder {
            scope,
            params: &mut self.planner.params,
        }
        .predicate(e)
    }

    /// The branches of an aggregate's argument, or `None` if it is not a
    /// CASE / coalesce / constant over index expressions.
    fn branches(&mut self, e: &SqlExpr) -> SqlResult<Option<Vec<Branch>>> {
        match e {
            SqlExpr::Nested(inner) => self.branches(inner),
            SqlExpr::Case {
                operand,
                conditions,
                else_result,
                ..
            } => {
                let mut out = Vec::new();
                let mut not_before: Vec<Predicate> = Vec::new();
                for w in conditions {
                    let cond = match operand {
                        Some(op) => SqlExpr::BinaryOp {
                            left: op.clone(),
                            op: BinaryOperator::Eq,
                            right: Box::new(w.condition.clone()),
                        },
                        None => w.condition.clone(),
                    };
                    let c = self.condition(&cond)?;
                    let Some(val) = self.branch_value(&w.result)? else {
                        return Ok(None);
                    };
                    let mut parts = not_before.clone();
                    parts.push(c.clone());
                    out.push(Branch {
                        filter: Some(if parts.len() == 1 {
                            c.clone()
                        } else {
                            Predicate::And(parts)
                        }),
                        val,
                    });
                    not_before.push(c.is_not_true());
                }
                let val = match else_result {
                    Some(x) => match self.branch_value(x)? {
                        Some(v) => v,
                        None => return Ok(None),
                    },
                    None => Val::Const(Lit::Unknown(None)),
                };
                out.push(Branch {
                    filter: Some(Predicate::And(not_before)),
                    val,
                });
                Ok(Some(out))
            }
            SqlExpr::Function(f) if function_name(f) == "coalesce" && f.over.is_none() => {
                let args = function_args(f)?;
                let mut out = Vec::new();
                let mut nulls_before: Vec<Predicate> = Vec::new();
                for a in args {
                    let Some(val) = self.branch_value(a)? else {
                        return Ok(None);
                    };
                    let filter = match &val {
                        Val::Row(r) => Predicate::IsNull {
                            expr: r.expr.clone(),
                            negated: true,
                        },
                        Val::Const(l) if l.clone().into_typed().0.is_null() => continue,
                        Val::Const(_) => Predicate::Const(true),
                    };
                    let is_const = matches!(val, Val::Const(_));
                    let mut parts = nulls_before.clone();
                    parts.push(filter);
                    out.push(Branch {
                        filter: Some(Predicate::And(parts)),
                        val,
                    });
                    if is_const {
                        return Ok(Some(out));
                    }
                    if let Some(Branch {
                        val: Val::Row(r), ..
                    }) = out.last()
                    {
                        nulls_before.push(Predicate::IsNull {
                            expr: r.expr.clone(),
                            negated: false,
                        });
                    }
                }
                Ok(Some(out))
            }
            _ => Ok(self
                .branch_value(e)?
                .map(|val| vec![Branch { filter: None, val }])),
        }
    }

    /// `name([DISTINCT] arg) [FILTER (WHERE filter)]` where `arg` is not a
    /// plain row expression.
    pub(crate) fn branch_aggregate(
        &mut self,
        name: &str,
        distinct: bool,
        arg: &SqlExpr,
        filter: Option<Predicate>,
    ) -> SqlResult<Out> {
        let unsupported = || {
            SqlError::unsupported(format!(
                "{name} over {} from the index",
                crate::sql::row::construct_name(arg)
            ))
        };
        let Some(branches) = self.branches(arg)? else {
            return Err(unsupported());
        };
        // The type of the argument: PostgreSQL's common type of the arms.
        let typed: Vec<PgType> = branches
            .iter()
            .filter_map(|b| match &b.val {
                Val::Row(r) => Some(r.sql_type()),
                Val::Const(Lit::Typed(_, t)) => Some(*t),
                Val::Const(Lit::Unknown(_)) => None,
            })
            .collect();
        let ty = if typed.is_empty() {
            PgType::Text
        } else {
            common_type(&typed).ok_or_else(unsupported)?
        };
        // Each branch: its rows, and its value (a row expression of type
        // `ty`, a constant of type `ty`, or NULL).
        let mut parts: Vec<(Option<Predicate>, Option<RowExpr>, Value)> = Vec::new();
        for b in branches {
            let filter = and(filter.clone(), b.filter);
            match b.val {
                Val::Row(r) => {
                    if r.ty != ty || r.sql_type() != ty {
                        return Err(unsupported());
                    }
                    parts.push((filter, Some(r), Value::Null));
                }
                Val::Const(l) => {
                    let v = match l {
                        Lit::Unknown(None) => Value::Null,
                        Lit::Unknown(Some(s)) => parse_text(&s, ty)?,
                        Lit::Typed(v, _) => cast_value(v, ty)?,
                    };
                    if !v.is_null() {
                        parts.push((filter, None, v));
                    }
                }
            }
        }
        let func = match (name, distinct) {
            ("count", false) => AggFunc::Count,
            ("count", true) => AggFunc::CountDistinct,
            ("sum", false) => AggFunc::Sum,
            ("avg", false) => AggFunc::Avg,
            ("min", _) => AggFunc::Min,
            ("max", _) => AggFunc::Max,
            _ => return Err(SqlError::unsupported(format!("{name}(DISTINCT ...)"))),
        };
        let result = agg_result_type(func, name, ty)?;
        match func {
            AggFunc::Count => self.count_parts(&parts),
            AggFunc::CountDistinct => match parts.as_slice() {
                [] => Ok(Out::constant(Value::Int64(0), PgType::Int8)),
                [(f, Some(r), _)] => self.push_aggregate(
                    Aggregate::filtered(AggFunc::CountDistinct, Some(r.expr.clone()), f.clone()),
                    PgType::Int8,
                ),
                [(f, None, _)] => {
                    let n = self.rows(f.clone())?;
                    Ok(Out::new(
                        OutExpr::Case(
                            vec![(positive(n), Out::constant(Value::Int64(1), PgType::Int8))],
                            Some(Box::new(Out::constant(Value::Int64(0), PgType::Int8))),
                        ),
                        PgType::Int8,
                    ))
                }
                _ => Err(unsupported()),
            },
            AggFunc::Sum => self.sum_parts(&parts, result, unsupported),
            AggFunc::Avg => {
                let sum = self.sum_parts(&parts, result, unsupported)?;
                let count = self.count_parts(&parts)?;
                let quotient = Out::new(
                    OutExpr::Arith(
                        crate::sql::out::ArithOp::Div,
                        Box::new(sum),
                        Box::new(count.clone().cast(result)),
                    ),
                    result,
                );
                Ok(Out::new(
                    OutExpr::Case(vec![(positive(count), quotient)], None),
                    result,
                ))
            }
            AggFunc::Min | AggFunc::Max => {
                let mut outs = Vec::new();
                for (f, r, v) in &parts {
                    outs.push(match r {
                        Some(r) => {
                            if r.ty != result {
                                return Err(unsupported());
                            }
                            self.push_aggregate(
                                Aggregate::filtered(func, Some(r.expr.clone()), f.clone()),
                                r.ty,
                            )?
                        }
                        None => {
                            let n = self.rows(f.clone())?;
                            Out::new(
                                OutExpr::Case(
                                    vec![(positive(n), Out::constant(v.clone(), result))],
                                    None,
                                ),
                                result,
                            )
                        }
                    });
                }
                Ok(Out::new(
                    OutExpr::Extreme(outs, func == AggFunc::Max),
                    result,
                ))
            }
            AggFunc::CountStar => Err(unsupported()),
        }
    }

    /// `count(*) FILTER (WHERE f)`.
    fn rows(&mut self, f: Option<Predicate>) -> SqlResult<Out> {
        self.push_aggregate(
            Aggregate::filtered(AggFunc::CountStar, None, f),
            PgType::Int8,
        )
    }

    fn count_parts(
        &mut self,
        parts: &[(Option<Predicate>, Option<RowExpr>, Value)],
    ) -> SqlResult<Out> {
        let mut total: Option<Out> = None;
        for (f, r, _) in parts {
            let n = match r {
                Some(r) => self.push_aggregate(
                    Aggregate::filtered(AggFunc::Count, Some(r.expr.clone()), f.clone()),
                    PgType::Int8,
                )?,
                None => self.rows(f.clone())?,
            };
            total = Some(match total {
                None => n,
                Some(t) => Out::new(
                    OutExpr::Arith(crate::sql::out::ArithOp::Add, Box::new(t), Box::new(n)),
                    PgType::Int8,
                ),
            });
        }
        Ok(total.unwrap_or_else(|| Out::constant(Value::Int64(0), PgType::Int8)))
    }

    fn sum_parts(
        &mut self,
        parts: &[(Option<Predicate>, Option<RowExpr>, Value)],
        result: PgType,
        unsupported: impl Fn() -> SqlError,
    ) -> SqlResult<Out> {
        let mut outs = Vec::new();
        for (f, r, v) in parts {
            outs.push(match r {
                // The index sums floats only.
                Some(r) if r.ty == PgType::Float8 && result == PgType::Float8 => self
                    .push_aggregate(
                        Aggregate::filtered(AggFunc::Sum, Some(r.expr.clone()), f.clone()),
                        PgType::Float8,
                    )?,
                Some(_) => return Err(unsupported()),
                None => {
                    // k added once per row of the branch; NULL without rows.
                    let n = self.rows(f.clone())?;
                    let k = Out::constant(cast_value(v.clone(), result)?, result);
                    let product = Out::new(
                        OutExpr::Arith(
                            crate::sql::out::ArithOp::Mul,
                            Box::new(k),
                            Box::new(n.clone().cast(result)),
                        ),
                        result,
                    );
                    Out::new(OutExpr::Case(vec![(positive(n), product)], None), result)
                }
            });
        }
        Ok(Out::new(OutExpr::SumNonNull(outs), result))
    }
}

/// `n > 0` for a count.
fn positive(n: Out) -> OutPred {
    OutPred::Cmp(n, CmpOp::Gt, Out::constant(Value::Int64(0), PgType::Int8))
}

/// Helpers for CASE / coalesce / greatest / least / nullif over result rows.
impl OutBuilder<'_, '_> {
    /// Translates `arms`, typing untyped ones (`'x'`, NULL) with the others'
    /// common type, and casts all to it.
    pub(crate) fn common_arms(
        &mut self,
        arms: &[&SqlExpr],
        what: &str,
    ) -> SqlResult<(Vec<Out>, PgType)> {
        let untyped = |e: &SqlExpr| matches!(constant_kind(e), Some(false));
        let mut typed = Vec::new();
        for a in arms {
            if !untyped(a) {
                typed.push(self.out(a, None)?.ty);
            }
        }
        let ty = if typed.is_empty() {
            PgType::Text
        } else {
            common_type(&typed).ok_or_else(|| {
                SqlError::DatatypeMismatch(format!(
                    "{what} types {} and {} cannot be matched",
                    typed[0].name(),
                    typed
                        .iter()
                        .find(|t| **t != typed[0])
                        .map_or("", |t| t.name())
                ))
            })?
        };
        let mut outs = Vec::with_capacity(arms.len());
        for a in arms {
            let o = self.out(a, Some(ty))?;
            outs.push(o.cast(ty));
        }
        Ok((outs, ty))
    }

    pub(crate) fn case_out(
        &mut self,
        operand: Option<&SqlExpr>,
        conditions: &[(SqlExpr, SqlExpr)],
        else_result: Option<&SqlExpr>,
    ) -> SqlResult<Out> {
        let mut results: Vec<&SqlExpr> = conditions.iter().map(|(_, r)| r).collect();
        if let Some(e) = else_result {
            results.push(e);
        }
        let (mut outs, ty) = self.common_arms(&results, "CASE")?;
        let otherwise = if else_result.is_some() {
            outs.pop().map(Box::new)
        } else {
            None
        };
        let mut arms = Vec::with_capacity(conditions.len());
        for ((cond, _), o) in conditions.iter().zip(outs) {
            let cond = match operand {
                Some(op) => SqlExpr::BinaryOp {
                    left: Box::new(op.clone()),
                    op: BinaryOperator::Eq,
                    right: Box::new(cond.clone()),
                },
                None => cond.clone(),
            };
            arms.push((self.pred(&cond, "CASE")?, o));
        }
        Ok(Out::new(OutExpr::Case(arms, otherwise), ty))
    }

    /// `coalesce`, `greatest` and `least` over result rows.
    pub(crate) fn variadic_out(&mut self, name: &str, args: &[&SqlExpr]) -> SqlResult<Option<Out>> {
        Ok(Some(match (name, args) {
            ("coalesce", [_, ..]) => {
                let (outs, ty) = self.common_arms(args, "COALESCE")?;
                Out::new(OutExpr::Coalesce(outs), ty)
            }
            ("greatest" | "least", [_, ..]) => {
                let (outs, ty) = self.common_arms(args, &name.to_uppercase())?;
                Out::new(OutExpr::Extreme(outs, name == "greatest"), ty)
            }
            (_, []) => return Err(undefined_function(name, &[])),
            _ => return Ok(None),
        }))
    }
}

/// `Some(true)` for a typed constant (number, boolean), `Some(false)` for an
/// untyped one (`'...'`, NULL, `$n`), `None` for anything else.
fn constant_kind(e: &SqlExpr) -> Option<bool> {
    match e {
        SqlExpr::Value(v) => Some(matches!(
            v.value,
            sqlparser::ast::Value::Number(..) | sqlparser::ast::Value::Boolean(_)
        )),
        SqlExpr::Nested(inner) => constant_kind(inner),
        _ => None,
    }
}
