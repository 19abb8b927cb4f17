"""NER rules ablation: each post-model step of the tagger turned off in turn, dev split and news check scored.

Data and metric as ``bench/ner.py`` (exact span + label, PER/ORG/LOC micro F1 through
``tasks.enrich.ner.tag_entities_batch``): the ner-train **dev** split (Wikipedia and web text) and the hand-annotated
**news** check (``bench/data/ner-news/``, texts read from ``<data>``). For every module switch of
``tasks.enrich.ner`` that ``bench/ner.py`` can turn off (``SWITCHES``), the script turns that one switch off, tags
both checks with the current models, and prints F1, true positives, false positives and false negatives, next to
the run with every step on. A step whose row is above the "all on" row on dev loses on dev with the current model
(decide on dev; the news column is reported, not tuned on). One process, models loaded once.

Run from the repository root::

    .venv/bin/python bench/ner_rules.py [--data ../shared] [--langs tr ar] [--switches no_propagate_names ...]
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO / "bench"))

import ner as bench  # noqa: E402  (bench/ner.py; puts the repo root and training/ on sys.path)

from tasks.enrich import ner  # noqa: E402

POL = ("PER", "ORG", "LOC")


def counts(docs, golds) -> tuple[int, int, int]:
    tp = fp = fn = 0
    for doc, gold in zip(docs, golds, strict=True):
        pred = {(m.start, m.end, m.label) for m in doc.mentions if m.label in POL}
        gold = {x for x in gold if x[2] in POL}
        tp += len(pred & gold)
        fp += len(pred - gold)
        fn += len(gold - pred)
    return tp, fp, fn


def f1(tp: int, fp: int, fn: int) -> float:
    return 2 * tp / (2 * tp + fp + fn) if tp else 0.0


def evaluate(sets: dict) -> dict:
    out = {}
    for name, (docs, golds) in sets.items():
        docs = bench.fresh(docs)
        ner.tag_entities_batch(docs)
        out[name] = counts(docs, golds)
    return out


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--data", type=Path, default=REPO.parent / "shared", help="holds ner-train/ and eval/")
    ap.add_argument("--langs", nargs="+", default=["tr", "ar"])
    ap.add_argument("--switches", nargs="*", default=None, help="bench/ner.py flag names (dest form); default all")
    args = ap.parse_args(argv)
    switches = {k: v for k, v in bench.SWITCHES.items() if k != "raw_scores"}
    if args.switches:
        switches = {k: switches[k] for k in args.switches}
    print(f"NER_VERSION={ner.NER_VERSION}  (PER/ORG/LOC F1, exact span + label; tp/fp/fn)")
    for lang in args.langs:
        sets = {}
        for name, got in (("dev", bench.dev_docs(lang, args.data)), ("news", bench.news_docs(lang, args.data))):
            if got is not None:
                sets[name] = got
        if not sets:
            print(f"{lang}: no data")
            continue
        base = evaluate(sets)
        rows = [("all on", base)]
        for flag, switch in switches.items():
            before = getattr(ner, switch)
            setattr(ner, switch, False)
            try:
                rows.append((flag, evaluate(sets)))
            finally:
                setattr(ner, switch, before)
        print(f"{lang}:")
        for flag, res in rows:
            cells = []
            for name in sets:
                tp, fp, fn = res[name]
                dtp, dfp = tp - base[name][0], fp - base[name][1]
                cells.append(
                    f"{name} {f1(tp, fp, fn):.3f} ({tp}/{fp}/{fn}; {dtp:+d} tp {dfp:+d} fp)"
                    if flag != "all on"
                    else f"{name} {f1(tp, fp, fn):.3f} ({tp}/{fp}/{fn})"
                )
            print(f"  {flag:<24}" + "  ".join(cells))
    return 0


if __name__ == "__main__":
    sys.exit(main())
