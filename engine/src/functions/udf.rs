//! [`Udf`]: a scalar function evaluated row by row over [`ScalarValue`]s.
//!
//! Catalog and session functions run over catalog tables of a few thousand
//! rows at most, so clarity beats vectorisation: each row's arguments arrive
//! as scalars, the function returns one scalar, and a call whose arguments
//! are all constants returns a constant.

use std::hash::{Hash, Hasher};
use std::sync::Arc;

use std::collections::HashMap;

use datafusion::arrow::datatypes::{DataType, Field, FieldRef};
use datafusion::common::ScalarValue;
use datafusion::error::{DataFusionError, Result};
use datafusion::logical_expr::{
    ColumnarValue, ReturnFieldArgs, ScalarFunctionArgs, ScalarUDF, ScalarUDFImpl, Signature,
    TypeSignature, Volatility,
};

/// The body of a function: the state it closes over and one row's arguments.
pub type Body<S> = fn(&S, &[ScalarValue]) -> Result<ScalarValue>;

/// A scalar function over a state `S` (session variables, the catalog).
pub struct Udf<S> {
    name: &'static str,
    signature: Signature,
    ret: DataType,
    /// The PostgreSQL type of the result where Arrow's does not say it
    /// (`name` for `current_user`): field metadata the protocol reads.
    pg_type: Option<&'static str>,
    state: Arc<S>,
    body: Body<S>,
}

impl<S> std::fmt::Debug for Udf<S> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Udf").field("name", &self.name).finish()
    }
}

// Two instances are the same function when they have the same name and
// state: a session's functions are registered once per statement.
impl<S: 'static> PartialEq for Udf<S> {
    fn eq(&self, other: &Self) -> bool {
        self.name == other.name && Arc::ptr_eq(&self.state, &other.state)
    }
}
impl<S: 'static> Eq for Udf<S> {}
impl<S: 'static> Hash for Udf<S> {
    fn hash<H: Hasher>(&self, state: &mut H) {
        self.name.hash(state);
    }
}

impl<S: Send + Sync + 'static> Udf<S> {
    /// The DataFusion function `name` with this body.
    pub fn function(
        name: &'static str,
        signature: Signature,
        ret: DataType,
        state: Arc<S>,
        body: Body<S>,
    ) -> ScalarUDF {
        ScalarUDF::new_from_impl(Udf {
            name,
            signature,
            ret,
            pg_type: None,
            state,
            body,
        })
    }

    /// A function whose result the protocol describes as PostgreSQL type
    /// `pg_type` (see [`crate::catalog::PG_TYPE_KEY`]).
    pub fn typed_function(
        name: &'static str,
        signature: Signature,
        ret: DataType,
        pg_type: &'static str,
        state: Arc<S>,
        body: Body<S>,
    ) -> ScalarUDF {
        ScalarUDF::new_from_impl(Udf {
            name,
            signature,
            ret,
            pg_type: Some(pg_type),
            state,
            body,
        })
    }

    /// A function returning PostgreSQL's `name` (text on Arrow's side).
    pub fn name_function(
        name: &'static str,
        signature: Signature,
        state: Arc<S>,
        body: Body<S>,
    ) -> ScalarUDF {
        Self::typed_function(name, signature, DataType::Utf8, "name", state, body)
    }
}

impl<S: Send + Sync + 'static> ScalarUDFImpl for Udf<S> {
    fn name(&self) -> &str {
        self.name
    }

    fn signature(&self) -> &Signature {
        &self.signature
    }

    fn return_type(&self, _arg_types: &[DataType]) -> Result<DataType> {
        Ok(self.ret.clone())
    }

    fn return_field_from_args(&self, _args: ReturnFieldArgs) -> Result<FieldRef> {
        let field = Field::new(self.name, self.ret.clone(), true);
        Ok(Arc::new(match self.pg_type {
            Some(t) => field.with_metadata(HashMap::from([(
                crate::catalog::PG_TYPE_KEY.to_owned(),
                t.to_owned(),
            )])),
            None => field,
        }))
    }

    fn invoke_with_args(&self, args: ScalarFunctionArgs) -> Result<ColumnarValue> {
        let all_scalar = args
            .args
            .iter()
            .all(|a| matches!(a, ColumnarValue::Scalar(_)));
        if all_scalar {
            let row: Vec<ScalarValue> = args
                .args
                .iter()
                .filter_map(|a| match a {
                    ColumnarValue::Scalar(s) => Some(s.clone()),
                    ColumnarValue::Array(_) => None,
                })
                .collect();
            let out = self.call(&row)?;
            return Ok(ColumnarValue::Scalar(out));
        }
        let arrays = ColumnarValue::values_to_arrays(&args.args)?;
        let mut out = Vec::with_capacity(args.number_rows);
        for i in 0..args.number_rows {
            let row = arrays
                .iter()
                .map(|a| ScalarValue::try_from_array(a, i))
                .collect::<Result<Vec<_>>>()?;
            out.push(self.call(&row)?);
        }
        if out.is_empty() {
            return Ok(ColumnarValue::Array(
                datafusion::arrow::array::new_empty_array(&self.ret),
            ));
        }
        Ok(ColumnarValue::Array(ScalarValue::iter_to_array(out)?))
    }
}

impl<S> Udf<S> {
    fn call(&self, row: &[ScalarValue]) -> Result<ScalarValue> {
        let v = (self.body)(&self.state, row)?;
        if v.is_null() {
            return ScalarValue::try_from(&self.ret);
        }
        if v.data_type() == self.ret {
            Ok(v)
        } else {
            v.cast_to(&self.ret)
        }
    }
}

/// Any arguments, `n` of them for each `n` in `arities`.
pub fn any_of(arities: &[usize]) -> Signature {
    Signature::one_of(
        arities
            .iter()
            .map(|n| {
                if *n == 0 {
                    TypeSignature::Nullary
                } else {
                    TypeSignature::Any(*n)
                }
            })
            .collect(),
        Volatility::Stable,
    )
}

/// Argument `i` as text (`None` when NULL or absent).
pub fn text(row: &[ScalarValue], i: usize) -> Option<String> {
    match row.get(i)? {
        v if v.is_null() => None,
        ScalarValue::Utf8(s) | ScalarValue::LargeUtf8(s) | ScalarValue::Utf8View(s) => s.clone(),
        v => Some(v.to_string()),
    }
}

/// Argument `i` as an integer (OIDs, flags); text holding digits counts.
pub fn int(row: &[ScalarValue], i: usize) -> Option<i64> {
    let v = row.get(i)?;
    if v.is_null() {
        return None;
    }
    match v.cast_to(&DataType::Int64) {
        Ok(ScalarValue::Int64(i)) => i,
        _ => None,
    }
}

/// Argument `i` as a boolean.
pub fn boolean(row: &[ScalarValue], i: usize) -> Option<bool> {
    match row.get(i)? {
        ScalarValue::Boolean(b) => *b,
        v if v.is_null() => None,
        v => match v.cast_to(&DataType::Boolean) {
            Ok(ScalarValue::Boolean(b)) => b,
            _ => None,
        },
    }
}

pub fn utf8(s: impl Into<String>) -> ScalarValue {
    ScalarValue::Utf8(Some(s.into()))
}

/// An error a client sees with its SQLSTATE (see `crate::error`).
pub fn pg_error(sqlstate: &str, message: impl std::fmt::Display) -> DataFusionError {
    DataFusionError::Execution(format!(
        "{}{sqlstate}]: {message}",
        crate::error::SQLSTATE_TAG
    ))
}
