#!/usr/bin/env bash
# Lint and run the test-suite. With nothing set it uses the embedded defaults
# (SQLite, a redis-server it starts itself); TEST_DATABASE_URL and
# TEST_REDIS_URL point it at PostgreSQL and an external Redis.
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/bootstrap.sh requirements-dev.txt
scripts/ensure_chromium.sh  # the web UI tests drive Debian's headless Chromium
scripts/ensure_promtool.sh  # the metrics test lints /metrics with Debian's promtool
.venv/bin/ruff check .
.venv/bin/mypy  # the checked packages and settings are in pyproject.toml [tool.mypy]
set +e
.venv/bin/python -m pytest "$@"
status=$?
set -e
if [ "$status" -eq 5 ]; then
  echo "pytest collected no tests" >&2
  exit 1
fi
exit "$status"
