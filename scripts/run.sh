#!/usr/bin/env bash
# `make run`: migrate, seed the demo organisation once, start a worker if a broker is configured,
# print the demo logins and serve the app on http://127.0.0.1:8000.
set -euo pipefail
cd "$(dirname "$0")/.."
PY=.venv/bin/python
ADDR="${RUN_ADDR:-127.0.0.1:8000}"

$PY manage.py migrate --noinput -v 0
echo "Preparing the demo organisation (the first run creates 20,000 companies: up to half a minute) ..."
$PY manage.py seed_demo --once

if [ -n "${CELERY_BROKER_URL:-}" ]; then
  echo "CELERY_BROKER_URL is set: starting a Celery worker (log: var/worker.log)"
  mkdir -p var
  .venv/bin/celery -A salesplan worker --loglevel=INFO >var/worker.log 2>&1 &
  WORKER_PID=$!
  trap 'kill "$WORKER_PID" 2>/dev/null || true' EXIT INT TERM
fi

echo
echo "  salesplan is starting on http://${ADDR}/ — sign in at http://${ADDR}/login/"
$PY manage.py demo_logins
echo
$PY manage.py runserver "$ADDR"
