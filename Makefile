# Two commands for a new user: `make run` and `make test`. Both install what is missing first.
PY ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed

.PHONY: run demo worker test lint validate-deploy bench bench-all clean

$(STAMP): pyproject.toml
	test -x $(BIN)/python || $(PY) -m venv $(VENV)
	$(BIN)/python -m pip install -q --upgrade pip
	$(BIN)/python -m pip install -q -e '.[dev]'
	touch $(STAMP)

run: $(STAMP)  ## dev server + Web UI + worker, on embedded defaults
	$(BIN)/python -m launcher $(ARGS)

demo: $(STAMP)  ## same, filing sample complaints on a fast working-time clock
	$(BIN)/python -m launcher --demo $(ARGS)

worker: $(STAMP)  ## the worker alone, configured from the environment
	$(BIN)/python -m workers

lint: $(STAMP)
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/mypy .

test: $(STAMP)
	bash infra/browser_deps.sh  # Debian's Chromium for the Web UI test, if missing
	$(BIN)/pytest -n auto --maxprocesses 4 $(ARGS)  # tests/unit, integration, e2e

validate-deploy: $(STAMP)  ## the Dockerfile, compose file, k8s manifests and Helm values, offline (also in `make test`)
	$(BIN)/pytest tests/unit/test_deploy.py $(ARGS)

bench: $(STAMP)  ## complaint start-to-first-wait against two no-op local activities
	$(BIN)/python -m bench.first_wait $(ARGS)

bench-all: $(STAMP)  ## every benchmark, one after the other (several minutes)
	$(BIN)/python -m bench.first_wait
	$(BIN)/python -m bench.ledger_writes
	$(BIN)/python -m bench.intake
	$(BIN)/python -m bench.monthly_report
	$(BIN)/python -m bench.replay
	$(BIN)/python -m bench.actions
	$(BIN)/python -m bench.open_book --count 2000

clean:
	rm -rf $(VENV) data .pytest_cache .mypy_cache .ruff_cache
