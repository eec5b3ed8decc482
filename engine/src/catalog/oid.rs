//! Stable OIDs for catalog objects.
//!
//! Clients cache OIDs (pgjdbc keeps a table's OID from RowDescription, DBeaver
//! joins on `relnamespace` it read a minute ago), so an OID must not depend on
//! query order, start-up order or restarts:
//!
//! - system namespaces and relations keep PostgreSQL 15's own OIDs
//!   (`pg_catalog` 11, `public` 2200, `pg_class` 1259, ...), so the static
//!   catalog rows datafusion-pg-catalog ships (`pg_description.classoid`,
//!   `pg_type.typnamespace`) join with ours;
//! - a user table's OID is a hash of its schema and name (FNV-1a 64, folded
//!   into the user range `16384..2^31`): the same name always has the same
//!   OID, on every server and after every restart. Two names hashing to the
//!   same OID is possible in principle (about one in 2^31 per pair of tables)
//!   and accepted: probing would make an OID depend on the other tables.

/// `pg_catalog`'s namespace OID.
pub const PG_CATALOG_NAMESPACE: i32 = 11;
/// `pg_toast`'s namespace OID.
pub const PG_TOAST_NAMESPACE: i32 = 99;
/// `public`'s namespace OID.
pub const PUBLIC_NAMESPACE: i32 = 2200;
/// `information_schema`'s namespace OID (PostgreSQL 15).
pub const INFORMATION_SCHEMA_NAMESPACE: i32 = 13207;
/// The bootstrap superuser's OID: owner of the system catalogs and types.
pub const BOOTSTRAP_ROLE: i32 = 10;
/// Its name, as `initdb` names it by default.
pub const BOOTSTRAP_ROLE_NAME: &str = "postgres";
/// `pg_database_owner`: the owner of schema `public` since PostgreSQL 15.
pub const DATABASE_OWNER_ROLE: i32 = 6171;
/// Its name (`pg_get_userbyid`, psql's `\dn`).
pub const DATABASE_OWNER_NAME: &str = "pg_database_owner";
/// PostgreSQL 15's predefined roles (`pg_roles` rows with OIDs below 16384),
/// bootstrap superuser excluded.
pub const PREDEFINED_ROLES: &[(&str, i32)] = &[
    ("pg_monitor", 3373),
    ("pg_read_all_settings", 3374),
    ("pg_read_all_stats", 3375),
    ("pg_stat_scan_tables", 3377),
    ("pg_signal_backend", 4200),
    ("pg_checkpoint", 4544),
    ("pg_read_server_files", 4569),
    ("pg_write_server_files", 4570),
    ("pg_execute_server_program", 4571),
    (DATABASE_OWNER_NAME, DATABASE_OWNER_ROLE),
    ("pg_read_all_data", 6181),
    ("pg_write_all_data", 6182),
];
/// The heap access method (`pg_am` "heap").
pub const HEAP_AM: i32 = 2;
/// `pg_class`'s own OID (`pg_description.classoid` of relations).
pub const PG_CLASS_RELATION: i32 = 1259;

/// First OID of the user range (`FirstNormalObjectId`).
pub const FIRST_USER_OID: u32 = 16384;

/// The namespace OID of a schema name, if it is a system one or `public`.
pub fn namespace_oid(schema: &str) -> i32 {
    match schema {
        "pg_catalog" => PG_CATALOG_NAMESPACE,
        "pg_toast" => PG_TOAST_NAMESPACE,
        "public" => PUBLIC_NAMESPACE,
        "information_schema" => INFORMATION_SCHEMA_NAMESPACE,
        other => hashed_oid("namespace", other) as i32,
    }
}

/// The OID of a role: PostgreSQL's for the bootstrap superuser and the
/// predefined roles, a stable hash of the name for others (the role Isotherm's
/// users log in as is created after initdb, as in a PostgreSQL server).
pub fn role_oid(name: &str) -> i32 {
    if name == BOOTSTRAP_ROLE_NAME {
        return BOOTSTRAP_ROLE;
    }
    match PREDEFINED_ROLES.iter().find(|(n, _)| *n == name) {
        Some((_, oid)) => *oid,
        None => hashed_oid("role", name) as i32,
    }
}

/// The OID of a database (stable for its name).
pub fn database_oid(name: &str) -> i32 {
    hashed_oid("database", name) as i32
}

/// The OID of a user relation `schema.name`.
pub fn relation_oid(schema: &str, name: &str) -> i32 {
    if schema == "pg_catalog"
        && let Some(oid) = system_relation_oid(name)
    {
        return oid;
    }
    hashed_oid(schema, name) as i32
}

/// The OID of a user relation's row type (`pg_class.reltype`, a
/// `pg_type` row of type `c`) and of its array type.
pub fn row_type_oids(schema: &str, name: &str) -> (i32, i32) {
    let qualified = format!("{schema}.{name}");
    (
        hashed_oid("type", &qualified) as i32,
        hashed_oid("type[]", &qualified) as i32,
    )
}

/// The OID of a user relation's TOAST table (`pg_class.reltoastrelid`).
pub fn toast_oid(schema: &str, name: &str) -> i32 {
    hashed_oid("toast", &format!("{schema}.{name}")) as i32
}

/// FNV-1a 64 of `kind\0name`, folded into `16384..2^31`.
fn hashed_oid(kind: &str, name: &str) -> u32 {
    let mut h: u64 = 0xcbf2_9ce4_8422_2325;
    for b in kind.bytes().chain([0u8]).chain(name.bytes()) {
        h ^= u64::from(b);
        h = h.wrapping_mul(0x0100_0000_01b3);
    }
    let span = u64::from((1u32 << 31) - FIRST_USER_OID);
    // `h % span < 2^31 - 16384`, so the sum fits in u32 (and in i32).
    let folded = u32::try_from(h % span).unwrap_or(0);
    FIRST_USER_OID + folded
}

/// PostgreSQL 15's OIDs of `pg_catalog` relations.
fn system_relation_oid(name: &str) -> Option<i32> {
    SYSTEM_RELATIONS
        .iter()
        .find(|(n, _)| *n == name)
        .map(|(_, oid)| *oid)
}

/// `SELECT relname, oid FROM pg_class WHERE relnamespace = 11 AND relkind IN ('r','v')`
/// on PostgreSQL 15, restricted to the relations datafusion-pg-catalog emulates.
const SYSTEM_RELATIONS: &[(&str, i32)] = &[
    ("pg_aggregate", 2600),
    ("pg_am", 2601),
    ("pg_amop", 2602),
    ("pg_amproc", 2603),
    ("pg_attrdef", 2604),
    ("pg_attribute", 1249),
    ("pg_auth_members", 1261),
    ("pg_authid", 1260),
    ("pg_cast", 2605),
    ("pg_class", 1259),
    ("pg_collation", 3456),
    ("pg_constraint", 2606),
    ("pg_conversion", 2607),
    ("pg_database", 1262),
    ("pg_db_role_setting", 2964),
    ("pg_default_acl", 826),
    ("pg_depend", 2608),
    ("pg_description", 2609),
    ("pg_enum", 3501),
    ("pg_event_trigger", 3466),
    ("pg_extension", 3079),
    ("pg_foreign_data_wrapper", 2328),
    ("pg_foreign_server", 1417),
    ("pg_foreign_table", 3118),
    ("pg_index", 2610),
    ("pg_inherits", 2611),
    ("pg_init_privs", 3394),
    ("pg_language", 2612),
    ("pg_largeobject", 2613),
    ("pg_largeobject_metadata", 2995),
    ("pg_matviews", 12038),
    ("pg_namespace", 2615),
    ("pg_opclass", 2616),
    ("pg_operator", 2617),
    ("pg_opfamily", 2753),
    ("pg_partitioned_table", 3350),
    ("pg_policy", 3256),
    ("pg_proc", 1255),
    ("pg_publication", 6104),
    ("pg_publication_namespace", 6237),
    ("pg_publication_rel", 6106),
    ("pg_range", 3541),
    ("pg_replication_origin", 6000),
    ("pg_replication_slots", 12257),
    ("pg_rewrite", 2618),
    ("pg_roles", 12000),
    ("pg_seclabel", 3596),
    ("pg_sequence", 2224),
    ("pg_settings", 12104),
    ("pg_shdepend", 1214),
    ("pg_shdescription", 2396),
    ("pg_shseclabel", 3592),
    ("pg_stat_gssapi", 12253),
    ("pg_stat_user_tables", 12161),
    ("pg_statistic", 2619),
    ("pg_statistic_ext", 3381),
    ("pg_statistic_ext_data", 3429),
    ("pg_subscription", 6100),
    ("pg_subscription_rel", 6102),
    ("pg_tables", 12033),
    ("pg_tablespace", 1213),
    ("pg_trigger", 2620),
    ("pg_ts_config", 3602),
    ("pg_ts_dict", 3600),
    ("pg_ts_parser", 3601),
    ("pg_ts_template", 3764),
    ("pg_type", 1247),
    ("pg_user_mapping", 1418),
    ("pg_views", 12028),
];

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn user_oids_are_stable_and_in_the_user_range() {
        let a = relation_oid("public", "temperatures");
        assert_eq!(a, relation_oid("public", "temperatures"));
        assert_ne!(a, relation_oid("public", "temperature"));
        assert_ne!(a, relation_oid("other", "temperatures"));
        for name in ["a", "b", "temperatures", "x_y_z", ""] {
            let oid = relation_oid("public", name);
            assert!(oid >= FIRST_USER_OID as i32, "{name}: {oid}");
        }
        assert!(database_oid("isotherm") >= FIRST_USER_OID as i32);
    }

    #[test]
    fn system_objects_keep_postgres_oids() {
        assert_eq!(relation_oid("pg_catalog", "pg_class"), 1259);
        assert_eq!(relation_oid("pg_catalog", "pg_type"), 1247);
        assert_eq!(namespace_oid("pg_catalog"), 11);
        assert_eq!(namespace_oid("public"), 2200);
    }

    #[test]
    fn roles_keep_postgres_oids_and_users_are_ordinary() {
        assert_eq!(role_oid("postgres"), 10);
        assert_eq!(role_oid("pg_database_owner"), 6171);
        assert_eq!(role_oid("pg_read_all_data"), 6181);
        let user = role_oid("isotherm");
        assert!(user >= FIRST_USER_OID as i32, "{user}");
        assert_eq!(user, role_oid("isotherm"));
        assert_ne!(user, role_oid("analyst"));
    }
}
