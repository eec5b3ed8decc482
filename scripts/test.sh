#!/usr/bin/env bash
# The project's test command (README: ./scripts/test.sh; CI: .ci/run).
#
# Installs what the end-to-end suites need when missing (PostgreSQL 15 server
# and client as the oracle, mold as the linker, and the clients of the
# compatibility suite: pgjdbc, psycopg2/3, asyncpg, SQLAlchemy, pandas,
# node-postgres; see scripts/install-clients.sh), then: rustfmt check, clippy
# with warnings denied, the workspace's test binaries (which build the
# `isotherm` binary the suites run, with the same features, so dependencies
# are compiled once), and the whole workspace's tests. Exits non-zero on the
# first failure.
set -euo pipefail

cd "$(dirname "$0")/.."

log() { printf '\n== %s\n' "$*"; }

# --- system packages -------------------------------------------------------
have_pg() {
    [ -x /usr/lib/postgresql/15/bin/initdb ] && [ -x /usr/lib/postgresql/15/bin/pg_ctl ] \
        && command -v psql >/dev/null 2>&1
}

missing=()
have_pg || missing+=(postgresql postgresql-client)
command -v mold >/dev/null 2>&1 || missing+=(mold)
if [ "${#missing[@]}" -gt 0 ]; then
    log "installing ${missing[*]}"
    SUDO=""
    if [ "$(id -u)" -ne 0 ]; then SUDO="sudo"; fi
    export DEBIAN_FRONTEND=noninteractive
    $SUDO apt-get update -q
    $SUDO apt-get install -y -q --no-install-recommends "${missing[@]}"
fi
if ! have_pg; then
    echo "PostgreSQL 15 (initdb, pg_ctl under /usr/lib/postgresql/15/bin) and psql are required" >&2
    exit 1
fi

log "clients of the compatibility suite"
./scripts/install-clients.sh

# --- build environment (the same flags developers use, so the cache is shared) ---
if [ -z "${CARGO_TARGET_DIR:-}" ] && [ -d /work/target ]; then
    export CARGO_TARGET_DIR=/work/target
fi
if command -v mold >/dev/null 2>&1; then
    export RUSTFLAGS="-C link-arg=-fuse-ld=mold"
fi
export CARGO_TERM_COLOR="${CARGO_TERM_COLOR:-never}"

log "cargo fmt --check"
cargo fmt --all -- --check

log "cargo clippy"
cargo clippy --workspace --all-targets -- -D warnings

log "cargo test --no-run (builds the isotherm binary too)"
cargo test --workspace --no-run

log "cargo test"
cargo test --workspace --no-fail-fast

log "cargo test -p isotherm-storage --features failpoints (injected crashes)"
cargo test -p isotherm-storage --features failpoints
