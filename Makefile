# cvdw-elt: `make demo` runs the whole chain on simulated data; `make test` runs every test.
PYTHON ?= python3
VENV := .venv
PY := $(VENV)/bin/python
DBT_ARGS := --project-dir dbt_project --profiles-dir dbt_project
export DO_NOT_TRACK := 1
export RUNTIME__DLTHUB_TELEMETRY := false

.DEFAULT_GOAL := help
.PHONY: help install demo app dbt dbt-test dbt-docs dbt-lint load run schedule status test lint bench warehouse-start warehouse-status warehouse-stop simulator

help: ## list the targets
	@grep -E '^[a-z-]+:.*## ' $(MAKEFILE_LIST) | awk -F':.*## ' '{printf "  make %-18s %s\n", $$1, $$2}'

$(VENV)/.installed: pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip
	$(PY) -m pip install --quiet -e '.[dev]'
	touch $@

install: $(VENV)/.installed ## create .venv and install the project with its dev tools

demo: install ## embedded Postgres + CVDW simulator + load into raw + dbt build, then serve the dashboard
	$(PY) -m pipelines.demo

app: install ## serve the dashboard on the PG* warehouse (or the embedded one) at localhost:8501
	$(PY) -m pipelines.warehouse start >/dev/null
	$(VENV)/bin/streamlit run streamlit_app.py --server.address 127.0.0.1 --server.port 8501

dbt: install ## dbt build: staging, marts and their tests (pass ARGS="--select vso+")
	$(PY) -m pipelines.warehouse start >/dev/null
	$(VENV)/bin/dbt build $(DBT_ARGS) $(ARGS)

dbt-test: install ## dbt unit tests only (fast: the formulas on hand-made rows)
	$(VENV)/bin/dbt test $(DBT_ARGS) --select "resource_type:unit_test"

dbt-docs: install ## generate and serve dbt docs on :8080
	$(VENV)/bin/dbt docs generate $(DBT_ARGS) && $(VENV)/bin/dbt docs serve $(DBT_ARGS) --port 8080

dbt-lint: install ## sqlfluff (dbt templater) on the dbt models
	$(VENV)/bin/sqlfluff lint dbt_project/models --processes 2

load: install ## python pipelines/cvdw.py with the configured CVDW (pass ARGS="--endpoints reservas")
	$(PY) pipelines/cvdw.py $(ARGS)

run: install ## the scheduled chain once: load, dbt build, freshness; exit codes, lock, history, alerts
	$(PY) -m pipelines.ops run $(ARGS)

schedule: install ## run the chain every 4 h, 06:00-22:00 São Paulo, until Ctrl+C (ARGS="--every 2h")
	$(PY) -m pipelines.ops schedule $(ARGS)

status: install ## is a run in progress, the last runs (ops.runs), freshness of each raw table
	$(PY) -m pipelines.ops status $(ARGS)

test: install ## the whole test suite (real Postgres, simulator, dlt)
	$(PY) -m pytest -n 2 --dist loadfile $(ARGS)

lint: install ## ruff on the Python code
	$(PY) -m ruff check pipelines simulator tests bench dashboard app_pages streamlit_app.py

bench: install ## benchmarks: pacing, incremental cost, large load vs COPY
	$(PY) bench/bench_load.py

warehouse-start: install ## start the embedded PostgreSQL (kept running)
	$(PY) -m pipelines.warehouse start

warehouse-status: install ## is the embedded PostgreSQL running?
	$(PY) -m pipelines.warehouse status

warehouse-stop: install ## stop the embedded PostgreSQL
	$(PY) -m pipelines.warehouse stop

simulator: install ## serve the CVDW simulator on 127.0.0.1:8765 until Ctrl+C
	$(PY) -m simulator --port 8765

.PHONY: dagster bench-accounts
dagster: install ## the Dagster UI on :3000 with three simulated accounts, alfa, beta, gama (ARGS="--size 2000")
	$(PY) -m pipelines.dagster_demo $(ARGS)

bench-accounts: install ## many accounts: parallel vs alone, accounts per machine (ARGS="--dbt" for dbt build by accounts)
	$(PY) bench/bench_accounts.py $(ARGS)
