-- Metadata queries of BI tools, written from their public sources (Grafana's PostgreSQL
-- datasource, Metabase's postgres driver, DBeaver's PostgreSQL plugin, psqlODBC as used by
-- Tableau and Power BI, Superset's SQLAlchemy setup). Each also runs on PostgreSQL 15.
-- {oid} stands for the OID of table temperatures.
-- next
-- Grafana: table list (search_path membership)
select quote_ident(table_name) as "table" from information_schema.tables
    where quote_ident(table_schema) not in ('information_schema',
                             'pg_catalog',
                             '_timescaledb_cache',
                             '_timescaledb_catalog',
                             '_timescaledb_internal',
                             '_timescaledb_config',
                             'timescaledb_information',
                             'timescaledb_experimental')
      and table_type = 'BASE TABLE' and
      quote_ident(table_schema) IN (
      SELECT
        CASE WHEN trim(s[i]) = '"$user"' THEN user ELSE trim(s[i]) END
      FROM
        generate_series(
          array_lower(string_to_array(current_setting('search_path'),','),1),
          array_upper(string_to_array(current_setting('search_path'),','),1)
        ) as i,
        string_to_array(current_setting('search_path'),',') s
      );
-- next
-- Grafana: columns of a table
select quote_ident(column_name) as "column", data_type as "type"
    from information_schema.columns
    where quote_ident(table_name) = 'temperatures';
-- next
-- Grafana (older releases)
SELECT column_name, data_type FROM information_schema.columns WHERE table_schema = 'public' AND table_name = 'temperatures' ORDER BY ordinal_position;
-- next
-- Grafana: time column candidates
SELECT column_name FROM information_schema.columns WHERE table_schema = 'public' AND table_name = 'temperatures' AND data_type IN ('timestamp without time zone','timestamp with time zone','bigint','integer','double precision','real') ORDER BY column_name;
-- next
-- Metabase: describe-database
SELECT n.nspname AS schema, c.relname AS name,
       CASE c.relkind WHEN 'r' THEN 'TABLE' WHEN 'p' THEN 'PARTITIONED TABLE' WHEN 'v' THEN 'VIEW' WHEN 'f' THEN 'FOREIGN TABLE' WHEN 'm' THEN 'MATERIALIZED VIEW' ELSE NULL END AS type,
       d.description AS description, stat.n_live_tup AS estimated_row_count
FROM pg_catalog.pg_class c
INNER JOIN pg_catalog.pg_namespace n ON c.relnamespace = n.oid
LEFT JOIN pg_catalog.pg_description d ON c.oid = d.objoid AND d.objsubid = 0 AND d.classoid = 'pg_class'::regclass
LEFT JOIN pg_stat_user_tables stat ON n.nspname = stat.schemaname AND c.relname = stat.relname
WHERE c.relnamespace = n.oid
  AND c.relkind IN ('r', 'p', 'v', 'f', 'm')
  AND n.nspname !~ '^information_schema|catalog_history|pg_'
  AND has_schema_privilege(n.nspname, 'USAGE')
  AND (has_table_privilege(c.oid, 'SELECT') OR has_any_column_privilege(c.oid, 'SELECT'))
ORDER BY schema, name;
-- next
-- Metabase: session time zone
SELECT current_setting('TimeZone') AS timezone;
-- next
-- DBeaver: databases
SELECT db.oid,db.* FROM pg_catalog.pg_database db WHERE datallowconn AND NOT datistemplate OR db.datname = 'isotherm' ORDER BY db.datname;
-- next
-- DBeaver: settings probe
select * from pg_catalog.pg_settings where name='standard_conforming_strings';
-- next
-- DBeaver: schemas
SELECT n.oid,n.*,d.description FROM pg_catalog.pg_namespace n
LEFT OUTER JOIN pg_catalog.pg_description d ON d.objoid=n.oid AND d.objsubid=0 AND d.classoid='pg_namespace'::regclass
ORDER BY nspname;
-- next
-- DBeaver: tables of schema public
SELECT c.oid,c.*,t.relname as tabrelname,rt.typnamespace as refnamespace,d.description, case when c.relkind='p' then true else false end as is_partitioned
FROM pg_catalog.pg_class c
LEFT OUTER JOIN pg_catalog.pg_class t ON t.oid=c.reltoastrelid
LEFT OUTER JOIN pg_catalog.pg_type rt ON rt.oid=c.reloftype
LEFT OUTER JOIN pg_catalog.pg_description d ON d.objoid=c.oid AND d.objsubid=0 AND d.classoid='pg_class'::regclass
WHERE c.relnamespace=2200 AND c.relkind not in ('i','I','c');
-- next
-- DBeaver: columns of a table
select c.oid,a.*,pg_catalog.pg_get_expr(ad.adbin, ad.adrelid, true) as def_value,dsc.description,dep.objid
FROM pg_catalog.pg_attribute a
INNER JOIN pg_catalog.pg_class c ON (a.attrelid=c.oid)
LEFT OUTER JOIN pg_catalog.pg_attrdef ad ON (a.attrelid=ad.adrelid AND a.attnum = ad.adnum)
LEFT OUTER JOIN pg_catalog.pg_description dsc ON (c.oid=dsc.objoid AND a.attnum = dsc.objsubid)
LEFT OUTER JOIN pg_depend dep on dep.refobjid = a.attrelid AND dep.deptype = 'i' and dep.refobjsubid = a.attnum and dep.classid = dep.refclassid
WHERE NOT a.attisdropped AND c.relkind not in ('i','I','c') AND c.oid={oid}
ORDER BY a.attnum;
-- next
-- DBeaver: data types
SELECT t.oid,t.*,c.relkind,format_type(nullif(t.typbasetype, 0), t.typtypmod) as base_type_name, d.description
FROM pg_catalog.pg_type t
LEFT OUTER JOIN pg_catalog.pg_type et ON et.oid=t.typelem
LEFT OUTER JOIN pg_catalog.pg_class c ON c.oid=t.typrelid
LEFT OUTER JOIN pg_catalog.pg_description d ON t.oid=d.objoid
WHERE t.typname IS NOT NULL
AND (c.relkind IS NULL OR c.relkind = 'c') AND (et.typcategory IS NULL OR et.typcategory <> 'C');
-- next
-- psqlODBC (Tableau, Power BI, Excel): tables
select relname, nspname, relkind from pg_catalog.pg_class c, pg_catalog.pg_namespace n where relkind in ('r', 'v', 'm', 'f', 'p') and nspname not in ('pg_catalog', 'information_schema', 'pg_toast', 'pg_temp_1') and n.oid = relnamespace order by nspname, relname;
-- next
-- psqlODBC: columns
select n.nspname, c.relname, a.attname, a.atttypid, t.typname, a.attnum, a.attlen, a.atttypmod, a.attnotnull, c.relhasrules, c.relkind, c.oid, pg_get_expr(d.adbin, d.adrelid), case t.typtype when 'd' then t.typbasetype else 0 end, t.typtypmod, c.relhassubclass
from (((pg_catalog.pg_class c inner join pg_catalog.pg_namespace n on n.oid = c.relnamespace and c.relname like 'temperatures' and n.nspname like 'public')
inner join pg_catalog.pg_attribute a on (not a.attisdropped) and a.attnum > 0 and a.attrelid = c.oid)
inner join pg_catalog.pg_type t on t.oid = a.atttypid)
left outer join pg_attrdef d on a.atthasdef and d.adrelid = a.attrelid and d.adnum = a.attnum
order by n.nspname, c.relname, attnum;
-- next
-- Superset / SQLAlchemy connect
select current_schema();
-- next
-- information_schema basics
SELECT table_schema, table_name, table_type FROM information_schema.tables WHERE table_schema NOT IN ('pg_catalog', 'information_schema') ORDER BY 1, 2;
-- next
SELECT schema_name FROM information_schema.schemata ORDER BY 1;
-- next
SELECT column_name, ordinal_position, is_nullable, data_type, udt_name, numeric_precision, datetime_precision FROM information_schema.columns WHERE table_name = 'temperatures' ORDER BY ordinal_position;
-- next
SELECT tablename, schemaname, tableowner FROM pg_catalog.pg_tables WHERE schemaname = 'public';
-- next
SELECT 'temperatures'::regclass::oid = {oid} AS same, to_regclass('temperatures') = {oid} AS same2, to_regclass('nope') IS NULL AS missing;
