"""psycopg2 (libpq, text protocol with client-side parameter interpolation):
connection properties, session checks, information_schema listing, the
parameterised aggregates, a server-side (named) cursor, COPY TO STDOUT as CSV,
a transaction, and errors. Output format: see common.py."""

import contextlib
import io

import psycopg2
import psycopg2.extensions

import common as c


@contextlib.contextmanager
def in_transaction(conn):
    """Autocommit off for the block; commit on success, roll back on error
    (so a failed step leaves the connection usable), autocommit on again."""
    conn.autocommit = False
    try:
        yield
        conn.commit()
    except BaseException:
        conn.rollback()
        raise
    finally:
        conn.autocommit = True


def run():
    host, port, user, db = c.args()
    rec = c.Recorder("psycopg2")
    conn = psycopg2.connect(host=host, port=port, user=user, dbname=db, connect_timeout=10)
    conn.autocommit = True

    def props():
        return {
            "columns": ["property", "value"],
            "rows": [
                ["server_version_major", str(conn.server_version // 10000)],
                ["encoding", conn.encoding],
                ["DateStyle", conn.get_parameter_status("DateStyle")],
                ["integer_datetimes", conn.get_parameter_status("integer_datetimes")],
                [
                    "standard_conforming_strings",
                    conn.get_parameter_status("standard_conforming_strings"),
                ],
                ["client_encoding", conn.get_parameter_status("client_encoding")],
            ],
        }

    rec.step("connection_properties", props)

    def query(sql, params=None):
        def run_it():
            cur = conn.cursor()
            cur.execute(sql, params)
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
            "is_tables",
            "SELECT table_catalog, table_schema, table_name, table_type "
            "FROM information_schema.tables "
            "WHERE table_schema NOT IN ('pg_catalog', 'information_schema') ORDER BY 2, 3",
            None,
        ),
        (
            "is_columns",
            "SELECT column_name, data_type, is_nullable, ordinal_position "
            "FROM information_schema.columns WHERE table_schema = %s AND table_name = %s "
            "ORDER BY ordinal_position",
            ("public", "temperatures"),
        ),
    ]
    for name, sql, params in listing + c.AGGREGATES:
        rec.step(name, query(sql, params), sql)

    for name, sql in c.ERRORS:
        rec.step(name, query(sql), sql)

    # A named cursor: DECLARE ... CURSOR WITHOUT HOLD inside a transaction,
    # then FETCH FORWARD itersize until exhausted.
    named_sql = (
        "SELECT date, region, station, measured_at, temperature FROM temperatures "
        "WHERE date >= %s ORDER BY date, region, station, measured_at LIMIT 500"
    )

    def named_cursor():
        with in_transaction(conn):
            cur = conn.cursor(name="iso_named")
            cur.itersize = 64
            cur.execute(named_sql, (c.DAY_FROM,))
            rows = [c.row_text(r) for r in cur]
            cols = [d.name for d in cur.description]
            types = [d.type_code for d in cur.description]
            cur.close()
        return {"columns": cols, "types": types, "rows": rows}

    rec.step("named_cursor", named_cursor, named_sql)

    copy_sql = (
        "COPY (SELECT date, region, count(*), max(temperature) FROM temperatures "
        "GROUP BY date, region ORDER BY date, region) TO STDOUT WITH (FORMAT csv, HEADER)"
    )

    def copy_out():
        buf = io.StringIO()
        cur = conn.cursor()
        cur.copy_expert(copy_sql, buf)
        out = {"tag": cur.statusmessage, "rows": [[line] for line in buf.getvalue().splitlines()]}
        cur.close()
        return out

    rec.step("copy_csv", copy_out, copy_sql)

    def transaction():
        with in_transaction(conn):
            cur = conn.cursor()
            cur.execute("SELECT count(*) FROM temperatures WHERE region = %s", ("africa",))
            first = cur.fetchone()
            cur.execute("SELECT count(*) FROM temperatures WHERE region = %s", ("asia",))
            second = cur.fetchone()
            status = conn.get_transaction_status()
            cur.close()
        return {"rows": [c.row_text(first), c.row_text(second)], "extra": {"status": status}}

    rec.step("transaction", transaction)

    def after_errors():
        return query("SELECT count(*) FROM temperatures")()

    rec.step("usable_after_errors", after_errors)
    conn.close()


if __name__ == "__main__":
    c.main_guard(run)
