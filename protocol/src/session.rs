//! Per-connection session state: settings (GUCs) with SET / SHOW / RESET,
//! and the statements clients send on connect (BEGIN, COMMIT, DISCARD...).
//!
//! Settings mirror PostgreSQL 15's names, canonical spellings (`DateStyle`,
//! `TimeZone`) and defaults. Isotherm formats dates as ISO and timestamps in
//! UTC only, so `DateStyle` must stay ISO and `TimeZone` UTC: other values
//! are 0A000 rather than silently wrong answers. Settings PostgreSQL reports
//! to clients (ParameterStatus) are reported again when SET changes them.

use std::collections::BTreeMap;

use crate::error::{SqlError, SqlResult};
use crate::types::TextOptions;

/// `(canonical name, default, reported to the client, read-only, description)`.
type SettingSpec = (&'static str, &'static str, bool, bool, &'static str);

const SETTINGS: &[SettingSpec] = &[
    (
        "application_name",
        "",
        true,
        false,
        "Sets the application name to be reported in statistics and logs.",
    ),
    (
        "bytea_output",
        "hex",
        false,
        false,
        "Sets the output format for bytea.",
    ),
    (
        "client_encoding",
        "UTF8",
        true,
        false,
        "Sets the client's character set encoding.",
    ),
    (
        "client_min_messages",
        "notice",
        false,
        false,
        "Sets the message levels that are sent to the client.",
    ),
    (
        "DateStyle",
        "ISO, MDY",
        true,
        false,
        "Sets the display format for date and time values.",
    ),
    (
        "default_table_access_method",
        "heap",
        false,
        false,
        "Sets the default table access method for new tables.",
    ),
    (
        "default_transaction_isolation",
        "read committed",
        false,
        false,
        "Sets the transaction isolation level of each new transaction.",
    ),
    (
        "default_transaction_read_only",
        "off",
        true,
        false,
        "Sets the default read-only status of new transactions.",
    ),
    (
        "extra_float_digits",
        "1",
        false,
        false,
        "Sets the number of digits displayed for floating-point values.",
    ),
    (
        "idle_in_transaction_session_timeout",
        "0",
        false,
        false,
        "Sets the maximum allowed idle time between queries, when in a transaction.",
    ),
    (
        "idle_session_timeout",
        "0",
        false,
        false,
        "Sets the maximum allowed idle time between queries, when not in a transaction.",
    ),
    (
        "in_hot_standby",
        "off",
        true,
        true,
        "Shows whether hot standby is currently active.",
    ),
    (
        "integer_datetimes",
        "on",
        true,
        true,
        "Shows whether datetimes are integer based.",
    ),
    (
        "IntervalStyle",
        "postgres",
        true,
        false,
        "Sets the display format for interval values.",
    ),
    (
        "is_superuser",
        "on",
        true,
        true,
        "Shows whether the current user is a superuser.",
    ),
    ("jit", "off", false, false, "Allow JIT compilation."),
    (
        "lc_collate",
        "C",
        false,
        true,
        "Shows the collation order locale.",
    ),
    (
        "lc_ctype",
        "C",
        false,
        true,
        "Shows the character classification and case conversion locale.",
    ),
    (
        "lc_messages",
        "C",
        false,
        false,
        "Sets the language in which messages are displayed.",
    ),
    (
        "lc_monetary",
        "C",
        false,
        false,
        "Sets the locale for formatting monetary amounts.",
    ),
    (
        "lc_numeric",
        "C",
        false,
        false,
        "Sets the locale for formatting numbers.",
    ),
    (
        "lc_time",
        "C",
        false,
        false,
        "Sets the locale for formatting date and time values.",
    ),
    (
        "lock_timeout",
        "0",
        false,
        false,
        "Sets the maximum allowed duration of any wait for a lock.",
    ),
    (
        "max_index_keys",
        "32",
        false,
        true,
        "Shows the maximum number of index keys.",
    ),
    (
        "max_identifier_length",
        "63",
        false,
        true,
        "Shows the maximum identifier length.",
    ),
    (
        "search_path",
        "\"$user\", public",
        false,
        false,
        "Sets the schema search order for names that are not schema-qualified.",
    ),
    (
        "server_encoding",
        "UTF8",
        true,
        true,
        "Shows the server (database) character set encoding.",
    ),
    (
        "server_version",
        "15.0",
        true,
        true,
        "Shows the server version.",
    ),
    (
        "server_version_num",
        "150000",
        false,
        true,
        "Shows the server version as an integer.",
    ),
    (
        "session_authorization",
        "isotherm",
        true,
        false,
        "Sets the session user name.",
    ),
    (
        "standard_conforming_strings",
        "on",
        true,
        false,
        "Causes '...' strings to treat backslashes literally.",
    ),
    (
        "statement_timeout",
        "0",
        false,
        false,
        "Sets the maximum allowed duration of any statement.",
    ),
    (
        "TimeZone",
        "UTC",
        true,
        false,
        "Sets the time zone for displaying and interpreting time stamps.",
    ),
    (
        "timezone_abbreviations",
        "Default",
        false,
        false,
        "Selects a file of time zone abbreviations.",
    ),
    (
        "transaction_isolation",
        "read committed",
        false,
        false,
        "Sets the current transaction's isolation level.",
    ),
    (
        "transaction_read_only",
        "off",
        false,
        false,
        "Sets the current transaction's read-only status.",
    ),
    (
        "work_mem",
        "4MB",
        false,
        false,
        "Sets the maximum memory to be used for query workspaces.",
    ),
];

#[derive(Debug, Clone)]
struct Setting {
    name: String,
    value: String,
    default: String,
    report: bool,
    read_only: bool,
    description: String,
}

#[derive(Debug, Clone)]
pub struct Session {
    user: String,
    database: String,
    version: String,
    settings: BTreeMap<String, Setting>,
    /// Bumped by every change of settings (cheap "did anything change?").
    generation: u64,
}

/// What a session statement asks.
#[derive(Debug, Clone, PartialEq)]
pub enum SessionCommand {
    /// `SET name = value`; `None` is `DEFAULT`.
    Set {
        name: String,
        value: Option<String>,
    },
    Show(String),
    ShowAll,
    Reset(String),
    ResetAll,
    Begin {
        tag: &'static str,
    },
    Commit,
    Rollback,
    /// Accepted and ignored, with this command tag (`DISCARD ALL`...).
    Noop {
        tag: String,
    },
}

impl Session {
    /// `server_version` is the numeric version reported to clients (`15.0`);
    /// `version` what `version()` returns.
    pub fn new(user: &str, database: &str, server_version: &str, version: &str) -> Self {
        let mut settings = BTreeMap::new();
        for (name, default, report, read_only, description) in SETTINGS {
            let default = match *name {
                "server_version" => server_version.to_owned(),
                "server_version_num" => version_num(server_version),
                "session_authorization" => user.to_owned(),
                _ => (*default).to_owned(),
            };
            settings.insert(
                name.to_lowercase(),
                Setting {
                    name: (*name).to_owned(),
                    value: default.clone(),
                    default,
                    report: *report,
                    read_only: *read_only,
                    description: (*description).to_owned(),
                },
            );
        }
        Session {
            user: user.to_owned(),
            database: database.to_owned(),
            version: version.to_owned(),
            settings,
            generation: 0,
        }
    }

    pub fn user(&self) -> &str {
        &self.user
    }

    pub fn database(&self) -> &str {
        &self.database
    }

    pub fn version(&self) -> String {
        self.version.clone()
    }

    /// A setting's current value (`current_setting`, `SHOW`).
    /// Whether unqualified names find Isotherm's tables (`public` is on the
    /// search path).
    pub fn searches_public(&self) -> bool {
        let path = self.get("search_path").unwrap_or_default();
        isotherm_engine::functions::session::search_path(&path)
            .iter()
            .any(|s| s == "public")
    }

    pub fn get(&self, name: &str) -> Option<String> {
        self.settings
            .get(&name.to_lowercase())
            .map(|s| s.value.clone())
    }

    /// The canonical spelling of a setting's name (`datestyle` -> `DateStyle`).
    pub fn canonical_name(&self, name: &str) -> Option<String> {
        let key = name.to_lowercase();
        if let Some(s) = self.settings.get(&key) {
            return Some(s.name.clone());
        }
        key.contains('.').then_some(key)
    }

    /// Parameters to send at startup (ParameterStatus).
    pub fn reported(&self) -> Vec<(String, String)> {
        self.settings
            .values()
            .filter(|s| s.report)
            .map(|s| (s.name.clone(), s.value.clone()))
            .collect()
    }

    pub fn text_options(&self) -> TextOptions {
        TextOptions {
            extra_float_digits: self
                .get("extra_float_digits")
                .and_then(|v| v.parse().ok())
                .unwrap_or(1),
        }
    }

    /// Applies a startup parameter the client sent (application_name, DateStyle...).
    /// It becomes the setting's reset value too (RESET / DISCARD ALL go back
    /// to it, as in PostgreSQL). Unknown or invalid ones are ignored, as they
    /// cannot be reported yet.
    pub fn apply_startup(&mut self, name: &str, value: &str) {
        let key = name.to_lowercase();
        if self.settings.contains_key(&key)
            && self.set(name, Some(value.to_owned())).is_ok()
            && let Some(s) = self.settings.get_mut(&key)
        {
            s.default = s.value.clone();
        }
    }

    /// `SET name = value` (`None`: DEFAULT). Returns the ParameterStatus to
    /// send if the setting is one PostgreSQL reports.
    pub fn set(
        &mut self,
        name: &str,
        value: Option<String>,
    ) -> SqlResult<Option<(String, String)>> {
        self.generation += 1;
        let key = name.to_lowercase();
        let Some(setting) = self.settings.get(&key) else {
            if key.contains('.') {
                let v = value.unwrap_or_default();
                self.settings.insert(
                    key.clone(),
                    Setting {
                        name: key.clone(),
                        value: v,
                        default: String::new(),
                        report: false,
                        read_only: false,
                        description: String::new(),
                    },
                );
                return Ok(None);
            }
            return Err(SqlError::UnknownSetting(key));
        };
        if setting.read_only {
            return Err(SqlError::CantChangeRuntimeParam(key));
        }
        let value = match value {
            None => setting.default.clone(),
            Some(v) => validate(&key, &v)?,
        };
        let Some(setting) = self.settings.get_mut(&key) else {
            return Err(SqlError::UnknownSetting(key));
        };
        setting.value = value;
        Ok(setting
            .report
            .then(|| (setting.name.clone(), setting.value.clone())))
    }

    /// `SHOW name`: the column name (canonical) and value.
    pub fn show(&self, name: &str) -> SqlResult<(String, String)> {
        let key = match name.to_lowercase().as_str() {
            "time zone" => "timezone".to_owned(),
            "transaction isolation level" => "transaction_isolation".to_owned(),
            "session authorization" => "session_authorization".to_owned(),
            other => other.to_owned(),
        };
        self.settings
            .get(&key)
            .map(|s| (s.name.clone(), s.value.clone()))
            .ok_or(SqlError::UnknownSetting(key))
    }

    /// `SHOW ALL`: (name, setting, description) rows.
    pub fn show_all(&self) -> Vec<[String; 3]> {
        let mut rows: Vec<[String; 3]> = self
            .settings
            .values()
            .map(|s| [s.name.clone(), s.value.clone(), s.description.clone()])
            .collect();
        rows.sort_by(|a, b| a[0].to_lowercase().cmp(&b[0].to_lowercase()));
        rows
    }

    /// Changes whenever a setting may have changed.
    pub fn generation(&self) -> u64 {
        self.generation
    }

    /// What the general engine may read: the user and every setting by its
    /// lower-case name.
    pub fn vars(&self) -> isotherm_engine::SessionVars {
        isotherm_engine::SessionVars {
            user: self.user.clone(),
            settings: self
                .settings
                .iter()
                .map(|(k, s)| (k.clone(), s.value.clone()))
                .collect(),
        }
    }

    /// Puts back the settings of `saved` (a transaction's start, on
    /// ROLLBACK); returns the reported settings that changed.
    pub fn restore(&mut self, saved: &Session) -> Vec<(String, String)> {
        self.generation += 1;
        let mut changed = Vec::new();
        for (key, s) in &self.settings {
            if s.report
                && saved
                    .settings
                    .get(key)
                    .is_none_or(|old| old.value != s.value)
            {
                let value = saved
                    .settings
                    .get(key)
                    .map(|old| old.value.clone())
                    .unwrap_or_default();
                changed.push((s.name.clone(), value));
            }
        }
        self.settings = saved.settings.clone();
        changed
    }

    /// `RESET ALL`: returns the reported settings that changed.
    pub fn reset_all(&mut self) -> Vec<(String, String)> {
        self.generation += 1;
        let mut changed = Vec::new();
        for s in self.settings.values_mut() {
            if !s.read_only && s.value != s.default {
                s.value = s.default.clone();
                if s.report {
                    changed.push((s.name.clone(), s.value.clone()));
                }
            }
        }
        changed
    }
}

fn version_num(v: &str) -> String {
    let mut parts = v
        .split(|c: char| !c.is_ascii_digit())
        .filter(|p| !p.is_empty());
    let major: u32 = parts.next().and_then(|p| p.parse().ok()).unwrap_or(15);
    let minor: u32 = parts.next().and_then(|p| p.parse().ok()).unwrap_or(0);
    (major * 10_000 + minor).to_string()
}

/// Checks and normalizes a value for a setting Isotherm interprets.
fn validate(key: &str, value: &str) -> SqlResult<String> {
    let invalid = || {
        SqlError::InvalidParameterValue(format!(
            "invalid value for parameter \"{key}\": \"{value}\""
        ))
    };
    Ok(match key {
        "datestyle" => {
            let mut order = "MDY";
            for tok in value.split(',').map(|t| t.trim().to_uppercase()) {
                match tok.as_str() {
                    "ISO" | "DEFAULT" => {}
                    "MDY" | "DMY" | "YMD" | "US" | "NONEURO" | "NONEUROPEAN" | "EURO"
                    | "EUROPEAN" => {
                        order = match tok.as_str() {
                            "DMY" | "EURO" | "EUROPEAN" => "DMY",
                            "YMD" => "YMD",
                            _ => "MDY",
                        }
                    }
                    "SQL" | "POSTGRES" | "GERMAN" => {
                        return Err(SqlError::FeatureNotSupported(format!(
                            "DateStyle \"{value}\" is not supported: Isotherm prints dates as ISO"
                        )));
                    }
                    _ => return Err(invalid()),
                }
            }
            format!("ISO, {order}")
        }
        "timezone" => {
            let v = value.trim();
            let utc = [
                "utc",
                "etc/utc",
                "gmt",
                "etc/gmt",
                "z",
                "zulu",
                "uct",
                "universal",
                "0",
                "+00",
                "00:00",
                "+00:00",
                "local",
                "default",
                "gmt0",
                "etc/gmt0",
            ];
            if utc.contains(&v.to_lowercase().as_str()) {
                "UTC".to_owned()
            } else {
                return Err(SqlError::FeatureNotSupported(format!(
                    "time zone \"{v}\" is not supported: Isotherm sessions run in UTC"
                )));
            }
        }
        "client_encoding" => match value.trim().to_uppercase().replace(['-', '_'], "").as_str() {
            "UTF8" | "UNICODE" => "UTF8".to_owned(),
            "SQLASCII" | "LATIN1" | "WIN1252" | "LATIN9" | "EUCJP" | "SJIS" => {
                return Err(SqlError::FeatureNotSupported(format!(
                    "client encoding \"{value}\" is not supported: use UTF8"
                )));
            }
            _ => {
                return Err(SqlError::InvalidParameterValue(format!(
                    "invalid value for parameter \"client_encoding\": \"{value}\""
                )));
            }
        },
        "extra_float_digits" => {
            let n: i64 = value.trim().parse().map_err(|_| invalid())?;
            if !(-15..=3).contains(&n) {
                return Err(SqlError::InvalidParameterValue(format!(
                    "{n} is outside the valid range for parameter \"extra_float_digits\" (-15 .. 3)"
                )));
            }
            n.to_string()
        }
        "standard_conforming_strings" => match value.trim().to_lowercase().as_str() {
            "on" | "true" | "yes" | "1" => "on".to_owned(),
            "off" | "false" | "no" | "0" => {
                return Err(SqlError::FeatureNotSupported(
                    "standard_conforming_strings = off is not supported".into(),
                ));
            }
            _ => return Err(invalid()),
        },
        "intervalstyle" => match value.trim().to_lowercase().as_str() {
            "postgres" => "postgres".to_owned(),
            "postgres_verbose" | "sql_standard" | "iso_8601" => value.trim().to_lowercase(),
            _ => return Err(invalid()),
        },
        _ => value.to_owned(),
    })
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;

    fn session() -> Session {
        Session::new("isotherm", "isotherm", "15.0", "PostgreSQL 15.0")
    }

    #[test]
    fn defaults_and_canonical_names() {
        let s = session();
        assert_eq!(
            s.show("datestyle").unwrap(),
            ("DateStyle".into(), "ISO, MDY".into())
        );
        assert_eq!(
            s.show("TIMEZONE").unwrap(),
            ("TimeZone".into(), "UTC".into())
        );
        assert_eq!(
            s.show("transaction isolation level").unwrap().1,
            "read committed"
        );
        assert_eq!(s.get("server_version_num").unwrap(), "150000");
        assert_eq!(s.show("nope").unwrap_err().sqlstate(), "42704");
        assert!(
            s.reported()
                .iter()
                .any(|(k, v)| k == "server_version" && v == "15.0")
        );
    }

    #[test]
    fn set_validates_and_reports() {
        let mut s = session();
        assert_eq!(
            s.set("application_name", Some("psql".into())).unwrap(),
            Some(("application_name".into(), "psql".into()))
        );
        assert_eq!(s.set("extra_float_digits", Some("3".into())).unwrap(), None);
        assert_eq!(s.text_options().extra_float_digits, 3);
        assert_eq!(
            s.set("extra_float_digits", Some("9".into()))
                .unwrap_err()
                .sqlstate(),
            "22023"
        );
        assert_eq!(
            s.set("DateStyle", Some("iso".into())).unwrap().unwrap().1,
            "ISO, MDY"
        );
        assert_eq!(
            s.set("DateStyle", Some("SQL, DMY".into()))
                .unwrap_err()
                .sqlstate(),
            "0A000"
        );
        assert_eq!(
            s.set("timezone", Some("Etc/UTC".into()))
                .unwrap()
                .unwrap()
                .1,
            "UTC"
        );
        assert_eq!(
            s.set("timezone", Some("Europe/Paris".into()))
                .unwrap_err()
                .sqlstate(),
            "0A000"
        );
        assert_eq!(
            s.set("nonsense", Some("1".into())).unwrap_err().sqlstate(),
            "42704"
        );
        assert_eq!(
            s.set("server_version", Some("1".into()))
                .unwrap_err()
                .sqlstate(),
            "55P02"
        );
        assert!(s.set("myapp.flag", Some("1".into())).is_ok());
        assert_eq!(s.get("myapp.flag").unwrap(), "1");
        let changed = s.reset_all();
        assert!(
            changed
                .iter()
                .any(|(k, v)| k == "application_name" && v.is_empty())
        );
        assert_eq!(s.get("extra_float_digits").unwrap(), "1");
    }

    #[test]
    fn startup_values_are_reset_values() {
        let mut s = session();
        s.apply_startup("application_name", "psql");
        s.set("application_name", Some("x".into())).unwrap();
        s.reset_all();
        assert_eq!(s.get("application_name").unwrap(), "psql");
    }

    #[test]
    fn restore_reports_what_rollback_undoes() {
        let mut s = session();
        let saved = s.clone();
        s.set("application_name", Some("x".into())).unwrap();
        s.set("extra_float_digits", Some("3".into())).unwrap();
        let changed = s.restore(&saved);
        assert_eq!(changed, vec![("application_name".into(), String::new())]);
        assert_eq!(s.get("extra_float_digits").unwrap(), "1");
        let vars = s.vars();
        assert_eq!(vars.user, "isotherm");
        assert!(
            vars.settings
                .iter()
                .any(|(k, v)| k == "datestyle" && v == "ISO, MDY")
        );
    }
}
