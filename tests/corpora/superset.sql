-- Apache Superset (4.x/5.x) with a PostgreSQL database: SQLAlchemy 1.4 over
-- psycopg2, which sends everything through the simple protocol with values
-- interpolated client-side. Metadata statements were captured from
-- SQLAlchemy 1.4.54 + psycopg2 2.9.13 (a PostgreSQL 15 server logging with
-- log_statement=all); chart SQL is what superset/models/helpers.py
-- (get_sqla_query) builds with superset/db_engine_specs/postgres.py
-- (time grains DATE_TRUNC, convert_dttm TO_TIMESTAMP/TO_DATE).

-- name: connect.begin
-- source: psycopg2 2.9 (autocommit off: BEGIN before the first statement of each transaction), captured with log_statement=all
-- compare: exact
-- protocol: simple
BEGIN

-- name: connect.hstore_probe
-- source: sqlalchemy 1.4.54 lib/sqlalchemy/dialects/postgresql/psycopg2.py (HstoreAdapter.get_oids via psycopg2.extras), captured
-- compare: exact
-- protocol: simple
SELECT t.oid, typarray
FROM pg_type t JOIN pg_namespace ns
    ON typnamespace = ns.oid
WHERE typname = 'hstore';

-- name: connect.rollback
-- source: sqlalchemy 1.4.54 pool reset-on-return (ROLLBACK), captured
-- compare: exact
-- protocol: simple
ROLLBACK

-- name: connect.version
-- source: sqlalchemy 1.4.54 lib/sqlalchemy/dialects/postgresql/base.py PGDialect._get_server_version_info (regex "PostgreSQL (\d+)\.?(\d+)?"), captured
-- compare: columns
-- protocol: simple
select pg_catalog.version()

-- name: connect.current_schema
-- source: sqlalchemy 1.4.54 lib/sqlalchemy/dialects/postgresql/base.py PGDialect._get_default_schema_name, captured
-- compare: exact
-- protocol: simple
select current_schema()

-- name: connect.isolation_level
-- source: sqlalchemy 1.4.54 lib/sqlalchemy/dialects/postgresql/base.py PGDialect.get_isolation_level, captured
-- compare: exact
-- protocol: simple
show transaction isolation level

-- name: connect.standard_conforming_strings
-- source: sqlalchemy 1.4.54 lib/sqlalchemy/dialects/postgresql/base.py PGDialect.initialize, captured
-- compare: exact
-- protocol: simple
show standard_conforming_strings

-- name: inspect.schema_names
-- source: sqlalchemy 1.4.54 lib/sqlalchemy/dialects/postgresql/base.py PGDialect.get_schema_names (superset: database/schemas API), captured
-- compare: exact
-- protocol: simple
SELECT nspname FROM pg_namespace WHERE nspname NOT LIKE 'pg_%' ORDER BY nspname

-- name: inspect.table_names
-- source: sqlalchemy 1.4.54 lib/sqlalchemy/dialects/postgresql/base.py PGDialect.get_table_names (relkind in ('r', 'p')), captured
-- compare: exact
-- protocol: simple
SELECT c.relname FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace WHERE n.nspname = 'public' AND c.relkind in ('r', 'p')

-- name: inspect.view_names
-- source: sqlalchemy 1.4.54 lib/sqlalchemy/dialects/postgresql/base.py PGDialect.get_view_names, captured
-- compare: exact
-- protocol: simple
SELECT c.relname FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace WHERE n.nspname = 'public' AND c.relkind IN ('v', 'm')

-- name: inspect.foreign_table_names
-- source: apache/superset superset/db_engine_specs/postgres.py PostgresEngineSpec.get_table_names (also foreign tables) -> sqlalchemy 1.4.54 lib/sqlalchemy/dialects/postgresql/base.py _get_foreign_table_names, captured
-- compare: exact
-- protocol: simple
SELECT c.relname FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace WHERE n.nspname = 'public' AND c.relkind = 'f'

-- name: inspect.table_oid
-- source: sqlalchemy 1.4.54 lib/sqlalchemy/dialects/postgresql/base.py PGDialect.get_table_oid, captured
-- compare: exact
-- protocol: simple
            SELECT c.oid
            FROM pg_catalog.pg_class c
            LEFT JOIN pg_catalog.pg_namespace n ON n.oid = c.relnamespace
            WHERE (n.nspname = 'public')
            AND c.relname = 'temperatures' AND c.relkind in
            ('r', 'v', 'm', 'f', 'p')

-- name: inspect.columns
-- source: sqlalchemy 1.4.54 lib/sqlalchemy/dialects/postgresql/base.py PGDialect.get_columns (server >= 12: generated, identity), captured; the table OID comes from inspect.table_oid
-- compare: exact
-- protocol: simple
            SELECT a.attname,
              pg_catalog.format_type(a.atttypid, a.atttypmod),
              (
                SELECT pg_catalog.pg_get_expr(d.adbin, d.adrelid)
                FROM pg_catalog.pg_attrdef d
                WHERE d.adrelid = a.attrelid AND d.adnum = a.attnum
                AND a.atthasdef
              ) AS DEFAULT,
              a.attnotnull,
              a.attrelid as table_oid,
              pgd.description as comment,
              a.attgenerated as generated,
                              (SELECT json_build_object(
                    'always', a.attidentity = 'a',
                    'start', s.seqstart,
                    'increment', s.seqincrement,
                    'minvalue', s.seqmin,
                    'maxvalue', s.seqmax,
                    'cache', s.seqcache,
                    'cycle', s.seqcycle)
                FROM pg_catalog.pg_sequence s
                JOIN pg_catalog.pg_class c on s.seqrelid = c."oid"
                WHERE c.relkind = 'S'
                AND a.attidentity != ''
                AND s.seqrelid = pg_catalog.pg_get_serial_sequence(
                    a.attrelid::regclass::text, a.attname
                )::regclass::oid
                ) as identity_options                
            FROM pg_catalog.pg_attribute a
            LEFT JOIN pg_catalog.pg_description pgd ON (
                pgd.objoid = a.attrelid AND pgd.objsubid = a.attnum)
            WHERE a.attrelid = {{oid:public.temperatures}}
            AND a.attnum > 0 AND NOT a.attisdropped
            ORDER BY a.attnum

-- name: inspect.domains
-- source: sqlalchemy 1.4.54 lib/sqlalchemy/dialects/postgresql/base.py PGDialect._load_domains, captured
-- compare: exact
-- protocol: simple
            SELECT t.typname as "name",
               pg_catalog.format_type(t.typbasetype, t.typtypmod) as "attype",
               not t.typnotnull as "nullable",
               t.typdefault as "default",
               pg_catalog.pg_type_is_visible(t.oid) as "visible",
               n.nspname as "schema"
            FROM pg_catalog.pg_type t
               LEFT JOIN pg_catalog.pg_namespace n ON n.oid = t.typnamespace
            WHERE t.typtype = 'd'

-- name: inspect.enums
-- source: sqlalchemy 1.4.54 lib/sqlalchemy/dialects/postgresql/base.py PGDialect._load_enums, captured
-- compare: exact
-- protocol: simple
            SELECT t.typname as "name",
               -- no enum defaults in 8.4 at least
               -- t.typdefault as "default",
               pg_catalog.pg_type_is_visible(t.oid) as "visible",
               n.nspname as "schema",
               e.enumlabel as "label"
            FROM pg_catalog.pg_type t
                 LEFT JOIN pg_catalog.pg_namespace n ON n.oid = t.typnamespace
                 LEFT JOIN pg_catalog.pg_enum e ON t.oid = e.enumtypid
            WHERE t.typtype = 'e'
        ORDER BY "schema", "name", e.oid

-- name: inspect.pk_columns
-- source: sqlalchemy 1.4.54 lib/sqlalchemy/dialects/postgresql/base.py PGDialect.get_pk_constraint (server >= 8.4), captured
-- compare: exact
-- protocol: simple
                SELECT a.attname
                FROM pg_attribute a JOIN (
                    SELECT unnest(ix.indkey) attnum,
                           generate_subscripts(ix.indkey, 1) ord
                    FROM pg_index ix
                    WHERE ix.indrelid = {{oid:public.temperatures}} AND ix.indisprimary
                    ) k ON a.attnum=k.attnum
                WHERE a.attrelid = {{oid:public.temperatures}}
                ORDER BY k.ord

-- name: inspect.pk_name
-- source: sqlalchemy 1.4.54 lib/sqlalchemy/dialects/postgresql/base.py PGDialect.get_pk_constraint, captured
-- compare: exact
-- protocol: simple
        SELECT conname
           FROM  pg_catalog.pg_constraint r
           WHERE r.conrelid = {{oid:public.temperatures}} AND r.contype = 'p'
           ORDER BY 1

-- name: inspect.foreign_keys
-- source: sqlalchemy 1.4.54 lib/sqlalchemy/dialects/postgresql/base.py PGDialect.get_foreign_keys, captured
-- compare: exact
-- protocol: simple
          SELECT r.conname,
                pg_catalog.pg_get_constraintdef(r.oid, true) as condef,
                n.nspname as conschema
          FROM  pg_catalog.pg_constraint r,
                pg_namespace n,
                pg_class c

          WHERE r.conrelid = {{oid:public.temperatures}} AND
                r.contype = 'f' AND
                c.oid = confrelid AND
                n.oid = c.relnamespace
          ORDER BY 1

-- name: inspect.indexes
-- source: sqlalchemy 1.4.54 lib/sqlalchemy/dialects/postgresql/base.py PGDialect.get_indexes (server >= 11), captured
-- compare: exact
-- protocol: simple
              SELECT
                  i.relname as relname,
                  ix.indisunique, ix.indexprs,
                  a.attname, a.attnum, c.conrelid, ix.indkey::varchar,
                  ix.indoption::varchar, i.reloptions, am.amname,
                  pg_get_expr(ix.indpred, ix.indrelid),
                  ix.indnkeyatts as indnkeyatts
              FROM
                  pg_class t
                        join pg_index ix on t.oid = ix.indrelid
                        join pg_class i on i.oid = ix.indexrelid
                        left outer join
                            pg_attribute a
                            on t.oid = a.attrelid and a.attnum = ANY(ix.indkey)
                        left outer join
                            pg_constraint c
                            on (ix.indrelid = c.conrelid and
                                ix.indexrelid = c.conindid and
                                c.contype in ('p', 'u', 'x'))
                        left outer join
                            pg_am am
                            on i.relam = am.oid
              WHERE
                  t.relkind IN ('r', 'v', 'f', 'm', 'p')
                  and t.oid = {{oid:public.temperatures}}
                  and ix.indisprimary = 'f'
              ORDER BY
                  t.relname,
                  i.relname

-- name: inspect.unique_constraints
-- source: sqlalchemy 1.4.54 lib/sqlalchemy/dialects/postgresql/base.py PGDialect.get_unique_constraints, captured
-- compare: exact
-- protocol: simple
            SELECT
                cons.conname as name,
                cons.conkey as key,
                a.attnum as col_num,
                a.attname as col_name
            FROM
                pg_catalog.pg_constraint cons
                join pg_attribute a
                  on cons.conrelid = a.attrelid AND
                    a.attnum = ANY(cons.conkey)
            WHERE
                cons.conrelid = {{oid:public.temperatures}} AND
                cons.contype = 'u'

-- name: inspect.check_constraints
-- source: sqlalchemy 1.4.54 lib/sqlalchemy/dialects/postgresql/base.py PGDialect.get_check_constraints, captured
-- compare: exact
-- protocol: simple
            SELECT
                cons.conname as name,
                pg_get_constraintdef(cons.oid) as src
            FROM
                pg_catalog.pg_constraint cons
            WHERE
                cons.conrelid = {{oid:public.temperatures}} AND
                cons.contype = 'c'

-- name: inspect.table_comment
-- source: sqlalchemy 1.4.54 lib/sqlalchemy/dialects/postgresql/base.py PGDialect.get_table_comment, captured
-- compare: exact
-- protocol: simple
            SELECT
                pgd.description as table_comment
            FROM
                pg_catalog.pg_description pgd
            WHERE
                pgd.objsubid = 0 AND
                pgd.objoid = {{oid:public.temperatures}}

-- name: inspect.has_table
-- source: sqlalchemy 1.4.54 lib/sqlalchemy/dialects/postgresql/base.py PGDialect.has_table, captured
-- compare: exact
-- protocol: simple
select relname from pg_class c join pg_namespace n on n.oid=c.relnamespace where n.nspname='public' and relname='temperatures'

-- name: inspect.rollback_after_metadata
-- source: sqlalchemy 1.4.54 pool reset-on-return, captured
-- compare: exact
-- protocol: simple
ROLLBACK

-- name: catalog.databases
-- source: apache/superset superset/db_engine_specs/postgres.py PostgresEngineSpec.get_catalog_names
-- compare: shape
-- protocol: simple
-- keep: isotherm

SELECT datname FROM pg_database
WHERE datistemplate = false;

-- name: sqllab.search_path
-- source: apache/superset superset/db_engine_specs/postgres.py PostgresEngineSpec.get_prequeries (schema selected in SQL Lab)
-- compare: exact
-- protocol: simple
set search_path = "public"

-- name: sqllab.backend_pid
-- source: apache/superset superset/db_engine_specs/postgres.py PostgresEngineSpec.get_cancel_query_id (the value is per-connection)
-- compare: columns
-- protocol: simple
SELECT pg_backend_pid()

-- name: sqllab.user_query_with_limit
-- source: apache/superset superset/sql_parse.py / db_engine_specs/base.py apply_limit_to_sql (SQL Lab appends LIMIT 1001)
-- compare: exact
-- protocol: simple
SELECT region, count(*) AS readings
FROM temperatures
GROUP BY region
LIMIT 1001

-- name: chart.timeseries_legacy_timestamp
-- source: apache/superset superset/models/helpers.py get_sqla_query (legacy viz: time column labelled __timestamp) + db_engine_specs/postgres.py (P1D grain, convert_dttm)
-- compare: exact
-- protocol: simple
SELECT DATE_TRUNC('day', measured_at) AS __timestamp,
       AVG(temperature) AS "AVG(temperature)"
FROM public.temperatures
WHERE measured_at >= TO_TIMESTAMP('2024-01-01 00:00:00.000000', 'YYYY-MM-DD HH24:MI:SS.US')
  AND measured_at < TO_TIMESTAMP('2024-07-02 00:00:00.000000', 'YYYY-MM-DD HH24:MI:SS.US')
GROUP BY DATE_TRUNC('day', measured_at)
LIMIT 50000

-- name: chart.generic_x_axis_by_month
-- source: apache/superset superset/models/helpers.py get_sqla_query (GENERIC_CHART_AXES: the x-axis keeps the column name; order by the first metric desc; row limit 10000)
-- compare: exact
-- protocol: simple
SELECT DATE_TRUNC('month', measured_at) AS measured_at,
       region AS region,
       AVG(temperature) AS "AVG(temperature)"
FROM public.temperatures
WHERE measured_at >= TO_TIMESTAMP('2023-12-01 00:00:00.000000', 'YYYY-MM-DD HH24:MI:SS.US')
  AND measured_at < TO_TIMESTAMP('2024-08-01 00:00:00.000000', 'YYYY-MM-DD HH24:MI:SS.US')
GROUP BY DATE_TRUNC('month', measured_at),
         region
ORDER BY "AVG(temperature)" DESC
LIMIT 10000

-- name: chart.series_limit_join
-- source: apache/superset superset/models/helpers.py get_sqla_query (series_limit: inner query joined on the dimension, aliases region__ / mme_inner__)
-- compare: exact
-- protocol: simple
SELECT DATE_TRUNC('week', measured_at) AS __timestamp,
       region AS region,
       MAX(temperature) AS "MAX(temperature)"
FROM public.temperatures
JOIN
  (SELECT region AS region__,
          MAX(temperature) AS mme_inner__
   FROM public.temperatures
   WHERE measured_at >= TO_TIMESTAMP('2023-12-30 00:00:00.000000', 'YYYY-MM-DD HH24:MI:SS.US')
     AND measured_at < TO_TIMESTAMP('2024-07-02 00:00:00.000000', 'YYYY-MM-DD HH24:MI:SS.US')
   GROUP BY region
   ORDER BY mme_inner__ DESC
   LIMIT 3) AS anon_1 ON region = region__
WHERE measured_at >= TO_TIMESTAMP('2023-12-30 00:00:00.000000', 'YYYY-MM-DD HH24:MI:SS.US')
  AND measured_at < TO_TIMESTAMP('2024-07-02 00:00:00.000000', 'YYYY-MM-DD HH24:MI:SS.US')
GROUP BY DATE_TRUNC('week', measured_at),
         region
LIMIT 10000

-- name: chart.big_number_date_column
-- source: apache/superset superset/db_engine_specs/postgres.py convert_dttm (Date -> TO_DATE('...', 'YYYY-MM-DD'))
-- compare: exact
-- protocol: simple
SELECT COUNT(*) AS count
FROM public.temperatures
WHERE date >= TO_DATE('2024-01-01', 'YYYY-MM-DD')
  AND date < TO_DATE('2024-07-01', 'YYYY-MM-DD')
LIMIT 50000

-- name: chart.pie_by_country
-- source: apache/superset superset/models/helpers.py get_sqla_query (pie: one dimension, one metric, order by metric desc, row limit 100); counts tie, so order-insensitive
-- compare: rows
-- protocol: simple
SELECT country AS country,
       COUNT(*) AS count
FROM public.temperatures
GROUP BY country
ORDER BY count DESC
LIMIT 100

-- name: chart.table_raw_records
-- source: apache/superset superset/models/helpers.py get_sqla_query (table chart, raw records mode, row limit 1000)
-- compare: exact
-- protocol: simple
SELECT station AS station,
       measured_at AS measured_at,
       temperature AS temperature
FROM public.temperatures
WHERE measured_at >= TO_TIMESTAMP('2024-01-01 00:00:00.000000', 'YYYY-MM-DD HH24:MI:SS.US')
  AND measured_at < TO_TIMESTAMP('2024-01-03 00:00:00.000000', 'YYYY-MM-DD HH24:MI:SS.US')
  AND region IN ('europe')
LIMIT 1000

-- name: chart.virtual_dataset
-- source: apache/superset superset/models/helpers.py get_from_clause (a virtual dataset's SQL wrapped as "virtual_table")
-- compare: exact
-- protocol: simple
SELECT region AS region,
       SUM(temperature) AS "SUM(temperature)"
FROM
  (SELECT * FROM temperatures WHERE humidity IS NOT NULL) AS virtual_table
GROUP BY region
ORDER BY "SUM(temperature)" DESC
LIMIT 10000

-- name: chart.filter_values
-- source: apache/superset superset/models/helpers.py values_for_column (native filter options: SELECT DISTINCT ... LIMIT 10000)
-- compare: exact
-- protocol: simple
SELECT DISTINCT country AS column_values
FROM public.temperatures
LIMIT 10000

-- name: chart.adhoc_case_metric
-- source: apache/superset superset/models/helpers.py adhoc_metric_to_sqla (custom SQL metric with CASE, epoch_to_dttm style arithmetic)
-- compare: exact
-- protocol: simple
SELECT region AS region,
       SUM(CASE WHEN temperature < 0 THEN 1 ELSE 0 END) AS "frost_readings",
       COUNT(DISTINCT station) AS "COUNT_DISTINCT(station)"
FROM public.temperatures
GROUP BY region
ORDER BY "frost_readings" DESC, region
LIMIT 10000

-- name: sqllab.ctas_refused
-- source: apache/superset superset/sql_parse.py / sql_lab.py (CREATE TABLE AS for "CTAS" in SQL Lab)
-- compare: refused
-- protocol: simple
-- sqlstate: 0A000 25006 42501
CREATE TABLE public.tmp_region_avg AS SELECT region, avg(temperature) AS avg_temp FROM public.temperatures GROUP BY region
