"""asyncpg (extended protocol, binary everywhere, binds with the parameter
types the server infers at Describe): int, text, date, timestamptz and
timestamp parameters, the parameter and column types of each prepared
statement, a cursor (portal with a row limit) in a transaction, a pool that
acquires and releases (release resets the session: pg_advisory_unlock_all,
CLOSE ALL, UNLISTEN *, RESET ALL), command tags, errors. Output: see common.py."""

import asyncio
import datetime

import asyncpg

import common as c

PARAM_QUERIES = [
    # (step, SQL with %s, params): int, text, date, timestamptz, timestamp.
    (
        "int_and_text_params",
        "SELECT station, count(*) FROM temperatures WHERE region = %s "
        "GROUP BY station ORDER BY station LIMIT %s",
        ("europe", 5),
    ),
    (
        "date_param",
        "SELECT region, count(*), avg(temperature) FROM temperatures WHERE date = %s "
        "GROUP BY region ORDER BY region",
        (c.LEAP_DAY,),
    ),
    (
        "timestamptz_params",
        "SELECT region, count(*) FROM temperatures WHERE measured_at >= %s AND measured_at < %s "
        "GROUP BY region ORDER BY region",
        (c.TS_FROM, c.TS_TO),
    ),
    (
        "timestamp_param",
        "SELECT count(*), max(temperature) FROM temperatures WHERE measured_at < %s::timestamp",
        (datetime.datetime(2024, 3, 1, 12, 0, 0),),
    ),
    (
        "float_param",
        "SELECT count(*), count(DISTINCT station) FROM temperatures WHERE temperature > %s",
        (20.5,),
    ),
]


def types_of(stmt):
    return {
        "param_types": [t.oid for t in stmt.get_parameters()],
        "param_type_names": [t.name for t in stmt.get_parameters()],
    }


async def run():
    host, port, user, db = c.args()
    rec = c.Recorder("asyncpg")
    dsn = dict(host=host, port=port, user=user, database=db, timeout=10, command_timeout=30)
    conn = await asyncpg.connect(**dsn)
    results = []

    async def step(name, coro_fn, sql=None):
        # Recorder.step is synchronous: run the coroutine first, then record.
        try:
            out = await coro_fn()
            exc = None
        except Exception as e:  # noqa: BLE001
            out, exc = None, e

        def replay():
            if exc is not None:
                raise exc
            return out

        results.append(rec.step(name, replay, sql))

    def prepared(sql, params):
        async def run_it():
            stmt = await conn.prepare(sql)
            rows = await stmt.fetch(*params)
            attrs = stmt.get_attributes()
            return {
                "columns": [a.name for a in attrs],
                "types": [a.type.oid for a in attrs],
                "rows": [c.row_text(r) for r in rows],
                "extra": types_of(stmt),
                "tag": stmt.get_statusmsg(),
            }

        return run_it

    for name, sql in c.SESSION:
        await step(name, prepared(sql, ()), sql)

    listing = (
        "SELECT table_name, table_type FROM information_schema.tables "
        "WHERE table_schema = $1 ORDER BY table_name"
    )
    await step("is_tables", prepared(listing, ("public",)), listing)

    for name, sql, params in c.AGGREGATES + PARAM_QUERIES:
        dsql = c.dollar(sql)
        await step(name, prepared(dsql, params), dsql)

    for name, sql in c.ERRORS:
        await step(name, prepared(sql, ()), sql)

    async def status(sql):
        async def run_it():
            return {"tag": await conn.execute(sql)}

        return run_it

    for name, sql in [
        ("set_tag", "SET application_name = 'isotherm-suite'"),
        ("reset_tag", "RESET application_name"),
    ]:
        await step(name, await status(sql), sql)

    cursor_sql = (
        "SELECT date, region, station, measured_at, humidity FROM temperatures "
        "WHERE region = $1 ORDER BY date, station, measured_at LIMIT 250"
    )

    async def cursor():
        rows = []
        async with conn.transaction():
            async for r in conn.cursor(cursor_sql, "africa", prefetch=40):
                rows.append(c.row_text(r))
        return {"rows": rows}

    await step("cursor_prefetch", cursor, cursor_sql)

    pool_sql = "SELECT count(*) FROM temperatures WHERE region = $1"

    async def pool_use():
        pool = await asyncpg.create_pool(min_size=1, max_size=2, **dsn)
        try:
            regions = ["africa", "asia", "europe", "americas", "africa", "asia"]
            counts = await asyncio.gather(*(pool.fetchval(pool_sql, r) for r in regions))
            rows = [[r, c.text(n)] for r, n in zip(regions, counts)]
            for _ in range(3):
                async with pool.acquire() as pconn:
                    await pconn.execute("SET application_name = 'pooled'")
                    rows.append(["acquired", c.text(await pconn.fetchval(pool_sql, "europe"))])
        finally:
            await asyncio.wait_for(pool.close(), 20)
        return {"rows": rows}

    await step("pool_acquire_release", pool_use, pool_sql)
    await step("usable_after_errors", prepared("SELECT count(*) FROM temperatures", ()))
    await conn.close()


if __name__ == "__main__":
    c.main_guard(lambda: asyncio.run(run()))
