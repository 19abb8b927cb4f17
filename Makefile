# newsetl — every target sets itself up on a fresh machine (Python ≥ 3.11, network to PyPI only).
VENV ?= .venv
PY := $(VENV)/bin/python
UV := $(VENV)/bin/uv
export PREFECT_SERVER_ANALYTICS_ENABLED := false
export PREFECT_HOME ?= $(CURDIR)/.prefect

.PHONY: setup run test browser lint format bench bench-docs lock clean

setup: $(VENV)/.installed

$(VENV)/.installed: requirements.lock pyproject.toml
	test -x $(PY) || python3 -m venv $(VENV)
	$(PY) -m pip install -q uv==0.13.9
	$(UV) pip sync -q --compile-bytecode --python $(PY) requirements.lock  # .pyc at install: runs may not write them
	$(UV) pip install -q --python $(PY) --no-deps -e .
	touch $@

run: setup  ## ingest the bundled seeds into ./data
	$(VENV)/bin/newsetl run $(ARGS)

test: setup browser  ## the whole test suite (real flows, real DuckDB, real Parquet, headless Chromium)
	$(PY) -m pytest $(PYTEST_ARGS)

browser:  ## Debian's chromium for the UI test (best effort: without it that one test is skipped)
	@command -v chromium >/dev/null 2>&1 || ! command -v apt-get >/dev/null 2>&1 || \
	  (apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium >/dev/null) || \
	  echo "warning: could not install chromium; the UI test will be skipped" >&2

lint: setup
	$(VENV)/bin/ruff check .
	$(VENV)/bin/ruff format --check .

format: setup
	$(VENV)/bin/ruff check --fix .
	$(VENV)/bin/ruff format .

bench: setup  ## run every bench/ script with its default arguments
	for b in bench/*.py; do echo "== $$b"; $(PY) $$b || exit 1; done

bench-docs: setup  ## run the benches, write docs/BENCHMARKS.md (ONLY="stories ner"; BENCH_ARGS='throughput="--startup"')
	$(PY) docs/build_benchmarks.py $(if $(ONLY),--only $(ONLY)) $(if $(BENCH_ARGS),--args $(BENCH_ARGS))

lock:  ## re-resolve requirements.lock from pyproject.toml
	$(UV) pip compile -q --python $(PY) --extra dev pyproject.toml -o requirements.lock

clean:
	rm -rf data .prefect .pytest_cache
