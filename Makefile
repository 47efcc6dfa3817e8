# Flowker developer commands. `make demo` and `make test` are the two set-up commands.
PYTHON ?= python3
VENV ?= .venv
BIN := $(VENV)/bin
PG_URL ?= postgresql://postgres@127.0.0.1:5432/test
REDIS_URL ?= redis://127.0.0.1:6379/0

.PHONY: venv demo run test test-embedded test-fleet migrate fleet clean

$(BIN)/flowker: pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet -e '.[dev]'
	touch $(BIN)/flowker

venv: $(BIN)/flowker

## demo: run the example transactions end to end on the embedded default
demo: venv
	$(BIN)/python examples/demo.py

## run: start Flowker on the embedded default (SQLite + in-process workers) on :4021
run: venv
	$(BIN)/flowker serve --port 4021

## test: the whole suite on SQLite + in-process broker, then on PostgreSQL + Redis
test: test-embedded test-fleet

test-embedded: venv
	env -u DATABASE_URL -u BROKER_URL $(BIN)/pytest -q

test-fleet: venv
	DATABASE_URL=$(PG_URL) BROKER_URL=$(REDIS_URL) FLOWKER_REQUIRE_SERVICES=1 $(BIN)/pytest -q

migrate: venv
	$(BIN)/flowker migrate

## fleet: web + worker + scheduler from the Procfile (needs DATABASE_URL and BROKER_URL)
fleet: venv
	$(BIN)/flowker migrate
	PATH="$(CURDIR)/$(BIN):$$PATH" $(BIN)/honcho start -c worker=2

clean:
	rm -rf $(VENV) var .pytest_cache
