//! The weather model: one region's readings for one day as an Arrow batch.
//!
//! Temperature (°C) at a station and instant is the sum of
//! - the latitude's annual mean (`27 - 0.006 * lat²`: 27 °C at the equator,
//!   12 °C at 50°, -4 °C at 72°) plus the station's offset (altitude, siting);
//! - a seasonal cycle by day of year, coldest around 20 January in the north
//!   and around 20 July in the south, its amplitude growing with latitude and
//!   with the station's continentality;
//! - a daily cycle peaking at 15:00 local solar time (UTC + longitude / 15);
//! - slow weather swings: three sines of 3.7, 8.3 and 19 days with per-station
//!   phases, stronger at mid and high latitudes;
//! - reading noise (σ ≈ 0.4 °C);
//!
//! rounded to 0.1. Humidity (%) falls as the day warms and with warm spells,
//! is clamped to 0..100, rounded to 0.1, and missing (NULL) for ~3% of readings.
//!
//! Every (station, day) draws from its own random stream, so a day's batch is
//! the same whatever else is generated.

use std::f64::consts::TAU;
use std::sync::Arc;

use arrow::array::{ArrayRef, Float64Builder, StringBuilder, TimestampMicrosecondArray};
use arrow::datatypes::{DataType, Field, Schema, SchemaRef, TimeUnit};
use arrow::error::ArrowError;
use arrow::record_batch::RecordBatch;
use chrono::{Datelike, NaiveDate};

use super::rng::Rng;
use super::world::{Station, World};

/// Fraction of humidity readings left NULL.
pub const HUMIDITY_NULL_RATE: f64 = 0.03;

const MICROS_PER_MINUTE: i64 = 60_000_000;

/// The schema of every generated file. `date` and `region` are not in it:
/// they live in the partition path only.
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

/// Rounds to one decimal, without producing `-0.0`.
pub fn round1(x: f64) -> f64 {
    (x * 10.0).round() / 10.0 + 0.0
}

/// Days since 1970-01-01.
fn epoch_day(date: NaiveDate) -> i64 {
    let epoch = NaiveDate::from_ymd_opt(1970, 1, 1).unwrap_or_default();
    (date - epoch).num_days()
}

/// One reading's values before rounding.
struct Reading {
    temperature: f64,
    humidity: f64,
}

fn reading(s: &Station, day: i64, doy: u32, minute: u32, rng: &mut Rng) -> Reading {
    let lat_abs = s.lat.abs();
    let frac_day = f64::from(minute) / 1440.0;

    let mean = 27.0 - 0.006 * lat_abs * lat_abs + s.offset;

    let season_amp = (0.5 + 0.18 * lat_abs) * s.continentality;
    let year_pos = (f64::from(doy) - 1.0 + frac_day - 19.0) / 365.25;
    let hemisphere = if s.lat < 0.0 { -1.0 } else { 1.0 };
    let season = -(TAU * year_pos).cos() * season_amp * hemisphere;

    let local_hour = (frac_day * 24.0 + s.lon / 15.0).rem_euclid(24.0);
    let daily_shape = (TAU * (local_hour - 15.0) / 24.0).cos();
    let daily = s.daily_amp * daily_shape;

    let t = day as f64 + frac_day;
    let swing = 2.5 * (TAU * t / 3.7 + s.phases[0]).sin()
        + 1.8 * (TAU * t / 8.3 + s.phases[1]).sin()
        + 1.2 * (TAU * t / 19.0 + s.phases[2]).sin();
    let weather = swing * (0.4 + lat_abs / 60.0);

    let temperature = mean + season + daily + weather + rng.normal() * 0.4;
    let humidity = s.humidity - 12.0 * daily_shape - 1.5 * weather + rng.normal() * 4.0;
    Reading {
        temperature,
        humidity: humidity.clamp(0.0, 100.0),
    }
}

/// The readings of every station of `region` on `date`, one every
/// `interval_minutes` from 00:00 UTC, sorted by station then time.
pub fn region_day(
    world: &World,
    region: usize,
    date: NaiveDate,
    interval_minutes: u32,
) -> Result<RecordBatch, ArrowError> {
    let interval = interval_minutes.clamp(1, 1440);
    let per_day = 1440 / interval;
    let stations = world
        .by_region
        .get(region)
        .map(Vec::as_slice)
        .unwrap_or(&[]);
    let rows = stations.len() * per_day as usize;

    let day = epoch_day(date);
    let doy = date.ordinal();
    let midnight_us = day * 1440 * MICROS_PER_MINUTE;

    let mut country = StringBuilder::with_capacity(rows, rows * 12);
    let mut station = StringBuilder::with_capacity(rows, rows * 8);
    let mut measured_at = Vec::with_capacity(rows);
    let mut temperature = Float64Builder::with_capacity(rows);
    let mut humidity = Float64Builder::with_capacity(rows);

    for &idx in stations {
        let s = &world.stations[idx];
        let mut rng = Rng::for_key(world.seed, &[u64::from(s.id), day as u64]);
        for k in 0..per_day {
            let minute = k * interval;
            let r = reading(s, day, doy, minute, &mut rng);
            country.append_value(s.country);
            station.append_value(&s.name);
            measured_at.push(midnight_us + i64::from(minute) * MICROS_PER_MINUTE);
            temperature.append_value(round1(r.temperature));
            if rng.f64() < HUMIDITY_NULL_RATE {
                humidity.append_null();
            } else {
                humidity.append_value(round1(r.humidity));
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

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;
    use arrow::array::{Array, Float64Array, StringArray};
    use arrow::compute::kernels::aggregate;

    fn date(s: &str) -> NaiveDate {
        s.parse().unwrap()
    }

    #[test]
    fn rows_schema_order_and_rounding() {
        let world = World::new(42, 400);
        let region = 3; // europe
        let batch = region_day(&world, region, date("2024-01-15"), 60).unwrap();
        assert_eq!(batch.schema(), file_schema());
        assert_eq!(batch.num_rows(), world.by_region[region].len() * 24);

        let stations = batch
            .column(1)
            .as_any()
            .downcast_ref::<StringArray>()
            .unwrap();
        let times = batch
            .column(2)
            .as_any()
            .downcast_ref::<TimestampMicrosecondArray>()
            .unwrap();
        for i in 1..batch.num_rows() {
            let key = (stations.value(i), times.value(i));
            let prev = (stations.value(i - 1), times.value(i - 1));
            assert!(prev < key, "row {i} out of order");
        }
        // 2024-01-15T00:00:00Z
        assert_eq!(times.value(0), 1_705_276_800_000_000);
        assert_eq!(times.value(23) - times.value(0), 23 * 3_600_000_000);

        for col in [3, 4] {
            let a = batch
                .column(col)
                .as_any()
                .downcast_ref::<Float64Array>()
                .unwrap();
            for v in a.iter().flatten() {
                assert_eq!(round1(v), v);
                assert!(((v * 10.0).round() - v * 10.0).abs() < 1e-9);
            }
        }
        let temps = batch
            .column(3)
            .as_any()
            .downcast_ref::<Float64Array>()
            .unwrap();
        assert_eq!(temps.null_count(), 0);
        let (lo, hi) = (
            aggregate::min(temps).unwrap(),
            aggregate::max(temps).unwrap(),
        );
        assert!(lo > -60.0 && hi < 45.0, "{lo}..{hi}");
    }

    #[test]
    fn humidity_nulls_are_about_three_percent_and_in_range() {
        let world = World::new(7, 4500);
        let mut nulls = 0;
        let mut total = 0;
        for region in 0..8 {
            let batch = region_day(&world, region, date("2024-06-01"), 60).unwrap();
            let h = batch
                .column(4)
                .as_any()
                .downcast_ref::<Float64Array>()
                .unwrap();
            nulls += h.null_count();
            total += h.len();
            assert!(h.iter().flatten().all(|v| (0.0..=100.0).contains(&v)));
        }
        assert_eq!(total, 4500 * 24);
        let rate = nulls as f64 / total as f64;
        assert!((0.025..0.035).contains(&rate), "{rate}");
    }

    #[test]
    fn seasons_follow_the_hemisphere() {
        let world = World::new(42, 4500);
        let mean_of = |region: usize, d: &str| {
            let b = region_day(&world, region, date(d), 60).unwrap();
            let t = b.column(3).as_any().downcast_ref::<Float64Array>().unwrap();
            aggregate::sum(t).unwrap() / t.len() as f64
        };
        // europe: colder in January; south_america (mostly south): warmer.
        assert!(mean_of(3, "2024-01-15") + 10.0 < mean_of(3, "2024-07-15"));
        assert!(mean_of(7, "2024-01-15") > mean_of(7, "2024-07-15"));
    }

    #[test]
    fn same_seed_same_batch() {
        let a = region_day(&World::new(1, 300), 0, date("2024-03-01"), 30).unwrap();
        let b = region_day(&World::new(1, 300), 0, date("2024-03-01"), 30).unwrap();
        let c = region_day(&World::new(2, 300), 0, date("2024-03-01"), 30).unwrap();
        assert_eq!(a, b);
        assert_ne!(a, c);
        assert_eq!(a.num_rows(), World::new(1, 300).by_region[0].len() * 48);
    }
}
