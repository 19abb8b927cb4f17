"""DuckDB side of the nightly maintenance (``flows/maintenance.py``): every statement goes through
:func:`warehouse.db.connect`, like the rest of the warehouse code.

- compacted lake files are registered in ``batches`` (so that ``tasks.load.remove_orphans`` keeps
  them) with ``n_docs = 0``: their documents were already counted by the batches that loaded them;
- ``CHECKPOINT`` folds the WAL into the database file;
- old ``runs`` rows are pruned, except those that current documents or rejects still point to.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path

from warehouse import db

COMPACT_PREFIX = "compact-"


def register_compact(db_path: Path, compact_key: str, run_id: str) -> None:
    """Record a compacted lake file as a loaded batch (idempotent)."""
    if not compact_key.startswith(COMPACT_PREFIX):
        raise ValueError(f"not a compacted file key: {compact_key}")
    with db.connect(db_path) as con:
        con.execute("insert or replace into batches values (?, ?, 0, ?)", [compact_key, run_id, datetime.now(UTC)])


def unregister_compact(db_path: Path, compact_keys: list[str]) -> int:
    """Forget compacted files that were folded into others (their files are already gone)."""
    keys = [k for k in compact_keys if k.startswith(COMPACT_PREFIX)]
    if not keys:
        return 0
    with db.connect(db_path) as con:
        con.execute("delete from batches where batch_key in (select unnest(?))", [keys])
    return len(keys)


def document_batch_keys(db_path: Path) -> frozenset[str]:
    """The batch keys that current documents were loaded from (each must still be in the lake)."""
    if not Path(db_path).exists():
        return frozenset()
    with db.connect(db_path) as con:
        return frozenset(r[0] for r in con.execute("select distinct batch_key from documents").fetchall())


def checkpoint(db_path: Path) -> dict[str, int]:
    """Run ``CHECKPOINT``; returns the size of the database file and its WAL before and after."""
    db_path = Path(db_path)
    wal = db_path.with_name(db_path.name + ".wal")

    def sizes() -> tuple[int, int]:
        return (db_path.stat().st_size if db_path.exists() else 0, wal.stat().st_size if wal.exists() else 0)

    db_before, wal_before = sizes()
    with db.connect(db_path) as con:
        con.execute("checkpoint")
    db_after, wal_after = sizes()
    return {"db_before": db_before, "wal_before": wal_before, "db_after": db_after, "wal_after": wal_after}


def prune_runs(db_path: Path, keep_days: int, now: datetime | None = None) -> list[str]:
    """Delete ``runs`` rows that started more than ``keep_days`` ago, unless a current document or
    reject still carries their ``run_id`` (that provenance stays). Returns the deleted run ids."""
    if keep_days < 0:
        raise ValueError("keep_days must be >= 0")
    cutoff = (now or datetime.now(UTC)) - timedelta(days=keep_days)
    with db.transaction(db_path) as con:
        rows = con.execute(
            """select run_id from runs
            where started_at < ?
              and run_id not in (select run_id from documents)
              and run_id not in (select run_id from rejects)
            order by started_at""",
            [cutoff],
        ).fetchall()
        ids = [r[0] for r in rows]
        if ids:
            con.execute("delete from runs where run_id in (select unnest(?))", [ids])
    return ids


def table_counts(db_path: Path) -> dict[str, int]:
    """Rows per warehouse table (for the maintenance report)."""
    tables = (*db.DOC_TABLES, "document_versions", "entities", "entity_aliases", "rejects", "runs", "batches")
    with db.connect(db_path, read_only=True) as con:
        return {t: con.execute(f"select count(*) from {t}").fetchone()[0] for t in tables}


def refresh_views(db_path: Path) -> None:
    """Open the warehouse read-write once, which (re)creates the schema and every view file."""
    with db.connect(db_path):
        pass
