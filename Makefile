# salesplan — the two commands of the README, plus a few helpers.
#   make run    set everything up and start the app on http://127.0.0.1:8000
#   make test   the whole test suite (SQLite layer, then PostgreSQL + Redis + worker when reachable)

PYTHON ?= python3
VENV   := .venv
PY     := $(VENV)/bin/python
STAMP  := $(VENV)/.installed-$(shell cat requirements.txt requirements-dev.txt | cksum | cut -d' ' -f1)

.PHONY: run test lint format worker bench clean help

help:
	@echo "make run     start salesplan with demo data on http://127.0.0.1:8000"
	@echo "make test    run the whole test suite"
	@echo "make lint    ruff check and format check, and the floors contract (imports run down only)"

$(STAMP):
	@$(PYTHON) -c 'import sys; sys.exit(0 if sys.version_info >= (3, 11) else "salesplan needs Python 3.11 or newer (found %s)" % sys.version.split()[0])'
	@test -x $(PY) || $(PYTHON) -m venv $(VENV)
	@echo "Installing dependencies into $(VENV) ..."
	@$(PY) -m pip install --quiet --disable-pip-version-check --upgrade pip
	@$(PY) -m pip install --quiet --disable-pip-version-check -r requirements-dev.txt
	@rm -f $(VENV)/.installed-*
	@touch $@

run: $(STAMP)
	@scripts/run.sh

test: $(STAMP)
	@scripts/test.sh $(ARGS)

lint: $(STAMP)
	$(VENV)/bin/ruff check .
	$(VENV)/bin/ruff format --check .
	$(VENV)/bin/lint-imports --no-cache

format: $(STAMP)
	$(VENV)/bin/ruff check --fix .
	$(VENV)/bin/ruff format .

worker: $(STAMP)
	$(VENV)/bin/celery -A salesplan worker --loglevel=INFO

clean:
	rm -rf $(VENV) var .pytest_cache .ruff_cache
