"""Is there any work? What ``newsetl run`` asks before it starts a temporary Prefect server.

Without ``$PREFECT_API_URL``, ``newsetl run`` starts a Prefect server for the command; that takes longer
than an unchanged run itself. So it first makes the flow's own first checks, cheaply: the sources are local
files, each unchanged since this pipeline version loaded it (one ``stat``: the file stamp of
:func:`tasks.extract.split_unchanged`), the reference data is the loaded one, no run was left unfinished and
every document has its stories. When all hold, the run is recorded in ``runs`` (with no ``flow_run_id``) and
the summary printed, with no flow run; anything else, or any doubt, goes to the flow.
"""

from __future__ import annotations

import json
import uuid
from datetime import UTC, datetime

from newsetl.config import Paths

LOCK_WAIT_S = 2.0  # the warehouse held by another process: let the flow wait for it, not this check


def _stories_pending(con) -> bool:  # noqa: ANN001
    from tasks.stories import STORIES_VERSION

    row = con.execute(
        """select (select count(*) from documents d
                   where not exists (select 1 from doc_signatures s
                                     where s.doc_id = d.doc_id and s.stories_version = ?))
                + (select count(*) from doc_signatures where stories_version <> ?)""",
        [STORIES_VERSION, STORIES_VERSION],
    ).fetchone()
    return bool(row[0])


def nothing_to_do(sources: list[str], paths: Paths) -> list[str] | None:
    """The inputs of ``sources`` when a run over them would change nothing in the warehouse; ``None`` when it has
    work, or when that is not certain after a few cheap checks (a URL, a reject, a busy warehouse…)."""
    from tasks.extract import is_url, list_sources, split_unchanged

    if not paths.db.exists() or any(is_url(s) for s in sources):
        return None  # a URL's bytes are only known by fetching it: that is the flow's work
    import duckdb

    from newsetl.version import PIPELINE_VERSION
    from tasks.load import reference_version
    from warehouse import db

    uris, rejects = list_sources(sources)
    if rejects:
        return None  # a reject is recorded by a run
    try:
        with db.connect(paths.db, wait_s=LOCK_WAIT_S) as con:
            last = con.execute("select status from runs order by started_at desc limit 1").fetchone()
            if con.execute("select count(*) from runs where status = 'running'").fetchone()[0]:
                return None  # an interrupted run: the flow marks it and removes its orphan lake files
            if last is None or last[0] != "completed":
                return None
            row = con.execute("select value from meta where key = 'reference_version'").fetchone()
            if row is None or row[0] != reference_version(paths.seeds):
                return None
            if _stories_pending(con):
                return None
    except (duckdb.Error, db.WarehouseBusy):
        return None
    known = db.known_inputs(paths.db, PIPELINE_VERSION)
    split = split_unchanged(uris, known.raw_hashes, known.stamps)
    if split.todo or split.restamps:
        return None
    return uris


def record_unchanged(paths: Paths, sources: list[str], uris: list[str], started_at: datetime) -> dict:
    """Record a run that found nothing to do; returns the run's summary (as the flow returns it)."""
    from newsetl.version import PIPELINE_VERSION
    from warehouse import db

    run_id = str(uuid.uuid4())
    counts = {"seen": len(uris), "loaded": 0, "skipped": len(uris), "rejected": 0, "ignored": 0}
    now = datetime.now(UTC)
    seconds = {"prepare": round((now - started_at).total_seconds(), 3)}
    run = {
        "run_id": run_id,
        "flow_run_id": None,
        "started_at": started_at,
        "finished_at": now,
        "status": "completed",
        "pipeline_version": PIPELINE_VERSION,
        "sources": " ".join(sources),
        "stage_seconds": json.dumps(seconds),
        **{f"n_{k}": v for k, v in counts.items()},
    }
    db.record_run(paths.db, run)
    return db.summary(paths.db, run_id) | {"run_id": run_id, "counts": counts, "seconds": seconds}


def run_if_unchanged(sources: list[str] | None, paths: Paths) -> dict | None:
    """Under the run lock (taken at once or not at all): the summary of a run that had nothing to do, recorded;
    ``None`` when there is work (or another run holds the data dir), for the flow to do."""
    from tasks.load import run_lock

    started_at = datetime.now(UTC)
    sources = list(sources or [str(paths.corpus)])
    if not paths.db.exists():
        return None
    try:
        with run_lock(paths.data_dir, wait_s=0):
            uris = nothing_to_do(sources, paths)
            return None if uris is None else record_unchanged(paths, sources, uris, started_at)
    except TimeoutError:
        return None
