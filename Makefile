# CreditVillage — two commands on a fresh machine:
#   make run    set up, migrate, load the demo, serve on http://127.0.0.1:8000/
#   make test   set up, then lint, type-check and run every test on SQLite and PostgreSQL + Chromium
SHELL := /bin/bash
.DEFAULT_GOAL := help
PORT ?= 8000
export UV_PYTHON_DOWNLOADS := never
export UV_PROJECT_ENVIRONMENT := .venv
UV := .tools/bin/uv
PY := .venv/bin/python
CV := .venv/bin/creditvillage
PYTEST_ARGS ?=

.PHONY: help setup run dev worker demo test test-sqlite test-pg test-browser lint typecheck format check openapi bench clean messages

help:
	@echo "make run      set up and serve the demo on http://127.0.0.1:$(PORT)/"
	@echo "make test     lint, type-check and run the whole suite (SQLite, PostgreSQL, Chromium)"
	@echo "make bench    run the benchmarks and print BENCH lines"
	@echo "make dev      Django's auto-reloading development server (DEBUG on)"

$(UV):
	python3 -m venv .tools
	.tools/bin/pip install -q --disable-pip-version-check uv==0.13.8

.venv/.synced: $(UV) pyproject.toml uv.lock
	$(UV) sync --locked --extra dev -q
	touch $@

setup: .venv/.synced

# Translation catalogues (.po and compiled .mo) are committed; regenerate after changing strings.
# Each app with a locale/ directory keeps its own catalogue; po_fill reuses translations across them.
messages: setup
	cd creditvillage && ../$(PY) ../manage.py makemessages -l en --no-obsolete -v0
	$(PY) scripts/po_fill.py
	cd creditvillage && ../$(PY) ../manage.py compilemessages -v0

run: setup
	@mkdir -p var
	$(PY) manage.py migrate -v0
	$(CV) demo --if-empty
	$(CV) demo --logins
	$(CV) serve --port $(PORT)

dev: setup
	$(PY) manage.py migrate -v0
	$(CV) demo --if-empty
	CV_DEBUG=1 $(PY) manage.py runserver 127.0.0.1:$(PORT)

worker: setup
	$(CV) worker

lint: setup
	.venv/bin/ruff check .
	.venv/bin/ruff format --check .

format: setup
	.venv/bin/ruff format .
	.venv/bin/ruff check --fix .

typecheck: setup
	.venv/bin/mypy creditvillage

check: setup
	$(PY) manage.py check --fail-level WARNING
	$(PY) manage.py makemigrations --check --dry-run -v0
	$(PY) manage.py export_openapi_schema --api creditvillage.api.api --sorted --indent 2 --output /tmp/cv-openapi.json
	diff -u docs/api/openapi.json /tmp/cv-openapi.json || (echo "OpenAPI drift: run 'make openapi' and commit docs/api/openapi.json"; exit 1)

openapi: setup
	$(PY) manage.py export_openapi_schema --api creditvillage.api.api --sorted --indent 2 --output docs/api/openapi.json

system-deps:
	./scripts/system-deps.sh

# The static gates are single-threaded: run them side by side (one per core) before the passes.
test: setup system-deps
	$(MAKE) --no-print-directory -j2 --output-sync=target lint typecheck check
	$(MAKE) --no-print-directory test-sqlite test-pg

# Two xdist workers (the default ``load`` scheduling: ``worksteal`` would run ordinary tests after a
# ``transaction=True`` test on the same worker, which empties the database, migrations' rows
# included); the C5 matrix items are run first (conftest.py). The browser tests (one live server,
# Chromium) run after the SQLite pass, on their own: beside it, two cores made their timeouts flaky.
# The C5 matrix (database-agnostic scoping logic) runs in the PostgreSQL pass only.
XDIST ?= -n 2
test-sqlite: setup
	CV_VAR_DIR=$$(mktemp -d) $(PY) -m pytest -q $(XDIST) -m "not browser and not matrix" $(PYTEST_ARGS)
	CV_VAR_DIR=$$(mktemp -d) $(PY) -m pytest -q -m browser tests/browser $(PYTEST_ARGS)

test-pg: setup
	source scripts/pgtmp.sh && trap pgtmp_stop EXIT && pgtmp_start && \
	  CV_VAR_DIR=$$(mktemp -d) $(PY) -m pytest -q $(XDIST) -m "not browser" $(PYTEST_ARGS)

test-browser: setup system-deps
	CV_VAR_DIR=$$(mktemp -d) $(PY) -m pytest -q -m browser tests/browser $(PYTEST_ARGS)

bench: setup system-deps
	$(UV) sync --locked --extra dev --group bench -q  # peer scorecard libraries (toad, scorecardpy, optbinning)
	source scripts/pgtmp.sh && trap pgtmp_stop EXIT && pgtmp_start && $(PY) bench/run.py

clean:
	rm -rf .venv .tools var test-artifacts
