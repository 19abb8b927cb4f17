"""Shared fixtures: one real Prefect test server per session, and one real ingest of the seeds."""

from __future__ import annotations

import os
import shutil
from pathlib import Path

import pytest

os.environ.setdefault("PREFECT_SERVER_ANALYTICS_ENABLED", "false")
os.environ.setdefault("PREFECT_LOGGING_LEVEL", "WARNING")

ROOT = Path(__file__).resolve().parent.parent
RESOURCES = Path(__file__).parent / "resources"
SEEDS = ROOT / "seeds" / "corpus"


@pytest.fixture(scope="session")
def prefect_harness():
    from prefect.testing.utilities import prefect_test_harness

    with prefect_test_harness(server_startup_timeout=120):
        yield


@pytest.fixture(scope="session")
def seeded(prefect_harness, tmp_path_factory):
    """The seeds plus a few bad inputs, ingested once by the real flow into a real data dir."""
    from flows.ingest import run_ingest

    inputs = tmp_path_factory.mktemp("inputs")
    shutil.copytree(SEEDS, inputs / "seeds")
    shutil.copytree(RESOURCES / "bad", inputs / "bad")
    data_dir = tmp_path_factory.mktemp("data")
    summary = run_ingest([str(inputs)], str(data_dir), batch_size=3, workers=2)  # the CLI's process pool
    return {"inputs": inputs, "data_dir": data_dir, "db": data_dir / "newsetl.duckdb", "summary": summary}


@pytest.fixture
def sql(seeded):
    """Run a read-only query against the seeded warehouse; returns a list of tuples."""
    from warehouse import db

    def run(query: str, params: list | None = None) -> list[tuple]:
        return db.query(seeded["db"], query, params)[1]

    return run
