"""Stories / duplicates benchmark: pairwise precision, recall and F1 of story grouping and of
near-duplicate detection on a labelled multilingual set, and docs/s of the stage.

Run from the repository root::

    .venv/bin/python bench/stories.py [--data bench/data/stories/items.jsonl]

The items (bench/data/stories/README.md: hand-written, CC0) go through the real pipeline functions
(clean + segment, language, NER, entity linking, Parquet batch, DuckDB load) into a temporary
warehouse, with ``published_at`` set to the item's date; then ``tasks.stories.update_stories_fn``
assigns them, first all at once, then (incremental) the last third of the items in a second run.

Pairwise metrics: over all unordered pairs of items, a pair is positive when both are in the same gold
event (stories) or one is the gold duplicate of the other (duplicates, taken as undirected groups).
Ablations re-run only the (cheap) assignment with entities only / embeddings only.
"""

from __future__ import annotations

import argparse
import hashlib
import itertools
import json
import sys
import tempfile
import time
from datetime import UTC, datetime
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

from newsetl.config import Paths  # noqa: E402
from newsetl.doc import Doc, Processed  # noqa: E402
from newsetl.lake import Lake  # noqa: E402
from newsetl.version import PIPELINE_VERSION  # noqa: E402
from tasks import stories  # noqa: E402
from tasks.load import load_batch, write_batch  # noqa: E402
from tasks.process import clean_and_segment, dedupe, enrich  # noqa: E402
from warehouse import db  # noqa: E402


def build_warehouse(items: list[dict], data_dir: Path) -> dict[str, list[str]]:
    """Ingest the items through the real pipeline functions; returns doc_id -> item ids."""
    now = datetime.now(UTC)
    docs = []
    for it in items:
        raw = it["text"]
        docs.append(
            Doc(
                source_uri=f"https://{it['source']}/{it['id']}",
                raw_text=raw,
                fetched_at=now,
                raw_hash=hashlib.sha256(raw.encode()).hexdigest(),
            )
        )
    cleaned = clean_and_segment(docs)
    enriched = enrich(cleaned.docs, Paths.resolve(str(data_dir)).seeds)
    by_uri = {f"https://{it['source']}/{it['id']}": it for it in items}
    ids: dict[str, list[str]] = {}
    for d in enriched.docs:
        it = by_uri[d.source_uri]
        d.published_at = datetime.fromisoformat(it["date"]).replace(hour=12, tzinfo=UTC)
        ids.setdefault(d.doc_id, []).append(it["id"])
    # the same clean text is one document (the ingest flow's dedupe): an exact duplicate by doc_id
    kept, _ = dedupe(enriched.docs, set())
    lake = Lake.of(data_dir / "lake")
    key, files = write_batch.fn(Processed(kept, cleaned.rejects + enriched.rejects), "bench", lake, PIPELINE_VERSION)
    load_batch.fn(data_dir / "newsetl.duckdb", lake, files, key, "bench")
    return ids


def pairs(groups: dict[str, str]) -> set[frozenset[str]]:
    by: dict[str, list[str]] = {}
    for item, g in groups.items():
        by.setdefault(g, []).append(item)
    return {frozenset(p) for members in by.values() for p in itertools.combinations(sorted(members), 2)}


def prf(pred: set, gold: set) -> tuple[float, float, float]:
    tp = len(pred & gold)
    p = tp / len(pred) if pred else 1.0
    r = tp / len(gold) if gold else 1.0
    return p, r, (2 * p * r / (p + r) if p + r else 0.0)


def evaluate(db_path: Path, ids: dict[str, list[str]], items: list[dict]) -> dict[str, tuple[float, float, float]]:
    """Items with the same clean text share a doc_id: same story, and duplicates of the first one."""
    _, rows = db.query(db_path, "select doc_id, story_id from stories")
    pred_story = {i: s for d, s in rows for i in ids.get(d, [])}
    _, rows = db.query(db_path, "select doc_id, duplicate_of from duplicates")
    dup_of = dict(rows)
    pred_dup = {i: dup_of.get(d, d) for d, its in ids.items() for i in its}
    gold_story = {it["id"]: it["event"] for it in items}
    gold_dup = {it["id"]: it["duplicate_of"] or it["id"] for it in items}
    return {
        "stories": prf(pairs(pred_story), pairs(gold_story)),
        "duplicates": prf(pairs(pred_dup), pairs(gold_dup)),
    }


def reset(db_path: Path) -> None:
    with db.connect(db_path) as con:
        for t in ("stories", "duplicates", "doc_signatures", "doc_lsh"):
            con.execute(f"delete from {t}")


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--data", type=Path, default=REPO / "bench" / "data" / "stories" / "items.jsonl")
    args = ap.parse_args()
    items = [json.loads(line) for line in args.data.read_text().splitlines() if line.strip()]
    langs = sorted({it["lang"] for it in items})
    print(f"{len(items)} items, {len({it['event'] for it in items})} events, "
          f"{sum(1 for it in items if it['duplicate_of'])} near duplicates, languages: {' '.join(langs)}")  # fmt: skip
    with tempfile.TemporaryDirectory() as tmp:
        data_dir = Path(tmp)
        db_path = data_dir / "newsetl.duckdb"
        ids = build_warehouse(items, data_dir)
        order = {d: min(i for i, it in enumerate(items) if it["id"] in its) for d, its in ids.items()}

        results = []
        # 1. cold: all at once, model load included
        t = time.perf_counter()
        counts = stories.update_stories_fn(db_path)
        cold = time.perf_counter() - t
        results.append(
            ("all at once (cold, model load incl.)", evaluate(db_path, ids, items), counts["assigned"] / cold)
        )
        # 2. warm: all at once again, model loaded
        reset(db_path)
        t, cpu = time.perf_counter(), time.process_time()
        counts = stories.update_stories_fn(db_path)
        warm, cpu = time.perf_counter() - t, time.process_time() - cpu
        results.append(("all at once (warm)", evaluate(db_path, ids, items), counts["assigned"] / warm))
        results.append(("  same, per CPU-second", evaluate(db_path, ids, items), counts["assigned"] / cpu))
        # 3. incremental: the first two thirds (in file order), then the rest joins
        reset(db_path)
        cut = 2 * len(items) // 3
        late = [d for d in ids if order[d] >= cut]
        with db.connect(db_path) as con:
            con.execute("create temp table held as select * from documents where doc_id in (select unnest(?))", [late])
            con.execute("delete from documents where doc_id in (select unnest(?))", [late])
            stories.update_stories_fn(db_path)
            con.execute("insert into documents select * from held")
        t = time.perf_counter()
        counts = stories.update_stories_fn(db_path)
        inc = time.perf_counter() - t
        again = stories.update_stories_fn(db_path)
        results.append(
            (f"incremental ({len(items) - cut} joining {cut})", evaluate(db_path, ids, items), counts["assigned"] / inc)
        )
        assert again["assigned"] == 0, again
        # 4. ablations of the evidence (same features, weights changed)
        saved = stories.W_ENTITIES
        for name, w in (("entity weight 1 (emb. if <2 linked)", 1.0), ("entity weight 0 (embeddings only)", 0.0)):
            stories.W_ENTITIES = w
            reset(db_path)
            stories.update_stories_fn(db_path)
            results.append((name, evaluate(db_path, ids, items), float("nan")))
        stories.W_ENTITIES = saved
        # 5. without dates: every pair is compared (content evidence only)
        saved = stories.WINDOW_DAYS
        stories.WINDOW_DAYS = 10**6
        reset(db_path)
        stories.update_stories_fn(db_path)
        results.append(("no date window (content only)", evaluate(db_path, ids, items), float("nan")))
        stories.WINDOW_DAYS = saved

    print()
    print(
        f"{'run':40} {'story P':>8} {'story R':>8} {'story F1':>8} {'dup P':>6} {'dup R':>6} {'dup F1':>6} {'docs/s':>7}"
    )
    for name, m, dps in results:
        (sp, sr, sf), (dp, dr, df) = m["stories"], m["duplicates"]
        print(f"{name:40} {sp:8.3f} {sr:8.3f} {sf:8.3f} {dp:6.3f} {dr:6.3f} {df:6.3f} {dps:7.1f}")
    print(f"\nSTORIES_VERSION={stories.STORIES_VERSION} threshold={stories.STORY_THRESHOLD} "
          f"w_entities={stories.W_ENTITIES} embed_chars={stories.EMBED_CHARS} window_days={stories.WINDOW_DAYS}")  # fmt: skip


if __name__ == "__main__":
    main()
