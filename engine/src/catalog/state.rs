//! [`CatalogState`]: what the emulated catalog lists — Isotherm's tables (read
//! from the [`Backend`] at each query) and the catalog's own relations (fixed
//! at start-up).

use std::collections::HashMap;
use std::sync::Arc;

use datafusion::arrow::record_batch::RecordBatch;
use datafusion::error::Result;
use parking_lot::Mutex;

use crate::backend::Backend;

use super::oid;
use super::types::PgType;

/// One column of a relation, as `pg_attribute` / `information_schema.columns` list it.
#[derive(Debug, Clone, PartialEq)]
pub struct Column {
    pub name: String,
    pub ty: PgType,
    pub not_null: bool,
}

/// One relation, as `pg_class` / `information_schema.tables` list it.
#[derive(Debug, Clone, PartialEq)]
pub struct Relation {
    pub oid: i32,
    pub namespace: i32,
    pub schema: String,
    pub name: String,
    /// `relkind`: `r` (table) or `v` (view).
    pub kind: &'static str,
    pub columns: Vec<Column>,
}

/// The catalog's view of the server, shared by every catalog table.
pub struct CatalogState {
    backend: Arc<dyn Backend>,
    /// `current_database()`, `pg_database`.
    pub database: String,
    /// The role sessions log in as, owner of the database and Isotherm's
    /// tables (system objects belong to the bootstrap superuser).
    pub owner: String,
    /// Relations of `pg_catalog` and `information_schema`.
    system: Vec<Arc<Relation>>,
    /// Column names that are boolean wherever a system relation has them.
    system_bools: std::collections::HashSet<String>,
    /// Server start, microseconds since the Unix epoch (`pg_postmaster_start_time()`).
    pub started_micros: i64,
    /// Generated tables' batches by table, each with the [`Fingerprint`] it
    /// was built for.
    built: Mutex<HashMap<&'static str, (Fingerprint, RecordBatch)>>,
}

/// Everything generated catalog rows read that can change while the server
/// runs: Isotherm's tables (names and columns) and their row counts. The
/// rest (system relations, roles, the owner, the start time) is fixed.
#[derive(Debug, Clone, PartialEq)]
pub struct Fingerprint(Vec<(Arc<Relation>, Option<u64>)>);

impl std::fmt::Debug for CatalogState {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("CatalogState")
            .field("database", &self.database)
            .finish_non_exhaustive()
    }
}

impl CatalogState {
    pub fn new(
        backend: Arc<dyn Backend>,
        database: String,
        owner: String,
        system: Vec<Relation>,
    ) -> CatalogState {
        let started_micros = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map_or(0, |d| i64::try_from(d.as_micros()).unwrap_or(i64::MAX));
        let mut bools = std::collections::HashSet::new();
        let mut others = std::collections::HashSet::new();
        for c in system.iter().flat_map(|r| &r.columns) {
            if c.ty == super::types::BOOL {
                bools.insert(c.name.clone());
            } else {
                others.insert(c.name.clone());
            }
        }
        CatalogState {
            backend,
            database,
            owner,
            system: system.into_iter().map(Arc::new).collect(),
            system_bools: bools.difference(&others).cloned().collect(),
            started_micros,
            built: Mutex::new(HashMap::new()),
        }
    }

    /// [`owner`](Self::owner)'s OID.
    pub fn owner_oid(&self) -> i32 {
        oid::role_oid(&self.owner)
    }

    /// Every role, `(name, oid)` in OID order: the bootstrap superuser, the
    /// predefined roles, and the owner (unless it is the bootstrap superuser).
    pub fn roles(&self) -> Vec<(&str, i32)> {
        let mut roles = vec![(oid::BOOTSTRAP_ROLE_NAME, oid::BOOTSTRAP_ROLE)];
        roles.extend(oid::PREDEFINED_ROLES.iter().copied());
        if !roles.iter().any(|(n, _)| *n == self.owner) {
            roles.push((self.owner.as_str(), self.owner_oid()));
        }
        roles
    }

    /// The owner of a relation: the login role for Isotherm's tables, the
    /// bootstrap superuser for the catalog's own.
    pub fn relation_owner(&self, r: &Relation) -> (&str, i32) {
        if r.namespace == oid::PUBLIC_NAMESPACE || r.kind == "t" {
            (self.owner.as_str(), self.owner_oid())
        } else {
            (oid::BOOTSTRAP_ROLE_NAME, oid::BOOTSTRAP_ROLE)
        }
    }

    /// Whether `column` is a boolean column of the catalog (and never
    /// anything else there): `indisprimary`, `attnotnull`, ...
    pub fn is_system_bool(&self, column: &str) -> bool {
        self.system_bools.contains(column)
    }

    /// Isotherm's tables (schema `public`), sorted by name.
    pub fn user_relations(&self) -> Vec<Arc<Relation>> {
        let mut names = self.backend.table_names();
        names.sort();
        names
            .into_iter()
            .filter_map(|name| {
                let schema = self.backend.schema(&name).ok()?;
                Some(Arc::new(Relation {
                    oid: oid::relation_oid("public", &name),
                    namespace: oid::PUBLIC_NAMESPACE,
                    schema: "public".to_owned(),
                    kind: "r",
                    columns: schema
                        .columns
                        .iter()
                        .map(|c| Column {
                            name: c.name.clone(),
                            ty: PgType::of_scalar(c.ty),
                            not_null: !c.nullable,
                        })
                        .collect(),
                    name,
                }))
            })
            .collect()
    }

    /// What generated rows depend on, now.
    pub fn fingerprint(&self) -> Fingerprint {
        Fingerprint(
            self.user_relations()
                .into_iter()
                .map(|r| {
                    let rows = self.row_count(&r);
                    (r, rows)
                })
                .collect(),
        )
    }

    /// Table `table`'s batch: the one built before if the catalog has not
    /// changed since, else `build`'s (kept for the next query). Catalog
    /// queries read the same tables again and again (every BI tool's sync);
    /// building `information_schema.columns` costs more than planning.
    pub fn built_batch(
        &self,
        table: &'static str,
        build: impl FnOnce() -> Result<RecordBatch>,
    ) -> Result<RecordBatch> {
        let now = self.fingerprint();
        if let Some((at, batch)) = self.built.lock().get(table)
            && *at == now
        {
            return Ok(batch.clone());
        }
        let batch = build()?;
        self.built.lock().insert(table, (now, batch.clone()));
        Ok(batch)
    }

    /// Rows of a user table, as ANALYZE would have counted them.
    pub fn row_count(&self, r: &Relation) -> Option<u64> {
        if r.namespace == oid::PUBLIC_NAMESPACE {
            self.backend.row_count(&r.name)
        } else {
            None
        }
    }

    /// The TOAST table PostgreSQL would give a user table (it has one when
    /// a column is of a variable-length type such as `text`): `pg_toast`'s
    /// `pg_toast_<table oid>`, with its three columns.
    pub fn toast_relation(r: &Relation) -> Option<Relation> {
        if r.namespace != oid::PUBLIC_NAMESPACE || !r.columns.iter().any(|c| c.ty.storage == "x") {
            return None;
        }
        let column = |name: &str, ty| Column {
            name: name.to_owned(),
            ty,
            not_null: true,
        };
        Some(Relation {
            oid: oid::toast_oid(&r.schema, &r.name),
            namespace: oid::PG_TOAST_NAMESPACE,
            schema: "pg_toast".to_owned(),
            name: format!("pg_toast_{}", r.oid),
            kind: "t",
            columns: vec![
                column("chunk_id", super::types::OID),
                column("chunk_seq", super::types::INT4),
                column("chunk_data", super::types::BYTEA),
            ],
        })
    }

    /// Every relation: Isotherm's tables and their TOAST tables, then the
    /// catalog's own.
    pub fn relations(&self) -> Vec<Arc<Relation>> {
        let mut all = self.user_relations();
        let toast: Vec<Arc<Relation>> = all
            .iter()
            .filter_map(|r| Self::toast_relation(r).map(Arc::new))
            .collect();
        all.extend(toast);
        all.extend(self.system.iter().cloned());
        all
    }

    /// The relation a (possibly schema-qualified, possibly quoted) name
    /// designates, resolving unqualified names along `public`, `pg_catalog`.
    pub fn resolve(&self, name: &str) -> Option<Arc<Relation>> {
        let parts = split_qualified(name)?;
        let (schema, rel) = match parts.as_slice() {
            [rel] => (None, rel.as_str()),
            [schema, rel] => (Some(schema.as_str()), rel.as_str()),
            [_db, schema, rel] => (Some(schema.as_str()), rel.as_str()),
            _ => return None,
        };
        let all = self.relations();
        match schema {
            Some(s) => all.into_iter().find(|r| r.schema == s && r.name == rel),
            None => ["public", "pg_catalog"]
                .iter()
                .find_map(|s| all.iter().find(|r| r.schema == *s && r.name == rel))
                .cloned(),
        }
    }

    /// The relation with OID `oid`: the catalog's own first (no backend
    /// call: catalog functions call this per row), then Isotherm's tables
    /// and their TOAST tables.
    pub fn by_oid(&self, oid: i64) -> Option<Arc<Relation>> {
        if let Some(r) = self.system.iter().find(|r| i64::from(r.oid) == oid) {
            return Some(r.clone());
        }
        let user = self.user_relations();
        if let Some(r) = user.iter().find(|r| i64::from(r.oid) == oid) {
            return Some(r.clone());
        }
        user.iter()
            .filter_map(|r| Self::toast_relation(r))
            .find(|t| i64::from(t.oid) == oid)
            .map(Arc::new)
    }
}

/// Splits `a.b` / `"A".b` like PostgreSQL's identifier parsing: unquoted parts
/// fold to lower case, quoted ones keep case and may hold dots. `None` when
/// the quoting is malformed.
pub fn split_qualified(name: &str) -> Option<Vec<String>> {
    let mut parts = Vec::new();
    let mut chars = name.trim().chars().peekable();
    loop {
        let mut part = String::new();
        if chars.peek() == Some(&'"') {
            chars.next();
            loop {
                match chars.next() {
                    Some('"') if chars.peek() == Some(&'"') => {
                        chars.next();
                        part.push('"');
                    }
                    Some('"') => break,
                    Some(c) => part.push(c),
                    None => return None,
                }
            }
        } else {
            while let Some(&c) = chars.peek() {
                if c == '.' {
                    break;
                }
                part.push(c.to_ascii_lowercase());
                chars.next();
            }
            part = part.trim().to_owned();
        }
        if part.is_empty() {
            return None;
        }
        parts.push(part);
        match chars.next() {
            Some('.') => continue,
            None => return Some(parts),
            Some(_) => return None,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn qualified_names_split_like_postgres() {
        assert_eq!(
            split_qualified("Temperatures"),
            Some(vec!["temperatures".into()])
        );
        assert_eq!(
            split_qualified("public.\"My.Table\""),
            Some(vec!["public".into(), "My.Table".into()])
        );
        assert_eq!(split_qualified("\"a\"\"b\""), Some(vec!["a\"b".into()]));
        assert_eq!(split_qualified("a..b"), None);
        assert_eq!(split_qualified("\"open"), None);
    }
}
