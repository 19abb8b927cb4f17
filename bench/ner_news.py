"""News dev check for the NER taggers: hand-annotated PER/ORG/LOC mentions in real news articles (tr, ar, en, fr).

Method: each annotated article is read in full and every PER/ORG/LOC mention in it is written down (exhaustively,
by the guidelines of ``bench/data/ner-news/README.md``) in ``bench/data/ner-news/<lang>.tsv`` as
(article id, surface string, occurrence, label), never as raw offsets and never with the article text: the texts
stay in ``../shared/eval/stories/semeval2022_task8_pairs.jsonl`` (SemEval-2022 Task 8 articles) and the project's
``seeds/corpus/``, and are read at run time. :func:`load_news_dev` resolves every surface to character offsets
against the real text (whole-word matches only; the occurrence is a 0-based index, a comma list, or ``*`` for
every occurrence not inside a longer annotated name) and fails loudly when a surface is not found, an index is out
of range or two explicit spans overlap. ``--uncovered`` lists every capitalised word sequence (Latin scripts) and
every known name of the reference data (Arabic) that no annotation covers, for reviewing misses;
``--write-spans`` stores the resolved form (id, start, end, label) beside the sources.

Run from the repository root::

    .venv/bin/python bench/ner_news.py [--data ../shared] [--langs tr en ar fr] [--uncovered] [--show ID]
"""

from __future__ import annotations

import argparse
import json
import re
import sys
from collections import Counter
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
DATA = REPO / "bench" / "data" / "ner-news"
STORIES = Path("eval") / "stories" / "semeval2022_task8_pairs.jsonl"
LABELS = ("PER", "ORG", "LOC")
LANGS = ("tr", "en", "ar", "fr")

Spans = list[tuple[int, int, str]]


class AnnotationError(ValueError):
    """A source annotation that does not resolve against the article text."""


def read_texts(data_dir: Path, repo: Path = REPO) -> dict[str, str]:
    """Article id -> text: the SemEval-2022 Task 8 articles (same-language pairs) and ``seed:<stem>`` seeds."""
    texts: dict[str, str] = {}
    path = Path(data_dir) / STORIES
    with open(path, encoding="utf-8") as fh:
        for line in fh:
            row = json.loads(line)
            for k in ("1", "2"):
                texts.setdefault(str(row["id" + k]), row["text" + k])
    for p in sorted((Path(repo) / "seeds" / "corpus").glob("*.txt")):
        texts["seed:" + p.stem] = p.read_text(encoding="utf-8")
    return texts


def read_source(path: Path) -> list[tuple[str, list[tuple[str, str, str, int]]]]:
    """Parse ``<lang>.tsv``: ``= <article id>`` opens an article, then ``surface<TAB>occurrence<TAB>label`` lines."""
    docs: list[tuple[str, list[tuple[str, str, str, int]]]] = []
    for n, raw in enumerate(path.read_text(encoding="utf-8").splitlines(), 1):
        line = raw.rstrip("\n")
        if not line.strip() or line.lstrip().startswith("#"):
            continue
        if line.startswith("= "):
            docs.append((line[2:].strip(), []))
            continue
        parts = line.split("\t")
        if len(parts) != 3 or not docs:
            raise AnnotationError(f"{path.name}:{n}: expected 'surface<TAB>occ<TAB>label' after '= id': {line!r}")
        surface, occ, label = parts
        if label not in LABELS:
            raise AnnotationError(f"{path.name}:{n}: unknown label {label!r}")
        docs[-1][1].append((surface, occ.strip(), label, n))
    return docs


def _is_word(ch: str) -> bool:
    return ch.isalnum() or ch == "_" or ("\u064b" <= ch <= "\u065f")  # Arabic diacritics continue a word


def find_all(text: str, surface: str) -> list[int]:
    """Start offsets of whole-word occurrences of ``surface`` in ``text``."""
    out, i = [], text.find(surface)
    while i >= 0:
        j = i + len(surface)
        if (i == 0 or not _is_word(text[i - 1])) and (j == len(text) or not _is_word(text[j])):
            out.append(i)
        i = text.find(surface, i + 1)
    return out


def resolve(doc_id: str, text: str, items: list[tuple[str, str, str, int]], where: str = "") -> Spans:
    """Character spans of the annotations of one article (explicit indexes first, then ``*`` by length)."""
    spans: Spans = []

    def overlaps(s: int, e: int) -> bool:
        return any(s < b and a < e for a, b, _ in spans)

    explicit = [x for x in items if x[1] != "*"]
    star = sorted((x for x in items if x[1] == "*"), key=lambda x: -len(x[0]))
    for surface, occ, label, n in explicit + star:
        hits = find_all(text, surface)
        loc = f"{where}:{n} ({doc_id})"
        if not hits:
            raise AnnotationError(f"{loc}: {surface!r} not found in the article")
        if occ == "*":
            placed = 0
            for s in hits:
                if not overlaps(s, s + len(surface)):
                    spans.append((s, s + len(surface), label))
                    placed += 1
            if not placed:
                raise AnnotationError(f"{loc}: every occurrence of {surface!r} is inside another annotation")
            continue
        for k in occ.split(","):
            idx = int(k)
            if idx >= len(hits):
                raise AnnotationError(f"{loc}: {surface!r} occurs {len(hits)} times, index {idx} asked")
            s = hits[idx]
            if overlaps(s, s + len(surface)):
                raise AnnotationError(f"{loc}: {surface!r}#{idx} overlaps another annotation")
            spans.append((s, s + len(surface), label))
    return sorted(spans)


def load_with_ids(lang: str, data_dir: Path, repo: Path = REPO) -> list[tuple[str, str, Spans]]:
    """(article id, text, gold spans) for every annotated article of ``lang``."""
    src = Path(repo) / "bench" / "data" / "ner-news" / f"{lang}.tsv"
    texts = read_texts(data_dir, repo)
    out = []
    seen: set[str] = set()
    for doc_id, items in read_source(src):
        if doc_id in seen:
            raise AnnotationError(f"{src.name}: article {doc_id} annotated twice")
        seen.add(doc_id)
        if doc_id not in texts:
            raise AnnotationError(f"{src.name}: unknown article id {doc_id}")
        text = texts[doc_id]
        out.append((doc_id, text, resolve(doc_id, text, items, src.name)))
    return out


def load_news_dev(lang: str, data_dir: Path, repo: Path = REPO) -> list[tuple[str, Spans]]:
    """(article text, gold spans as (start, end, label) character offsets) for each annotated article of ``lang``.

    ``data_dir`` is the shared data folder (the one holding ``eval/stories/``), ``repo`` the repository root."""
    return [(text, spans) for _, text, spans in load_with_ids(lang, data_dir, repo)]


# ------------------------------------------------------------------------------------------ review aids


def uncovered_capitalised(text: str, spans: Spans) -> list[tuple[int, str]]:
    """Maximal runs of capitalised words (Latin etc.) that no gold span touches."""
    out = []
    words = [m for m in re.finditer(r"[^\W\d_][\w'’\-]*", text)]
    run: list[re.Match] = []

    def flush() -> None:
        if run:
            s, e = run[0].start(), run[-1].end()
            before = text[:s].rstrip()
            initial = not before or before[-1] in '.!?:"“”«|\n' or text[s - 1] == "\n"
            if len(run) == 1 and initial:
                pass  # a capitalised sentence-initial word: too common to list
            elif not any(s < b and a < e for a, b, _ in spans):
                out.append((s, text[s:e]))
            else:  # report capitalised words of the run outside the spans
                for m in run:
                    if not any(m.start() < b and a < m.end() for a, b, _ in spans):
                        out.append((m.start(), m.group()))
            run.clear()

    prev_end = 0
    for m in words:
        gap = text[prev_end : m.start()]
        if not m.group()[0].isupper() or (run and (gap.strip() or "\n" in gap)):
            flush()
        if m.group()[0].isupper():
            run.append(m)
        prev_end = m.end()
    flush()
    return out


def known_arabic_names(repo: Path = REPO) -> set[str]:
    """Arabic-script aliases of the reference data (people, organisations, places) for the review of misses."""
    names: set[str] = set()
    import csv

    with open(Path(repo) / "seeds" / "people_orgs.csv", encoding="utf-8") as fh:
        for row in csv.DictReader(fh):
            if re.search(r"[\u0600-\u06ff]", row["alias"]):
                names.add(row["alias"])
    try:
        import pyarrow.parquet as pq

        t = pq.read_table(Path(repo) / "seeds" / "place_aliases.parquet", columns=["alias"])
        names.update(a for a in t.column("alias").to_pylist() if a and re.search(r"[\u0600-\u06ff]", a))
    except Exception as exc:  # pragma: no cover - review aid only
        print(f"(places not loaded: {exc})", file=sys.stderr)
    return names


def uncovered_arabic(text: str, spans: Spans, names: set[str]) -> list[tuple[int, str]]:
    out = []
    for m in re.finditer(r"[\u0621-\u064a\u0660-\u0669\u064b-\u065f]+", text):
        w = m.group()
        cands = {w}
        for p in ("و", "ف", "ب", "ل", "ك", "وب", "ول", "فب", "فل", "وك"):
            if w.startswith(p) and len(w) > len(p) + 2:
                cands.add(w[len(p) :])
        if w.startswith("لل"):
            cands.add("ال" + w[2:])
        if cands & names and not any(m.start() < b and a < m.end() for a, b, _ in spans):
            out.append((m.start(), w))
    return out


def tag(lang: str, texts: list[str]) -> list[Spans]:
    """The project's current tagger (``tasks.enrich.ner``) over whole articles, sentences split as the pipeline does."""
    sys.path.insert(0, str(REPO))
    from newsetl.doc import Doc
    from tasks.enrich import ner
    from tasks.segment import segment

    docs = []
    for i, text in enumerate(texts):
        doc = segment(Doc(source_uri=f"news-dev:{lang}:{i}", text=text, lang=lang))
        for sent in doc.sentences:
            sent.lang = lang
        docs.append(doc)
    ner.tag_entities_batch(docs)
    return [sorted((m.start, m.end, m.label) for m in d.mentions if m.label in LABELS) for d in docs]


def compare(lang: str, docs: list[tuple[str, str, Spans]], verbose: bool) -> tuple[int, int, int]:
    """Exact span + label agreement of the current tagger with the gold spans; lists disagreements if verbose."""
    tp = fp = fn = 0
    for (doc_id, text, gold), pred in zip(docs, tag(lang, [t for _, t, _ in docs]), strict=True):
        g, p = set(gold), set(pred)
        tp, fp, fn = tp + len(g & p), fp + len(p - g), fn + len(g - p)
        if verbose:
            for s, e, label in sorted((g - p) | (p - g)):
                kind = "miss" if (s, e, label) in g else "extra"
                print(f"  {lang} {doc_id} {kind:5} {label} {text[s:e]!r}  …{text[max(0, s - 25) : e + 25]!r}…")
    return tp, fp, fn


def show(text: str, spans: Spans) -> str:
    """The text with ``[surface|LABEL]`` marks (for reading on screen only)."""
    parts, pos = [], 0
    for s, e, label in spans:
        parts.append(text[pos:s])
        parts.append(f"[{text[s:e]}|{label}]")
        pos = e
    parts.append(text[pos:])
    return "".join(parts)


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--data", type=Path, default=REPO.parent / "shared", help="shared data folder (../shared)")
    ap.add_argument("--langs", nargs="+", default=list(LANGS))
    ap.add_argument("--uncovered", action="store_true", help="list capitalised/known names no annotation covers")
    ap.add_argument("--show", metavar="ID", help="print one article with its annotations marked")
    ap.add_argument("--tagger", action="store_true", help="score the current tagger (tasks.enrich.ner) on the check")
    ap.add_argument("--diff", action="store_true", help="with --tagger: list every disagreement")
    ap.add_argument("--write-spans", action="store_true", help="write <lang>.spans.tsv (id, start, end, label)")
    args = ap.parse_args(argv)
    names = None
    print(f"{'lang':4} {'articles':>8} {'tokens':>7} {'PER':>5} {'ORG':>5} {'LOC':>5} {'all':>5}")
    for lang in args.langs:
        docs = load_with_ids(lang, args.data)
        c: Counter = Counter()
        for doc_id, text, spans in docs:
            c["tokens"] += len(text.split())
            c.update(label for _, _, label in spans)
            if args.show == doc_id:
                print(show(text, spans))
            if args.uncovered:
                if lang == "ar":
                    names = names if names is not None else known_arabic_names()
                    miss = uncovered_arabic(text, spans, names)
                else:
                    miss = uncovered_capitalised(text, spans)
                for s, w in miss:
                    ctx = text[max(0, s - 30) : s + len(w) + 30].replace("\n", " ")
                    print(f"  {lang} {doc_id} {s:5d} {w!r:30}  …{ctx}…")
        if args.write_spans:
            with open(DATA / f"{lang}.spans.tsv", "w", encoding="utf-8") as fh:
                fh.write("id\tstart\tend\tlabel\n")
                for doc_id, _, spans in docs:
                    fh.writelines(f"{doc_id}\t{s}\t{e}\t{label}\n" for s, e, label in spans)
        total = sum(c[x] for x in LABELS)
        line = f"{lang:4} {len(docs):8d} {c['tokens']:7d} {c['PER']:5d} {c['ORG']:5d} {c['LOC']:5d} {total:5d}"
        if args.tagger:
            tp, fp, fn = compare(lang, docs, args.diff)
            p, r = tp / (tp + fp) if tp + fp else 0.0, tp / (tp + fn) if tp + fn else 0.0
            line += f"   tagger P {p:.3f} R {r:.3f} F1 {2 * p * r / (p + r) if p + r else 0.0:.3f}"
        print(line)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
