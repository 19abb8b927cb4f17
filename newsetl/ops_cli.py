"""Operations commands for the newsetl CLI: serve, maintain and report (newsetl/cli.py adds them)."""

from __future__ import annotations

import argparse
import os
import sys

PREFECT_DEFAULTS = {
    "PREFECT_SERVER_ANALYTICS_ENABLED": "false",
    "PREFECT_LOGGING_LEVEL": "WARNING",
    "PREFECT_SERVER_LOGGING_LEVEL": "WARNING",
    "PREFECT_SERVER_EPHEMERAL_STARTUP_TIMEOUT_SECONDS": "300",
}


def _cmd_serve(args: argparse.Namespace) -> int:
    os.environ.setdefault("PREFECT_SERVER_ANALYTICS_ENABLED", "false")
    from flows.serve import serve_all
    from newsetl.sources import ConfigError

    try:
        serve_all(config=args.config)
    except (ConfigError, RuntimeError) as exc:
        print(f"newsetl serve: {exc}", file=sys.stderr)
        return 2
    return 0


def _cmd_maintain(args: argparse.Namespace) -> int:
    for key, value in PREFECT_DEFAULTS.items():
        os.environ.setdefault(key, value)
    from flows.maintenance import maintenance

    try:
        result = maintenance(
            data_dir=args.data_dir,
            lake=args.lake,
            keep_runs_days=args.keep_runs_days,
            compact_target_rows=args.target_rows,
            config=args.config,
        )
    except Exception as exc:  # noqa: BLE001
        print(f"newsetl maintain: {type(exc).__name__}: {exc}", file=sys.stderr)
        return 1
    for table, s in result["tables"].items():
        print(f"{table}: {s['files_before']} -> {s['files_after']} files")
    print(f"runs pruned: {len(result['pruned_runs'])}; orphans removed: {result.get('orphans_removed', 0)}")
    return 0


def _cmd_report(args: argparse.Namespace) -> int:
    import duckdb

    from newsetl.config import Paths
    from newsetl.report import build_report
    from newsetl.sources import ConfigError, load_config
    from warehouse.db import WarehouseBusy

    try:
        paths = Paths.resolve(load_config(args.config).resolve_data_dir(args.data_dir))
        out = build_report(paths.db, args.out)
    except (duckdb.Error, FileNotFoundError, WarehouseBusy, ConfigError) as exc:
        print(f"newsetl report: {exc}", file=sys.stderr)
        return 2
    print(out.absolute())
    return 0


def command(
    subparsers: argparse._SubParsersAction, name: str, summary: str, description: str, example: str
) -> argparse.ArgumentParser:
    """A subcommand whose --help shows its description and an example, as plain text."""
    return subparsers.add_parser(
        name,
        help=summary,
        description=description,
        epilog=example,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )


def add_commands(subparsers: argparse._SubParsersAction) -> None:
    """Add serve, maintain and report to the newsetl command line."""
    serve = command(
        subparsers,
        "serve",
        "serve the hourly ingest and nightly maintenance schedules (needs PREFECT_API_URL)",
        """\
Register the hourly ingest and nightly maintenance deployments with the Prefect API at $PREFECT_API_URL
and run their scheduled flow runs until interrupted. Sources, data dir, crons and retention come from the
config file.""",
        """\
example:
  prefect server start --host 127.0.0.1 &
  export PREFECT_API_URL=http://127.0.0.1:4200/api
  newsetl serve --config newsetl.toml""",
    )
    serve.add_argument("--config", help="config file (default $NEWSETL_CONFIG or ./newsetl.toml)")
    serve.set_defaults(func=_cmd_serve)

    maintain = command(
        subparsers,
        "maintain",
        "run the maintenance flow once (compaction, retention, CHECKPOINT)",
        """\
Run the maintenance flow once: compact small Parquet files of the lake, delete runs older than the
retention, remove orphan lake files and CHECKPOINT the DuckDB file. Prints the files per table before and
after.""",
        """\
example:
  newsetl maintain --data-dir data --keep-runs-days 30""",
    )
    maintain.add_argument("--data-dir", help="lake + DuckDB location (default $NEWSETL_DATA_DIR, config, ./data)")
    maintain.add_argument(
        "--lake", help="Parquet lake path or fsspec URL (default: config, $NEWSETL_LAKE, <data-dir>/lake)"
    )
    maintain.add_argument("--config", help="config file (default $NEWSETL_CONFIG or ./newsetl.toml)")
    maintain.add_argument("--keep-runs-days", type=int, help="keep runs rows this many days (default: config, 90)")
    maintain.add_argument("--target-rows", type=int, help="rows per compacted Parquet file (default: config)")
    maintain.set_defaults(func=_cmd_maintain)

    report = command(
        subparsers,
        "report",
        "write a static, self-contained HTML report of the warehouse",
        """\
Write one HTML file with charts of the warehouse (entity timelines, language mix, co-occurrence network)
that opens without a server or internet access. Prints the file's path.""",
        """\
example:
  newsetl report --out report.html && xdg-open report.html""",
    )
    report.add_argument("--out", default="report.html", help="output file (default report.html)")
    report.add_argument("--data-dir", help="lake + DuckDB location (default $NEWSETL_DATA_DIR, config, ./data)")
    report.add_argument("--config", help="config file (default $NEWSETL_CONFIG or ./newsetl.toml)")
    report.set_defaults(func=_cmd_report)
