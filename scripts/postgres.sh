#!/usr/bin/env bash
# Start a throwaway PostgreSQL server for the storage tests and print its SQLAlchemy URL.
# Installs Debian's `postgresql` when it is missing (as root, with apt-get). The server runs as the
# `postgres` user on a Unix socket in a temporary folder, trusts local connections, and is stopped
# by `scripts/postgres.sh stop`.
set -euo pipefail
DIR=${POSTGRES_TEST_DIR:-/tmp/kraftbot-postgres}
BIN=$(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -1 || true)
if [ "${1:-}" = "stop" ]; then
    [ -n "$BIN" ] && [ -d "$DIR/data" ] && runuser -u postgres -- "$BIN/pg_ctl" -D "$DIR/data" -m fast stop >/dev/null 2>&1 || true
    exit 0
fi
if [ -z "$BIN" ]; then
    echo "Installing PostgreSQL for the storage tests" >&2
    DEBIAN_FRONTEND=noninteractive apt-get install -y -q postgresql >/dev/null
    BIN=$(ls -d /usr/lib/postgresql/*/bin | sort -V | tail -1)
fi
if ! runuser -u postgres -- "$BIN/pg_ctl" -D "$DIR/data" status >/dev/null 2>&1; then
    rm -rf "$DIR" && mkdir -p "$DIR" && chown postgres "$DIR"
    runuser -u postgres -- "$BIN/initdb" -D "$DIR/data" -A trust -U postgres >/dev/null
    runuser -u postgres -- "$BIN/pg_ctl" -D "$DIR/data" -l "$DIR/server.log" -w \
        -o "-k $DIR -c listen_addresses='' -p 5439" start >/dev/null
    runuser -u postgres -- "$BIN/createdb" -h "$DIR" -p 5439 -U postgres kraftbot_test
fi
echo "postgresql+psycopg://postgres@/kraftbot_test?host=$DIR&port=5439"
