#!/usr/bin/env bash
# Set up what is missing, build (or refresh) the index of corpus/, and start the web chat.
# Extra arguments go to app.py, e.g. `scripts/chat.sh --host 0.0.0.0 --port 8080`.
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/bootstrap.sh
[ -f indexes/default/manifest.json ] || .venv/bin/kraftbot index
exec .venv/bin/python app.py "$@"
