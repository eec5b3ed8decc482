"""SQLAlchemy (psycopg2 dialect) and pandas: the inspector calls BI tools and
notebooks make (get_schema_names, get_table_names, get_columns,
get_pk_constraint, get_indexes, get_foreign_keys, get_view_names), a bound
text() query, pandas.read_sql with parameters and pandas.read_sql_table
(which reflects the table first). Output format: see common.py."""

import pandas as pd
import sqlalchemy as sa

import common as c


def run():
    host, port, user, db = c.args()
    rec = c.Recorder("sqlalchemy")
    engine = sa.create_engine(
        f"postgresql+psycopg2://{user}@{host}:{port}/{db}",
        connect_args={"connect_timeout": 10},
        poolclass=sa.pool.NullPool,
    )

    def dialect_info():
        with engine.connect() as conn:
            d = conn.dialect
            return {
                "columns": ["property", "value"],
                "rows": [
                    ["server_version_major", str(d.server_version_info[0])],
                    ["default_schema_name", d.default_schema_name],
                    ["isolation_level", conn.get_isolation_level()],
                ],
            }

    rec.step("dialect_info", dialect_info)

    insp_holder = {}

    def inspector():
        if "i" not in insp_holder:
            insp_holder["i"] = sa.inspect(engine)
        return insp_holder["i"]

    def listing(fn):
        def run_it():
            return {"rows": [[c.text(v)] for v in fn(inspector())]}

        return run_it

    rec.step("get_schema_names", listing(lambda i: i.get_schema_names()))
    rec.step("get_table_names", listing(lambda i: i.get_table_names(schema="public")))
    rec.step("get_view_names", listing(lambda i: i.get_view_names(schema="public")))

    def get_columns():
        cols = inspector().get_columns("temperatures", schema="public")
        keys = ["name", "type", "nullable", "default", "autoincrement", "comment"]
        return {
            "columns": keys,
            "rows": [[c.text(col.get(k)) if k != "type" else repr(col["type"]) for k in keys] for col in cols],
        }

    rec.step("get_columns", get_columns)
    rec.step(
        "get_pk_constraint",
        lambda: {"rows": [[c.text(inspector().get_pk_constraint("temperatures", schema="public"))]]},
    )
    rec.step(
        "get_indexes",
        listing(lambda i: i.get_indexes("temperatures", schema="public")),
    )
    rec.step(
        "get_foreign_keys",
        listing(lambda i: i.get_foreign_keys("temperatures", schema="public")),
    )
    rec.step("has_table", lambda: {"rows": [[c.text(inspector().has_table("temperatures"))]]})

    text_sql = (
        "SELECT region, count(*) AS n, max(temperature) AS hottest FROM temperatures "
        "WHERE date BETWEEN :d0 AND :d1 GROUP BY region ORDER BY region"
    )

    def bound_text():
        with engine.connect() as conn:
            res = conn.execute(sa.text(text_sql), {"d0": c.DAY_FROM, "d1": c.DAY_TO})
            return {"columns": list(res.keys()), "rows": [c.row_text(r) for r in res]}

    rec.step("text_bound", bound_text, text_sql)

    def frame(df):
        return {
            "columns": [str(col) for col in df.columns],
            "types": [str(t) for t in df.dtypes],
            "rows": [c.row_text(r) for r in df.itertuples(index=False, name=None)],
        }

    read_sql = (
        "SELECT date_trunc('month', measured_at) AS month, region, avg(temperature) AS avg_t, "
        "count(humidity) AS n_humidity FROM temperatures WHERE region <> %(skip)s "
        "GROUP BY 1, 2 ORDER BY 1, 2"
    )
    rec.step(
        "pandas_read_sql",
        lambda: frame(pd.read_sql(read_sql, engine, params={"skip": "asia"})),
        read_sql,
    )

    def read_table():
        df = pd.read_sql_table("temperatures", engine, schema="public")
        # No ORDER BY in a table read: summarise order-independently.
        summary = (
            df.groupby("region", sort=True)
            .agg(rows=("station", "size"), stations=("station", "nunique"), t_max=("temperature", "max"))
            .reset_index()
        )
        out = frame(summary)
        out["extra"] = {"table_dtypes": [f"{k}:{v}" for k, v in df.dtypes.items()], "rows": len(df)}
        return out

    rec.step("pandas_read_sql_table", read_table)

    def error_step():
        with engine.connect() as conn:
            conn.execute(sa.text("SELECT nosuch FROM temperatures"))

    rec.step("error_undefined_column", error_step, "SELECT nosuch FROM temperatures")
    engine.dispose()


if __name__ == "__main__":
    c.main_guard(run)
