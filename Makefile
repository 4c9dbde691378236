# ivig-tracker: the two commands a new user needs are `make run` and `make test`.
# Before pushing: `make lint` and `make test-fast` (what CI runs first, and the quick suite).
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed-stamp
HOST ?= 127.0.0.1
PORT ?= 8000

# Test processes: one per core by default (pytest-xdist); PYTEST_WORKERS=0 runs in this one.
PYTEST_WORKERS ?= auto

.PHONY: run test test-fast install lint format bench clean

# The links the demo prints and the app sends (diary, calendar feeds) name the address served,
# unless TRACKER_BASE_URL says otherwise (a proxy in front).
run: export TRACKER_BASE_URL ?= http://$(HOST):$(PORT)
run: $(STAMP) .env ## set up, migrate a SQLite file, load the demo once, serve on :8000
	$(BIN)/tracker db upgrade
	$(BIN)/tracker demo --once --admin-login-file .demo-login
	$(BIN)/tracker serve --host $(HOST) --port $(PORT)

test: $(STAMP) ## set up and run the whole test suite (browser and PostgreSQL tests too)
	$(BIN)/pytest -n $(PYTEST_WORKERS) --dist worksteal

# Everything but the tests marked browser or postgres (see tests/conftest.py): SQLite only.
test-fast: $(STAMP) ## the suite without the browser and PostgreSQL tests, in parallel
	$(BIN)/pytest -n $(PYTEST_WORKERS) --dist worksteal -m "not browser and not postgres"

install: $(STAMP)

lint: $(STAMP) ## ruff (lint and format check) and mypy, as CI runs them
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/mypy

format: $(STAMP) ## rewrite the code in ruff's format (and sort imports)
	$(BIN)/ruff check --select I --fix .
	$(BIN)/ruff format .

# 10,000 patients on SQLite and PostgreSQL (BENCH_POSTGRES_URL, default the local server);
# ARGS="--patients 100000" for the full run. Writes docs/benchmarks.md.
bench: $(STAMP) ## build synthetic cohorts; time the sweep, the pages and the writes
	$(BIN)/python bench/run.py $(ARGS)

$(STAMP): pyproject.toml
	$(PYTHON) -c 'import sys; sys.exit(sys.version_info < (3, 11))' || \
		{ echo "ivig-tracker needs Python 3.11 or newer"; exit 1; }
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e ".[dev]"
	touch $(STAMP)

# A random secret for this checkout only; .env is never committed.
.env:
	@$(PYTHON) -c 'import secrets; print("TRACKER_SECRET_KEY=" + secrets.token_urlsafe(48))' > .env
	@chmod 600 .env
	@echo "wrote .env with a new TRACKER_SECRET_KEY"

clean:
	rm -rf $(VENV) tracker.db tracker.db-wal tracker.db-shm .demo-login
