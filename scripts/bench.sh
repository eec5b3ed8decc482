#!/usr/bin/env bash
# Whole-system benchmark against DuckDB (PyPI, 2 threads) on a generated year.
# Usage: scripts/bench.sh [DAYS] [WORKDIR]   (defaults: 366 days, /work/bench-year or ./bench-year)
set -euo pipefail
cd "$(dirname "$0")/.."
days=${1:-366}
work=${2:-$( [ -d /work ] && echo /work/bench-year || echo "$PWD/bench-year" )}
if [ -z "${CARGO_TARGET_DIR:-}" ] && [ -d /work/target ]; then export CARGO_TARGET_DIR=/work/target; fi
if command -v mold >/dev/null 2>&1; then export RUSTFLAGS="${RUSTFLAGS:-"-C link-arg=-fuse-ld=mold"}"; fi
python3 -c 'import duckdb, psycopg' 2>/dev/null || python3 -m pip install -q duckdb 'psycopg[binary]'
cargo build --release -p isotherm-server
bin="${CARGO_TARGET_DIR:-target}/release/isotherm"
ISOTHERM_BIN="$bin" python3 benches/peer/bench_year.py --days "$days" --work "$work" --out "$work/report-${days}d.md"
