//! Bench helpers: deterministic inputs shaped like the product's data.
//!
//! * [`segment_sections`]: the sections of a segment of a given total size, split
//!   the way an indexed partition's segment is (a few large column sections, some
//!   small metadata sections).
//! * [`partition_parquet`]: one Hive partition's Parquet file (`date` and `region`
//!   live only in the path) with the product's columns: `country` (utf8),
//!   `station` (utf8, `ST000042`), `measured_at` (timestamp µs UTC), `temperature`
//!   (f64 rounded to 0.1), `humidity` (f64, ~3% null); [`STATIONS_PER_REGION`]
//!   stations × 24 hourly readings = 13,440 rows, sorted by station then time.
//!
//! Everything is a pure function of its arguments: the same call gives the same
//! bytes, so runs compare.

use std::sync::Arc;

use arrow::array::{ArrayRef, Float64Builder, StringBuilder, TimestampMicrosecondArray};
use arrow::datatypes::{DataType, Field, Schema, SchemaRef, TimeUnit};
use arrow::error::ArrowError;
use arrow::record_batch::RecordBatch;
use bytes::Bytes;
use parquet::arrow::ArrowWriter;
use parquet::basic::Compression;
use parquet::errors::ParquetError;
use parquet::file::properties::WriterProperties;

/// Regions used by the indexer benches; `europe` first so station `ST000042` is in it.
pub const REGIONS: [&str; 4] = ["europe", "asia", "africa", "north_america"];

/// Stations per region (560 × 24 hours = 13,440 rows per partition).
pub const STATIONS_PER_REGION: u32 = 560;

/// Hourly readings per station and day.
pub const READINGS_PER_DAY: u32 = 24;

/// Rows in one partition file.
pub const ROWS_PER_PARTITION: u64 = STATIONS_PER_REGION as u64 * READINGS_PER_DAY as u64;

const COUNTRIES: [&[&str]; 4] = [
    &[
        "France", "Germany", "Italy", "Spain", "Poland", "Sweden", "Norway", "Finland", "Portugal",
        "Greece", "Austria", "Ireland",
    ],
    &[
        "China",
        "India",
        "Japan",
        "Indonesia",
        "Vietnam",
        "Thailand",
        "Mongolia",
        "Nepal",
        "Kazakhstan",
        "Philippines",
        "Malaysia",
        "South Korea",
    ],
    &[
        "Nigeria",
        "Egypt",
        "Kenya",
        "Algeria",
        "Mali",
        "Chad",
        "Angola",
        "Namibia",
        "Ethiopia",
        "Morocco",
        "Ghana",
        "South Africa",
    ],
    &[
        "United States",
        "Canada",
        "Mexico",
        "Greenland",
        "Cuba",
        "Guatemala",
        "Honduras",
        "Panama",
        "Jamaica",
        "Haiti",
        "Belize",
        "Bahamas",
    ],
];

/// Typical latitude per region (drives the mean temperature).
const REGION_LAT: [f64; 4] = [50.0, 30.0, 5.0, 42.0];

/// The value of `r`, or a panic naming `what`: a bench whose setup or routine
/// fails must stop the run, not measure an error path.
pub fn must<T, E: std::fmt::Display>(r: Result<T, E>, what: &str) -> T {
    match r {
        Ok(v) => v,
        Err(e) => panic!("{what}: {e}"),
    }
}

/// SplitMix64: small, fast, deterministic.
#[derive(Debug, Clone)]
pub struct Rng(u64);

impl Rng {
    pub fn new(seed: u64) -> Self {
        Rng(seed)
    }

    pub fn next_u64(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }

    /// Uniform in `[0, 1)`.
    pub fn f64(&mut self) -> f64 {
        (self.next_u64() >> 11) as f64 / (1u64 << 53) as f64
    }
}

/// `len` deterministic pseudo-random bytes.
pub fn random_bytes(len: usize, seed: u64) -> Vec<u8> {
    let mut rng = Rng::new(seed);
    let mut out = Vec::with_capacity(len + 8);
    while out.len() < len {
        out.extend_from_slice(&rng.next_u64().to_le_bytes());
    }
    out.truncate(len);
    out
}

/// Six sections `(id, bytes)` totalling `total` bytes, sized like an indexed
/// partition's segment: metadata, dictionaries, two big column sections, bitmaps,
/// rollups.
pub fn segment_sections(total: usize) -> Vec<(u32, Vec<u8>)> {
    const SHARES_PERMILLE: [usize; 6] = [10, 40, 350, 300, 250, 50];
    let mut out = Vec::with_capacity(SHARES_PERMILLE.len());
    let mut left = total;
    for (i, share) in SHARES_PERMILLE.iter().enumerate() {
        let len = if i + 1 == SHARES_PERMILLE.len() {
            left
        } else {
            (total * share / 1000).min(left)
        };
        left -= len;
        out.push((i as u32 + 1, random_bytes(len, i as u64 + 1)));
    }
    out
}

/// Days since 1970-01-01 of a proleptic Gregorian date (Howard Hinnant's algorithm).
pub fn days_from_civil(year: i32, month: u32, day: u32) -> i64 {
    let y = i64::from(year) - i64::from(month <= 2);
    let era = y.div_euclid(400);
    let yoe = y - era * 400;
    let m = i64::from(month);
    let doy = (153 * (m + if m > 2 { -3 } else { 9 }) + 2) / 5 + i64::from(day) - 1;
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    era * 146_097 + doe - 719_468
}

/// `YYYY-MM-DD` of a day number (inverse of [`days_from_civil`]).
pub fn civil_from_days(days: i64) -> String {
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z - era * 146_097;
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let d = doy - (153 * mp + 2) / 5 + 1;
    let m = if mp < 10 { mp + 3 } else { mp - 9 };
    let y = yoe + era * 400 + i64::from(m <= 2);
    format!("{y:04}-{m:02}-{d:02}")
}

/// `date=<date>/region=<region>`.
pub fn partition_path(date: &str, region: &str) -> String {
    format!("date={date}/region={region}")
}

/// The Parquet files' Arrow schema (partition columns are only in the path).
pub fn file_schema() -> SchemaRef {
    Arc::new(Schema::new(vec![
        Field::new("country", DataType::Utf8, false),
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

fn round1(x: f64) -> f64 {
    (x * 10.0).round() / 10.0
}

/// The readings of one region (index into [`REGIONS`]) on day `day` (days since
/// the epoch): every station, hourly, sorted by station then time.
pub fn partition_batch(region: usize, day: i64) -> Result<RecordBatch, ArrowError> {
    let r = region % REGIONS.len();
    let countries = COUNTRIES[r];
    let rows = ROWS_PER_PARTITION as usize;
    let mut country = StringBuilder::with_capacity(rows, rows * 10);
    let mut station = StringBuilder::with_capacity(rows, rows * 8);
    let mut measured_at = Vec::with_capacity(rows);
    let mut temperature = Float64Builder::with_capacity(rows);
    let mut humidity = Float64Builder::with_capacity(rows);
    let season = -((day as f64 - 19.0) / 365.25 * std::f64::consts::TAU).cos();
    for s in 0..STATIONS_PER_REGION {
        let id = r as u32 * STATIONS_PER_REGION + s;
        let name = format!("ST{id:06}");
        let c = countries[(s as usize * 7 + s as usize / 13) % countries.len()];
        let mut rng = Rng::new((u64::from(id) << 32) ^ day as u64);
        let lat = REGION_LAT[r] + (rng.f64() - 0.5) * 20.0;
        let mean = 27.0 - 0.55 * (lat.abs() - 12.0).max(0.0) + season * (0.3 * lat.abs());
        let base_humidity = 40.0 + rng.f64() * 40.0;
        for h in 0..READINGS_PER_DAY {
            let daily = (std::f64::consts::TAU * (f64::from(h) - 15.0) / 24.0).cos();
            country.append_value(c);
            station.append_value(&name);
            measured_at.push((day * 24 + i64::from(h)) * 3_600_000_000);
            temperature.append_value(round1(mean + 5.0 * daily + (rng.f64() - 0.5) * 3.0));
            if rng.f64() < 0.03 {
                humidity.append_null();
            } else {
                let v = base_humidity - 12.0 * daily + (rng.f64() - 0.5) * 8.0;
                humidity.append_value(round1(v.clamp(0.0, 100.0)));
            }
        }
    }
    let columns: Vec<ArrayRef> = vec![
        Arc::new(country.finish()),
        Arc::new(station.finish()),
        Arc::new(TimestampMicrosecondArray::from(measured_at).with_timezone("UTC")),
        Arc::new(temperature.finish()),
        Arc::new(humidity.finish()),
    ];
    RecordBatch::try_new(file_schema(), columns)
}

/// One partition as a Snappy-compressed Parquet file in memory.
pub fn partition_parquet(region: usize, day: i64) -> Result<Bytes, ParquetError> {
    let batch = partition_batch(region, day)?;
    let props = WriterProperties::builder()
        .set_compression(Compression::SNAPPY)
        .build();
    let mut out = Vec::new();
    let mut writer = ArrowWriter::try_new(&mut out, batch.schema(), Some(props))?;
    writer.write(&batch)?;
    writer.close()?;
    Ok(Bytes::from(out))
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;

    #[test]
    fn dates_round_trip() {
        assert_eq!(days_from_civil(1970, 1, 1), 0);
        assert_eq!(days_from_civil(2024, 6, 1), 19_875);
        assert_eq!(civil_from_days(19_875), "2024-06-01");
        assert_eq!(civil_from_days(days_from_civil(2024, 2, 29)), "2024-02-29");
    }

    #[test]
    fn sections_sum_to_total() {
        let s = segment_sections(300_000);
        assert_eq!(s.len(), 6);
        assert_eq!(s.iter().map(|(_, b)| b.len()).sum::<usize>(), 300_000);
    }

    #[test]
    fn partition_shape() {
        let b = partition_batch(0, days_from_civil(2024, 6, 1)).unwrap();
        assert_eq!(b.num_rows() as u64, ROWS_PER_PARTITION);
        let hum = b.column(4);
        let nulls = hum.null_count() as f64 / b.num_rows() as f64;
        assert!((0.015..0.045).contains(&nulls), "{nulls}");
        let st = b
            .column(1)
            .as_any()
            .downcast_ref::<arrow::array::StringArray>()
            .unwrap();
        assert!(st.iter().any(|s| s == Some("ST000042")));
        let bytes = partition_parquet(0, 0).unwrap();
        assert!(bytes.starts_with(b"PAR1"));
    }
}
