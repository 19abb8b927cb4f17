"""Thin Prefect task wrappers around the pure stages, one task run per batch.

Each wrapper isolates documents: an exception in one document's stage becomes a ``rejects`` row for
that document (reason ``<stage>_error``) and the rest of the batch goes on. Models are loaded lazily,
once per worker process, by the stage modules themselves.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable, Mapping
from pathlib import Path

from prefect import task
from prefect.cache_policies import NO_CACHE  # batches are big: never hash them for a cache key

from newsetl.doc import Doc, Processed, Reject
from newsetl.memory import release_memory
from tasks.clean import clean
from tasks.enrich.langid import detect_language
from tasks.enrich.link import KnowledgeBase, known_name_mentions, link_entities_batch
from tasks.enrich.ner import tag_entities_batch
from tasks.extract import apply_given, extract_batch
from tasks.segment import segment
from tasks.stories import embed_docs

logger = logging.getLogger(__name__)


def _per_doc(stage: str, fn: Callable[[Doc], Doc], docs: list[Doc], rejects: list[Reject]) -> list[Doc]:
    ok = []
    for doc in docs:
        try:
            ok.append(fn(doc))
        except Exception as exc:  # noqa: BLE001 - a bad document must never fail its batch
            rejects.append(Reject(doc.source_uri, f"{stage}_error", f"{type(exc).__name__}: {exc}"))
    return ok


def _batched(stage: str, fn: Callable[[list[Doc]], list[Doc]], docs: list[Doc], rejects: list[Reject]) -> list[Doc]:
    """Run a batch-level stage; if the batch fails, fall back to one document at a time to isolate the culprit."""
    try:
        return fn(docs)
    except Exception:  # noqa: BLE001
        return _per_doc(stage, lambda d: fn([d])[0], docs, rejects)


def clean_and_segment(docs: list[Doc]) -> Processed:
    """Pure: clean each document, reject those with no article text, split the rest into sentences."""
    out = Processed([], [])
    t0 = time.perf_counter()
    cleaned = _per_doc("clean", lambda d: apply_given(clean(d)), docs, out.rejects)
    kept = []
    for doc in cleaned:
        if doc.text.strip():
            kept.append(doc)
        else:
            kinds = sorted({b.kind for b in doc.blocks})
            out.rejects.append(Reject(doc.source_uri, "no_text", f"no article text found (blocks: {kinds})"))
    for doc in kept:
        doc.raw_text = ""  # not needed downstream: keeps the batch small between processes
    t1 = time.perf_counter()
    out.docs = _per_doc("segment", segment, kept, out.rejects)
    out.seconds = {"clean": t1 - t0, "segment": time.perf_counter() - t1}
    return out


def enrich(docs: list[Doc], seeds_dir: Path) -> Processed:
    """Pure (models aside): language per document and sentence, entity mentions, entity links."""
    out = Processed([], [])
    t0 = time.perf_counter()
    docs = _per_doc("langid", detect_language, docs, out.rejects)
    t1 = time.perf_counter()
    docs = _batched("ner", tag_entities_batch, docs, out.rejects)
    t2 = time.perf_counter()
    kb = KnowledgeBase.load(seeds_dir)
    docs = _per_doc("known-names", lambda d: known_name_mentions(d, kb), docs, out.rejects)
    docs = _batched("link", lambda ds: link_entities_batch(ds, kb), docs, out.rejects)
    t3 = time.perf_counter()
    try:
        embed_docs(docs)
    except Exception:  # noqa: BLE001 - no reason to reject a document: stories computes missing vectors itself
        logger.exception("document vectors not computed for this batch; update-stories will compute them")
    out.docs = docs
    out.seconds = {
        "language": t1 - t0,
        "entities": t2 - t1,
        "linking": t3 - t2,
        "embedding": time.perf_counter() - t3,
    }
    return out


def dedupe(docs: list[Doc], seen: set[str]) -> tuple[list[Doc], list[Doc]]:
    """Keep the first document of each doc_id (same article text from two inputs); returns kept and duplicates."""
    kept, skipped = [], []
    for doc in docs:
        if doc.doc_id in seen:
            skipped.append(doc)
        else:
            seen.add(doc.doc_id)
            kept.append(doc)
    return kept, skipped


@task(name="clean-segment", cache_policy=NO_CACHE)
def clean_batch(extracted: Processed) -> Processed:
    return clean_and_segment(extracted.docs)


@task(name="enrich", cache_policy=NO_CACHE)
def enrich_batch(cleaned: Processed, seeds_dir: Path) -> Processed:
    return enrich(cleaned.docs, seeds_dir)


def _process(
    uris: list[str], known_raw_hashes: Mapping[str, str], seeds_dir: Path, steps: tuple, hints: dict | None = None
) -> Processed:
    extract_step, clean_step, enrich_step = steps
    t0 = time.perf_counter()
    extracted = extract_step(uris, known_raw_hashes, hints)
    extract_s = time.perf_counter() - t0
    cleaned = clean_step(Processed(extracted.docs, []))
    enriched = enrich_step(cleaned, seeds_dir)
    release_memory()  # a worker stays at its models' size instead of creeping up with every batch
    rejects = extracted.rejects + cleaned.rejects + enriched.rejects
    seconds = {"extract": extract_s} | cleaned.seconds | enriched.seconds
    return Processed(enriched.docs, rejects, seconds, extracted.skipped, extracted.ignored)


@task(name="process-batch", cache_policy=NO_CACHE)
def process_batch(
    uris: list[str], known_raw_hashes: Mapping[str, str], seeds_dir: Path, hints: dict | None = None
) -> Processed:
    """One batch's work in one worker: extract (read and decode the sources), clean+segment, then enrich, as
    nested task runs (each visible and retryable on its own). The flow sends the batch's URIs, not its pages:
    raw pages never cross between processes, and the flow process never holds a batch of them."""
    return _process(uris, known_raw_hashes, seeds_dir, (extract_batch, clean_batch, enrich_batch), hints)


def process(
    uris: list[str], known_raw_hashes: Mapping[str, str], seeds_dir: Path, hints: dict | None = None
) -> Processed:
    """:func:`process_batch` without Prefect (the benchmarks' reference): the same functions in the same order."""
    return _process(uris, known_raw_hashes, seeds_dir, (extract_batch.fn, clean_batch.fn, enrich_batch.fn), hints)
