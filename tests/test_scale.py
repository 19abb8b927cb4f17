"""Scale-out and incremental runs: a real Dask LocalCluster through prefect-dask, skip and reprocess rules, and the
process pool whose workers share preloaded models."""

from __future__ import annotations

import os
import shutil
import time
from pathlib import Path

from prefect import flow, task

from tests.conftest import SEEDS
from warehouse import db


def _count(data_dir, sql="select count(*) from documents"):
    return db.query(data_dir / "newsetl.duckdb", sql)[1][0][0]


def test_dask_runner_and_incremental_runs(prefect_harness, tmp_path, monkeypatch):
    import flows.ingest as ingest_flow

    corpus = tmp_path / "corpus"
    corpus.mkdir()
    for seed in sorted(SEEDS.glob("*.txt"))[:3]:
        shutil.copy(seed, corpus)
    data_dir = tmp_path / "data"

    first = ingest_flow.run_ingest([str(corpus)], str(data_dir), batch_size=1, workers=2, runner="dask")
    assert first["counts"] == {"seen": 3, "loaded": 3, "skipped": 0, "rejected": 0, "ignored": 0}
    assert _count(data_dir) == 3
    assert _count(data_dir, "select count(distinct batch_key) from documents") == 3

    # unchanged inputs are skipped before any parsing; a changed file is reprocessed
    (corpus / "extra.txt").write_text("Hulusi Akar ile Sergey Şoygu bugün Ankara'da görüştü.\n", encoding="utf-8")
    time.sleep(2.1)  # settled (tasks.extract.SETTLE_NS), so that its stamp is recorded however fast the runs are
    second = ingest_flow.run_ingest([str(corpus)], str(data_dir), batch_size=2, workers=1)
    assert second["counts"]["loaded"] == 1 and second["counts"]["skipped"] == 3
    assert _count(data_dir) == 4

    # a new pipeline version reprocesses everything, replacing rows instead of adding them
    monkeypatch.setattr(ingest_flow, "PIPELINE_VERSION", "test-new-version")
    third = ingest_flow.run_ingest([str(corpus)], str(data_dir), batch_size=2, workers=1)
    assert third["counts"]["loaded"] == 4 and third["counts"]["skipped"] == 0
    assert _count(data_dir) == 4
    assert _count(data_dir, "select count(*) from documents where pipeline_version = 'test-new-version'") == 4
    assert _count(data_dir, "select count(*) - count(distinct (doc_id, sent_idx)) from sentences") == 0

    # the files' stamps were recorded (size, mtime, ctime): unchanged files are skipped without a read, and a file
    # rewritten in place with the same size is read and reprocessed
    assert _count(data_dir, "select count(file_stamp) from inputs") == 4
    target = sorted(corpus.glob("*.txt"))[0]
    before = target.read_bytes()
    target.write_bytes(before.replace(b"telefon", b"telafon", 1))  # in the article's text
    assert target.stat().st_size == len(before)
    import tasks.extract as extract_mod

    reads, read_file = [], extract_mod.read_file
    monkeypatch.setattr(extract_mod, "read_file", lambda uri: reads.append(uri) or read_file(uri))
    fourth = ingest_flow.run_ingest([str(corpus)], str(data_dir), batch_size=2, workers=1)
    assert fourth["counts"]["loaded"] == 1 and fourth["counts"]["skipped"] == 3, (fourth["counts"], reads)
    assert set(reads) == {str(target)}


@task
def _worker_facts() -> dict:
    import multiprocessing
    import os
    import sys

    from tasks.enrich import ner

    return {
        "pid": os.getpid(),
        "start_method": multiprocessing.get_start_method(allow_none=True),
        "preloaded": "newsetl.preload" in sys.modules,
        "taggers": sorted(ner.loaded_taggers()),
    }


@flow
def _probe_workers(n: int) -> list[dict]:
    return [f.result() for f in [_worker_facts.submit() for _ in range(n)]]


def test_workers_are_forked_from_a_server_that_loaded_the_models(prefect_harness):
    """``newsetl run``'s process pool: workers come from the forkserver that imported newsetl.preload, so the
    NER models (and the rest) are in memory before a worker runs its first batch, shared copy-on-write."""
    from newsetl.runner import SharedModelsTaskRunner

    facts = _probe_workers.with_options(task_runner=SharedModelsTaskRunner(max_workers=2))(4)
    assert all(f["pid"] != os.getpid() for f in facts)
    assert {f["start_method"] for f in facts} == {"forkserver"}
    assert all(f["preloaded"] for f in facts)
    assert all({"tr", "ar", "en", "ru", "fr"} <= set(f["taggers"]) for f in facts), facts


@flow
def _release_after_batches(n: int) -> dict:
    from multiprocessing import forkserver

    from newsetl.runner import release_workers

    pids = {f.result()["pid"] for f in [_worker_facts.submit() for _ in range(n)]}
    release_workers()
    return {"pids": pids, "forkserver": forkserver._forkserver._forkserver_pid}


def test_release_workers_stops_the_pool_and_its_forkserver(prefect_harness):
    """The ingest flow calls release_workers() after its last batch, before stories run in the flow process: the
    workers and the forkserver (the models: ~1 GB) are gone, and the flow still ends cleanly."""
    from newsetl.runner import SharedModelsTaskRunner

    out = _release_after_batches.with_options(task_runner=SharedModelsTaskRunner(max_workers=2))(4)
    assert out["forkserver"] is None
    deadline = time.monotonic() + 10
    while any(Path(f"/proc/{pid}").exists() for pid in out["pids"]) and time.monotonic() < deadline:
        time.sleep(0.1)
    assert not [pid for pid in out["pids"] if Path(f"/proc/{pid}").exists()]
