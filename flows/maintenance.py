"""The nightly maintenance flow: orphans -> lake compaction -> run retention -> CHECKPOINT -> consistency check.

Only composition lives here; the tasks are in ``tasks/maintain.py`` (compaction design in its
docstring) and every DuckDB statement in ``warehouse/maintenance.py``. The flow holds the data dir's
``run_lock`` throughout, so it never overlaps an ingest of the same warehouse (either waits).
"""

from __future__ import annotations

import uuid

from prefect import flow, get_run_logger
from prefect.artifacts import create_markdown_artifact
from prefect.runtime import flow_run

from newsetl.config import Paths
from newsetl.sources import load_config
from tasks import load, maintain
from warehouse import maintenance as wm


@flow(name="maintenance", log_prints=True)
def maintenance(
    data_dir: str | None = None,
    keep_runs_days: int | None = None,
    compact_target_rows: int | None = None,
    config: str | None = None,
    lake: str | None = None,
) -> dict:
    """Compact the Parquet lake, verify it against DuckDB, prune old ``runs`` rows, CHECKPOINT DuckDB.

    Unset parameters come from the config file (``config``, else ``$NEWSETL_CONFIG``, else ./newsetl.toml).
    """
    logger = get_run_logger()
    cfg = load_config(config)
    paths = Paths.resolve(cfg.resolve_data_dir(data_dir), cfg.resolve_lake(lake))
    keep_days = cfg.keep_runs_days if keep_runs_days is None else keep_runs_days
    target_rows = compact_target_rows or cfg.compact_target_rows
    run_id = f"maintenance:{flow_run.get_id() or uuid.uuid4()}"
    result: dict = {
        "data_dir": str(paths.data_dir),
        "lake": paths.lake.url,
        "tables": {},
        "pruned_runs": [],
        "checkpoint": None,
    }
    if not paths.db.exists():
        logger.warning("no warehouse at %s: nothing to maintain", paths.db)
        return result
    with load.run_lock(paths.data_dir):
        result["orphans_removed"] = maintain.remove_orphans(paths.lake, paths.db)
        for table in maintain.lake_tables(paths.lake):
            result["tables"][table] = maintain.compact(paths.lake, table, paths.db, run_id, target_rows)
        result["pruned_runs"] = maintain.prune_runs(paths.db, keep_days)
        result["checkpoint"] = maintain.checkpoint(paths.db)
        maintain.check(paths.lake, paths.db)  # last, so that a lake problem does not block the rest
    result["counts"] = wm.table_counts(paths.db)
    publish_artifact(result, keep_days)
    return result


def publish_artifact(result: dict, keep_days: int) -> None:
    lines = ["# newsetl maintenance", "", f"Data dir `{result['data_dir']}`", "", "## Lake compaction", ""]
    lines += ["| table | files before | files after | files compacted | leftovers deleted | stale rows dropped |"]
    lines += ["|---|---|---|---|---|---|"]
    for table, s in result["tables"].items():
        lines.append(
            f"| {table} | {s['files_before']} | {s['files_after']} | {s['compacted_files']} "
            f"| {s['leftover_deleted']} | {s['stale_rows_dropped']} |"
        )
    ck = result["checkpoint"] or {}
    lines += [
        "",
        f"Orphan files removed: {result.get('orphans_removed', 0)}",
        "",
        f"Runs pruned (older than {keep_days} days, no documents left): {len(result['pruned_runs'])}",
        "",
        f"CHECKPOINT: database {ck.get('db_before', 0):,} → {ck.get('db_after', 0):,} bytes, "
        f"WAL {ck.get('wal_before', 0):,} → {ck.get('wal_after', 0):,} bytes",
        "",
        "## Warehouse rows",
        "",
        "| table | rows |",
        "|---|---|",
    ]
    lines += [f"| {t} | {n:,} |" for t, n in result.get("counts", {}).items()]
    create_markdown_artifact(key="maintenance-report", markdown="\n".join(lines), description="Nightly maintenance")


if __name__ == "__main__":
    print(maintenance())
