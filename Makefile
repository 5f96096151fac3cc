# The two set-up commands of the README: `make demo` and `make test`. Each creates .venv itself.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed

.PHONY: demo test lint docs bench clean

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)

$(STAMP): pyproject.toml | $(BIN)/python
	$(BIN)/python -m pip install --quiet --disable-pip-version-check -e '.[dev,notebooks,docs]'
	touch $(STAMP)

demo: $(STAMP)
	$(BIN)/python -m digitalcx_frames demo

lint: $(STAMP)
	$(BIN)/ruff check digitalcx_frames tests benchmarks scripts docs/_hooks.py
	$(BIN)/ruff format --check digitalcx_frames tests benchmarks scripts docs/_hooks.py
	$(BIN)/mypy

# the tests include tests/test_docs.py (the strict site build and its link check) and tests/test_wheel.py
test: lint
	$(BIN)/python -m pytest

# the documentation site into site/; strict: a broken link or reference fails
docs: $(STAMP)
	NO_MKDOCS_2_WARNING=1 $(BIN)/python -m mkdocs build --strict --site-dir site

bench: $(STAMP)
	$(BIN)/python -m pip install --quiet --disable-pip-version-check -e '.[bench]'
	$(BIN)/python -m benchmarks

clean:
	rm -rf $(VENV) .pytest_cache .mypy_cache .ruff_cache build dist site *.egg-info
