# Two commands on a fresh machine: `make demo` and `make test`. Each creates .venv if needed.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
# pytest with Python's bytecode cache on, even where the environment turns it off
# (PYTHONDONTWRITEBYTECODE): without it every xdist worker rewrites the asserts of every test
# module and of hypothesis again, and every kernel and server the tests start recompiles the
# package (about 5 s of each worker's 10 s of collection on the 2-core machines here).
PYTEST := env -u PYTHONDONTWRITEBYTECODE $(BIN)/pytest

.PHONY: demo test lint deep bench docs clean

$(STAMP): pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet -e '.[test,docs]'
	touch $(STAMP)

demo: $(STAMP)
	$(BIN)/affectation demo

test: $(STAMP)
	$(BIN)/ruff check .
	$(PYTEST) -q -n auto --dist worksteal
	NO_MKDOCS_2_WARNING=1 $(BIN)/mkdocs build --strict --site-dir build/site  # not --quiet: it hides the warnings --strict counts

docs: $(STAMP)
	NO_MKDOCS_2_WARNING=1 $(BIN)/mkdocs build --strict --site-dir build/site

deep: $(STAMP)
	HYPOTHESIS_PROFILE=deep $(PYTEST) -q -n auto --dist worksteal

bench: $(STAMP)
	$(BIN)/pip install --quiet -e '.[test,bench]'
	$(BIN)/python benchmarks/serial.py
	$(BIN)/python benchmarks/cpsat.py
	$(BIN)/python benchmarks/sweep.py

clean:
	rm -rf $(VENV) .pytest_cache .hypothesis build/site site
