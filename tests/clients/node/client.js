// node-postgres driver of the client compatibility suite (tests/tests/clients.rs).
//
// Run as `node client.js HOST PORT USER DBNAME` with NODE_PATH pointing at a
// node_modules holding `pg` (scripts/install-clients.sh) and TZ=UTC; prints one
// JSON object per line, one per step (format in tests/clients/python/common.py):
// plain queries (simple protocol), parameterised queries (unnamed extended
// protocol), named queries (parsed once, executed again by name), the catalog
// listing, errors. Values as node-postgres parses them, rendered as text
// (Dates as ISO strings); types are the fields' dataTypeID.
'use strict';

const { Client } = require('pg');

function text(v) {
  if (v === null || v === undefined) return null;
  if (v instanceof Date) return isNaN(v.getTime()) ? 'Invalid Date' : v.toISOString();
  if (typeof v === 'object') return JSON.stringify(v);
  return `${typeof v}:${String(v)}`;
}

function emit(rec) {
  process.stdout.write(JSON.stringify(rec) + '\n');
}

async function step(name, sql, fn) {
  const rec = { step: name, sql: sql || null, error: null };
  try {
    Object.assign(rec, await fn());
  } catch (e) {
    rec.error = { sqlstate: e.code || null, message: `${e.name}: ${e.message}` };
  }
  emit(rec);
}

function result(res) {
  return {
    columns: res.fields.map((f) => f.name),
    types: res.fields.map((f) => f.dataTypeID),
    rows: res.rows.map((r) => r.map(text)),
    tag: `${res.command} ${res.rowCount}`,
  };
}

async function main() {
  const [host, port, user, database] = process.argv.slice(2);
  if (!database) {
    process.stderr.write('usage: node client.js HOST PORT USER DBNAME\n');
    process.exit(2);
  }
  const client = new Client({
    host, port: Number(port), user, database,
    connectionTimeoutMillis: 10000, query_timeout: 30000,
  });
  await client.connect();
  const q = (config) => client.query({ rowMode: 'array', ...config }).then(result);

  const plain = [
    ['plain_session', 'SELECT current_database(), current_schema(), current_user'],
    ['plain_by_region', 'SELECT region, count(*), avg(temperature), max(humidity) FROM temperatures GROUP BY region ORDER BY region'],
    ['plain_daily', "SELECT date, count(*), min(measured_at), max(measured_at) FROM temperatures WHERE region = 'europe' GROUP BY date ORDER BY date"],
    ['plain_catalog_tables', "SELECT schemaname, tablename, tableowner FROM pg_catalog.pg_tables WHERE schemaname NOT IN ('pg_catalog', 'information_schema') ORDER BY 1, 2"],
    ['plain_multi_statement', "SELECT count(*) FROM temperatures; SELECT count(DISTINCT region) FROM temperatures"],
  ];
  for (const [name, sql] of plain) {
    await step(name, sql, async () => {
      const res = await client.query({ text: sql, rowMode: 'array' });
      // A multi-statement simple query answers with one result per statement.
      if (Array.isArray(res)) {
        const parts = res.map(result);
        return { rows: parts.flatMap((p) => p.rows), columns: parts.flatMap((p) => p.columns), types: parts.flatMap((p) => p.types), tag: parts.map((p) => p.tag).join('; ') };
      }
      return result(res);
    });
  }

  const params = [
    ['param_region_window', 'SELECT region, count(*) AS n, min(temperature), max(temperature) FROM temperatures WHERE date >= $1 AND date < $2 GROUP BY region ORDER BY region', ['2024-01-01', '2024-07-01']],
    ['param_monthly', "SELECT date_trunc('month', date) AS month, sum(temperature), count(humidity) FROM temperatures WHERE region = $1 GROUP BY 1 ORDER BY 1", ['asia']],
    ['param_timestamp', 'SELECT count(*), avg(humidity) FROM temperatures WHERE measured_at >= $1 AND measured_at < $2', [new Date('2024-01-01T00:00:00Z'), new Date('2024-04-01T06:00:00Z')]],
    ['param_number', 'SELECT station, count(*) FROM temperatures WHERE temperature > $1 AND region = $2 GROUP BY station ORDER BY station LIMIT $3', [15.5, 'europe', 10]],
    ['param_null', 'SELECT count(*) FROM temperatures WHERE country = $1', [null]],
  ];
  for (const [name, sql, values] of params) {
    await step(name, sql, () => q({ text: sql, values }));
  }

  const named = 'SELECT region, count(*), sum(humidity) FROM temperatures WHERE region = $1 AND date >= $2 GROUP BY region';
  const runs = [['europe', '2024-01-01'], ['asia', '2024-03-01'], ['africa', '2023-12-31']];
  for (let i = 0; i < runs.length; i++) {
    await step(`named_run_${i + 1}`, named, () => q({ name: 'iso_named', text: named, values: runs[i] }));
  }

  for (const [name, sql] of [
    ['error_undefined_column', 'SELECT nosuch FROM temperatures'],
    ['error_undefined_table', 'SELECT * FROM nosuch'],
    ['error_in_named', 'SELECT nosuch FROM temperatures WHERE region = $1'],
  ]) {
    await step(name, sql, () => (name === 'error_in_named'
      ? q({ name: 'iso_bad', text: sql, values: ['x'] })
      : q({ text: sql })));
  }
  await step('usable_after_errors', null, () => q({ text: 'SELECT count(*) FROM temperatures' }));
  await client.end();
}

main().catch((e) => {
  emit({ step: 'driver_crash', error: { sqlstate: e.code || null, message: `${e.name}: ${e.message}` } });
  process.exit(1);
});
