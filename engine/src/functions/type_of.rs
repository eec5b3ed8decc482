//! `pg_typeof(x)`: the name of `x`'s PostgreSQL type, known when the
//! statement is planned (a constant per call).
//!
//! PostgreSQL's result is a `regtype`; here it is its text, which is what
//! psql and text-mode clients show.

use datafusion::arrow::datatypes::{DataType, Field};
use datafusion::common::{Result, ScalarValue, exec_err};
use datafusion::logical_expr::{
    ColumnarValue, ScalarFunctionArgs, ScalarUDF, ScalarUDFImpl, Signature, Volatility,
};

use crate::catalog::PG_TYPE_KEY;
use crate::catalog::types::{PgType, name_by_oid};

#[derive(Debug, PartialEq, Eq, Hash)]
struct TypeOf {
    signature: Signature,
}

/// The `pg_typeof` function.
pub fn pg_typeof() -> ScalarUDF {
    ScalarUDF::new_from_impl(TypeOf {
        signature: Signature::any(1, Volatility::Immutable),
    })
}

/// The PostgreSQL name of a value's type: the engine's tag where it has one
/// (`name`, `"char"`), else from its Arrow type.
pub fn type_name(field: &Field) -> String {
    if crate::numeric::is_numeric(field.data_type()) {
        return "numeric".to_owned();
    }
    if let Some(tag) = field.metadata().get(PG_TYPE_KEY) {
        return match tag.as_str() {
            "char" => "\"char\"".to_owned(),
            "varchar" => "character varying".to_owned(),
            "bpchar" => "character".to_owned(),
            other => other.to_owned(),
        };
    }
    if *field.data_type() == DataType::Null {
        return "unknown".to_owned();
    }
    let t = PgType::of_field(field);
    name_by_oid(i64::from(t.oid))
        .unwrap_or(t.sql_name)
        .to_owned()
}

impl ScalarUDFImpl for TypeOf {
    fn name(&self) -> &str {
        "pg_typeof"
    }

    fn signature(&self) -> &Signature {
        &self.signature
    }

    fn return_type(&self, _args: &[DataType]) -> Result<DataType> {
        Ok(DataType::Utf8)
    }

    fn invoke_with_args(&self, args: ScalarFunctionArgs) -> Result<ColumnarValue> {
        let Some(field) = args.arg_fields.first() else {
            return exec_err!("pg_typeof: no argument");
        };
        Ok(ColumnarValue::Scalar(ScalarValue::Utf8(Some(type_name(
            field.as_ref(),
        )))))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_follow_postgres() {
        let f = |dt: DataType| type_name(&Field::new("x", dt, true));
        assert_eq!(f(DataType::Int64), "bigint");
        assert_eq!(f(DataType::Int32), "integer");
        assert_eq!(f(DataType::Float64), "double precision");
        assert_eq!(f(DataType::Decimal128(3, 1)), "numeric");
        assert_eq!(f(crate::numeric::numeric_type()), "numeric");
        assert_eq!(f(DataType::Utf8), "text");
        let tagged =
            Field::new("x", DataType::Utf8, true).with_metadata(std::collections::HashMap::from([
                (PG_TYPE_KEY.to_owned(), "name".to_owned()),
            ]));
        assert_eq!(type_name(&tagged), "name");
    }
}
