"""NER rule audit: every mention that one rule switch changes, on news text outside the checks, for reading by hand.

A review aid, not a bench: it prints no score. A rule after the models (a module switch of ``tasks.enrich.ner``,
such as ``TYPE_NOUNS``) is checked on text that neither check of ``bench/ner.py`` contains: the SemEval-2022 Task 8 articles of the language that the
news check does not annotate (``<data>/eval/stories/semeval2022_task8_pairs.jsonl``, the first ``--articles`` by
id, each one ``Doc`` split into sentences by the project's segmenter) and the first ``--sentences`` news/web
sentences of the Leipzig corpora (``<data>/eval/langid/language-testdata/sentences/<lang>.txt``, one ``Doc``
each). Both are tagged with the switch on and off, and every mention that differs (span and label) is printed
with its context: ``+`` only with the rule, ``-`` only without. Nothing is scored: there is no gold here, the
reader decides whether each change is a correction. The counts at the end are what ``docs/ENTITIES.md`` reports.

Run from the repository root::

    .venv/bin/python tools/ner_rule_audit.py tr --switch TYPE_NOUNS [--articles 200] [--sentences 1000]
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))
sys.path.insert(0, str(REPO / "bench"))

from ner_news import STORIES, read_source  # noqa: E402

from newsetl.doc import Doc, Sentence  # noqa: E402
from tasks.enrich import ner  # noqa: E402
from tasks.segment import split_spans  # noqa: E402

LEIPZIG = Path("eval") / "langid" / "language-testdata" / "sentences"


def unchecked_articles(lang: str, data: Path, n: int) -> list[tuple[str, str]]:
    """(id, text) of the first ``n`` SemEval articles of ``lang`` (by id) that the news check does not annotate."""
    checked = {doc_id for doc_id, _ in read_source(REPO / "bench" / "data" / "ner-news" / f"{lang}.tsv")}
    texts: dict[str, str] = {}
    with open(data / STORIES, encoding="utf-8") as fh:
        for line in fh:
            row = json.loads(line)
            for k in ("1", "2"):
                doc_id = str(row["id" + k])
                if row["lang" + k] == lang and doc_id not in checked and (row["text" + k] or "").strip():
                    texts.setdefault(doc_id, row["text" + k])
    return sorted(texts.items())[:n]


def as_doc(uri: str, text: str, lang: str) -> Doc:
    sents = [Sentence(i, a, b, text[a:b], lang, 1.0) for i, (a, b) in enumerate(split_spans(text))]
    return Doc(source_uri=uri, text=text, sentences=sents, lang=lang)


def tag(items: list[tuple[str, str]], lang: str, switch: str, on: bool) -> list[set[tuple[int, int, str]]]:
    setattr(ner, switch, on)
    docs = ner.tag_entities_batch([as_doc(uri, text, lang) for uri, text in items])
    return [{(m.start, m.end, m.label) for m in d.mentions if m.label in ("PER", "ORG", "LOC")} for d in docs]


def context(text: str, a: int, b: int, width: int = 40) -> str:
    return (text[max(0, a - width) : a] + "[" + text[a:b] + "]" + text[b : b + width]).replace("\n", " ")


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("lang")
    ap.add_argument("--switch", required=True, help="a module switch of tasks.enrich.ner (True = the rule runs)")
    ap.add_argument("--data", type=Path, default=REPO.parent / "shared")
    ap.add_argument("--articles", type=int, default=200)
    ap.add_argument("--sentences", type=int, default=1000)
    args = ap.parse_args(argv)
    if not isinstance(getattr(ner, args.switch, None), bool):
        ap.error(f"tasks.enrich.ner has no boolean switch {args.switch}")
    sets = {"semeval": unchecked_articles(args.lang, args.data, args.articles)}
    path = args.data / LEIPZIG / f"{args.lang}.txt"
    if path.exists() and args.sentences:
        lines = [x.strip() for x in path.read_text(encoding="utf-8").splitlines() if x.strip()][: args.sentences]
        sets["leipzig"] = [(f"leipzig:{i}", x) for i, x in enumerate(lines)]
    for name, items in sets.items():
        before = tag(items, args.lang, args.switch, False)
        after = tag(items, args.lang, args.switch, True)
        plus = minus = 0
        for (uri, text), b, a in zip(items, before, after, strict=True):
            for sign, diff in (("+", a - b), ("-", b - a)):
                for s, e, label in sorted(diff):
                    print(f"{name} {uri} {sign} {label} {context(text, s, e)}")
                    plus += sign == "+"
                    minus += sign == "-"
        print(f"# {args.lang} {name}: {len(items)} texts, {plus} mentions added, {minus} removed by {args.switch}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
