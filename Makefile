# The two commands of the README:  make demo  (set up, generate synthetic LEO, build everything)
#                                  make test  (set up, run the test suite against DuckDB and PostgreSQL)
# Run as root on Debian, each installs the system packages it lacks (scripts/system_packages.sh).
PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
# -qq: the pip of some machines warns once per package about unreachable index locations
PIP    := $(BIN)/pip --disable-pip-version-check -qq
# one pytest worker per core, each taking whole test files (pytest-xdist), the files with a slow
# test first (leo_assets_tests/conftest.py); PYTEST_WORKERS= runs serially
PYTEST_WORKERS ?= -n auto --dist loadfile --no-loadscope-reorder

.PHONY: setup demo lint test ui clean

$(BIN)/leo-assets: pyproject.toml
	@PYTHON=$(PYTHON) scripts/system_packages.sh venv
	@echo "setting up $(VENV) (a few minutes the first time) ..."
	@test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	@$(PIP) install --upgrade pip
	@$(PIP) install -e ".[dev,mssql]"
	@touch $@

setup: $(BIN)/leo-assets

demo: setup
	$(BIN)/leo-assets demo

# ruff's rules and formatting (pyproject.toml [tool.ruff]); make test runs it first
lint: setup
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .

test: setup lint
	@scripts/system_packages.sh test
	scripts/with_postgres.sh $(BIN)/pytest $(PYTEST_WORKERS) --durations=10  # the ten slowest tests, for docs/benchmarks.md (#18)

ui: setup
	$(BIN)/leo-assets ui

clean:
	rm -rf data dagster_home/history dagster_home/storage dagster_home/schedules dagster_home/logs
