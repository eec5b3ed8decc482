//! Rows of the `temperatures` table and the edge-case dataset.
//!
//! The table as both servers see it: partition columns first in path order,
//! then the file's columns:
//!
//! ```text
//! date date | region text | country text | station text |
//! measured_at timestamptz | temperature float8 | humidity float8 (nullable)
//! ```
//!
//! [`edge_dataset`] is small (under a thousand rows) and built to break things:
//! NULL humidity (whole stations of it), negative temperatures, -0.0, values
//! near 1e100 and 1e-300, non-ASCII and quoted country names, mixed-case
//! stations (collation C orders `B` before `a`), an empty partition, several
//! row groups in one file, dates across month, quarter, year and ISO-week
//! boundaries, microsecond timestamps, one station in every partition.
//! Options add NaN and NULL countries.

use chrono::{Datelike, NaiveDate};

use crate::rng::Rng;

/// Microseconds per second.
pub const MICROS: i64 = 1_000_000;

/// One row of `temperatures`.
#[derive(Debug, Clone, PartialEq)]
pub struct Row {
    pub date: NaiveDate,
    pub region: String,
    pub country: Option<String>,
    pub station: String,
    /// Microseconds since 1970-01-01 00:00:00 UTC.
    pub measured_at: i64,
    pub temperature: f64,
    pub humidity: Option<f64>,
}

/// All rows of one `date=.../region=...` partition (possibly none).
#[derive(Debug, Clone, PartialEq)]
pub struct Partition {
    pub date: NaiveDate,
    pub region: String,
    pub rows: Vec<Row>,
}

impl Partition {
    /// The admin API path: `date=2024-06-01/region=europe`.
    pub fn path(&self) -> String {
        partition_path(self.date, &self.region)
    }
}

pub fn partition_path(date: NaiveDate, region: &str) -> String {
    format!("date={}/region={region}", date.format("%Y-%m-%d"))
}

#[derive(Debug, Clone, Default, PartialEq)]
pub struct Dataset {
    pub partitions: Vec<Partition>,
}

impl Dataset {
    pub fn rows(&self) -> impl Iterator<Item = &Row> {
        self.partitions.iter().flat_map(|p| p.rows.iter())
    }

    pub fn row_count(&self) -> usize {
        self.partitions.iter().map(|p| p.rows.len()).sum()
    }

    /// Whether any row has a NULL country (the files then declare it nullable).
    pub fn country_nullable(&self) -> bool {
        self.rows().any(|r| r.country.is_none())
    }

    pub fn partition(&self, date: NaiveDate, region: &str) -> Option<&Partition> {
        self.partitions
            .iter()
            .find(|p| p.date == date && p.region == region)
    }
}

/// What the edge dataset may contain beyond the always-safe cases.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct EdgeOptions {
    /// One NaN humidity (PostgreSQL orders NaN above every number).
    pub nan: bool,
    /// One station whose country is NULL (a NULL dimension value).
    pub null_country: bool,
}

impl Default for EdgeOptions {
    fn default() -> Self {
        EdgeOptions {
            nan: false,
            null_country: true,
        }
    }
}

pub fn date(y: i32, m: u32, d: u32) -> NaiveDate {
    NaiveDate::from_ymd_opt(y, m, d).unwrap_or(NaiveDate::MIN)
}

/// Microseconds since the epoch at midnight UTC of `d`.
pub fn midnight_micros(d: NaiveDate) -> i64 {
    let epoch = date(1970, 1, 1);
    (d - epoch).num_days() * 86_400 * MICROS
}

/// The dates of the edge dataset: year, quarter, month and ISO-week edges.
pub fn edge_dates() -> Vec<NaiveDate> {
    vec![
        date(2023, 12, 30),
        date(2023, 12, 31),
        date(2024, 1, 1),
        date(2024, 1, 2),
        date(2024, 2, 29),
        date(2024, 3, 31),
        date(2024, 4, 1),
        date(2024, 6, 30),
        date(2024, 7, 1),
    ]
}

/// A country (NULL allowed) and its stations.
type Country = (Option<&'static str>, Vec<&'static str>);

/// Region -> its countries -> each country's stations.
fn geography(opts: EdgeOptions) -> Vec<(&'static str, Vec<Country>)> {
    let mut europe = vec![
        (Some("France"), vec!["FR-01", "FR-02"]),
        (Some("Zürich-Ost"), vec!["CH-Z1"]),
        (Some("Deutschland"), vec!["DE-01", "de-lower"]),
    ];
    if opts.null_country {
        europe.push((None, vec!["XX-NOCOUNTRY"]));
    }
    vec![
        ("europe", europe),
        (
            "asia",
            vec![
                (Some("日本"), vec!["JP-01", "JP-東京"]),
                (Some("India"), vec!["IN-01"]),
            ],
        ),
        (
            "africa",
            vec![
                (Some("Côte d'Ivoire"), vec!["CI-01", "CI-02"]),
                (Some("Kenya"), vec!["KE-01"]),
            ],
        ),
        (
            "americas",
            vec![
                (Some("Brasil"), vec!["BR-01"]),
                (Some("USA"), vec!["US-01", "US-02", "Us-03"]),
            ],
        ),
    ]
}

/// The station present in every non-empty partition.
pub const MULTI_STATION: &str = "MULTI-1";
/// Stations whose humidity is always NULL.
const NO_HUMIDITY: &[&str] = &["KE-01", "Us-03"];

/// The edge-case dataset (deterministic for given options).
pub fn edge_dataset(opts: EdgeOptions) -> Dataset {
    let mut rng = Rng::new(0x150_7E53);
    let mut partitions = Vec::new();
    for (di, day) in edge_dates().into_iter().enumerate() {
        for (ri, (region, countries)) in geography(opts).into_iter().enumerate() {
            // Leave some holes: africa misses two dates, americas one.
            if (region == "africa" && (di == 4 || di == 6)) || (region == "americas" && di == 2) {
                continue;
            }
            let mut rows = Vec::new();
            let winter = day.month() < 4;
            for (country, stations) in &countries {
                for station in stations
                    .iter()
                    .copied()
                    .chain((country == &countries[0].0).then_some(MULTI_STATION))
                {
                    for (hi, hour) in [0i64, 6, 12, 18].into_iter().enumerate() {
                        let frac = match (di + ri + hi) % 3 {
                            0 => 0,
                            1 => 123_456,
                            _ => 999_999,
                        };
                        let base = if winter { -5.0 } else { 18.0 };
                        let t = base + (rng.unit() * 300.0).round() / 10.0 - 10.0;
                        let humidity = if NO_HUMIDITY.contains(&station) || rng.chance(0.12) {
                            None
                        } else {
                            Some((rng.unit() * 1000.0).round() / 10.0)
                        };
                        rows.push(Row {
                            date: day,
                            region: region.to_string(),
                            country: country.map(str::to_string),
                            station: station.to_string(),
                            measured_at: midnight_micros(day) + hour * 3600 * MICROS + frac,
                            temperature: t,
                            humidity,
                        });
                    }
                }
            }
            partitions.push(Partition {
                date: day,
                region: region.to_string(),
                rows,
            });
        }
    }
    add_specials(&mut partitions, opts);
    partitions.push(Partition {
        date: date(2024, 6, 30),
        region: "oceania".to_string(),
        rows: Vec::new(),
    });
    Dataset { partitions }
}

/// Plants the special values at fixed places. Each extreme stands alone in
/// its groups' sums so that summation order cannot change a result.
fn add_specials(partitions: &mut [Partition], opts: EdgeOptions) {
    let mut set = |d: NaiveDate, region: &str, idx: usize, f: &dyn Fn(&mut Row)| {
        if let Some(p) = partitions
            .iter_mut()
            .find(|p| p.date == d && p.region == region)
            && let Some(row) = p.rows.get_mut(idx)
        {
            f(row);
        }
    };
    set(date(2024, 1, 1), "europe", 3, &|r| r.temperature = -0.0);
    set(date(2024, 6, 30), "asia", 1, &|r| r.temperature = 1.5e100);
    set(date(2024, 3, 31), "americas", 2, &|r| {
        r.temperature = -2.5e-200
    });
    set(date(2023, 12, 31), "africa", 0, &|r| {
        r.humidity = Some(1e-300)
    });
    set(date(2024, 7, 1), "europe", 5, &|r| {
        r.measured_at = midnight_micros(r.date) + 86_400 * MICROS - 1;
    });
    set(date(2024, 2, 29), "asia", 2, &|r| r.temperature = -40.25);
    if opts.nan {
        set(date(2024, 4, 1), "americas", 1, &|r| {
            r.humidity = Some(f64::NAN)
        });
    }
    // No other exact zero may share a group with -0.0 (min/max of equal values
    // would depend on order): nudge any.
    for p in partitions.iter_mut() {
        for r in &mut p.rows {
            if r.temperature == 0.0 && r.temperature.is_sign_positive() {
                r.temperature = 0.1;
            }
        }
    }
}

/// A plain, larger dataset: `days` days from `start` over four regions,
/// `rows_per_partition` random rows each (for crash tests: big pushes).
pub fn bulk_dataset(start: NaiveDate, days: u32, rows_per_partition: usize, seed: u64) -> Dataset {
    let mut rng = Rng::new(seed);
    let mut partitions = Vec::new();
    for d in 0..days {
        let day = start + chrono::Days::new(u64::from(d));
        for region in ["europe", "asia", "africa", "americas"] {
            let rows = (0..rows_per_partition)
                .map(|i| Row {
                    date: day,
                    region: region.to_string(),
                    country: Some(format!("{region}-land-{}", i % 7)),
                    station: format!("{region}-st-{:04}", i % 500),
                    measured_at: midnight_micros(day) + (i as i64 % 86_400) * MICROS,
                    temperature: (rng.unit() * 600.0).round() / 10.0 - 20.0,
                    humidity: rng
                        .chance(0.9)
                        .then(|| (rng.unit() * 1000.0).round() / 10.0),
                })
                .collect();
            partitions.push(Partition {
                date: day,
                region: region.to_string(),
                rows,
            });
        }
    }
    Dataset { partitions }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn edge_dataset_has_its_edges() {
        let ds = edge_dataset(EdgeOptions::default());
        assert!(
            ds.row_count() > 500 && ds.row_count() < 2000,
            "{}",
            ds.row_count()
        );
        assert!(ds.partitions.iter().any(|p| p.rows.is_empty()));
        assert!(ds.rows().any(|r| r.humidity.is_none()));
        assert!(ds.rows().any(|r| r.temperature < 0.0));
        assert!(
            ds.rows()
                .any(|r| r.temperature == 0.0 && r.temperature.is_sign_negative())
        );
        assert!(ds.rows().any(|r| r.temperature == 1.5e100));
        assert!(ds.rows().any(|r| r.country.as_deref() == Some("日本")));
        assert!(ds.rows().any(|r| r.country.is_none()));
        assert!(!ds.rows().any(|r| r.humidity.is_some_and(f64::is_nan)));
        let multi = ds
            .partitions
            .iter()
            .filter(|p| p.rows.iter().any(|r| r.station == MULTI_STATION))
            .count();
        assert_eq!(multi, ds.partitions.len() - 1);
        // Every row's date is its partition's and its timestamp falls on that date.
        for p in &ds.partitions {
            for r in &p.rows {
                assert_eq!((r.date, r.region.as_str()), (p.date, p.region.as_str()));
                let start = midnight_micros(r.date);
                assert!(r.measured_at >= start && r.measured_at < start + 86_400 * MICROS);
            }
        }
        let with_nan = edge_dataset(EdgeOptions {
            nan: true,
            null_country: false,
        });
        assert!(with_nan.rows().any(|r| r.humidity.is_some_and(f64::is_nan)));
        assert!(!with_nan.rows().any(|r| r.country.is_none()));
    }

    #[test]
    fn bulk_dataset_shape() {
        let ds = bulk_dataset(date(2025, 1, 1), 2, 100, 1);
        assert_eq!(ds.partitions.len(), 8);
        assert_eq!(ds.row_count(), 800);
        assert_eq!(ds.partitions[7].date, date(2025, 1, 2));
        assert!(!ds.country_nullable());
    }

    #[test]
    fn partition_paths_and_midnights() {
        assert_eq!(
            partition_path(date(2024, 6, 1), "europe"),
            "date=2024-06-01/region=europe"
        );
        assert_eq!(midnight_micros(date(1970, 1, 2)), 86_400 * MICROS);
        assert_eq!(midnight_micros(date(2000, 1, 1)), 946_684_800 * MICROS);
    }
}
