//! Catalog tables built from rows of [`V`] values when a query runs.
//!
//! A table is a column spec (`&[(name, Kind)]`) and a function producing its
//! rows from the live [`CatalogState`]; the rows are built at execution (not
//! at planning), so a prepared catalog statement sees tables created since.

use std::collections::HashMap;
use std::sync::{Arc, OnceLock};

use datafusion::arrow::array::{
    ArrayRef, BooleanBuilder, Float32Builder, Float64Builder, Int16Builder, Int32Builder,
    Int64Builder, ListBuilder, RecordBatch, StringBuilder, TimestampMicrosecondBuilder,
};
use datafusion::arrow::datatypes::{DataType, Field, Schema, SchemaRef, TimeUnit};
use datafusion::catalog::TableProvider;
use datafusion::catalog::streaming::StreamingTable;
use datafusion::datasource::MemTable;
use datafusion::error::Result;
use datafusion::execution::{SendableRecordBatchStream, TaskContext};
use datafusion::physical_plan::stream::RecordBatchStreamAdapter;
use datafusion::physical_plan::streaming::PartitionStream;
use datafusion_pg_catalog::pg_catalog::oid_field::OID_ALIAS_KEY;

use super::state::CatalogState;
use crate::session::SessionVars;

/// Field metadata naming a column's PostgreSQL type where Arrow's does not
/// (`name`, `char`, `varchar`, `int2vector`, ...); the protocol describes
/// the column with it.
pub const PG_TYPE_KEY: &str = "pg.type";

/// A column's type in a catalog table.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kind {
    /// `oid` (and reg* aliases): Int32 tagged as an oid, like datafusion-pg-catalog's.
    Oid,
    Int2,
    Int4,
    Int8,
    /// `xid`: Int32 tagged.
    Xid,
    Float4,
    Float8,
    Bool,
    Text,
    /// `pg_node_tree`: text.
    NodeTree,
    /// `anyarray` (`pg_attribute.attmissingval`, always NULL here): text.
    AnyArray,
    /// `name`: an identifier (text on the wire, type 19).
    Name,
    /// `varchar` (`character_data`, `yes_or_no` of `information_schema`).
    Varchar,
    /// `"char"`: one-character text.
    Char,
    TimestampTz,
    /// `text[]`, `name[]`.
    TextArray,
    /// `aclitem[]`: text items.
    AclArray,
    /// `int2[]`.
    Int2Array,
    /// `int2vector` (`pg_index.indkey`).
    Int2Vector,
    /// `oid[]`.
    OidArray,
    /// `oidvector` (`pg_index.indclass`).
    OidVector,
}

/// One value of a row.
#[derive(Debug, Clone, PartialEq)]
pub enum V {
    Null,
    Int(i64),
    Float(f64),
    Bool(bool),
    Text(String),
    Ints(Vec<i64>),
    Texts(Vec<String>),
}

impl From<&str> for V {
    fn from(s: &str) -> V {
        V::Text(s.to_owned())
    }
}
impl From<String> for V {
    fn from(s: String) -> V {
        V::Text(s)
    }
}
impl From<i32> for V {
    fn from(i: i32) -> V {
        V::Int(i64::from(i))
    }
}
impl From<i64> for V {
    fn from(i: i64) -> V {
        V::Int(i)
    }
}
impl From<bool> for V {
    fn from(b: bool) -> V {
        V::Bool(b)
    }
}
impl<T: Into<V>> From<Option<T>> for V {
    fn from(o: Option<T>) -> V {
        o.map_or(V::Null, Into::into)
    }
}

pub type Spec = &'static [(&'static str, Kind)];

/// The Arrow schema of a spec (every column nullable, as catalog views are).
pub fn schema_of(spec: &[(&str, Kind)]) -> SchemaRef {
    Arc::new(Schema::new(
        spec.iter()
            .map(|(name, kind)| field(name, *kind))
            .collect::<Vec<_>>(),
    ))
}

fn field(name: &str, kind: Kind) -> Field {
    let item = |dt| Arc::new(Field::new("item", dt, true));
    let dt = match kind {
        Kind::Oid | Kind::Xid | Kind::Int4 => DataType::Int32,
        Kind::Int2 => DataType::Int16,
        Kind::Int8 => DataType::Int64,
        Kind::Float4 => DataType::Float32,
        Kind::Float8 => DataType::Float64,
        Kind::Bool => DataType::Boolean,
        Kind::Text | Kind::NodeTree | Kind::AnyArray | Kind::Name | Kind::Varchar | Kind::Char => {
            DataType::Utf8
        }
        Kind::TimestampTz => DataType::Timestamp(TimeUnit::Microsecond, Some("+00:00".into())),
        Kind::TextArray | Kind::AclArray => DataType::List(item(DataType::Utf8)),
        Kind::Int2Array | Kind::Int2Vector => DataType::List(item(DataType::Int16)),
        Kind::OidArray | Kind::OidVector => DataType::List(item(DataType::Int32)),
    };
    let f = Field::new(name, dt, true);
    let tag = |key: &str, value: &str| {
        f.clone()
            .with_metadata(HashMap::from([(key.to_owned(), value.to_owned())]))
    };
    match kind {
        Kind::Oid => tag(OID_ALIAS_KEY, "oid"),
        Kind::Name => tag(PG_TYPE_KEY, "name"),
        Kind::Varchar => tag(PG_TYPE_KEY, "varchar"),
        Kind::Char => tag(PG_TYPE_KEY, "char"),
        Kind::Int2Vector => tag(PG_TYPE_KEY, "int2vector"),
        Kind::OidVector => tag(PG_TYPE_KEY, "oidvector"),
        Kind::Xid => tag(PG_TYPE_KEY, "xid"),
        Kind::OidArray => tag(PG_TYPE_KEY, "_oid"),
        Kind::AclArray => tag(PG_TYPE_KEY, "_aclitem"),
        Kind::NodeTree => tag(PG_TYPE_KEY, "pg_node_tree"),
        Kind::AnyArray => tag(PG_TYPE_KEY, "anyarray"),
        _ => f,
    }
}

/// Builds a batch from rows; a value of the wrong shape for its column is NULL.
pub fn batch(schema: &SchemaRef, spec: &[(&str, Kind)], rows: &[Vec<V>]) -> Result<RecordBatch> {
    let mut arrays: Vec<ArrayRef> = Vec::with_capacity(spec.len());
    for (i, (_, kind)) in spec.iter().enumerate() {
        let vals = rows.iter().map(|r| r.get(i).unwrap_or(&V::Null));
        arrays.push(column(*kind, vals));
    }
    Ok(RecordBatch::try_new(schema.clone(), arrays)?)
}

fn column<'a>(kind: Kind, vals: impl Iterator<Item = &'a V>) -> ArrayRef {
    fn int(v: &V) -> Option<i64> {
        match v {
            V::Int(i) => Some(*i),
            _ => None,
        }
    }
    match kind {
        Kind::Oid | Kind::Xid | Kind::Int4 => {
            let mut b = Int32Builder::new();
            vals.for_each(|v| b.append_option(int(v).and_then(|i| i32::try_from(i).ok())));
            Arc::new(b.finish())
        }
        Kind::Int2 => {
            let mut b = Int16Builder::new();
            vals.for_each(|v| b.append_option(int(v).and_then(|i| i16::try_from(i).ok())));
            Arc::new(b.finish())
        }
        Kind::Int8 => {
            let mut b = Int64Builder::new();
            vals.for_each(|v| b.append_option(int(v)));
            Arc::new(b.finish())
        }
        Kind::Float4 => {
            let mut b = Float32Builder::new();
            vals.for_each(|v| {
                b.append_option(match v {
                    V::Float(f) => Some(*f as f32),
                    V::Int(i) => Some(*i as f32),
                    _ => None,
                })
            });
            Arc::new(b.finish())
        }
        Kind::Float8 => {
            let mut b = Float64Builder::new();
            vals.for_each(|v| {
                b.append_option(match v {
                    V::Float(f) => Some(*f),
                    V::Int(i) => Some(*i as f64),
                    _ => None,
                })
            });
            Arc::new(b.finish())
        }
        Kind::Bool => {
            let mut b = BooleanBuilder::new();
            vals.for_each(|v| {
                b.append_option(match v {
                    V::Bool(x) => Some(*x),
                    _ => None,
                })
            });
            Arc::new(b.finish())
        }
        Kind::Text | Kind::NodeTree | Kind::AnyArray | Kind::Name | Kind::Varchar | Kind::Char => {
            let mut b = StringBuilder::new();
            vals.for_each(|v| {
                b.append_option(match v {
                    V::Text(s) => Some(s.as_str()),
                    _ => None,
                })
            });
            Arc::new(b.finish())
        }
        Kind::TimestampTz => {
            let mut b = TimestampMicrosecondBuilder::new().with_timezone("+00:00");
            vals.for_each(|v| b.append_option(int(v)));
            Arc::new(b.finish())
        }
        Kind::TextArray | Kind::AclArray => {
            let mut b = ListBuilder::new(StringBuilder::new());
            for v in vals {
                match v {
                    V::Texts(items) => {
                        for s in items {
                            b.values().append_value(s);
                        }
                        b.append(true);
                    }
                    _ => b.append(false),
                }
            }
            Arc::new(b.finish())
        }
        Kind::Int2Array | Kind::Int2Vector => {
            let mut b = ListBuilder::new(Int16Builder::new());
            for v in vals {
                match v {
                    V::Ints(items) => {
                        for i in items {
                            b.values().append_option(i16::try_from(*i).ok());
                        }
                        b.append(true);
                    }
                    _ => b.append(false),
                }
            }
            Arc::new(b.finish())
        }
        Kind::OidArray | Kind::OidVector => {
            let mut b = ListBuilder::new(Int32Builder::new());
            for v in vals {
                match v {
                    V::Ints(items) => {
                        for i in items {
                            b.values().append_option(i32::try_from(*i).ok());
                        }
                        b.append(true);
                    }
                    _ => b.append(false),
                }
            }
            Arc::new(b.finish())
        }
    }
}

/// Produces a table's rows from the live catalog state.
pub type RowsFn = fn(&CatalogState) -> Vec<Vec<V>>;
/// Rows that depend on the session running the statement (`pg_settings`).
pub type SessionRowsFn = fn(&SessionVars) -> Vec<Vec<V>>;

#[derive(Clone, Copy)]
enum Rows {
    /// Kept by [`CatalogState::built_batch`] under the table's name
    /// (`pg_catalog`'s names start with `pg_`, `information_schema`'s never
    /// do, so a bare name is a unique key).
    Catalog(&'static str, RowsFn),
    /// Built per statement: sessions differ.
    Session(SessionRowsFn),
}

/// A catalog table generated at execution.
#[derive(Clone)]
pub struct Generated {
    schema: SchemaRef,
    spec: Spec,
    state: Arc<CatalogState>,
    rows: Rows,
}

impl std::fmt::Debug for Generated {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Generated")
            .field("schema", &self.schema)
            .finish_non_exhaustive()
    }
}

impl Generated {
    pub fn new(
        name: &'static str,
        spec: Spec,
        state: Arc<CatalogState>,
        rows: RowsFn,
    ) -> Generated {
        Generated {
            schema: schema_of(spec),
            spec,
            state,
            rows: Rows::Catalog(name, rows),
        }
    }

    /// A table whose rows come from the session's settings, which the
    /// engine puts in each statement's configuration.
    pub fn for_session(spec: Spec, state: Arc<CatalogState>, rows: SessionRowsFn) -> Generated {
        Generated {
            schema: schema_of(spec),
            spec,
            state,
            rows: Rows::Session(rows),
        }
    }

    pub fn schema(&self) -> SchemaRef {
        self.schema.clone()
    }

    /// The rows now, as one batch.
    pub fn build(&self) -> Result<RecordBatch> {
        self.build_for(None)
    }

    fn build_for(&self, vars: Option<&SessionVars>) -> Result<RecordBatch> {
        match self.rows {
            Rows::Catalog(name, f) => self
                .state
                .built_batch(name, || batch(&self.schema, self.spec, &f(&self.state))),
            Rows::Session(f) => batch(
                &self.schema,
                self.spec,
                &f(vars.unwrap_or(&SessionVars::default())),
            ),
        }
    }

    pub fn into_provider(self) -> Result<Arc<dyn TableProvider>> {
        let schema = self.schema.clone();
        Ok(Arc::new(StreamingTable::try_new(
            schema,
            vec![Arc::new(self)],
        )?))
    }
}

impl PartitionStream for Generated {
    fn schema(&self) -> &SchemaRef {
        &self.schema
    }

    fn execute(&self, ctx: Arc<TaskContext>) -> SendableRecordBatchStream {
        let vars = ctx.session_config().get_extension::<SessionVars>();
        let batch = self.build_for(vars.as_deref());
        Box::pin(RecordBatchStreamAdapter::new(
            self.schema.clone(),
            futures::stream::once(async move { batch }),
        ))
    }
}

/// A table of fixed rows (PostgreSQL 15 data shipped with the server),
/// built on first use and kept in `cell`.
pub fn kept_table(
    cell: &OnceLock<Arc<MemTable>>,
    spec: Spec,
    rows: fn() -> Vec<Vec<V>>,
) -> Result<Arc<MemTable>> {
    if let Some(t) = cell.get() {
        return Ok(t.clone());
    }
    let schema = schema_of(spec);
    let batch = batch(&schema, spec, &rows())?;
    let table = Arc::new(MemTable::try_new(schema, vec![vec![batch]])?);
    Ok(cell.get_or_init(|| table).clone())
}
