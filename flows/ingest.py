"""The ingest flow: sources -> batches -> extract -> clean+segment -> enrich -> Parquet -> DuckDB.

Only composition lives here; every step is a task from ``tasks/``. Batches (not documents) are task
runs, so orchestration stays a small share of the run time.
"""

from __future__ import annotations

import json
import os
import time
import uuid
from collections import Counter, deque
from datetime import UTC, datetime
from itertools import islice

from prefect import flow, get_run_logger, task
from prefect.artifacts import (
    create_markdown_artifact,
    create_progress_artifact,
    create_table_artifact,
    update_progress_artifact,
)
from prefect.futures import PrefectFuture
from prefect.runtime import flow_run

from newsetl.config import Paths
from newsetl.report import build_run_report
from newsetl.runner import SharedModelsTaskRunner, release_workers
from newsetl.version import PIPELINE_VERSION
from tasks import load
from tasks.extract import SourceState, is_slice, is_url, list_inputs, make_batches, skip_unchanged, unread_containers
from tasks.process import Processed, dedupe, process_batch
from tasks.stories import update_stories
from warehouse import db


@task(name="list-sources")
def list_sources_task(sources: list[str], per_slice: int = 100, db_path=None):  # noqa: ANN001, ANN201
    """Files, URLs, container slices, and the articles of feeds and sitemaps (fetched politely, conditionally)."""
    state = SourceState(*db.source_state(db_path, PIPELINE_VERSION), PIPELINE_VERSION) if db_path else None
    return list_inputs(sources, per_slice, state)


@task(name="prepare-warehouse", retries=3, retry_delay_seconds=[2, 10, 30], retry_condition_fn=load.is_transient)
def prepare_warehouse(paths: Paths, run_id: str) -> db.KnownInputs:
    """Create the schema, close out interrupted runs and their orphan lake files; return what this pipeline
    version already loaded: the incremental skip sets."""
    db.mark_interrupted_runs(paths.db, run_id)
    load.remove_orphans(paths.lake, paths.db)
    return db.known_inputs(paths.db, PIPELINE_VERSION)


@flow(name="ingest", log_prints=True)
def ingest(
    sources: list[str] | None = None,
    data_dir: str | None = None,
    batch_size: int = 100,
    max_in_flight: int = 2,
    lake: str | None = None,
) -> dict:
    """Ingest news documents from files, directories, globs or http(s) URLs (default: the bundled seeds).

    ``lake``: where the Parquet files go, a path or fsspec URL (default ``$NEWSETL_LAKE`` or ``<data_dir>/lake``).
    ``max_in_flight`` batches are processed concurrently by the task runner (see :func:`run_ingest`).
    """
    logger = get_run_logger()
    paths = Paths.resolve(data_dir, lake)
    sources = sources or [str(paths.corpus)]
    run_id = flow_run.get_id() or str(uuid.uuid4())
    run = {
        "run_id": run_id,
        "flow_run_id": flow_run.get_id(),
        "started_at": datetime.now(UTC),
        "status": "running",
        "pipeline_version": PIPELINE_VERSION,
        "sources": " ".join(sources),
    }
    counts = Counter(seen=0, loaded=0, skipped=0, rejected=0, ignored=0)
    by_source: dict[str, Counter] = {s: Counter(loaded=0, skipped=0, rejected=0, ignored=0) for s in sources}
    timings: Counter = Counter()  # seconds per stage, summed over batches (for bench/throughput.py)
    n_done = 0

    def finish(status: str) -> None:
        counts["seen"] = sum(counts[k] for k in ("loaded", "skipped", "rejected", "ignored"))
        run.update(status=status, finished_at=datetime.now(UTC), **{f"n_{k}": v for k, v in counts.items()})
        run["stage_seconds"] = json.dumps({k: round(v, 3) for k, v in timings.items()})
        db.record_run(paths.db, run)

    with load.run_lock(paths.data_dir):
        db.record_run(paths.db, run)
        try:
            t0 = time.perf_counter()
            known = prepare_warehouse(paths, run_id)
            timings["prepare"] += time.perf_counter() - t0
            listing = list_sources_task(sources, batch_size, paths.db)
            source_rejects, source_of = listing.rejects, listing.source_of
            for source in sources:
                by_source[source].update(
                    ignored=listing.ignored[source], rejected=listing.rejected[source], skipped=listing.skipped[source]
                )
            counts.update(
                ignored=listing.ignored.total(), rejected=len(source_rejects), skipped=listing.skipped.total()
            )
            split = skip_unchanged(listing.items, known.raw_hashes, known.stamps)
            uris = split.todo
            counts["skipped"] += len(split.unchanged)
            for uri in split.unchanged:
                by_source[source_of[uri]]["skipped"] += 1
            logger.info("%d inputs unchanged, %d to process", len(split.unchanged), len(uris))
            if split.restamps:  # found unchanged by their hash (touched, or too fresh last time): stamp them now
                load.restamp_inputs(paths.db, split.restamps)
            batches = make_batches(uris, batch_size, source_of) or [[]]
            progress = create_progress_artifact(0.0, key="ingest-progress", description="batches loaded")
            seen_ids = set(known.doc_ids)  # a document already loaded from another input is a duplicate

            # Each batch's URIs go to the task runner's workers, which extract, clean+segment and enrich it (CPU, one
            # task run per batch); write and load happen here, in order (the single writer). A bounded window of
            # batches in flight keeps memory flat.
            def submit(batch: list[str]) -> PrefectFuture | None:
                if not batch:
                    return None
                # the skip set is only needed for URLs (skip_unchanged checked the files): don't ship it otherwise
                known_here = known.raw_hashes if any(is_url(u) or is_slice(u) for u in batch) else {}
                hints = {u: listing.hints[u] for u in batch if u in listing.hints} or None
                return process_batch.submit(batch, known_here, paths.seeds, hints)

            pending = iter(batches)
            batch_sources = deque(source_of.get(b[0]) if b else None for b in batches)
            unread: set[str] = set()  # container files a slice of which could not be read: not recorded as read
            window = deque(submit(b) for b in islice(pending, max_in_flight))
            # after the first submissions: the workers' models load meanwhile (the first batch's wait)
            t0 = time.perf_counter()
            load.load_reference(paths.db, paths.lake, paths.seeds)
            timings["prepare"] += time.perf_counter() - t0
            while window:
                future = window.popleft()
                if (upcoming := next(pending, None)) is not None:
                    window.append(submit(upcoming))
                processed = Processed([], []) if future is None else future.result()
                docs, duplicates = load.split_updates(*dedupe(processed.docs, seen_ids), known.doc_ids)
                first = n_done == 0
                rejects = processed.rejects + (source_rejects if first else [])
                source = batch_sources.popleft()
                unread |= unread_containers(processed.rejects)
                if docs or rejects or duplicates:  # a batch of unchanged inputs has nothing to write
                    t0 = time.perf_counter()
                    key, files = load.write_batch(
                        Processed(docs, rejects), run_id, paths.lake, PIPELINE_VERSION, duplicates
                    )
                    t1 = time.perf_counter()
                    loaded = load.load_batch(paths.db, paths.lake, files, key, run_id)
                    seen_ids -= loaded.removed  # earlier versions gone: an input yielding one again reloads it
                    timings.update(write=t1 - t0, load=time.perf_counter() - t1)
                if fetched := [d.fetch for d in processed.docs if d.fetch]:  # validators for the next conditional GET
                    db.save_fetch_state(paths.db, fetched)
                n_done += 1
                skipped = len(processed.skipped) + len(duplicates)
                counts.update(loaded=len(docs), skipped=skipped, rejected=len(processed.rejects))
                counts["ignored"] += processed.ignored
                if source is not None:
                    by_source[source].update(
                        loaded=len(docs), skipped=skipped, rejected=len(processed.rejects), ignored=processed.ignored
                    )
                timings.update(processed.seconds)
                update_progress_artifact(progress, 100.0 * n_done / len(batches))
                logger.info(
                    "batch %d/%d: %d loaded, %d skipped, %d rejected",
                    n_done,
                    len(batches),
                    len(docs),
                    skipped,
                    len(rejects),
                )
            # feeds and container files last: a crash before this re-reads them in full
            db.save_fetch_state(paths.db, [r for r in listing.fetch_rows if r["url"] not in unread])
            release_workers()  # the models' memory goes before stories run in this process
            t0 = time.perf_counter()
            story_counts = update_stories(paths.db)  # one pass over the new documents (cheaper than per batch)
            timings["stories"] += time.perf_counter() - t0
            logger.info("stories: %s", story_counts)
        except BaseException:
            finish("failed")
            raise
        finish("completed")
    summary = db.summary(paths.db, run_id) | {"run_id": run_id, "counts": dict(counts), "seconds": dict(timings)}
    summary["by_source"] = {source: dict(c) for source, c in by_source.items()}
    publish_artifacts(summary, paths.db)
    return summary


def publish_artifacts(summary: dict, db_path) -> None:  # noqa: ANN001
    counts = summary["counts"]
    create_table_artifact(
        key="ingest-summary",
        table=[{"what": k, "count": v} for k, v in counts.items()]
        + [{"what": f"documents in {lang}", "count": n} for lang, n in summary["languages"]]
        + [
            {"what": f"{what} from {source}", "count": n}
            for source, c in summary.get("by_source", {}).items()
            for what, n in c.items()
        ],
        description="Inputs seen, loaded, skipped (unchanged), rejected and ignored (not articles) in this run, "
        "in all and per source",
    )
    lines = ["# newsetl ingest", "", f"Run `{summary['run_id']}`", "", "## Top entities", ""]
    lines += ["| entity | label | mentions | documents |", "|---|---|---|---|"]
    lines += [f"| {name} | {label} | {n} | {docs} |" for name, label, n, docs in summary["top_entities"]]
    lines += ["", "## Rejects", ""]
    lines += [f"- `{uri}`: **{reason}** — {detail}" for uri, reason, detail in summary["rejects"]] or ["none"]
    create_markdown_artifact(key="ingest-report", markdown="\n".join(lines), description="Entities and rejects")
    create_markdown_artifact(
        key="ingest-run-report",
        markdown=build_run_report(db_path, summary["run_id"]),
        description="Documents per language, new entities, rejects by reason",
    )


def run_ingest(
    sources: list[str] | None = None,
    data_dir: str | None = None,
    batch_size: int = 100,
    workers: int | None = None,
    runner: str = "process",
    address: str | None = None,
    lake: str | None = None,
) -> dict:
    """Run :func:`ingest` on a task runner that uses every core (processes, not threads: the GIL holds in the
    models): a local process pool of ``workers`` (default), or a Dask cluster through prefect-dask — a
    LocalCluster of ``workers`` single-threaded worker processes, or the scheduler at ``address``."""
    workers = workers or os.cpu_count() or 1
    if runner == "dask":
        from prefect_dask import DaskTaskRunner

        kwargs = {"n_workers": workers, "threads_per_worker": 1, "processes": True, "dashboard_address": None}
        task_runner = DaskTaskRunner(address=address) if address else DaskTaskRunner(cluster_kwargs=kwargs)
        in_flight = 2 * workers
    elif workers <= 1:
        return ingest(sources, data_dir, batch_size, max_in_flight=1, lake=lake)
    else:
        task_runner = SharedModelsTaskRunner(max_workers=workers)
        in_flight = workers + 1
    return ingest.with_options(task_runner=task_runner)(
        sources, data_dir, batch_size, max_in_flight=in_flight, lake=lake
    )
