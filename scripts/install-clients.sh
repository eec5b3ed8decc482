#!/usr/bin/env bash
# Installs the clients of the compatibility suite (tests/tests/clients.rs) when missing.
#
# Idempotent and quiet on success; usable on a bare Debian machine (as root or with sudo):
#   apt:  postgresql-client (psql, pgbench), libpostgresql-jdbc-java (pgjdbc at
#         /usr/share/java/postgresql.jar), a JDK when javac is missing, python3-venv and
#         npm when missing;
#   pip:  the pinned Python drivers below, in a virtualenv;
#   npm:  the pinned node-postgres below.
# The virtualenv and node_modules live outside the repository, in
# $ISOTHERM_CLIENTS_HOME (default ~/.cache/isotherm-clients), so fresh clones reuse them;
# the suite finds them there too. A stamp file per tool records the pinned versions:
# changing a pin below reinstalls that tool.
set -euo pipefail

# Pinned versions (reproducibility): change here, nowhere else.
PY_PACKAGES=(
    "psycopg2-binary==2.9.13"
    "psycopg[binary]==3.3.9"
    "asyncpg==0.32.0"
    "sqlalchemy==2.1.9"
    "pandas==3.1.1"
)
NPM_PACKAGES=("pg@8.23.1")

HOME_DIR="${ISOTHERM_CLIENTS_HOME:-${HOME:-/root}/.cache/isotherm-clients}"
VENV="$HOME_DIR/venv"
NODE_DIR="$HOME_DIR/node"

say() { printf 'install-clients: %s\n' "$*" >&2; }

# Runs a command quietly; on failure prints its output and exits.
quiet() {
    local log
    log="$(mktemp)"
    if ! "$@" >"$log" 2>&1; then
        say "failed: $*"
        cat "$log" >&2
        rm -f "$log"
        exit 1
    fi
    rm -f "$log"
}

# --- Debian packages -------------------------------------------------------------
apt_missing=()
command -v psql >/dev/null 2>&1 || apt_missing+=(postgresql-client)
command -v pgbench >/dev/null 2>&1 || apt_missing+=(postgresql-client)
[ -f /usr/share/java/postgresql.jar ] || apt_missing+=(libpostgresql-jdbc-java)
command -v javac >/dev/null 2>&1 || apt_missing+=(default-jdk-headless)
command -v python3 >/dev/null 2>&1 || apt_missing+=(python3)
if command -v python3 >/dev/null 2>&1 && ! python3 -c 'import venv, ensurepip' >/dev/null 2>&1; then
    apt_missing+=(python3-venv)
fi
command -v npm >/dev/null 2>&1 || apt_missing+=(npm)
if [ "${#apt_missing[@]}" -gt 0 ]; then
    SUDO=""
    if [ "$(id -u)" -ne 0 ]; then SUDO="sudo"; fi
    export DEBIAN_FRONTEND=noninteractive
    quiet $SUDO apt-get update -q
    # shellcheck disable=SC2068
    quiet $SUDO apt-get install -y -q --no-install-recommends $(printf '%s\n' "${apt_missing[@]}" | sort -u)
fi

mkdir -p "$HOME_DIR"

# --- Python drivers ----------------------------------------------------------------
py_stamp="$VENV/.isotherm-pins"
py_want="$(printf '%s\n' "${PY_PACKAGES[@]}")"
if [ ! -x "$VENV/bin/python" ] || [ "$(cat "$py_stamp" 2>/dev/null)" != "$py_want" ]; then
    rm -rf "$VENV"
    quiet python3 -m venv "$VENV"
    quiet "$VENV/bin/python" -m pip install --disable-pip-version-check --no-input -q "${PY_PACKAGES[@]}"
    printf '%s\n' "$py_want" >"$py_stamp"
fi

# --- node-postgres -----------------------------------------------------------------
node_stamp="$NODE_DIR/.isotherm-pins"
node_want="$(printf '%s\n' "${NPM_PACKAGES[@]}")"
if [ ! -d "$NODE_DIR/node_modules/pg" ] || [ "$(cat "$node_stamp" 2>/dev/null)" != "$node_want" ]; then
    rm -rf "$NODE_DIR"
    mkdir -p "$NODE_DIR"
    printf '{"name":"isotherm-clients","private":true}\n' >"$NODE_DIR/package.json"
    quiet npm install --prefix "$NODE_DIR" --no-audit --no-fund --save-exact "${NPM_PACKAGES[@]}"
    printf '%s\n' "$node_want" >"$node_stamp"
fi
