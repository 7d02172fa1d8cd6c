# ozgmap: the two set-up commands of the README, and their parts.
VENV ?= .venv
BIN = $(VENV)/bin
HOST ?= 127.0.0.1
PORT ?= 5000

.PHONY: run test check install init serve bench load

$(BIN)/.installed: setup.cfg pyproject.toml
	python3 -m venv $(VENV)
	$(BIN)/pip install -q --upgrade pip
	$(BIN)/pip install -q -e '.[test]'
	touch $@

install: $(BIN)/.installed

init: install
	$(BIN)/ozgmap init

## make run: install, set up SQLite with boundaries, catalogue and Beispieldaten, serve on :5000
run: init
	$(BIN)/ozgmap serve --host $(HOST) --port $(PORT)

## make test: install (with Chromium from Debian for the browser tests), run the whole suite
test: install
	sh scripts/install_test_deps.sh
	$(BIN)/python -m pytest -q; rc=$$?; if [ $$rc -eq 5 ]; then echo "no tests collected"; rc=0; fi; exit $$rc

## make check: the linter (ruff, pinned in setup.cfg) and the fast unit tests, in seconds
check: install
	$(BIN)/ruff check .
	$(BIN)/python -m pytest -q tests/unit

## make load: a bounded burst (500 requests, 50 concurrent) against `ozgmap serve` on loopback
load: init
	$(BIN)/python scripts/load_test.py
