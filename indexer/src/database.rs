//! [`Database`]: the facade the server and the SQL face use.
//!
//! Durability and visibility: a push decodes and builds its segment outside
//! any lock, writes it durably under a fresh version, maps it, and only then
//! takes the commit lock to append one manifest record and swap the table's
//! snapshot. A failure at any step removes the new file and leaves the
//! previous version serving. Queries clone a snapshot `Arc` and never wait
//! for a push.
//!
//! Corruption: a segment failing to open at startup, or failing a section CRC
//! on first access during a query, is moved to quarantine, recorded in the
//! manifest, and its partition becomes *unavailable*: any later query that
//! would need it fails with `Corrupted` (never a silently smaller answer)
//! until the partition is pushed again or deleted.

use std::collections::{BTreeMap, HashSet};
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::Instant;

use bytes::Bytes;
use isotherm_storage::layout::{segment_file_name, segment_path, segments_dir};
use isotherm_storage::{
    DataDirLock, ManifestEdit, ManifestLog, PartitionState, Segment, SegmentWriter, StorageError,
    quarantine, remove_unreferenced, validate_table_name,
};
use parking_lot::{Mutex, RwLock};

use crate::error::{IndexError, Result};
use crate::ingest::decode_parquet;
use crate::partition::parse_partition_path;
use crate::query::compile::{CExpr, Compiled};
use crate::query::exec;
use crate::query::plan::{self, PathChoice};
use crate::query::request::{AggregateRequest, Explain, ResultSet, ScanRequest};
use crate::schema::TableSchema;
use crate::segment::build::build_segment;
use crate::segment::read::{LoadedSegment, SegmentId};
use crate::table::{
    PartitionInfo, QuarantineInfo, StoredTable, Table, TableDefinition, TableInfo, TableSnapshot,
    Unavailable, apply_definition, check_compatible, infer_schema,
};

/// What a startup found and did.
#[derive(Debug, Clone, Default, PartialEq, serde::Serialize)]
pub struct RecoveryReport {
    pub segments_opened: usize,
    pub quarantined: Vec<RecoveredQuarantine>,
    /// Segment files no manifest record names, removed.
    pub removed_files: usize,
    pub elapsed_ms: u64,
}

#[derive(Debug, Clone, PartialEq, serde::Serialize)]
pub struct RecoveredQuarantine {
    pub table: String,
    pub partition: String,
    pub file: String,
    pub reason: String,
}

#[derive(Debug, Clone, PartialEq, serde::Serialize)]
pub struct PutOutcome {
    pub table: String,
    /// The normalized partition path.
    pub partition: String,
    pub version: u64,
    pub rows: u64,
    pub bytes: u64,
    pub elapsed_ms: u64,
}

#[derive(Debug, Clone, PartialEq, serde::Serialize)]
pub struct DeleteOutcome {
    pub table: String,
    pub partition: String,
    /// The version that stopped serving (0 if the partition was unavailable).
    pub version: u64,
    pub elapsed_ms: u64,
}

/// The index over one data directory. `Send + Sync`.
pub struct Database {
    data_dir: PathBuf,
    _lock: DataDirLock,
    manifest: ManifestLog,
    /// Serializes commits and snapshot swaps.
    commit_lock: Mutex<()>,
    tables: RwLock<BTreeMap<String, Arc<Table>>>,
    recovery: RecoveryReport,
}

fn io_error(path: &Path, source: std::io::Error) -> IndexError {
    IndexError::Storage(StorageError::Io {
        path: path.to_path_buf(),
        source,
    })
}

fn elapsed_ms(t0: Instant) -> u64 {
    u64::try_from(t0.elapsed().as_millis()).unwrap_or(u64::MAX)
}

/// Whether an open failure means the file is bad (quarantine) rather than the system.
fn is_bad_segment(e: &IndexError) -> bool {
    match e {
        IndexError::Corrupted { .. } | IndexError::Internal(_) => true,
        IndexError::Storage(StorageError::Io { source, .. }) => {
            source.kind() == std::io::ErrorKind::NotFound
        }
        IndexError::Storage(s) => s.is_corruption(),
        _ => false,
    }
}

/// A table name storage can use as a directory; a bad one is the user's mistake.
fn check_table_name(table: &str) -> Result<()> {
    validate_table_name(table)
        .map_err(|e| IndexError::BadDefinition(format!("invalid table name: {e}")))
}

fn encode_stored(stored: &StoredTable) -> Result<serde_json::Value> {
    serde_json::to_value(stored)
        .map_err(|e| IndexError::Internal(format!("encode table definition: {e}")))
}

/// Opens a segment file and adds its dictionary slice to the table's dictionaries.
fn open_segment(
    table: &Table,
    schema: Option<&TableSchema>,
    id: SegmentId,
) -> Result<Arc<LoadedSegment>> {
    let seg = Segment::open(&id.path).map_err(|e| crate::segment::read::to_index_error(&id, e))?;
    let loaded = LoadedSegment::open(Box::new(seg), id)?;
    if let Some(schema) = schema {
        let same = loaded.meta.columns.len() == schema.columns.len()
            && loaded
                .meta
                .columns
                .iter()
                .zip(&schema.columns)
                .all(|(m, c)| m.name == c.name && m.ty == c.ty);
        if !same {
            return Err(IndexError::Internal(
                "segment columns differ from the table schema".into(),
            ));
        }
    }
    loaded.merge_dictionaries(&table.dicts)?;
    Ok(Arc::new(loaded))
}

fn unavailable_from(partition: &str, path: PathBuf) -> Unavailable {
    Unavailable {
        values: parse_partition_path(partition)
            .map(|k| k.values)
            .unwrap_or_default(),
        path,
    }
}

impl Database {
    /// Opens (creating if needed) the data directory: takes its lock, replays
    /// the manifest, removes unreferenced segment files and maps every live
    /// segment. Bad segments are quarantined; the rest serve.
    pub fn open(data_dir: &Path) -> Result<Database> {
        let t0 = Instant::now();
        std::fs::create_dir_all(data_dir).map_err(|e| io_error(data_dir, e))?;
        let lock = DataDirLock::acquire(data_dir)?;
        let (manifest, state) = ManifestLog::open(data_dir)?;
        let removed = remove_unreferenced(data_dir, &state.live_files())?;
        let mut report = RecoveryReport {
            removed_files: removed.len(),
            ..RecoveryReport::default()
        };
        let mut tables = BTreeMap::new();
        for (name, ts) in &state.tables {
            let stored: StoredTable = if ts.definition.is_null() {
                StoredTable::default()
            } else {
                serde_json::from_value(ts.definition.clone()).map_err(|e| {
                    IndexError::Internal(format!("table \"{name}\" definition: {e}"))
                })?
            };
            let table = Table::new(name);
            let mut snap = TableSnapshot {
                exists: true,
                schema: stored.schema.clone().map(Arc::new),
                stored,
                ..TableSnapshot::default()
            };
            let mut new_quarantine = Vec::new();
            let opened = open_all(data_dir, &table, snap.schema.as_deref(), &ts.partitions)?;
            for ((partition, ps), (path, result)) in ts.partitions.iter().zip(opened) {
                match result {
                    Ok(seg) => {
                        snap.segments.insert(partition.clone(), seg);
                        report.segments_opened += 1;
                    }
                    Err(e) if is_bad_segment(&e) => {
                        let reason = format!("failed to open: {e}");
                        tracing::error!(table = %name, partition = %partition, path = %path.display(), %reason, "quarantining segment");
                        if path.exists() {
                            quarantine(data_dir, name, &path)?;
                        }
                        new_quarantine.push(ManifestEdit::Quarantine {
                            table: name.clone(),
                            partition: partition.clone(),
                            file: ps.file.clone(),
                            reason: reason.clone(),
                        });
                        report.quarantined.push(RecoveredQuarantine {
                            table: name.clone(),
                            partition: partition.clone(),
                            file: ps.file.clone(),
                            reason,
                        });
                    }
                    Err(e) => return Err(e),
                }
            }
            if !new_quarantine.is_empty() {
                manifest.commit(&new_quarantine)?;
            }
            let records = ts
                .quarantined
                .iter()
                .map(|r| (r.partition.clone(), r.file.clone(), r.reason.clone()))
                .chain(new_quarantine.iter().filter_map(|e| match e {
                    ManifestEdit::Quarantine {
                        partition,
                        file,
                        reason,
                        ..
                    } => Some((partition.clone(), file.clone(), reason.clone())),
                    _ => None,
                }));
            for (partition, file, reason) in records {
                if !snap
                    .stored
                    .resolved
                    .contains(&(partition.clone(), file.clone()))
                    && !snap.segments.contains_key(&partition)
                {
                    let qpath =
                        isotherm_storage::layout::quarantine_dir(data_dir, name)?.join(&file);
                    snap.unavailable
                        .insert(partition.clone(), unavailable_from(&partition, qpath));
                }
                snap.quarantined.push(QuarantineInfo {
                    partition,
                    file,
                    reason,
                });
            }
            *table.state.write() = Arc::new(snap);
            tables.insert(name.clone(), Arc::new(table));
        }
        report.elapsed_ms = elapsed_ms(t0);
        tracing::info!(
            segments = report.segments_opened,
            quarantined = report.quarantined.len(),
            removed = report.removed_files,
            ms = report.elapsed_ms,
            "database open"
        );
        Ok(Database {
            data_dir: data_dir.to_path_buf(),
            _lock: lock,
            manifest,
            commit_lock: Mutex::new(()),
            tables: RwLock::new(tables),
            recovery: report,
        })
    }

    pub fn data_dir(&self) -> &Path {
        &self.data_dir
    }

    pub fn recovery_report(&self) -> RecoveryReport {
        self.recovery.clone()
    }

    /// The table if it exists (committed).
    fn table(&self, name: &str) -> Result<(Arc<Table>, Arc<TableSnapshot>)> {
        let t = self
            .tables
            .read()
            .get(name)
            .cloned()
            .ok_or_else(|| IndexError::UnknownTable(name.to_owned()))?;
        let snap = t.snapshot();
        if !snap.exists {
            return Err(IndexError::UnknownTable(name.to_owned()));
        }
        Ok((t, snap))
    }

    /// The in-memory table entry, created (uncommitted) if missing.
    fn table_entry(&self, name: &str) -> Arc<Table> {
        if let Some(t) = self.tables.read().get(name) {
            return t.clone();
        }
        self.tables
            .write()
            .entry(name.to_owned())
            .or_insert_with(|| Arc::new(Table::new(name)))
            .clone()
    }

    /// Indexes one partition and commits it durably, replacing any previous version.
    pub fn put_partition(
        &self,
        table: &str,
        partition_path: &str,
        parquet: Bytes,
    ) -> Result<PutOutcome> {
        let t0 = Instant::now();
        check_table_name(table)?;
        let key = parse_partition_path(partition_path)?;
        let file = decode_parquet(parquet)?;
        let t = self.table_entry(table);
        let snap = t.snapshot();
        let schema = match &snap.schema {
            Some(s) => {
                check_compatible(s, &key, &file)?;
                s.clone()
            }
            None => Arc::new(infer_schema(table, &key, &file, &snap.stored.definition)?),
        };
        let built = build_segment(&schema, &key, &file, &t.dicts)?;
        drop(file);
        let rows = built.meta.rows;
        let version = self.manifest.allocate_version();
        let file_name = segment_file_name(version);
        let dir = segments_dir(&self.data_dir, table)?;
        let mut writer = SegmentWriter::new();
        for (id, bytes) in built.sections {
            writer.add_section(id, bytes);
        }
        let bytes = writer.write_to(&dir, &file_name)?;
        let path = dir.join(&file_name);
        let id = SegmentId {
            table: table.to_owned(),
            partition: key.path.clone(),
            version,
            file: file_name.clone(),
            path: path.clone(),
            bytes,
        };
        let committed = self.commit_segment(&t, &schema, id);
        match committed {
            Ok(old) => {
                if let Some(old) = old {
                    // Readers holding the old snapshot keep their mapping; unlinking is safe.
                    let _ = std::fs::remove_file(&old);
                }
                Ok(PutOutcome {
                    table: table.to_owned(),
                    partition: key.path,
                    version,
                    rows,
                    bytes,
                    elapsed_ms: elapsed_ms(t0),
                })
            }
            Err(e) => {
                let _ = std::fs::remove_file(&path);
                Err(e)
            }
        }
    }

    /// Maps the new segment and commits it; returns the replaced file's path.
    fn commit_segment(
        &self,
        t: &Table,
        schema: &Arc<TableSchema>,
        id: SegmentId,
    ) -> Result<Option<PathBuf>> {
        let seg = open_segment(t, None, id.clone())?;
        let _guard = self.commit_lock.lock();
        let cur = t.snapshot();
        let mut next = (*cur).clone();
        let mut put_table = !cur.exists;
        match &cur.schema {
            Some(s) if **s != **schema => {
                return Err(IndexError::SchemaMismatch {
                    table: t.name.clone(),
                    detail: "the table's schema changed while this partition was being indexed"
                        .into(),
                });
            }
            Some(_) => {}
            None => {
                next.stored.schema = Some((**schema).clone());
                next.schema = Some(schema.clone());
                put_table = true;
            }
        }
        put_table |= resolve_quarantine(&mut next, &id.partition);
        let mut edits = Vec::new();
        if put_table {
            edits.push(ManifestEdit::PutTable {
                table: t.name.clone(),
                definition: encode_stored(&next.stored)?,
            });
        }
        edits.push(ManifestEdit::AddSegment {
            table: t.name.clone(),
            partition: id.partition.clone(),
            version: id.version,
            file: id.file.clone(),
            rows: seg.meta.rows,
            bytes: id.bytes,
        });
        self.manifest.commit(&edits)?;
        next.exists = true;
        let old = next
            .segments
            .insert(id.partition.clone(), seg)
            .map(|s| s.id.path.clone());
        *t.state.write() = Arc::new(next);
        Ok(old)
    }

    /// Removes a partition (or clears an unavailable one).
    pub fn delete_partition(&self, table: &str, partition_path: &str) -> Result<DeleteOutcome> {
        let t0 = Instant::now();
        let key = parse_partition_path(partition_path)?;
        let (t, _) = self.table(table)?;
        let _guard = self.commit_lock.lock();
        let cur = t.snapshot();
        let mut next = (*cur).clone();
        let live = next.segments.remove(&key.path);
        let unavailable = next.unavailable.contains_key(&key.path);
        if live.is_none() && !unavailable {
            return Err(IndexError::UnknownPartition {
                table: table.to_owned(),
                partition: key.path,
            });
        }
        let mut edits = Vec::new();
        if resolve_quarantine(&mut next, &key.path) {
            edits.push(ManifestEdit::PutTable {
                table: table.to_owned(),
                definition: encode_stored(&next.stored)?,
            });
        }
        edits.push(ManifestEdit::RemovePartition {
            table: table.to_owned(),
            partition: key.path.clone(),
        });
        self.manifest.commit(&edits)?;
        *t.state.write() = Arc::new(next);
        if let Some(seg) = &live {
            let _ = std::fs::remove_file(&seg.id.path);
        }
        Ok(DeleteOutcome {
            table: table.to_owned(),
            partition: key.path,
            version: live.map_or(0, |s| s.id.version),
            elapsed_ms: elapsed_ms(t0),
        })
    }

    /// Sets a table's dimensions, measures and rollups (see [`TableDefinition`]).
    pub fn define_table(&self, table: &str, def: TableDefinition) -> Result<TableInfo> {
        check_table_name(table)?;
        let t = self.table_entry(table);
        let _guard = self.commit_lock.lock();
        let cur = t.snapshot();
        let mut next = (*cur).clone();
        match &cur.schema {
            None => {
                let mut names = HashSet::new();
                for r in def.rollups.iter().flatten() {
                    if r.name.is_empty()
                        || r.name == crate::table::DEFAULT_ROLLUP
                        || !names.insert(r.name.clone())
                    {
                        return Err(IndexError::BadDefinition(format!(
                            "rollup name \"{}\" is empty, reserved or used twice",
                            r.name
                        )));
                    }
                }
            }
            Some(schema) => {
                let new_schema = apply_definition(table, schema.columns.clone(), &def)?;
                if new_schema != **schema {
                    if !cur.segments.is_empty() || !cur.unavailable.is_empty() {
                        let what = if new_schema.rollups != schema.rollups {
                            "adding a rollup to a table with data (backfill)"
                        } else {
                            "changing column roles of a table with data (backfill)"
                        };
                        return Err(IndexError::Unsupported(what.into()));
                    }
                    next.stored.schema = Some(new_schema.clone());
                    next.schema = Some(Arc::new(new_schema));
                }
            }
        }
        next.stored.definition = def;
        self.manifest.commit(&[ManifestEdit::PutTable {
            table: table.to_owned(),
            definition: encode_stored(&next.stored)?,
        }])?;
        next.exists = true;
        let info = next.info(table);
        *t.state.write() = Arc::new(next);
        Ok(info)
    }

    pub fn list_tables(&self) -> Vec<TableInfo> {
        self.tables
            .read()
            .iter()
            .filter_map(|(name, t)| {
                let s = t.snapshot();
                s.exists.then(|| s.info(name))
            })
            .collect()
    }

    pub fn table_info(&self, table: &str) -> Result<TableInfo> {
        let (_, snap) = self.table(table)?;
        Ok(snap.info(table))
    }

    pub fn partitions(&self, table: &str) -> Result<Vec<PartitionInfo>> {
        let (_, snap) = self.table(table)?;
        Ok(snap.partitions())
    }

    /// The table's schema; `UnknownTable` until its first partition arrives.
    pub fn schema(&self, table: &str) -> Result<Arc<TableSchema>> {
        let (_, snap) = self.table(table)?;
        snap.schema
            .clone()
            .ok_or_else(|| IndexError::UnknownTable(table.to_owned()))
    }

    fn compile_aggregate(&self, req: &AggregateRequest) -> Result<(Compiled, Arc<TableSnapshot>)> {
        let (t, snap) = self.table(&req.table)?;
        let schema = snap
            .schema
            .clone()
            .ok_or_else(|| IndexError::UnknownTable(req.table.clone()))?;
        let mut q = Compiled::aggregate(schema, req)?;
        q.prepare(&t.dicts);
        Ok((q, snap))
    }

    fn compile_scan(&self, req: &ScanRequest) -> Result<(Compiled, Arc<TableSnapshot>)> {
        let (t, snap) = self.table(&req.table)?;
        let schema = snap
            .schema
            .clone()
            .ok_or_else(|| IndexError::UnknownTable(req.table.clone()))?;
        let mut q = Compiled::new(schema);
        q.set_filter(req.filter.as_ref())?;
        for e in &req.columns {
            q.select.push(CExpr::from_expr(&q.schema, e)?);
        }
        q.prepare(&t.dicts);
        Ok((q, snap))
    }

    pub fn aggregate(&self, req: &AggregateRequest) -> Result<ResultSet> {
        self.aggregate_via(req, None)
    }

    /// Like [`Database::aggregate`], forced along one path (`"rollup"`,
    /// `"value-stats"`, `"bitmap-scan"`, `"scan"`); `Unsupported` if that path
    /// cannot answer. For tests that compare paths.
    #[doc(hidden)]
    pub fn aggregate_via(&self, req: &AggregateRequest, path: Option<&str>) -> Result<ResultSet> {
        let p = self.plan_aggregate(req, path)?;
        exec::run_aggregate(&p.q, &p.segs, &p.choice.kind).map_err(|e| self.on_query_error(e))
    }

    /// Answers `req` if its path reads at most `budget` entries (rollup
    /// groups, value-index entries or rows, see [`plan::work`]); `None`,
    /// having run nothing, if it would read more. Lets a caller answer cheap
    /// requests where it stands and send the rest to a pool of threads.
    pub fn aggregate_within(
        &self,
        req: &AggregateRequest,
        budget: usize,
    ) -> Result<Option<ResultSet>> {
        let p = self.plan_aggregate(req, None)?;
        if plan::work(&p.q, &p.segs, &p.choice.kind).map_err(|e| self.on_query_error(e))? > budget {
            return Ok(None);
        }
        exec::run_aggregate(&p.q, &p.segs, &p.choice.kind)
            .map(Some)
            .map_err(|e| self.on_query_error(e))
    }

    /// The paths that can answer `req`, best first.
    #[doc(hidden)]
    pub fn aggregate_paths(&self, req: &AggregateRequest) -> Result<Vec<String>> {
        let (q, _) = self.compile_aggregate(req)?;
        Ok(plan::aggregate_paths(&q)
            .iter()
            .map(|c| c.kind.name().to_owned())
            .collect())
    }

    pub fn scan(&self, req: &ScanRequest) -> Result<ResultSet> {
        self.scan_via(req, None)
    }

    #[doc(hidden)]
    pub fn scan_via(&self, req: &ScanRequest, path: Option<&str>) -> Result<ResultSet> {
        let p = self.plan_scan(req, path)?;
        exec::run_scan(&p.q, &p.segs, &p.choice.kind, req.limit).map_err(|e| self.on_query_error(e))
    }

    pub fn explain_aggregate(&self, req: &AggregateRequest) -> Result<Explain> {
        Ok(self.plan_aggregate(req, None)?.explain())
    }

    pub fn explain_scan(&self, req: &ScanRequest) -> Result<Explain> {
        Ok(self.plan_scan(req, None)?.explain())
    }

    /// Compiles `req`, picks its path (the best, or `path`) and prunes.
    fn plan_aggregate(&self, req: &AggregateRequest, path: Option<&str>) -> Result<Planned> {
        let (q, snap) = self.compile_aggregate(req)?;
        let choice = pick(plan::aggregate_paths(&q), path)?;
        Planned::new(q, choice, &snap)
    }

    fn plan_scan(&self, req: &ScanRequest, path: Option<&str>) -> Result<Planned> {
        let (q, snap) = self.compile_scan(req)?;
        let choice = pick(plan::filter_paths(&q), path)?;
        Planned::new(q, choice, &snap)
    }

    /// A query met a corrupted section: quarantine that segment now.
    fn on_query_error(&self, e: IndexError) -> IndexError {
        if let IndexError::Corrupted {
            table,
            partition,
            path,
        } = &e
            && let Err(qe) = self.quarantine_live(table, partition, path)
        {
            tracing::error!(%table, %partition, error = %qe, "could not quarantine a corrupted segment");
        }
        e
    }

    fn quarantine_live(&self, table: &str, partition: &str, path: &Path) -> Result<()> {
        let Some(t) = self.tables.read().get(table).cloned() else {
            return Ok(());
        };
        let _guard = self.commit_lock.lock();
        let cur = t.snapshot();
        let Some(seg) = cur.segments.get(partition).filter(|s| s.id.path == path) else {
            return Ok(());
        };
        let reason = "section checksum mismatch on first access".to_owned();
        tracing::error!(%table, %partition, path = %path.display(), "corrupted segment: quarantining");
        let moved = quarantine(&self.data_dir, table, path)?;
        self.manifest.commit(&[ManifestEdit::Quarantine {
            table: table.to_owned(),
            partition: partition.to_owned(),
            file: seg.id.file.clone(),
            reason: reason.clone(),
        }])?;
        let mut next = (*cur).clone();
        next.segments.remove(partition);
        next.unavailable
            .insert(partition.to_owned(), unavailable_from(partition, moved));
        next.quarantined.push(QuarantineInfo {
            partition: partition.to_owned(),
            file: seg.id.file.clone(),
            reason,
        });
        *t.state.write() = Arc::new(next);
        Ok(())
    }
}

type Opened = (PathBuf, Result<Arc<LoadedSegment>>);

/// Opens a table's live segments on two threads.
fn open_all(
    data_dir: &Path,
    table: &Table,
    schema: Option<&TableSchema>,
    partitions: &BTreeMap<String, PartitionState>,
) -> Result<Vec<Opened>> {
    let jobs: Vec<(SegmentId, PathBuf)> = partitions
        .iter()
        .map(|(partition, ps)| {
            let path = segment_path(data_dir, &table.name, &ps.file)?;
            Ok((segment_id(&table.name, partition, ps, path.clone()), path))
        })
        .collect::<Result<_>>()?;
    let open = |chunk: &[(SegmentId, PathBuf)]| -> Vec<Opened> {
        chunk
            .iter()
            .map(|(id, path)| (path.clone(), open_segment(table, schema, id.clone())))
            .collect()
    };
    let half = jobs.len().div_ceil(2);
    let (a, b) = jobs.split_at(half);
    let mut out = std::thread::scope(|s| {
        let other = s.spawn(|| open(b));
        let mut first = open(a);
        match other.join() {
            Ok(rest) => first.extend(rest),
            Err(_) => first.extend(b.iter().map(|(_, path)| {
                (
                    path.clone(),
                    Err(IndexError::Internal("segment open thread panicked".into())),
                )
            })),
        }
        first
    });
    out.truncate(jobs.len());
    Ok(out)
}

fn segment_id(table: &str, partition: &str, ps: &PartitionState, path: PathBuf) -> SegmentId {
    SegmentId {
        table: table.to_owned(),
        partition: partition.to_owned(),
        version: ps.version,
        file: ps.file.clone(),
        path,
        bytes: ps.bytes,
    }
}

/// Marks the partition's quarantine records resolved; true if any was new.
fn resolve_quarantine(snap: &mut TableSnapshot, partition: &str) -> bool {
    let mut changed = false;
    for q in snap.quarantined.iter().filter(|q| q.partition == partition) {
        let key = (q.partition.clone(), q.file.clone());
        if !snap.stored.resolved.contains(&key) {
            snap.stored.resolved.push(key);
            changed = true;
        }
    }
    snap.unavailable.remove(partition);
    changed
}

/// A request compiled, its path chosen, its segments pruned.
struct Planned {
    q: Compiled,
    choice: PathChoice,
    segs: Vec<Arc<LoadedSegment>>,
    /// Segments of the table before pruning.
    total: usize,
}

impl Planned {
    fn new(q: Compiled, choice: PathChoice, snap: &TableSnapshot) -> Result<Planned> {
        let segs = plan::prune(&q, snap)?;
        Ok(Planned {
            q,
            choice,
            segs,
            total: snap.segments.len(),
        })
    }

    fn explain(&self) -> Explain {
        plan::explain(&self.choice, self.total, self.segs.len())
    }
}

fn pick(choices: Vec<PathChoice>, path: Option<&str>) -> Result<PathChoice> {
    match path {
        None => choices.into_iter().next(),
        Some(name) => choices.into_iter().find(|c| c.kind.name() == name),
    }
    .ok_or_else(|| IndexError::Unsupported(format!("answering this request along path {path:?}")))
}
