-- DBeaver (24.x) PostgreSQL plugin, navigator and data editor, through pgjdbc
-- (extended protocol; OIDs bound with setLong -> int8, names with setString -> varchar).
-- Sources are files of dbeaver/dbeaver (commit 2428359b74) under
-- plugins/org.jkiss.dbeaver.ext.postgresql/src/org/jkiss/dbeaver/ext/postgresql/.

-- name: connect.database_list
-- source: model/PostgreDataSource.java prepareReadDatabaseListStatement (default: no templates, no unavailable, connection db added)
-- compare: shape
-- ignore: datfrozenxid datminmxid
-- param: varchar isotherm
SELECT db.oid,db.* FROM pg_catalog.pg_database db WHERE 1 = 1 AND datallowconn AND NOT datistemplate OR db.datname =$1
ORDER BY db.datname

-- name: connect.current_database
-- source: model/PostgreDataSource.java loadAvailableDatabases
-- compare: exact
SELECT current_database()

-- name: connect.version
-- source: model/PostgreDataSource.java initialize ("SELECT version()"; parsed for display only)
-- compare: columns
SELECT version()

-- name: connect.probe_pg_enum
-- source: PostgreUtils.java getQueryForSystemColumnChecking via PostgreDataSource.initialize (isMetaObjectExists "pg_enum", "*")
-- compare: exact
SELECT * FROM pg_catalog.pg_enum WHERE 1<>1 LIMIT 1

-- name: connect.probe_pg_class_reltype
-- source: PostgreUtils.java getQueryForSystemColumnChecking via PostgreDataSource.initialize (isMetaObjectExists "pg_class", "reltype")
-- compare: exact
SELECT reltype FROM pg_catalog.pg_class WHERE 1<>1 LIMIT 1

-- name: connect.current_schema_user
-- source: model/PostgreExecutionContext.java refreshDefaults
-- compare: exact
SELECT current_schema(),session_user

-- name: connect.search_path
-- source: model/PostgreExecutionContext.java refreshDefaults ("SHOW search_path")
-- compare: exact
SHOW search_path

-- name: connect.sql_keywords
-- source: pgjdbc 42.5.5 PgDatabaseMetaData.getSQLKeywords (DBeaver's JDBC dialect reads it at connect), captured with log_statement=all
-- compare: exact
select string_agg(word, ',') from pg_catalog.pg_get_keywords() where word <> ALL ('{a,abs,absolute,action,ada,add,admin,after,all,allocate,alter,always,and,any,are,array,as,asc,asensitive,assertion,assignment,asymmetric,at,atomic,attribute,attributes,authorization,avg,before,begin,bernoulli,between,bigint,binary,blob,boolean,both,breadth,by,c,call,called,cardinality,cascade,cascaded,case,cast,catalog,catalog_name,ceil,ceiling,chain,char,char_length,character,character_length,character_set_catalog,character_set_name,character_set_schema,characteristics,characters,check,checked,class_origin,clob,close,coalesce,cobol,code_units,collate,collation,collation_catalog,collation_name,collation_schema,collect,column,column_name,command_function,command_function_code,commit,committed,condition,condition_number,connect,connection_name,constraint,constraint_catalog,constraint_name,constraint_schema,constraints,constructors,contains,continue,convert,corr,corresponding,count,covar_pop,covar_samp,create,cross,cube,cume_dist,current,current_collation,current_date,current_default_transform_group,current_path,current_role,current_time,current_timestamp,current_transform_group_for_type,current_user,cursor,cursor_name,cycle,data,date,datetime_interval_code,datetime_interval_precision,day,deallocate,dec,decimal,declare,default,defaults,deferrable,deferred,defined,definer,degree,delete,dense_rank,depth,deref,derived,desc,describe,descriptor,deterministic,diagnostics,disconnect,dispatch,distinct,domain,double,drop,dynamic,dynamic_function,dynamic_function_code,each,element,else,end,end-exec,equals,escape,every,except,exception,exclude,excluding,exec,execute,exists,exp,external,extract,false,fetch,filter,final,first,float,floor,following,for,foreign,fortran,found,free,from,full,function,fusion,g,general,get,global,go,goto,grant,granted,group,grouping,having,hierarchy,hold,hour,identity,immediate,implementation,in,including,increment,indicator,initially,inner,inout,input,insensitive,insert,instance,instantiable,int,integer,intersect,intersection,interval,into,invoker,is,isolation,join,k,key,key_member,key_type,language,large,last,lateral,leading,left,length,level,like,ln,local,localtime,localtimestamp,locator,lower,m,map,match,matched,max,maxvalue,member,merge,message_length,message_octet_length,message_text,method,min,minute,minvalue,mod,modifies,module,month,more,multiset,mumps,name,names,national,natural,nchar,nclob,nesting,new,next,no,none,normalize,normalized,not,"null",nullable,nullif,nulls,number,numeric,object,octet_length,octets,of,old,on,only,open,option,options,or,order,ordering,ordinality,others,out,outer,output,over,overlaps,overlay,overriding,pad,parameter,parameter_mode,parameter_name,parameter_ordinal_position,parameter_specific_catalog,parameter_specific_name,parameter_specific_schema,partial,partition,pascal,path,percent_rank,percentile_cont,percentile_disc,placing,pli,position,power,preceding,precision,prepare,preserve,primary,prior,privileges,procedure,public,range,rank,read,reads,real,recursive,ref,references,referencing,regr_avgx,regr_avgy,regr_count,regr_intercept,regr_r2,regr_slope,regr_sxx,regr_sxy,regr_syy,relative,release,repeatable,restart,result,return,returned_cardinality,returned_length,returned_octet_length,returned_sqlstate,returns,revoke,right,role,rollback,rollup,routine,routine_catalog,routine_name,routine_schema,row,row_count,row_number,rows,savepoint,scale,schema,schema_name,scope_catalog,scope_name,scope_schema,scroll,search,second,section,security,select,self,sensitive,sequence,serializable,server_name,session,session_user,set,sets,similar,simple,size,smallint,some,source,space,specific,specific_name,specifictype,sql,sqlexception,sqlstate,sqlwarning,sqrt,start,state,statement,static,stddev_pop,stddev_samp,structure,style,subclass_origin,submultiset,substring,sum,symmetric,system,system_user,table,table_name,tablesample,temporary,then,ties,time,timestamp,timezone_hour,timezone_minute,to,top_level_count,trailing,transaction,transaction_active,transactions_committed,transactions_rolled_back,transform,transforms,translate,translation,treat,trigger,trigger_catalog,trigger_name,trigger_schema,trim,true,type,uescape,unbounded,uncommitted,under,union,unique,unknown,unnamed,unnest,update,upper,usage,user,user_defined_type_catalog,user_defined_type_code,user_defined_type_name,user_defined_type_schema,using,value,values,var_pop,var_samp,varchar,varying,view,when,whenever,where,width_bucket,window,with,within,without,work,write,year,zone}'::text[])

-- name: navigator.schemas
-- source: model/PostgreDatabase.java SchemaCache.prepareLookupStatement (no filters)
-- compare: shape
SELECT n.oid,n.*,d.description FROM pg_catalog.pg_namespace n
LEFT OUTER JOIN pg_catalog.pg_description d ON d.objoid=n.oid AND d.objsubid=0 AND d.classoid='pg_namespace'::regclass
 ORDER BY nspname

-- name: navigator.data_types
-- source: model/PostgreDatabase.java (read data types) + model/PostgreDataTypeCache.java getBaseTypeNameClause
-- compare: shape
-- keep: bool int4 int8 float8 numeric text varchar date timestamp timestamptz
SELECT t.oid,t.*,c.relkind,format_type(nullif(t.typbasetype, 0), t.typtypmod) as base_type_name, d.description
FROM pg_catalog.pg_type t
LEFT OUTER JOIN pg_catalog.pg_type et ON et.oid=t.typelem 
LEFT OUTER JOIN pg_catalog.pg_class c ON c.oid=t.typrelid
LEFT OUTER JOIN pg_catalog.pg_description d ON t.oid=d.objoid
WHERE t.typname IS NOT NULL
AND (c.relkind IS NULL OR c.relkind = 'c') AND (et.typcategory IS NULL OR et.typcategory <> 'C')

-- name: navigator.roles
-- source: model/PostgreDatabase.java RoleCache.prepareObjectsStatement
-- compare: shape
-- keep: isotherm
SELECT a.oid,a.*,pd.description FROM pg_catalog.pg_roles a 
left join pg_catalog.pg_shdescription pd on a.oid = pd.objoid
ORDER BY a.rolname

-- name: navigator.access_methods
-- source: model/PostgreDatabase.java AccessMethodCache.prepareObjectsStatement
-- compare: exact
SELECT am.oid,am.* FROM pg_catalog.pg_am am 
ORDER BY am.oid

-- name: navigator.tables
-- source: model/PostgreSchema.java TableCache.prepareLookupStatement (server >= 10: partition columns)
-- compare: exact
-- ignore: relpages relallvisible relfrozenxid relminmxid
-- param: int8 {{oid:public}}
SELECT c.oid,c.*,d.description,pg_catalog.pg_get_expr(c.relpartbound, c.oid) as partition_expr,  pg_catalog.pg_get_partkeydef(c.oid) as partition_key 
FROM pg_catalog.pg_class c
LEFT OUTER JOIN pg_catalog.pg_description d ON d.objoid=c.oid AND d.objsubid=0 AND d.classoid='pg_class'::regclass
WHERE c.relnamespace=$1 AND c.relkind not in ('i','I','c')

-- name: navigator.table_columns
-- source: model/PostgreSchema.java TableCache.prepareChildrenStatement (forTable, supportsSequences)
-- compare: exact
-- param: int8 {{oid:public.temperatures}}
SELECT c.relname,a.*,pg_catalog.pg_get_expr(ad.adbin, ad.adrelid, true) as def_value,dsc.description,dep.objid
FROM pg_catalog.pg_attribute a
INNER JOIN pg_catalog.pg_class c ON (a.attrelid=c.oid)
LEFT OUTER JOIN pg_catalog.pg_attrdef ad ON (a.attrelid=ad.adrelid AND a.attnum = ad.adnum)
LEFT OUTER JOIN pg_catalog.pg_description dsc ON (c.oid=dsc.objoid AND a.attnum = dsc.objsubid)
LEFT OUTER JOIN pg_depend dep on dep.refobjid = a.attrelid AND dep.deptype = 'i' and dep.refobjsubid = a.attnum and dep.classid = dep.refclassid
WHERE NOT a.attisdropped AND c.relkind not in ('i','I','c') AND c.oid=$1
ORDER BY a.attnum

-- name: navigator.constraints
-- source: model/PostgreSchema.java ConstraintCache.prepareObjectsStatement (forParent)
-- compare: exact
-- param: int8 {{oid:public.temperatures}}
SELECT c.oid,c.*,t.relname as tabrelname,rt.relnamespace as refnamespace,d.description, case when c.contype='c' then "substring"(pg_get_constraintdef(c.oid), 7) else null end consrc_copy
FROM pg_catalog.pg_constraint c
INNER JOIN pg_catalog.pg_class t ON t.oid=c.conrelid
LEFT OUTER JOIN pg_catalog.pg_class rt ON rt.oid=c.confrelid
LEFT OUTER JOIN pg_catalog.pg_description d ON d.objoid=c.oid AND d.objsubid=0 AND d.classoid='pg_constraint'::regclass
WHERE c.conrelid=$1
ORDER BY c.oid

-- name: navigator.indexes
-- source: model/PostgreSchema.java IndexCache.prepareObjectsStatement (forTable, expression indexes, relation size)
-- compare: exact
-- param: int8 {{oid:public.temperatures}}
SELECT i.*,i.indkey as keys,c.relname,c.relnamespace,c.relam,c.reltablespace,tc.relname as tabrelname,dsc.description,pg_catalog.pg_get_expr(i.indpred, i.indrelid) as pred_expr,pg_catalog.pg_get_expr(i.indexprs, i.indrelid, true) as expr,pg_catalog.pg_relation_size(i.indexrelid) as index_rel_size,pg_catalog.pg_stat_get_numscans(i.indexrelid) as index_num_scans
FROM pg_catalog.pg_index i
INNER JOIN pg_catalog.pg_class c ON c.oid=i.indexrelid
INNER JOIN pg_catalog.pg_class tc ON tc.oid=i.indrelid
LEFT OUTER JOIN pg_catalog.pg_description dsc ON i.indexrelid=dsc.objoid
WHERE  i.indrelid=$1 ORDER BY c.relname

-- name: navigator.procedures
-- source: model/PostgreSchema.java ProceduresCache.prepareLookupStatement (server >= 8.4)
-- compare: exact
-- param: int8 {{oid:public}}
SELECT p.oid as poid,p.*,pg_catalog.pg_get_expr(p.proargdefaults, 0) as arg_defaults,d.description
FROM pg_catalog.pg_proc p
LEFT OUTER JOIN pg_catalog.pg_description d ON d.objoid=p.oid and d.classoid='pg_proc'::regclass  AND d.objsubid = 0
WHERE p.pronamespace=$1
ORDER BY p.proname

-- name: navigator.table_statistics
-- source: model/PostgreTableReal.java readTableStatistics (sizes are storage-specific: only the shape is compared)
-- compare: columns
-- param: int8 {{oid:public.temperatures}}
-- param: int8 {{oid:public.temperatures}}
select pg_catalog.pg_total_relation_size($1) as total_rel_size,pg_catalog.pg_relation_size($2) as rel_size

-- name: navigator.setting
-- source: model/PostgreDataSource.java SettingCache (select * from pg_catalog.pg_settings where name=?)
-- compare: exact
-- ignore: source sourcefile sourceline
-- param: varchar standard_conforming_strings
select * from pg_catalog.pg_settings where name=$1

-- name: editor.read_all_rows
-- source: DBeaver data editor (ResultSetViewer) on a table: SELECT * FROM <schema>.<table>, rows fetched through the cursor
-- compare: exact
SELECT * FROM public.temperatures

-- name: editor.row_count
-- source: DBeaver data editor "calculate total row count" (SELECT COUNT(*) FROM (query))
-- compare: exact
SELECT COUNT(*) FROM (SELECT * FROM public.temperatures) dbvrcnt

-- name: editor.filter_and_order
-- source: DBeaver data editor with a filter and a column ordering (appended WHERE / ORDER BY)
-- compare: exact
SELECT * FROM public.temperatures t
WHERE t.region = 'europe'
ORDER BY t.measured_at DESC, t.station

-- name: editor.sql_console_aggregate
-- source: DBeaver SQL editor, a user's grouping query executed as-is
-- compare: exact
SELECT region, country, count(*), round(avg(temperature)::numeric, 2) AS avg_temp
FROM temperatures
WHERE region <> 'asia'
GROUP BY region, country
ORDER BY region, country
