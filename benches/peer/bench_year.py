#!/usr/bin/env python3
"""Whole-system benchmark: Isotherm against DuckDB on the same generated year.

Measures, in one run on the same Parquet files:
  * ingest: `isotherm push` of every partition (indexed and durably committed) vs DuckDB
    `CREATE TABLE AS` from the same files;
  * latency over the wire of a fixed query set (psycopg, text protocol) vs DuckDB's
    in-memory table and DuckDB reading the Parquet files directly;
  * restart to serving, bytes on disk per row, resident memory per row.

Usage (from the repository root, after `cargo build --release`):
    python3 benches/peer/bench_year.py --days 366 --work /work/bench-year [--out BENCHMARKS.run.md]

Needs PyPI `duckdb` and `psycopg[binary]` (installed by `scripts/bench.sh`).
"""

import argparse
import os
import re
import shutil
import signal
import statistics
import subprocess
import sys
import time

import duckdb
import psycopg

QUERIES = [
    ("per-region stats, year",
     "SELECT region, count(*), avg(temperature), min(temperature), max(temperature) "
     "FROM temperatures GROUP BY region ORDER BY region"),
    ("one region's daily avg, quarter",
     "SELECT date, avg(temperature) FROM temperatures WHERE region = 'europe' "
     "AND date BETWEEN '2024-04-01' AND '2024-06-30' GROUP BY date ORDER BY date"),
    ("monthly avg per region, year",
     "SELECT date_trunc('month', date) AS month, region, avg(temperature) "
     "FROM temperatures GROUP BY 1, 2 ORDER BY 1, 2"),
    ("top countries by max, year",
     "SELECT country, max(temperature) AS hottest FROM temperatures "
     "GROUP BY country ORDER BY hottest DESC, country LIMIT 10"),
    ("distinct stations, one region-day",
     "SELECT count(DISTINCT station) FROM temperatures "
     "WHERE region = 'europe' AND date = '2024-06-01'"),
    ("avg and count, one region-day",
     "SELECT avg(temperature), count(*) FROM temperatures "
     "WHERE region = 'asia' AND date = '2024-06-01'"),
    ("one station's daily min/max, month",
     "SELECT date, min(temperature), max(temperature) FROM temperatures "
     "WHERE station = 'ST000042' AND date >= '2024-06-01' AND date < '2024-07-01' "
     "GROUP BY date ORDER BY date"),
    ("humidity avg and count per region, year",
     "SELECT region, avg(humidity), count(humidity) FROM temperatures "
     "GROUP BY region ORDER BY region"),
]
YEAR_WIDE = {0, 2, 3, 7}


def run(cmd, **kw):
    print("+", " ".join(cmd), file=sys.stderr, flush=True)
    return subprocess.run(cmd, check=True, **kw)


def du_bytes(path):
    total = 0
    for root, _, files in os.walk(path):
        for f in files:
            total += os.path.getsize(os.path.join(root, f))
    return total


def rss_bytes(pid):
    with open(f"/proc/{pid}/status") as f:
        for line in f:
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) * 1024
    return 0


class Server:
    def __init__(self, binary, data_dir):
        self.proc = subprocess.Popen(
            [binary, "serve", "--data-dir", data_dir, "--listen", "127.0.0.1:0",
             "--admin-listen", "127.0.0.1:0"],
            stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True)
        start = time.perf_counter()
        for line in self.proc.stdout:
            if line.startswith("isotherm ready:"):
                self.ready_s = time.perf_counter() - start
                self.pg_port = int(re.search(r"postgres on [\d.]+:(\d+)", line).group(1))
                self.admin = re.search(r"admin on (http://[\d.]+:\d+)", line).group(1)
                return
        raise RuntimeError("server exited before it was ready")

    def connect(self):
        return psycopg.connect(host="127.0.0.1", port=self.pg_port, user="isotherm",
                               dbname="isotherm", autocommit=True)

    def stop(self):
        self.proc.send_signal(signal.SIGTERM)
        self.proc.wait(timeout=30)


def time_queries(execute, reps):
    """Median and p95 latency in ms for each query; `execute(sql)` returns rows."""
    out = []
    for _, sql in QUERIES:
        for _ in range(3):
            execute(sql)
        samples = []
        for _ in range(reps):
            t = time.perf_counter()
            execute(sql)
            samples.append((time.perf_counter() - t) * 1000)
        samples.sort()
        out.append((statistics.median(samples), samples[int(len(samples) * 0.95) - 1]))
    return out


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--days", type=int, default=366)
    ap.add_argument("--work", default="/work/bench-year")
    ap.add_argument("--binary", default="target/release/isotherm")
    ap.add_argument("--reps", type=int, default=50)
    ap.add_argument("--out", default=None)
    args = ap.parse_args()
    binary = os.path.abspath(os.environ.get("ISOTHERM_BIN", args.binary))
    source = os.path.join(args.work, f"source-{args.days}d")
    data = os.path.join(args.work, "data")
    os.makedirs(args.work, exist_ok=True)
    if not os.path.isdir(source):
        run([binary, "generate", "--out", source, "--days", str(args.days), "--seed", "42"])
    shutil.rmtree(data, ignore_errors=True)

    # ---- Isotherm: ingest through the admin port
    srv = Server(binary, data)
    t = time.perf_counter()
    res = run([binary, "push", "--admin", srv.admin, "--table", "temperatures", source],
              capture_output=True, text=True)
    ingest_s = time.perf_counter() - t
    print(res.stdout.strip().splitlines()[-1], file=sys.stderr)
    with srv.connect() as conn:
        rows = conn.execute("SELECT count(*) FROM temperatures").fetchone()[0]
        partitions = len(os.listdir(os.path.join(data, "segments", "temperatures")))
    srv.stop()

    # ---- restart, then latency and memory
    srv = Server(binary, data)
    restart_s = srv.ready_s
    with srv.connect() as conn:
        t = time.perf_counter()
        conn.execute(QUERIES[0][1]).fetchall()
        first_query_s = time.perf_counter() - t
        iso_lat = time_queries(lambda q: conn.execute(q).fetchall(), args.reps)
        iso_answers = [conn.execute(q).fetchall() for _, q in QUERIES]
    iso_rss = rss_bytes(srv.proc.pid)
    srv.stop()
    iso_disk = du_bytes(data)

    # ---- DuckDB, 2 threads, same files
    con = duckdb.connect(":memory:", config={"threads": 2})
    glob = os.path.join(source, "**", "*.parquet")
    con.execute(f"CREATE VIEW temperatures AS SELECT * FROM read_parquet('{glob}', hive_partitioning = true)")
    duck_parquet_lat = time_queries(lambda q: con.execute(q).fetchall(), max(3, args.reps // 10))
    con.execute("DROP VIEW temperatures")
    t = time.perf_counter()
    con.execute(f"CREATE TABLE temperatures AS SELECT * FROM read_parquet('{glob}', hive_partitioning = true)")
    duck_ctas_s = time.perf_counter() - t
    duck_mem = con.execute("SELECT sum(memory_usage_bytes) FROM duckdb_memory()").fetchone()[0]
    duck_lat = time_queries(lambda q: con.execute(q).fetchall(), args.reps)
    duck_answers = [con.execute(q).fetchall() for _, q in QUERIES]

    mismatches = [QUERIES[i][0] for i in range(len(QUERIES))
                  if not same_answer(iso_answers[i], duck_answers[i])]

    lines = []
    p = lines.append
    p(f"Dataset: {args.days} days, {rows:,} rows, {partitions:,} partitions; `nproc` = {os.cpu_count()}.")
    p("")
    p("| measure | Isotherm | DuckDB 2 threads | ratio |")
    p("|---|---|---|---|")
    p(f"| ingest (push over HTTP, indexed, fsynced) vs CREATE TABLE AS | {ingest_s:.1f} s ({rows / ingest_s / 1e6:.2f} M rows/s) "
      f"| {duck_ctas_s:.1f} s ({rows / duck_ctas_s / 1e6:.2f} M rows/s) | {duck_ctas_s / ingest_s:.2f}x |")
    p(f"| restart to serving | {restart_s * 1000:.0f} ms (+ first query {first_query_s * 1000:.1f} ms) | n/a | |")
    p(f"| bytes on disk / row (Isotherm) vs in-memory table / row (DuckDB) | {iso_disk / rows:.1f} | {duck_mem / rows:.1f} | {duck_mem / iso_disk:.2f}x smaller |")
    p(f"| resident memory / row after queries | {iso_rss / rows:.1f} | {duck_mem / rows:.1f} | |")
    p("")
    p("| query | Isotherm p50 (p95) ms, over the wire | DuckDB table p50 ms | DuckDB Parquet p50 ms | speed-up vs table |")
    p("|---|---|---|---|---|")
    for i, (name, _) in enumerate(QUERIES):
        (ip50, ip95), (dp50, _), (pp50, _) = iso_lat[i], duck_lat[i], duck_parquet_lat[i]
        mark = " (year-wide)" if i in YEAR_WIDE else ""
        p(f"| {name}{mark} | {ip50:.3f} ({ip95:.3f}) | {dp50:.3f} | {pp50:.2f} | {dp50 / ip50:.1f}x |")
    p("")
    p("Answers equal to DuckDB's: " + ("all" if not mismatches else "MISMATCH in " + ", ".join(mismatches)))
    report = "\n".join(lines)
    print(report)
    if args.out:
        with open(args.out, "w") as f:
            f.write(report + "\n")


def same_answer(a, b):
    if len(a) != len(b):
        return False
    for ra, rb in zip(a, b):
        for x, y in zip(ra, rb):
            if isinstance(x, float) or isinstance(y, float):
                if x is None or y is None:
                    if x is not y:
                        return False
                elif abs(float(x) - float(y)) > 1e-9 * max(1.0, abs(float(y))):
                    return False
            elif str(x)[:10] != str(y)[:10] and x != y:
                return False
    return True


if __name__ == "__main__":
    main()
