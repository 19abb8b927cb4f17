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
from collections import Counter
from datetime import UTC, datetime
from typing import TYPE_CHECKING

from newsetl.config import Paths

if TYPE_CHECKING:
    from tasks.extract import Listing

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


def nothing_to_do(sources: list[str], paths: Paths) -> Listing | None:
    """The flow's listing of ``sources`` when a run over them would change nothing in the warehouse; ``None`` when
    it has work, or when that is not certain after a few cheap checks (a URL, a reject, a busy warehouse…)."""
    from tasks.extract import SourceState, is_slice, is_url, list_inputs, split_unchanged

    if not paths.db.exists() or any(is_url(s) for s in sources):
        return None  # a URL's bytes are only known by fetching it: that is the flow's work
    import duckdb

    from newsetl.version import PIPELINE_VERSION
    from tasks.load import reference_version
    from warehouse import db

    try:
        # the flow's own listing: unsupported files are counted as ignored, unchanged record and WARC files skipped
        listing = list_inputs(
            sources, state=SourceState(*db.source_state(paths.db, PIPELINE_VERSION), PIPELINE_VERSION)
        )
        if listing.rejects or any(is_url(u) or is_slice(u) for u in listing.items):
            return None  # a reject is recorded by a run; a URL or a changed container is the flow's work
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
    split = split_unchanged(listing.items, known.raw_hashes, known.stamps)
    if split.todo or split.restamps:
        return None
    return listing


def record_unchanged(paths: Paths, sources: list[str], listing: Listing, started_at: datetime) -> dict:
    """Record a run that found nothing to do; returns the run's summary (as the flow returns it), with every input
    accounted for per source as the flow does: skipped (unchanged) or ignored (not an article)."""
    from newsetl.version import PIPELINE_VERSION
    from warehouse import db

    run_id = str(uuid.uuid4())
    by_source = {
        s: Counter(loaded=0, skipped=listing.skipped[s], rejected=0, ignored=listing.ignored[s]) for s in sources
    }
    for uri in listing.items:
        by_source[listing.source_of[uri]]["skipped"] += 1
    skipped, ignored = sum(c["skipped"] for c in by_source.values()), listing.ignored.total()
    counts = {"seen": skipped + ignored, "loaded": 0, "skipped": skipped, "rejected": 0, "ignored": ignored}
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
    summary = db.summary(paths.db, run_id) | {"run_id": run_id, "counts": counts, "seconds": seconds}
    return summary | {"by_source": {source: dict(c) for source, c in by_source.items()}}


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
            listing = nothing_to_do(sources, paths)
            return None if listing is None else record_unchanged(paths, sources, listing, started_at)
    except TimeoutError:
        return None
