//! Seeded random queries over `temperatures`, drawn from the same SQL surface
//! as [`crate::queries::FIXED`]: 0-3 group keys (dimensions, `date_trunc`,
//! `extract`, casts, epoch buckets, `COALESCE`), 1-4 aggregates (some over
//! `CASE` or with `FILTER`), a WHERE of 0-3 predicates under AND/OR/NOT,
//! sometimes HAVING, always an ORDER BY over every group key (so row order is
//! total and LIMIT/OFFSET are deterministic); or a detail select ordered by
//! (station, measured_at, region), which is unique in the edge dataset.

use crate::rng::Rng;

const REGIONS: &[&str] = &["europe", "asia", "africa", "americas", "oceania", "nowhere"];
const COUNTRIES: &[&str] = &[
    "France",
    "Zürich-Ost",
    "Deutschland",
    "日本",
    "India",
    "Côte d''Ivoire",
    "Kenya",
    "Brasil",
    "USA",
    "Atlantis",
];
const STATIONS: &[&str] = &[
    "FR-01",
    "FR-02",
    "CH-Z1",
    "DE-01",
    "de-lower",
    "JP-01",
    "JP-東京",
    "IN-01",
    "CI-01",
    "KE-01",
    "US-01",
    "Us-03",
    "MULTI-1",
    "XX-NOCOUNTRY",
    "NO-SUCH",
];
const DATES: &[&str] = &[
    "2023-12-29",
    "2023-12-30",
    "2023-12-31",
    "2024-01-01",
    "2024-01-02",
    "2024-01-15",
    "2024-02-29",
    "2024-03-31",
    "2024-04-01",
    "2024-06-30",
    "2024-07-01",
    "2024-12-31",
];
const TIMESTAMPS: &[&str] = &[
    "2023-12-30 00:00:00+00",
    "2023-12-31 06:00:00.123456+00",
    "2024-01-01 00:00:00+00",
    "2024-01-01 06:00:00+00",
    "2024-01-02 12:00:00.999999+00",
    "2024-03-31 18:00:00+00",
    "2024-06-30 23:59:59+00",
    "2024-07-01 23:59:59.999999+00",
];
const KEYS: &[&str] = &[
    "region",
    "date",
    "country",
    "station",
    "date_trunc('day', date)",
    "date_trunc('week', date)",
    "date_trunc('month', date)",
    "date_trunc('quarter', date)",
    "date_trunc('year', date)",
    "date_trunc('hour', measured_at)",
    "date_trunc('day', measured_at)",
    "date_trunc('month', measured_at)",
    "extract(year from date)",
    "extract(month from date)",
    "extract(quarter from date)",
    "extract(dow from date)",
    "extract(day from date)",
    "extract(doy from date)",
    "extract(hour from measured_at)",
    "CAST(date_trunc('month', measured_at) AS date)",
    "CAST(measured_at AS date)",
    "floor(extract(epoch from measured_at)/3600)*3600",
    "COALESCE(country, 'none')",
];
const AGGS: &[&str] = &[
    "count(*)",
    "count(humidity)",
    "count(country)",
    "count(DISTINCT station)",
    "count(DISTINCT country)",
    "count(DISTINCT region)",
    "count(DISTINCT date)",
    "sum(temperature)",
    "avg(temperature)",
    "min(temperature)",
    "max(temperature)",
    "sum(humidity)",
    "avg(humidity)",
    "min(humidity)",
    "max(humidity)",
    "min(date)",
    "max(date)",
    "min(measured_at)",
    "max(measured_at)",
    "sum(CASE WHEN region = 'europe' THEN humidity ELSE 0 END)",
    "count(CASE WHEN humidity > 50 THEN 1 END)",
    "avg(humidity) FILTER (WHERE country <> 'France')",
    "max(CASE WHEN temperature > 0 THEN temperature END)",
];
const CMP: &[&str] = &["=", "<>", "<", "<=", ">", ">="];

fn quote(s: &str) -> String {
    format!("'{s}'")
}

fn in_list(rng: &mut Rng, pool: &[&str]) -> String {
    let n = 1 + rng.below(3);
    let items: Vec<String> = (0..n).map(|_| quote(rng.pick(pool))).collect();
    items.join(", ")
}

fn number(rng: &mut Rng, lo: f64, hi: f64) -> String {
    let v = lo + rng.unit() * (hi - lo);
    format!("{:.1}", v)
}

/// One leaf predicate.
fn leaf(rng: &mut Rng) -> String {
    match rng.below(14) {
        0 => format!(
            "region {} {}",
            rng.pick(&["=", "<>"]),
            quote(rng.pick(REGIONS))
        ),
        1 => format!(
            "region {}IN ({})",
            if rng.chance(0.3) { "NOT " } else { "" },
            in_list(rng, REGIONS)
        ),
        2 => format!("country {} {}", rng.pick(CMP), quote(rng.pick(COUNTRIES))),
        3 => format!(
            "country IS {}NULL",
            if rng.chance(0.5) { "NOT " } else { "" }
        ),
        4 => format!(
            "station {}IN ({})",
            if rng.chance(0.3) { "NOT " } else { "" },
            in_list(rng, STATIONS)
        ),
        5 | 6 => format!("date {} {}", rng.pick(CMP), quote(rng.pick(DATES))),
        7 => {
            let (a, b) = (rng.pick(DATES), rng.pick(DATES));
            format!(
                "date {}BETWEEN {} AND {}",
                if rng.chance(0.25) { "NOT " } else { "" },
                quote(a.min(b)),
                quote(a.max(b))
            )
        }
        8 => format!(
            "measured_at {} {}",
            rng.pick(CMP),
            quote(rng.pick(TIMESTAMPS))
        ),
        9 => format!("temperature {} {}", rng.pick(CMP), number(rng, -20.0, 40.0)),
        10 => {
            let a = number(rng, -20.0, 10.0);
            let b = number(rng, 10.0, 40.0);
            format!("temperature BETWEEN {a} AND {b}")
        }
        11 => format!("humidity {} {}", rng.pick(CMP), number(rng, 0.0, 100.0)),
        12 => format!(
            "humidity IS {}NULL",
            if rng.chance(0.5) { "NOT " } else { "" }
        ),
        _ => format!(
            "station {} {}",
            rng.pick(&["=", "<>", "<", ">="]),
            quote(rng.pick(STATIONS))
        ),
    }
}

/// A predicate of up to `depth` levels of AND/OR/NOT.
fn predicate(rng: &mut Rng, depth: u32) -> String {
    if depth == 0 || rng.chance(0.5) {
        return leaf(rng);
    }
    match rng.below(3) {
        0 => format!(
            "{} AND {}",
            predicate(rng, depth - 1),
            predicate(rng, depth - 1)
        ),
        1 => format!(
            "({} OR {})",
            predicate(rng, depth - 1),
            predicate(rng, depth - 1)
        ),
        _ => format!("NOT ({})", predicate(rng, depth - 1)),
    }
}

fn pick_distinct<'a>(rng: &mut Rng, pool: &[&'a str], n: usize) -> Vec<&'a str> {
    let mut out: Vec<&str> = Vec::new();
    while out.len() < n.min(pool.len()) {
        let k = rng.pick(pool);
        if !out.contains(&k) {
            out.push(k);
        }
    }
    out
}

/// An aggregate query with a total ORDER BY over its group keys.
pub fn aggregate_query(rng: &mut Rng) -> String {
    let nkeys = rng.below(4);
    let keys = pick_distinct(rng, KEYS, nkeys);
    let naggs = 1 + rng.below(4);
    let aggs = pick_distinct(rng, AGGS, naggs);
    let alias = rng.chance(0.3);
    let mut select: Vec<String> = keys
        .iter()
        .enumerate()
        .map(|(i, k)| {
            if alias {
                format!("{k} AS k{i}")
            } else {
                k.to_string()
            }
        })
        .collect();
    select.extend(aggs.iter().map(|a| a.to_string()));
    let mut sql = format!("SELECT {} FROM temperatures", select.join(", "));
    if rng.chance(0.7) {
        sql.push_str(&format!(" WHERE {}", predicate(rng, 2)));
    }
    if keys.is_empty() {
        return sql;
    }
    let by_position = rng.chance(0.5);
    let group: Vec<String> = keys
        .iter()
        .enumerate()
        .map(|(i, k)| {
            if by_position {
                (i + 1).to_string()
            } else if alias {
                format!("k{i}")
            } else {
                k.to_string()
            }
        })
        .collect();
    sql.push_str(&format!(" GROUP BY {}", group.join(", ")));
    if rng.chance(0.2) {
        sql.push_str(&format!(" HAVING count(*) > {}", rng.below(30)));
    }
    let order: Vec<String> = (0..keys.len())
        .map(|i| {
            let dir = rng.pick(&["", " ASC", " DESC"]);
            let nulls = rng.pick(&["", "", " NULLS FIRST", " NULLS LAST"]);
            let target = if alias {
                format!("k{i}")
            } else {
                (i + 1).to_string()
            };
            format!("{target}{dir}{nulls}")
        })
        .collect();
    sql.push_str(&format!(" ORDER BY {}", order.join(", ")));
    if rng.chance(0.25) {
        sql.push_str(&format!(" LIMIT {}", rng.below(10)));
        if rng.chance(0.5) {
            sql.push_str(&format!(" OFFSET {}", rng.below(5)));
        }
    }
    sql
}

/// A detail select, totally ordered.
pub fn detail_query(rng: &mut Rng) -> String {
    const COLS: &[&str] = &[
        "date",
        "region",
        "country",
        "station",
        "measured_at",
        "temperature",
        "humidity",
    ];
    let cols = if rng.chance(0.3) {
        "*".to_string()
    } else {
        {
            let n = 1 + rng.below(4);
            pick_distinct(rng, COLS, n).join(", ")
        }
    };
    format!(
        "SELECT {cols} FROM temperatures WHERE {} ORDER BY station, measured_at, region LIMIT {}",
        predicate(rng, 2),
        1 + rng.below(50)
    )
}

/// `n` queries from `seed`: mostly aggregates, some detail selects.
pub fn generate(seed: u64, n: usize) -> Vec<String> {
    let mut rng = Rng::new(seed);
    (0..n)
        .map(|_| {
            if rng.chance(0.85) {
                aggregate_query(&mut rng)
            } else {
                detail_query(&mut rng)
            }
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn generation_is_reproducible_and_varied() {
        let a = generate(42, 300);
        assert_eq!(a, generate(42, 300));
        assert_ne!(a, generate(43, 300));
        let distinct: std::collections::HashSet<&String> = a.iter().collect();
        assert!(distinct.len() > 280);
        assert!(
            a.iter()
                .any(|q| q.contains("GROUP BY") && q.contains("HAVING"))
        );
        assert!(a.iter().any(|q| q.contains("date_trunc")));
        assert!(a.iter().any(|q| q.contains("NOT (")));
        assert!(
            a.iter()
                .any(|q| q.contains("ORDER BY station, measured_at"))
        );
        for q in &a {
            if q.contains("GROUP BY") || q.contains("LIMIT") {
                assert!(crate::compare::has_order_by(q), "{q}");
            }
        }
    }

    #[tokio::test]
    async fn every_generated_query_runs_on_postgres() {
        let db = crate::pg::cluster()
            .expect("cluster")
            .create_database("querygen")
            .await
            .expect("db");
        let c = db.connect().await.expect("connect");
        crate::pg_load::create_table(&c, "temperatures")
            .await
            .expect("create");
        let ds = crate::data::edge_dataset(crate::data::EdgeOptions::default());
        crate::pg_load::load_rows(&c, "temperatures", ds.rows())
            .await
            .expect("load");
        let mut nonempty = 0;
        for q in generate(7, 300) {
            let a = crate::compare::query_text(&c, &q).await;
            let a = a.unwrap_or_else(|e| panic!("{q}: {e}"));
            if !a.rows.is_empty() {
                nonempty += 1;
            }
        }
        assert!(
            nonempty > 200,
            "too many empty answers: {nonempty} non-empty"
        );
        for sql in crate::queries::FIXED
            .iter()
            .chain(crate::queries::LITERALS)
            .chain(crate::queries::BI)
        {
            crate::compare::query_typed(&c, sql)
                .await
                .unwrap_or_else(|e| panic!("{sql}: {e}"));
        }
        for (sql, code) in crate::queries::ERRORS {
            let e = crate::compare::query_text(&c, sql).await.expect_err(sql);
            assert_eq!(e.code.as_deref(), Some(*code), "{sql}: {e}");
        }
    }
}
