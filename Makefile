# The two commands of the README:  make demo  (set up, generate synthetic LEO, build everything)
#                                  make test  (set up, run the test suite against DuckDB and PostgreSQL)
PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin

.PHONY: setup demo test ui clean

$(BIN)/leo-assets: pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet -e ".[dev,mssql]"
	touch $@

setup: $(BIN)/leo-assets

demo: setup
	$(BIN)/leo-assets demo

test: setup
	scripts/with_postgres.sh $(BIN)/pytest

ui: setup
	$(BIN)/leo-assets ui

clean:
	rm -rf data dagster_home/history dagster_home/storage dagster_home/schedules dagster_home/logs
