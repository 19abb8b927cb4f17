"""Entity linking: does the same person get the same id in every script, and what does linking cost?

Method. Every mention is linked in a document and a batch of its own (nothing is shared between the two
sides, as with two articles of two runs), and we count over every pair of PER mentions written in two
different scripts: a pair is *predicted same* when both mentions got the same ``entity_id`` and *gold
same* when they name the same person. Precision = both / predicted same, recall = both / gold same,
per script pair: Latin-Cyrillic (en-ru), Latin-Arabic (en-ar, tr-ar), Latin-Latin (en-tr: Turkish
spellings and suffixes). Two sets: (1) ``held-out names``: the Wikidata name-token pairs of
``shared/names`` whose Latin token ``tools/build_names.py`` held out (no table was built from them),
each token a one-word PER mention, a sample of ``--sample`` pairs per file, gold same = the two tokens
are a listed pair; (2) ``real sentences``: ``bench/data/link_people.tsv``, 342 gold PER spans of 27
people in real sentences of ``shared/ner-train`` (ru: factRuEval news; en: EWT, CrossNER politics, Broad
Twitter Corpus; ar: WikiFANE/AQMAR; tr: Turkish Wiki NER), labelled by hand (see ``docs/ENTITIES.md``);
the file holds offsets and labels only, the text is read from ``--data``; each sentence is a document
with all its gold PER spans, linked on its own, and again with the sentences of each language in one batch. Each
set is also counted in the *corpus case*: all its documents loaded into one fresh warehouse (Parquet, then DuckDB,
as a run loads them) and compared on ``stg_mentions.resolved_id`` instead of ``entity_id`` (a family name alone
resolved to the one person of the corpus, an unknown person to the person its sound model's other reading names:
``docs/ENTITIES.md``). Cost: the linking stage alone (known-name spotting + linking) on the
``dev`` sentences of the four languages with all their gold spans, in batches of 200 one-sentence
documents: words per CPU-second, and the resident memory of the loaded reference data and name table. The
analyst views' cost: the 2,862 articles of ``shared/eval/stories`` (SemEval-2022 task 8) through the real pipeline
into a warehouse, with the 1,559 distinct Russian sentences of ``shared/ner-train/ru/train.conll`` (factRuEval news,
gold mentions; the stories have no Russian), each document then copied ``--views-scale`` times under new ids (20:
~88,000 documents, ~990,000 real mentions), and the wall seconds of ``select count(*) from stg_mentions`` and of reading all of
``who_met_whom``, ``entity_profile`` and ``entity_timeline``, with and without the cross-script resolution.
"""

from __future__ import annotations

import argparse
import csv
import hashlib
import os
import sys
import tempfile
import time
from collections import Counter, defaultdict
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "tools"))

from build_names import held_out  # noqa: E402

from newsetl.doc import Doc, Mention, Sentence  # noqa: E402

LABELLED = ROOT / "bench" / "data" / "link_people.tsv"
SCRIPT = {"en": "Latin", "tr": "Latin", "fr": "Latin", "ru": "Cyrillic", "ar": "Arabic"}


def _rss_mb() -> float:
    """This process's PSS in MiB."""
    from newsetl.memory import smaps_rollup

    return smaps_rollup()["Pss"] / 2**20


def read_conll(path: Path) -> list[list[tuple[str, str]]]:
    sents, cur = [], []
    for line in path.read_text(encoding="utf-8").splitlines():
        if not line:
            if cur:
                sents.append(cur)
                cur = []
            continue
        tok, tag = line.split("\t")
        cur.append((tok, tag))
    if cur:
        sents.append(cur)
    return sents


def sentence_doc(tokens: list[tuple[str, str]], lang: str, uri: str) -> tuple[Doc, dict[tuple[int, int], Mention]]:
    """One sentence (tokens joined by spaces) as a document with all its gold spans; returns the
    mentions by token span."""
    starts, pos = [], 0
    for tok, _ in tokens:
        starts.append(pos)
        pos += len(tok) + 1
    text = " ".join(t for t, _ in tokens)
    doc = Doc(source_uri=uri, text=text, lang=lang)
    doc.sentences.append(Sentence(0, 0, len(text), text, lang))
    spans: dict[tuple[int, int], Mention] = {}
    i = 0
    while i < len(tokens):
        tag = tokens[i][1]
        if tag.startswith("B-"):
            label, j = tag[2:], i + 1
            while j < len(tokens) and tokens[j][1] == "I-" + label:
                j += 1
            s, e = starts[i], starts[j - 1] + len(tokens[j - 1][0])
            m = Mention(0, s, e, text[s:e], label)
            doc.mentions.append(m)
            spans[(i, j)] = m
            i = j
        else:
            i += 1
    return doc, spans


def pair_scores(side_a: list[tuple[str, str]], side_b: list[tuple[str, str]], gold_same) -> tuple[float, float, int]:
    """Precision, recall and gold-same pair count over all (a, b) pairs; sides are (gold, id) lists."""
    by_id_b: dict[str, list[str]] = defaultdict(list)
    for g, i in side_b:
        by_id_b[i].append(g)
    pred = tp = 0
    for g, i in side_a:
        hits = by_id_b.get(i, ())
        pred += len(hits)
        tp += sum(1 for h in hits if gold_same(g, h))
    gold_b = Counter(g for g, _ in side_b)
    gold = sum(n for g, _ in side_a for h, n in gold_b.items() if gold_same(g, h))
    return (tp / pred if pred else float("nan")), (tp / gold if gold else float("nan")), gold


def held_out_names(data: Path, kb, sample: int) -> list[tuple[str, str, float, float, int]]:
    from tasks.enrich.link import link_entities

    rows = []
    for file, lang in (("wd_en_ru.tsv", "ru"), ("wd_en_ar.tsv", "ar")):
        pairs = []
        for line in (data / "names" / file).read_text(encoding="utf-8").splitlines():
            la, other, _ = line.split("\t")
            if held_out(la):
                pairs.append((la, other))
        pairs.sort(key=lambda p: hashlib.blake2b("|".join(p).encode(), digest_size=8).digest())
        pairs = pairs[:sample]
        gold = set(pairs)

        def ids(tokens: list[str], lg: str) -> list[str]:
            out = []
            for t in tokens:
                text = t[:1].upper() + t[1:]
                doc = Doc(source_uri=f"{lg}:{t}", text=text, lang=lg)
                doc.sentences.append(Sentence(0, 0, len(text), text, lg))
                doc.mentions.append(Mention(0, 0, len(text), text, "PER"))
                out.append(link_entities(doc, kb))
            return out

        latin = sorted({p[0] for p in pairs})
        other = sorted({p[1] for p in pairs})
        docs_a, docs_b = ids(latin, "en"), ids(other, lang)
        label = f"Latin-{SCRIPT[lang]} (en-{lang}, {len(pairs)} held-out pairs)"
        a = [(t, d.mentions[0].entity_id) for t, d in zip(latin, docs_a, strict=True)]
        b = [(t, d.mentions[0].entity_id) for t, d in zip(other, docs_b, strict=True)]
        p, r, n = pair_scores(a, b, lambda x, y, gold=gold: (x, y) in gold)
        rows.append(("held-out names", label, p, r, n))
        # the corpus case: both sides in one warehouse, compared on stg_mentions.resolved_id
        resolved = resolved_ids([*docs_a, *docs_b])
        a = [(t, resolved[_span(d, d.mentions[0])]) for t, d in zip(latin, docs_a, strict=True)]
        b = [(t, resolved[_span(d, d.mentions[0])]) for t, d in zip(other, docs_b, strict=True)]
        p, r, n = pair_scores(a, b, lambda x, y, gold=gold: (x, y) in gold)
        rows.append(("held-out names, one corpus (resolved_id)", label, p, r, n))
    return rows


def _span(doc: Doc, m: Mention) -> tuple[str, int, int]:
    return doc.doc_id, m.start, m.end


def resolved_ids(docs: list[Doc]) -> dict[tuple[str, int, int], str]:
    """Load linked documents into a fresh warehouse as a run does (Parquet, then DuckDB) and read each mention's
    ``stg_mentions.resolved_id``, by (doc_id, start, end). Documents with the same text are one document (the
    same doc_id), as in a run."""
    docs = list({d.doc_id: d for d in reversed(docs)}.values())
    from newsetl.doc import Processed
    from newsetl.lake import Lake
    from tasks import load
    from warehouse import db

    with tempfile.TemporaryDirectory() as tmp:
        path, lake = Path(tmp) / "bench.duckdb", Lake.of(Path(tmp) / "lake")
        key, files = load.write_batch.fn(Processed(docs, []), "bench", lake, "bench")
        load.load_batch.fn(path, lake, files, key, "bench")
        rows = db.query(path, "select doc_id, start_char, end_char, resolved_id from stg_mentions")[1]
    return {(d, s, e): rid for d, s, e, rid in rows}


def real_sentences(data: Path, kb, batched: bool = False) -> list[tuple[str, str, float, float, int]]:
    """``batched``: the sentences of each language linked as one batch (as a run would: the same ids, since a
    document is linked on its own evidence). Each set is counted on ``entity_id`` and, all the sentences loaded
    in one warehouse, on ``stg_mentions.resolved_id``."""
    from tasks.enrich.link import link_entities, link_entities_batch

    labelled = list(csv.DictReader(LABELLED.open(encoding="utf-8"), delimiter="\t"))
    by_sent: dict[tuple[str, str, int], list[dict]] = defaultdict(list)
    for r in labelled:
        by_sent[(r["lang"], r["file"], int(r["sent_idx"]))].append(r)
    files = {(lang, f) for lang, f, _ in by_sent}
    conll = {(lang, f): read_conll(data / "ner-train" / f) for lang, f in files}
    docs: dict[str, list[Doc]] = defaultdict(list)
    found = []
    for (lang, f, si), rs in sorted(by_sent.items()):
        doc, spans = sentence_doc(conll[(lang, f)][si], lang, f"{f}#{si}")
        docs[lang].append(doc)
        if not batched:
            link_entities(doc, kb)
        found += [(lang, r["person"], doc, spans[(int(r["tok_start"]), int(r["tok_end"]))]) for r in rs]
    if batched:
        for batch in docs.values():
            link_entities_batch(batch, kb)
    name = "real sentences" + (", a batch per language" if batched else "")
    resolved = resolved_ids([d for ds in docs.values() for d in ds])
    rows = []
    for set_name, column in ((name, "entity_id"), (name + ", one corpus (resolved_id)", "resolved_id")):
        got = defaultdict(list)
        for lang, person, d, m in found:
            got[lang].append((person, m.entity_id if column == "entity_id" else resolved[_span(d, m)]))
        for a, b in (("en", "ru"), ("en", "ar"), ("tr", "ar"), ("en", "tr")):
            p, r, n = pair_scores(got[a], got[b], lambda x, y: x == y)
            people = len({g for g, _ in got[a]} & {g for g, _ in got[b]})
            rows.append((set_name, f"{SCRIPT[a]}-{SCRIPT[b]} ({a}-{b}, {people} people)", p, r, n))
    return rows


def cost(data: Path, seeds: Path) -> list[str]:
    import pyarrow.compute  # noqa: F401 - imported by the pipeline anyway: not the name table's cost

    from newsetl.memory import release_memory
    from tasks.enrich.link import KnowledgeBase, known_name_mentions, link_entities_batch
    from tasks.enrich.link.parts import NameTable, _morph

    release_memory()
    before = _rss_mb()
    t = time.process_time()
    table = NameTable.load(seeds)
    _morph().parse("путина")
    table_s = time.process_time() - t
    release_memory()
    after_table = _rss_mb()
    t = time.process_time()
    kb = KnowledgeBase.load(seeds)
    load_s = time.process_time() - t
    release_memory()
    after_kb = _rss_mb()
    docs, words = [], 0
    for lang in ("en", "ru", "ar", "tr"):
        for i, sent in enumerate(read_conll(data / "ner-train" / lang / "dev.conll")):
            doc, _ = sentence_doc(sent, lang, f"{lang}#{i}")
            docs.append(doc)
            words += len(sent)
    speeds = []
    for _ in range(2):  # the first pass starts with empty caches of name parts, the second has them warm
        t = time.process_time()
        for start in range(0, len(docs), 200):
            batch = [known_name_mentions(d, kb) for d in docs[start : start + 200]]
            link_entities_batch(batch, kb)
        speeds.append(words / (time.process_time() - t))
    n_mentions = sum(len(d.mentions) for d in docs)
    size = (seeds / "name_parts.parquet").stat().st_size / 1e6
    sounds = (seeds / "name_sounds.parquet").stat().st_size / 1e6
    from tasks.enrich.link.translit import MODELS_DIR

    models = sum(p.stat().st_size for p in MODELS_DIR.glob("*.json")) / 1e6
    return [
        f"- linking: {speeds[0]:,.0f} words per CPU-second with empty caches, {speeds[1]:,.0f} warm "
        f"({len(docs)} dev sentences of en/ru/ar/tr, {words} words, {n_mentions} gold mentions, batches of 200)",
        f"- memory (PSS): name-part table + sound keys + Russian morphology +{after_table - before:.0f} MB "
        f"(loaded in {table_s:.2f} CPU-s; table {size:.1f} MB on disk, {len(table.la) + len(table.ru) + len(table.ar):,}"
        f" rows; sounds {sounds:.1f} MB, {len(table.sounds):,} rows; sound models {models:.1f} MB), places and curated entities +{after_kb - after_table:.0f} MB ({load_s:.2f} CPU-s); "
        "both are loaded once in the forkserver and shared by the workers (newsetl/preload.py)",
    ]


VIEW_QUERIES = {
    "select count(*) from stg_mentions": "select count(*) from stg_mentions",
    "who_met_whom": "select * from who_met_whom",
    "entity_profile": "select * from entity_profile",
    "entity_timeline": "select * from entity_timeline",
}


def view_warehouse(data: Path, seeds: Path, path: Path, n_docs: int, scale: int) -> None:
    """A large warehouse for the views' cost: the articles of ``shared/eval/stories`` (SemEval-2022 task 8, each
    article once) through the real pipeline (clean, segment, enrich, Parquet, load, with the reference entities),
    then every document, sentence and mention copied ``scale - 1`` times under new doc ids (real mentions, a
    corpus ``scale`` times larger)."""
    import json
    from datetime import UTC, datetime

    from newsetl.doc import Processed
    from newsetl.lake import Lake
    from newsetl.version import PIPELINE_VERSION
    from tasks import load
    from tasks.process import clean_and_segment, dedupe, enrich
    from warehouse import db

    articles: dict[str, str] = {}
    for line in (data / "eval" / "stories" / "semeval2022_task8_pairs.jsonl").read_text(encoding="utf-8").splitlines():
        row = json.loads(line)
        for k in ("1", "2"):
            articles.setdefault(row["id" + k], row["text" + k])
    now = datetime.now(UTC)
    lake = Lake.of(path.parent / "lake")
    load._load_reference(path, lake, seeds, load.reference_version(seeds))
    seen: set[str] = set()
    items = sorted(articles.items())[:n_docs]
    for start in range(0, len(items), 250):
        docs = [
            Doc(source_uri=f"eval:{a}", raw_text=t, fetched_at=now, raw_hash=hashlib.sha256(t.encode()).hexdigest())
            for a, t in items[start : start + 250]
        ]
        cleaned = clean_and_segment(docs)
        enriched = enrich(cleaned.docs, seeds)
        kept, _ = dedupe(enriched.docs, seen)
        key, files = load.write_batch.fn(Processed(kept, []), "bench", lake, PIPELINE_VERSION)
        load.load_batch.fn(path, lake, files, key, "bench")
    # the stories have no Russian: the Russian news sentences of shared/ner-train (factRuEval), each a document with
    # its gold mentions, linked as a run links them, so that the Cyrillic spellings' readings (link-2.6) take part
    from tasks.enrich.link import KnowledgeBase, link_entities_batch

    ru = [
        sentence_doc(t, "ru", f"factru:{i}")[0]
        for i, t in enumerate(read_conll(data / "ner-train" / "ru" / "train.conll"))
    ]
    ru = list({d.doc_id: d for d in ru}.values())
    for d in ru:
        d.raw_text, d.raw_hash, d.fetched_at = d.text, hashlib.sha256(d.text.encode()).hexdigest(), now
    link_entities_batch(ru, KnowledgeBase.load(seeds))
    key, files = load.write_batch.fn(Processed(ru, []), "bench", lake, PIPELINE_VERSION)
    load.load_batch.fn(path, lake, files, key, "bench")
    if scale > 1:
        with db.connect(path) as con:
            for table in ("documents", "sentences", "mentions"):
                cols = [r[0] for r in con.execute(f"describe {table}").fetchall()]
                select = ", ".join("doc_id || '-' || k::varchar" if c == "doc_id" else c for c in cols)
                con.execute(f"insert into {table} select {select} from {table}, range(1, {scale}) as t (k)")


def views(data: Path, seeds: Path, n_docs: int, scale: int) -> list[str]:
    """The analyst views' cost on a large warehouse (:func:`view_warehouse`), as they are and with ``stg_alt_ids``
    emptied (the cross-script resolution left out, as at ``link-2.3``), the two queried in turn."""
    import shutil

    import duckdb

    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "views" / "newsetl.duckdb"
        path.parent.mkdir()
        view_warehouse(data, seeds, path, n_docs, scale)
        bare = Path(tmp) / "bare.duckdb"
        shutil.copy(path, bare)
        con = duckdb.connect(str(bare))
        con.execute(
            "create or replace view stg_alt_ids as select null::varchar as entity_id, null::integer as script, "
            "null::varchar as person_id where false"
        )
        con.close()
        no_skeletons = Path(tmp) / "no_skeletons.duckdb"  # the view without the skeleton ids (as at link-2.6)
        shutil.copy(path, no_skeletons)
        sql = (ROOT / "warehouse" / "views" / "staging" / "stg_alt_ids.sql").read_text(encoding="utf-8")
        con = duckdb.connect(str(no_skeletons))
        con.execute(sql.replace("and a.alt_id like 's:%'", "and false"))
        con.close()
        con = duckdb.connect(str(path), read_only=True)
        n_docs, n_mentions, n_per, n_alt, n_moved = con.execute(
            "select (select count(*) from documents), count(*), count(*) filter (where label = 'PER'), "
            "count(*) filter (where len(alt_ids) > 0), (select count(*) from stg_mentions where resolved_id <> "
            "entity_id) from mentions"
        ).fetchone()
        con.close()
        runs = [(view_cost(path, 1), view_cost(no_skeletons, 1), view_cost(bare, 1)) for _ in range(3)]
    best = [{q: min(r[i][q] for r in runs) for q in VIEW_QUERIES} for i in range(3)]
    cells = ", ".join(f"{q} {best[0][q]:.2f} s ({best[1][q]:.2f} / {best[2][q]:.2f})" for q in VIEW_QUERIES)
    return [
        f"- analyst views on {n_docs:,} documents ({n_mentions:,} mentions, {n_per:,} PER, {n_alt:,} with other "
        f"readings, {n_moved:,} resolved to another id): {cells}; wall seconds, best of 3, queried in turn, in brackets "
        "without the skeleton ids (`stg_alt_ids` as at `link-2.6`) / with `stg_alt_ids` empty (no cross-script "
        "resolution)"
    ]


def view_cost(path: Path, repeat: int = 3) -> dict[str, float]:
    """Wall seconds of each analyst query on the warehouse at ``path`` (read-only, the best of ``repeat``)."""
    import duckdb

    con = duckdb.connect(str(path), read_only=True)
    con.execute("set enable_progress_bar = false")
    out = {}
    for name, sql in VIEW_QUERIES.items():
        best = float("inf")
        for _ in range(repeat):
            t = time.perf_counter()
            con.sql(sql).to_arrow_table()
            best = min(best, time.perf_counter() - t)
        out[name] = best
    con.close()
    return out


def enrich_share(data: Path, seeds: Path, n_docs: int) -> list[str]:
    """Seconds of each enrich stage on real pages (the HTML pages of shared/eval/extraction), after
    extract, clean and segment: the linking stage's share of enrich."""
    from tasks.extract import extract
    from tasks.process import clean_and_segment, enrich

    pages = sorted((data / "eval" / "extraction").glob("*/html/*.html"))[:n_docs]
    docs = clean_and_segment([extract(str(p)) for p in pages]).docs
    enrich(docs[:5], seeds)  # models loaded outside the measure
    docs = clean_and_segment([extract(str(p)) for p in pages]).docs
    secs: Counter[str] = Counter()
    t = time.process_time()
    for start in range(0, len(docs), 100):
        secs.update(enrich(docs[start : start + 100], seeds).seconds)
    cpu = time.process_time() - t
    total = sum(secs.values())
    parts = ", ".join(f"{k} {v:.1f} s" for k, v in secs.items())
    return [
        f"- share of enrich: linking {secs['linking'] / total:.1%} of the enrich stage's time on {len(docs)} real pages "
        f"({parts}; {cpu:.1f} CPU-s in all)"
    ]


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--data", default=os.path.relpath(ROOT.parent / "shared"), help="shared data (default ../shared)")
    ap.add_argument("--sample", type=int, default=1500, help="held-out pairs per names file")
    ap.add_argument("--seeds", default=str(ROOT / "seeds"))
    ap.add_argument("--enrich-docs", type=int, default=150, help="real pages for the share of enrich (0: skip)")
    ap.add_argument(
        "--views-docs", type=int, default=10_000, help="articles of shared/eval/stories for the views' cost (all 2,862)"
    )
    ap.add_argument(
        "--views-scale", type=int, default=20, help="copies of those documents in the views' warehouse (0: skip)"
    )
    args = ap.parse_args()
    data = Path(args.data)
    if not data.is_absolute() and not data.exists():
        data = ROOT / args.data
    lines = ["### Entity linking: same person, same id", ""]
    lines += cost(data, Path(args.seeds))
    if args.enrich_docs:
        lines += enrich_share(data, Path(args.seeds), args.enrich_docs)
    if args.views_scale:
        lines += views(data, Path(args.seeds), args.views_docs, args.views_scale)
    from tasks.enrich.link import LINK_VERSION, KnowledgeBase

    kb = KnowledgeBase.load(Path(args.seeds))
    lines += ["", f"`{LINK_VERSION}`; pairs of PER mentions written in two scripts (see the docstring).", ""]
    lines += ["| set | script pair | precision | recall | gold pairs |", "|---|---|---|---|---|"]
    rows = held_out_names(data, kb, args.sample) + real_sentences(data, kb) + real_sentences(data, kb, batched=True)
    for name, label, p, r, n in rows:
        lines.append(f"| {name} | {label} | {p:.3f} | {r:.3f} | {n} |")
    print("\n".join(lines))


if __name__ == "__main__":
    main()
