"""Fit the calibration of ``Mention.score`` (``models/ner/<lang>/calibration.json``) for tr, ar, en, ru, fr.

Usage (from the repository root, after the models are trained; deterministic, a minute or two)::

    nice .venv/bin/python training/calibrate_ner.py tr ar en ru fr   # --data ../shared/ner-train

A mention's score should be the probability that it is right (exact span and label). The taggers run through
``tag_entities_batch`` with raw scores (``ner.CALIBRATE = False``) over held-out gold text, and every mention
they add is traced with its source (``ner.TRACE``) and marked right or wrong against the gold after all of the
module's span fixes:

* tr, ar, en (CRF): the ner-train dev split. ``model`` spans: isotonic regression (pool-adjacent-violators) of
  right/wrong on the raw score (the smallest token marginal of the span), per label with 100 spans or more,
  else pooled (``"*"``); stored as the block points, read back by piecewise linear interpolation and clipped to
  [0.02, 0.99]. ``known`` (curated names) and ``added`` (document-level surnames): their precision as a constant,
  with add-one smoothing ((right + 1) / (n + 2)); ``added`` pooled over the languages fitted together where a
  language has fewer than 30 (the dev splits are unrelated sentences, where it rarely fires).
* ru (natasha's PER + the ru CRF's ORG/LOC): a constant per label and source, the precision on ner-train's ru dev
  split, which is also ru's news check (the only Russian gold the CRF was not trained on): the ru calibration
  figures of ``bench/ner.py`` are in-sample.
* fr (spaCy, no score of its own; no French gold text to fit on besides the news check, which stays a check):
  the pipeline's own precision on its WikiNER test set (``meta.json``; its per-label values are zeros, so the
  overall one); ``added`` = the pooled ``added`` precision of the other languages.
"""

from __future__ import annotations

import argparse
import json
import sys
from collections import defaultdict
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))
sys.path.insert(0, str(REPO / "training"))

from train_ner import DEFAULT_DATA, conll_docs, read_conll  # noqa: E402

from tasks.enrich import ner  # noqa: E402

MIN_PER_LABEL = 100
MIN_ADDED = 30  # fewer document-level surnames than this in a language's text: the pooled precision of all
CLIP = (0.02, 0.99)


def isotonic(points: list[tuple[float, int]]) -> tuple[list[float], list[float]]:
    """Pool-adjacent-violators: a non-decreasing fit of y on x; the blocks as (mean x, mean y) points."""
    blocks: list[list[float]] = []  # [sum x, sum y, n]
    for x, y in sorted(points):
        blocks.append([x, float(y), 1.0])
        while len(blocks) > 1 and blocks[-2][1] / blocks[-2][2] >= blocks[-1][1] / blocks[-1][2]:
            sx, sy, n = blocks.pop()
            blocks[-1][0] += sx
            blocks[-1][1] += sy
            blocks[-1][2] += n
    xs = [round(b[0] / b[2], 4) for b in blocks]
    ys = [round(min(max(b[1] / b[2], CLIP[0]), CLIP[1]), 4) for b in blocks]
    return xs, ys


def smoothed(right: int, n: int) -> float:
    return round((right + 1) / (n + 2), 3)


def traced(lang: str, docs, golds) -> list[tuple[str, str, float, int]]:
    """(source, final label, raw score, right) for every traced mention still in its document."""
    ner.CALIBRATE = False
    ner.TRACE = []
    try:
        ner.tag_entities_batch(docs)
        trace = ner.TRACE
    finally:
        ner.TRACE = None
        ner.CALIBRATE = True
    gold_of = {id(d): g for d, g in zip(docs, golds, strict=True)}
    final = {id(d): {(m.start, m.end): m.label for m in d.mentions} for d in docs}
    out = []
    for key, _label, raw, source, doc, a, b in trace:
        if key != ner.route(lang, "") or (a, b) not in final[id(doc)]:
            continue
        label = final[id(doc)][(a, b)]
        if label == "MISC" and lang in ("ru", "en"):  # no MISC in these models
            continue
        out.append((source, label, raw, int((a, b, label) in gold_of[id(doc)])))
    return out


def fit(lang: str, data: Path, pooled_added: list[int]) -> dict:
    if lang == "fr":
        import spacy

        meta = spacy.load(ner.FR_MODEL, exclude=["tok2vec", "morphologizer", "parser"]).meta
        perf = meta.get("performance", {})
        per_type = perf.get("ents_per_type", {})
        constants = {f"model:{k}": round(v["p"], 3) for k, v in sorted(per_type.items()) if v.get("p")}
        if not constants:  # the packaged meta.json has zeros per type: the overall precision
            constants["model"] = round(perf["ents_p"], 3)
        return {
            "fitted_on": f"{ner.FR_MODEL} {meta.get('version')}: its own precision on WikiNER (meta.json); "
            "added: pooled over the other languages",
            "constants": constants,
        }
    split = "dev"
    docs, golds = conll_docs(read_conll(data / lang / f"{split}.conll"), lang)
    rows = traced(lang, docs, golds)
    by = defaultdict(list)
    for source, label, raw, right in rows:
        by[source, label].append((raw, right))
        by[source, "*"].append((raw, right))
    pooled_added.extend(y for _, y in by["added", "*"])
    added = by.get(("added", "*"), [])
    if len(added) < MIN_ADDED:  # too few to fit: the pooled value, set by main()
        by.pop(("added", "*"), None)
    constants: dict[str, float] = {}
    counts: dict[str, list[int]] = {}
    curves: dict[str, dict] = {}
    for (source, label), pts in sorted(by.items()):
        counts[f"{source}:{label}"] = [len(pts), sum(y for _, y in pts)]
        if source == "model" and lang in ner.TRAINED_LANGS:
            if label == "*" or len(pts) >= MIN_PER_LABEL:
                xs, ys = isotonic(pts)
                curves[label] = {"x": xs, "y": ys}
        elif label == "*" and source in ("known", "added"):
            constants[source] = smoothed(sum(y for _, y in pts), len(pts))
        elif source == "model" and label != "*":
            constants[f"model:{label}"] = smoothed(sum(y for _, y in pts), len(pts))
    out = {"fitted_on": f"ner-train {lang}/{split}.conll", "counts_n_right": counts, "constants": constants}
    if curves:
        out["curves"] = curves
    return out


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("langs", nargs="+", choices=["tr", "ar", "en", "ru", "fr"])
    ap.add_argument("--data", type=Path, default=DEFAULT_DATA)
    args = ap.parse_args(argv)
    pooled_added: list[int] = []
    fitted = {
        lang: {"method": "see training/calibrate_ner.py", **fit(lang, args.data, pooled_added)} for lang in args.langs
    }
    for lang, cal in fitted.items():
        if "added" not in cal["constants"]:
            cal["constants"]["added"] = smoothed(sum(pooled_added), len(pooled_added))
            cal["added_pooled_over"] = sorted(fitted)
        out = ner.MODELS_DIR / lang / ner.CALIBRATION_FILE
        out.parent.mkdir(parents=True, exist_ok=True)
        out.write_text(json.dumps(cal, indent=1, ensure_ascii=False) + "\n", encoding="utf-8")
        print(lang, json.dumps(cal.get("constants")), {k: len(v["x"]) for k, v in cal.get("curves", {}).items()})
    return 0


if __name__ == "__main__":
    sys.exit(main())
