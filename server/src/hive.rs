//! Discovery of Hive-style partition directories, shared by `push`, the
//! admin API's load jobs and `demo`.
//!
//! ```text
//! ROOT/date=2024-01-01/region=europe/part-00000.parquet
//!      \______ partition path _____/
//! ```
//!
//! Every directory holding `*.parquet` files is one partition; its path is
//! the directory's components relative to ROOT joined by `/`, exactly as
//! found (the index parses and checks the `col=value` parts). Names starting
//! with `.` or `_` (`_SUCCESS`, `.part.crc`, temporary files) are ignored.
//! Partitions come back sorted by path.
//!
//! The index keeps one file per partition version, so a partition directory
//! with several Parquet files cannot be pushed as is: [`HivePartition::single_file`]
//! reports it (merge the files first).

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use crate::error::{Result, ServerError};

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct HivePartition {
    /// `date=2024-01-01/region=europe`; empty for files directly in ROOT.
    pub path: String,
    pub dir: PathBuf,
    /// The partition's Parquet files, sorted.
    pub files: Vec<PathBuf>,
}

impl HivePartition {
    /// The one file to push, or why this partition cannot be pushed.
    pub fn single_file(&self) -> Result<&Path> {
        if self.path.is_empty() {
            return Err(ServerError::Hive {
                path: self.dir.clone(),
                reason:
                    "Parquet files must sit in col=value partition directories, not in the root"
                        .into(),
            });
        }
        match self.files.as_slice() {
            [one] => Ok(one),
            files => Err(ServerError::Hive {
                path: self.dir.clone(),
                reason: format!(
                    "partition {} holds {} Parquet files; Isotherm takes one file per partition (merge them first)",
                    self.path,
                    files.len()
                ),
            }),
        }
    }
}

/// Finds every partition under `root`. Errors if `root` is not a readable directory.
pub fn discover(root: &Path) -> Result<Vec<HivePartition>> {
    let meta = std::fs::metadata(root)
        .map_err(|e| ServerError::io(format!("reading {}", root.display()), e))?;
    if !meta.is_dir() {
        return Err(ServerError::Hive {
            path: root.to_path_buf(),
            reason: "not a directory".into(),
        });
    }
    let mut found: BTreeMap<String, HivePartition> = BTreeMap::new();
    walk(root, root, &mut found)?;
    let mut parts: Vec<HivePartition> = found.into_values().collect();
    for p in &mut parts {
        p.files.sort();
    }
    Ok(parts)
}

fn walk(root: &Path, dir: &Path, found: &mut BTreeMap<String, HivePartition>) -> Result<()> {
    let entries = std::fs::read_dir(dir)
        .map_err(|e| ServerError::io(format!("listing {}", dir.display()), e))?;
    for entry in entries {
        let entry = entry.map_err(|e| ServerError::io(format!("listing {}", dir.display()), e))?;
        let name = entry.file_name();
        let Some(name) = name.to_str() else {
            return Err(ServerError::Hive {
                path: entry.path(),
                reason: "name is not UTF-8".into(),
            });
        };
        if name.starts_with('.') || name.starts_with('_') {
            continue;
        }
        let path = entry.path();
        // Follow symlinks: datasets are often linked in.
        let meta = std::fs::metadata(&path)
            .map_err(|e| ServerError::io(format!("reading {}", path.display()), e))?;
        if meta.is_dir() {
            walk(root, &path, found)?;
        } else if meta.is_file() && name.ends_with(".parquet") {
            let partition = relative_path(root, dir)?;
            found
                .entry(partition.clone())
                .or_insert_with(|| HivePartition {
                    path: partition,
                    dir: dir.to_path_buf(),
                    files: Vec::new(),
                })
                .files
                .push(path);
        }
    }
    Ok(())
}

fn relative_path(root: &Path, dir: &Path) -> Result<String> {
    let rel = dir.strip_prefix(root).map_err(|_| ServerError::Hive {
        path: dir.to_path_buf(),
        reason: format!("not under {}", root.display()),
    })?;
    let mut parts = Vec::new();
    for c in rel.components() {
        match c.as_os_str().to_str() {
            Some(s) => parts.push(s),
            None => {
                return Err(ServerError::Hive {
                    path: dir.to_path_buf(),
                    reason: "name is not UTF-8".into(),
                });
            }
        }
    }
    Ok(parts.join("/"))
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;

    fn touch(root: &Path, rel: &str) {
        let p = root.join(rel);
        std::fs::create_dir_all(p.parent().unwrap()).unwrap();
        std::fs::write(p, b"x").unwrap();
    }

    #[test]
    fn finds_nested_partitions_sorted_and_skips_hidden() {
        let dir = tempfile::tempdir().unwrap();
        let r = dir.path();
        touch(r, "date=2024-01-02/region=europe/part-00000.parquet");
        touch(r, "date=2024-01-01/region=europe/part-00000.parquet");
        touch(r, "date=2024-01-01/region=asia/part-00000.parquet");
        touch(r, "date=2024-01-01/region=asia/_SUCCESS");
        touch(r, "date=2024-01-01/region=asia/.part-00000.parquet.crc");
        touch(r, "date=2024-01-01/region=asia/notes.txt");
        touch(r, "_tmp/date=2024-01-03/part-00000.parquet");
        touch(r, "_GENERATED");
        let parts = discover(r).unwrap();
        let paths: Vec<&str> = parts.iter().map(|p| p.path.as_str()).collect();
        assert_eq!(
            paths,
            [
                "date=2024-01-01/region=asia",
                "date=2024-01-01/region=europe",
                "date=2024-01-02/region=europe"
            ]
        );
        assert_eq!(parts[0].files.len(), 1);
        assert_eq!(
            parts[0].single_file().unwrap(),
            r.join("date=2024-01-01/region=asia/part-00000.parquet")
        );
    }

    #[test]
    fn several_files_or_root_files_are_reported() {
        let dir = tempfile::tempdir().unwrap();
        let r = dir.path();
        touch(r, "date=2024-01-01/part-00000.parquet");
        touch(r, "date=2024-01-01/part-00001.parquet");
        touch(r, "stray.parquet");
        let parts = discover(r).unwrap();
        assert_eq!(parts.len(), 2);
        assert_eq!(parts[0].path, "");
        assert!(matches!(
            parts[0].single_file(),
            Err(ServerError::Hive { .. })
        ));
        let err = parts[1].single_file().unwrap_err().to_string();
        assert!(err.contains("2 Parquet files"), "{err}");
    }

    #[test]
    fn missing_or_file_root_is_an_error() {
        let dir = tempfile::tempdir().unwrap();
        assert!(matches!(
            discover(&dir.path().join("nope")),
            Err(ServerError::Io { .. })
        ));
        touch(dir.path(), "f.parquet");
        assert!(matches!(
            discover(&dir.path().join("f.parquet")),
            Err(ServerError::Hive { .. })
        ));
    }
}
