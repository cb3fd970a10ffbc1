# The commands a person types. `make help` lists them.
SHELL := /bin/bash
PYTHON ?= python3.11
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
LAKE ?= lake
# The AWS Glue version everything local mirrors: .venv and .venv-glue-<version> get the libraries that
# Glue version ships (requirements-glue-<version>.txt: PySpark, numpy, pandas, pyarrow, boto3, awsglue)
# and check-glue-wheels checks against them. The stack's GlueVersion parameter offers the same versions.
GLUE_VERSIONS := 5.0 5.1
GLUE_VERSION ?= 5.1
# Glue itself sets GLUE_VERSION in a job's environment, which is how the jobs know they run on Glue:
# ours stays a make variable and never reaches a command's environment.
unexport GLUE_VERSION
ifeq ($(filter $(GLUE_VERSION),$(GLUE_VERSIONS)),)
$(error GLUE_VERSION=$(GLUE_VERSION) is not a supported Glue version: choose one of $(GLUE_VERSIONS))
endif
GLUE_PINS := requirements-glue-$(GLUE_VERSION).txt
SOURCES ?= samples/sources.yaml
export SPARK_LOCAL_IP ?= 127.0.0.1
export PYSPARK_PYTHON ?= $(abspath $(BIN)/python)

.DEFAULT_GOAL := help
.PHONY: help prerequisites install catalog-venv run test test-fast lint bench clean FORCE

help: ## list the commands
	@grep -hE '^[a-z][a-zA-Z_-]+:.*## ' $(MAKEFILE_LIST) | awk -F':.*## ' '{printf "  make %-18s %s\n", $$1, $$2}'

prerequisites: ## check Python 3.11 and Java 17 are installed
	@command -v $(PYTHON) >/dev/null || { echo "Python 3.11 is required: install it (Debian: apt-get install python3.11 python3.11-venv; or pyenv install 3.11) or set PYTHON=/path/to/python3.11" >&2; exit 1; }
	@$(PYTHON) -c 'import sys; sys.exit(sys.version_info[:2] != (3, 11))' || { echo "$(PYTHON) is not Python 3.11 (AWS Glue $(GLUE_VERSION) runs 3.11): set PYTHON=/path/to/python3.11" >&2; exit 1; }
	@command -v java >/dev/null || { echo "Java 17 is required by Spark: install it (Debian: apt-get install openjdk-17-jre-headless) and make sure 'java' is on PATH" >&2; exit 1; }
	@java -version 2>&1 | grep -qE 'version "17\.' || { echo "Java 17 is required (AWS Glue $(GLUE_VERSION) runs Java 17); found: $$(java -version 2>&1 | head -1). Install openjdk-17 or point JAVA_HOME/PATH at it" >&2; exit 1; }

# Rewritten only when GLUE_VERSION changes, so that switching version reinstalls .venv's pins.
$(VENV)/.glue-version: FORCE
	@mkdir -p $(VENV) && [ "$$(cat $@ 2>/dev/null)" = "$(GLUE_VERSION)" ] || echo "$(GLUE_VERSION)" > $@

$(STAMP): $(GLUE_PINS) requirements.txt requirements-dev.txt setup.cfg pyproject.toml $(VENV)/.glue-version
	@$(MAKE) --no-print-directory prerequisites
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip setuptools wheel
	$(BIN)/python -m pip install --quiet -r $(GLUE_PINS) -r requirements-dev.txt
	$(BIN)/python -m pip install --quiet --no-deps -e .
	touch $(STAMP)

install: $(STAMP) ## create .venv and install the project with the libraries of the Glue version GLUE_VERSION names (5.1, or 5.0)

catalog-venv: $(STAMP) ## make .venv-catalog: data.gov's catalog app (Python 3.12) the catalog tests run (else made on first use)
	$(BIN)/python -m tests.catalog_app

run: $(STAMP) ## harvest the bundled sample sources into ./lake (served over HTTP on 127.0.0.1)
	$(BIN)/python -m devtools.run_samples --lake $(LAKE)

LINTED := transforms glue_jobs harvest_cli tests benchmarks expectations devtools

lint: $(STAMP) ## ruff (rules and formatting) and mypy; cfn-lint runs as a test
	$(BIN)/ruff check $(LINTED)
	$(BIN)/ruff format --check $(LINTED)
	$(BIN)/mypy

# The suite's tests wait on JVM starts, servers and subprocesses as much as they compute: with two
# pytest workers on 2 cores, 10-11% of the cores' time was idle; with three, 2-4%, and the suite took
# 8:28 against 8:46 on average (eight alternated runs of `make test`, BENCHMARKS.md). A file's tests
# stay in one worker (--dist loadfile): its module fixtures (a harvested lake, a started catalog
# app) are built once, not once per worker.
# Files go out in the order tests/conftest.py sorts them, whole harvests first: pytest-xdist would
# otherwise reorder them by their number of tests, which sent the one-test, minute-long end-to-end
# files last and left one worker idle for the last 30 s (--no-loadscope-reorder).
TEST_WORKERS ?= 3

test: $(STAMP) lint ## lint, then the whole test suite in TEST_WORKERS processes (with the slowest tests listed)
	$(BIN)/python -m pytest -n $(TEST_WORKERS) --dist loadfile --no-loadscope-reorder --durations=15

test-fast: $(STAMP) ## the unit tests without Spark, PostgreSQL, a browser, the catalog app or end-to-end runs: about a minute
	$(BIN)/python -m pytest -m "not spark and not slow and not e2e and not postgres and not browser and not catalog" -q --durations=5

clean: ## remove the local lakes and build output (keeps .venv, .venv-glue-<version> and .venv-catalog)
	rm -rf $(LAKE) lake-glue .glue-submit .spark-cluster build dist *.egg-info spark-warehouse

# Targets of their own areas (AWS packaging, benchmarks) live in mk/.
-include mk/*.mk
