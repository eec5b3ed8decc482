//! Functions that read the session: `version()`, `current_user`,
//! `session_user`, `user`, `current_setting`, `set_config`,
//! `current_schema()`, `current_schemas(bool)`, `current_database()`.
//!
//! They are registered per statement on the statement's own copy of the
//! session state (a cheap clone), closing over that session's
//! [`SessionVars`], so two connections never see each other's settings.

use std::sync::Arc;

use datafusion::arrow::datatypes::{DataType, Field};
use datafusion::common::ScalarValue;
use datafusion::error::Result;
use datafusion::logical_expr::ScalarUDF;

use crate::session::{EngineConfig, SessionVars};

use super::udf::{Udf, any_of, boolean, pg_error, text, utf8};

/// What a session's functions see.
#[derive(Debug)]
pub struct SessionScope {
    pub vars: SessionVars,
    pub config: EngineConfig,
}

impl SessionScope {
    /// The session's user, or the configured one when the session has none.
    pub fn user(&self) -> &str {
        if self.vars.user.is_empty() {
            &self.config.user
        } else {
            &self.vars.user
        }
    }

    pub fn setting(&self, name: &str) -> Option<&str> {
        let name = name.to_ascii_lowercase();
        self.vars
            .settings
            .iter()
            .find(|(n, _)| n.eq_ignore_ascii_case(&name))
            .map(|(_, v)| v.as_str())
    }

    /// The schemas of `search_path` that exist, in order (`$user` has no
    /// schema here). Default `"$user", public`.
    pub fn search_path(&self) -> Vec<String> {
        search_path(self.setting("search_path").unwrap_or("\"$user\", public"))
    }
}

/// The existing schemas a `search_path` setting names, in order.
pub fn search_path(setting: &str) -> Vec<String> {
    setting
        .split(',')
        .map(|s| {
            let s = s.trim();
            match s.strip_prefix('"').and_then(|s| s.strip_suffix('"')) {
                Some(quoted) => quoted.to_owned(),
                None => s.to_ascii_lowercase(),
            }
        })
        .filter(|s| EXISTING_SCHEMAS.contains(&s.as_str()))
        .collect()
}

const EXISTING_SCHEMAS: &[&str] = &["public", "pg_catalog", "information_schema"];

/// The session functions of one statement.
pub fn functions(scope: Arc<SessionScope>) -> Vec<ScalarUDF> {
    let s = || scope.clone();
    vec![
        Udf::function("version", any_of(&[0]), DataType::Utf8, s(), |s, _| {
            Ok(utf8(s.config.version.clone()))
        }),
        Udf::name_function("current_user", any_of(&[0]), s(), user),
        Udf::name_function("session_user", any_of(&[0]), s(), user),
        Udf::name_function("user", any_of(&[0]), s(), user),
        Udf::name_function("current_role", any_of(&[0]), s(), user),
        Udf::name_function("current_database", any_of(&[0]), s(), |s, _| {
            Ok(utf8(s.config.database.clone()))
        }),
        Udf::name_function("current_catalog", any_of(&[0]), s(), |s, _| {
            Ok(utf8(s.config.database.clone()))
        }),
        Udf::function(
            "current_setting",
            any_of(&[1, 2]),
            DataType::Utf8,
            s(),
            current_setting,
        ),
        Udf::function("set_config", any_of(&[3]), DataType::Utf8, s(), |_, row| {
            Ok(ScalarValue::Utf8(text(row, 1)))
        }),
        Udf::name_function("current_schema", any_of(&[0]), s(), |s, _| {
            Ok(ScalarValue::Utf8(s.search_path().into_iter().next()))
        }),
        Udf::function(
            "current_schemas",
            any_of(&[1]),
            DataType::List(Arc::new(Field::new_list_field(DataType::Utf8, true))),
            s(),
            current_schemas,
        ),
    ]
}

fn user(s: &SessionScope, _: &[ScalarValue]) -> Result<ScalarValue> {
    Ok(utf8(s.user()))
}

fn current_setting(s: &SessionScope, row: &[ScalarValue]) -> Result<ScalarValue> {
    let Some(name) = text(row, 0) else {
        return Ok(ScalarValue::Utf8(None));
    };
    let missing_ok = boolean(row, 1).unwrap_or(false);
    match s.setting(&name) {
        Some(v) => Ok(utf8(v)),
        None if name.eq_ignore_ascii_case("server_version") => Ok(utf8(s.config.version.clone())),
        None if missing_ok => Ok(ScalarValue::Utf8(None)),
        None => Err(pg_error(
            "42704",
            format!("unrecognized configuration parameter \"{name}\""),
        )),
    }
}

fn current_schemas(s: &SessionScope, row: &[ScalarValue]) -> Result<ScalarValue> {
    let Some(implicit) = boolean(row, 0) else {
        return Ok(ScalarValue::Null);
    };
    let mut schemas = s.search_path();
    if implicit && !schemas.iter().any(|n| n == "pg_catalog") {
        schemas.insert(0, "pg_catalog".to_owned());
    }
    let values: Vec<ScalarValue> = schemas.into_iter().map(utf8).collect();
    Ok(ScalarValue::List(ScalarValue::new_list_nullable(
        &values,
        &DataType::Utf8,
    )))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn scope(settings: &[(&str, &str)]) -> SessionScope {
        SessionScope {
            vars: SessionVars {
                user: String::new(),
                settings: settings
                    .iter()
                    .map(|(k, v)| ((*k).to_owned(), (*v).to_owned()))
                    .collect(),
            },
            config: EngineConfig {
                database: "db".into(),
                user: "isotherm".into(),
                version: "PostgreSQL 15.0".into(),
            },
        }
    }

    #[test]
    fn search_path_keeps_existing_schemas_in_order() {
        assert_eq!(scope(&[]).search_path(), vec!["public"]);
        let s = scope(&[("search_path", "pg_catalog, \"$user\", PUBLIC, nope")]);
        assert_eq!(s.search_path(), vec!["pg_catalog", "public"]);
        assert_eq!(s.user(), "isotherm");
    }

    #[test]
    fn current_setting_reports_missing_parameters() {
        let s = scope(&[("datestyle", "ISO, MDY")]);
        assert_eq!(
            current_setting(&s, &[utf8("DateStyle")]).ok(),
            Some(utf8("ISO, MDY"))
        );
        assert!(current_setting(&s, &[utf8("nope")]).is_err());
        assert_eq!(
            current_setting(&s, &[utf8("nope"), ScalarValue::Boolean(Some(true))]).ok(),
            Some(ScalarValue::Utf8(None))
        );
    }
}
