-- Tableau Desktop/Server (2020.4+) PostgreSQL connector, which runs on the
-- PostgreSQL JDBC driver (pgjdbc; extended protocol). Metadata comes from
-- DatabaseMetaData (statements captured from pgjdbc 42.5.5 against a
-- PostgreSQL 15 server with log_statement=all); chart SQL follows the
-- postgres_jdbc dialect of tableau/connector-plugin-sdk
-- (samples/plugins/postgres_jdbc/dialect.tdd, manifest.xml) and the queries
-- Tableau 2025.3 was reported sending (cube-js/cube issue #10721).

-- name: connect.schemas
-- source: pgjdbc 42.5.5 PgDatabaseMetaData.getSchemas(null, "%") (schema picker), captured
-- compare: exact
SELECT nspname AS TABLE_SCHEM, NULL AS TABLE_CATALOG FROM pg_catalog.pg_namespace  WHERE nspname <> 'pg_toast' AND (nspname !~ '^pg_temp_'  OR nspname = (pg_catalog.current_schemas(true))[1]) AND (nspname !~ '^pg_toast_temp_'  OR nspname = replace((pg_catalog.current_schemas(true))[1], 'pg_temp_', 'pg_toast_temp_'))  AND nspname LIKE '%' ORDER BY TABLE_SCHEM

-- name: connect.tables
-- source: pgjdbc 42.5.5 PgDatabaseMetaData.getTables(null, "public", "%", null) (table picker), captured
-- compare: exact
SELECT NULL AS TABLE_CAT, n.nspname AS TABLE_SCHEM, c.relname AS TABLE_NAME,  CASE n.nspname ~ '^pg_' OR n.nspname = 'information_schema'  WHEN true THEN CASE  WHEN n.nspname = 'pg_catalog' OR n.nspname = 'information_schema' THEN CASE c.relkind   WHEN 'r' THEN 'SYSTEM TABLE'   WHEN 'v' THEN 'SYSTEM VIEW'   WHEN 'i' THEN 'SYSTEM INDEX'   ELSE NULL   END  WHEN n.nspname = 'pg_toast' THEN CASE c.relkind   WHEN 'r' THEN 'SYSTEM TOAST TABLE'   WHEN 'i' THEN 'SYSTEM TOAST INDEX'   ELSE NULL   END  ELSE CASE c.relkind   WHEN 'r' THEN 'TEMPORARY TABLE'   WHEN 'p' THEN 'TEMPORARY TABLE'   WHEN 'i' THEN 'TEMPORARY INDEX'   WHEN 'S' THEN 'TEMPORARY SEQUENCE'   WHEN 'v' THEN 'TEMPORARY VIEW'   ELSE NULL   END  END  WHEN false THEN CASE c.relkind  WHEN 'r' THEN 'TABLE'  WHEN 'p' THEN 'PARTITIONED TABLE'  WHEN 'i' THEN 'INDEX'  WHEN 'P' then 'PARTITIONED INDEX'  WHEN 'S' THEN 'SEQUENCE'  WHEN 'v' THEN 'VIEW'  WHEN 'c' THEN 'TYPE'  WHEN 'f' THEN 'FOREIGN TABLE'  WHEN 'm' THEN 'MATERIALIZED VIEW'  ELSE NULL  END  ELSE NULL  END  AS TABLE_TYPE, d.description AS REMARKS,  '' as TYPE_CAT, '' as TYPE_SCHEM, '' as TYPE_NAME, '' AS SELF_REFERENCING_COL_NAME, '' AS REF_GENERATION  FROM pg_catalog.pg_namespace n, pg_catalog.pg_class c  LEFT JOIN pg_catalog.pg_description d ON (c.oid = d.objoid AND d.objsubid = 0  and d.classoid = 'pg_class'::regclass)  WHERE c.relnamespace = n.oid  AND n.nspname LIKE 'public' AND c.relname LIKE '%' AND (false  OR ( c.relkind = 'r' AND n.nspname !~ '^pg_' AND n.nspname <> 'information_schema' )  OR ( c.relkind = 'p' AND n.nspname !~ '^pg_' AND n.nspname <> 'information_schema' )  OR ( c.relkind = 'v' AND n.nspname <> 'pg_catalog' AND n.nspname <> 'information_schema' )  OR ( c.relkind = 'f' )  OR ( c.relkind = 'm' ) )  ORDER BY TABLE_TYPE,TABLE_SCHEM,TABLE_NAME

-- name: metadata.columns
-- source: pgjdbc 42.5.5 PgDatabaseMetaData.getColumns(null, "public", "temperatures", null), captured
-- compare: exact
SELECT * FROM (SELECT n.nspname,c.relname,a.attname,a.atttypid,a.attnotnull OR (t.typtype = 'd' AND t.typnotnull) AS attnotnull,a.atttypmod,a.attlen,t.typtypmod,row_number() OVER (PARTITION BY a.attrelid ORDER BY a.attnum) AS attnum, nullif(a.attidentity, '') as attidentity,nullif(a.attgenerated, '') as attgenerated,pg_catalog.pg_get_expr(def.adbin, def.adrelid) AS adsrc,dsc.description,t.typbasetype,t.typtype  FROM pg_catalog.pg_namespace n  JOIN pg_catalog.pg_class c ON (c.relnamespace = n.oid)  JOIN pg_catalog.pg_attribute a ON (a.attrelid=c.oid)  JOIN pg_catalog.pg_type t ON (a.atttypid = t.oid)  LEFT JOIN pg_catalog.pg_attrdef def ON (a.attrelid=def.adrelid AND a.attnum = def.adnum)  LEFT JOIN pg_catalog.pg_description dsc ON (c.oid=dsc.objoid AND a.attnum = dsc.objsubid)  LEFT JOIN pg_catalog.pg_class dc ON (dc.oid=dsc.classoid AND dc.relname='pg_class')  LEFT JOIN pg_catalog.pg_namespace dn ON (dc.relnamespace=dn.oid AND dn.nspname='pg_catalog')  WHERE c.relkind in ('r','p','v','f','m') and a.attnum > 0 AND NOT a.attisdropped  AND n.nspname LIKE 'public' AND c.relname LIKE 'temperatures') c WHERE true  ORDER BY nspname,c.relname,attnum

-- name: metadata.primary_keys
-- source: pgjdbc 42.5.5 PgDatabaseMetaData.getPrimaryKeys(null, "public", "temperatures"), captured
-- compare: exact
SELECT        result.TABLE_CAT,        result.TABLE_SCHEM,        result.TABLE_NAME,        result.COLUMN_NAME,        result.KEY_SEQ,        result.PK_NAME FROM      (SELECT NULL AS TABLE_CAT, n.nspname AS TABLE_SCHEM,   ct.relname AS TABLE_NAME, a.attname AS COLUMN_NAME,   (information_schema._pg_expandarray(i.indkey)).n AS KEY_SEQ, ci.relname AS PK_NAME,   information_schema._pg_expandarray(i.indkey) AS KEYS, a.attnum AS A_ATTNUM FROM pg_catalog.pg_class ct   JOIN pg_catalog.pg_attribute a ON (ct.oid = a.attrelid)   JOIN pg_catalog.pg_namespace n ON (ct.relnamespace = n.oid)   JOIN pg_catalog.pg_index i ON ( a.attrelid = i.indrelid)   JOIN pg_catalog.pg_class ci ON (ci.oid = i.indexrelid) WHERE true  AND n.nspname = 'public' AND ct.relname = 'temperatures' AND i.indisprimary  ) result where  result.A_ATTNUM = (result.KEYS).x  ORDER BY result.table_name, result.pk_name, result.key_seq

-- name: metadata.imported_keys
-- source: pgjdbc 42.5.5 PgDatabaseMetaData.getImportedKeys(null, "public", "temperatures"), captured
-- compare: exact
SELECT NULL::text AS PKTABLE_CAT, pkn.nspname AS PKTABLE_SCHEM, pkc.relname AS PKTABLE_NAME, pka.attname AS PKCOLUMN_NAME, NULL::text AS FKTABLE_CAT, fkn.nspname AS FKTABLE_SCHEM, fkc.relname AS FKTABLE_NAME, fka.attname AS FKCOLUMN_NAME, pos.n AS KEY_SEQ, CASE con.confupdtype  WHEN 'c' THEN 0 WHEN 'n' THEN 2 WHEN 'd' THEN 4 WHEN 'r' THEN 1 WHEN 'p' THEN 1 WHEN 'a' THEN 3 ELSE NULL END AS UPDATE_RULE, CASE con.confdeltype  WHEN 'c' THEN 0 WHEN 'n' THEN 2 WHEN 'd' THEN 4 WHEN 'r' THEN 1 WHEN 'p' THEN 1 WHEN 'a' THEN 3 ELSE NULL END AS DELETE_RULE, con.conname AS FK_NAME, pkic.relname AS PK_NAME, CASE  WHEN con.condeferrable AND con.condeferred THEN 5 WHEN con.condeferrable THEN 6 ELSE 7 END AS DEFERRABILITY  FROM  pg_catalog.pg_namespace pkn, pg_catalog.pg_class pkc, pg_catalog.pg_attribute pka,  pg_catalog.pg_namespace fkn, pg_catalog.pg_class fkc, pg_catalog.pg_attribute fka,  pg_catalog.pg_constraint con,  pg_catalog.generate_series(1, 32) pos(n),  pg_catalog.pg_class pkic WHERE pkn.oid = pkc.relnamespace AND pkc.oid = pka.attrelid AND pka.attnum = con.confkey[pos.n] AND con.confrelid = pkc.oid  AND fkn.oid = fkc.relnamespace AND fkc.oid = fka.attrelid AND fka.attnum = con.conkey[pos.n] AND con.conrelid = fkc.oid  AND con.contype = 'f' AND (pkic.relkind = 'i' OR pkic.relkind = 'I') AND pkic.oid = con.conindid  AND fkn.nspname = 'public' AND fkc.relname = 'temperatures' ORDER BY pkn.nspname,pkc.relname, con.conname,pos.n

-- name: metadata.index_info
-- source: pgjdbc 42.5.5 PgDatabaseMetaData.getIndexInfo(null, "public", "temperatures", false, true), captured
-- compare: exact
SELECT     tmp.TABLE_CAT,     tmp.TABLE_SCHEM,     tmp.TABLE_NAME,     tmp.NON_UNIQUE,     tmp.INDEX_QUALIFIER,     tmp.INDEX_NAME,     tmp.TYPE,     tmp.ORDINAL_POSITION,     trim(both '"' from pg_catalog.pg_get_indexdef(tmp.CI_OID, tmp.ORDINAL_POSITION, false)) AS COLUMN_NAME,   CASE tmp.AM_NAME     WHEN 'btree' THEN CASE tmp.I_INDOPTION[tmp.ORDINAL_POSITION - 1] & 1::smallint       WHEN 1 THEN 'D'       ELSE 'A'     END     ELSE NULL   END AS ASC_OR_DESC,     tmp.CARDINALITY,     tmp.PAGES,     tmp.FILTER_CONDITION FROM (SELECT NULL AS TABLE_CAT, n.nspname AS TABLE_SCHEM,   ct.relname AS TABLE_NAME, NOT i.indisunique AS NON_UNIQUE,   NULL AS INDEX_QUALIFIER, ci.relname AS INDEX_NAME,   CASE i.indisclustered     WHEN true THEN 1    ELSE CASE am.amname       WHEN 'hash' THEN 2      ELSE 3    END   END AS TYPE,   (information_schema._pg_expandarray(i.indkey)).n AS ORDINAL_POSITION,   ci.reltuples AS CARDINALITY,   ci.relpages AS PAGES,   pg_catalog.pg_get_expr(i.indpred, i.indrelid) AS FILTER_CONDITION,   ci.oid AS CI_OID,   i.indoption AS I_INDOPTION,   am.amname AS AM_NAME FROM pg_catalog.pg_class ct   JOIN pg_catalog.pg_namespace n ON (ct.relnamespace = n.oid)   JOIN pg_catalog.pg_index i ON (ct.oid = i.indrelid)   JOIN pg_catalog.pg_class ci ON (ci.oid = i.indexrelid)   JOIN pg_catalog.pg_am am ON (ci.relam = am.oid) WHERE true  AND n.nspname = 'public' AND ct.relname = 'temperatures') AS tmp ORDER BY NON_UNIQUE, TYPE, INDEX_NAME, ORDINAL_POSITION

-- name: metadata.max_index_keys
-- source: pgjdbc 42.5.5 PgDatabaseMetaData.getMaxIndexKeys (called by getIndexInfo), captured
-- compare: exact
SELECT setting FROM pg_catalog.pg_settings WHERE name='max_index_keys'

-- name: connect.temp_table_probe
-- source: cube-js/cube issue #10721 (Tableau Desktop 2025.3 over pgjdbc: connection check / extract creates a temp table)
-- compare: refused
-- sqlstate: 0A000 25006 42501
CREATE LOCAL TEMPORARY TABLE "#Tableau_1_Connect_Check" ("COL" INTEGER) ON COMMIT PRESERVE ROWS

-- name: connect.temp_table_drop
-- source: cube-js/cube issue #10721 (DROP of the probe table that could not be created)
-- compare: refused
-- sqlstate: 0A000 25006 42501 42P01
DROP TABLE "#Tableau_1_Connect_Check"

-- name: connect.group_by_position_probe
-- source: cube-js/cube issue #10721 (Tableau probes GROUP BY ordinal handling; PostgreSQL rejects position 2 of a 1-column list)
-- compare: error
-- sqlstate: 42P10
SELECT "SUBCOL" AS "COL" FROM (SELECT 1 AS "SUBCOL") "SUBQUERY" GROUP BY 2

-- name: metadata.where_false
-- source: tableau/connector-plugin-sdk samples/plugins/postgres_jdbc/manifest.xml (CAP_QUERY_WHERE_FALSE_METADATA: column metadata from a WHERE false query)
-- compare: exact
SELECT * FROM "public"."temperatures" "temperatures" WHERE (1 = 0)

-- name: metadata.result_set_nullability
-- source: pgjdbc 42.5.5 PgResultSetMetaData.fetchFieldMetaData (isNullable/isAutoIncrement/getTableName on the where-false result; one row per column, the table OID taken from RowDescription), captured
-- compare: exact
SELECT c.oid, a.attnum, a.attname, c.relname, n.nspname, a.attnotnull OR (t.typtype = 'd' AND t.typnotnull), a.attidentity != '' OR pg_catalog.pg_get_expr(d.adbin, d.adrelid) LIKE '%nextval(%' FROM pg_catalog.pg_class c JOIN pg_catalog.pg_namespace n ON (c.relnamespace = n.oid) JOIN pg_catalog.pg_attribute a ON (c.oid = a.attrelid) JOIN pg_catalog.pg_type t ON (a.atttypid = t.oid) LEFT JOIN pg_catalog.pg_attrdef d ON (d.adrelid = a.attrelid AND d.adnum = a.attnum) JOIN (SELECT {{rowdesc_oid:public.temperatures}} AS oid , 1 AS attnum UNION ALL SELECT {{rowdesc_oid:public.temperatures}}, 2 UNION ALL SELECT {{rowdesc_oid:public.temperatures}}, 3 UNION ALL SELECT {{rowdesc_oid:public.temperatures}}, 4 UNION ALL SELECT {{rowdesc_oid:public.temperatures}}, 5 UNION ALL SELECT {{rowdesc_oid:public.temperatures}}, 6 UNION ALL SELECT {{rowdesc_oid:public.temperatures}}, 7) vals ON (c.oid = vals.oid AND a.attnum = vals.attnum) 

-- name: viz.avg_by_region
-- source: tableau/connector-plugin-sdk samples/plugins/postgres_jdbc/dialect.tdd (AVG; Tableau aliases "avg:<field>:ok" and GROUP BY ordinals)
-- compare: exact
SELECT "temperatures"."region" AS "region",
  AVG("temperatures"."temperature") AS "avg:temperature:ok"
FROM "public"."temperatures" "temperatures"
GROUP BY 1

-- name: viz.sum_by_month
-- source: tableau/connector-plugin-sdk samples/plugins/postgres_jdbc/dialect.tdd (DATETRUNC month on a timestamp: DATE_TRUNC with CAST AS TIMESTAMP; CAP_QUERY_TIME_REQUIRES_CAST)
-- compare: exact
SELECT DATE_TRUNC( 'MONTH', CAST("temperatures"."measured_at" AS TIMESTAMP) ) AS "tmn:measured_at:ok",
  SUM("temperatures"."temperature") AS "sum:temperature:ok"
FROM "public"."temperatures" "temperatures"
GROUP BY 1

-- name: viz.year_and_quarter
-- source: tableau/connector-plugin-sdk samples/plugins/postgres_jdbc/dialect.tdd (YEAR / QUARTER: CAST(EXTRACT(... FROM %1) AS INTEGER))
-- compare: exact
SELECT CAST(EXTRACT(YEAR FROM "temperatures"."date") AS INTEGER) AS "yr:date:ok",
  CAST(EXTRACT(QUARTER FROM "temperatures"."date") AS INTEGER) AS "qr:date:ok",
  MAX("temperatures"."temperature") AS "max:temperature:ok"
FROM "public"."temperatures" "temperatures"
GROUP BY 1,
  2

-- name: viz.countd_stations
-- source: tableau/connector-plugin-sdk samples/plugins/postgres_jdbc/dialect.tdd (COUNTD -> COUNT(DISTINCT %1))
-- compare: exact
SELECT "temperatures"."country" AS "country",
  COUNT(DISTINCT "temperatures"."station") AS "ctd:station:ok"
FROM "public"."temperatures" "temperatures"
GROUP BY 1

-- name: viz.exclude_filter_case
-- source: cube-js/cube issue #7601 (Tableau's exclude filter: WHERE (CASE WHEN (x IN (...) OR x IS NULL) THEN false ELSE true END))
-- compare: exact
SELECT "temperatures"."region" AS "region",
  COUNT("temperatures"."humidity") AS "cnt:humidity:ok"
FROM "public"."temperatures" "temperatures"
WHERE (CASE WHEN (("temperatures"."region" IN ('africa', 'asia')) OR ("temperatures"."region" IS NULL)) THEN false ELSE true END)
GROUP BY 1

-- name: viz.datetime_range_filter
-- source: tableau/connector-plugin-sdk samples/plugins/postgres_jdbc/dialect.tdd (datetime literals as TIMESTAMP '...'; range filter)
-- compare: exact
SELECT "temperatures"."station" AS "station",
  MIN("temperatures"."temperature") AS "min:temperature:ok"
FROM "public"."temperatures" "temperatures"
WHERE (("temperatures"."measured_at" >= (TIMESTAMP '2024-01-01 00:00:00.000')) AND ("temperatures"."measured_at" <= (TIMESTAMP '2024-06-30 23:59:59.999')))
GROUP BY 1

-- name: viz.quick_filter_domain
-- source: Tableau quick filter domain query (distinct values of a dimension, GROUP BY 1 ORDER BY 1)
-- compare: exact
SELECT "temperatures"."country" AS "country"
FROM "public"."temperatures" "temperatures"
GROUP BY 1
ORDER BY 1 ASC

-- name: viz.dateparse_to_timestamp
-- source: tableau/connector-plugin-sdk samples/plugins/postgres_jdbc/dialect.tdd (DATEPARSE -> TO_TIMESTAMP(%1, %2); STR -> CAST(%1 AS TEXT))
-- compare: exact
SELECT TO_TIMESTAMP(CAST("temperatures"."date" AS TEXT), 'YYYY-MM-DD') AS "Calculation_1",
  COUNT(*) AS "cnt:Number of Records:ok"
FROM "public"."temperatures" "temperatures"
GROUP BY 1
ORDER BY 1

-- name: viz.zn_and_iif
-- source: tableau/connector-plugin-sdk samples/plugins/postgres_jdbc/dialect.tdd (ZN -> COALESCE(%1, 0); IIF -> CASE WHEN ... WHEN NOT ... ELSE NULL END)
-- compare: exact
SELECT "temperatures"."region" AS "region",
  SUM(COALESCE("temperatures"."humidity", 0)) AS "sum:Calculation_2:ok",
  SUM((CASE WHEN ("temperatures"."temperature" > 25) THEN 1 WHEN NOT ("temperatures"."temperature" > 25) THEN 0 ELSE NULL END)) AS "sum:Calculation_3:ok"
FROM "public"."temperatures" "temperatures"
GROUP BY 1

-- name: viz.top_n_subquery
-- source: tableau/connector-plugin-sdk samples/plugins/postgres_jdbc/manifest.xml (CAP_QUERY_SUBQUERIES, CAP_QUERY_TOP_N: top-N filter as a joined subquery with LIMIT)
-- compare: exact
SELECT "temperatures"."country" AS "country",
  AVG("temperatures"."temperature") AS "avg:temperature:ok"
FROM "public"."temperatures" "temperatures"
  INNER JOIN (
  SELECT "temperatures"."country" AS "country",
    COUNT(*) AS "$__alias__0"
  FROM "public"."temperatures" "temperatures"
  GROUP BY 1
  ORDER BY 2 DESC, 1 ASC
  LIMIT 3
) "t0" ON ("temperatures"."country" IS NOT DISTINCT FROM "t0"."country")
GROUP BY 1

-- name: extract.all_rows
-- source: Tableau extract creation (full fetch of the table; strings cast to TEXT per dialect.tdd)
-- compare: exact
SELECT "temperatures"."date" AS "date",
  CAST("temperatures"."region" AS TEXT) AS "region",
  CAST("temperatures"."country" AS TEXT) AS "country",
  CAST("temperatures"."station" AS TEXT) AS "station",
  "temperatures"."measured_at" AS "measured_at",
  "temperatures"."temperature" AS "temperature",
  "temperatures"."humidity" AS "humidity"
FROM "public"."temperatures" "temperatures"
