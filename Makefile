# Every command lives here. `make up` and `make test` do all set-up on a fresh machine with Python 3.11.
SHELL := /bin/bash
PYTHON ?= python3
UV_VERSION := 0.13.8
TOOLS := .tools
UV := $(TOOLS)/bin/uv
VENV := .venv
export UV_PYTHON_DOWNLOADS := never
export UV_PROJECT_ENVIRONMENT := $(CURDIR)/$(VENV)

# `make test-unit`: the domain and service layers against in-memory fakes (no servers; seconds).
.PHONY: up test test-unit test-fast faults bench lint arch schemas docs clean install

$(UV):
	$(PYTHON) -m venv $(TOOLS)
	$(TOOLS)/bin/pip install --quiet --disable-pip-version-check uv==$(UV_VERSION)

# The stamp is remade when the lock or any pyproject changes.
$(VENV)/.installed: $(UV) uv.lock pyproject.toml $(wildcard */pyproject.toml libs/*/pyproject.toml services/*/pyproject.toml)
	$(UV) sync --frozen --all-packages --python $(PYTHON)
	$(VENV)/bin/wja setup
	touch $@

install: $(VENV)/.installed

up: install
	$(VENV)/bin/wja up

test: install
	bash scripts/test.sh

test-unit: install
	$(VENV)/bin/pytest -q -p no:cacheprovider $(wildcard services/*/tests/unit)

lint: install
	$(VENV)/bin/ruff check .
	$(VENV)/bin/lint-imports
	$(VENV)/bin/mypy

schemas: install
	$(VENV)/bin/python -m wja_schemas.snapshot --write
	$(VENV)/bin/python -m wja_schemas.catalogue > docs/events.md
	$(VENV)/bin/python -m wja_cli.asyncapi > docs/asyncapi.json

# bench/run.py includes the consumer apply ratio (bench/consume_ratio.py) and the raw ceilings;
# `$(VENV)/bin/python bench/run.py --quick` is the two-minute version.
bench: install
	$(VENV)/bin/python bench/run.py
	$(VENV)/bin/python bench/court_listing.py

# The fault suite at full size (40 min at 10,000 cases on 2 CPUs, 1 December 2026; a small version of each case
# runs in `make test`). `make faults FAULT_CASES=2000` for a shorter run (12 min).
FAULT_CASES ?= 10000
faults: install
	WJA_FAULT_CASES=$(FAULT_CASES) WJA_FAULT_RATE=20 WJA_KILL_GAP_SECONDS=5,15 WJA_BROKER_OUTAGE_SECONDS=60 WJA_PG_DOWN_SECONDS=10 WJA_DELIVERY_SECONDS=900 \
	WJA_POISON_PER_TOPIC=1000 WJA_PARKING_TIMEOUT_SECONDS=30 WJA_SCHEMATHESIS_EXAMPLES=50 $(VENV)/bin/pytest -q -s --timeout=7200 tests/faults tests/security

clean:
	rm -rf $(VENV) $(TOOLS) .wja/test
