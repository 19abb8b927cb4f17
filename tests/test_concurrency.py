"""Crash recovery and concurrent runs, with real `newsetl run` processes against the test Prefect server.

Reference: the `seeded` warehouse (an uninterrupted run over the same inputs). A run SIGKILLed after its
first loaded batch, then run again, and two runs started at the same time on one data dir, must both
end with tables identical to it: no lost document, no duplicate row, no orphan or temp file.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys

import pytest

from warehouse import db


@pytest.fixture
def cli_env(prefect_harness, tmp_path):
    from prefect.settings import PREFECT_API_URL

    return os.environ | {"PREFECT_API_URL": PREFECT_API_URL.value(), "PREFECT_HOME": str(tmp_path / "prefect")}


def _newsetl(args: list[str], env: dict) -> subprocess.Popen:
    return subprocess.Popen(
        [sys.executable, "-m", "newsetl.cli", *args], env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
        text=True, start_new_session=True,
    )  # fmt: skip


def test_killed_run_resumes_to_identical_tables(seeded, cli_env, tmp_path):
    data_dir = tmp_path / "data"
    args = ["run", str(seeded["inputs"]), "--data-dir", str(data_dir), "--batch-size", "3", "--workers", "1"]
    proc = _newsetl(args, cli_env)
    for line in proc.stdout:
        if " - batch 1/" in line:
            os.killpg(proc.pid, signal.SIGKILL)
            break
    proc.wait()
    assert proc.returncode == -signal.SIGKILL, "the run finished before it could be killed"
    with db.connect(data_dir / "newsetl.duckdb", read_only=True) as con:
        partial = con.execute("select count(*) from documents").fetchone()[0]
    assert 0 < partial < 6

    resumed = _newsetl(args, cli_env)
    out = resumed.communicate()[0]
    assert resumed.returncode == 0, out
    assert "skipped" in out
    assert db.fingerprint(data_dir / "newsetl.duckdb") == db.fingerprint(seeded["db"])
    assert not list((data_dir / "lake").rglob("*.tmp"))
    statuses = db.query(data_dir / "newsetl.duckdb", "select status from runs order by started_at")[1]
    assert statuses == [("interrupted",), ("completed",)]


def test_two_concurrent_runs_on_one_data_dir(seeded, cli_env, tmp_path):
    data_dir = tmp_path / "data"
    args = ["run", str(seeded["inputs"]), "--data-dir", str(data_dir), "--batch-size", "2", "--workers", "1"]
    first, second = _newsetl(args, cli_env), _newsetl(args, cli_env)
    outs = [p.communicate()[0] for p in (first, second)]
    assert [first.returncode, second.returncode] == [0, 0], outs
    assert db.fingerprint(data_dir / "newsetl.duckdb") == db.fingerprint(seeded["db"])
    runs = db.query(data_dir / "newsetl.duckdb", "select status, n_loaded, n_skipped from runs order by started_at")[1]
    assert sorted(runs) == [("completed", 0, 6), ("completed", 6, 0)]
