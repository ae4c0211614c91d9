# LokOS: two commands on a fresh machine.
#   make up    create .venv, install, start the whole platform (Ctrl-C or `make down` stops it)
#   make test  create .venv, install, run ruff, mypy and every test

PYTHON ?= python3.11
VENV   ?= .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed

.PHONY: up down status install test lint typecheck proto proto-check bench clean chromium

$(BIN)/python:
	@command -v $(PYTHON) >/dev/null 2>&1 || { echo "needs $(PYTHON) (Python 3.11); set PYTHON=..."; exit 1; }
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip

$(STAMP): pyproject.toml | $(BIN)/python
	$(BIN)/python -m pip install --quiet -e '.[dev]'
	@touch $(STAMP)

install: $(STAMP)

up: $(STAMP)
	$(BIN)/lokos up

down: $(STAMP)
	$(BIN)/lokos down

status: $(STAMP)
	$(BIN)/lokos status

lint: $(STAMP)
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .

typecheck: $(STAMP)
	$(BIN)/mypy

proto: $(STAMP)
	$(BIN)/python -m lokos.protogen

proto-check: $(STAMP)
	$(BIN)/python -m lokos.protogen --check

# The console's browser tests drive Debian's chromium (tests/browser): installed when missing.
chromium:
	@command -v chromium >/dev/null 2>&1 || { \
	  if [ "$$(id -u)" = 0 ]; then SUDO=; else SUDO="sudo -n"; fi; \
	  $$SUDO apt-get update -q && DEBIAN_FRONTEND=noninteractive $$SUDO apt-get install -y -q chromium; }

test: $(STAMP) lint typecheck chromium
	$(BIN)/python -m pytest

bench: $(STAMP)
	$(BIN)/python -m bench.run_all

clean:
	@if [ -x $(BIN)/lokos ]; then $(BIN)/lokos clean; fi
	rm -rf .lokos .mypy_cache .ruff_cache .pytest_cache
