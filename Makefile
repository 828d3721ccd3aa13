# The two commands of the README:  `make demo` (the workspace on SQLite, with demo data)
# and `make test` (lint, layer contracts, and the whole suite on SQLite and PostgreSQL).
PYTHON ?= python3
VENV ?= .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
# Every runtime and dev dependency, pinned with its hashes for Python 3.11 on Linux x86_64.
LOCK := requirements.txt
UV_VERSION := 0.13.8

.PHONY: install lock upgrade-deps demo test lint bench bench-full postgres clean

# The lock's versions, each checked against its hashes; then Arrears itself, editable, adding nothing.
# scripts/check-installed (pip check) fails if the lock misses a runtime dependency or a range of
# pyproject.toml (run `make lock`). The one dependency left out on purpose is PyAV, which
# faster-whisper declares: its wheels bundle FFmpeg with GPL codecs, and Arrears decodes audio with
# miniaudio instead (docs/dependencies.md); the lock omits it (`--no-emit-package av`), so the lock is
# installed with --no-deps, and a PyAV left by an older install is removed.
$(STAMP): pyproject.toml $(LOCK)
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --no-deps --require-hashes -r $(LOCK)
	$(BIN)/python -m pip install --quiet --no-deps -e .
	$(BIN)/python -m pip uninstall --quiet --yes av 2>/dev/null || true
	$(BIN)/python scripts/check-installed
	touch $(STAMP)

install: $(STAMP)

# The lock from pyproject.toml's ranges, by uv (installed into a throwaway venv): `make lock` keeps
# the versions already pinned that still fit the ranges; `make upgrade-deps` takes the newest. The
# same pins are written as pylock.toml (the standard lock format, PEP 751) for tools that read it;
# `make install` installs from $(LOCK), and a unit test checks that the two agree.
lock upgrade-deps:
	tmp=$$(mktemp -d) && trap 'rm -rf "$$tmp"' EXIT && \
	$(PYTHON) -m venv "$$tmp" && "$$tmp/bin/python" -m pip install --quiet uv==$(UV_VERSION) && \
	"$$tmp/bin/uv" pip compile --quiet pyproject.toml --extra dev --generate-hashes \
		--python-version 3.11 --python-platform x86_64-unknown-linux-gnu \
		$(if $(filter upgrade-deps,$@),--upgrade) --no-emit-package av --custom-compile-command 'make lock' -o $(LOCK) && \
	"$$tmp/bin/uv" pip compile --quiet $(LOCK) --generate-hashes \
		--python-version 3.11 --python-platform x86_64-unknown-linux-gnu \
		--no-emit-package av --custom-compile-command 'make lock' -o pylock.toml

# The demo ledger (once), today's cycle (reminders land in ./mail as .eml files), an API token for
# the demo owner, a link to a customer's portal, then the server until Ctrl-C.
demo: $(STAMP)
	@test -f arrears.db || $(BIN)/arrears demo --no-serve
	$(BIN)/arrears cycle
	@echo "API token of the demo owner (Authorization: Bearer ...):"
	@$(BIN)/arrears users token demo --label make-demo
	@echo "Demo sign-in: demo (owner), morgan (manager), alex, sam or jordan (collectors); password demo-password."
	@echo "A customer's portal, as its reminders link to it (valid 30 days):"
	@$(BIN)/arrears portal link CUST-0001
	$(BIN)/arrears serve

postgres:
	scripts/ensure-postgres

lint: $(STAMP)
	$(BIN)/ruff check src tests bench
	$(BIN)/ruff format --check src tests bench
	$(BIN)/mypy
	$(BIN)/lint-imports

# One test process per CPU (pytest-xdist); a process that runs out of tests takes some from another
# (worksteal), so that one long file does not keep the run waiting at the end. The unit and
# integration tests run first, under coverage of the domain and the services, where the rules live
# ([tool.coverage.*] in pyproject.toml; the run fails under its floor, fail_under); then the
# end-to-end tests (the command line, the pages, the API, the browser) without it: tracing slowed
# them by a fifth, and the rules they reach are the ones covered below them.
# PYTEST_ARGS narrows one run of everything (PYTEST_ARGS="-n0 -k portal"): coverage reported, no floor.
TEST_ENV = ARREARS_REQUIRE_POSTGRES=1 ARREARS_REQUIRE_BROWSER=1
PYTEST_ARGS ?= -n auto --dist worksteal
test: $(STAMP) postgres lint
ifeq ($(origin PYTEST_ARGS),file)
	$(TEST_ENV) $(BIN)/pytest --cov $(PYTEST_ARGS) tests/unit tests/integration
	$(TEST_ENV) $(BIN)/pytest $(PYTEST_ARGS) tests/e2e
else
	$(TEST_ENV) $(BIN)/pytest --cov --cov-fail-under=0 $(PYTEST_ARGS)
endif

bench: $(STAMP) postgres
	$(BIN)/python bench/run.py --sizes 10000
	$(BIN)/python bench/task_list.py --customers 1000 --tasks 10000 --backend sqlite
	$(BIN)/python bench/cycle.py --sizes 2000 --backends sqlite,postgresql
	$(BIN)/python bench/portal.py --repeat 20
	$(BIN)/python bench/mail_fetch.py --messages 500 --emails 20000
	$(BIN)/python bench/credit.py --customers 2000 --invoices 20000
	$(BIN)/python bench/reports.py --customers 2000 --invoices 20000

bench-full: $(STAMP) postgres
	$(BIN)/python bench/run.py --sizes 10000,100000,1000000 --write-docs

clean:
	rm -rf $(VENV) build .pytest_cache .mypy_cache .ruff_cache
