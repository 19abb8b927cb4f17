"""The only module that opens DuckDB: connections, schema, views, batch loads and read-only queries.

DuckDB allows one read-write process per file. Writers hold the connection only for the length of
one batch load (a single transaction) and wait with backoff while another process holds the file;
readers open read-only, with external access disabled, so ``newsetl sql`` cannot write, ATTACH,
COPY TO or read files.
"""

from __future__ import annotations

import hashlib
import time
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from datetime import UTC, datetime
from functools import cache
from pathlib import Path
from typing import TYPE_CHECKING, NamedTuple

import duckdb
import pyarrow as pa

if TYPE_CHECKING:
    from fsspec import AbstractFileSystem

HERE = Path(__file__).parent
SCHEMA_FILES = ("schema.sql", "schema_stories.sql")  # tables, in this order
VIEW_DIRS = (HERE / "views" / "staging", HERE / "views" / "marts")
DOC_TABLES = ("documents", "blocks", "sentences", "mentions", "doc_embeddings")
LOCK_WAIT_S = 120.0


class WarehouseBusy(RuntimeError):
    """The DuckDB file stayed locked by another process for longer than the wait limit (transient)."""


def _is_lock_error(exc: Exception) -> bool:
    msg = str(exc)
    return "lock" in msg.lower() and ("Could not set lock" in msg or "Conflicting lock" in msg or "locked" in msg)


def _open(db_path: Path, read_only: bool, wait_s: float) -> duckdb.DuckDBPyConnection:
    deadline = time.monotonic() + wait_s
    delay = 0.05
    while True:
        try:
            return duckdb.connect(str(db_path), read_only=read_only)
        except duckdb.IOException as exc:
            if not _is_lock_error(exc) or time.monotonic() > deadline:
                if _is_lock_error(exc):
                    raise WarehouseBusy(f"{db_path} is locked by another process: {exc}") from exc
                raise
            time.sleep(delay)
            delay = min(delay * 2, 1.0)


@contextmanager
def connect(db_path: Path, read_only: bool = False, wait_s: float = LOCK_WAIT_S) -> Iterator[duckdb.DuckDBPyConnection]:
    """A short-lived connection; read-write ones create the schema and views on first use."""
    db_path = Path(db_path)
    if read_only and not db_path.exists():
        raise FileNotFoundError(f"no warehouse at {db_path}: run `newsetl run` first")
    db_path.parent.mkdir(parents=True, exist_ok=True)
    con = _open(db_path, read_only, wait_s)
    try:
        if not read_only:
            init_schema(con)
        yield con
    finally:
        con.close()


@contextmanager
def transaction(db_path: Path, filesystem: AbstractFileSystem | None = None) -> Iterator[duckdb.DuckDBPyConnection]:
    """A read-write connection inside one transaction: committed when the block ends, rolled back on error.
    ``filesystem``: an fsspec filesystem the statements read Parquet from (a lake on object storage)."""
    with connect(db_path) as con:
        if filesystem is not None:
            con.register_filesystem(filesystem)
        con.execute("begin transaction")
        try:
            yield con
        except BaseException:
            con.execute("rollback")
            raise
        con.execute("commit")


@cache
def _schema_statements() -> tuple[tuple[str, ...], str]:
    """The DDL files then the view files, in order, and a hash of them all (read once per process)."""
    files = [HERE / name for name in SCHEMA_FILES if (HERE / name).exists()]
    files += [f for folder in VIEW_DIRS for f in sorted(folder.glob("*.sql"))]
    texts = tuple(f.read_text() for f in files)
    return texts, hashlib.sha256("\0".join(texts).encode()).hexdigest()[:20]


def init_schema(con: duckdb.DuckDBPyConnection) -> None:
    """Create the tables and (re)create the views, unless this exact schema is in place already (every batch
    load opens a connection: re-running ~30 statements each time cost a fifth of a second)."""
    texts, version = _schema_statements()
    try:
        row = con.execute("select value from meta where key = 'schema_version'").fetchone()
    except duckdb.CatalogException:
        row = None
    if row and row[0] == version:
        return
    for sql in texts:
        con.execute(sql)
    # columns added after a table was first created (CREATE TABLE IF NOT EXISTS leaves old tables as they were)
    con.execute("alter table entity_aliases add column if not exists norm varchar")
    con.execute("insert or replace into meta values ('schema_version', ?)", [version])


class KnownInputs(NamedTuple):
    """What a pipeline version already loaded: the incremental skip sets."""

    # source_uri -> the hash of the bytes its current version was loaded from: a source that yields the same
    # bytes again is skipped before parsing (another source with those bytes is not: it must be recorded)
    raw_hashes: Mapping[str, str]
    # doc_id -> its representative source_uri: an input whose article is already a document is a duplicate,
    # unless it comes from that source (then its title, date, author or site may have changed: it is reloaded)
    doc_ids: Mapping[str, str]
    stamps: dict[str, str]  # source_uri -> file stamp: a local file that still has it is skipped without a read


def known_inputs(db_path: Path, pipeline_version: str) -> KnownInputs:
    if not Path(db_path).exists():
        return KnownInputs({}, {}, {})
    with connect(db_path) as con:
        rows = con.execute(
            """select inputs.source_uri, inputs.raw_hash, inputs.file_stamp from inputs join documents using (doc_id)
            where inputs.pipeline_version = ? and documents.pipeline_version = ?""",
            [pipeline_version, pipeline_version],
        ).fetchall()
        doc_ids = con.execute(
            "select doc_id, source_uri from documents where pipeline_version = ?", [pipeline_version]
        ).fetchall()
    stamps = {uri: stamp for uri, _, stamp in rows if stamp is not None}
    return KnownInputs({uri: raw_hash for uri, raw_hash, _ in rows}, dict(doc_ids), stamps)


def restamp_inputs(db_path: Path, restamps: list[tuple[str, str, str]]) -> int:
    """Record the file stamps of inputs found unchanged by their hash (``(source_uri, raw_hash, stamp)``), so
    that the next run skips them without reading them. Only the row of that URI with that hash takes it."""
    if not restamps:
        return 0
    uris, hashes, stamps = (list(col) for col in zip(*restamps, strict=True))
    with transaction(db_path) as con:
        con.register("restamped", pa.table({"source_uri": uris, "raw_hash": hashes, "file_stamp": stamps}))
        return con.execute(
            """update inputs set file_stamp = r.file_stamp from restamped r
            where inputs.source_uri = r.source_uri and inputs.raw_hash = r.raw_hash"""
        ).fetchone()[0]


def _parquet(files: dict[str, str], table: str) -> str | None:
    uri = files.get(table)
    return f"read_parquet({_literal(uri)})" if uri else None


def _literal(s: str) -> str:
    return "'" + str(s).replace("'", "''") + "'"


class BatchLoad(NamedTuple):
    """What :func:`load_batch` did: the documents it loaded, and the documents that left the warehouse because no
    source's current version is their article any more (an input naming one of them later is a new document)."""

    n_docs: int
    removed: frozenset[str]


# per-source columns of documents: those of the representative's current version (see document_versions)
SOURCE_COLUMNS = ("source_uri", "title", "published_at", "site", "author", "raw_hash", "media_type", "fetched_at")
VERSION_COLUMNS = ("doc_id", "raw_hash", "title", "published_at", "site", "author", "media_type", "fetched_at")
# a new version starts when the raw input changed and one of these changed with it
VERSIONED = ("doc_id", "title", "published_at", "site", "author")


def load_batch(
    db_path: Path, files: dict[str, str], batch_key: str, run_id: str, filesystem: AbstractFileSystem | None = None
) -> BatchLoad:
    """Load one batch's Parquet files (paths or URLs by table) in one transaction. ``filesystem``: the fsspec
    filesystem of a lake on object storage, registered for the load.

    The batch's documents replace any earlier rows with the same doc_id (delete + insert), its inputs become their
    sources' current versions (:func:`_record_versions`), entities and aliases are upserted, rejects are upserted
    by source_uri, and inputs that now load leave ``rejects``.
    """
    now = datetime.now(UTC)
    removed: frozenset[str] = frozenset()
    with transaction(db_path, filesystem) as con:
        docs = _parquet(files, "documents")
        if docs:
            ids = f"(select doc_id from {docs})"
            for table in DOC_TABLES:
                con.execute(f"delete from {table} where doc_id in {ids}")
            for table in DOC_TABLES:
                src = _parquet(files, table)
                if src:
                    con.execute(f"insert into {table} by name select * from {src}")
            con.execute(f"delete from rejects where source_uri in (select source_uri from {docs})")
        if src := _parquet(files, "inputs"):
            removed = _record_versions(con, src, now)
            con.execute(
                f"""insert into inputs by name
                select source_uri, raw_hash, file_stamp, doc_id, pipeline_version, run_id, seen_at from {src}
                on conflict (source_uri) do update set raw_hash = excluded.raw_hash,
                    file_stamp = excluded.file_stamp, doc_id = excluded.doc_id,
                    pipeline_version = excluded.pipeline_version, run_id = excluded.run_id,
                    seen_at = excluded.seen_at"""
            )
            con.execute(f"delete from rejects where source_uri in (select source_uri from {src})")
        if src := _parquet(files, "entities"):
            con.execute(f"insert into entities by name select * from {src} on conflict do nothing")
            _name_discovered(con, f"(select entity_id from {src} where source = 'discovered')")
        if src := _parquet(files, "entity_aliases"):
            con.execute(f"insert into entity_aliases by name select * from {src} on conflict do nothing")
        if src := _parquet(files, "rejects"):
            con.execute(
                f"""insert into rejects by name select * from {src}
                on conflict (source_uri) do update set
                    reason = excluded.reason, detail = excluded.detail,
                    run_id = excluded.run_id, rejected_at = excluded.rejected_at"""
            )
        n_docs = con.execute(f"select count(*) from {docs}").fetchone()[0] if docs else 0
        con.execute("insert or replace into batches values (?, ?, ?, ?)", [batch_key, run_id, n_docs, now])
    return BatchLoad(n_docs, removed)


def _name_discovered(con: duckdb.DuckDBPyConnection, entity_ids: str) -> None:
    """Name each discovered entity of ``entity_ids`` by its most frequent full form among the mentions loaded
    (several words beat one, then the count, then the longer form): the same name whatever order the documents
    were loaded in, unlike the first form seen."""
    con.execute(
        f"""update entities set name = best.surface from (
            select entity_id, surface from mentions where entity_id in {entity_ids}
            group by entity_id, surface
            qualify row_number() over (partition by entity_id
                order by contains(surface, ' ') desc, count(*) desc, length(surface) desc, surface) = 1
        ) best
        where entities.entity_id = best.entity_id and entities.source = 'discovered'
            and entities.name <> best.surface"""
    )


def _record_versions(con: duckdb.DuckDBPyConnection, inputs: str, now: datetime) -> frozenset[str]:
    """Inside a batch's transaction, after its documents are in: make each of the batch's inputs its source's
    current version, drop the documents that are no source's current version any more, and give the documents
    involved the per-source columns of their representative. Returns the dropped doc ids.

    An input whose source has no version gets version 1. One whose raw bytes are those of the current version
    (the same input processed again, e.g. by a new pipeline version), or whose article and metadata are those of
    the current version (other bytes around the same article), updates the current version in place. Any other
    input (an edit, a corrected headline, a revert) closes the current version and adds the next one.
    """
    cols = ", ".join(VERSION_COLUMNS)
    con.execute(
        f"""create or replace temp table _batch_versions as
        select i.source_uri, {", ".join(f"i.{c}" for c in VERSION_COLUMNS)}, i.pipeline_version, i.run_id,
            c.version as current_version, c.doc_id as current_doc_id,
            case
                when c.version is null then 'new'
                when c.raw_hash = i.raw_hash
                    or ({" and ".join(f"c.{c} is not distinct from i.{c}" for c in VERSIONED)}) then 'same'
                else 'next'
            end as change
        from {inputs} as i
        left join document_versions as c on c.source_uri = i.source_uri and c.is_current"""
    )
    con.execute(
        """update document_versions set is_current = false, valid_to = ?
        from _batch_versions as b
        where document_versions.source_uri = b.source_uri and document_versions.is_current and b.change = 'next'""",
        [now],
    )
    con.execute(
        f"""update document_versions set {", ".join(f"{c} = b.{c}" for c in VERSION_COLUMNS)},
            pipeline_version = b.pipeline_version, run_id = b.run_id
        from _batch_versions as b
        where document_versions.source_uri = b.source_uri and document_versions.is_current and b.change = 'same'"""
    )
    con.execute(
        f"""insert into document_versions by name
        select source_uri, coalesce(current_version, 0) + 1 as version, {cols}, null as text, true as is_current,
            ?::timestamptz as valid_from, null as valid_to, pipeline_version, run_id
        from _batch_versions where change <> 'same'""",
        [now],
    )
    # documents that were a batch source's article and are no source's current version any more
    removed: frozenset[str] = frozenset()
    if con.execute("select count(*) from _batch_versions where current_doc_id <> doc_id").fetchone()[0]:
        removed = _drop_gone_documents(con)
    # the representative of each document involved: its current source seen first
    con.execute(
        f"""update documents set {", ".join(f"{c} = r.{c}" for c in SOURCE_COLUMNS)}
        from (
            with involved as (
                select doc_id from _batch_versions union select current_doc_id from _batch_versions
            ),
            current as (
                select source_uri, {cols} from document_versions
                where is_current and doc_id in (select doc_id from involved)
            ),
            first_seen as (
                select source_uri, min(valid_from) as first_seen from document_versions
                where source_uri in (select source_uri from current)
                group by source_uri
            )
            select c.* from current as c join first_seen as f using (source_uri)
            qualify row_number() over (partition by c.doc_id order by f.first_seen, c.source_uri) = 1
        ) as r
        where documents.doc_id = r.doc_id
          and ({", ".join(f"documents.{c}" for c in SOURCE_COLUMNS)})
              is distinct from ({", ".join(f"r.{c}" for c in SOURCE_COLUMNS)})"""
    )
    con.execute("drop table _batch_versions")
    return removed


def _drop_gone_documents(con: duckdb.DuckDBPyConnection) -> frozenset[str]:
    """Delete the documents (and their parts) that were the current article of a source of ``_batch_versions`` and
    are no source's current version any more; their versions keep their text. Returns their doc ids."""
    con.execute(
        """create or replace temp table _gone as
        select distinct b.current_doc_id as doc_id from _batch_versions as b
        where b.current_doc_id is not null and b.current_doc_id <> b.doc_id
          and not exists (
            select 1 from document_versions as v where v.doc_id = b.current_doc_id and v.is_current
          )"""
    )
    removed = frozenset(r[0] for r in con.execute("select doc_id from _gone").fetchall())
    if removed:
        con.execute(
            """update document_versions set text = d.text
            from (select doc_id, text from documents where doc_id in (select doc_id from _gone)) as d
            where document_versions.doc_id = d.doc_id and document_versions.text is null"""
        )
        for table in DOC_TABLES:
            con.execute(f"delete from {table} where doc_id in (select doc_id from _gone)")
    con.execute("drop table _gone")
    return removed


def loaded_batches(db_path: Path) -> frozenset[str]:
    if not Path(db_path).exists():
        return frozenset()
    with connect(db_path) as con:
        return frozenset(r[0] for r in con.execute("select batch_key from batches").fetchall())


def reference_loaded(db_path: Path, version: str) -> bool:
    with connect(db_path) as con:
        row = con.execute("select value from meta where key = 'reference_version'").fetchone()
    return bool(row and row[0] == version)


def load_reference(
    db_path: Path, entities: str, aliases: str, version: str, filesystem: AbstractFileSystem | None = None
) -> bool:
    """Load the reference entities/aliases (upsert) and remember their version."""
    with transaction(db_path, filesystem) as con:
        con.execute(
            f"insert into entities by name select * from read_parquet({_literal(entities)}) "
            "on conflict (entity_id) do update set name = excluded.name, label = excluded.label, "
            "source = excluded.source, external_id = excluded.external_id"
        )
        con.execute(
            f"insert into entity_aliases by name select * from read_parquet({_literal(aliases)}) on conflict do nothing"
        )
        con.execute("insert or replace into meta values ('reference_version', ?)", [version])
    return True


def mark_interrupted_runs(db_path: Path, current_run_id: str) -> int:
    """Runs still 'running' while we hold the run lock were killed: mark them 'interrupted'."""
    with connect(db_path) as con:
        rows = con.execute(
            "update runs set status = 'interrupted' where status = 'running' and run_id <> ? returning run_id",
            [current_run_id],
        ).fetchall()
    return len(rows)


def record_run(db_path: Path, run: dict) -> None:
    """Insert or update the ``runs`` row of a run."""
    cols = list(run)
    with connect(db_path) as con:
        con.execute(
            f"insert or replace into runs ({', '.join(cols)}) values ({', '.join('?' * len(cols))})",
            [run[c] for c in cols],
        )


def query(db_path: Path, sql: str, params: list | None = None) -> tuple[list[str], list[tuple]]:
    """Run one read-only statement: no writes, no ATTACH, no COPY, no file access."""
    with connect(db_path, read_only=True) as con:
        con.execute("set enable_external_access = false")
        con.execute("set lock_configuration = true")
        cur = con.execute(sql, params or [])
        if cur.description is None:
            return [], []
        return [d[0] for d in cur.description], cur.fetchall()


def summary(db_path: Path, run_id: str) -> dict:
    """Counts for the end-of-run screen and the Prefect artifact."""
    with connect(db_path, read_only=True) as con:
        langs = con.execute(
            "select lang, count(*) from documents where run_id = ? group by lang order by 2 desc, 1", [run_id]
        ).fetchall()
        # resolved entities (stg_mentions.resolved_id), as the analyst views count them: a family name alone
        # counts for the person the corpus resolves it to
        top = con.execute(
            """select e.name, e.label, count(*) as n, count(distinct m.doc_id) as docs
            from stg_mentions m join documents d using (doc_id) join entities e on e.entity_id = m.resolved_id
            where d.run_id = ? group by all order by n desc, e.name limit 10""",
            [run_id],
        ).fetchall()
        totals = {
            t: con.execute(f"select count(*) from {t}").fetchone()[0]
            for t in ("documents", "blocks", "sentences", "mentions", "entities", "entity_aliases", "rejects")
        }
        rejects = con.execute(
            "select source_uri, reason, detail from rejects where run_id = ? order by source_uri", [run_id]
        ).fetchall()
    return {"languages": langs, "top_entities": top, "totals": totals, "rejects": rejects}


# The content of each table that must not depend on how often or in how many pieces data was loaded
# (run ids and timestamps left out): used to prove that a crashed-and-resumed run equals a clean one.
FINGERPRINT_COLUMNS = {
    "documents": "doc_id, source_uri, text, lang, n_sentences, n_mentions",
    "blocks": "doc_id, block_idx, kind, text",
    "sentences": "doc_id, sent_idx, start_char, end_char, lang",
    "mentions": "doc_id, start_char, end_char, label, entity_id, family_id, alt_ids",
    "entities": "entity_id, name, label",
    "entity_aliases": "entity_id, alias, lang",
    "rejects": "source_uri, reason",
    "document_versions": "source_uri, version, doc_id, is_current, title",
}


def fingerprint(db_path: Path) -> dict[str, dict]:
    """Per table: row count, distinct row count and a hash of the sorted rows."""
    out = {}
    with connect(db_path, read_only=True) as con:
        for table, cols in FINGERPRINT_COLUMNS.items():
            n, n_distinct, digest = con.execute(
                f"""select count(*), count(distinct ({cols})),
                md5(coalesce(string_agg(({cols})::varchar, '|' order by ({cols})::varchar), ''))
                from {table}"""
            ).fetchone()
            out[table] = {"n": n, "n_distinct": n_distinct, "hash": digest}
    return out


# Sources: what was fetched over HTTP (the fetch_state table), for polite, incremental runs.
FETCH_STATE_COLUMNS = (
    "url",
    "kind",
    "etag",
    "last_modified",
    "status",
    "canonical_url",
    "items",
    "fetched_at",
    "checked_at",
)


def source_state(db_path: Path, pipeline_version: str) -> tuple[dict[str, dict], dict[str, datetime]]:
    """The ``fetch_state`` rows by URL, and the URLs this pipeline version loaded (input URI -> when)."""
    if not Path(db_path).exists():
        return {}, {}
    with connect(db_path) as con:
        cur = con.execute(f"select {', '.join(FETCH_STATE_COLUMNS)} from fetch_state")
        fetched = {row[0]: dict(zip(FETCH_STATE_COLUMNS, row, strict=True)) for row in cur.fetchall()}
        loaded = con.execute(
            """select inputs.source_uri, max(inputs.seen_at) from inputs join documents using (doc_id)
            where inputs.pipeline_version = ? and documents.pipeline_version = ?
              and (inputs.source_uri like 'http://%' or inputs.source_uri like 'https://%')
            group by inputs.source_uri""",
            [pipeline_version, pipeline_version],
        ).fetchall()
    return fetched, dict(loaded)


def save_fetch_state(db_path: Path, rows: list[dict]) -> int:
    """Upsert ``fetch_state`` rows (one per URL: the last one given wins)."""
    if not rows:
        return 0
    now = datetime.now(UTC)
    by_url = {
        r["url"]: {c: r.get(c) for c in FETCH_STATE_COLUMNS} | {"checked_at": r.get("checked_at") or now} for r in rows
    }
    table = pa.Table.from_pylist(
        list(by_url.values()),
        schema=pa.schema(
            [
                ("url", pa.string()),
                ("kind", pa.string()),
                ("etag", pa.string()),
                ("last_modified", pa.string()),
                ("status", pa.int32()),
                ("canonical_url", pa.string()),
                ("items", pa.string()),
                ("fetched_at", pa.timestamp("us", tz="UTC")),
                ("checked_at", pa.timestamp("us", tz="UTC")),
            ]
        ),
    )
    with transaction(db_path) as con:
        con.register("fetched", table)
        con.execute("insert or replace into fetch_state by name select * from fetched")
    return len(by_url)
