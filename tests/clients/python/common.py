"""Shared by the Python client drivers of the compatibility suite.

Every driver is run as `python DRIVER.py HOST PORT USER DBNAME`, once against
PostgreSQL 15 and once against Isotherm, and prints one JSON object per line,
one per step (JSON Lines, flushed as it goes so that a hang or a crash keeps
the steps before it):

    {"step": "by_region", "sql": "...",
     "columns": ["region", ...],      # names as the client reports them
     "types": [25, 20, ...],          # type OIDs (or names) where the client exposes them
     "rows": [["europe", "12"], ...], # every value as text (None -> null)
     "tag": "SELECT 4",               # command tag / rowcount where exposed
     "extra": {...},                  # anything else worth comparing (param types...)
     "error": {"sqlstate": "42703", "message": "..."} | null}

The Rust side (tests/src/clients.rs) compares the two runs step by step.
Values are rendered by `text()`, the same way on both runs, so the comparison
sees exactly what an application would see.
"""

import datetime
import decimal
import json
import sys
import traceback

# The same fixed values for every driver (the data is the suite's shared dataset).
DAY_FROM = datetime.date(2024, 1, 1)
DAY_TO = datetime.date(2024, 7, 1)
LEAP_DAY = datetime.date(2024, 2, 29)
TS_FROM = datetime.datetime(2024, 1, 1, tzinfo=datetime.timezone.utc)
TS_TO = datetime.datetime(2024, 4, 1, 6, 0, 0, tzinfo=datetime.timezone.utc)


def args():
    if len(sys.argv) != 5:
        sys.stderr.write("usage: DRIVER HOST PORT USER DBNAME\n")
        sys.exit(2)
    host, port, user, db = sys.argv[1:5]
    return host, int(port), user, db


def text(v):
    """A value as an application sees it, as text (type-tagged where Python's
    str would hide a difference, e.g. Decimal('2') vs 2.0)."""
    if v is None:
        return None
    if isinstance(v, bool):
        return "bool:" + str(v)
    if isinstance(v, float):
        return repr(v)
    if isinstance(v, decimal.Decimal):
        return "Decimal:" + str(v)
    if isinstance(v, datetime.datetime):
        return v.isoformat()
    if isinstance(v, (datetime.date, datetime.time)):
        return v.isoformat()
    if isinstance(v, (list, tuple)):
        return json.dumps([text(x) for x in v])
    if isinstance(v, dict):
        return json.dumps({str(k): text(x) for k, x in sorted(v.items())})
    if isinstance(v, (bytes, bytearray, memoryview)):
        return "bytes:" + bytes(v).hex()
    return str(v)


def row_text(row):
    return [text(v) for v in row]


def sqlstate_of(exc):
    """The SQLSTATE inside any of the drivers' exceptions (or a wrapping one)."""
    seen = set()
    while exc is not None and id(exc) not in seen:
        seen.add(id(exc))
        for attr in ("sqlstate", "pgcode"):
            code = getattr(exc, attr, None)
            if isinstance(code, str) and code:
                return code
        exc = getattr(exc, "orig", None) or exc.__cause__ or exc.__context__
    return None


class Recorder:
    """Runs steps, catches their errors, prints one JSON line per step."""

    def __init__(self, client):
        self.client = client

    def emit(self, rec):
        print(json.dumps(rec, sort_keys=True, default=str), flush=True)

    def step(self, name, fn, sql=None):
        """Runs `fn()`, which returns a dict of step fields (columns, types,
        rows, tag, extra); an exception becomes the step's error."""
        rec = {"step": name, "sql": sql, "error": None}
        try:
            out = fn() or {}
            rec.update(out)
        except Exception as e:  # noqa: BLE001 - every failure is data here
            rec["error"] = {
                "sqlstate": sqlstate_of(e),
                "message": f"{type(e).__name__}: {e}".strip(),
            }
            if sqlstate_of(e) is None:
                rec["error"]["trace"] = traceback.format_exc(limit=3)
        self.emit(rec)
        return rec


# The parameterised aggregate queries every Python driver runs, in the
# driver's paramstyle: (step name, SQL with %s placeholders, params).
AGGREGATES = [
    (
        "by_region",
        "SELECT region, count(*) AS n, avg(temperature) AS avg_t, min(temperature), "
        "max(temperature) FROM temperatures WHERE date >= %s AND date < %s "
        "GROUP BY region ORDER BY region",
        (DAY_FROM, DAY_TO),
    ),
    (
        "monthly",
        "SELECT date_trunc('month', date) AS month, count(*), sum(humidity) "
        "FROM temperatures WHERE region = %s GROUP BY 1 ORDER BY 1",
        ("europe",),
    ),
    (
        "stations_on_day",
        "SELECT station, count(*), max(measured_at) FROM temperatures "
        "WHERE region = %s AND date = %s GROUP BY station ORDER BY station",
        ("asia", LEAP_DAY),
    ),
    (
        "time_window",
        "SELECT count(*), count(humidity), avg(humidity) FROM temperatures "
        "WHERE measured_at >= %s AND measured_at < %s",
        (TS_FROM, TS_TO),
    ),
    (
        "countries_above",
        "SELECT country, count(DISTINCT station) AS stations FROM temperatures "
        "WHERE temperature > %s GROUP BY country ORDER BY country",
        (10.5,),
    ),
    (
        "rows_limited",
        "SELECT date, region, country, station, measured_at, temperature, humidity "
        "FROM temperatures WHERE region = %s ORDER BY date, station, measured_at LIMIT 20",
        ("europe",),
    ),
]

# Statements that must fail, with PostgreSQL's SQLSTATE on both sides.
ERRORS = [
    ("error_undefined_column", "SELECT nosuch FROM temperatures"),
    ("error_undefined_table", "SELECT * FROM nosuch"),
    ("error_syntax", "SELEC 1"),
]

# What every driver asks about the session (drivers and tools check these).
SESSION = [
    ("session_identity", "SELECT current_database(), current_schema(), current_user"),
    ("show_datestyle", "SHOW DateStyle"),
    ("show_timezone", "SHOW TimeZone"),
    ("show_standard_conforming_strings", "SHOW standard_conforming_strings"),
    ("show_integer_datetimes", "SHOW integer_datetimes"),
]


def dollar(sql):
    """%s placeholders to $1, $2, ... (asyncpg, node)."""
    out, n, i = [], 0, 0
    while i < len(sql):
        if sql.startswith("%s", i):
            n += 1
            out.append(f"${n}")
            i += 2
        else:
            out.append(sql[i])
            i += 1
    return "".join(out)


def main_guard(fn):
    """Runs the driver; an unexpected crash still leaves a final JSON line."""
    try:
        fn()
    except Exception as e:  # noqa: BLE001
        print(
            json.dumps(
                {
                    "step": "driver_crash",
                    "error": {
                        "sqlstate": sqlstate_of(e),
                        "message": f"{type(e).__name__}: {e}",
                        "trace": traceback.format_exc(limit=5),
                    },
                }
            ),
            flush=True,
        )
        sys.exit(1)
