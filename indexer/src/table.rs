//! Tables: definitions, schema inference from the first push, and the
//! snapshot a query reads.
//!
//! A table's live state is an `Arc<TableSnapshot>` swapped on every commit:
//! a query clones the `Arc` once and sees one consistent set of segments
//! (old rows or new, never a mix) while pushes go on.

use std::collections::BTreeMap;
use std::path::PathBuf;
use std::sync::Arc;

use parking_lot::RwLock;

use crate::dictionary::DictionarySet;
use crate::error::{IndexError, Result};
use crate::ingest::DecodedFile;
use crate::partition::{PartitionKey, partition_column_type};
use crate::schema::{ColumnDef, ColumnRole, RollupDef, TableSchema};
use crate::segment::read::LoadedSegment;
use crate::value::{ScalarType, Value};

/// The rollup every table has: one group per partition.
pub const DEFAULT_ROLLUP: &str = "by_partition";

/// What `PUT /v1/tables/{t}` sets.
#[derive(Debug, Clone, Default, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
#[serde(deny_unknown_fields)]
pub struct TableDefinition {
    /// Text/date columns that get value indexes (default: all of them).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub dimensions: Option<Vec<String>>,
    /// Float columns that get stats (default: all of them).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub measures: Option<Vec<String>>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub rollups: Option<Vec<RollupDef>>,
}

/// What the indexer stores in the manifest's opaque table definition.
#[derive(Debug, Clone, Default, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct StoredTable {
    #[serde(default)]
    pub definition: TableDefinition,
    #[serde(default)]
    pub schema: Option<TableSchema>,
    /// Quarantine records `(partition, file)` superseded by a later put or delete.
    #[serde(default)]
    pub resolved: Vec<(String, String)>,
}

#[derive(Debug, Clone, PartialEq, serde::Serialize)]
pub struct QuarantineInfo {
    pub partition: String,
    pub file: String,
    pub reason: String,
}

#[derive(Debug, Clone, PartialEq, serde::Serialize)]
pub struct TableInfo {
    pub name: String,
    pub columns: Vec<ColumnDef>,
    pub dimensions: Vec<String>,
    pub measures: Vec<String>,
    pub rollups: Vec<RollupDef>,
    pub partitions: usize,
    pub rows: u64,
    pub bytes: u64,
    pub quarantined: Vec<QuarantineInfo>,
}

#[derive(Debug, Clone, PartialEq, serde::Serialize)]
pub struct PartitionInfo {
    pub partition: String,
    pub version: u64,
    pub rows: u64,
    pub bytes: u64,
    pub file: String,
}

/// A partition that cannot answer: its segment is quarantined and nothing replaced it.
#[derive(Debug, Clone)]
pub struct Unavailable {
    pub values: Vec<(String, Value)>,
    pub path: PathBuf,
}

/// One consistent view of a table.
#[derive(Default, Clone)]
pub struct TableSnapshot {
    /// False until the table's first commit.
    pub exists: bool,
    pub stored: StoredTable,
    pub schema: Option<Arc<TableSchema>>,
    pub segments: BTreeMap<String, Arc<LoadedSegment>>,
    pub quarantined: Vec<QuarantineInfo>,
    pub unavailable: BTreeMap<String, Unavailable>,
}

impl TableSnapshot {
    pub fn info(&self, name: &str) -> TableInfo {
        let (columns, rollups) = match &self.schema {
            Some(s) => (s.columns.clone(), s.rollups.clone()),
            None => (
                Vec::new(),
                self.stored.definition.rollups.clone().unwrap_or_default(),
            ),
        };
        let role = |r: ColumnRole| {
            columns
                .iter()
                .filter(|c| c.role == r)
                .map(|c| c.name.clone())
                .collect()
        };
        TableInfo {
            name: name.to_owned(),
            dimensions: role(ColumnRole::Dimension),
            measures: role(ColumnRole::Measure),
            columns: columns.clone(),
            rollups,
            partitions: self.segments.len(),
            rows: self.segments.values().map(|s| s.meta.rows).sum(),
            bytes: self.segments.values().map(|s| s.id.bytes).sum(),
            quarantined: self.quarantined.clone(),
        }
    }

    pub fn partitions(&self) -> Vec<PartitionInfo> {
        self.segments
            .values()
            .map(|s| PartitionInfo {
                partition: s.id.partition.clone(),
                version: s.id.version,
                rows: s.meta.rows,
                bytes: s.id.bytes,
                file: s.id.file.clone(),
            })
            .collect()
    }
}

/// A table: its dictionaries and its current snapshot.
pub struct Table {
    pub name: String,
    pub dicts: DictionarySet,
    pub state: RwLock<Arc<TableSnapshot>>,
}

impl Table {
    pub fn new(name: &str) -> Table {
        Table {
            name: name.to_owned(),
            dicts: DictionarySet::new(),
            state: RwLock::new(Arc::new(TableSnapshot::default())),
        }
    }

    pub fn snapshot(&self) -> Arc<TableSnapshot> {
        self.state.read().clone()
    }
}

/// The schema a table gets from its first push under `def`.
pub fn infer_schema(
    table: &str,
    key: &PartitionKey,
    file: &DecodedFile,
    def: &TableDefinition,
) -> Result<TableSchema> {
    let mut columns = Vec::new();
    for (name, _) in &key.values {
        if file.column(name).is_some() {
            return Err(IndexError::SchemaMismatch {
                table: table.to_owned(),
                detail: format!("column \"{name}\" is both a partition column and a file column"),
            });
        }
        columns.push(ColumnDef {
            name: name.clone(),
            ty: partition_column_type(name),
            role: ColumnRole::Dimension,
            partition: true,
            nullable: true,
        });
    }
    for c in &file.columns {
        columns.push(ColumnDef {
            name: c.name.clone(),
            ty: c.ty,
            role: ColumnRole::Plain,
            partition: false,
            nullable: c.nullable || c.data.has_nulls(),
        });
    }
    apply_definition(table, columns, def)
}

/// Assigns roles and rollups from `def` to `columns` (partition columns stay dimensions).
pub fn apply_definition(
    table: &str,
    mut columns: Vec<ColumnDef>,
    def: &TableDefinition,
) -> Result<TableSchema> {
    let bad = |m: String| IndexError::BadDefinition(m);
    let find = |columns: &[ColumnDef], name: &str| {
        columns.iter().position(|c| c.name == name).ok_or_else(|| {
            IndexError::BadDefinition(format!("table \"{table}\" has no column \"{name}\""))
        })
    };
    for name in def.dimensions.iter().flatten() {
        let c = find(&columns, name)?;
        if !matches!(columns[c].ty, ScalarType::Text | ScalarType::Date) {
            return Err(bad(format!(
                "dimension \"{name}\" must be text or date, not {}",
                columns[c].ty.pg_name()
            )));
        }
    }
    for name in def.measures.iter().flatten() {
        let c = find(&columns, name)?;
        if columns[c].ty != ScalarType::Float64 {
            return Err(bad(format!(
                "measure \"{name}\" must be double precision, not {}",
                columns[c].ty.pg_name()
            )));
        }
    }
    for c in columns.iter_mut() {
        c.role = if c.partition {
            ColumnRole::Dimension
        } else {
            match c.ty {
                ScalarType::Text | ScalarType::Date
                    if def.dimensions.as_ref().is_none_or(|d| d.contains(&c.name)) =>
                {
                    ColumnRole::Dimension
                }
                ScalarType::Float64
                    if def.measures.as_ref().is_none_or(|m| m.contains(&c.name)) =>
                {
                    ColumnRole::Measure
                }
                _ => ColumnRole::Plain,
            }
        };
    }
    let mut rollups = vec![RollupDef {
        name: DEFAULT_ROLLUP.to_owned(),
        dimensions: columns
            .iter()
            .filter(|c| c.partition)
            .map(|c| c.name.clone())
            .collect(),
    }];
    for r in def.rollups.iter().flatten() {
        if r.name.is_empty() || rollups.iter().any(|x| x.name == r.name) {
            return Err(bad(format!(
                "rollup name \"{}\" is empty or used twice",
                r.name
            )));
        }
        for d in &r.dimensions {
            let c = find(&columns, d)?;
            if columns[c].role != ColumnRole::Dimension {
                return Err(bad(format!(
                    "rollup \"{}\": \"{d}\" is not a dimension",
                    r.name
                )));
            }
            if r.dimensions.iter().filter(|x| *x == d).count() > 1 {
                return Err(bad(format!("rollup \"{}\" names \"{d}\" twice", r.name)));
            }
        }
        rollups.push(r.clone());
    }
    Ok(TableSchema {
        name: table.to_owned(),
        columns,
        rollups,
    })
}

/// Checks a pushed file and path against an existing schema.
pub fn check_compatible(
    schema: &TableSchema,
    key: &PartitionKey,
    file: &DecodedFile,
) -> Result<()> {
    let mismatch = |detail: String| IndexError::SchemaMismatch {
        table: schema.name.clone(),
        detail,
    };
    let parts: Vec<&str> = schema
        .partition_columns()
        .map(|c| c.name.as_str())
        .collect();
    let given: Vec<&str> = key.values.iter().map(|(c, _)| c.as_str()).collect();
    if parts != given {
        return Err(IndexError::BadPartitionPath {
            path: key.path.clone(),
            reason: format!(
                "table \"{}\" is partitioned by {}",
                schema.name,
                parts.join("/")
            ),
        });
    }
    for col in schema.columns.iter().filter(|c| !c.partition) {
        let fc = file
            .column(&col.name)
            .ok_or_else(|| mismatch(format!("column \"{}\" is missing from the file", col.name)))?;
        if fc.ty != col.ty {
            return Err(mismatch(format!(
                "column \"{}\" has type {} in the file, {} in the table",
                col.name,
                fc.ty.pg_name(),
                col.ty.pg_name()
            )));
        }
    }
    for fc in &file.columns {
        if schema.column(&fc.name).is_none_or(|c| c.partition) {
            return Err(mismatch(format!(
                "column \"{}\" is not in the table",
                fc.name
            )));
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;
    use crate::ingest::{ColumnData, DecodedColumn};
    use crate::partition::parse_partition_path;

    fn file() -> DecodedFile {
        let col = |name: &str, ty, data| DecodedColumn {
            name: name.into(),
            ty,
            nullable: true,
            data,
        };
        DecodedFile {
            rows: 0,
            columns: vec![
                col(
                    "country",
                    ScalarType::Text,
                    ColumnData::Dict {
                        values: vec![],
                        codes: vec![],
                    },
                ),
                col(
                    "temperature",
                    ScalarType::Float64,
                    ColumnData::Float {
                        values: vec![],
                        valid: vec![],
                    },
                ),
                col(
                    "measured_at",
                    ScalarType::TimestampTz,
                    ColumnData::Int {
                        values: vec![],
                        valid: vec![],
                    },
                ),
            ],
        }
    }

    #[test]
    fn infers_roles_and_default_rollup() {
        let key = parse_partition_path("date=2024-06-01/region=eu").unwrap();
        let s = infer_schema("t", &key, &file(), &TableDefinition::default()).unwrap();
        let roles: Vec<_> = s
            .columns
            .iter()
            .map(|c| (c.name.as_str(), c.ty, c.role))
            .collect();
        assert_eq!(
            roles,
            vec![
                ("date", ScalarType::Date, ColumnRole::Dimension),
                ("region", ScalarType::Text, ColumnRole::Dimension),
                ("country", ScalarType::Text, ColumnRole::Dimension),
                ("temperature", ScalarType::Float64, ColumnRole::Measure),
                ("measured_at", ScalarType::TimestampTz, ColumnRole::Plain),
            ]
        );
        assert_eq!(s.rollups[0].dimensions, vec!["date", "region"]);
        check_compatible(&s, &key, &file()).unwrap();
        let other = parse_partition_path("region=eu/date=2024-06-01").unwrap();
        assert!(matches!(
            check_compatible(&s, &other, &file()),
            Err(IndexError::BadPartitionPath { .. })
        ));
        let mut f = file();
        f.columns.pop();
        assert!(matches!(
            check_compatible(&s, &key, &f),
            Err(IndexError::SchemaMismatch { .. })
        ));
    }

    #[test]
    fn definitions_are_validated() {
        let key = parse_partition_path("date=2024-06-01").unwrap();
        let def: TableDefinition = serde_json::from_str(
            r#"{"rollups":[{"name":"by_country","dimensions":["date","country"]}]}"#,
        )
        .unwrap();
        let s = infer_schema("t", &key, &file(), &def).unwrap();
        assert_eq!(s.rollups.len(), 2);
        for bad in [
            r#"{"dimensions":["temperature"]}"#,
            r#"{"measures":["country"]}"#,
            r#"{"rollups":[{"name":"r","dimensions":["nope"]}]}"#,
            r#"{"rollups":[{"name":"r","dimensions":["measured_at"]}]}"#,
        ] {
            let def: TableDefinition = serde_json::from_str(bad).unwrap();
            assert!(
                matches!(
                    infer_schema("t", &key, &file(), &def),
                    Err(IndexError::BadDefinition(_))
                ),
                "{bad}"
            );
        }
        assert!(serde_json::from_str::<TableDefinition>(r#"{"bogus":1}"#).is_err());
    }
}
