//! The same rows into PostgreSQL: `CREATE TABLE` in Isotherm's column order,
//! then `COPY ... FROM STDIN` (text format).

use futures::SinkExt;
use tokio_postgres::Client;

use crate::data::{MICROS, Row};
use crate::error::{Context, Result};

/// The table as Isotherm presents it: partition columns in path order, then the file's.
pub fn create_table_sql(table: &str) -> String {
    format!(
        "CREATE TABLE {table} (date date, region text, country text, station text, \
         measured_at timestamptz, temperature double precision, humidity double precision)"
    )
}

pub async fn create_table(client: &Client, table: &str) -> Result<()> {
    client
        .batch_execute(&create_table_sql(table))
        .await
        .ctx("CREATE TABLE in PostgreSQL")
}

/// COPY text-format escaping: backslash, tab, newline, carriage return.
fn escape(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        match c {
            '\\' => out.push_str("\\\\"),
            '\t' => out.push_str("\\t"),
            '\n' => out.push_str("\\n"),
            '\r' => out.push_str("\\r"),
            c => out.push(c),
        }
    }
    out
}

/// A float as PostgreSQL's `float8in` reads it back bit for bit.
pub fn float_literal(v: f64) -> String {
    if v.is_nan() {
        "NaN".to_string()
    } else if v.is_infinite() {
        if v > 0.0 { "Infinity" } else { "-Infinity" }.to_string()
    } else {
        // `{:e}` is the shortest round-trip form; keeps -0 and 1e-300 exact.
        format!("{v:e}")
    }
}

/// `YYYY-MM-DD HH:MM:SS.ffffff+00` for microseconds since the epoch.
pub fn timestamptz_literal(micros: i64) -> String {
    let secs = micros.div_euclid(MICROS);
    let frac = micros.rem_euclid(MICROS);
    let dt = chrono::DateTime::from_timestamp(secs, 0).unwrap_or_default();
    format!("{}.{frac:06}+00", dt.format("%Y-%m-%d %H:%M:%S"))
}

/// One COPY text line for a row.
pub fn copy_line(r: &Row) -> String {
    let opt = |v: Option<String>| v.unwrap_or_else(|| "\\N".to_string());
    format!(
        "{}\t{}\t{}\t{}\t{}\t{}\t{}\n",
        r.date.format("%Y-%m-%d"),
        escape(&r.region),
        opt(r.country.as_deref().map(escape)),
        escape(&r.station),
        timestamptz_literal(r.measured_at),
        float_literal(r.temperature),
        opt(r.humidity.map(float_literal)),
    )
}

/// Appends rows to `table` with COPY.
pub async fn load_rows<'a>(
    client: &Client,
    table: &str,
    rows: impl IntoIterator<Item = &'a Row>,
) -> Result<u64> {
    let sink = client
        .copy_in(&format!("COPY {table} FROM STDIN"))
        .await
        .ctx("COPY FROM STDIN")?;
    futures::pin_mut!(sink);
    let mut buf = String::new();
    for r in rows {
        buf.push_str(&copy_line(r));
        if buf.len() > 1 << 20 {
            sink.send(bytes::Bytes::from(std::mem::take(&mut buf)))
                .await?;
        }
    }
    if !buf.is_empty() {
        sink.send(bytes::Bytes::from(buf)).await?;
    }
    sink.finish().await.ctx("COPY finish")
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::data::{EdgeOptions, edge_dataset};

    #[test]
    fn literals_are_postgres_input() {
        assert_eq!(float_literal(-0.0), "-0e0");
        assert_eq!(float_literal(1e-300), "1e-300");
        assert_eq!(float_literal(f64::NAN), "NaN");
        assert_eq!(timestamptz_literal(0), "1970-01-01 00:00:00.000000+00");
        assert_eq!(timestamptz_literal(-1), "1969-12-31 23:59:59.999999+00");
        assert_eq!(escape("a\tb\\c\nd"), "a\\tb\\\\c\\nd");
    }

    #[tokio::test]
    async fn edge_rows_load_into_postgres_exactly() {
        let db = crate::pg::cluster()
            .expect("cluster")
            .create_database("pg_load")
            .await
            .expect("db");
        let client = db.connect().await.expect("connect");
        create_table(&client, "temperatures").await.expect("create");
        let ds = edge_dataset(EdgeOptions {
            nan: true,
            null_country: true,
        });
        let n = load_rows(&client, "temperatures", ds.rows())
            .await
            .expect("load");
        assert_eq!(n as usize, ds.row_count());
        let row = client
            .query_one(
                "SELECT count(*), count(humidity), count(country), \
                 sum(CASE WHEN temperature = 0 AND text(temperature) = '-0' THEN 1 ELSE 0 END), \
                 max(temperature), min(humidity), count(*) FILTER (WHERE humidity = 'NaN'), \
                 count(*) FILTER (WHERE country = 'Côte d''Ivoire'), \
                 max(measured_at)::text \
                 FROM temperatures",
                &[],
            )
            .await
            .expect("query");
        assert_eq!(row.get::<_, i64>(0) as usize, ds.row_count());
        assert_eq!(
            row.get::<_, i64>(1) as usize,
            ds.rows().filter(|r| r.humidity.is_some()).count()
        );
        assert_eq!(
            row.get::<_, i64>(2) as usize,
            ds.rows().filter(|r| r.country.is_some()).count()
        );
        assert_eq!(row.get::<_, i64>(3), 1, "-0.0 survives loading");
        assert_eq!(row.get::<_, f64>(4), 1.5e100);
        assert_eq!(row.get::<_, f64>(5), 1e-300);
        assert_eq!(row.get::<_, i64>(6), 1);
        assert!(row.get::<_, i64>(7) > 0);
        assert_eq!(row.get::<_, String>(8), "2024-07-01 23:59:59.999999+00");
    }
}
