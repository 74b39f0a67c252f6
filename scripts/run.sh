#!/usr/bin/env bash
# The whole system on the embedded defaults (or DATABASE_URL / REDIS_URL if set):
# installs, migrates, seeds demo data, starts the RQ worker (with scheduler) and
# the web app under gunicorn, and prints the URL. Ctrl-C stops everything.
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/bootstrap.sh requirements.txt
export FLASK_APP=wsgi
HOST="${HOST:-127.0.0.1}"
PORT="${PORT:-8000}"
export PUBLIC_BASE_URL="${PUBLIC_BASE_URL:-http://$HOST:$PORT}"
.venv/bin/flask db upgrade
.venv/bin/flask seed --demo  # demo users: refused unless PUBLIC_BASE_URL is http:// loopback
# One metrics directory for the RQ worker and every gunicorn worker, emptied of an earlier run's
# counts: /metrics adds up all of them (callcentre/core/metrics.py).
export PROMETHEUS_MULTIPROC_DIR="${PROMETHEUS_MULTIPROC_DIR:-${INSTANCE_DIR:-$PWD/instance}/prometheus}"
mkdir -p "$PROMETHEUS_MULTIPROC_DIR"
find "$PROMETHEUS_MULTIPROC_DIR" -maxdepth 1 -name '*.db' -delete
.venv/bin/flask worker &
WORKER_PID=$!
cleanup() {
  kill "$WORKER_PID" 2>/dev/null || true
  wait "$WORKER_PID" 2>/dev/null || true
  if [ -z "${REDIS_URL:-}" ]; then
    .venv/bin/python -c "from callcentre.core.embedded_redis import stop_embedded_redis; from config import Config; stop_embedded_redis(Config.INSTANCE_DIR)" || true
  fi
}
trap cleanup EXIT INT TERM
echo ""
echo "  1022 call centre: $PUBLIC_BASE_URL"
echo "  API docs:         $PUBLIC_BASE_URL/api/v1/docs"
echo "  demo logins:      operator / officer / head / supervisor / admin, password Demo@1022"
echo "  API token:        .venv/bin/flask --app wsgi users token operator"
echo ""
.venv/bin/gunicorn -c gunicorn.conf.py --bind "$HOST:$PORT" wsgi:app
