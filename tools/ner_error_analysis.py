"""NER error analysis on the dev split: what kind of error each wrong or missed PER/ORG/LOC mention is.

A review aid, not a bench, and it tunes nothing: the ner-train dev split of the language
(``<data>/ner-train/<lang>/dev.conll``, 40 sentences a ``Doc`` as in ``bench/ner.py``) goes through
``tag_entities_batch`` and every gold PER/ORG/LOC mention that is not predicted exactly (span and label) is put in one
class: **boundary** (a prediction of the same label overlaps it with other edges), **label** (the same span
predicted with another label: ORG->LOC means gold ORG tagged LOC), **boundary+label** (an overlapping prediction with
other edges and label), **missed** (no prediction overlaps it), the last split by whether the gold string (look-up
form) is tagged as an entity anywhere in the training split (**seen**) or not (**unseen**). Predicted PER/ORG/LOC
mentions that overlap no gold mention are **spurious** (split by whether gold has a MISC there). The news check is
not read.

Run from the repository root::

    .venv/bin/python tools/ner_error_analysis.py tr ar [--data ../shared] [--models DIR]
"""

from __future__ import annotations

import argparse
import sys
from collections import Counter
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))
sys.path.insert(0, str(REPO / "training"))

from train_ner import conll_docs, read_conll, sentence_to_text_spans  # noqa: E402

from tasks.enrich import ner  # noqa: E402

POL = ("PER", "ORG", "LOC")


def norm(text: str, lang: str) -> str:
    return " ".join(ner.gaz_norm(w, lang) for w in text.split())


def train_entities(lang: str, data: Path) -> dict[str, Counter]:
    """Look-up form of every entity string of the training split -> its label counts."""
    out: dict[str, Counter] = {}
    for sent in read_conll(data / "ner-train" / lang / "train.conll"):
        text, spans = sentence_to_text_spans(sent, lang, keep_misc=True)
        for s, e, label in spans:
            out.setdefault(norm(text[s:e], lang), Counter())[label] += 1
    return out


def classify(pred: set, gold: set) -> tuple[Counter, Counter]:
    """(class of each gold error, class of each spurious prediction); a gold error's class is a tuple
    (kind, gold label, predicted label or "", the gold span)."""
    errors: Counter = Counter()
    spurious: Counter = Counter()
    pred_pol = {x for x in pred if x[2] in POL}
    for g in gold:
        if g[2] not in POL or g in pred_pol:
            continue
        over = [p for p in pred_pol if p[0] < g[1] and g[0] < p[1]]
        same = [p for p in over if (p[0], p[1]) == (g[0], g[1])]
        if same:
            errors[("label", g[2], same[0][2], g)] += 1
        elif any(p[2] == g[2] for p in over):
            errors[("boundary", g[2], g[2], g)] += 1
        elif over:
            errors[("boundary+label", g[2], over[0][2], g)] += 1
        else:
            errors[("missed", g[2], "", g)] += 1
    for p in pred_pol:
        if p in gold:
            continue
        over = [g for g in gold if g[0] < p[1] and p[0] < g[1]]
        if not over:
            spurious[("spurious", p[2])] += 1
        elif all(g[2] == "MISC" for g in over):
            spurious[("gold MISC", p[2])] += 1
    return errors, spurious


def analyse(lang: str, data: Path) -> None:
    seen = train_entities(lang, data)
    docs, golds = conll_docs(read_conll(data / "ner-train" / lang / "dev.conll"), lang, 40)
    ner.tag_entities_batch(docs)
    kinds: Counter = Counter()
    confusions: Counter = Counter()
    missed: Counter = Counter()
    spurious: Counter = Counter()
    n_gold = 0
    n_gold_seen = 0
    for doc, gold in zip(docs, golds, strict=True):
        pred = {(m.start, m.end, m.label) for m in doc.mentions}
        for g in gold:
            if g[2] in POL:
                n_gold += 1
                n_gold_seen += norm(doc.text[g[0] : g[1]], lang) in seen
        errs, spur = classify(pred, gold)
        spurious.update(spur)
        for (kind, gl, pl, g), n in errs.items():
            kinds[kind] += n
            if kind in ("label", "boundary+label"):
                confusions[f"{gl}->{pl}"] += n
            if kind == "missed":
                counts = seen.get(norm(doc.text[g[0] : g[1]], lang))
                tag = "unseen" if not counts else ("seen, same label" if counts[gl] else "seen, other label")
                missed[(gl, tag)] += n
    total = sum(kinds.values())
    print(
        f"== {lang}: {n_gold} gold PER/ORG/LOC on dev ({n_gold_seen / n_gold:.1%} seen as an entity in train); "
        f"{total} not found exactly ({total / n_gold:.1%})"
    )
    for kind, n in kinds.most_common():
        print(f"  {kind:16s} {n:5d}  {n / total:6.1%} of errors")
    print(
        "  label confusions (gold->predicted, with or without boundary errors):",
        ", ".join(f"{k} {n}" for k, n in confusions.most_common()),
    )
    for label in POL:
        row = {tag: missed[(label, tag)] for tag in ("seen, same label", "seen, other label", "unseen")}
        print(f"  missed {label}: " + ", ".join(f"{k} {v}" for k, v in row.items()))
    n_seen = sum(v for (_, t), v in missed.items() if t != "unseen")
    if kinds["missed"]:
        print(f"  missed, seen in train: {n_seen} ({n_seen / kinds['missed']:.1%} of misses)")
    print(
        "  false positives overlapping no gold PER/ORG/LOC:",
        ", ".join(f"{k[0]} {k[1]} {n}" for k, n in sorted(spurious.items())),
    )


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("langs", nargs="+")
    ap.add_argument("--data", type=Path, default=REPO.parent / "shared")
    ap.add_argument("--models", type=Path, default=None, help="CRF models other than models/ner")
    args = ap.parse_args(argv)
    if args.models:
        ner.MODELS_DIR = args.models
    for lang in args.langs:
        analyse(lang, args.data)
    return 0


if __name__ == "__main__":
    sys.exit(main())
