#!/usr/bin/env bash
# Set up what is missing, then lint and run the whole test suite (network blocked by pytest-socket).
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/bootstrap.sh
scripts/browser.sh
.venv/bin/ruff check .
exec .venv/bin/python -m pytest "$@"
