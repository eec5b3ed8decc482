//! A table's schema: columns, their types and their roles in the index.
//!
//! A table is created by its first push: the Parquet file's columns plus the
//! partition columns named in the path (`date=...` typed `date`, any other
//! partition column `text`). Text and date columns are *dimensions*
//! (dictionary and bitmaps), floating-point columns *measures* (sum/min/max/count
//! in rollups and value stats), anything else (timestamps) a *plain* column
//! kept for detail rows and row-level filters.

use crate::value::ScalarType;

#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum ColumnRole {
    Dimension,
    Measure,
    Plain,
}

#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct ColumnDef {
    pub name: String,
    #[serde(rename = "type")]
    pub ty: ScalarType,
    pub role: ColumnRole,
    /// True for columns whose value comes from the partition path.
    pub partition: bool,
    pub nullable: bool,
}

/// A pre-aggregation: groups by `dimensions`, keeps count and, per measure,
/// sum, min, max and non-null count, plus distinct-id bitmaps per dimension.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct RollupDef {
    pub name: String,
    pub dimensions: Vec<String>,
}

#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct TableSchema {
    pub name: String,
    /// Partition columns first (in path order), then the file's columns.
    pub columns: Vec<ColumnDef>,
    pub rollups: Vec<RollupDef>,
}

impl TableSchema {
    pub fn column(&self, name: &str) -> Option<&ColumnDef> {
        self.columns.iter().find(|c| c.name == name)
    }

    pub fn column_index(&self, name: &str) -> Option<usize> {
        self.columns.iter().position(|c| c.name == name)
    }

    pub fn partition_columns(&self) -> impl Iterator<Item = &ColumnDef> {
        self.columns.iter().filter(|c| c.partition)
    }

    pub fn dimensions(&self) -> impl Iterator<Item = &ColumnDef> {
        self.columns
            .iter()
            .filter(|c| c.role == ColumnRole::Dimension)
    }

    pub fn measures(&self) -> impl Iterator<Item = &ColumnDef> {
        self.columns
            .iter()
            .filter(|c| c.role == ColumnRole::Measure)
    }
}
