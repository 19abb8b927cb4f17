"""Assigning new documents a duplicate and a story (pure): the state records and :func:`assign`."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import date, datetime

import numpy as np

from tasks.stories.duplicates import is_duplicate, lsh_buckets, minhash, shingles
from tasks.stories.features import (
    char_grams,
    embed,
    embedding_segments,
    entity_evidence,
    lexical_text,
    lexical_vector,
    pair_features,
)
from tasks.stories.settings import (
    BLOCK_DOCS,
    DUP_MIN_SIMILARITY,
    DUP_TITLE_MIN,
    EMBED_DIM,
    LEX_DIM,
    PAIR_BIAS,
    PAIR_FEATURES,
    PAIR_WEIGHTS,
    STORY_THRESHOLD,
    WINDOW_DAYS,
)

# ---------------------------------------------------------------- assignment (pure)


@dataclass(slots=True)
class NewDoc:
    """A document not yet assigned, as read from the warehouse."""

    doc_id: str
    text: str
    title: str | None = None
    lang: str = "und"
    sentences: list[str] = field(default_factory=list)
    entities: frozenset[str] = frozenset()
    happened_at: datetime | None = None
    day_source: str | None = None  # 'published' or 'fetched': which date happened_at is
    embedding: np.ndarray | None = None  # from doc_embeddings (computed by the ingest workers)

    @property
    def day(self) -> date | None:
        return self.happened_at.date() if self.happened_at else None


@dataclass(slots=True)
class Features:
    doc_id: str
    day: date | None
    shingles: frozenset[int]
    minhash: np.ndarray
    buckets: list[int]
    embedding: np.ndarray  # [lead | title]
    entities: frozenset[str]
    lang: str = "und"
    day_source: str | None = None
    lexical: np.ndarray | None = None
    has_title: bool = False


@dataclass(slots=True)
class Known:
    """An already-assigned document, with what is needed to compare a new one with it."""

    doc_id: str
    day: date | None
    embedding: np.ndarray | None
    entities: frozenset[str]
    story_id: str
    duplicate_of: str | None = None
    shingles: frozenset[int] | None = None  # only for near-duplicate candidates
    lang: str = "und"
    lexical: np.ndarray | None = None
    has_title: bool = False  # read with the shingles (near-duplicate candidates)


def featurize(docs: Sequence[NewDoc]) -> list[Features]:
    missing = [d for d in docs if d.embedding is None or len(d.embedding) != 2 * EMBED_DIM]
    vectors = embed([embedding_segments(d.title, d.sentences, d.text) for d in missing], threads=2)  # cores free
    for d, v in zip(missing, vectors, strict=True):
        d.embedding = v
    out = []
    for d in docs:
        sh = shingles(d.text or d.title or "")  # a headline-only record: its title
        sig = minhash(sh)
        out.append(
            Features(
                d.doc_id, d.day, sh, sig, lsh_buckets(sig), np.asarray(d.embedding, np.float32), d.entities,
                d.lang, d.day_source, lexical_vector(char_grams(lexical_text(d.title, d.text))), bool(d.title),
            )
        )  # fmt: skip
    return out


@dataclass(slots=True)
class Assignment:
    duplicates: list[tuple[str, str, float]]  # (doc_id, duplicate_of, similarity)
    stories: list[tuple[str, str, float]]  # (story_id, doc_id, score)


def _linear(lead: np.ndarray, title: np.ndarray, lexical: np.ndarray, cross: np.ndarray) -> np.ndarray:
    """The pair model's score from the cosines, without the entity term and unclipped (the entity term is linear:
    it is added where it can matter)."""
    return pair_features(lead, title, lexical, cross, np.zeros(len(lead))) @ PAIR_WEIGHTS + PAIR_BIAS


def _same_story_too(f: Features, cand: Known, idf: dict[str, float]) -> bool:
    """The story test of a near duplicate: titles that agree (cosine >= DUP_TITLE_MIN) when both documents have
    one, else a pair similarity >= DUP_MIN_SIMILARITY (an untitled page's first sentence can be boilerplate)."""
    if cand.embedding is None or cand.lexical is None:
        return True
    if f.has_title and cand.has_title:
        return float(f.embedding[EMBED_DIM:] @ cand.embedding[EMBED_DIM:]) >= DUP_TITLE_MIN
    raw = _linear(
        [float(f.embedding[:EMBED_DIM] @ cand.embedding[:EMBED_DIM])],
        [float(f.embedding[EMBED_DIM:] @ cand.embedding[EMBED_DIM:])],
        [float(f.lexical @ cand.lexical)], [float(f.lang != cand.lang)],
    )[0]  # fmt: skip
    w_ent = PAIR_WEIGHTS[PAIR_FEATURES.index("entities")]
    return min(1.0, raw + w_ent * entity_evidence(f.entities, cand.entities, idf)) >= DUP_MIN_SIMILARITY


def assign(
    new: Sequence[Features],
    known: Sequence[Known],
    buckets: dict[int, set[str]],
    idf: dict[str, float],
) -> Assignment:
    """Assign each new document (in the given order: oldest first) a duplicate and a story.

    ``known``: the stored documents of the date window plus the near-duplicate candidates (those with
    ``shingles``); ``buckets``: LSH bucket -> doc_ids of the stored documents sharing a new one's bucket.
    New documents are added to the pool as they are assigned, so they group among themselves too.
    """
    pool: dict[str, Known] = {k.doc_id: k for k in known}
    buckets = defaultdict(set, {b: set(ids) for b, ids in buckets.items()})
    story_docs = [k for k in pool.values() if k.embedding is not None and k.lexical is not None]
    # vectors, languages and day numbers of the pool, then of the new documents in their order (each new document
    # joins story_docs once, in order: new document i is row n0 + i)
    n0, size = len(story_docs), len(story_docs) + len(new)
    mat = np.zeros((size, 2 * EMBED_DIM), dtype=np.float32)
    lex = np.zeros((size, LEX_DIM), dtype=np.float32)
    langs = np.zeros(size, dtype=np.int32)  # language codes (lang_codes)
    lang_codes: dict[str, int] = {}
    days = np.full(size, np.nan)
    for i, k in enumerate([*story_docs, *new]):
        mat[i], lex[i], langs[i] = k.embedding, k.lexical, lang_codes.setdefault(k.lang, len(lang_codes))
        days[i] = k.day.toordinal() if k.day else np.nan
    w_ent = float(PAIR_WEIGHTS[PAIR_FEATURES.index("entities")])
    e = EMBED_DIM
    result = Assignment([], [])
    for start in range(0, len(new), BLOCK_DOCS):
        # the cosines of a block of new documents with every earlier row, as matrix products
        rows, upto = slice(n0 + start, n0 + min(start + BLOCK_DOCS, len(new))), n0 + min(start + BLOCK_DOCS, len(new))
        lead_b = mat[rows, :e] @ mat[:upto, :e].T
        title_b = mat[rows, e:] @ mat[:upto, e:].T
        lex_b = lex[rows] @ lex[:upto].T
        for i in range(start, min(start + BLOCK_DOCS, len(new))):
            f, r, b = new[i], n0 + i, i - start
            # 1. near duplicate of a stored or earlier new document (and the same story)?
            best_dup: tuple[float, Known] | None = None
            for cid in sorted({c for bucket in f.buckets for c in buckets.get(bucket, ())}):
                cand = pool.get(cid)
                if cand is None or cand.shingles is None or cid == f.doc_id:
                    continue
                sim = is_duplicate(f.shingles, cand.shingles)
                if sim is None or (best_dup is not None and sim <= best_dup[0]):
                    continue
                if not _same_story_too(f, cand, idf):
                    continue  # shingles shared, story not: boilerplate or a template
                best_dup = (sim, cand)
            dup_of = None
            if best_dup:
                sim, cand = best_dup
                dup_of = cand.duplicate_of or cand.doc_id
                result.duplicates.append((f.doc_id, dup_of, round(sim, 4)))
                story_id, score = cand.story_id, sim
            else:
                # 2. story of the most similar earlier document of the date window
                story_id, score = f.doc_id, 1.0
                if r:
                    raw = _linear(lead_b[b, :r], title_b[b, :r], lex_b[b, :r], (langs[:r] != langs[r]).astype(float))
                    if f.day is not None:  # unknown days are always compared
                        raw[np.abs(days[:r] - f.day.toordinal()) > WINDOW_DAYS] = -np.inf
                    # entity evidence (in [0, 1]) only where it can lift a pair over the threshold
                    if w_ent:
                        for j in np.flatnonzero(raw + max(w_ent, 0.0) >= STORY_THRESHOLD):
                            raw[j] += w_ent * entity_evidence(f.entities, story_docs[j].entities, idf)
                    j = int(np.argmax(raw))  # the first of equals: the oldest
                    if raw[j] >= STORY_THRESHOLD:
                        story_id, score = story_docs[j].story_id, min(1.0, float(raw[j]))
            result.stories.append((story_id, f.doc_id, round(float(score), 4)))
            me = Known(
                f.doc_id, f.day, f.embedding, f.entities, story_id, dup_of, f.shingles, f.lang, f.lexical, f.has_title
            )
            pool[f.doc_id] = me
            story_docs.append(me)
            for bucket in f.buckets:
                buckets[bucket].add(f.doc_id)
    return result
