"""Maintenance tasks: lake compaction, lake/warehouse consistency check, DuckDB CHECKPOINT, run retention.

Compaction
----------
Every ingest batch writes one small file per table, ``<lake>/<table>/<batch_key>.parquet``; after
months of hourly runs a table is thousands of tiny files. Compaction concatenates the small files of a
table into ``<lake>/<table>/compact-<hash>.parquet`` files of at most ``target_rows`` rows, and it
never loses or duplicates a row: the multiset of rows in a table folder is the same before and after.

How it stays consistent with the bookkeeping in DuckDB (``batches``, ``documents.batch_key``) and with
``tasks.load.remove_orphans`` (which deletes every lake file whose name is not a ``batches.batch_key``):

* DuckDB is not rewritten: ``documents.batch_key`` keeps naming the batch that loaded a document, and
  the batch keeps its ``batches`` row. A compacted file names the batches it holds, in order, with the
  row count and the sha256 of each original file, in its Parquet key-value metadata
  (``newsetl.compaction``); so "batch K is in the lake" means "``K.parquet`` exists, or a compacted
  file lists K". :func:`check_lake` verifies that for every ``documents.batch_key``.
* A compacted file is registered in ``batches`` as ``compact-<hash>`` (``n_docs = 0``) *after* it is
  completely written and *before* any original is deleted, so ``remove_orphans`` never deletes it,
  and a crash at any point leaves every row in at least one file:

  1. crash while writing: only a ``.tmp`` file exists (local lake; an object store never shows a partial
     object), ``remove_orphans`` deletes it;
  2. crash after the rename, before registering: the compacted file is an orphan and
     ``remove_orphans`` deletes it; the originals are untouched;
  3. crash while deleting the originals: the next compaction finds an original whose sha256 matches
     the one recorded in a compacted file and deletes it (or a compacted file all of whose batches
     are in a newer compacted file, and deletes that).

* Only files of batches that are in ``batches`` (loaded) are compacted, and the whole maintenance
  flow holds ``tasks.load.run_lock``, so no ingest writes the lake meanwhile.
* A later run may rewrite ``K.parquet`` for a batch K that was already compacted (the same batch
  composition processed again, e.g. after a pipeline upgrade): the loader overwrites a batch's files,
  so the new file supersedes K's rows in the compacted file. The next compaction sees a ``K.parquet``
  whose sha256 differs from the recorded one and rewrites the compacted file without K's old rows.
  Between that run and the next compaction the lake holds both versions of K (DuckDB is unaffected).
* Readers that glob the lake may, for the few milliseconds between writing a compacted file and
  deleting its originals, see rows twice; DuckDB, the system of record for queries, never does.

Small compacted files (fewer than ``target_rows`` rows) are folded again with new batch files, so a
table converges to a few files of ``target_rows`` rows. ``reference/`` is left alone.
"""

from __future__ import annotations

import contextlib
import hashlib
import json
from dataclasses import asdict, dataclass
from pathlib import Path

import pyarrow as pa
from prefect import get_run_logger, task

from newsetl.lake import Lake, stem
from tasks import load
from warehouse import db
from warehouse import maintenance as wm

COMPACT_PREFIX = wm.COMPACT_PREFIX
META_KEY = b"newsetl.compaction"
SKIP_DIRS = {"reference"}


@dataclass(frozen=True, slots=True)
class Member:
    """One original batch file inside a compacted file: its key, the sha256 of its bytes, its rows."""

    key: str
    sha: str
    rows: int


def is_compact(path: str) -> bool:
    return stem(path).startswith(COMPACT_PREFIX)


def members_of(lake: Lake, path: str) -> list[Member]:
    """The batches a lake file holds: a compacted file's recorded members, or the batch file itself."""
    if not is_compact(path):
        return [Member(stem(path), lake.sha256(path), lake.read_metadata(path).num_rows)]
    meta = lake.read_schema(path).metadata or {}
    if META_KEY not in meta:
        raise ValueError(f"{path} has no {META_KEY.decode()} metadata")
    return [Member(**m) for m in json.loads(meta[META_KEY])["members"]]


def _log(message: str, *args: object) -> None:
    with contextlib.suppress(Exception):  # called outside a flow/task run: no logger
        get_run_logger().info(message, *args)


def _write_compact(
    lake: Lake, table_name: str, table: pa.Table, members: list[Member], db_path: Path, run_id: str
) -> str:
    """Write, verify and register one compacted file (steps 1-2 of the crash analysis)."""
    if table.num_rows != sum(m.rows for m in members):
        raise RuntimeError(f"{table_name}: {table.num_rows} rows but members hold {sum(m.rows for m in members)}")
    payload = json.dumps({"version": 1, "table": table_name, "members": [asdict(m) for m in members]})
    key = COMPACT_PREFIX + hashlib.sha256(f"{table_name}\0{payload}".encode()).hexdigest()[:20]
    path = lake.path(table_name, f"{key}.parquet")
    table = table.replace_schema_metadata({**(table.schema.metadata or {}), META_KEY: payload.encode()})
    lake.write_parquet(table, path)
    written = lake.read_table(path)
    if written.num_rows != table.num_rows or not written.equals(table):
        lake.delete([path])
        raise RuntimeError(f"{path}: read-back differs from what was written; nothing was deleted")
    wm.register_compact(db_path, key, run_id)
    return path


def _delete(lake: Lake, paths: list[str], db_path: Path) -> None:
    """Delete superseded files (step 3), then forget the compacted ones among them in ``batches``."""
    lake.delete(paths)
    wm.unregister_compact(db_path, [stem(p) for p in paths if is_compact(p)])


def _concat(tables: list[pa.Table]) -> pa.Table:
    tables = [t.replace_schema_metadata(None) for t in tables]
    return pa.concat_tables(tables, promote_options="default").combine_chunks()


def recover_table(lake: Lake, table_name: str, db_path: Path, run_id: str) -> dict[str, int]:
    """Repair what an interrupted or superseded compaction left (see the module docstring)."""
    stats = {"leftover_deleted": 0, "stale_rows_dropped": 0}
    loaded = db.loaded_batches(db_path)
    compacts = []
    for c in lake.files(table_name, f"{COMPACT_PREFIX}*.parquet"):
        if stem(c) in loaded:
            compacts.append(c)
        else:  # the crash came before registration: its originals are all still there
            lake.delete([c])
            stats["leftover_deleted"] += 1
    members = {c: members_of(lake, c) for c in compacts}
    # A compacted file all of whose batches are in another one: the crash came before its deletion.
    for c in list(compacts):
        mine = set(members[c])
        if any(o != c and o in members and mine < set(members[o]) for o in compacts):
            _delete(lake, [c], db_path)
            compacts.remove(c)
            del members[c]
            stats["leftover_deleted"] += 1
    regular = {stem(p): p for p in lake.files(table_name) if not is_compact(p)}
    for c in compacts:
        stale: set[str] = set()
        for m in members[c]:
            original = regular.get(m.key)
            if original is None:
                continue
            if lake.sha256(original) == m.sha:  # the crash came before this original was deleted
                _delete(lake, [original], db_path)
                del regular[m.key]
                stats["leftover_deleted"] += 1
            else:  # K.parquet was rewritten after compaction: it supersedes K's rows here
                stale.add(m.key)
        if not stale:
            continue
        table = lake.read_table(c)
        keep, pieces, offset = [], [], 0
        for m in members[c]:
            if m.key not in stale:
                keep.append(m)
                pieces.append(table.slice(offset, m.rows))
            else:
                stats["stale_rows_dropped"] += m.rows
            offset += m.rows
        if keep:
            _write_compact(lake, table_name, _concat(pieces), keep, db_path, run_id)
        _delete(lake, [c], db_path)
    return stats


def compact_table(
    lake: Lake, table_name: str, db_path: Path, run_id: str, target_rows: int = 200_000
) -> dict[str, int]:
    """Recover, then fold the table's loaded batch files and small compacted files into compacted files
    of at most ``target_rows`` rows (a file already larger stays as it is). Hold ``run_lock``."""
    stats = recover_table(lake, table_name, db_path, run_id)
    stats |= {"files_before": 0, "files_after": 0, "compacted_files": 0}
    loaded = db.loaded_batches(db_path)
    files = sorted((p for p in lake.files(table_name) if stem(p) in loaded), key=lambda p: (lake.fs.modified(p), p))
    stats["files_before"] = len(files)
    candidates = [(p, members_of(lake, p)) for p in files]
    candidates = [(p, ms) for p, ms in candidates if sum(m.rows for m in ms) < target_rows]
    groups: list[list[tuple[str, list[Member]]]] = [[]]
    for p, ms in candidates:
        rows = sum(m.rows for m in ms)
        if groups[-1] and sum(m.rows for _, gms in groups[-1] for m in gms) + rows > target_rows:
            groups.append([])
        groups[-1].append((p, ms))
    for group in groups:
        if len(group) < 2:
            continue
        table = _concat([lake.read_table(p) for p, _ in group])
        members = [m for _, ms in group for m in ms]
        _write_compact(lake, table_name, table, members, db_path, run_id)
        _delete(lake, [p for p, _ in group], db_path)
        stats["compacted_files"] += len(group)
    stats["files_after"] = len(lake.files(table_name))
    return stats


def lake_tables(lake: Lake) -> list[str]:
    return [t for t in lake.tables() if t not in SKIP_DIRS]


def check_lake(lake: Lake, db_path: Path) -> list[str]:
    """Problems in the lake/warehouse bookkeeping (empty list: consistent):

    - a batch held by two files of one table (a duplicated batch);
    - a current document whose ``batch_key`` is in no file of ``documents/``;
    - a lake file that is not registered in ``batches`` (``remove_orphans`` would delete it).
    """
    problems: list[str] = []
    loaded = db.loaded_batches(db_path)
    for table_name in lake_tables(lake):
        where: dict[str, str] = {}
        for path in lake.files(table_name):
            if stem(path) not in loaded:
                problems.append(f"{path}: not registered in batches")
            for m in members_of(lake, path):
                if m.key in where:
                    problems.append(f"{table_name}: batch {m.key} is in {stem(where[m.key])} and {stem(path)}")
                where.setdefault(m.key, path)
        if table_name == "documents":
            missing = wm.document_batch_keys(db_path) - set(where)
            problems += [f"documents: batch {k} of loaded documents is in no lake file" for k in sorted(missing)]
    return problems


@task(name="remove-orphans")
def remove_orphans(lake: Lake, db_path: Path) -> int:
    removed = load.remove_orphans(lake, db_path)
    _log("removed %d orphan lake files", len(removed))
    return len(removed)


@task(name="compact-table")
def compact(lake: Lake, table: str, db_path: Path, run_id: str, target_rows: int) -> dict[str, int]:
    stats = compact_table(lake, table, db_path, run_id, target_rows)
    _log("%s: %s", table, stats)
    return stats


@task(name="check-lake")
def check(lake: Lake, db_path: Path) -> list[str]:
    problems = check_lake(lake, db_path)
    if problems:
        raise RuntimeError("lake and warehouse disagree:\n" + "\n".join(problems[:50]))
    return problems


@task(name="prune-runs", retries=3, retry_delay_seconds=[2, 10, 30], retry_condition_fn=load.is_transient)
def prune_runs(db_path: Path, keep_days: int) -> list[str]:
    deleted = wm.prune_runs(db_path, keep_days)
    _log("pruned %d runs older than %d days", len(deleted), keep_days)
    return deleted


@task(name="checkpoint", retries=3, retry_delay_seconds=[2, 10, 30], retry_condition_fn=load.is_transient)
def checkpoint(db_path: Path) -> dict[str, int]:
    return wm.checkpoint(db_path)
