"""Silver NER training text from unlabelled news: the project's own tagger over news articles, written as CoNLL.

Method: the SemEval-2022 Task 8 articles of a language (``<data>/eval/stories/semeval2022_task8_pairs.jsonl``) that
neither the news check of ``bench/ner.py`` annotates (``bench/data/ner-news/<lang>.tsv``) nor are paired there with an
annotated article (a pair is two articles on one story: its names would leak into the check) are split into
sentences by the project's segmenter and tagged by ``tasks.enrich.ner.tag_entities_batch`` (the committed model
and every rule after it); each sentence becomes the tokens of the language's CRF tokenizer with IOB2 tags from the
mentions (PER/ORG/LOC, and MISC where the language's model keeps it). ``training/train_ner.py --silver FILE`` adds
them to the training sentences: the rules' structural cues (type nouns, organisation endings, place heads) and the
news register reach the model's context features. The file holds article text: it is written outside the
repository and never committed.

Run from the repository root::

    .venv/bin/python training/silver_ner.py tr --out /tmp/silver.tr.conll [--data ../shared]
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))
sys.path.insert(0, str(REPO / "bench"))

STORIES = Path("eval") / "stories" / "semeval2022_task8_pairs.jsonl"


def unchecked_articles(lang: str, data: Path) -> list[tuple[str, str]]:
    """(id, text) of the language's SemEval articles outside the news check and its pairs, by id."""
    from ner_news import read_source

    checked = {doc_id for doc_id, _ in read_source(REPO / "bench" / "data" / "ner-news" / f"{lang}.tsv")}
    rows = [json.loads(line) for line in (data / STORIES).read_text(encoding="utf-8").splitlines() if line.strip()]
    near = set(checked)
    for row in rows:
        if str(row["id1"]) in checked or str(row["id2"]) in checked:
            near |= {str(row["id1"]), str(row["id2"])}
    texts: dict[str, str] = {}
    for row in rows:
        for k in ("1", "2"):
            doc_id = str(row["id" + k])
            if row["lang" + k] == lang and doc_id not in near and (row["text" + k] or "").strip():
                texts.setdefault(doc_id, row["text" + k])
    return sorted(texts.items())


def silver_sentences(lang: str, articles: list[tuple[str, str]], keep_misc: bool) -> list[list[tuple[str, str]]]:
    from newsetl.doc import Doc, Sentence
    from tasks.enrich import ner
    from tasks.segment import split_spans

    docs = []
    for doc_id, text in articles:
        sents = [Sentence(i, a, b, text[a:b], lang, 1.0) for i, (a, b) in enumerate(split_spans(text))]
        docs.append(Doc(source_uri=f"silver:{doc_id}", text=text, sentences=sents, lang=lang))
    docs = ner.tag_entities_batch(docs)
    tokenizer = ner.make_tokenizer(lang)
    labels = {"PER", "ORG", "LOC"} | ({"MISC"} if keep_misc else set())
    out: list[list[tuple[str, str]]] = []
    for doc in docs:
        for sent in doc.sentences:
            mentions = [m for m in doc.mentions if m.label in labels and sent.start <= m.start and m.end <= sent.end]
            rows: list[tuple[str, str]] = []
            prev = None
            for tok in tokenizer(doc.text[sent.start : sent.end]):
                if tok.is_space or not tok.text.strip():
                    continue
                a, b = sent.start + tok.idx, sent.start + tok.idx + len(tok.text)
                m = next((m for m in mentions if m.start < b and a < m.end), None)
                rows.append((tok.text, "O" if m is None else ("I-" if m is prev else "B-") + m.label))
                prev = m
            if rows:
                out.append(rows)
    return out


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("lang", choices=["tr", "ar", "en"])
    ap.add_argument("--data", type=Path, default=REPO.parent / "shared")
    ap.add_argument("--out", type=Path, required=True, help="the CoNLL file to write (outside the repository)")
    args = ap.parse_args(argv)
    from train_ner import LANG_SETTINGS

    articles = unchecked_articles(args.lang, args.data)
    sents = silver_sentences(args.lang, articles, LANG_SETTINGS[args.lang]["keep_misc"])
    with open(args.out, "w", encoding="utf-8") as fh:
        for sent in sents:
            fh.write("".join(f"{tok}\t{tag}\n" for tok, tag in sent) + "\n")
    n_ents = sum(tag.startswith("B-") for s in sents for _, tag in s)
    print(f"{args.lang}: {len(articles)} articles, {len(sents)} sentences, {n_ents} mentions -> {args.out}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
