//! The fixed differential query list over the edge dataset (table
//! `temperatures`) and the error cases with their SQLSTATEs.
//!
//! Every query either has an ORDER BY that totally orders its rows or is
//! compared as a multiset (see [`crate::compare`]).

/// The SQL surface, one feature or edge per query.
pub const FIXED: &[&str] = &[
    // Counting.
    "SELECT count(*) FROM temperatures",
    "SELECT count(humidity) FROM temperatures",
    "SELECT count(country) FROM temperatures",
    "SELECT count(DISTINCT station) FROM temperatures",
    "SELECT count(DISTINCT country), count(DISTINCT region), count(DISTINCT date) FROM temperatures",
    "SELECT count(*) AS \"Total Count\" FROM temperatures",
    // Aggregates per dimension.
    "SELECT region, count(*), sum(temperature), avg(temperature), min(temperature), max(temperature) FROM temperatures GROUP BY region ORDER BY region",
    "SELECT date, count(*), sum(humidity), avg(humidity), min(humidity), max(humidity) FROM temperatures GROUP BY date ORDER BY date",
    "SELECT country, count(*), avg(temperature) FROM temperatures GROUP BY country ORDER BY country NULLS FIRST",
    "SELECT country, count(*) FROM temperatures GROUP BY country ORDER BY country DESC NULLS LAST",
    "SELECT station, count(*), min(temperature), max(temperature), count(humidity) FROM temperatures GROUP BY station ORDER BY station",
    "SELECT region, date, count(*), sum(temperature) FROM temperatures GROUP BY region, date ORDER BY region, date",
    "SELECT region, count(DISTINCT station) FROM temperatures GROUP BY region ORDER BY 1",
    "SELECT date, count(DISTINCT station), count(DISTINCT country) FROM temperatures GROUP BY date ORDER BY date DESC",
    "SELECT region FROM temperatures GROUP BY region ORDER BY region",
    "SELECT region, country, station, count(*) FROM temperatures GROUP BY region, country, station",
    "SELECT min(date), max(date), min(measured_at), max(measured_at) FROM temperatures",
    "SELECT min(country), max(country), min(station), max(station) FROM temperatures",
    // WHERE on dimensions.
    "SELECT count(*) FROM temperatures WHERE region = 'europe'",
    "SELECT count(*) FROM temperatures WHERE region <> 'europe'",
    "SELECT count(*), sum(temperature) FROM temperatures WHERE region IN ('asia', 'africa')",
    "SELECT count(*), sum(temperature) FROM temperatures WHERE region NOT IN ('asia', 'africa')",
    "SELECT count(*) FROM temperatures WHERE region = 'oceania'",
    "SELECT count(*), sum(temperature), avg(temperature), min(humidity), max(date) FROM temperatures WHERE region = 'nowhere'",
    "SELECT region, count(*) FROM temperatures WHERE region = 'nowhere' GROUP BY region",
    "SELECT count(*), avg(temperature) FROM temperatures WHERE country = 'Côte d''Ivoire'",
    "SELECT station, count(*) FROM temperatures WHERE country = '日本' GROUP BY station ORDER BY station",
    "SELECT count(*) FROM temperatures WHERE country IS NULL",
    "SELECT count(*) FROM temperatures WHERE country IS NOT NULL AND country <> 'France'",
    "SELECT count(*) FROM temperatures WHERE country NOT IN ('France', 'Kenya')",
    // Dates.
    "SELECT count(*), sum(temperature) FROM temperatures WHERE date < '2024-01-01'",
    "SELECT count(*) FROM temperatures WHERE date <= '2024-01-01'",
    "SELECT count(*) FROM temperatures WHERE date > '2024-03-31'",
    "SELECT count(*) FROM temperatures WHERE date >= '2024-03-31'",
    "SELECT count(*) FROM temperatures WHERE date = '2024-02-29'",
    "SELECT count(*) FROM temperatures WHERE date <> '2024-02-29'",
    "SELECT region, count(*) FROM temperatures WHERE date BETWEEN '2023-12-31' AND '2024-03-31' GROUP BY region ORDER BY region",
    "SELECT count(*) FROM temperatures WHERE date NOT BETWEEN '2023-12-31' AND '2024-03-31'",
    "SELECT count(*) FROM temperatures WHERE date IN ('2024-01-01', '2024-07-01', '2025-01-01')",
    // Timestamps.
    "SELECT count(*), min(measured_at) FROM temperatures WHERE measured_at >= '2024-01-01 06:00:00+00'",
    "SELECT count(*) FROM temperatures WHERE measured_at < '2024-01-01 12:00:00.123456+00' AND measured_at > '2023-12-31'",
    "SELECT count(*) FROM temperatures WHERE measured_at = '2024-07-01 23:59:59.999999+00'",
    "SELECT station, measured_at FROM temperatures WHERE measured_at BETWEEN '2024-02-29 05:00:00+00' AND '2024-02-29 07:00:00+00' ORDER BY station, measured_at",
    // Measures.
    "SELECT count(*) FROM temperatures WHERE temperature > 10",
    "SELECT count(*), min(temperature) FROM temperatures WHERE temperature <= -5.5",
    "SELECT count(*) FROM temperatures WHERE temperature = 0",
    "SELECT count(*), sum(temperature) FROM temperatures WHERE temperature BETWEEN -1 AND 1",
    "SELECT count(*), avg(humidity) FROM temperatures WHERE humidity >= 50 AND temperature < 20",
    "SELECT count(*) FROM temperatures WHERE humidity < 30 OR humidity IS NULL",
    "SELECT count(*) FROM temperatures WHERE humidity IS NOT NULL",
    // Boolean combinations.
    "SELECT count(*) FROM temperatures WHERE region = 'europe' AND date >= '2024-01-01' OR region = 'asia'",
    "SELECT count(*) FROM temperatures WHERE NOT (region = 'europe' OR country = 'Kenya')",
    "SELECT count(*) FROM temperatures WHERE NOT (humidity > 50)",
    "SELECT region, count(*) FROM temperatures WHERE (date < '2024-01-01' OR date > '2024-06-01') AND NOT region IN ('asia') GROUP BY region ORDER BY region",
    // Time buckets.
    "SELECT date_trunc('day', date), count(*) FROM temperatures GROUP BY 1 ORDER BY 1",
    "SELECT date_trunc('week', date), count(*), avg(temperature) FROM temperatures GROUP BY 1 ORDER BY 1",
    "SELECT date_trunc('month', date) AS month, count(*), sum(humidity) FROM temperatures GROUP BY month ORDER BY month",
    "SELECT date_trunc('quarter', date), region, count(*) FROM temperatures GROUP BY 1, 2 ORDER BY 1, 2",
    "SELECT date_trunc('year', date), max(temperature) FROM temperatures GROUP BY date_trunc('year', date) ORDER BY 1",
    "SELECT date_trunc('hour', measured_at), count(*) FROM temperatures GROUP BY 1 ORDER BY 1",
    "SELECT date_trunc('day', measured_at), count(*) FROM temperatures GROUP BY 1 ORDER BY 1 DESC",
    "SELECT date_trunc('month', measured_at), min(temperature) FROM temperatures GROUP BY 1 ORDER BY 1",
    "SELECT extract(year from date), count(*) FROM temperatures GROUP BY 1 ORDER BY 1",
    "SELECT extract(month from date), extract(quarter from date), count(*) FROM temperatures GROUP BY 1, 2 ORDER BY 1, 2",
    "SELECT extract(dow from date) AS dow, count(*) FROM temperatures GROUP BY dow ORDER BY dow",
    "SELECT extract(hour from measured_at), count(*) FROM temperatures GROUP BY 1 ORDER BY 1",
    "SELECT count(*) FROM temperatures WHERE date_trunc('month', date) = '2024-01-01'",
    "SELECT count(*) FROM temperatures WHERE extract(dow from date) = 0",
    // HAVING, aliases, ORDER BY, LIMIT/OFFSET.
    "SELECT station, count(*) FROM temperatures GROUP BY station HAVING count(*) > 40 ORDER BY station",
    "SELECT region, avg(temperature) FROM temperatures GROUP BY region HAVING avg(temperature) > 5 ORDER BY region",
    "SELECT region AS r, count(*) AS n FROM temperatures GROUP BY r ORDER BY n DESC, r",
    "SELECT station, max(temperature) AS hi FROM temperatures GROUP BY station ORDER BY hi DESC, station LIMIT 5",
    "SELECT station, avg(humidity) AS h FROM temperatures GROUP BY station ORDER BY h DESC NULLS FIRST, station",
    "SELECT station, avg(humidity) AS h FROM temperatures GROUP BY station ORDER BY h NULLS FIRST, station",
    "SELECT station, avg(humidity) FROM temperatures GROUP BY station ORDER BY 2 DESC NULLS LAST, 1",
    "SELECT station, count(*) FROM temperatures GROUP BY station ORDER BY station LIMIT 3 OFFSET 2",
    "SELECT region, date FROM temperatures GROUP BY region, date ORDER BY region DESC, date ASC LIMIT 7 OFFSET 3",
    "SELECT region, count(*) FROM temperatures GROUP BY region ORDER BY region LIMIT 0",
    "SELECT count(*) FROM public.temperatures",
    "SELECT \"region\", count(\"station\") FROM \"temperatures\" GROUP BY \"region\" ORDER BY \"region\"",
    "select region, count(*) from temperatures group by region order by region desc",
    // Names: aliases, qualified columns, case.
    "SELECT count(*) FROM temperatures t WHERE t.region = 'europe'",
    "SELECT t.region, count(t.station) FROM temperatures AS t GROUP BY t.region ORDER BY t.region",
    "SELECT temperatures.region, count(*) FROM temperatures GROUP BY temperatures.region ORDER BY 1",
    "SELECT DATE_TRUNC('MONTH', date), COUNT(*) FROM temperatures GROUP BY 1 ORDER BY 1",
    "SELECT Region, COUNT(*) AS N FROM Temperatures GROUP BY Region ORDER BY Region",
    // ORDER BY and HAVING on what is not selected.
    "SELECT region FROM temperatures GROUP BY region ORDER BY count(*) DESC, region",
    "SELECT station, count(*) FROM temperatures GROUP BY station HAVING max(temperature) > 20 ORDER BY station",
    "SELECT station FROM temperatures ORDER BY temperature DESC, station, measured_at LIMIT 5",
    "SELECT region, count(*) FROM temperatures GROUP BY region ORDER BY 1 OFFSET 2",
    "SELECT count(1) FROM temperatures",
    // More buckets and fields.
    "SELECT date_trunc('minute', measured_at), count(*) FROM temperatures WHERE date = '2024-01-01' GROUP BY 1 ORDER BY 1",
    "SELECT extract(week from date), extract(isodow from date), count(*) FROM temperatures GROUP BY 1, 2 ORDER BY 1, 2",
    "SELECT extract(second from measured_at), count(*) FROM temperatures GROUP BY 1 ORDER BY 1",
    "SELECT extract(epoch from measured_at), station FROM temperatures WHERE date = '2024-07-01' AND region = 'europe' ORDER BY 1, 2",
    "SELECT extract(epoch from date), count(*) FROM temperatures GROUP BY 1 ORDER BY 1",
    "SELECT extract(minute from measured_at), extract(doy from date), count(*) FROM temperatures GROUP BY 1, 2 ORDER BY 1, 2",
    "SELECT count(*) FROM temperatures WHERE date BETWEEN '2024-03-31' AND '2023-12-31'",
    "SELECT count(*) FROM temperatures WHERE region IN ('europe')",
    // Detail rows.
    "SELECT * FROM temperatures ORDER BY station, measured_at, region LIMIT 20",
    "SELECT * FROM temperatures WHERE station = 'MULTI-1' ORDER BY measured_at, region",
    "SELECT date, region, station, temperature FROM temperatures WHERE temperature > 15 ORDER BY temperature DESC, station, measured_at LIMIT 10",
    "SELECT station, humidity FROM temperatures WHERE humidity IS NULL AND region = 'africa' ORDER BY station, humidity",
    "SELECT country, station, temperature FROM temperatures WHERE temperature < -30 OR temperature > 1000 OR temperature = 0",
    "SELECT * FROM temperatures WHERE region = 'europe' AND date = '2024-01-01'",
];

/// SQL the BI tools generate (Metabase, Superset, Grafana, Tableau), which
/// the index answers: quoted and qualified names, casts, `date_trunc`,
/// `TO_TIMESTAMP` filters, epoch buckets, `CASE` and `FILTER` inside
/// aggregates, `COALESCE`, subquery wrappers.
pub const BI: &[&str] = &[
    // Metabase.
    "SELECT \"public\".\"temperatures\".\"region\" AS \"region\", count(*) AS \"count\" FROM \"public\".\"temperatures\" GROUP BY \"public\".\"temperatures\".\"region\" ORDER BY \"public\".\"temperatures\".\"region\" ASC",
    "SELECT CAST(date_trunc('month', \"public\".\"temperatures\".\"measured_at\") AS date) AS \"measured_at\", count(*) AS \"count\" FROM \"public\".\"temperatures\" GROUP BY CAST(date_trunc('month', \"public\".\"temperatures\".\"measured_at\") AS date) ORDER BY CAST(date_trunc('month', \"public\".\"temperatures\".\"measured_at\") AS date) ASC",
    "SELECT CAST(\"public\".\"temperatures\".\"measured_at\" AS date) AS \"measured_at\", avg(\"public\".\"temperatures\".\"humidity\") AS \"avg\" FROM \"public\".\"temperatures\" WHERE (\"public\".\"temperatures\".\"measured_at\" >= timestamp with time zone '2024-01-01 00:00:00.000Z' AND \"public\".\"temperatures\".\"measured_at\" < timestamp with time zone '2024-04-01 00:00:00.000Z') GROUP BY CAST(\"public\".\"temperatures\".\"measured_at\" AS date) ORDER BY CAST(\"public\".\"temperatures\".\"measured_at\" AS date) ASC",
    "SELECT count(*) AS \"count\" FROM (SELECT \"public\".\"temperatures\".\"region\" AS \"region\", \"public\".\"temperatures\".\"temperature\" AS \"temperature\" FROM \"public\".\"temperatures\" WHERE \"public\".\"temperatures\".\"temperature\" > 0) AS \"source\"",
    "SELECT \"source\".\"region\" AS \"region\", sum(\"source\".\"humidity\") AS \"sum\" FROM (SELECT \"public\".\"temperatures\".\"region\" AS \"region\", \"public\".\"temperatures\".\"humidity\" AS \"humidity\" FROM \"public\".\"temperatures\") AS \"source\" WHERE \"source\".\"humidity\" IS NOT NULL GROUP BY \"source\".\"region\" ORDER BY \"source\".\"region\" ASC",
    "SELECT * FROM (SELECT station, temperature AS t FROM temperatures WHERE region = 'europe') AS source WHERE t > 5 ORDER BY station, t",
    "SELECT count(1) AS \"count\" FROM temperatures WHERE humidity IS NOT NULL",
    "SELECT COALESCE(\"country\", 'Unknown') AS \"country\", count(*) AS \"count\" FROM \"temperatures\" GROUP BY COALESCE(\"country\", 'Unknown') ORDER BY 1",
    // Superset.
    "SELECT DATE_TRUNC('day', measured_at) AS __timestamp, region AS region, count(*) AS count FROM public.temperatures WHERE measured_at >= TO_TIMESTAMP('2024-01-01 00:00:00.000000', 'YYYY-MM-DD HH24:MI:SS.US') AND measured_at < TO_TIMESTAMP('2024-07-01 00:00:00.000000', 'YYYY-MM-DD HH24:MI:SS.US') GROUP BY DATE_TRUNC('day', measured_at), region ORDER BY count DESC, __timestamp, region LIMIT 1000",
    "SELECT region AS region, sum(temperature) AS \"SUM(temperature)\" FROM public.temperatures GROUP BY region ORDER BY \"SUM(temperature)\" DESC, 1 LIMIT 1000",
    "SELECT DATE_TRUNC('month', date) AS __timestamp, count(*) AS count FROM public.temperatures WHERE date >= TO_DATE('2024-01-01', 'YYYY-MM-DD') GROUP BY DATE_TRUNC('month', date) ORDER BY 1 LIMIT 10000",
    // Grafana.
    "SELECT floor(extract(epoch from \"measured_at\")/86400)*86400 AS \"time\", avg(\"temperature\") AS \"temperature\" FROM temperatures WHERE \"measured_at\" BETWEEN '2024-01-01T00:00:00Z' AND '2024-07-02T00:00:00Z' GROUP BY 1 ORDER BY 1",
    "SELECT floor(extract(epoch from measured_at)/3600)*3600 AS \"time\", region AS metric, count(*) AS value FROM temperatures WHERE measured_at BETWEEN '2023-12-31T00:00:00Z' AND '2024-01-02T00:00:00Z' GROUP BY 1, 2 ORDER BY 1, 2",
    "SELECT extract(epoch from measured_at) AS \"time\", station AS metric, humidity FROM temperatures WHERE region = 'europe' AND date = '2024-01-01' ORDER BY 1, 2",
    "SELECT floor(extract(epoch from date)/604800)*604800 AS \"time\", max(humidity) FROM temperatures GROUP BY 1 ORDER BY 1",
    // Tableau.
    "SELECT CAST(\"temperatures\".\"region\" AS TEXT) AS \"region\", SUM(\"temperatures\".\"humidity\") AS \"sum:humidity:ok\" FROM \"public\".\"temperatures\" \"temperatures\" GROUP BY 1 ORDER BY 1",
    "SELECT CAST(EXTRACT(YEAR FROM \"temperatures\".\"date\") AS INTEGER) AS \"yr:date:ok\", COUNT(*) AS \"cnt\" FROM \"public\".\"temperatures\" \"temperatures\" GROUP BY 1 ORDER BY 1",
    "SELECT SUM(CAST(1 AS BIGINT)) AS \"sum:Number of Records:ok\" FROM \"public\".\"temperatures\" \"temperatures\"",
    "SELECT CAST(\"temperatures\".\"measured_at\" AS DATE) AS \"day\", COUNT(\"temperatures\".\"humidity\") AS \"cnt\" FROM \"public\".\"temperatures\" \"temperatures\" WHERE (\"temperatures\".\"measured_at\" >= (TIMESTAMP '2024-01-01 00:00:00')) GROUP BY 1 ORDER BY 1",
    // CASE and FILTER inside aggregates.
    "SELECT region, sum(CASE WHEN country = 'France' THEN humidity ELSE 0 END) AS fr, count(CASE WHEN humidity > 50 THEN 1 END) AS humid, avg(CASE WHEN station <> 'FR-01' THEN humidity END) AS h FROM temperatures GROUP BY region ORDER BY region",
    "SELECT sum(CASE WHEN region = 'europe' THEN 1 ELSE 0 END), avg(CASE WHEN region = 'europe' THEN 1.0 ELSE 0 END), max(CASE WHEN station = 'FR-01' THEN temperature END), min(CASE region WHEN 'asia' THEN humidity WHEN 'africa' THEN -1 END) FROM temperatures",
    "SELECT station, sum(CASE WHEN humidity > 50 THEN 1 ELSE 0 END) AS humid, count(CASE WHEN humidity <= 50 THEN station END) AS dry, count(*) FROM temperatures GROUP BY station ORDER BY station",
    "SELECT region, count(*) FILTER (WHERE humidity IS NULL) AS missing, sum(humidity) FILTER (WHERE country <> 'France') AS s FROM temperatures GROUP BY region ORDER BY region",
    "SELECT date, count(DISTINCT CASE WHEN humidity > 50 THEN station END) FROM temperatures GROUP BY date ORDER BY date",
    "SELECT station, sum(coalesce(humidity, 0)) AS s, min(coalesce(humidity, -1)) AS lo, max(coalesce(humidity, -1)) AS hi FROM temperatures GROUP BY station ORDER BY station",
    "SELECT region, CASE WHEN count(*) > 100 THEN 'many' ELSE 'few' END AS size, coalesce(max(humidity), -1) AS hi FROM temperatures GROUP BY region ORDER BY region",
    // Casts, ORDER BY position, row limits.
    "SELECT date::timestamp AS d, count(*)::int AS n FROM temperatures GROUP BY 1 ORDER BY 1",
    "SELECT date_trunc('week', measured_at)::date AS week, count(*) FROM temperatures GROUP BY 1 ORDER BY 1",
    "SELECT station, max(humidity) FROM temperatures WHERE humidity IS NOT NULL GROUP BY station ORDER BY 1 DESC LIMIT 1000",
    "SELECT extract(epoch from date_trunc('hour', measured_at))::bigint AS h, count(*) FROM temperatures WHERE date = '2024-01-01' GROUP BY 1 ORDER BY 1",
    "SELECT count(*) FROM temperatures WHERE measured_at >= '2024-01-01 00:00:00'::timestamp AND measured_at < to_timestamp(1704153600)",
];

/// `numeric` on the general path (CTEs and derived tables, which the index
/// leaves to the engine): `avg` of integers and numeric division at
/// PostgreSQL's per-value scale, numeric literals, casts to `numeric`,
/// numerics through UNION, GROUP BY, HAVING, ORDER BY and joins, and the
/// column names a CTE's expressions get.
pub const GENERAL: &[&str] = &[
    "WITH s AS (SELECT station, count(*) AS n FROM temperatures GROUP BY station) SELECT avg(n), sum(n) / count(*), max(n) / 7.0, min(n)::numeric / 3, avg(n) / 3, avg(n) + 1, avg(n) * 2 FROM s",
    "WITH t AS (SELECT * FROM temperatures) SELECT region, avg(CASE WHEN humidity > 50 THEN 1 ELSE 0 END) AS humid, avg(CASE WHEN region = 'europe' THEN 1.0 ELSE 0 END) AS eu FROM t GROUP BY region ORDER BY region",
    "WITH s AS (SELECT region, count(*) AS n FROM temperatures GROUP BY region) SELECT region, n * 1.5 AS scaled, round(n / 7.0, 2) AS r, (n / 3.0)::int AS i, n::numeric AS num, n / 4.0 > 10 AS big FROM s ORDER BY region",
    "WITH s AS (SELECT station, max(temperature) AS hi, max(humidity) AS h FROM temperatures GROUP BY station) SELECT station, hi::numeric, CAST(hi AS numeric(10, 1)), h::numeric FROM s ORDER BY station",
    "WITH s AS (SELECT region FROM temperatures GROUP BY region) SELECT region, 1.50 AS a, 2.5 * 2 AS b, 1e3 AS c, 10 / 4.0 AS d, -0.001 AS e, '12.50'::numeric AS f FROM s ORDER BY region",
    "WITH s AS (SELECT station, count(*) AS n FROM temperatures GROUP BY station) SELECT n % 3 AS k, avg(n) AS a, avg(DISTINCT n) AS d, avg(n) FILTER (WHERE n > 3) AS f FROM s GROUP BY 1 HAVING avg(n) > 1.5 ORDER BY a DESC, k",
    "WITH s AS (SELECT region, count(*) AS n FROM temperatures GROUP BY region) SELECT region, avg(n) FROM s GROUP BY region UNION ALL SELECT 'all', 1.5 UNION ALL SELECT 'none', 2 ORDER BY 1",
    "WITH s AS (SELECT station, count(*) AS n FROM temperatures GROUP BY station) SELECT n / 3.0 AS third, count(*) FROM s GROUP BY 1 ORDER BY 1",
    "WITH s AS (SELECT station, count(*) AS n FROM temperatures GROUP BY station) SELECT a.station, a.n / 2.0 AS half FROM s a JOIN s b ON a.n / 2.0 = b.n / 2.0 AND a.station = b.station WHERE a.n / 3.0 > 1 ORDER BY half DESC, a.station",
    "WITH s AS (SELECT extract(epoch from measured_at) AS e FROM temperatures WHERE date = '2024-01-01') SELECT e / 60 AS minute, floor(e / 86400) * 86400 AS day, count(*) FROM s GROUP BY 1, 2 ORDER BY 1",
    "WITH q AS (SELECT region, avg(humidity), count(*), max(temperature) - min(temperature) FROM temperatures GROUP BY region) SELECT * FROM q ORDER BY region",
    "WITH q AS (SELECT region, count(*) AS n FROM temperatures GROUP BY region) SELECT n, n::text, n::float8, (n / 7.0)::float8 FROM q ORDER BY 1",
    "SELECT * FROM (SELECT station, sum(CASE WHEN humidity IS NULL THEN 1 ELSE 0 END) / count(*)::numeric FROM temperatures GROUP BY station) AS t ORDER BY 1",
    // avg over a window of integers.
    "WITH d AS (SELECT date, count(*) AS n FROM temperatures GROUP BY date) SELECT date, n, avg(n) OVER (ORDER BY date ROWS BETWEEN 2 PRECEDING AND CURRENT ROW) AS moving, avg(n) OVER () AS overall, n - avg(n) OVER () AS delta FROM d ORDER BY date",
    // Casts to integers round (floats half to even, numerics half away from zero).
    "WITH t AS (SELECT station, temperature FROM temperatures) SELECT station, max(temperature)::int AS hi, min(temperature)::int AS lo, (max(temperature) * 2)::int AS dbl, (count(*) / 4.0)::int AS q, CAST(avg(temperature) AS bigint) AS a FROM t WHERE temperature BETWEEN -100 AND 100 GROUP BY station ORDER BY station",
    // Floats meeting numeric literals compute in float8.
    "WITH t AS (SELECT * FROM temperatures) SELECT count(*) FILTER (WHERE temperature <= -5.5) AS a, count(*) FILTER (WHERE temperature BETWEEN -5.5 AND 10.25) AS b, count(*) FILTER (WHERE temperature IN (0.5, 1.5, -0.0)) AS c, max(CASE WHEN humidity > 50 THEN humidity ELSE 0.5 END) AS d, min(coalesce(humidity, 1.5)) AS e, count(*) FILTER (WHERE humidity > 1e100 OR humidity < 1e-200) AS f, max(temperature * 1.8 + 32) AS g FROM t",
    "WITH t AS (SELECT region, max(temperature) AS hi FROM temperatures GROUP BY region) SELECT region, hi FROM t UNION ALL SELECT 'x', 1.25 ORDER BY 1, 2",
];

/// Literal spellings PostgreSQL accepts: exponents, leading/trailing dots,
/// signs, casts, typed literals.
pub const LITERALS: &[&str] = &[
    "SELECT count(*) FROM temperatures WHERE temperature > 1e100",
    "SELECT count(*) FROM temperatures WHERE temperature > 1.5E+1",
    "SELECT count(*) FROM temperatures WHERE humidity < 1e-200",
    "SELECT count(*) FROM temperatures WHERE temperature < -.5",
    "SELECT count(*) FROM temperatures WHERE temperature >= 5.",
    "SELECT count(*) FROM temperatures WHERE temperature > +3",
    "SELECT count(*) FROM temperatures WHERE temperature = -0.0",
    "SELECT count(*) FROM temperatures WHERE temperature > '12.5'",
    "SELECT count(*) FROM temperatures WHERE date = DATE '2024-01-01'",
    "SELECT count(*) FROM temperatures WHERE date < '2024-01-01'::date",
    "SELECT count(*) FROM temperatures WHERE measured_at >= TIMESTAMPTZ '2024-01-01 06:00:00+00'",
    "SELECT count(*) FROM temperatures WHERE measured_at >= '2024-01-01T06:00:00Z'",
    "SELECT count(*) FROM temperatures WHERE measured_at < '2024-01-01 08:00:00+02'",
    "SELECT count(*) FROM temperatures WHERE measured_at < '2024-01-01'",
];

/// Queries both servers must reject, with PostgreSQL's SQLSTATE.
pub const ERRORS: &[(&str, &str)] = &[
    (
        "WITH t AS (SELECT temperature FROM temperatures) SELECT max(temperature)::int FROM t",
        "22003",
    ),
    ("SELECT count(*) FROM no_such_table", "42P01"),
    ("SELECT count(*) FROM public.no_such_table", "42P01"),
    ("SELECT no_such_column FROM temperatures", "42703"),
    (
        "SELECT count(*) FROM temperatures WHERE no_such_column = 1",
        "42703",
    ),
    (
        "SELECT region, count(*) FROM temperatures GROUP BY no_such_column",
        "42703",
    ),
    ("SELEC count(*) FROM temperatures", "42601"),
    ("SELECT count(* FROM temperatures", "42601"),
    ("SELECT count(*) FROM temperatures WHERE", "42601"),
    (
        "SELECT count(*) FROM temperatures WHERE date = 'not a date'",
        "22007",
    ),
    (
        "SELECT count(*) FROM temperatures WHERE date > '2024-06-xx'",
        "22007",
    ),
    (
        "SELECT count(*) FROM temperatures WHERE measured_at > 'yesterday-ish'",
        "22007",
    ),
    (
        "SELECT count(*) FROM temperatures WHERE temperature > 'warm'",
        "22P02",
    ),
    (
        "SELECT count(*) FROM temperatures WHERE humidity = '12,5'",
        "22P02",
    ),
];

/// Valid SQL that Isotherm does not do (it is read-only over SQL; joins
/// and the like go to the general engine now): only Isotherm is asked, and
/// it must say 0A000 (feature_not_supported), never XX000.
pub const UNSUPPORTED: &[&str] = &[
    "INSERT INTO temperatures (region) VALUES ('x')",
    "DELETE FROM temperatures WHERE region = 'europe'",
];
