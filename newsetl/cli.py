"""The newsetl command line: run the ingest flow, query the warehouse, serve schedules, maintain, report."""

from __future__ import annotations

import argparse
import contextlib
import csv
import json
import os
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import date, datetime
from decimal import Decimal
from pathlib import Path
from typing import TYPE_CHECKING

from newsetl.ops_cli import add_commands, command

if TYPE_CHECKING:
    from newsetl.config import Paths  # imported where used: it brings pyarrow and fsspec, which --help does not need

PREFECT_DEFAULTS = {
    "PREFECT_SERVER_ANALYTICS_ENABLED": "false",
    "PREFECT_LOGGING_LEVEL": "WARNING",
    "PREFECT_SERVER_LOGGING_LEVEL": "CRITICAL",
    "PREFECT_LOGGING_LOGGERS_PREFECT_FLOW_RUNS_LEVEL": "INFO",
    "PREFECT_SERVER_EPHEMERAL_STARTUP_TIMEOUT_SECONDS": "300",
}
DESCRIPTION = """\
newsetl turns raw multilingual news (plain text or HTML, files or http(s) URLs) into clean, segmented,
language- and entity-tagged tables: Prefect flows do the work, Parquet files are the lake, DuckDB is the
warehouse. Run "newsetl COMMAND --help" for the options of a command."""
EXAMPLES = """\
examples:
  newsetl run                                  ingest the bundled seeds into ./data
  newsetl run news/ https://example.org/a.html --data-dir /srv/newsetl
  newsetl sql "select lang, count(*) from documents group by lang"
  newsetl report --out report.html             a self-contained HTML report
  newsetl maintain                             compact the lake, prune old runs"""
NOTHING_CHANGED = "nothing changed since the last run: no flow run needed (set PREFECT_API_URL to always run the flow)"


def version() -> str:
    """The installed package's version (its metadata, from pyproject.toml)."""
    from importlib.metadata import PackageNotFoundError
    from importlib.metadata import version as dist_version

    try:
        return dist_version("newsetl")
    except PackageNotFoundError:  # a source tree that was never installed
        return "unknown"


def _cmd_run(args: argparse.Namespace) -> int:
    from newsetl.config import Paths

    paths = Paths.resolve(args.data_dir, args.lake)
    print(f"newsetl: ingesting {', '.join(args.sources) or paths.corpus} into {paths.data_dir}", file=sys.stderr)
    for key, value in PREFECT_DEFAULTS.items():  # before anything imports Prefect, which reads them at import
        os.environ.setdefault(key, value)
    if not os.environ.get("PREFECT_API_URL"):
        # before a temporary Prefect server is started (it takes longer than an unchanged run): any work at all?
        from newsetl.unchanged import run_if_unchanged

        if (summary := run_if_unchanged(args.sources or None, paths)) is not None:
            print(render_summary(summary, paths, note=NOTHING_CHANGED))
            return 0
    from flows.ingest import run_ingest

    with prefect_api():
        try:
            summary = run_ingest(
                args.sources or None,
                str(paths.data_dir),
                args.batch_size,
                args.workers,
                args.runner,
                args.address,
                lake=args.lake,
            )
        except Exception as exc:  # noqa: BLE001 - the flow already recorded the failure in `runs`
            print(f"newsetl: run failed: {type(exc).__name__}: {exc}", file=sys.stderr)
            return 1
    print(render_summary(summary, paths))
    return 0


@contextmanager
def prefect_api() -> Iterator[None]:
    """Use ``$PREFECT_API_URL`` when set; otherwise start one temporary local server for this command and
    point every process of the run (the task runner's workers too) at it."""
    if os.environ.get("PREFECT_API_URL"):
        yield
        return
    from prefect.server.api.server import SubprocessASGIServer

    server = SubprocessASGIServer()
    server.start(timeout=int(os.environ["PREFECT_SERVER_EPHEMERAL_STARTUP_TIMEOUT_SECONDS"]))
    os.environ["PREFECT_API_URL"] = server.api_url
    try:
        yield
    finally:
        from prefect.logging.handlers import APILogWorker

        APILogWorker.drain_all(timeout=5)  # send the last logs before the server goes away
        del os.environ["PREFECT_API_URL"]
        server.stop()


def render_summary(summary: dict, paths: Paths, note: str | None = None) -> str:
    c = summary["counts"]
    lines = [
        "",
        f"run {summary['run_id']}",
        *([f"  {note}"] if note else []),
        f"  documents: {c['seen']} seen, {c['loaded']} loaded, {c['skipped']} skipped (unchanged), "
        f"{c['rejected']} rejected, {c.get('ignored', 0)} ignored (not articles)",
    ]
    if len(by_source := summary.get("by_source", {})) > 1:  # every input accounted for, per source
        lines += [f"    {src}: " + ", ".join(f"{n} {k}" for k, n in n_by.items()) for src, n_by in by_source.items()]
    lines += [
        "  languages: " + (", ".join(f"{lang} {n}" for lang, n in summary["languages"]) or "-"),
        "  top entities:",
    ]
    lines += [f"    {name} ({label}): {n} mentions in {docs} docs" for name, label, n, docs in summary["top_entities"]]
    if summary["rejects"]:
        lines.append("  rejects:")
        lines += [f"    {uri}: {reason} ({detail})" for uri, reason, detail in summary["rejects"][:20]]
    totals = summary["totals"]
    lines.append("  warehouse: " + ", ".join(f"{t} {n}" for t, n in totals.items()))
    db = paths.db
    with contextlib.suppress(ValueError):  # under the working directory: the short path
        db = db.relative_to(Path.cwd())
    lines.append(f"  {db}")
    return "\n".join(lines)


def _jsonable(value: object) -> object:
    if isinstance(value, datetime | date):
        return value.isoformat()
    if isinstance(value, Decimal):
        return float(value)
    return value


def format_rows(columns: list[str], rows: list[tuple], fmt: str, max_width: int = 60) -> str:
    if fmt == "json":
        return json.dumps(
            [{c: _jsonable(v) for c, v in zip(columns, r, strict=True)} for r in rows],
            ensure_ascii=False,
            indent=1,
            default=str,
        )
    if fmt == "csv":
        import io

        buf = io.StringIO()
        writer = csv.writer(buf)
        writer.writerow(columns)
        writer.writerows(rows)
        return buf.getvalue().rstrip("\n")

    def cell(v: object) -> str:
        s = "NULL" if v is None else str(v).replace("\n", " ")
        return s if len(s) <= max_width else s[: max_width - 1] + "…"

    cells = [[cell(v) for v in r] for r in rows]
    widths = [max([len(c)] + [len(r[i]) for r in cells]) for i, c in enumerate(columns)]
    out = [" | ".join(c.ljust(w) for c, w in zip(columns, widths, strict=True))]
    out.append("-+-".join("-" * w for w in widths))
    out += [" | ".join(v.ljust(w) for v, w in zip(r, widths, strict=True)) for r in cells]
    out.append(f"({len(rows)} row{'s' if len(rows) != 1 else ''})")
    return "\n".join(out)


def _cmd_sql(args: argparse.Namespace) -> int:
    import duckdb

    from newsetl.config import Paths
    from warehouse import db

    paths = Paths.resolve(args.data_dir)
    try:
        columns, rows = db.query(paths.db, args.query)
    except (duckdb.Error, FileNotFoundError, db.WarehouseBusy) as exc:
        print(f"newsetl sql: {exc}", file=sys.stderr)
        return 2
    print(format_rows(columns, rows, args.format, max_width=args.max_width))
    return 0


class _Version(argparse.Action):
    """--version, reading the package metadata only when asked (importlib.metadata is slow to import)."""

    def __call__(self, parser, namespace, values, option_string=None) -> None:  # noqa: ANN001
        print(f"newsetl {version()}")
        parser.exit()


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="newsetl",
        description=DESCRIPTION,
        epilog=EXAMPLES,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument("--version", action=_Version, nargs=0, help="print the version of newsetl and exit")
    sub = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")
    run = command(
        sub,
        "run",
        "run the ingest flow (default input: the bundled seeds)",
        """\
Ingest news documents: extract, clean, segment, tag languages and entities, write the Parquet lake and
load DuckDB, as one Prefect flow run. Inputs already loaded by this pipeline version are skipped; when
nothing changed and PREFECT_API_URL is not set, the run is recorded without a flow run (no temporary
Prefect server is started). Prints a summary: documents seen, loaded, skipped and rejected, languages,
top entities, rejects with their reasons, table sizes. Exit status 1 when the run failed.""",
        """\
examples:
  newsetl run                                  the bundled seeds into ./data
  newsetl run news/ 'archive/**/*.html.gz' https://example.org/article.html
  newsetl run news/ --data-dir /srv/newsetl --lake s3://bucket/lake --workers 4""",
    )
    run.add_argument(
        "sources", nargs="*", metavar="SOURCE", help="files, directories (recursive), globs or http(s) URLs"
    )
    run.add_argument("--data-dir", help="lake + DuckDB location (default $NEWSETL_DATA_DIR or ./data)")
    run.add_argument(
        "--lake", help="Parquet lake: a path or fsspec URL, e.g. s3://bucket/lake (default <data-dir>/lake)"
    )
    run.add_argument("--batch-size", type=int, default=100, help="documents per batch task (default 100)")
    run.add_argument("--workers", type=int, help="worker processes for the CPU stages (default: all cores)")
    run.add_argument("--runner", choices=("process", "dask"), default="process", help="task runner (default process)")
    run.add_argument(
        "--address", help="with --runner dask: scheduler address (tcp://host:8786); default a LocalCluster"
    )
    run.set_defaults(func=_cmd_run)
    sql = command(
        sub,
        "sql",
        "run a read-only SQL query against the warehouse",
        """\
Run one SQL statement against the warehouse, opened read-only (no write, ATTACH, COPY or file read gets
through), and print the rows as a table, CSV or JSON. Tables and views: see docs/TABLES.md.""",
        """\
examples:
  newsetl sql "select lang, count(*) as docs from documents group by lang"
  newsetl sql "select * from entity_profile limit 5" --format csv > entities.csv""",
    )
    sql.add_argument("query", help="one SQL statement")
    sql.add_argument("--data-dir", help="lake + DuckDB location (default $NEWSETL_DATA_DIR or ./data)")
    sql.add_argument("--format", choices=("table", "csv", "json"), default="table", help="output (default table)")
    sql.add_argument("--max-width", type=int, default=80, help="truncate table cells (table format, default 80)")
    sql.set_defaults(func=_cmd_sql)
    add_commands(sub)  # serve, maintain, report
    return parser


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    return args.func(args)


if __name__ == "__main__":
    sys.exit(main())
