//! The `pg_catalog` tables that describe Isotherm's objects, generated from
//! [`CatalogState`] with stable OIDs: `pg_namespace`, `pg_class`,
//! `pg_attribute`, `pg_database`, `pg_tables`, `pg_roles`,
//! `pg_stat_user_tables`, and `pg_index` / `pg_constraint` (empty: Isotherm
//! has neither; datafusion-pg-catalog's hold a real server's system rows with
//! array columns as text, which `unnest(indkey)` or `conkey[1]` cannot plan
//! over). Column lists are PostgreSQL 15's; every other
//! `pg_catalog` table is datafusion-pg-catalog's (static rows of a real
//! PostgreSQL, or empty).

use super::oid::{self, BOOTSTRAP_ROLE, BOOTSTRAP_ROLE_NAME};
use super::state::CatalogState;
use super::table::{Kind, RowsFn, Spec, V};

use Kind::*;

/// `(name, columns, rows)` of every table generated here.
pub const TABLES: &[(&str, Spec, RowsFn)] = &[
    ("pg_namespace", PG_NAMESPACE, pg_namespace),
    ("pg_class", PG_CLASS, pg_class),
    ("pg_attribute", PG_ATTRIBUTE, pg_attribute),
    ("pg_database", PG_DATABASE, pg_database),
    ("pg_tables", PG_TABLES, pg_tables),
    ("pg_roles", PG_ROLES, pg_roles),
    (
        "pg_stat_user_tables",
        PG_STAT_USER_TABLES,
        pg_stat_user_tables,
    ),
    ("pg_index", PG_INDEX, no_rows),
    ("pg_constraint", PG_CONSTRAINT, no_rows),
];

/// `pg_catalog` tables that never have rows here (Isotherm has no defaults,
/// sequences, indexes, constraints, inheritance, triggers, policies,
/// extended statistics or publications; the static ones are empty in
/// datafusion-pg-catalog's export too, which a test checks).
pub const EMPTY_TABLES: &[&str] = &[
    "pg_attrdef",
    "pg_sequence",
    "pg_index",
    "pg_constraint",
    "pg_inherits",
    "pg_trigger",
    "pg_policy",
    "pg_statistic_ext",
    "pg_publication",
    "pg_publication_rel",
    "pg_publication_namespace",
    "pg_partitioned_table",
    "pg_foreign_table",
];

fn no_rows(_: &CatalogState) -> Vec<Vec<V>> {
    Vec::new()
}

const PG_INDEX: Spec = &[
    ("indexrelid", Oid),
    ("indrelid", Oid),
    ("indnatts", Int2),
    ("indnkeyatts", Int2),
    ("indisunique", Bool),
    ("indnullsnotdistinct", Bool),
    ("indisprimary", Bool),
    ("indisexclusion", Bool),
    ("indimmediate", Bool),
    ("indisclustered", Bool),
    ("indisvalid", Bool),
    ("indcheckxmin", Bool),
    ("indisready", Bool),
    ("indislive", Bool),
    ("indisreplident", Bool),
    ("indkey", Int2Vector),
    ("indcollation", OidVector),
    ("indclass", OidVector),
    ("indoption", Int2Vector),
    ("indexprs", NodeTree),
    ("indpred", NodeTree),
];

const PG_CONSTRAINT: Spec = &[
    ("oid", Oid),
    ("conname", Name),
    ("connamespace", Oid),
    ("contype", Char),
    ("condeferrable", Bool),
    ("condeferred", Bool),
    ("convalidated", Bool),
    ("conrelid", Oid),
    ("contypid", Oid),
    ("conindid", Oid),
    ("conparentid", Oid),
    ("confrelid", Oid),
    ("confupdtype", Char),
    ("confdeltype", Char),
    ("confmatchtype", Char),
    ("conislocal", Bool),
    ("coninhcount", Int4),
    ("connoinherit", Bool),
    ("conkey", Int2Array),
    ("confkey", Int2Array),
    ("conpfeqop", OidArray),
    ("conppeqop", OidArray),
    ("conffeqop", OidArray),
    ("confdelsetcols", Int2Array),
    ("conexclop", OidArray),
    ("conbin", NodeTree),
];

/// The relation kinds of datafusion-pg-catalog tables that are views in PostgreSQL.
pub const SYSTEM_VIEWS: &[&str] = &[
    "pg_settings",
    "pg_views",
    "pg_matviews",
    "pg_roles",
    "pg_tables",
    "pg_stat_gssapi",
    "pg_stat_user_tables",
    "pg_replication_slots",
];

const PG_NAMESPACE: Spec = &[
    ("oid", Oid),
    ("nspname", Name),
    ("nspowner", Oid),
    ("nspacl", AclArray),
];

/// The namespaces, in OID order.
pub const NAMESPACES: &[&str] = &["pg_catalog", "pg_toast", "public", "information_schema"];

fn pg_namespace(_: &CatalogState) -> Vec<Vec<V>> {
    NAMESPACES
        .iter()
        .map(|n| {
            let (owner_oid, owner) = if *n == "public" {
                (oid::DATABASE_OWNER_ROLE, oid::DATABASE_OWNER_NAME)
            } else {
                (BOOTSTRAP_ROLE, BOOTSTRAP_ROLE_NAME)
            };
            // PostgreSQL 15's default: the owner may use and create, everyone may use.
            let acl = (*n != "pg_toast")
                .then(|| V::Texts(vec![format!("{owner}=UC/{owner}"), format!("=U/{owner}")]));
            vec![
                oid::namespace_oid(n).into(),
                (*n).into(),
                owner_oid.into(),
                acl.unwrap_or(V::Null),
            ]
        })
        .collect()
}

const PG_CLASS: Spec = &[
    ("oid", Oid),
    ("relname", Name),
    ("relnamespace", Oid),
    ("reltype", Oid),
    ("reloftype", Oid),
    ("relowner", Oid),
    ("relam", Oid),
    ("relfilenode", Oid),
    ("reltablespace", Oid),
    ("relpages", Int4),
    ("reltuples", Float4),
    ("relallvisible", Int4),
    ("reltoastrelid", Oid),
    ("relhasindex", Bool),
    ("relisshared", Bool),
    ("relpersistence", Char),
    ("relkind", Char),
    ("relnatts", Int2),
    ("relchecks", Int2),
    ("relhasrules", Bool),
    ("relhastriggers", Bool),
    ("relhassubclass", Bool),
    ("relrowsecurity", Bool),
    ("relforcerowsecurity", Bool),
    ("relispopulated", Bool),
    ("relreplident", Char),
    ("relispartition", Bool),
    ("relrewrite", Oid),
    ("relfrozenxid", Xid),
    ("relminmxid", Xid),
    ("relacl", AclArray),
    ("reloptions", TextArray),
    ("relpartbound", NodeTree),
];

fn pg_class(state: &CatalogState) -> Vec<Vec<V>> {
    state
        .relations()
        .iter()
        .map(|r| {
            let user = r.namespace == oid::PUBLIC_NAMESPACE;
            let stored = matches!(r.kind, "r" | "t");
            let row_type = if user {
                oid::row_type_oids(&r.schema, &r.name).0
            } else {
                0
            };
            let toast = CatalogState::toast_relation(r).map_or(0, |t| t.oid);
            vec![
                r.oid.into(),
                r.name.as_str().into(),
                r.namespace.into(),
                row_type.into(),
                0.into(),
                state.relation_owner(r).1.into(),
                (if stored { oid::HEAP_AM } else { 0 }).into(),
                (if stored { r.oid } else { 0 }).into(),
                0.into(),
                0.into(),
                // -1: never analyzed; Isotherm always knows its row counts.
                state
                    .row_count(r)
                    .map_or(V::Float(-1.0), |n| V::Float(n as f64)),
                0.into(),
                toast.into(),
                false.into(),
                false.into(),
                "p".into(),
                r.kind.into(),
                i64::try_from(r.columns.len()).unwrap_or(0).into(),
                0.into(),
                false.into(),
                false.into(),
                false.into(),
                false.into(),
                false.into(),
                true.into(),
                (if r.kind == "r" { "d" } else { "n" }).into(),
                false.into(),
                0.into(),
                0.into(),
                0.into(),
                V::Null,
                V::Null,
                V::Null,
            ]
        })
        .collect()
}

const PG_ATTRIBUTE: Spec = &[
    ("attrelid", Oid),
    ("attname", Name),
    ("atttypid", Oid),
    ("attstattarget", Int4),
    ("attlen", Int2),
    ("attnum", Int2),
    ("attndims", Int4),
    ("attcacheoff", Int4),
    ("atttypmod", Int4),
    ("attbyval", Bool),
    ("attalign", Char),
    ("attstorage", Char),
    ("attcompression", Char),
    ("attnotnull", Bool),
    ("atthasdef", Bool),
    ("atthasmissing", Bool),
    ("attidentity", Char),
    ("attgenerated", Char),
    ("attisdropped", Bool),
    ("attislocal", Bool),
    ("attinhcount", Int4),
    ("attcollation", Oid),
    ("attacl", AclArray),
    ("attoptions", TextArray),
    ("attfdwoptions", TextArray),
    ("attmissingval", AnyArray),
];

/// PostgreSQL's system columns of every table: `(name, type oid, attnum,
/// length, by value, alignment)`.
const SYSTEM_COLUMNS: &[(&str, i32, i64, i64, bool, &str)] = &[
    ("tableoid", 26, -6, 4, true, "i"),
    ("cmax", 29, -5, 4, true, "i"),
    ("xmax", 28, -4, 4, true, "i"),
    ("cmin", 29, -3, 4, true, "i"),
    ("xmin", 28, -2, 4, true, "i"),
    ("ctid", 27, -1, 6, false, "s"),
];

/// One `pg_attribute` row (the columns that vary; the rest as PostgreSQL
/// has them for a plain column without default, identity or options).
struct Attribute<'a> {
    relid: i32,
    name: &'a str,
    type_oid: i32,
    stat_target: i64,
    len: i64,
    attnum: i64,
    ndims: i64,
    byval: bool,
    align: &'a str,
    storage: &'a str,
    not_null: bool,
    collation: i32,
}

impl Attribute<'_> {
    fn row(&self) -> Vec<V> {
        vec![
            self.relid.into(),
            self.name.into(),
            self.type_oid.into(),
            V::Int(self.stat_target),
            V::Int(self.len),
            V::Int(self.attnum),
            V::Int(self.ndims),
            (-1).into(),
            (-1).into(),
            self.byval.into(),
            self.align.into(),
            self.storage.into(),
            "".into(),
            self.not_null.into(),
            false.into(),
            false.into(),
            "".into(),
            "".into(),
            false.into(),
            true.into(),
            0.into(),
            self.collation.into(),
            V::Null,
            V::Null,
            V::Null,
            V::Null,
        ]
    }
}

fn pg_attribute(state: &CatalogState) -> Vec<Vec<V>> {
    let mut rows = Vec::new();
    for r in state.relations() {
        if r.namespace == oid::PUBLIC_NAMESPACE || r.kind == "t" {
            for (name, ty, attnum, len, byval, align) in SYSTEM_COLUMNS {
                rows.push(
                    Attribute {
                        relid: r.oid,
                        name,
                        type_oid: *ty,
                        stat_target: 0,
                        len: *len,
                        attnum: *attnum,
                        ndims: 0,
                        byval: *byval,
                        align,
                        storage: "p",
                        not_null: true,
                        collation: 0,
                    }
                    .row(),
                );
            }
        }
        for (i, c) in r.columns.iter().enumerate() {
            rows.push(
                Attribute {
                    relid: r.oid,
                    name: &c.name,
                    type_oid: c.ty.oid,
                    stat_target: -1,
                    len: i64::from(c.ty.len),
                    attnum: i64::try_from(i + 1).unwrap_or(0),
                    ndims: i64::from(c.ty.typname.starts_with('_')),
                    byval: c.ty.byval,
                    align: c.ty.align,
                    storage: c.ty.storage,
                    not_null: c.not_null,
                    collation: c.ty.collation,
                }
                .row(),
            );
        }
    }
    rows
}

const PG_DATABASE: Spec = &[
    ("oid", Oid),
    ("datname", Name),
    ("datdba", Oid),
    ("encoding", Int4),
    ("datlocprovider", Char),
    ("datistemplate", Bool),
    ("datallowconn", Bool),
    ("datconnlimit", Int4),
    ("datfrozenxid", Xid),
    ("datminmxid", Xid),
    ("dattablespace", Oid),
    ("datcollate", Text),
    ("datctype", Text),
    ("daticulocale", Text),
    ("datcollversion", Text),
    ("datacl", AclArray),
];

/// `pg_tablespace` "pg_default".
const DEFAULT_TABLESPACE: i32 = 1663;
/// `pg_encoding_to_char(6)` = `UTF8`.
pub const UTF8_ENCODING: i32 = 6;

fn pg_database(state: &CatalogState) -> Vec<Vec<V>> {
    vec![vec![
        oid::database_oid(&state.database).into(),
        state.database.as_str().into(),
        state.owner_oid().into(),
        UTF8_ENCODING.into(),
        "c".into(),
        false.into(),
        true.into(),
        (-1).into(),
        0.into(),
        1.into(),
        DEFAULT_TABLESPACE.into(),
        "C".into(),
        "C".into(),
        V::Null,
        V::Null,
        V::Null,
    ]]
}

const PG_TABLES: Spec = &[
    ("schemaname", Name),
    ("tablename", Name),
    ("tableowner", Name),
    ("tablespace", Name),
    ("hasindexes", Bool),
    ("hasrules", Bool),
    ("hastriggers", Bool),
    ("rowsecurity", Bool),
];

fn pg_tables(state: &CatalogState) -> Vec<Vec<V>> {
    state
        .relations()
        .iter()
        .filter(|r| r.kind == "r")
        .map(|r| {
            vec![
                r.schema.as_str().into(),
                r.name.as_str().into(),
                state.relation_owner(r).0.into(),
                V::Null,
                false.into(),
                false.into(),
                false.into(),
                false.into(),
            ]
        })
        .collect()
}

const PG_ROLES: Spec = &[
    ("rolname", Name),
    ("rolsuper", Bool),
    ("rolinherit", Bool),
    ("rolcreaterole", Bool),
    ("rolcreatedb", Bool),
    ("rolcanlogin", Bool),
    ("rolreplication", Bool),
    ("rolconnlimit", Int4),
    ("rolpassword", Text),
    ("rolvaliduntil", TimestampTz),
    ("rolbypassrls", Bool),
    ("rolconfig", TextArray),
    ("oid", Oid),
];

/// The bootstrap superuser and the predefined roles as PostgreSQL 15 has
/// them; the login role as `CREATE ROLE .. LOGIN SUPERUSER` makes it.
fn pg_roles(state: &CatalogState) -> Vec<Vec<V>> {
    state
        .roles()
        .into_iter()
        .map(|(name, oid)| {
            let bootstrap = oid == BOOTSTRAP_ROLE;
            let login = bootstrap || name == state.owner;
            vec![
                name.into(),
                login.into(),
                true.into(),
                bootstrap.into(),
                bootstrap.into(),
                login.into(),
                bootstrap.into(),
                (-1).into(),
                "********".into(),
                V::Null,
                bootstrap.into(),
                V::Null,
                oid.into(),
            ]
        })
        .collect()
}

const PG_STAT_USER_TABLES: Spec = &[
    ("relid", Oid),
    ("schemaname", Name),
    ("relname", Name),
    ("seq_scan", Int8),
    ("seq_tup_read", Int8),
    ("idx_scan", Int8),
    ("idx_tup_fetch", Int8),
    ("n_tup_ins", Int8),
    ("n_tup_upd", Int8),
    ("n_tup_del", Int8),
    ("n_tup_hot_upd", Int8),
    ("n_live_tup", Int8),
    ("n_dead_tup", Int8),
    ("n_mod_since_analyze", Int8),
    ("n_ins_since_vacuum", Int8),
    ("last_vacuum", TimestampTz),
    ("last_autovacuum", TimestampTz),
    ("last_analyze", TimestampTz),
    ("last_autoanalyze", TimestampTz),
    ("vacuum_count", Int8),
    ("autovacuum_count", Int8),
    ("analyze_count", Int8),
    ("autoanalyze_count", Int8),
];

fn pg_stat_user_tables(state: &CatalogState) -> Vec<Vec<V>> {
    state
        .user_relations()
        .iter()
        .map(|r| {
            let mut row = vec![
                r.oid.into(),
                r.schema.as_str().into(),
                r.name.as_str().into(),
            ];
            let live = state
                .row_count(r)
                .map_or(0, |n| i64::try_from(n).unwrap_or(i64::MAX));
            // seq_scan .. n_tup_hot_upd, then n_live_tup, then the rest.
            row.extend((0..8).map(|_| V::Int(0)));
            row.push(V::Int(live));
            row.extend((0..3).map(|_| V::Int(0)));
            row.extend((0..4).map(|_| V::Null));
            row.extend((0..4).map(|_| V::Int(0)));
            row
        })
        .collect()
}
