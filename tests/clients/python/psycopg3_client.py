"""psycopg 3 (extended protocol, server-side binding): the parameterised
aggregates through a binary cursor with prepare=True (each run twice: the
second execution uses the server-side prepared statement), the same through a
text cursor, the pg_catalog listing its tools run, a server-side cursor,
COPY TO STDOUT, and errors. Output format: see common.py."""

import psycopg

import common as c


def run():
    host, port, user, db = c.args()
    rec = c.Recorder("psycopg3")
    conn = psycopg.connect(
        host=host, port=port, user=user, dbname=db, connect_timeout=10, autocommit=True
    )

    def props():
        info = conn.info
        return {
            "columns": ["property", "value"],
            "rows": [
                ["server_version_major", str(info.server_version // 10000)],
                ["encoding", info.encoding],
                ["DateStyle", info.parameter_status("DateStyle")],
                ["TimeZone", str(info.timezone)],
                ["integer_datetimes", info.parameter_status("integer_datetimes")],
            ],
        }

    rec.step("connection_properties", props)

    def query(sql, params=None, binary=False, prepare=None):
        def run_it():
            cur = conn.cursor(binary=binary)
            cur.execute(sql, params, prepare=prepare)
            out = {"tag": cur.statusmessage, "extra": {"rowcount": cur.rowcount}}
            if cur.description is not None:
                out["columns"] = [d.name for d in cur.description]
                out["types"] = [d.type_code for d in cur.description]
                out["rows"] = [c.row_text(r) for r in cur.fetchall()]
            cur.close()
            return out

        return run_it

    for name, sql in c.SESSION:
        rec.step(name, query(sql), sql)

    listing = [
        (
            "pg_class_listing",
            "SELECT n.nspname, c.relname, c.relkind FROM pg_catalog.pg_class c "
            "JOIN pg_catalog.pg_namespace n ON n.oid = c.relnamespace "
            "WHERE n.nspname = %s AND c.relkind IN ('r', 'v', 'm', 'p', 'f') ORDER BY 1, 2",
            ("public",),
        ),
        (
            "pg_attribute_listing",
            "SELECT a.attnum, a.attname, pg_catalog.format_type(a.atttypid, a.atttypmod), "
            "a.attnotnull FROM pg_catalog.pg_attribute a "
            "WHERE a.attrelid = %s::regclass AND a.attnum > 0 AND NOT a.attisdropped "
            "ORDER BY a.attnum",
            ("public.temperatures",),
        ),
    ]
    for name, sql, params in listing:
        rec.step(name, query(sql, params), sql)

    # Binary cursor, prepare=True: run twice (prepared on the first, reused after).
    for name, sql, params in c.AGGREGATES:
        for i in (1, 2):
            rec.step(f"binary_prepared_{name}_{i}", query(sql, params, True, True), sql)
    # Text cursor, psycopg's default (prepared automatically after 5 runs).
    for name, sql, params in c.AGGREGATES:
        rec.step(f"text_{name}", query(sql, params), sql)

    for name, sql in c.ERRORS:
        rec.step(name, query(sql, None, True, True), sql)

    server_sql = (
        "SELECT date, region, station, measured_at, temperature, humidity FROM temperatures "
        "WHERE region = %s ORDER BY date, station, measured_at LIMIT 300"
    )

    def server_cursor():
        with conn.transaction():
            with conn.cursor(name="iso_server_cur", binary=True) as cur:
                cur.itersize = 50
                cur.execute(server_sql, ("asia",))
                rows = [c.row_text(r) for r in cur]
                return {
                    "columns": [d.name for d in cur.description],
                    "types": [d.type_code for d in cur.description],
                    "rows": rows,
                }

    rec.step("server_cursor", server_cursor, server_sql)

    copy_sql = (
        "COPY (SELECT region, count(*), min(measured_at) FROM temperatures "
        "GROUP BY region ORDER BY region) TO STDOUT"
    )

    def copy_out():
        cur = conn.cursor()
        lines = []
        with cur.copy(copy_sql) as cp:
            for block in cp:
                lines.append(bytes(block).decode())
        out = {"tag": cur.statusmessage, "rows": [[line] for line in "".join(lines).splitlines()]}
        cur.close()
        return out

    rec.step("copy_text", copy_out, copy_sql)
    rec.step("usable_after_errors", query("SELECT count(*) FROM temperatures", None, True, True))
    conn.close()


if __name__ == "__main__":
    c.main_guard(run)
