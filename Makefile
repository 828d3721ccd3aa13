# The two commands of the README:  `make demo` (the workspace on SQLite, with demo data)
# and `make test` (lint, layer contracts, and the whole suite on SQLite and PostgreSQL).
PYTHON ?= python3
VENV ?= .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed

.PHONY: install demo test lint bench bench-full postgres clean

$(STAMP): pyproject.toml
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e '.[dev]'
	touch $(STAMP)

install: $(STAMP)

# The demo ledger (once), today's cycle (reminders land in ./mail as .eml files), an API token for
# the demo owner, then the server until Ctrl-C.
demo: $(STAMP)
	@test -f arrears.db || $(BIN)/arrears demo --no-serve
	$(BIN)/arrears cycle
	@echo "API token of the demo owner (Authorization: Bearer ...):"
	@$(BIN)/arrears users token demo --label make-demo
	@echo "Demo sign-in: demo (owner), morgan (manager), alex, sam or jordan (collectors); password demo-password."
	$(BIN)/arrears serve

postgres:
	scripts/ensure-postgres

lint: $(STAMP)
	$(BIN)/ruff check src tests bench
	$(BIN)/ruff format --check src tests bench
	$(BIN)/mypy
	$(BIN)/lint-imports

# One test process per CPU (pytest-xdist), each test file in one process; PYTEST_ARGS=-n0 runs one.
PYTEST_ARGS ?= -n auto --dist loadfile
test: $(STAMP) postgres lint
	ARREARS_REQUIRE_POSTGRES=1 ARREARS_REQUIRE_BROWSER=1 $(BIN)/pytest $(PYTEST_ARGS)

bench: $(STAMP) postgres
	$(BIN)/python bench/run.py --sizes 10000
	$(BIN)/python bench/task_list.py --customers 1000 --tasks 10000 --backend sqlite
	$(BIN)/python bench/cycle.py --sizes 2000 --backends sqlite,postgresql

bench-full: $(STAMP) postgres
	$(BIN)/python bench/run.py --sizes 10000,100000,1000000 --write-docs

clean:
	rm -rf $(VENV) build .pytest_cache .mypy_cache .ruff_cache
