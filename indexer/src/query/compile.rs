//! Resolving a request against a schema: typed expressions, predicate atoms,
//! aggregates with their result types, and per-query lookup tables over the
//! table dictionaries (an expression or atom on a text/date column is
//! evaluated once per dictionary value, never per row).

use std::sync::Arc;

use crate::dictionary::{DictionarySet, NULL_ID};
use crate::error::{IndexError, Result};
use crate::query::expr::{AtomTest, apply, expr_type, leaf_column};
use crate::query::request::{AggFunc, AggregateRequest, Expr, Predicate};
use crate::schema::TableSchema;
use crate::value::{ScalarType, Value};

/// An expression resolved against the schema.
#[derive(Debug, Clone)]
pub struct CExpr {
    pub expr: Expr,
    /// The column it reads (schema index), if any.
    pub col: Option<usize>,
    pub ty: ScalarType,
    /// True when `col` is a text/date column: values come from `table`.
    pub dict: bool,
    /// Dictionary-column expressions: the value for each id, and for NULL.
    pub table: Vec<Value>,
    pub null_value: Value,
    /// A plain `Column(...)` reference.
    pub is_column: bool,
}

impl CExpr {
    /// Resolves `expr` against `schema`.
    pub fn from_expr(schema: &TableSchema, expr: &Expr) -> Result<CExpr> {
        Self::new(schema, expr)
    }

    fn new(schema: &TableSchema, expr: &Expr) -> Result<CExpr> {
        let ty = expr_type(schema, expr)?;
        let col = leaf_column(expr).and_then(|c| schema.column_index(c));
        let dict = col
            .is_some_and(|c| matches!(schema.columns[c].ty, ScalarType::Text | ScalarType::Date));
        if let Some(c) = col
            && matches!(schema.columns[c].ty, ScalarType::Bool | ScalarType::Numeric)
        {
            return Err(IndexError::Unsupported(format!(
                "column type {}",
                schema.columns[c].ty.pg_name()
            )));
        }
        Ok(CExpr {
            expr: expr.clone(),
            col,
            ty,
            dict,
            table: Vec::new(),
            null_value: apply(expr, &Value::Null),
            is_column: matches!(expr, Expr::Column(_)),
        })
    }

    /// The expression's value for dictionary id `id` (dictionary expressions only).
    #[inline]
    pub fn value_of_id(&self, id: u32) -> &Value {
        if id == NULL_ID {
            return &self.null_value;
        }
        self.table.get(id as usize).unwrap_or(&self.null_value)
    }
}

/// One comparison-like leaf of a predicate.
#[derive(Debug, Clone)]
pub struct CAtom {
    pub expr: CExpr,
    pub test: AtomTest,
    /// Dictionary atoms: truth per id, and for NULL.
    pub truth: Vec<Option<bool>>,
    pub null_truth: Option<bool>,
}

impl CAtom {
    #[inline]
    pub fn truth_of_id(&self, id: u32) -> Option<bool> {
        if id == NULL_ID {
            return self.null_truth;
        }
        self.truth
            .get(id as usize)
            .copied()
            .unwrap_or(self.null_truth)
    }
}

/// A predicate over atoms (indexes into `Compiled::atoms`).
#[derive(Debug, Clone)]
pub enum CPred {
    Const(Option<bool>),
    Atom(usize),
    And(Vec<CPred>),
    Or(Vec<CPred>),
    Not(Box<CPred>),
}

impl CPred {
    /// Three-valued evaluation with `atom` giving each atom's truth.
    pub fn eval(&self, atom: &mut impl FnMut(usize) -> Option<bool>) -> Option<bool> {
        match self {
            CPred::Const(b) => *b,
            CPred::Atom(i) => atom(*i),
            CPred::And(ps) => {
                let mut acc = Some(true);
                for p in ps {
                    match p.eval(atom) {
                        Some(false) => return Some(false),
                        None => acc = None,
                        Some(true) => {}
                    }
                }
                acc
            }
            CPred::Or(ps) => {
                let mut acc = Some(false);
                for p in ps {
                    match p.eval(atom) {
                        Some(true) => return Some(true),
                        None => acc = None,
                        Some(false) => {}
                    }
                }
                acc
            }
            CPred::Not(p) => p.eval(atom).map(|b| !b),
        }
    }

    /// Which outcomes are possible (bit 0 true, 1 false, 2 unknown) given each
    /// atom's possible outcomes.
    pub fn possible(&self, atom: &impl Fn(usize) -> u8) -> u8 {
        const T: u8 = 1;
        const F: u8 = 2;
        const U: u8 = 4;
        let and = |a: u8, b: u8| {
            let mut r = 0;
            if a & F != 0 || b & F != 0 {
                r |= F;
            }
            if a & T != 0 && b & T != 0 {
                r |= T;
            }
            if (a & U != 0 && b & (T | U) != 0) || (b & U != 0 && a & (T | U) != 0) {
                r |= U;
            }
            r
        };
        let not = |a: u8| (a & U) | if a & T != 0 { F } else { 0 } | if a & F != 0 { T } else { 0 };
        match self {
            CPred::Const(Some(true)) => T,
            CPred::Const(Some(false)) => F,
            CPred::Const(None) => U,
            CPred::Atom(i) => atom(*i),
            CPred::And(ps) => ps.iter().fold(T, |acc, p| and(acc, p.possible(atom))),
            CPred::Or(ps) => not(ps.iter().fold(T, |acc, p| and(acc, not(p.possible(atom))))),
            CPred::Not(p) => not(p.possible(atom)),
        }
    }

    /// Top-level conjuncts.
    pub fn conjuncts(&self) -> Vec<&CPred> {
        match self {
            CPred::And(ps) => ps.iter().flat_map(|p| p.conjuncts()).collect(),
            other => vec![other],
        }
    }

    pub fn atoms(&self, out: &mut Vec<usize>) {
        match self {
            CPred::Atom(i) => out.push(*i),
            CPred::And(ps) | CPred::Or(ps) => ps.iter().for_each(|p| p.atoms(out)),
            CPred::Not(p) => p.atoms(out),
            CPred::Const(_) => {}
        }
    }
}

#[derive(Debug, Clone)]
pub struct CAgg {
    pub func: AggFunc,
    pub arg: Option<CExpr>,
    pub out: ScalarType,
    /// `FILTER (WHERE ...)`, over atoms of `Compiled::atoms`.
    pub filter: Option<CPred>,
}

/// A resolved request (aggregate or scan).
#[derive(Debug, Clone)]
pub struct Compiled {
    pub schema: Arc<TableSchema>,
    pub group: Vec<CExpr>,
    pub aggs: Vec<CAgg>,
    /// Scan requests: the selected expressions.
    pub select: Vec<CExpr>,
    pub pred: Option<CPred>,
    pub atoms: Vec<CAtom>,
}

impl Compiled {
    pub fn new(schema: Arc<TableSchema>) -> Compiled {
        Compiled {
            schema,
            group: Vec::new(),
            aggs: Vec::new(),
            select: Vec::new(),
            pred: None,
            atoms: Vec::new(),
        }
    }

    pub fn set_filter(&mut self, filter: Option<&Predicate>) -> Result<()> {
        if let Some(p) = filter {
            let mut atoms = std::mem::take(&mut self.atoms);
            let p = compile_pred(&self.schema, p, &mut atoms)?;
            self.pred = Some(p);
            self.atoms = atoms;
        }
        Ok(())
    }

    /// The atoms the WHERE clause reads (aggregate filters have their own).
    pub fn pred_atoms(&self) -> Vec<usize> {
        let mut v = Vec::new();
        if let Some(p) = &self.pred {
            p.atoms(&mut v);
        }
        v
    }

    pub fn aggregate(schema: Arc<TableSchema>, req: &AggregateRequest) -> Result<Compiled> {
        let mut q = Compiled::new(schema);
        q.set_filter(req.filter.as_ref())?;
        for g in &req.group_by {
            q.group.push(CExpr::new(&q.schema, g)?);
        }
        for a in &req.aggregates {
            let mut c = compile_agg(&q.schema, a.func, a.arg.as_ref())?;
            if let Some(f) = &a.filter {
                c.filter = Some(compile_pred(&q.schema, f, &mut q.atoms)?);
            }
            q.aggs.push(c);
        }
        Ok(q)
    }

    pub fn output_types(&self) -> Vec<ScalarType> {
        self.group
            .iter()
            .map(|g| g.ty)
            .chain(self.aggs.iter().map(|a| a.out))
            .collect()
    }

    /// Every column the request reads.
    pub fn columns(&self) -> Vec<usize> {
        let mut cols: Vec<usize> = self
            .group
            .iter()
            .chain(self.select.iter())
            .chain(self.aggs.iter().filter_map(|a| a.arg.as_ref()))
            .chain(self.atoms.iter().map(|a| &a.expr))
            .filter_map(|e| e.col)
            .collect();
        cols.sort_unstable();
        cols.dedup();
        cols
    }

    /// Fills the dictionary lookup tables.
    pub fn prepare(&mut self, dicts: &DictionarySet) {
        let schema = self.schema.clone();
        let fill = |e: &mut CExpr| {
            if let (true, Some(c)) = (e.dict, e.col) {
                let d = dicts.get_or_create(&schema.columns[c].name);
                e.table = d.with_values(|vals| {
                    vals.iter()
                        .map(|v| {
                            v.as_ref()
                                .map_or(Value::Null, |v| apply(&e.expr, &v.to_value()))
                        })
                        .collect()
                });
            }
        };
        self.group.iter_mut().for_each(fill);
        self.select.iter_mut().for_each(fill);
        self.aggs
            .iter_mut()
            .filter_map(|a| a.arg.as_mut())
            .for_each(fill);
        for a in &mut self.atoms {
            fill(&mut a.expr);
            if a.expr.dict {
                a.truth = a.expr.table.iter().map(|v| a.test.eval(v)).collect();
            }
            a.null_truth = a.test.eval(&a.expr.null_value);
        }
    }
}

fn compile_agg(schema: &TableSchema, func: AggFunc, arg: Option<&Expr>) -> Result<CAgg> {
    let arg = match (func, arg) {
        (AggFunc::CountStar, _) => None,
        (_, Some(e)) => Some(CExpr::new(schema, e)?),
        (_, None) => {
            return Err(IndexError::Internal(format!(
                "{func:?} without an argument"
            )));
        }
    };
    let name = |f: AggFunc| match f {
        AggFunc::Sum => "sum",
        AggFunc::Avg => "avg",
        _ => "",
    };
    let out = match func {
        AggFunc::CountStar | AggFunc::Count | AggFunc::CountDistinct => ScalarType::Int64,
        AggFunc::Sum | AggFunc::Avg => {
            let ty = arg.as_ref().map_or(ScalarType::Text, |a| a.ty);
            match ty {
                ScalarType::Float64 => ScalarType::Float64,
                ScalarType::Int64 | ScalarType::Numeric => {
                    return Err(IndexError::Unsupported(format!(
                        "{}({})",
                        name(func),
                        ty.pg_name()
                    )));
                }
                other => {
                    return Err(IndexError::UndefinedFunction(format!(
                        "{}({})",
                        name(func),
                        other.pg_name()
                    )));
                }
            }
        }
        AggFunc::Min | AggFunc::Max => arg.as_ref().map_or(ScalarType::Text, |a| a.ty),
    };
    Ok(CAgg {
        func,
        arg,
        out,
        filter: None,
    })
}

/// A text literal compared with a date is read as a date (as PostgreSQL
/// reads an unknown-typed literal); other literals are compared as given.
fn coerce(ty: ScalarType, v: Value) -> Result<Value> {
    match (ty, v) {
        (ScalarType::Date, Value::Text(s)) => crate::calendar::parse_date(s.trim())
            .map(Value::Date)
            .ok_or(IndexError::InvalidValue {
                ty: "date",
                value: s,
            }),
        (_, v) => Ok(v),
    }
}

fn coerce_test(ty: ScalarType, test: AtomTest) -> Result<AtomTest> {
    Ok(match test {
        AtomTest::Compare(op, v) => AtomTest::Compare(op, coerce(ty, v)?),
        AtomTest::InList(vs, neg) => AtomTest::InList(
            vs.into_iter()
                .map(|v| coerce(ty, v))
                .collect::<Result<_>>()?,
            neg,
        ),
        AtomTest::Between(lo, hi, neg) => AtomTest::Between(coerce(ty, lo)?, coerce(ty, hi)?, neg),
        t @ AtomTest::IsNull(_) => t,
    })
}

fn compile_pred(schema: &TableSchema, p: &Predicate, atoms: &mut Vec<CAtom>) -> Result<CPred> {
    let atom = |expr: &Expr, test: AtomTest, atoms: &mut Vec<CAtom>| -> Result<CPred> {
        let expr = CExpr::new(schema, expr)?;
        let test = coerce_test(expr.ty, test)?;
        atoms.push(CAtom {
            expr,
            test,
            truth: Vec::new(),
            null_truth: None,
        });
        Ok(CPred::Atom(atoms.len() - 1))
    };
    Ok(match p {
        Predicate::Const(b) => CPred::Const(Some(*b)),
        Predicate::Compare { expr, op, value } => {
            atom(expr, AtomTest::Compare(*op, value.clone()), atoms)?
        }
        Predicate::InList {
            expr,
            values,
            negated,
        } => atom(expr, AtomTest::InList(values.clone(), *negated), atoms)?,
        Predicate::Between {
            expr,
            low,
            high,
            negated,
        } => atom(
            expr,
            AtomTest::Between(low.clone(), high.clone(), *negated),
            atoms,
        )?,
        Predicate::IsNull { expr, negated } => atom(expr, AtomTest::IsNull(*negated), atoms)?,
        Predicate::And(ps) => CPred::And(
            ps.iter()
                .map(|p| compile_pred(schema, p, atoms))
                .collect::<Result<_>>()?,
        ),
        Predicate::Or(ps) => CPred::Or(
            ps.iter()
                .map(|p| compile_pred(schema, p, atoms))
                .collect::<Result<_>>()?,
        ),
        Predicate::Not(p) => CPred::Not(Box::new(compile_pred(schema, p, atoms)?)),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn possible_outcomes_follow_three_valued_logic() {
        let t = CPred::Const(Some(true));
        let u = CPred::Atom(0);
        // Atom 0 may be anything.
        let any = |_: usize| 7u8;
        assert_eq!(t.possible(&any), 1);
        assert_eq!(u.possible(&any), 7);
        assert_eq!(
            CPred::And(vec![CPred::Const(Some(false)), CPred::Atom(0)]).possible(&any),
            2
        );
        assert_eq!(
            CPred::Or(vec![CPred::Const(Some(true)), CPred::Atom(0)]).possible(&any),
            1
        );
        assert_eq!(CPred::Not(Box::new(CPred::Const(None))).possible(&any), 4);
        let only_true = |_: usize| 1u8;
        assert_eq!(CPred::Not(Box::new(CPred::Atom(0))).possible(&only_true), 2);
    }
}
