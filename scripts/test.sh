#!/usr/bin/env bash
# `make test`: the whole suite, in two layers.
#   1. SQLite: unit, service, view and browser tests (PostgreSQL-only tests are left to layer 2).
#   2. PostgreSQL + Redis + a real Celery worker: everything, including the integration tests.
# Layer 2 runs when PostgreSQL and Redis answer at TEST_DATABASE_URL / TEST_BROKER_URL; if they do
# not, it is skipped with a message, or fails the run when REQUIRE_SERVICES=1 (as in CI).
# Extra arguments go to pytest in both layers, e.g. `make test ARGS="-k visibility"`.
set -uo pipefail
cd "$(dirname "$0")/.."
PY=.venv/bin/python
TEST_DATABASE_URL="${TEST_DATABASE_URL:-postgres://postgres@127.0.0.1:5432/postgres}"
TEST_BROKER_URL="${TEST_BROKER_URL:-redis://127.0.0.1:6379/15}"
unset DATABASE_URL CELERY_BROKER_URL JOBS_BACKEND DEBUG

echo "== Layer 1/2: SQLite =="
SALESPLAN_VAR_DIR="$(mktemp -d)" $PY -m pytest "$@"
status=$?
[ $status -eq 0 ] || { echo "SQLite layer failed (exit $status)."; exit $status; }

missing=$($PY - "$TEST_DATABASE_URL" "$TEST_BROKER_URL" <<'PYEOF'
import sys
missing = []
try:
    import psycopg2
    psycopg2.connect(sys.argv[1].replace("postgres://", "postgresql://", 1), connect_timeout=3).close()
except Exception as exc:
    missing.append(f"PostgreSQL at {sys.argv[1]} ({str(exc).strip().splitlines()[0]})")
try:
    import redis
    redis.Redis.from_url(sys.argv[2], socket_connect_timeout=3).ping()
except Exception as exc:
    missing.append(f"Redis at {sys.argv[2]} ({exc})")
print("; ".join(missing))
PYEOF
)
if [ -n "$missing" ]; then
  if [ "${REQUIRE_SERVICES:-0}" = "1" ]; then
    echo "REQUIRE_SERVICES=1 but the PostgreSQL layer cannot run: missing $missing"
    exit 1
  fi
  echo "== Layer 2/2 skipped: missing $missing =="
  echo "   Start them (see README, Tests) or set TEST_DATABASE_URL / TEST_BROKER_URL."
  exit 0
fi

echo "== Layer 2/2: PostgreSQL + Redis + Celery worker =="
DATABASE_URL="$TEST_DATABASE_URL" CELERY_BROKER_URL="$TEST_BROKER_URL" $PY -m pytest --create-db "$@"
