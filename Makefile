# One-command set-up: every target creates the virtualenv and installs the project first.
PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed
# `make test PYTEST_ARGS="-m 'not slow'"` skips the soak and crash tests locally.
PYTEST_ARGS ?=

.PHONY: demo test lint unit fmt clean

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install -q --upgrade pip

$(STAMP): pyproject.toml | $(BIN)/python
	$(BIN)/pip install -q -e '.[test]'
	touch $(STAMP)

demo: $(STAMP)
	$(BIN)/hexa demo

lint: $(STAMP)
	$(BIN)/ruff check shared hexa functions tests
	$(BIN)/ruff format --check shared hexa functions tests
	$(BIN)/mypy shared hexa functions

test: lint
	$(BIN)/hexa schemas check
	$(BIN)/pytest $(PYTEST_ARGS)

unit: $(STAMP)
	$(BIN)/pytest tests/unit

fmt: $(STAMP)
	$(BIN)/ruff format shared hexa functions tests
	$(BIN)/ruff check --fix shared hexa functions tests

clean:
	rm -rf $(VENV) .hexa .pytest_cache .mypy_cache .ruff_cache
