"""Load: turn a processed batch into Parquet files in the lake, then into DuckDB.

The lake layout is ``<lake>/<table>/<batch_key>.parquet`` (the lake is ``<data_dir>/lake`` or any fsspec URL,
see ``newsetl.lake``). ``batch_key`` is a hash of the batch's doc ids and rejects, so a rerun of the same batch
overwrites the same files instead of adding twins. Files are written atomically (``Lake.write_parquet``) and
only then loaded into DuckDB in one transaction (``warehouse.db.load_batch``).
"""

from __future__ import annotations

import fcntl
import hashlib
import multiprocessing
import time
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from datetime import UTC, datetime
from pathlib import Path

import pyarrow as pa
from prefect import task
from prefect.cache_policies import NO_CACHE  # batches are big: never hash them for a cache key

from newsetl.doc import Doc, Processed, Reject
from newsetl.lake import Lake, stem, table_of
from newsetl.memory import release_memory
from newsetl.runner import run_isolated
from tasks.stories import EMBED_VERSION
from warehouse import db

TS = pa.timestamp("us", tz="UTC")
SCHEMAS: dict[str, pa.Schema] = {
    "documents": pa.schema(
        [
            ("doc_id", pa.string()),
            ("source_uri", pa.string()),
            ("title", pa.string()),
            ("published_at", TS),
            ("site", pa.string()),
            ("author", pa.string()),
            ("lang", pa.string()),
            ("lang_score", pa.float64()),
            ("text", pa.string()),
            ("content_hash", pa.string()),
            ("raw_hash", pa.string()),
            ("media_type", pa.string()),
            ("n_chars", pa.int32()),
            ("n_sentences", pa.int32()),
            ("n_mentions", pa.int32()),
            ("fetched_at", TS),
            ("pipeline_version", pa.string()),
            ("batch_key", pa.string()),
            ("run_id", pa.string()),
            ("loaded_at", TS),
        ]
    ),
    "blocks": pa.schema(
        [("doc_id", pa.string()), ("block_idx", pa.int32()), ("kind", pa.string()), ("text", pa.string())]
    ),
    "sentences": pa.schema(
        [
            ("doc_id", pa.string()),
            ("sent_idx", pa.int32()),
            ("start_char", pa.int32()),
            ("end_char", pa.int32()),
            ("text", pa.string()),
            ("lang", pa.string()),
            ("lang_score", pa.float64()),
        ]
    ),
    "mentions": pa.schema(
        [
            ("doc_id", pa.string()),
            ("sent_idx", pa.int32()),
            ("start_char", pa.int32()),
            ("end_char", pa.int32()),
            ("surface", pa.string()),
            ("label", pa.string()),
            ("entity_id", pa.string()),
            ("score", pa.float64()),
            ("family_id", pa.string()),
            ("alt_ids", pa.list_(pa.string())),
        ]
    ),
    "doc_embeddings": pa.schema(
        [("doc_id", pa.string()), ("embedding", pa.list_(pa.float32())), ("stories_version", pa.string())]
    ),
    "entities": pa.schema(
        [
            ("entity_id", pa.string()),
            ("name", pa.string()),
            ("label", pa.string()),
            ("source", pa.string()),
            ("external_id", pa.string()),
        ]
    ),
    "entity_aliases": pa.schema(
        [("entity_id", pa.string()), ("alias", pa.string()), ("lang", pa.string()), ("norm", pa.string())]
    ),
    "inputs": pa.schema(
        [
            ("source_uri", pa.string()),
            ("raw_hash", pa.string()),
            ("file_stamp", pa.string()),
            ("doc_id", pa.string()),
            ("pipeline_version", pa.string()),
            ("run_id", pa.string()),
            ("seen_at", TS),
            # what the input yielded besides its article: its version (document_versions; not in inputs)
            ("title", pa.string()),
            ("published_at", TS),
            ("site", pa.string()),
            ("author", pa.string()),
            ("media_type", pa.string()),
            ("fetched_at", TS),
        ]
    ),
    "rejects": pa.schema(
        [
            ("source_uri", pa.string()),
            ("reason", pa.string()),
            ("detail", pa.string()),
            ("run_id", pa.string()),
            ("rejected_at", TS),
        ]
    ),
}


def batch_key(docs: list[Doc], rejects: list[Reject]) -> str:
    h = hashlib.sha256()
    for key in sorted([f"{d.doc_id}:{d.source_uri}" for d in docs] + [f"reject:{r.source_uri}" for r in rejects]):
        h.update(key.encode())
        h.update(b"\0")
    return h.hexdigest()[:20]


def to_rows(
    docs: list[Doc], rejects: list[Reject], run_id: str, key: str, pipeline_version: str, duplicates: list[Doc] = ()
) -> dict[str, list[dict]]:
    """Pure: the rows of every table for one batch. ``duplicates`` are inputs whose article is one of ``docs``
    (or an earlier document): they get an ``inputs`` row only."""
    now = datetime.now(UTC)
    rows: dict[str, list[dict]] = {name: [] for name in SCHEMAS}
    seen_entities: set[str] = set()
    seen_aliases: set[tuple[str, str, str]] = set()
    for doc in docs:
        rows["documents"].append(
            {
                "doc_id": doc.doc_id,
                "source_uri": doc.source_uri,
                "title": doc.title,
                "published_at": doc.published_at,
                "site": doc.site,
                "author": doc.author,
                "lang": doc.lang,
                "lang_score": doc.lang_score,
                "text": doc.text,
                "content_hash": doc.content_hash,
                "raw_hash": doc.raw_hash,
                "media_type": doc.media_type,
                "n_chars": len(doc.text),
                "n_sentences": len(doc.sentences),
                "n_mentions": len(doc.mentions),
                "fetched_at": doc.fetched_at,
                "pipeline_version": pipeline_version,
                "batch_key": key,
                "run_id": run_id,
                "loaded_at": now,
            }
        )
        rows["blocks"].extend(
            {"doc_id": doc.doc_id, "block_idx": b.idx, "kind": b.kind, "text": b.text} for b in doc.blocks
        )
        rows["sentences"].extend(
            {
                "doc_id": doc.doc_id,
                "sent_idx": s.idx,
                "start_char": s.start,
                "end_char": s.end,
                "text": s.text,
                "lang": s.lang,
                "lang_score": s.lang_score,
            }
            for s in doc.sentences
        )
        if doc.embedding is not None:
            rows["doc_embeddings"].append(
                {"doc_id": doc.doc_id, "embedding": doc.embedding, "stories_version": EMBED_VERSION}
            )
        seen_spans: set[tuple[int, int]] = set()
        for m in doc.mentions:
            if (m.start, m.end) in seen_spans:
                continue
            seen_spans.add((m.start, m.end))
            rows["mentions"].append(
                {
                    "doc_id": doc.doc_id,
                    "sent_idx": m.sent_idx,
                    "start_char": m.start,
                    "end_char": m.end,
                    "surface": m.surface,
                    "label": m.label,
                    "entity_id": m.entity_id,
                    "score": m.score,
                    "family_id": m.family_id,
                    "alt_ids": list(m.alt_ids) or None,
                }
            )
            if m.entity_id is None:
                continue
            if m.entity_id not in seen_entities:
                seen_entities.add(m.entity_id)
                rows["entities"].append(
                    {
                        "entity_id": m.entity_id,
                        "name": m.entity_name or m.surface,
                        "label": m.label,
                        "source": "discovered",
                        "external_id": None,
                    }
                )
            lang = doc.sentences[m.sent_idx].lang if m.sent_idx < len(doc.sentences) else doc.lang
            alias = (m.entity_id, m.surface, lang)
            if alias not in seen_aliases:
                seen_aliases.add(alias)
                rows["entity_aliases"].append(
                    {"entity_id": m.entity_id, "alias": m.surface, "lang": lang, "norm": m.entity_norm}
                )
    rows["inputs"] = [
        {
            "source_uri": d.source_uri,
            "raw_hash": d.raw_hash,
            "file_stamp": d.file_stamp,
            "doc_id": d.doc_id,
            "pipeline_version": pipeline_version,
            "run_id": run_id,
            "seen_at": now,
            "title": d.title,
            "published_at": d.published_at,
            "site": d.site,
            "author": d.author,
            "media_type": d.media_type,
            "fetched_at": d.fetched_at,
        }
        for d in [*docs, *duplicates]
    ]
    rows["rejects"] = [
        {"source_uri": r.source_uri, "reason": r.reason, "detail": r.detail, "run_id": run_id, "rejected_at": now}
        for r in rejects
    ]
    return rows


def split_updates(kept: list[Doc], duplicates: list[Doc], representatives: Mapping[str, str]) -> tuple[list, list]:
    """Pure: after ``tasks.process.dedupe``, the duplicates that are their document's representative source
    yielding it again (other bytes, the same article: a corrected title, date, author or site) are documents
    again, so that the row and its lake files are rewritten. Returns (documents, duplicates)."""
    own = [d for d in duplicates if representatives.get(d.doc_id) == d.source_uri]
    if not own:
        return kept, duplicates
    ids = {id(d) for d in own}
    return [*kept, *own], [d for d in duplicates if id(d) not in ids]


def write_lake(rows: dict[str, list[dict]], lake: Lake, key: str) -> dict[str, str]:
    """Write one Parquet file per non-empty table; returns their lake paths by table."""
    files: dict[str, str] = {}
    for name, table_rows in rows.items():
        if not table_rows:
            continue
        path = lake.path(name, f"{key}.parquet")
        lake.write_parquet(pa.Table.from_pylist(table_rows, schema=SCHEMAS[name]), path)
        files[name] = path
    return files


def is_transient(task, task_run, state) -> bool:  # noqa: ANN001
    """``retry_condition_fn``: retry a load only when the warehouse was locked or the disk hiccuped."""
    try:
        state.result()
    except (db.WarehouseBusy, OSError):
        return True
    except Exception:  # noqa: BLE001
        return False
    return False


@task(
    name="write-parquet", cache_policy=NO_CACHE, retries=2, retry_delay_seconds=[1, 5], retry_condition_fn=is_transient
)
def write_batch(
    batch: Processed, run_id: str, lake: Lake, pipeline_version: str, duplicates: list[Doc] = ()
) -> tuple[str, dict[str, str]]:
    """Write one batch's rows (its documents, their parts, its rejects, and an ``inputs`` row for every input
    including ``duplicates``) as Parquet files named by the batch's content key."""
    key = batch_key([*batch.docs, *duplicates], batch.rejects)
    rows = to_rows(batch.docs, batch.rejects, run_id, key, pipeline_version, duplicates)
    return key, write_lake(rows, lake, key)


@task(
    name="load-duckdb",
    cache_policy=NO_CACHE,
    retries=3,
    retry_delay_seconds=[2, 10, 30],
    retry_condition_fn=is_transient,
)
def load_batch(db_path: Path, lake: Lake, files: dict[str, str], key: str, run_id: str) -> db.BatchLoad:
    return db.load_batch(db_path, {t: lake.uri(p) for t, p in files.items()}, key, run_id, lake.remote_fs)


@task(name="restamp-inputs", retries=3, retry_delay_seconds=[2, 10, 30], retry_condition_fn=is_transient)
def restamp_inputs(db_path: Path, restamps: list[tuple[str, str, str]]) -> int:
    return db.restamp_inputs(db_path, restamps)


def reference_version(seeds_dir: Path) -> str:
    """Hash of the reference data files (not the corpus): reload entities/aliases only when it changes."""
    h = hashlib.sha256()
    for path in sorted(p for p in seeds_dir.glob("*") if p.is_file() and p.suffix in (".csv", ".parquet", ".tsv")):
        h.update(path.name.encode())
        h.update(path.read_bytes())
    return h.hexdigest()[:20]


@task(name="load-reference", retries=3, retry_delay_seconds=[2, 10, 30], retry_condition_fn=is_transient)
def load_reference(db_path: Path, lake: Lake, seeds_dir: Path) -> bool:
    """Load the knowledge base's reference entities and aliases (gazetteers, people/orgs) into DuckDB."""
    version = reference_version(seeds_dir)
    if db.reference_loaded(db_path, version):
        return False
    return run_isolated(_load_reference, db_path, lake, seeds_dir, version)


def _load_reference(db_path: Path, lake: Lake, seeds_dir: Path, version: str) -> bool:
    from tasks.enrich.link import KnowledgeBase

    # forked from the workers' forkserver, the cached knowledge base is already loaded; in the flow process, a fresh
    # one that goes when this returns
    kb = KnowledgeBase.load(seeds_dir) if multiprocessing.parent_process() else KnowledgeBase.build(seeds_dir)
    paths = {}
    for name, rows in (("entities", kb.reference_entities()), ("entity_aliases", kb.reference_aliases())):
        paths[name] = lake.path("reference", f"{name}.parquet")
        lake.write_parquet(pa.Table.from_pylist(rows, schema=SCHEMAS[name]), paths[name])
    del kb, rows
    loaded = db.load_reference(
        db_path, lake.uri(paths["entities"]), lake.uri(paths["entity_aliases"]), version, lake.remote_fs
    )
    release_memory()  # ~250 MB of reference rows and their load (kept by glibc otherwise)
    return loaded


@contextmanager
def run_lock(data_dir: Path, wait_s: float = 3600.0) -> Iterator[None]:
    """One ingest run per data dir at a time: a second run waits for the first, then runs."""
    data_dir.mkdir(parents=True, exist_ok=True)
    with open(data_dir / ".run.lock", "w") as f:
        deadline = time.monotonic() + wait_s
        while True:
            try:
                fcntl.flock(f, fcntl.LOCK_EX | fcntl.LOCK_NB)
                break
            except BlockingIOError:
                if time.monotonic() > deadline:
                    raise TimeoutError(f"another newsetl run holds {data_dir} for more than {wait_s}s") from None
                time.sleep(0.5)
        try:
            yield
        finally:
            fcntl.flock(f, fcntl.LOCK_UN)


def remove_orphans(lake: Lake, db_path: Path) -> list[str]:
    """Delete lake files of batches that never reached the warehouse (a crash between write and load)
    and temp files of interrupted writes. Call only while holding :func:`run_lock`."""
    loaded = db.loaded_batches(db_path)
    removed = [
        path
        for path in lake.all_files()
        if table_of(path) != "reference"
        and (path.endswith(".tmp") or (path.endswith(".parquet") and stem(path) not in loaded))
    ]
    lake.delete(removed)
    return removed
