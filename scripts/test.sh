#!/usr/bin/env bash
# Set up what is missing, start PostgreSQL, then lint and run the whole test suite (network blocked by
# pytest-socket; loopback and Unix sockets allowed).
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/bootstrap.sh
scripts/system_tools.sh
.venv/bin/ruff check .
# A real PostgreSQL for the storage tests (they run on SQLite too); stopped again at the end.
POSTGRES_TEST_URL=$(scripts/postgres.sh)
export POSTGRES_TEST_URL
trap 'scripts/postgres.sh stop' EXIT
.venv/bin/python -m pytest "$@"
