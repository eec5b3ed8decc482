//! Parquet output for generated batches: Snappy-compressed, one file per
//! partition, written to a temporary name and renamed so an interrupted run
//! never leaves a half-written `part-00000.parquet`.

use std::fs::File;
use std::path::Path;

use arrow::record_batch::RecordBatch;
use parquet::arrow::ArrowWriter;
use parquet::basic::Compression;
use parquet::file::properties::WriterProperties;

use crate::error::{Result, ServerError};

fn properties() -> WriterProperties {
    WriterProperties::builder()
        .set_compression(Compression::SNAPPY)
        .build()
}

/// Encodes a batch as a complete Parquet file in memory.
pub fn to_parquet_bytes(batch: &RecordBatch) -> Result<Vec<u8>> {
    let mut out = Vec::new();
    let mut writer = ArrowWriter::try_new(&mut out, batch.schema(), Some(properties()))?;
    writer.write(batch)?;
    writer.close()?;
    Ok(out)
}

/// Writes `batch` to `path` (creating parent directories); returns the file size.
pub fn write_parquet(path: &Path, batch: &RecordBatch) -> Result<u64> {
    if let Some(dir) = path.parent() {
        std::fs::create_dir_all(dir)
            .map_err(|e| ServerError::io(format!("creating {}", dir.display()), e))?;
    }
    let tmp = path.with_extension("parquet.tmp");
    let file = File::create(&tmp)
        .map_err(|e| ServerError::io(format!("creating {}", tmp.display()), e))?;
    let mut writer = ArrowWriter::try_new(file, batch.schema(), Some(properties()))?;
    writer.write(batch)?;
    writer.close()?;
    let bytes = std::fs::metadata(&tmp)
        .map_err(|e| ServerError::io(format!("reading {}", tmp.display()), e))?
        .len();
    std::fs::rename(&tmp, path)
        .map_err(|e| ServerError::io(format!("renaming {}", tmp.display()), e))?;
    Ok(bytes)
}
