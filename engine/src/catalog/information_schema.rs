//! `information_schema`: PostgreSQL 15's views (column lists and types as
//! PostgreSQL declares them: `sql_identifier`/`character_data`/`yes_or_no` as
//! text, `cardinal_number` as integer) over [`CatalogState`].
//!
//! DataFusion's own `information_schema` is switched off: it names Arrow
//! types (`Int64`, `Utf8`) where clients expect `bigint`, `text`. Views that
//! describe objects Isotherm does not have (constraints, routines, triggers,
//! ...) are empty but typed, so a client's join plans and returns no rows.

use std::sync::Arc;

use async_trait::async_trait;
use datafusion::catalog::{SchemaProvider, TableProvider};
use datafusion::error::Result;

use super::oid;
use super::state::{CatalogState, Relation};
use super::table::{Generated, Kind, RowsFn, Spec, V};

use Kind::*;

/// `(name, columns, rows)` of every view.
pub const VIEWS: &[(&str, Spec, RowsFn)] = &[
    ("applicable_roles", IS_APPLICABLE_ROLES, applicable_roles),
    ("attributes", IS_ATTRIBUTES, empty),
    ("character_sets", IS_CHARACTER_SETS, character_sets),
    ("check_constraints", IS_CHECK_CONSTRAINTS, empty),
    ("collations", IS_COLLATIONS, empty),
    ("column_privileges", IS_COLUMN_PRIVILEGES, empty),
    ("columns", IS_COLUMNS, columns),
    ("constraint_column_usage", IS_CONSTRAINT_COLUMN_USAGE, empty),
    ("constraint_table_usage", IS_CONSTRAINT_TABLE_USAGE, empty),
    ("domains", IS_DOMAINS, empty),
    ("element_types", IS_ELEMENT_TYPES, empty),
    ("enabled_roles", IS_ENABLED_ROLES, enabled_roles),
    (
        "information_schema_catalog_name",
        IS_INFORMATION_SCHEMA_CATALOG_NAME,
        catalog_name,
    ),
    ("key_column_usage", IS_KEY_COLUMN_USAGE, empty),
    ("parameters", IS_PARAMETERS, empty),
    ("referential_constraints", IS_REFERENTIAL_CONSTRAINTS, empty),
    ("routines", IS_ROUTINES, empty),
    ("schemata", IS_SCHEMATA, schemata),
    ("sequences", IS_SEQUENCES, empty),
    ("table_constraints", IS_TABLE_CONSTRAINTS, empty),
    ("table_privileges", IS_TABLE_PRIVILEGES, table_privileges),
    ("tables", IS_TABLES, tables),
    ("triggers", IS_TRIGGERS, empty),
    ("user_defined_types", IS_USER_DEFINED_TYPES, empty),
    ("view_table_usage", IS_VIEW_TABLE_USAGE, empty),
    ("views", IS_VIEWS, empty),
];

/// The schema provider of `information_schema`.
#[derive(Debug)]
pub struct InformationSchema {
    state: Arc<CatalogState>,
}

impl InformationSchema {
    pub fn new(state: Arc<CatalogState>) -> InformationSchema {
        InformationSchema { state }
    }
}

#[async_trait]
impl SchemaProvider for InformationSchema {
    fn table_names(&self) -> Vec<String> {
        VIEWS.iter().map(|(n, _, _)| (*n).to_owned()).collect()
    }

    async fn table(&self, name: &str) -> Result<Option<Arc<dyn TableProvider>>> {
        let name = name.to_ascii_lowercase();
        match VIEWS.iter().find(|(n, _, _)| *n == name) {
            Some((name, spec, rows)) => Ok(Some(super::narrow::narrowed(
                name,
                Generated::new(name, spec, self.state.clone(), *rows).into_provider()?,
            ))),
            None => Ok(None),
        }
    }

    fn table_exist(&self, name: &str) -> bool {
        let name = name.to_ascii_lowercase();
        VIEWS.iter().any(|(n, _, _)| *n == name)
    }
}

/// Puts `pairs` in `spec`'s column order; unnamed columns are NULL.
fn row(spec: Spec, pairs: &[(&str, V)]) -> Vec<V> {
    spec.iter()
        .map(|(col, _)| {
            pairs
                .iter()
                .find(|(n, _)| n == col)
                .map_or(V::Null, |(_, v)| v.clone())
        })
        .collect()
}

fn yes_no(b: bool) -> V {
    V::from(if b { "YES" } else { "NO" })
}

fn empty(_: &CatalogState) -> Vec<Vec<V>> {
    Vec::new()
}

fn catalog_name(state: &CatalogState) -> Vec<Vec<V>> {
    vec![vec![state.database.as_str().into()]]
}

/// A superuser may use every role.
fn enabled_roles(state: &CatalogState) -> Vec<Vec<V>> {
    state
        .roles()
        .into_iter()
        .map(|(name, _)| vec![name.into()])
        .collect()
}

/// PostgreSQL 15's memberships: the database owner is implicitly a member of
/// `pg_database_owner`, `pg_monitor` of three statistics roles.
fn applicable_roles(state: &CatalogState) -> Vec<Vec<V>> {
    let member = |grantee: &str, role: &str| vec![grantee.into(), role.into(), "NO".into()];
    vec![
        member(&state.owner, super::oid::DATABASE_OWNER_NAME),
        member("pg_monitor", "pg_read_all_settings"),
        member("pg_monitor", "pg_read_all_stats"),
        member("pg_monitor", "pg_stat_scan_tables"),
    ]
}

fn character_sets(state: &CatalogState) -> Vec<Vec<V>> {
    vec![row(
        IS_CHARACTER_SETS,
        &[
            ("character_set_name", "UTF8".into()),
            ("character_repertoire", "UCS".into()),
            ("form_of_use", "UTF8".into()),
            ("default_collate_catalog", state.database.as_str().into()),
            ("default_collate_schema", "pg_catalog".into()),
            ("default_collate_name", "C".into()),
        ],
    )]
}

fn schemata(state: &CatalogState) -> Vec<Vec<V>> {
    super::pg_relations::NAMESPACES
        .iter()
        .map(|n| {
            row(
                IS_SCHEMATA,
                &[
                    ("catalog_name", state.database.as_str().into()),
                    ("schema_name", (*n).into()),
                    (
                        "schema_owner",
                        (if *n == "public" {
                            super::oid::DATABASE_OWNER_NAME
                        } else {
                            super::oid::BOOTSTRAP_ROLE_NAME
                        })
                        .into(),
                    ),
                ],
            )
        })
        .collect()
}

fn tables(state: &CatalogState) -> Vec<Vec<V>> {
    state
        .relations()
        .iter()
        // TOAST tables are not SQL tables.
        .filter(|r| r.kind != "t")
        .map(|r| {
            let table = r.kind == "r";
            row(
                IS_TABLES,
                &[
                    ("table_catalog", state.database.as_str().into()),
                    ("table_schema", r.schema.as_str().into()),
                    ("table_name", r.name.as_str().into()),
                    (
                        "table_type",
                        (if table { "BASE TABLE" } else { "VIEW" }).into(),
                    ),
                    ("is_insertable_into", yes_no(table)),
                    ("is_typed", "NO".into()),
                ],
            )
        })
        .collect()
}

fn table_privileges(state: &CatalogState) -> Vec<Vec<V>> {
    state
        .user_relations()
        .iter()
        .map(|r| {
            row(
                IS_TABLE_PRIVILEGES,
                &[
                    ("grantor", state.owner.as_str().into()),
                    ("grantee", state.owner.as_str().into()),
                    ("table_catalog", state.database.as_str().into()),
                    ("table_schema", r.schema.as_str().into()),
                    ("table_name", r.name.as_str().into()),
                    ("privilege_type", "SELECT".into()),
                    ("is_grantable", "YES".into()),
                    ("with_hierarchy", "YES".into()),
                ],
            )
        })
        .collect()
}

fn columns(state: &CatalogState) -> Vec<Vec<V>> {
    let db = state.database.as_str();
    let mut rows = Vec::new();
    for r in state.relations().into_iter().filter(|r| r.kind != "t") {
        for (i, c) in r.columns.iter().enumerate() {
            rows.push(column_row(db, &r, i, c));
        }
    }
    rows
}

fn column_row(db: &str, r: &Relation, i: usize, c: &super::state::Column) -> Vec<V> {
    let ty = c.ty;
    let array = ty.typname.starts_with('_');
    let (precision, radix, scale) = match ty.numeric {
        // An unconstrained numeric has no declared precision.
        Some((0, radix, scale)) => (V::Null, V::from(radix), V::from(scale)),
        Some((p, radix, scale)) => (V::from(p), V::from(radix), V::from(scale)),
        None => (V::Null, V::Null, V::Null),
    };
    let ordinal = i64::try_from(i + 1).unwrap_or(0);
    row(
        IS_COLUMNS,
        &[
            ("table_catalog", db.into()),
            ("table_schema", r.schema.as_str().into()),
            ("table_name", r.name.as_str().into()),
            ("column_name", c.name.as_str().into()),
            ("ordinal_position", ordinal.into()),
            ("is_nullable", yes_no(!c.not_null)),
            (
                "data_type",
                (if array { "ARRAY" } else { ty.sql_name }).into(),
            ),
            ("character_octet_length", ty.octet_length.into()),
            ("numeric_precision", precision),
            ("numeric_precision_radix", radix),
            ("numeric_scale", scale),
            ("datetime_precision", ty.datetime_precision.into()),
            ("udt_catalog", db.into()),
            ("udt_schema", "pg_catalog".into()),
            ("udt_name", ty.typname.into()),
            ("dtd_identifier", ordinal.into()),
            ("is_self_referencing", "NO".into()),
            ("is_identity", "NO".into()),
            ("identity_cycle", "NO".into()),
            ("is_generated", "NEVER".into()),
            (
                "is_updatable",
                yes_no(r.kind == "r" && r.namespace == oid::PUBLIC_NAMESPACE),
            ),
        ],
    )
}

const IS_APPLICABLE_ROLES: Spec = &[
    ("grantee", Name),
    ("role_name", Name),
    ("is_grantable", Varchar),
];

const IS_ATTRIBUTES: Spec = &[
    ("udt_catalog", Name),
    ("udt_schema", Name),
    ("udt_name", Name),
    ("attribute_name", Name),
    ("ordinal_position", Int4),
    ("attribute_default", Varchar),
    ("is_nullable", Varchar),
    ("data_type", Varchar),
    ("character_maximum_length", Int4),
    ("character_octet_length", Int4),
    ("character_set_catalog", Name),
    ("character_set_schema", Name),
    ("character_set_name", Name),
    ("collation_catalog", Name),
    ("collation_schema", Name),
    ("collation_name", Name),
    ("numeric_precision", Int4),
    ("numeric_precision_radix", Int4),
    ("numeric_scale", Int4),
    ("datetime_precision", Int4),
    ("interval_type", Varchar),
    ("interval_precision", Int4),
    ("attribute_udt_catalog", Name),
    ("attribute_udt_schema", Name),
    ("attribute_udt_name", Name),
    ("scope_catalog", Name),
    ("scope_schema", Name),
    ("scope_name", Name),
    ("maximum_cardinality", Int4),
    ("dtd_identifier", Name),
    ("is_derived_reference_attribute", Varchar),
];

const IS_CHARACTER_SETS: Spec = &[
    ("character_set_catalog", Name),
    ("character_set_schema", Name),
    ("character_set_name", Name),
    ("character_repertoire", Name),
    ("form_of_use", Name),
    ("default_collate_catalog", Name),
    ("default_collate_schema", Name),
    ("default_collate_name", Name),
];

const IS_CHECK_CONSTRAINTS: Spec = &[
    ("constraint_catalog", Name),
    ("constraint_schema", Name),
    ("constraint_name", Name),
    ("check_clause", Varchar),
];

const IS_COLLATIONS: Spec = &[
    ("collation_catalog", Name),
    ("collation_schema", Name),
    ("collation_name", Name),
    ("pad_attribute", Varchar),
];

const IS_COLUMN_PRIVILEGES: Spec = &[
    ("grantor", Name),
    ("grantee", Name),
    ("table_catalog", Name),
    ("table_schema", Name),
    ("table_name", Name),
    ("column_name", Name),
    ("privilege_type", Varchar),
    ("is_grantable", Varchar),
];

const IS_COLUMNS: Spec = &[
    ("table_catalog", Name),
    ("table_schema", Name),
    ("table_name", Name),
    ("column_name", Name),
    ("ordinal_position", Int4),
    ("column_default", Varchar),
    ("is_nullable", Varchar),
    ("data_type", Varchar),
    ("character_maximum_length", Int4),
    ("character_octet_length", Int4),
    ("numeric_precision", Int4),
    ("numeric_precision_radix", Int4),
    ("numeric_scale", Int4),
    ("datetime_precision", Int4),
    ("interval_type", Varchar),
    ("interval_precision", Int4),
    ("character_set_catalog", Name),
    ("character_set_schema", Name),
    ("character_set_name", Name),
    ("collation_catalog", Name),
    ("collation_schema", Name),
    ("collation_name", Name),
    ("domain_catalog", Name),
    ("domain_schema", Name),
    ("domain_name", Name),
    ("udt_catalog", Name),
    ("udt_schema", Name),
    ("udt_name", Name),
    ("scope_catalog", Name),
    ("scope_schema", Name),
    ("scope_name", Name),
    ("maximum_cardinality", Int4),
    ("dtd_identifier", Name),
    ("is_self_referencing", Varchar),
    ("is_identity", Varchar),
    ("identity_generation", Varchar),
    ("identity_start", Varchar),
    ("identity_increment", Varchar),
    ("identity_maximum", Varchar),
    ("identity_minimum", Varchar),
    ("identity_cycle", Varchar),
    ("is_generated", Varchar),
    ("generation_expression", Varchar),
    ("is_updatable", Varchar),
];

const IS_CONSTRAINT_COLUMN_USAGE: Spec = &[
    ("table_catalog", Name),
    ("table_schema", Name),
    ("table_name", Name),
    ("column_name", Name),
    ("constraint_catalog", Name),
    ("constraint_schema", Name),
    ("constraint_name", Name),
];

const IS_CONSTRAINT_TABLE_USAGE: Spec = &[
    ("table_catalog", Name),
    ("table_schema", Name),
    ("table_name", Name),
    ("constraint_catalog", Name),
    ("constraint_schema", Name),
    ("constraint_name", Name),
];

const IS_DOMAINS: Spec = &[
    ("domain_catalog", Name),
    ("domain_schema", Name),
    ("domain_name", Name),
    ("data_type", Varchar),
    ("character_maximum_length", Int4),
    ("character_octet_length", Int4),
    ("character_set_catalog", Name),
    ("character_set_schema", Name),
    ("character_set_name", Name),
    ("collation_catalog", Name),
    ("collation_schema", Name),
    ("collation_name", Name),
    ("numeric_precision", Int4),
    ("numeric_precision_radix", Int4),
    ("numeric_scale", Int4),
    ("datetime_precision", Int4),
    ("interval_type", Varchar),
    ("interval_precision", Int4),
    ("domain_default", Varchar),
    ("udt_catalog", Name),
    ("udt_schema", Name),
    ("udt_name", Name),
    ("scope_catalog", Name),
    ("scope_schema", Name),
    ("scope_name", Name),
    ("maximum_cardinality", Int4),
    ("dtd_identifier", Name),
];

const IS_ELEMENT_TYPES: Spec = &[
    ("object_catalog", Name),
    ("object_schema", Name),
    ("object_name", Name),
    ("object_type", Varchar),
    ("collection_type_identifier", Varchar),
    ("data_type", Varchar),
    ("character_maximum_length", Int4),
    ("character_octet_length", Int4),
    ("character_set_catalog", Name),
    ("character_set_schema", Name),
    ("character_set_name", Name),
    ("collation_catalog", Name),
    ("collation_schema", Name),
    ("collation_name", Name),
    ("numeric_precision", Int4),
    ("numeric_precision_radix", Int4),
    ("numeric_scale", Int4),
    ("datetime_precision", Int4),
    ("interval_type", Varchar),
    ("interval_precision", Int4),
    ("domain_default", Varchar),
    ("udt_catalog", Name),
    ("udt_schema", Name),
    ("udt_name", Name),
    ("scope_catalog", Name),
    ("scope_schema", Name),
    ("scope_name", Name),
    ("maximum_cardinality", Int4),
    ("dtd_identifier", Name),
];

const IS_ENABLED_ROLES: Spec = &[("role_name", Name)];

const IS_INFORMATION_SCHEMA_CATALOG_NAME: Spec = &[("catalog_name", Name)];

const IS_KEY_COLUMN_USAGE: Spec = &[
    ("constraint_catalog", Name),
    ("constraint_schema", Name),
    ("constraint_name", Name),
    ("table_catalog", Name),
    ("table_schema", Name),
    ("table_name", Name),
    ("column_name", Name),
    ("ordinal_position", Int4),
    ("position_in_unique_constraint", Int4),
];

const IS_PARAMETERS: Spec = &[
    ("specific_catalog", Name),
    ("specific_schema", Name),
    ("specific_name", Name),
    ("ordinal_position", Int4),
    ("parameter_mode", Varchar),
    ("is_result", Varchar),
    ("as_locator", Varchar),
    ("parameter_name", Name),
    ("data_type", Varchar),
    ("character_maximum_length", Int4),
    ("character_octet_length", Int4),
    ("character_set_catalog", Name),
    ("character_set_schema", Name),
    ("character_set_name", Name),
    ("collation_catalog", Name),
    ("collation_schema", Name),
    ("collation_name", Name),
    ("numeric_precision", Int4),
    ("numeric_precision_radix", Int4),
    ("numeric_scale", Int4),
    ("datetime_precision", Int4),
    ("interval_type", Varchar),
    ("interval_precision", Int4),
    ("udt_catalog", Name),
    ("udt_schema", Name),
    ("udt_name", Name),
    ("scope_catalog", Name),
    ("scope_schema", Name),
    ("scope_name", Name),
    ("maximum_cardinality", Int4),
    ("dtd_identifier", Name),
    ("parameter_default", Varchar),
];

const IS_REFERENTIAL_CONSTRAINTS: Spec = &[
    ("constraint_catalog", Name),
    ("constraint_schema", Name),
    ("constraint_name", Name),
    ("unique_constraint_catalog", Name),
    ("unique_constraint_schema", Name),
    ("unique_constraint_name", Name),
    ("match_option", Varchar),
    ("update_rule", Varchar),
    ("delete_rule", Varchar),
];

const IS_ROUTINES: Spec = &[
    ("specific_catalog", Name),
    ("specific_schema", Name),
    ("specific_name", Name),
    ("routine_catalog", Name),
    ("routine_schema", Name),
    ("routine_name", Name),
    ("routine_type", Varchar),
    ("module_catalog", Name),
    ("module_schema", Name),
    ("module_name", Name),
    ("udt_catalog", Name),
    ("udt_schema", Name),
    ("udt_name", Name),
    ("data_type", Varchar),
    ("character_maximum_length", Int4),
    ("character_octet_length", Int4),
    ("character_set_catalog", Name),
    ("character_set_schema", Name),
    ("character_set_name", Name),
    ("collation_catalog", Name),
    ("collation_schema", Name),
    ("collation_name", Name),
    ("numeric_precision", Int4),
    ("numeric_precision_radix", Int4),
    ("numeric_scale", Int4),
    ("datetime_precision", Int4),
    ("interval_type", Varchar),
    ("interval_precision", Int4),
    ("type_udt_catalog", Name),
    ("type_udt_schema", Name),
    ("type_udt_name", Name),
    ("scope_catalog", Name),
    ("scope_schema", Name),
    ("scope_name", Name),
    ("maximum_cardinality", Int4),
    ("dtd_identifier", Name),
    ("routine_body", Varchar),
    ("routine_definition", Varchar),
    ("external_name", Name),
    ("external_language", Varchar),
    ("parameter_style", Varchar),
    ("is_deterministic", Varchar),
    ("sql_data_access", Varchar),
    ("is_null_call", Varchar),
    ("sql_path", Varchar),
    ("schema_level_routine", Varchar),
    ("max_dynamic_result_sets", Int4),
    ("is_user_defined_cast", Varchar),
    ("is_implicitly_invocable", Varchar),
    ("security_type", Varchar),
    ("to_sql_specific_catalog", Name),
    ("to_sql_specific_schema", Name),
    ("to_sql_specific_name", Name),
    ("as_locator", Varchar),
    ("created", TimestampTz),
    ("last_altered", TimestampTz),
    ("new_savepoint_level", Varchar),
    ("is_udt_dependent", Varchar),
    ("result_cast_from_data_type", Varchar),
    ("result_cast_as_locator", Varchar),
    ("result_cast_char_max_length", Int4),
    ("result_cast_char_octet_length", Int4),
    ("result_cast_char_set_catalog", Name),
    ("result_cast_char_set_schema", Name),
    ("result_cast_char_set_name", Name),
    ("result_cast_collation_catalog", Name),
    ("result_cast_collation_schema", Name),
    ("result_cast_collation_name", Name),
    ("result_cast_numeric_precision", Int4),
    ("result_cast_numeric_precision_radix", Int4),
    ("result_cast_numeric_scale", Int4),
    ("result_cast_datetime_precision", Int4),
    ("result_cast_interval_type", Varchar),
    ("result_cast_interval_precision", Int4),
    ("result_cast_type_udt_catalog", Name),
    ("result_cast_type_udt_schema", Name),
    ("result_cast_type_udt_name", Name),
    ("result_cast_scope_catalog", Name),
    ("result_cast_scope_schema", Name),
    ("result_cast_scope_name", Name),
    ("result_cast_maximum_cardinality", Int4),
    ("result_cast_dtd_identifier", Varchar),
];

const IS_SCHEMATA: Spec = &[
    ("catalog_name", Name),
    ("schema_name", Name),
    ("schema_owner", Varchar),
    ("default_character_set_catalog", Name),
    ("default_character_set_schema", Name),
    ("default_character_set_name", Name),
    ("sql_path", Varchar),
];

const IS_SEQUENCES: Spec = &[
    ("sequence_catalog", Name),
    ("sequence_schema", Name),
    ("sequence_name", Name),
    ("data_type", Varchar),
    ("numeric_precision", Int4),
    ("numeric_precision_radix", Int4),
    ("numeric_scale", Int4),
    ("start_value", Varchar),
    ("minimum_value", Varchar),
    ("maximum_value", Varchar),
    ("increment", Varchar),
    ("cycle_option", Varchar),
];

const IS_TABLE_CONSTRAINTS: Spec = &[
    ("constraint_catalog", Name),
    ("constraint_schema", Name),
    ("constraint_name", Name),
    ("table_catalog", Name),
    ("table_schema", Name),
    ("table_name", Name),
    ("constraint_type", Varchar),
    ("is_deferrable", Varchar),
    ("initially_deferred", Varchar),
    ("enforced", Varchar),
    ("nulls_distinct", Varchar),
];

const IS_TABLE_PRIVILEGES: Spec = &[
    ("grantor", Name),
    ("grantee", Name),
    ("table_catalog", Name),
    ("table_schema", Name),
    ("table_name", Name),
    ("privilege_type", Varchar),
    ("is_grantable", Varchar),
    ("with_hierarchy", Varchar),
];

const IS_TABLES: Spec = &[
    ("table_catalog", Name),
    ("table_schema", Name),
    ("table_name", Name),
    ("table_type", Varchar),
    ("self_referencing_column_name", Name),
    ("reference_generation", Varchar),
    ("user_defined_type_catalog", Name),
    ("user_defined_type_schema", Name),
    ("user_defined_type_name", Name),
    ("is_insertable_into", Varchar),
    ("is_typed", Varchar),
    ("commit_action", Varchar),
];

const IS_TRIGGERS: Spec = &[
    ("trigger_catalog", Name),
    ("trigger_schema", Name),
    ("trigger_name", Name),
    ("event_manipulation", Varchar),
    ("event_object_catalog", Name),
    ("event_object_schema", Name),
    ("event_object_table", Varchar),
    ("action_order", Int4),
    ("action_condition", Varchar),
    ("action_statement", Varchar),
    ("action_orientation", Varchar),
    ("action_timing", Varchar),
    ("action_reference_old_table", Varchar),
    ("action_reference_new_table", Varchar),
    ("action_reference_old_row", Varchar),
    ("action_reference_new_row", Varchar),
    ("created", TimestampTz),
];

const IS_USER_DEFINED_TYPES: Spec = &[
    ("user_defined_type_catalog", Name),
    ("user_defined_type_schema", Name),
    ("user_defined_type_name", Name),
    ("user_defined_type_category", Varchar),
    ("is_instantiable", Varchar),
    ("is_final", Varchar),
    ("ordering_form", Varchar),
    ("ordering_category", Varchar),
    ("ordering_routine_catalog", Name),
    ("ordering_routine_schema", Name),
    ("ordering_routine_name", Name),
    ("reference_type", Varchar),
    ("data_type", Varchar),
    ("character_maximum_length", Int4),
    ("character_octet_length", Int4),
    ("character_set_catalog", Name),
    ("character_set_schema", Name),
    ("character_set_name", Name),
    ("collation_catalog", Name),
    ("collation_schema", Name),
    ("collation_name", Name),
    ("numeric_precision", Int4),
    ("numeric_precision_radix", Int4),
    ("numeric_scale", Int4),
    ("datetime_precision", Int4),
    ("interval_type", Varchar),
    ("interval_precision", Int4),
    ("source_dtd_identifier", Varchar),
    ("ref_dtd_identifier", Varchar),
];

const IS_VIEW_TABLE_USAGE: Spec = &[
    ("view_catalog", Name),
    ("view_schema", Name),
    ("view_name", Name),
    ("table_catalog", Name),
    ("table_schema", Name),
    ("table_name", Name),
];

const IS_VIEWS: Spec = &[
    ("table_catalog", Name),
    ("table_schema", Name),
    ("table_name", Name),
    ("view_definition", Varchar),
    ("check_option", Varchar),
    ("is_updatable", Varchar),
    ("is_insertable_into", Varchar),
    ("is_trigger_updatable", Varchar),
    ("is_trigger_deletable", Varchar),
    ("is_trigger_insertable_into", Varchar),
];
