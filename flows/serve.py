"""Schedules: the hourly incremental ingest and the nightly maintenance, served by ``newsetl serve``.

``serve_all()`` registers two deployments with the Prefect API named by ``PREFECT_API_URL`` and runs
their scheduled flow runs in this process (``prefect.serve``) until interrupted::

    prefect server start --host 127.0.0.1                     # terminal 1 (UI: http://127.0.0.1:4200)
    export PREFECT_API_URL=http://127.0.0.1:4200/api          # terminal 2
    newsetl serve                                             # or: newsetl serve --config /etc/newsetl.toml

- ``ingest-scheduled/ingest-hourly`` (cron ``[schedule] ingest_cron``, default hourly): runs the
  ``ingest`` flow (``flows.ingest.run_ingest``: a process pool of ``workers``) as a subflow on the
  sources of the config file; unchanged documents are skipped;
- ``maintenance/maintenance-nightly`` (cron ``[schedule] maintenance_cron``, default 03:30): lake
  compaction, consistency check, run retention, CHECKPOINT (``flows/maintenance.py``).

Both deployments carry the config file's path, not its contents: every run reads the file again, so
editing sources takes effect at the next run without restarting ``newsetl serve``. Both have a
concurrency limit of 1; ingest and maintenance of one data dir also exclude each other with the data
dir's run lock. For workers instead of a serving process, see ``prefect.yaml`` (same flows).
Without ``PREFECT_API_URL`` Prefect would start a temporary server that dies with the process, so
``serve_all`` refuses to run without one unless ``allow_ephemeral=True``.
"""

from __future__ import annotations

import os

from prefect import flow, serve
from prefect.deployments.runner import RunnerDeployment
from prefect.schedules import Cron

from flows.ingest import run_ingest
from flows.maintenance import maintenance
from newsetl.sources import Config, load_config


@flow(name="ingest-scheduled", log_prints=True)
def scheduled_ingest(config: str | None = None) -> dict:
    """Ingest the sources listed in the config file (read at run time), incrementally."""
    cfg = load_config(config)
    cfg.apply_fetch_settings()  # user agent, per-host delay and concurrency, robots.txt: for the workers too
    print(f"config {cfg.path or '(none: defaults)'}: {len(cfg.uris)} source URIs -> {cfg.resolve_data_dir() or 'data'}")
    # the same process-pool ingest as `newsetl run` (a subflow with its own task runner)
    return run_ingest(cfg.uris or None, cfg.resolve_data_dir(), cfg.batch_size, cfg.workers, lake=cfg.resolve_lake())


def deployments(config: str | os.PathLike | None = None) -> tuple[RunnerDeployment, RunnerDeployment]:
    cfg: Config = load_config(config)
    params = {"config": str(cfg.path) if cfg.path else None}
    hourly = scheduled_ingest.to_deployment(
        name="ingest-hourly",
        schedules=[Cron(cfg.ingest_cron, timezone=cfg.timezone)],
        parameters=params,
        concurrency_limit=1,
        description="Incremental ingest of the sources in the newsetl config file (unchanged documents are skipped).",
        tags=["newsetl", "ingest"],
    )
    nightly = maintenance.to_deployment(
        name="maintenance-nightly",
        schedules=[Cron(cfg.maintenance_cron, timezone=cfg.timezone)],
        parameters=params,
        concurrency_limit=1,
        description="Compact the Parquet lake, check it against DuckDB, prune old runs, CHECKPOINT.",
        tags=["newsetl", "maintenance"],
    )
    return hourly, nightly


def serve_all(config: str | os.PathLike | None = None, limit: int | None = None, allow_ephemeral: bool = False) -> None:
    """Serve the hourly ingest and the nightly maintenance until interrupted (Ctrl-C)."""
    from prefect.settings import PREFECT_API_URL

    if not PREFECT_API_URL.value() and not allow_ephemeral:
        raise RuntimeError(
            "PREFECT_API_URL is not set: start `prefect server start --host 127.0.0.1` and "
            "`export PREFECT_API_URL=http://127.0.0.1:4200/api` (or use Prefect Cloud)"
        )
    serve(*deployments(config), limit=limit)


if __name__ == "__main__":
    serve_all()
