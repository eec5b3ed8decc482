//! The generated world: 8 regions, ~200 countries with their approximate
//! centre (latitude, longitude) and a weight (how many stations they get,
//! relative to the others), and the stations placed in them.
//!
//! Station `i` is named `ST{i:06}`. With at least as many stations as
//! countries every country gets one station; the rest are spread by weight.
//! A station sits near its country's centre, scattered by a few degrees
//! (more for bigger countries).

use super::rng::Rng;

/// The regions, in the order files are written. The names appear in
/// partition paths (`region=north_america`).
pub const REGIONS: [&str; 8] = [
    "africa",
    "asia",
    "central_america",
    "europe",
    "middle_east",
    "north_america",
    "oceania",
    "south_america",
];

const AF: u8 = 0;
const AS: u8 = 1;
const CA: u8 = 2;
const EU: u8 = 3;
const ME: u8 = 4;
const NA: u8 = 5;
const OC: u8 = 6;
const SA: u8 = 7;

/// (name, region index, latitude, longitude, weight)
type CountryRow = (&'static str, u8, f64, f64, u32);

#[rustfmt::skip]
const COUNTRIES: &[CountryRow] = &[
    // Africa
    ("Algeria", AF, 28.0, 2.6, 6), ("Angola", AF, -12.3, 17.9, 4), ("Benin", AF, 9.3, 2.3, 1),
    ("Botswana", AF, -22.3, 24.7, 2), ("Burkina Faso", AF, 12.2, -1.6, 2), ("Burundi", AF, -3.4, 29.9, 1),
    ("Cabo Verde", AF, 16.0, -24.0, 1), ("Cameroon", AF, 5.7, 12.7, 2), ("Central African Republic", AF, 6.6, 20.9, 2),
    ("Chad", AF, 15.4, 18.7, 3), ("Comoros", AF, -11.9, 43.9, 1), ("Congo", AF, -0.7, 15.2, 2),
    ("Democratic Republic of the Congo", AF, -2.9, 23.6, 6), ("Côte d'Ivoire", AF, 7.5, -5.5, 2), ("Djibouti", AF, 11.8, 42.6, 1),
    ("Egypt", AF, 26.8, 30.8, 4), ("Equatorial Guinea", AF, 1.6, 10.3, 1), ("Eritrea", AF, 15.2, 39.8, 1),
    ("Eswatini", AF, -26.5, 31.5, 1), ("Ethiopia", AF, 9.1, 40.5, 4), ("Gabon", AF, -0.8, 11.6, 1),
    ("Gambia", AF, 13.4, -15.3, 1), ("Ghana", AF, 7.9, -1.0, 2), ("Guinea", AF, 9.9, -9.7, 2),
    ("Guinea-Bissau", AF, 11.8, -15.2, 1), ("Kenya", AF, 0.0, 37.9, 3), ("Lesotho", AF, -29.6, 28.2, 1),
    ("Liberia", AF, 6.4, -9.4, 1), ("Libya", AF, 26.3, 17.2, 4), ("Madagascar", AF, -18.8, 46.9, 3),
    ("Malawi", AF, -13.3, 34.3, 1), ("Mali", AF, 17.6, -4.0, 3), ("Mauritania", AF, 21.0, -10.9, 3),
    ("Mauritius", AF, -20.3, 57.6, 1), ("Morocco", AF, 31.8, -7.1, 3), ("Mozambique", AF, -18.7, 35.5, 3),
    ("Namibia", AF, -22.9, 18.5, 3), ("Niger", AF, 17.6, 8.1, 3), ("Nigeria", AF, 9.1, 8.7, 5),
    ("Rwanda", AF, -1.9, 29.9, 1), ("São Tomé and Príncipe", AF, 0.2, 6.6, 1), ("Senegal", AF, 14.5, -14.5, 2),
    ("Seychelles", AF, -4.7, 55.5, 1), ("Sierra Leone", AF, 8.5, -11.8, 1), ("Somalia", AF, 5.2, 46.2, 2),
    ("South Africa", AF, -30.6, 22.9, 6), ("South Sudan", AF, 6.9, 31.3, 2), ("Sudan", AF, 12.9, 30.2, 4),
    ("Tanzania", AF, -6.4, 34.9, 4), ("Togo", AF, 8.6, 0.8, 1), ("Tunisia", AF, 33.9, 9.5, 2),
    ("Uganda", AF, 1.4, 32.3, 2), ("Zambia", AF, -13.1, 27.8, 3), ("Zimbabwe", AF, -19.0, 29.2, 2),
    // Asia
    ("Afghanistan", AS, 33.9, 67.7, 3), ("Bangladesh", AS, 23.7, 90.4, 2), ("Bhutan", AS, 27.5, 90.4, 1),
    ("Brunei", AS, 4.5, 114.7, 1), ("Cambodia", AS, 12.6, 105.0, 1), ("China", AS, 35.9, 104.2, 25),
    ("India", AS, 20.6, 79.0, 20), ("Indonesia", AS, -0.8, 113.9, 10), ("Japan", AS, 36.2, 138.3, 6),
    ("Kazakhstan", AS, 48.0, 66.9, 6), ("Kyrgyzstan", AS, 41.2, 74.8, 1), ("Laos", AS, 19.9, 102.5, 1),
    ("Malaysia", AS, 4.2, 102.0, 2), ("Maldives", AS, 3.2, 73.2, 1), ("Mongolia", AS, 46.9, 103.8, 3),
    ("Myanmar", AS, 21.9, 95.9, 2), ("Nepal", AS, 28.4, 84.1, 1), ("North Korea", AS, 40.3, 127.5, 1),
    ("Pakistan", AS, 30.4, 69.3, 4), ("Philippines", AS, 12.9, 121.8, 3), ("Singapore", AS, 1.35, 103.8, 1),
    ("South Korea", AS, 35.9, 127.8, 2), ("Sri Lanka", AS, 7.9, 80.8, 1), ("Taiwan", AS, 23.7, 121.0, 1),
    ("Tajikistan", AS, 38.9, 71.3, 1), ("Thailand", AS, 15.9, 101.0, 3), ("Timor-Leste", AS, -8.9, 125.7, 1),
    ("Turkmenistan", AS, 39.0, 59.6, 1), ("Uzbekistan", AS, 41.4, 64.6, 2), ("Vietnam", AS, 14.1, 108.3, 3),
    // Central America and the Caribbean
    ("Antigua and Barbuda", CA, 17.1, -61.8, 1), ("Aruba", CA, 12.5, -70.0, 1), ("Bahamas", CA, 25.0, -77.4, 1),
    ("Barbados", CA, 13.2, -59.5, 1), ("Belize", CA, 17.2, -88.5, 1), ("Costa Rica", CA, 9.7, -83.8, 1),
    ("Cuba", CA, 21.5, -77.8, 2), ("Curaçao", CA, 12.2, -69.0, 1), ("Dominica", CA, 15.4, -61.4, 1),
    ("Dominican Republic", CA, 18.7, -70.2, 1), ("El Salvador", CA, 13.8, -88.9, 1), ("Grenada", CA, 12.1, -61.7, 1),
    ("Guadeloupe", CA, 16.3, -61.6, 1), ("Guatemala", CA, 15.8, -90.2, 1), ("Haiti", CA, 19.0, -72.3, 1),
    ("Honduras", CA, 15.2, -86.2, 1), ("Jamaica", CA, 18.1, -77.3, 1), ("Martinique", CA, 14.6, -61.0, 1),
    ("Nicaragua", CA, 12.9, -85.2, 1), ("Panama", CA, 8.5, -80.8, 1), ("Puerto Rico", CA, 18.2, -66.6, 1),
    ("Saint Kitts and Nevis", CA, 17.4, -62.8, 1), ("Saint Lucia", CA, 13.9, -61.0, 1),
    ("Saint Vincent and the Grenadines", CA, 13.3, -61.2, 1), ("Trinidad and Tobago", CA, 10.7, -61.2, 1),
    // Europe
    ("Albania", EU, 41.2, 20.2, 1), ("Andorra", EU, 42.5, 1.5, 1), ("Armenia", EU, 40.1, 45.0, 1),
    ("Austria", EU, 47.5, 14.6, 2), ("Azerbaijan", EU, 40.1, 47.6, 1), ("Belarus", EU, 53.7, 28.0, 2),
    ("Belgium", EU, 50.5, 4.5, 2), ("Bosnia and Herzegovina", EU, 43.9, 17.7, 1), ("Bulgaria", EU, 42.7, 25.5, 2),
    ("Croatia", EU, 45.1, 15.2, 1), ("Czechia", EU, 49.8, 15.5, 2), ("Denmark", EU, 56.3, 9.5, 2),
    ("Estonia", EU, 58.6, 25.0, 1), ("Finland", EU, 61.9, 25.7, 3), ("France", EU, 46.2, 2.2, 8),
    ("Georgia", EU, 42.3, 43.4, 1), ("Germany", EU, 51.2, 10.5, 8), ("Greece", EU, 39.1, 21.8, 2),
    ("Hungary", EU, 47.2, 19.5, 2), ("Iceland", EU, 64.9, -19.0, 2), ("Ireland", EU, 53.4, -8.2, 2),
    ("Italy", EU, 41.9, 12.6, 6), ("Kosovo", EU, 42.6, 20.9, 1), ("Latvia", EU, 56.9, 24.6, 1),
    ("Liechtenstein", EU, 47.2, 9.6, 1), ("Lithuania", EU, 55.2, 23.9, 1), ("Luxembourg", EU, 49.8, 6.1, 1),
    ("Malta", EU, 35.9, 14.4, 1), ("Moldova", EU, 47.4, 28.4, 1), ("Monaco", EU, 43.7, 7.4, 1),
    ("Montenegro", EU, 42.7, 19.4, 1), ("Netherlands", EU, 52.1, 5.3, 3), ("North Macedonia", EU, 41.6, 21.7, 1),
    ("Norway", EU, 60.5, 8.5, 4), ("Poland", EU, 51.9, 19.1, 4), ("Portugal", EU, 39.4, -8.2, 2),
    ("Romania", EU, 45.9, 25.0, 3), ("Russia", EU, 61.5, 105.3, 20), ("San Marino", EU, 43.9, 12.5, 1),
    ("Serbia", EU, 44.0, 21.0, 2), ("Slovakia", EU, 48.7, 19.7, 1), ("Slovenia", EU, 46.2, 15.0, 1),
    ("Spain", EU, 40.5, -3.7, 6), ("Sweden", EU, 60.1, 18.6, 4), ("Switzerland", EU, 46.8, 8.2, 2),
    ("Ukraine", EU, 48.4, 31.2, 4), ("United Kingdom", EU, 55.4, -3.4, 6),
    // Middle East
    ("Bahrain", ME, 26.0, 50.6, 1), ("Cyprus", ME, 35.1, 33.4, 1), ("Iran", ME, 32.4, 53.7, 6),
    ("Iraq", ME, 33.2, 43.7, 3), ("Israel", ME, 31.0, 34.9, 1), ("Jordan", ME, 30.6, 36.2, 1),
    ("Kuwait", ME, 29.3, 47.5, 1), ("Lebanon", ME, 33.9, 35.9, 1), ("Oman", ME, 21.5, 55.9, 2),
    ("Palestine", ME, 31.9, 35.2, 1), ("Qatar", ME, 25.4, 51.2, 1), ("Saudi Arabia", ME, 23.9, 45.1, 6),
    ("Syria", ME, 34.8, 39.0, 2), ("Türkiye", ME, 39.0, 35.2, 5), ("United Arab Emirates", ME, 23.4, 53.8, 1),
    ("Yemen", ME, 15.6, 48.5, 2),
    // North America
    ("Bermuda", NA, 32.3, -64.8, 1), ("Canada", NA, 56.1, -106.3, 20), ("Greenland", NA, 72.0, -40.0, 2),
    ("Mexico", NA, 23.6, -102.6, 8), ("Saint Pierre and Miquelon", NA, 46.9, -56.3, 1),
    ("United States", NA, 38.0, -97.0, 40),
    // Oceania
    ("Australia", OC, -25.3, 133.8, 15), ("Fiji", OC, -17.7, 178.1, 1), ("French Polynesia", OC, -17.7, -149.4, 1),
    ("Kiribati", OC, 1.9, -157.4, 1), ("Marshall Islands", OC, 7.1, 171.2, 1), ("Micronesia", OC, 7.4, 150.6, 1),
    ("Nauru", OC, -0.5, 166.9, 1), ("New Caledonia", OC, -20.9, 165.6, 1), ("New Zealand", OC, -40.9, 174.9, 3),
    ("Palau", OC, 7.5, 134.6, 1), ("Papua New Guinea", OC, -6.3, 144.0, 2), ("Samoa", OC, -13.8, -172.1, 1),
    ("Solomon Islands", OC, -9.6, 160.2, 1), ("Tonga", OC, -21.2, -175.2, 1), ("Tuvalu", OC, -7.1, 177.6, 1),
    ("Vanuatu", OC, -15.4, 167.0, 1),
    // South America
    ("Argentina", SA, -38.4, -63.6, 8), ("Bolivia", SA, -16.3, -63.6, 3), ("Brazil", SA, -14.2, -51.9, 15),
    ("Chile", SA, -35.7, -71.5, 4), ("Colombia", SA, 4.6, -74.3, 4), ("Ecuador", SA, -1.8, -78.2, 2),
    ("Falkland Islands", SA, -51.8, -59.5, 1), ("French Guiana", SA, 3.9, -53.1, 1), ("Guyana", SA, 4.9, -58.9, 1),
    ("Paraguay", SA, -23.4, -58.4, 2), ("Peru", SA, -9.2, -75.0, 4), ("Suriname", SA, 3.9, -56.0, 1),
    ("Uruguay", SA, -32.5, -55.8, 1), ("Venezuela", SA, 6.4, -66.6, 3),
];

#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Country {
    pub name: &'static str,
    pub region: usize,
    pub lat: f64,
    pub lon: f64,
    pub weight: u32,
}

/// Every country of the generated world.
pub fn countries() -> impl ExactSizeIterator<Item = Country> {
    COUNTRIES
        .iter()
        .map(|&(name, region, lat, lon, weight)| Country {
            name,
            region: usize::from(region),
            lat,
            lon,
            weight,
        })
}

/// One weather station: where it is and the traits its readings draw on.
#[derive(Debug, Clone, PartialEq)]
pub struct Station {
    pub id: u32,
    /// `ST000042`
    pub name: String,
    pub country: &'static str,
    pub region: usize,
    pub lat: f64,
    pub lon: f64,
    /// Altitude and siting: added to the latitude's mean temperature (°C).
    pub offset: f64,
    /// Scales the seasonal swing: coasts below 1, continental interiors above.
    pub continentality: f64,
    /// Half the day-night swing (°C).
    pub daily_amp: f64,
    /// Mean relative humidity (%).
    pub humidity: f64,
    /// Phases of the slow weather swings (radians).
    pub phases: [f64; 3],
}

/// All stations, and each region's stations in id order.
#[derive(Debug, Clone)]
pub struct World {
    pub seed: u64,
    pub stations: Vec<Station>,
    pub by_region: [Vec<usize>; 8],
}

impl World {
    pub fn new(seed: u64, stations: u32) -> World {
        let countries: Vec<Country> = countries().collect();
        let total_weight: u64 = countries.iter().map(|c| u64::from(c.weight)).sum();
        let mut rng = Rng::for_key(seed, &[0x5747_4154]);
        let mut out = Vec::with_capacity(stations as usize);
        let mut by_region: [Vec<usize>; 8] = Default::default();
        let first_round = round_robin_by_region(&countries);
        for id in 0..stations {
            let country = if let Some(&c) = first_round.get(id as usize) {
                c
            } else {
                pick_weighted(&countries, total_weight, rng.below(total_weight))
            };
            let spread = 0.8 + 1.2 * f64::from(country.weight).sqrt();
            let lat = (country.lat + rng.range(-spread, spread)).clamp(-85.0, 85.0);
            let lon = wrap_lon(country.lon + rng.range(-spread, spread) * 1.5);
            let tropical = lat.abs() < 23.5;
            let station = Station {
                id,
                name: format!("ST{id:06}"),
                country: country.name,
                region: country.region,
                lat,
                lon,
                offset: rng.normal() * 2.5 - rng.f64() * 3.0,
                continentality: rng.range(0.7, 1.7),
                daily_amp: rng.range(2.5, 7.5),
                humidity: if tropical {
                    rng.range(65.0, 88.0)
                } else {
                    rng.range(40.0, 82.0)
                },
                phases: [
                    rng.range(0.0, 6.3),
                    rng.range(0.0, 6.3),
                    rng.range(0.0, 6.3),
                ],
            };
            by_region[country.region].push(out.len());
            out.push(station);
        }
        World {
            seed,
            stations: out,
            by_region,
        }
    }
}

/// Countries ordered region by region in turn (each region's first country,
/// then each one's second, ...): a handful of stations still covers every region.
fn round_robin_by_region(countries: &[Country]) -> Vec<Country> {
    let mut queues: Vec<Vec<Country>> = (0..REGIONS.len())
        .map(|r| {
            countries
                .iter()
                .filter(|c| c.region == r)
                .rev()
                .copied()
                .collect()
        })
        .collect();
    let mut out = Vec::with_capacity(countries.len());
    loop {
        let before = out.len();
        for q in &mut queues {
            if let Some(c) = q.pop() {
                out.push(c);
            }
        }
        if out.len() == before {
            return out;
        }
    }
}

fn pick_weighted(countries: &[Country], total: u64, mut ticket: u64) -> Country {
    debug_assert!(ticket < total);
    for c in countries {
        let w = u64::from(c.weight);
        if ticket < w {
            return *c;
        }
        ticket -= w;
    }
    countries[countries.len() - 1]
}

fn wrap_lon(lon: f64) -> f64 {
    if lon > 180.0 {
        lon - 360.0
    } else if lon < -180.0 {
        lon + 360.0
    } else {
        lon
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::HashSet;

    #[test]
    fn about_two_hundred_unique_countries_in_known_regions() {
        let names: HashSet<&str> = countries().map(|c| c.name).collect();
        assert_eq!(names.len(), COUNTRIES.len(), "duplicate country name");
        assert!((190..=220).contains(&names.len()), "{}", names.len());
        for n in [
            "Côte d'Ivoire",
            "São Tomé and Príncipe",
            "Türkiye",
            "Curaçao",
        ] {
            assert!(names.contains(n), "{n}");
        }
        for c in countries() {
            assert!(c.region < REGIONS.len());
            assert!(c.lat.abs() <= 90.0 && c.lon.abs() <= 180.0, "{}", c.name);
            assert!(c.weight > 0);
        }
        // Every region has countries.
        for (r, name) in REGIONS.iter().enumerate() {
            assert!(countries().any(|c| c.region == r), "{name}");
        }
    }

    #[test]
    fn stations_cover_every_country_and_are_deterministic() {
        let w = World::new(42, 4500);
        assert_eq!(w.stations.len(), 4500);
        assert_eq!(w.stations[42].name, "ST000042");
        let used: HashSet<&str> = w.stations.iter().map(|s| s.country).collect();
        assert_eq!(used.len(), COUNTRIES.len());
        assert_eq!(w.by_region.iter().map(Vec::len).sum::<usize>(), 4500);
        let again = World::new(42, 4500);
        assert_eq!(w.stations, again.stations);
        let other = World::new(43, 4500);
        assert_ne!(w.stations, other.stations);
        // United States has the largest weight: many stations.
        let us = w
            .stations
            .iter()
            .filter(|s| s.country == "United States")
            .count();
        assert!(us > 200, "{us}");
    }

    #[test]
    fn a_few_stations_cover_every_region() {
        let w = World::new(1, 8);
        assert!(w.by_region.iter().all(|r| r.len() == 1));
        let w = World::new(1, 20);
        assert!(w.by_region.iter().all(|r| !r.is_empty()));
    }
}
