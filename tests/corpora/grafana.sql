-- Grafana (11.x/12.x) PostgreSQL data source: the Go backend runs every query
-- through pgx v5 (extended protocol; parameter types inferred by the server),
-- after expanding its macros for the dashboard's time range (here
-- 2023-12-30T00:00:00Z .. 2024-07-02T00:00:00Z). Sources are files of
-- grafana/grafana unless noted.

-- name: health.ping
-- source: jackc/pgx v5 pgconn/pgconn.go PgConn.Ping (Exec(ctx, "-- ping"), a simple query), called by pkg/tsdb/grafana-postgresql-datasource/pgx/handler_checkhealth.go
-- compare: exact
-- protocol: simple
-- ping

-- name: config.version
-- source: public/app/plugins/datasource/grafana-postgresql-datasource/postgresMetaQuery.ts getVersion (used by configuration/useAutoDetectFeatures.ts)
-- compare: exact
SELECT current_setting('server_version_num')::int/100 as version

-- name: config.timescaledb
-- source: public/app/plugins/datasource/grafana-postgresql-datasource/postgresMetaQuery.ts getTimescaleDBVersion
-- compare: exact
SELECT extversion FROM pg_extension WHERE extname = 'timescaledb'

-- name: editor.schemas
-- source: public/app/plugins/datasource/grafana-postgresql-datasource/postgresMetaQuery.ts showSchemas
-- compare: exact
SELECT schema_name AS "name"
    FROM information_schema.schemata
    WHERE schema_name NOT IN ('information_schema',
                              'pg_catalog',
                              'pg_toast',
                              '_timescaledb_cache',
                              '_timescaledb_catalog',
                              '_timescaledb_internal',
                              '_timescaledb_config',
                              'timescaledb_information',
                              'timescaledb_experimental')
    ORDER BY schema_name

-- name: editor.tables_search_path
-- source: public/app/plugins/datasource/grafana-postgresql-datasource/postgresMetaQuery.ts showTables() with buildSchemaConstraint()
-- compare: exact
SELECT
    CASE WHEN 
          quote_ident(table_schema) IN (
          SELECT
            CASE WHEN trim(s[i]) = '"$user"' THEN user ELSE trim(s[i]) END
          FROM
            generate_series(
              array_lower(string_to_array(current_setting('search_path'),','),1),
              array_upper(string_to_array(current_setting('search_path'),','),1)
            ) as i,
            string_to_array(current_setting('search_path'),',') s
          )
      THEN quote_ident(table_name)
      ELSE quote_ident(table_schema) || '.' || quote_ident(table_name)
    END AS "table"
    FROM information_schema.tables
    WHERE quote_ident(table_schema) NOT IN ('information_schema',
                             'pg_catalog',
                             '_timescaledb_cache',
                             '_timescaledb_catalog',
                             '_timescaledb_internal',
                             '_timescaledb_config',
                             'timescaledb_information',
                             'timescaledb_experimental')
    ORDER BY CASE WHEN 
          quote_ident(table_schema) IN (
          SELECT
            CASE WHEN trim(s[i]) = '"$user"' THEN user ELSE trim(s[i]) END
          FROM
            generate_series(
              array_lower(string_to_array(current_setting('search_path'),','),1),
              array_upper(string_to_array(current_setting('search_path'),','),1)
            ) as i,
            string_to_array(current_setting('search_path'),',') s
          ) THEN 0 ELSE 1 END, 1

-- name: editor.tables_in_schema
-- source: public/app/plugins/datasource/grafana-postgresql-datasource/postgresMetaQuery.ts showTables('public')
-- compare: exact
SELECT quote_ident(table_name) AS "table"
      FROM information_schema.tables
      WHERE quote_ident(table_schema) = 'public'
      ORDER BY 1

-- name: editor.columns
-- source: public/app/plugins/datasource/grafana-postgresql-datasource/postgresMetaQuery.ts getSchema('temperatures')
-- compare: exact
SELECT quote_ident(column_name) AS "column", data_type AS "type"
    FROM information_schema.columns
    WHERE
      CASE WHEN array_length(parse_ident('temperatures'),1) = 2
        THEN quote_ident(table_schema) = (parse_ident('temperatures'))[1]
          AND quote_ident(table_name) = (parse_ident('temperatures'))[2]
        ELSE quote_ident(table_name) = 'temperatures'
          AND 
          quote_ident(table_schema) IN (
          SELECT
            CASE WHEN trim(s[i]) = '"$user"' THEN user ELSE trim(s[i]) END
          FROM
            generate_series(
              array_lower(string_to_array(current_setting('search_path'),','),1),
              array_upper(string_to_array(current_setting('search_path'),','),1)
            ) as i,
            string_to_array(current_setting('search_path'),',') s
          )
      END

-- name: schema_api.schemas
-- source: pkg/tsdb/grafana-postgresql-datasource/schema.go querySchemas
-- compare: exact
SELECT schema_name FROM information_schema.schemata
		 WHERE schema_name NOT LIKE 'pg_%' AND schema_name != 'information_schema'
		 ORDER BY schema_name

-- name: schema_api.tables
-- source: pkg/tsdb/grafana-postgresql-datasource/schema.go queryTables (pgx binds the schema as the type the server infers)
-- compare: exact
-- param: infer public
SELECT table_name FROM information_schema.tables
		 WHERE table_schema = $1 AND table_type IN ('BASE TABLE', 'VIEW')
		 ORDER BY table_name

-- name: schema_api.columns
-- source: pkg/tsdb/grafana-postgresql-datasource/schema.go queryColumns
-- compare: exact
-- param: infer public
-- param: infer temperatures
SELECT column_name, data_type, udt_name, numeric_precision, numeric_scale
		 FROM information_schema.columns
		 WHERE table_schema = $1 AND table_name = $2
		 ORDER BY ordinal_position

-- name: schema_api.column_values
-- source: pkg/tsdb/grafana-postgresql-datasource/schema.go ColumnValues (two columns, distinctValuesLimit 100)
-- compare: exact
SELECT 'region' AS col_name, "region"::text AS val FROM (SELECT DISTINCT "region" FROM "public"."temperatures" WHERE "region" IS NOT NULL ORDER BY "region" LIMIT 100) sub_0 UNION ALL SELECT 'country' AS col_name, "country"::text AS val FROM (SELECT DISTINCT "country" FROM "public"."temperatures" WHERE "country" IS NOT NULL ORDER BY "country" LIMIT 100) sub_1

-- name: panel.time_series_hourly
-- source: pkg/tsdb/grafana-postgresql-datasource/macros.go ($__timeGroupAlias(measured_at,1h), $__timeFilter(measured_at))
-- compare: exact
SELECT floor(extract(epoch from measured_at)/3600)*3600 AS "time", avg(temperature) AS "temperature" FROM temperatures WHERE measured_at BETWEEN '2023-12-30T00:00:00Z' AND '2024-07-02T00:00:00Z' GROUP BY 1 ORDER BY 1

-- name: panel.time_series_daily_by_region
-- source: pkg/tsdb/grafana-postgresql-datasource/macros.go ($__timeGroupAlias(measured_at,1d) with a metric column, the documented multi-series form)
-- compare: exact
SELECT floor(extract(epoch from measured_at)/86400)*86400 AS "time", region AS metric, max(temperature) AS value FROM temperatures WHERE measured_at BETWEEN '2023-12-30T00:00:00Z' AND '2024-07-02T00:00:00Z' GROUP BY 1, 2 ORDER BY 1, 2

-- name: panel.time_group_in_window
-- source: pkg/tsdb/grafana-postgresql-datasource/macros.go ($__timeGroup followed by ')' keeps no alias: "inside window function ORDER BY")
-- compare: exact
SELECT "time", region, value, avg(value) OVER (PARTITION BY region ORDER BY "time") AS running FROM (SELECT floor(extract(epoch from measured_at)/86400)*86400 AS "time", region, min(temperature) AS value FROM temperatures WHERE measured_at BETWEEN '2023-12-30T00:00:00Z' AND '2024-07-02T00:00:00Z' GROUP BY 1, 2) t ORDER BY "time", region

-- name: panel.raw_time_column
-- source: pkg/tsdb/grafana-postgresql-datasource/macros.go ($__time(measured_at), $__timeFilter(measured_at))
-- compare: exact
SELECT measured_at AS "time", temperature, humidity FROM temperatures WHERE measured_at BETWEEN '2023-12-30T00:00:00Z' AND '2024-07-02T00:00:00Z' AND station = 'FR-01' ORDER BY 1

-- name: panel.time_epoch
-- source: pkg/tsdb/grafana-postgresql-datasource/macros.go ($__timeEpoch(measured_at))
-- compare: exact
SELECT extract(epoch from measured_at) as "time", temperature FROM temperatures WHERE measured_at BETWEEN '2023-12-30T00:00:00Z' AND '2024-07-02T00:00:00Z' AND station = 'JP-東京' ORDER BY 1

-- name: panel.time_from_to
-- source: pkg/tsdb/grafana-postgresql-datasource/macros.go ($__timeFrom(), $__timeTo())
-- compare: exact
SELECT region, count(*) AS readings FROM temperatures WHERE measured_at >= '2024-01-01T00:00:00Z' AND measured_at < '2024-07-01T00:00:00Z' GROUP BY region ORDER BY region

-- name: panel.date_column_group
-- source: pkg/tsdb/grafana-postgresql-datasource/macros.go ($__timeGroupAlias(date,1d) on a date column; $__timeFilter(date))
-- compare: exact
SELECT floor(extract(epoch from date)/86400)*86400 AS "time", count(DISTINCT station) AS stations FROM temperatures WHERE date BETWEEN '2023-12-30T00:00:00Z' AND '2024-07-02T00:00:00Z' GROUP BY 1 ORDER BY 1

-- name: panel.builder_default
-- source: public/app/plugins/datasource/grafana-postgresql-datasource/sqlUtil.ts toRawSql (visual builder: aggregation, group by, default limit 50; trailing space kept)
-- compare: exact
SELECT avg(temperature) AS "temperature", region FROM temperatures GROUP BY region LIMIT 50 

-- name: panel.builder_order_desc
-- source: public/app/plugins/datasource/grafana-postgresql-datasource/sqlUtil.ts toRawSql (ORDER BY with direction, WHERE from the filter builder)
-- compare: exact
SELECT max(humidity) AS "humidity", country FROM temperatures WHERE region = 'americas' GROUP BY country ORDER BY country DESC LIMIT 50 

-- name: variable.regions
-- source: Grafana docs, PostgreSQL data source "Query variable" (SELECT DISTINCT ... ORDER BY)
-- compare: exact
SELECT DISTINCT region FROM temperatures ORDER BY region

-- name: variable.multi_value
-- source: Grafana docs, PostgreSQL data source: a multi-value variable interpolated as a quoted, comma-separated list
-- compare: exact
SELECT floor(extract(epoch from measured_at)/86400)*86400 AS "time", country AS metric, avg(temperature) FROM temperatures WHERE measured_at BETWEEN '2023-12-30T00:00:00Z' AND '2024-07-02T00:00:00Z' AND region IN ('europe','africa') GROUP BY 1, 2 ORDER BY 1, 2
