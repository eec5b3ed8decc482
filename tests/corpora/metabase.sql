-- Metabase (v0.50+) against a PostgreSQL data source, through pgjdbc 42.x
-- (extended protocol, string parameters bound as varchar, numbers as int8).
-- Format: tests/corpora/README.md. Identifiers adapted to public.temperatures.

-- name: connect.can_connect
-- source: metabase/metabase src/metabase/driver/sql_jdbc/connection.clj (can-connect-with-spec?: "SELECT 1")
-- compare: exact
SELECT 1

-- name: connect.db_default_timezone
-- source: metabase/metabase src/metabase/driver/postgres.clj (driver/db-default-timezone)
-- compare: exact
show timezone;

-- name: connect.set_report_timezone
-- source: metabase/metabase src/metabase/driver/postgres.clj (sql-jdbc.execute/set-timezone-sql "SET SESSION TIMEZONE TO %s;")
-- compare: exact
SET SESSION TIMEZONE TO 'UTC';

-- name: sync.schemas
-- source: metabase/metabase src/metabase/driver/sql_jdbc/sync/describe_database.clj (all-schemas -> DatabaseMetaData.getSchemas)
-- source: pgjdbc 42.5.5 PgDatabaseMetaData.getSchemas, captured with log_statement=all
-- compare: exact
SELECT nspname AS TABLE_SCHEM, NULL AS TABLE_CATALOG FROM pg_catalog.pg_namespace  WHERE nspname <> 'pg_toast' AND (nspname !~ '^pg_temp_'  OR nspname = (pg_catalog.current_schemas(true))[1]) AND (nspname !~ '^pg_toast_temp_'  OR nspname = replace((pg_catalog.current_schemas(true))[1], 'pg_temp_', 'pg_toast_temp_'))  ORDER BY TABLE_SCHEM

-- name: sync.table_privileges
-- source: metabase/metabase src/metabase/driver/postgres.clj (sql-jdbc.sync/current-user-table-privileges)
-- compare: exact
with table_privileges as (
 select
   NULL as role,
   t.schemaname as schema,
   t.objectname as table,
   pg_catalog.has_any_column_privilege(current_user, '"' || replace(t.schemaname, '"', '""') || '"' || '.' || '"' || replace(t.objectname, '"', '""') || '"',  'update') as update,
   pg_catalog.has_any_column_privilege(current_user, '"' || replace(t.schemaname, '"', '""') || '"' || '.' || '"' || replace(t.objectname, '"', '""') || '"',  'select') as select,
   pg_catalog.has_any_column_privilege(current_user, '"' || replace(t.schemaname, '"', '""') || '"' || '.' || '"' || replace(t.objectname, '"', '""') || '"',  'insert') as insert,
   pg_catalog.has_table_privilege(     current_user, '"' || replace(t.schemaname, '"', '""') || '"' || '.' || '"' || replace(t.objectname, '"', '""') || '"',  'delete') as delete
 from (
   select schemaname, tablename as objectname from pg_catalog.pg_tables
   union
   select schemaname, viewname as objectname from pg_catalog.pg_views
   union
   select schemaname, matviewname as objectname from pg_catalog.pg_matviews
 ) t
 where t.schemaname !~ '^pg_'
   and t.schemaname <> 'information_schema'
   and pg_catalog.has_schema_privilege(current_user, t.schemaname, 'usage')
)
select t.*
from table_privileges t

-- name: sync.describe_database
-- source: metabase/metabase src/metabase/driver/postgres.clj (get-tables-sql, rendered by HoneySQL 2 with :dialect :ansi; values become parameters)
-- compare: exact
-- param: int8 0
-- param: varchar ^pg_
-- param: varchar information_schema
-- param: varchar public
SELECT "n"."nspname" AS "schema", "c"."relname" AS "name", CASE "c"."relkind" WHEN 'r' THEN 'TABLE' WHEN 'p' THEN 'PARTITIONED TABLE' WHEN 'v' THEN 'VIEW' WHEN 'f' THEN 'FOREIGN TABLE' WHEN 'm' THEN 'MATERIALIZED VIEW' ELSE NULL END AS "type", "d"."description" AS "description", "stat"."n_live_tup" AS "estimated_row_count" FROM "pg_catalog"."pg_class" AS "c" INNER JOIN "pg_catalog"."pg_namespace" AS "n" ON "c"."relnamespace" = "n"."oid" LEFT JOIN "pg_catalog"."pg_description" AS "d" ON ("c"."oid" = "d"."objoid") AND ("d"."objsubid" = $1) AND ("d"."classoid" = 'pg_class'::regclass) LEFT JOIN "pg_stat_user_tables" AS "stat" ON ("n"."nspname" = "stat"."schemaname") AND ("c"."relname" = "stat"."relname") WHERE ("c"."relnamespace" = "n"."oid") AND ("n"."nspname" !~ $2) AND ("n"."nspname" <> $3) AND c.relkind in ('r', 'p', 'v', 'f', 'm') AND ("n"."nspname" IN ($4)) ORDER BY "type" ASC, "schema" ASC, "name" ASC

-- name: sync.enum_types
-- source: metabase/metabase src/metabase/driver/postgres.clj (enum-types)
-- compare: exact
SELECT nspname, typname FROM pg_type t JOIN pg_namespace n ON n.oid = t.typnamespace WHERE t.oid IN (SELECT DISTINCT enumtypid FROM pg_enum e)

-- name: sync.describe_fields
-- source: metabase/metabase src/metabase/driver/postgres.clj (sql-jdbc.sync/describe-fields-sql, rendered by HoneySQL 2)
-- compare: exact
-- param: varchar public
-- param: varchar temperatures
-- param: varchar public
-- param: varchar temperatures
SELECT "c"."column_name" AS "name", CASE WHEN "c"."udt_schema" IN ('public', 'pg_catalog') THEN FORMAT('%s', "c"."udt_name") ELSE FORMAT('"%s"."%s"', "c"."udt_schema", "c"."udt_name") END AS "database-type", "c"."ordinal_position" - 1 AS "database-position", "c"."table_schema" AS "table-schema", "c"."table_name" AS "table-name", "pk"."column_name" IS NOT NULL AS "pk?", COL_DESCRIPTION(CAST(CAST(FORMAT('%I.%I', CAST("c"."table_schema" AS TEXT), CAST("c"."table_name" AS TEXT)) AS REGCLASS) AS OID), "c"."ordinal_position") AS "field-comment", (("column_default" IS NULL) OR (LOWER("column_default") = 'null')) AND ("is_nullable" = 'NO') AND NOT ((("column_default" IS NOT NULL) AND ("column_default" LIKE '%nextval(%')) OR ("is_identity" <> 'NO')) AS "database-required", (("column_default" IS NOT NULL) AND ("column_default" LIKE '%nextval(%')) OR ("is_identity" <> 'NO') AS "database-is-auto-increment" FROM "information_schema"."columns" AS "c" LEFT JOIN (SELECT "tc"."table_schema", "tc"."table_name", "kc"."column_name" FROM "information_schema"."table_constraints" AS "tc" INNER JOIN "information_schema"."key_column_usage" AS "kc" ON ("tc"."constraint_name" = "kc"."constraint_name") AND ("tc"."table_schema" = "kc"."table_schema") AND ("tc"."table_name" = "kc"."table_name") WHERE "tc"."constraint_type" = 'PRIMARY KEY') AS "pk" ON ("c"."table_schema" = "pk"."table_schema") AND ("c"."table_name" = "pk"."table_name") AND ("c"."column_name" = "pk"."column_name") WHERE c.table_schema !~ '^information_schema|catalog_history|pg_' AND ("c"."table_schema" IN ($1)) AND ("c"."table_name" IN ($2)) UNION ALL SELECT "pa"."attname" AS "name", CASE WHEN "ptn"."nspname" IN ('public', 'pg_catalog') THEN FORMAT('%s', "pt"."typname") ELSE FORMAT('"%s"."%s"', "ptn"."nspname", "pt"."typname") END AS "database-type", "pa"."attnum" - 1 AS "database-position", "pn"."nspname" AS "table-schema", "pc"."relname" AS "table-name", FALSE AS "pk?", NULL AS "field-comment", FALSE AS "database-required", FALSE AS "database-is-auto-increment" FROM "pg_catalog"."pg_class" AS "pc" INNER JOIN "pg_catalog"."pg_namespace" AS "pn" ON "pn"."oid" = "pc"."relnamespace" INNER JOIN "pg_catalog"."pg_attribute" AS "pa" ON "pa"."attrelid" = "pc"."oid" INNER JOIN "pg_catalog"."pg_type" AS "pt" ON "pt"."oid" = "pa"."atttypid" INNER JOIN "pg_catalog"."pg_namespace" AS "ptn" ON "ptn"."oid" = "pt"."typnamespace" WHERE ("pc"."relkind" = 'm') AND ("pa"."attnum" >= 1) AND ("pn"."nspname" IN ($3)) AND ("pc"."relname" IN ($4)) ORDER BY "table-schema" ASC, "table-name" ASC, "database-position" ASC

-- name: sync.describe_fks
-- source: metabase/metabase src/metabase/driver/postgres.clj (sql-jdbc.sync/describe-fks-sql, rendered by HoneySQL 2)
-- compare: exact
-- param: varchar temperatures
-- param: varchar public
SELECT "fk_ns"."nspname" AS "fk-table-schema", "fk_table"."relname" AS "fk-table-name", "fk_column"."attname" AS "fk-column-name", "pk_ns"."nspname" AS "pk-table-schema", "pk_table"."relname" AS "pk-table-name", "pk_column"."attname" AS "pk-column-name" FROM "pg_constraint" AS "c" INNER JOIN "pg_class" AS "fk_table" ON "c"."conrelid" = "fk_table"."oid" INNER JOIN "pg_namespace" AS "fk_ns" ON "c"."connamespace" = "fk_ns"."oid" INNER JOIN "pg_attribute" AS "fk_column" ON "c"."conrelid" = "fk_column"."attrelid" INNER JOIN "pg_class" AS "pk_table" ON "c"."confrelid" = "pk_table"."oid" INNER JOIN "pg_namespace" AS "pk_ns" ON "pk_table"."relnamespace" = "pk_ns"."oid" INNER JOIN "pg_attribute" AS "pk_column" ON "c"."confrelid" = "pk_column"."attrelid" WHERE fk_ns.nspname !~ '^information_schema|catalog_history|pg_' AND ("c"."contype" = 'f'::char) AND ("fk_column"."attnum" = ANY(c.conkey)) AND ("pk_column"."attnum" = ANY(c.confkey)) AND ("fk_table"."relname" IN ($1)) AND ("fk_ns"."nspname" IN ($2)) ORDER BY "fk-table-schema" ASC, "fk-table-name" ASC

-- name: sync.select_probe
-- source: metabase/metabase src/metabase/driver/sql_jdbc/sync/describe_database.clj (simple-select-probe-query)
-- compare: exact
SELECT TRUE AS "_" FROM "public"."temperatures" WHERE 1 <> 1 LIMIT 0

-- name: sync.field_values
-- source: metabase/metabase src/metabase/sync/sync_metadata (field values: distinct values of a category field, limit 1000; MBQL compiled by sql.qp)
-- compare: exact
SELECT "public"."temperatures"."region" AS "region" FROM "public"."temperatures" GROUP BY "public"."temperatures"."region" ORDER BY "public"."temperatures"."region" ASC LIMIT 1000

-- name: query.table_preview_one_day
-- source: metabase/metabase src/metabase/driver/sql/query_processor.clj (MBQL {:source-table} with all fields and a date filter bound as a parameter; :ansi quoting, fully qualified names; default preview limit 2000)
-- compare: exact
-- param: date 2024-01-01
SELECT "public"."temperatures"."date" AS "date", "public"."temperatures"."region" AS "region", "public"."temperatures"."country" AS "country", "public"."temperatures"."station" AS "station", "public"."temperatures"."measured_at" AS "measured_at", "public"."temperatures"."temperature" AS "temperature", "public"."temperatures"."humidity" AS "humidity" FROM "public"."temperatures" WHERE "public"."temperatures"."date" = $1 LIMIT 2000

-- name: query.count
-- source: metabase/metabase src/metabase/driver/sql/query_processor.clj (aggregation [:count])
-- compare: exact
SELECT COUNT(*) AS "count" FROM "public"."temperatures"

-- name: query.avg_by_region
-- source: metabase/metabase src/metabase/driver/sql/query_processor.clj (breakout + [:avg]; breakouts are ordered ascending)
-- compare: exact
SELECT "public"."temperatures"."region" AS "region", AVG("public"."temperatures"."temperature") AS "avg" FROM "public"."temperatures" GROUP BY "public"."temperatures"."region" ORDER BY "public"."temperatures"."region" ASC

-- name: query.count_by_month_timestamptz
-- source: metabase/metabase src/metabase/driver/postgres.clj (sql.qp/date :month -> date-trunc; timestamptz is not cast)
-- compare: exact
SELECT DATE_TRUNC('month', "public"."temperatures"."measured_at") AS "measured_at", COUNT(*) AS "count" FROM "public"."temperatures" GROUP BY DATE_TRUNC('month', "public"."temperatures"."measured_at") ORDER BY DATE_TRUNC('month', "public"."temperatures"."measured_at") ASC

-- name: query.max_by_month_date
-- source: metabase/metabase src/metabase/driver/postgres.clj (date-trunc on a "date" column casts back to date)
-- compare: exact
SELECT CAST(DATE_TRUNC('month', "public"."temperatures"."date") AS date) AS "date", MAX("public"."temperatures"."temperature") AS "max" FROM "public"."temperatures" GROUP BY CAST(DATE_TRUNC('month', "public"."temperatures"."date") AS date) ORDER BY CAST(DATE_TRUNC('month', "public"."temperatures"."date") AS date) ASC

-- name: query.count_by_week_sunday
-- source: metabase/metabase src/metabase/driver/postgres.clj (sql.qp/date :week with adjust-start-of-week, db-start-of-week :monday, report start of week Sunday)
-- compare: exact
SELECT (DATE_TRUNC('week', ("public"."temperatures"."measured_at" + INTERVAL '1 day')) + INTERVAL '-1 day') AS "measured_at", COUNT(*) AS "count" FROM "public"."temperatures" GROUP BY (DATE_TRUNC('week', ("public"."temperatures"."measured_at" + INTERVAL '1 day')) + INTERVAL '-1 day') ORDER BY (DATE_TRUNC('week', ("public"."temperatures"."measured_at" + INTERVAL '1 day')) + INTERVAL '-1 day') ASC

-- name: query.by_day_of_week
-- source: metabase/metabase src/metabase/driver/postgres.clj (sql.qp/date :day-of-week -> extract(dow) + 1 with start-of-week offset)
-- compare: exact
SELECT ((CAST(extract(dow from "public"."temperatures"."measured_at") AS integer) + 1) % 7) + 1 AS "measured_at", AVG("public"."temperatures"."humidity") AS "avg" FROM "public"."temperatures" GROUP BY ((CAST(extract(dow from "public"."temperatures"."measured_at") AS integer) + 1) % 7) + 1 ORDER BY ((CAST(extract(dow from "public"."temperatures"."measured_at") AS integer) + 1) % 7) + 1 ASC

-- name: query.by_hour_of_day
-- source: metabase/metabase src/metabase/driver/postgres.clj (sql.qp/date :hour-of-day -> extract-integer :hour)
-- compare: exact
SELECT CAST(extract(hour from "public"."temperatures"."measured_at") AS integer) AS "measured_at", MIN("public"."temperatures"."temperature") AS "min" FROM "public"."temperatures" GROUP BY CAST(extract(hour from "public"."temperatures"."measured_at") AS integer) ORDER BY CAST(extract(hour from "public"."temperatures"."measured_at") AS integer) ASC

-- name: query.filter_param_and_date_range
-- source: metabase/metabase src/metabase/driver/sql/query_processor.clj (filter values and temporal bounds become JDBC parameters)
-- compare: exact
-- param: varchar europe
-- param: timestamptz 2024-01-01T00:00:00Z
-- param: timestamptz 2024-07-01T00:00:00Z
SELECT "public"."temperatures"."country" AS "country", COUNT(DISTINCT "public"."temperatures"."station") AS "count" FROM "public"."temperatures" WHERE ("public"."temperatures"."region" = $1) AND ("public"."temperatures"."measured_at" >= $2) AND ("public"."temperatures"."measured_at" < $3) GROUP BY "public"."temperatures"."country" ORDER BY "public"."temperatures"."country" ASC

-- name: query.relative_date_filter
-- source: metabase/metabase src/metabase/driver/postgres.clj (add-interval-honeysql-form on a date: CAST((date + INTERVAL) AS date); relative filter "previous 30 days")
-- compare: exact
SELECT COUNT(*) AS "count" FROM "public"."temperatures" WHERE ("public"."temperatures"."date" >= CAST((CAST(NOW() AS date) + INTERVAL '-30 day') AS date)) AND ("public"."temperatures"."date" < CAST(NOW() AS date))

-- name: query.binning
-- source: metabase/metabase src/metabase/driver/sql/query_processor.clj (:binning-strategy :num-bins -> FLOOR((x - min) / width) * width + min)
-- compare: exact
SELECT ((FLOOR((("public"."temperatures"."temperature" - -20.0) / 10.0)) * 10.0) + -20.0) AS "temperature", COUNT(*) AS "count" FROM "public"."temperatures" WHERE "public"."temperatures"."temperature" < 100.0 GROUP BY ((FLOOR((("public"."temperatures"."temperature" - -20.0) / 10.0)) * 10.0) + -20.0) ORDER BY ((FLOOR((("public"."temperatures"."temperature" - -20.0) / 10.0)) * 10.0) + -20.0) ASC

-- name: query.nested_source
-- source: metabase/metabase src/metabase/driver/sql/query_processor.clj (nested query: {:source-query ...} compiled to FROM (...) AS "source")
-- compare: exact
SELECT "source"."region" AS "region", COUNT(*) AS "count" FROM (SELECT "public"."temperatures"."region" AS "region", "public"."temperatures"."temperature" AS "temperature" FROM "public"."temperatures" WHERE "public"."temperatures"."temperature" > 0) AS "source" GROUP BY "source"."region" ORDER BY "source"."region" ASC

-- name: query.case_in_aggregate
-- source: metabase/metabase src/metabase/driver/sql/query_processor.clj (:count-where / :sum-where -> SUM(CASE WHEN ... THEN 1 ELSE 0.0 END))
-- compare: exact
SELECT "public"."temperatures"."region" AS "region", SUM(CASE WHEN "public"."temperatures"."humidity" IS NULL THEN 1 ELSE 0.0 END) AS "count-where", SUM(CASE WHEN "public"."temperatures"."temperature" > 20 THEN "public"."temperatures"."temperature" ELSE 0.0 END) AS "sum-where" FROM "public"."temperatures" GROUP BY "public"."temperatures"."region" ORDER BY "public"."temperatures"."region" ASC

-- name: query.native_with_limit
-- source: metabase/metabase src/metabase/query_processor/middleware/limit.clj (absolute-max-results 1048575 appended to MBQL queries)
-- compare: exact
SELECT "public"."temperatures"."station" AS "station", "public"."temperatures"."temperature" AS "temperature" FROM "public"."temperatures" WHERE "public"."temperatures"."country" = 'Côte d''Ivoire' ORDER BY "public"."temperatures"."temperature" DESC, "public"."temperatures"."station" ASC, "public"."temperatures"."measured_at" ASC LIMIT 1048575

-- name: query.upload_refused
-- source: metabase/metabase src/metabase/driver/postgres.clj (driver/create-schema-if-needed! for CSV uploads: CREATE SCHEMA IF NOT EXISTS)
-- compare: refused
-- sqlstate: 0A000 25006 42501
CREATE SCHEMA IF NOT EXISTS "metabase_uploads";
