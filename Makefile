# newsetl — every target sets itself up on a fresh machine (Python ≥ 3.11, network to PyPI only).
VENV ?= .venv
PY := $(VENV)/bin/python
UV := $(VENV)/bin/uv
export PREFECT_SERVER_ANALYTICS_ENABLED := false
export PREFECT_HOME ?= $(CURDIR)/.prefect

.PHONY: setup run test lint format bench clean

setup: $(VENV)/.installed

$(VENV)/.installed: requirements.lock pyproject.toml
	test -x $(PY) || python3 -m venv $(VENV)
	$(PY) -m pip install -q uv==0.13.9
	$(UV) pip sync -q --python $(PY) requirements.lock
	$(UV) pip install -q --python $(PY) --no-deps -e .
	touch $@

run: setup  ## ingest the bundled seeds into ./data
	$(VENV)/bin/newsetl run $(ARGS)

test: setup  ## the whole test suite (real flows, real DuckDB, real Parquet)
	$(PY) -m pytest $(PYTEST_ARGS)

lint: setup
	$(VENV)/bin/ruff check .
	$(VENV)/bin/ruff format --check .

format: setup
	$(VENV)/bin/ruff check --fix .
	$(VENV)/bin/ruff format .

bench: setup
	for b in bench/*.py; do echo "== $$b"; $(PY) $$b || exit 1; done

lock:  ## re-resolve requirements.lock from pyproject.toml
	$(UV) pip compile -q --python $(PY) --extra dev pyproject.toml -o requirements.lock

clean:
	rm -rf data .prefect .pytest_cache
