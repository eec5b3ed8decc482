//! Parquet bytes for partitions, in the generator's file schema, and back.
//!
//! File schema (what `isotherm generate` writes; partition columns live in the path):
//!
//! ```text
//! country      utf8                  not null (nullable when the dataset has NULL countries)
//! station      utf8                  not null
//! measured_at  timestamp(µs, "UTC")  not null
//! temperature  float64               nullable (never NULL in practice)
//! humidity     float64               nullable
//! ```
//!
//! One dataset uses one schema for all its files, so partitions never differ
//! in nullability.

use std::path::Path;
use std::sync::Arc;

use arrow::array::{
    Array, ArrayRef, Float64Array, Int64Array, RecordBatch, StringArray, TimestampMicrosecondArray,
};
use arrow::datatypes::{DataType, Field, Schema, TimeUnit};
use bytes::Bytes;
use chrono::NaiveDate;
use parquet::arrow::ArrowWriter;
use parquet::arrow::arrow_reader::ParquetRecordBatchReaderBuilder;
use parquet::file::properties::WriterProperties;

use crate::data::{Dataset, Partition, Row};
use crate::error::{Context, Error, Result};

/// Rows per row group: small, so partitions of the edge dataset span several.
pub const ROW_GROUP_ROWS: usize = 64;

pub fn file_schema(country_nullable: bool) -> Arc<Schema> {
    Arc::new(Schema::new(vec![
        Field::new("country", DataType::Utf8, country_nullable),
        Field::new("station", DataType::Utf8, false),
        Field::new(
            "measured_at",
            DataType::Timestamp(TimeUnit::Microsecond, Some("UTC".into())),
            false,
        ),
        Field::new("temperature", DataType::Float64, true),
        Field::new("humidity", DataType::Float64, true),
    ]))
}

fn batch_of(rows: &[Row], country_nullable: bool) -> Result<RecordBatch> {
    let country: StringArray = rows.iter().map(|r| r.country.as_deref()).collect();
    let station: StringArray = rows.iter().map(|r| Some(r.station.as_str())).collect();
    let measured: TimestampMicrosecondArray = rows
        .iter()
        .map(|r| Some(r.measured_at))
        .collect::<TimestampMicrosecondArray>()
        .with_timezone("UTC");
    let temperature: Float64Array = rows.iter().map(|r| Some(r.temperature)).collect();
    let humidity: Float64Array = rows.iter().map(|r| r.humidity).collect();
    let columns: Vec<ArrayRef> = vec![
        Arc::new(country),
        Arc::new(station),
        Arc::new(measured),
        Arc::new(temperature),
        Arc::new(humidity),
    ];
    Ok(RecordBatch::try_new(
        file_schema(country_nullable),
        columns,
    )?)
}

/// Parquet bytes holding `rows` (the partition columns are not stored).
pub fn encode_rows(rows: &[Row], country_nullable: bool) -> Result<Vec<u8>> {
    encode_batch(&batch_of(rows, country_nullable)?)
}

/// One partition of `ds`, in the dataset's schema.
pub fn encode_partition(ds: &Dataset, p: &Partition) -> Result<Vec<u8>> {
    encode_rows(&p.rows, ds.country_nullable())
}

/// Parquet bytes for any batch (used for schema-mismatch files too).
pub fn encode_batch(batch: &RecordBatch) -> Result<Vec<u8>> {
    let props = WriterProperties::builder()
        .set_max_row_group_row_count(Some(ROW_GROUP_ROWS))
        .build();
    let mut buf = Vec::new();
    let mut writer = ArrowWriter::try_new(&mut buf, batch.schema(), Some(props))?;
    writer.write(batch)?;
    writer.close()?;
    Ok(buf)
}

fn utf8(col: &ArrayRef, name: &str) -> Result<StringArray> {
    let cast = arrow::compute::cast(col, &DataType::Utf8).ctx(name)?;
    cast.as_any()
        .downcast_ref::<StringArray>()
        .cloned()
        .ok_or_else(|| Error::new(format!("column {name} is not text")))
}

fn f64s(col: &ArrayRef, name: &str) -> Result<Float64Array> {
    let cast = arrow::compute::cast(col, &DataType::Float64).ctx(name)?;
    cast.as_any()
        .downcast_ref::<Float64Array>()
        .cloned()
        .ok_or_else(|| Error::new(format!("column {name} is not float")))
}

fn micros(col: &ArrayRef, name: &str) -> Result<Int64Array> {
    let ts = arrow::compute::cast(
        col,
        &DataType::Timestamp(TimeUnit::Microsecond, Some("UTC".into())),
    )
    .ctx(name)?;
    let ints = arrow::compute::cast(&ts, &DataType::Int64).ctx(name)?;
    ints.as_any()
        .downcast_ref::<Int64Array>()
        .cloned()
        .ok_or_else(|| Error::new(format!("column {name} is not a timestamp")))
}

/// Decodes a partition file into rows, taking `date` and `region` from the path.
pub fn decode_rows(bytes: &[u8], date: NaiveDate, region: &str) -> Result<Vec<Row>> {
    let reader = ParquetRecordBatchReaderBuilder::try_new(Bytes::copy_from_slice(bytes))?
        .with_batch_size(8192)
        .build()?;
    let mut rows = Vec::new();
    for batch in reader {
        let batch = batch?;
        let col = |name: &str| -> Result<ArrayRef> {
            batch
                .column_by_name(name)
                .cloned()
                .ok_or_else(|| Error::new(format!("file has no column {name}")))
        };
        let country = utf8(&col("country")?, "country")?;
        let station = utf8(&col("station")?, "station")?;
        let measured = micros(&col("measured_at")?, "measured_at")?;
        let temperature = f64s(&col("temperature")?, "temperature")?;
        let humidity = f64s(&col("humidity")?, "humidity")?;
        for i in 0..batch.num_rows() {
            let text = |a: &StringArray| (!a.is_null(i)).then(|| a.value(i).to_string());
            let float = |a: &Float64Array| (!a.is_null(i)).then(|| a.value(i));
            rows.push(Row {
                date,
                region: region.to_string(),
                country: text(&country),
                station: text(&station).unwrap_or_default(),
                measured_at: measured.value(i),
                temperature: float(&temperature).ok_or_else(|| {
                    Error::new(format!("NULL temperature in row {i} of {date}/{region}"))
                })?,
                humidity: float(&humidity),
            });
        }
    }
    Ok(rows)
}

/// Parses `date=YYYY-MM-DD/region=NAME` (or the two directory names).
pub fn parse_partition_path(path: &str) -> Result<(NaiveDate, String)> {
    let mut date = None;
    let mut region = None;
    for part in path.split('/') {
        if let Some(v) = part.strip_prefix("date=") {
            date = NaiveDate::parse_from_str(v, "%Y-%m-%d").ok();
        } else if let Some(v) = part.strip_prefix("region=") {
            region = Some(v.to_string());
        }
    }
    match (date, region) {
        (Some(d), Some(r)) => Ok((d, r)),
        _ => Err(Error::new(format!(
            "not a date=/region= partition path: {path}"
        ))),
    }
}

/// Reads a Hive-layout directory (`date=.../region=.../*.parquet`) into a dataset.
pub fn read_dataset_dir(dir: &Path) -> Result<Dataset> {
    let mut partitions = Vec::new();
    let mut date_dirs = sorted_entries(dir)?;
    date_dirs.retain(|p| p.is_dir());
    for date_dir in date_dirs {
        for region_dir in sorted_entries(&date_dir)?
            .into_iter()
            .filter(|p| p.is_dir())
        {
            let rel = format!(
                "{}/{}",
                date_dir.file_name().unwrap_or_default().to_string_lossy(),
                region_dir.file_name().unwrap_or_default().to_string_lossy()
            );
            let (date, region) = parse_partition_path(&rel)?;
            let mut rows = Vec::new();
            for file in sorted_entries(&region_dir)? {
                if file.extension().is_some_and(|e| e == "parquet") {
                    let bytes = std::fs::read(&file).ctx(&file.display().to_string())?;
                    rows.extend(
                        decode_rows(&bytes, date, &region).ctx(&file.display().to_string())?,
                    );
                }
            }
            partitions.push(Partition { date, region, rows });
        }
    }
    Ok(Dataset { partitions })
}

/// Writes a dataset in Hive layout, one `part-00000.parquet` per partition.
pub fn write_dataset_dir(ds: &Dataset, dir: &Path, country_nullable: bool) -> Result<()> {
    for p in &ds.partitions {
        let pdir = dir.join(p.path());
        std::fs::create_dir_all(&pdir)?;
        let bytes = encode_rows(&p.rows, country_nullable)?;
        std::fs::write(pdir.join("part-00000.parquet"), bytes)?;
    }
    Ok(())
}

/// Files whose columns do not match the table's, each with what is wrong.
pub fn mismatched_files(rows: &[Row]) -> Result<Vec<(&'static str, Vec<u8>)>> {
    let good = batch_of(rows, true)?;
    let mut out = Vec::new();
    // temperature as text.
    let temps: StringArray = rows
        .iter()
        .map(|r| Some(r.temperature.to_string()))
        .collect();
    out.push((
        "temperature is text",
        replace_column(&good, 3, Arc::new(temps))?,
    ));
    // humidity missing.
    let mut cols = good.columns().to_vec();
    cols.pop();
    let mut fields: Vec<Field> = good
        .schema()
        .fields()
        .iter()
        .map(|f| f.as_ref().clone())
        .collect();
    fields.pop();
    let batch = RecordBatch::try_new(Arc::new(Schema::new(fields)), cols)?;
    out.push(("humidity missing", encode_batch(&batch)?));
    // station as a number.
    let ids: Int64Array = (0..rows.len() as i64).map(Some).collect();
    out.push(("station is int64", replace_column(&good, 1, Arc::new(ids))?));
    Ok(out)
}

fn replace_column(batch: &RecordBatch, idx: usize, col: ArrayRef) -> Result<Vec<u8>> {
    let mut cols = batch.columns().to_vec();
    let mut fields: Vec<Field> = batch
        .schema()
        .fields()
        .iter()
        .map(|f| f.as_ref().clone())
        .collect();
    fields[idx] = Field::new(fields[idx].name(), col.data_type().clone(), true);
    cols[idx] = col;
    encode_batch(&RecordBatch::try_new(Arc::new(Schema::new(fields)), cols)?)
}

fn sorted_entries(dir: &Path) -> Result<Vec<std::path::PathBuf>> {
    let mut out = Vec::new();
    for e in std::fs::read_dir(dir).ctx(&dir.display().to_string())? {
        out.push(e?.path());
    }
    out.sort();
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::data::{EdgeOptions, edge_dataset};

    fn same_rows(a: &[Row], b: &[Row]) -> bool {
        a.len() == b.len()
            && a.iter().zip(b).all(|(x, y)| {
                x.country == y.country
                    && x.station == y.station
                    && x.measured_at == y.measured_at
                    && x.temperature.to_bits() == y.temperature.to_bits()
                    && x.humidity.map(f64::to_bits) == y.humidity.map(f64::to_bits)
                    && x.date == y.date
                    && x.region == y.region
            })
    }

    #[test]
    fn partitions_round_trip_through_parquet_bit_for_bit() {
        let ds = edge_dataset(EdgeOptions {
            nan: true,
            null_country: true,
        });
        for p in &ds.partitions {
            let bytes = encode_partition(&ds, p).expect("encode");
            assert!(bytes.starts_with(b"PAR1") && bytes.ends_with(b"PAR1"));
            let back = decode_rows(&bytes, p.date, &p.region).expect("decode");
            assert!(same_rows(&p.rows, &back), "partition {} differs", p.path());
        }
    }

    #[test]
    fn directories_round_trip() {
        let ds = edge_dataset(EdgeOptions::default());
        let dir = tempfile::tempdir().expect("tempdir");
        write_dataset_dir(&ds, dir.path(), true).expect("write");
        assert!(
            dir.path()
                .join("date=2024-06-30/region=oceania/part-00000.parquet")
                .is_file()
        );
        let back = read_dataset_dir(dir.path()).expect("read");
        assert_eq!(back.partitions.len(), ds.partitions.len());
        assert_eq!(back.row_count(), ds.row_count());
        for p in &ds.partitions {
            let q = back
                .partition(p.date, &p.region)
                .expect("partition read back");
            assert!(same_rows(&p.rows, &q.rows));
        }
    }

    #[test]
    fn mismatched_files_are_parquet_with_other_schemas() {
        let ds = edge_dataset(EdgeOptions::default());
        let rows = &ds.partitions[0].rows;
        let files = mismatched_files(rows).expect("files");
        assert_eq!(files.len(), 3);
        for (what, bytes) in files {
            let reader = ParquetRecordBatchReaderBuilder::try_new(Bytes::from(bytes)).expect(what);
            assert_ne!(
                reader.schema().as_ref(),
                file_schema(true).as_ref(),
                "{what}"
            );
        }
    }

    #[test]
    fn partition_paths_parse() {
        let (d, r) = parse_partition_path("date=2024-06-01/region=europe").expect("parse");
        assert_eq!((d, r.as_str()), (crate::data::date(2024, 6, 1), "europe"));
        assert!(parse_partition_path("region=europe").is_err());
        assert!(parse_partition_path("date=2024-13-01/region=x").is_err());
    }
}
