#!/usr/bin/env bash
# pgbench throughput: Isotherm answering an aggregate from its rollup vs
# PostgreSQL 15 answering the same question from a pre-aggregated table,
# both measured in this run on this machine (issue 3's target).
#
# Usage: benches/peer/pgbench.sh [WORKDIR] [SECONDS]
#   WORKDIR  default /work/pgbench (or ./pgbench-work); reuses a demo dataset there
#   SECONDS  per pgbench run, default 15
#
# Prints a Markdown table: query x protocol mode x server, TPS, and the
# Isotherm/PostgreSQL ratio. 8 clients, 2 threads (the machine has 2 cores).
set -euo pipefail
cd "$(dirname "$0")/../.."
root=$PWD
work=${1:-$( [ -d /work ] && echo /work/pgbench || echo "$root/pgbench-work" )}
secs=${2:-15}
mkdir -p "$work"
if [ -z "${CARGO_TARGET_DIR:-}" ] && [ -d /work/target ]; then export CARGO_TARGET_DIR=/work/target; fi
if command -v mold >/dev/null 2>&1; then export RUSTFLAGS="${RUSTFLAGS:-"-C link-arg=-fuse-ld=mold"}"; fi
cargo build --release -q -p isotherm-server
bin="${CARGO_TARGET_DIR:-target}/release/isotherm"

pgbin=/usr/lib/postgresql/15/bin
iso_port=55433; iso_admin=58433; pg_port=55432
pids=()
cleanup() {
    for p in "${pids[@]}"; do kill "$p" 2>/dev/null || true; done
    if [ -f "$work/pg/data/postmaster.pid" ]; then
        runas "$pgbin/pg_ctl" -D "$work/pg/data" -m fast stop >/dev/null 2>&1 || true
    fi
}
trap cleanup EXIT
runas() { if [ "$(id -u)" -eq 0 ]; then runuser -u postgres -- "$@"; else "$@"; fi; }

# --- Isotherm: the demo dataset (21 days, 4,500 stations, hourly) ---------------
"$bin" demo --data-dir "$work/demo" --listen "127.0.0.1:$iso_port" \
    --admin-listen "127.0.0.1:$iso_admin" >"$work/isotherm.log" 2>&1 &
pids+=($!)
for _ in $(seq 1 600); do
    grep -q "isotherm ready" "$work/isotherm.log" 2>/dev/null && break
    sleep 0.5
done
grep -q "isotherm ready" "$work/isotherm.log" || { cat "$work/isotherm.log"; exit 1; }
iso=(-h 127.0.0.1 -p "$iso_port" -U isotherm isotherm)

# --- PostgreSQL: the same question pre-aggregated by (region, date) --------------
if [ ! -d "$work/pg/data" ]; then
    mkdir -p "$work/pg"; [ "$(id -u)" -eq 0 ] && chown postgres "$work/pg"
    runas "$pgbin/initdb" -D "$work/pg/data" -U postgres --auth=trust --locale=C --no-sync >/dev/null
fi
runas "$pgbin/pg_ctl" -D "$work/pg/data" -l "$work/pg/log" -w -o \
    "-p $pg_port -c listen_addresses=127.0.0.1 -c unix_socket_directories=/tmp -c max_connections=50 -c fsync=off" \
    start >/dev/null
pg=(-h 127.0.0.1 -p "$pg_port" -U postgres postgres)
psql -qX "${iso[@]}" -At -F, -c \
    "SELECT region, date, count(*), sum(temperature) FROM temperatures GROUP BY region, date" \
    >"$work/region_day.csv"
psql -qX "${pg[@]}" -v ON_ERROR_STOP=1 <<SQL
DROP TABLE IF EXISTS temperatures_region_day;
CREATE TABLE temperatures_region_day (region text, date date, n bigint, sum_t double precision,
                                      PRIMARY KEY (date, region));
\copy temperatures_region_day FROM '$work/region_day.csv' WITH (FORMAT csv)
ANALYZE temperatures_region_day;
SQL
day=$(head -1 "$work/region_day.csv" | cut -d, -f2)

# The question: per-region reading count and mean temperature on one day.
cat >"$work/iso_agg.sql" <<SQL
SELECT region, count(*), avg(temperature) FROM temperatures WHERE date = '$day' GROUP BY region ORDER BY region;
SQL
cat >"$work/pg_agg.sql" <<SQL
SELECT region, sum(n), sum(sum_t) / sum(n) FROM temperatures_region_day WHERE date = '$day' GROUP BY region ORDER BY region;
SQL
echo 'SELECT 1;' >"$work/select1.sql"

run() { # server-args... -- script mode
    local mode=$1 script=$2; shift 2
    pgbench -n -M "$mode" -c 8 -j 2 -T "$secs" -f "$script" "$@" 2>&1 \
        | awk '/^tps = /{print $3}' | head -1
}
printf '| query | mode | Isotherm TPS | PostgreSQL TPS | ratio |\n|---|---|---:|---:|---:|\n'
for mode in simple extended prepared; do
    i=$(run "$mode" "$work/iso_agg.sql" "${iso[@]}"); p=$(run "$mode" "$work/pg_agg.sql" "${pg[@]}")
    printf '| aggregate by region, one day | %s | %.0f | %.0f | %.2fx |\n' "$mode" "$i" "$p" "$(awk -v a="$i" -v b="$p" 'BEGIN{print a/b}')"
done
i=$(run prepared "$work/select1.sql" "${iso[@]}"); p=$(run prepared "$work/select1.sql" "${pg[@]}")
printf '| SELECT 1 | prepared | %.0f | %.0f | %.2fx |\n' "$i" "$p" "$(awk -v a="$i" -v b="$p" 'BEGIN{print a/b}')"
