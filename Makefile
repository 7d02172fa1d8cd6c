# ozgmap: the two set-up commands of the README, and their parts.
VENV ?= .venv
BIN = $(VENV)/bin
HOST ?= 127.0.0.1
PORT ?= 5000
#: the exact versions every install uses (written by `make lock`)
LOCK = constraints.txt
#: pytest's options for `make test`: two processes (pytest-xdist); PYTEST_ARGS= runs it in one
PYTEST_ARGS ?= -n 2

.PHONY: run test check lock install init serve bench load

# Every install path goes through here: pip installs the package with its test extra, each
# package at the version pinned in $(LOCK) (pip itself too).
$(BIN)/.installed: setup.cfg pyproject.toml $(LOCK)
	python3 -m venv $(VENV)
	$(BIN)/pip install -q -c $(LOCK) --upgrade pip
	$(BIN)/pip install -q -c $(LOCK) -e '.[test]'
	touch $@

install: $(BIN)/.installed

## make lock: after changing the requirements in setup.cfg, install what they add (newest
## versions that fit) into the venv and write the venv's exact versions to constraints.txt
lock:
	[ -x $(BIN)/pip ] || python3 -m venv $(VENV)
	$(BIN)/pip install -q -e '.[test]'
	{ echo "# Exact versions of every install (make install/run/test, CI): written by 'make lock'"; \
	  echo "# from the venv; do not edit by hand. Python $$($(BIN)/python -c 'import platform; print(platform.python_version())')."; \
	  $(BIN)/pip freeze --all --exclude-editable | grep -v -i '^ozgmap[= ]'; } > $(LOCK)
	touch $(BIN)/.installed

init: install
	$(BIN)/ozgmap init

## make run: install, set up SQLite with boundaries, catalogue and Beispieldaten, serve on :5000
run: init
	$(BIN)/ozgmap serve --host $(HOST) --port $(PORT)

## make test: install (with Chromium from Debian for the browser tests), run the whole suite
## (first the map script's pure parts with `node --test tests/js/`, then a check that the
## benchmark still runs: scripts/bench.py --quick, errors fail, figures not; pytest last)
test: install
	sh scripts/install_test_deps.sh
	node --test tests/js/
	$(BIN)/python scripts/bench.py --quick
	$(BIN)/python -m pytest -q $(PYTEST_ARGS); rc=$$?; if [ $$rc -eq 5 ]; then echo "no tests collected"; rc=0; fi; exit $$rc

## make check: the linter (ruff, pinned) and the fast unit tests, in seconds
check: install
	$(BIN)/ruff check .
	node --test tests/js/
	$(BIN)/python -m pytest -q -p no:cacheprovider tests/unit

## make bench: the full benchmark (NRW and Germany; minutes), figures as in the README
bench: install
	$(BIN)/python scripts/bench.py

## make load: a bounded burst (500 requests, 50 concurrent) against `ozgmap serve` on loopback
load: init
	$(BIN)/python scripts/load_test.py
