# Tessera: `make run` serves a demo on http://127.0.0.1:8000; `make test` runs the whole suite.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
HOST ?= 127.0.0.1
PORT ?= 8000

.PHONY: run test venv dev lint smoke clean bench

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip

$(VENV)/.installed: pyproject.toml | $(BIN)/python
	$(BIN)/pip install --quiet -e .
	touch $@

$(VENV)/.installed-dev: pyproject.toml | $(BIN)/python
	$(BIN)/pip install --quiet -e '.[dev]'
	touch $(VENV)/.installed $@

venv: $(VENV)/.installed

dev: $(VENV)/.installed-dev

run: $(VENV)/.installed
	$(BIN)/tessera migrate
	$(BIN)/tessera demo
	$(BIN)/tessera serve --host $(HOST) --port $(PORT)

lint: dev
	$(BIN)/ruff check tessera tests bench scripts
	$(BIN)/lint-imports

# The suite runs against the editable checkout; `smoke` then installs the built wheel into a new
# virtualenv outside the checkout and uses it, as a user's install is used.
# Test files are spread over $(TEST_WORKERS) processes (pytest-xdist); each file runs whole in one of them.
TEST_WORKERS ?= 2
test: dev lint
	$(BIN)/python -m pytest -n $(TEST_WORKERS) --dist loadfile $(PYTEST_ARGS)
	$(MAKE) --no-print-directory smoke

smoke: dev
	$(BIN)/python scripts/smoke_installed.py

clean:
	rm -rf $(VENV) data .pytest_cache .hypothesis
