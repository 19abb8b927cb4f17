"""Sentence segmentation on real text in 75 languages, and a dev check of short and mixed-language documents.

Segmentation: the sentences of lingua's test set (``eval/langid/language-testdata/sentences/<lang>.txt``, one
sentence a line, 75 languages, from the Leipzig Wortschatz corpora) are joined, five at a time in file order, into
one-line paragraphs (with a space; Chinese and Japanese without one), and each paragraph is split by
``tasks.segment.split_spans``; a sentence "comes back as written" when one span is exactly its line. The score is
the share of lines that come back, per language and over all lines, for the current segmenter and for the previous
one (rules and a fixed list of terminal marks, ``SEGMENT_VERSION`` 1, kept below for the comparison). The lines are
as the corpus has them: some hold two sentences, some are cut after an abbreviation, some end without a mark, so
100% is not reachable.

Dev check (``--docs``): 21 languages (the 20 news languages of ``bench/langid.py`` and Chinese). One-sentence
documents: each of the first ``--per-lang`` lines of a language, written as a UTF-8 text file. Mixed paragraphs:
three sentences of one language and then two of another (the next language in the list), on one line, from lines
that end with a sentence mark; quoting paragraphs: four sentences of one language and one of another. All go
through the pipeline's own functions from the file on (``extract_many`` → ``clean_and_segment`` →
``detect_language``). Reported: documents loaded (not rejected), document-level language accuracy (one-sentence
documents: the sentence's language; paragraphs: the language of most letters, which in a 3 + 2 paragraph is not
always the language of three sentences), and sentence-level accuracy (each sentence the pipeline made, against the
language of the gold sentence that holds most of its characters). ``--keep DIR`` writes the same files for a run of
the whole flow (``newsetl run DIR``).

    .venv/bin/python bench/segmentation.py [--data DIR] [--docs | --docs-only] [--per-lang N] [--keep DIR]
"""

from __future__ import annotations

import argparse
import re
import sys
import tempfile
import time
from collections import Counter
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from tasks.segment import split_spans  # noqa: E402

DEFAULT_DATA = ROOT.parent / "shared"
NO_SPACE = {"zh", "ja"}
DOC_LANGS = "tr ar fr en ru de es it pt nl pl uk fa az el bg ro sv he hi zh".split()
ENDS = tuple(".!?…؟۔।॥։።။。！？\"'”’»)")


# ----------------------------------------------------------------------------- the previous segmenter (version 1)

_V1_ABBREVIATIONS = frozenset(
    """
    mr mrs ms dr prof sr jr st mt vs etc e.g i.e cf fig no nos vol pp ed eds approx dept est gen col lt
    sgt capt cmdr adm gov sen rep pres jan feb mar apr jun jul aug sep sept oct nov dec inc ltd co corp
    av bd cad cd mah sok sk apt no yy vb vs dr doç yrd öğr gör alb yzb org korg tuğg tuğa kur
    m mme mmes mlle mgr pr st ste av bd env
    г гг ул д т е др им тыс млн млрд руб коп стр см рис напр
    """.split()
)
_V1_TERMINALS = ".!?…؟۔。！？"
_V1_CLOSERS = "\"'”’»)]}›"
_V1_BOUNDARY = re.compile(rf"[{re.escape(_V1_TERMINALS)}]+(?:[ \u00a0\u202f]?[{re.escape(_V1_CLOSERS)}])*(?=\s)")
_V1_WORD_BEFORE = re.compile(r"(\w+(?:\.\w+)*)\.$")


def _v1_starts_sentence(text: str, pos: int) -> bool:
    i = re.compile(r"\s*").match(text, pos).end()
    if i >= len(text):
        return False
    ch = text[i]
    if ch.islower():
        return False
    return ch.isupper() or ch.isdigit() or not ch.isalpha() or not ch.isascii()


def _v1_is_abbreviation(chunk: str) -> bool:
    m = _V1_WORD_BEFORE.search(chunk)
    if not m:
        return False
    word = m.group(1)
    return (len(word) == 1 and word.isalpha()) or word.lower() in _V1_ABBREVIATIONS


def split_spans_v1(text: str) -> list[tuple[int, int]]:
    """``tasks.segment.split_spans`` at SEGMENT_VERSION 1 (one paragraph: the bench never has a newline)."""
    spans: list[tuple[int, int]] = []
    start = 0
    for m in _V1_BOUNDARY.finditer(text):
        end = m.end()
        mark = m.group(0)
        if mark.startswith(".") and len(mark.rstrip(_V1_CLOSERS + " \u00a0\u202f")) == 1:
            if _v1_is_abbreviation(text[start : m.start() + 1]):
                continue
            if text[max(start, m.start() - 4) : m.start()][-1:].isdigit() and not _v1_starts_sentence(text, end):
                continue
        if not _v1_starts_sentence(text, end):
            continue
        spans.append((start, end))
        start = end
    spans.append((start, len(text)))
    out = []
    for s, e in spans:
        while s < e and text[s].isspace():
            s += 1
        while e > s and text[e - 1].isspace():
            e -= 1
        if s < e:
            out.append((s, e))
    return out


# ----------------------------------------------------------------------------- segmentation


def read_lines(path: Path) -> list[str]:
    return [x.strip() for x in path.read_text(encoding="utf-8").splitlines() if x.strip()]


def paragraphs(lang: str, lines: list[str], size: int = 5):
    """(paragraph, gold spans) for consecutive groups of ``size`` lines."""
    sep = "" if lang in NO_SPACE else " "
    for i in range(0, len(lines), size):
        group = lines[i : i + size]
        spans, pos = [], 0
        for line in group:
            spans.append((pos, pos + len(line)))
            pos += len(line) + len(sep)
        yield sep.join(group), spans


def segmentation(sent_dir: Path) -> None:
    rows = []
    tot = Counter()
    secs = Counter()
    for f in sorted(sent_dir.glob("*.txt")):
        lang = f.stem
        c = Counter()
        for text, gold in paragraphs(lang, read_lines(f)):
            for name, fn in (("v1", split_spans_v1), ("now", split_spans)):
                t0 = time.perf_counter()
                got = set(fn(text))
                secs[name] += time.perf_counter() - t0
                c[name] += len(got.intersection(gold))
            c["n"] += len(gold)
        rows.append((lang, c["n"], c["v1"] / c["n"], c["now"] / c["n"]))
        tot.update(c)
    print(f"sentences that come back as written, {len(rows)} languages ({tot['n']} sentences, 5 to a paragraph)")
    print(" | ".join(["lang      n     v1    now"] * 3))
    for i in range(0, len(rows), 3):
        print(" | ".join(f"{lang:<4} {n:>5} {a:6.3f} {b:6.3f}" for lang, n, a, b in rows[i : i + 3]))
    print(f"ALL  {tot['n']:>5} {tot['v1'] / tot['n']:6.3f} {tot['now'] / tot['n']:6.3f}")
    macro_v1 = sum(r[2] for r in rows) / len(rows)
    macro_now = sum(r[3] for r in rows) / len(rows)
    print(f"macro over languages: v1 {macro_v1:.3f}, now {macro_now:.3f}")
    worse = [(lang, a, b) for lang, _, a, b in rows if b < a - 0.01]
    print(
        "languages more than 1 point worse than v1:", ", ".join(f"{x} {a:.3f}->{b:.3f}" for x, a, b in worse) or "none"
    )
    print(f"time: v1 {secs['v1']:.2f} s, now {secs['now']:.2f} s for {tot['n'] // 5} paragraphs")


# ----------------------------------------------------------------------------- dev check: short and mixed documents


def _pipeline(files: list[tuple[Path, str]]):
    """Run extract -> clean/segment -> langid on the files; yields (path, doc or None)."""
    from tasks.enrich.langid import detect_language
    from tasks.extract import extract_many
    from tasks.process import clean_and_segment

    uris = [str(p) for p, _ in files]
    extracted = extract_many(uris)
    processed = clean_and_segment(extracted.docs)
    docs = {d.source_uri: detect_language(d) for d in processed.docs}
    rejects = [(r.reason, Path(r.source_uri).name, r.detail) for r in [*extracted.rejects, *processed.rejects]]
    return docs, rejects


def _sentence_scores(doc, text: str, gold: list[tuple[int, int, str]]) -> tuple[int, int]:
    """(right, total) over the doc's sentences, each against the gold sentence holding most of its characters.
    The document text is the written paragraph (cleaning only trims it), so offsets compare directly."""
    shift = text.find(doc.text[:20]) if doc.text else 0
    right = 0
    for s in doc.sentences:
        a, b = s.start + max(shift, 0), s.end + max(shift, 0)
        best = max(gold, key=lambda g: min(b, g[1]) - max(a, g[0]))
        right += s.lang == best[2]
    return right, len(doc.sentences)


def docs_check(sent_dir: Path, per_lang: int, keep: Path | None = None) -> None:
    lines = {lang: read_lines(sent_dir / f"{lang}.txt") for lang in DOC_LANGS}
    with tempfile.TemporaryDirectory() as tmp:
        root = Path(tmp)
        one: list[tuple[Path, str, str, list]] = []
        mixed: list[tuple[Path, str, str, list]] = []
        quote: list[tuple[Path, str, str, list]] = []
        for li, lang in enumerate(DOC_LANGS):
            for k, line in enumerate(lines[lang][:per_lang]):
                p = root / f"one_{lang}_{k:03d}.txt"
                p.write_text(line + "\n", encoding="utf-8")
                one.append((p, lang, line, [(0, len(line), lang)]))
            other = DOC_LANGS[(li + 1) % len(DOC_LANGS)]
            a_lines = [x for x in lines[lang][per_lang:] if x.endswith(ENDS)]
            b_lines = [x for x in lines[other][per_lang:] if x.endswith(ENDS)]
            for k in range(per_lang // 4):
                # 3 + 2 sentences (mixed) and, from the lines after those, 4 + 1 (a paragraph quoting one sentence)
                for name, n_a, n_b, off_a, off_b, out in (
                    ("mixed", 3, 2, 0, 0, mixed),
                    ("quote", 4, 1, 3 * (per_lang // 4), 2 * (per_lang // 4), quote),
                ):
                    a0, b0 = off_a + n_a * k, off_b + n_b * k
                    group = [(x, lang) for x in a_lines[a0 : a0 + n_a]] + [(x, other) for x in b_lines[b0 : b0 + n_b]]
                    sep = "" if lang in NO_SPACE and other in NO_SPACE else " "
                    gold, pos = [], 0
                    for x, gl in group:
                        gold.append((pos, pos + len(x), gl))
                        pos += len(x) + len(sep)
                    text = sep.join(x for x, _ in group)
                    letters = Counter()
                    for x, gl in group:
                        letters[gl] += sum(ch.isalpha() for ch in x)
                    p = root / f"{name}_{lang}_{other}_{k:03d}.txt"
                    p.write_text(text + "\n", encoding="utf-8")
                    out.append((p, letters.most_common(1)[0][0], text, gold))
        t0 = time.perf_counter()
        docs, rejects = _pipeline([(p, g) for p, g, _, _ in one + mixed + quote])
        secs = time.perf_counter() - t0
        if keep is not None:  # the same files, for a run of the whole flow: newsetl run --data-dir D KEEP
            keep.mkdir(parents=True, exist_ok=True)
            for p, _, _, _ in one + mixed + quote:
                (keep / p.name).write_bytes(p.read_bytes())

    def report(name: str, items) -> None:
        loaded = doc_ok = s_ok = s_n = 0
        per_lang = Counter()
        for p, lang, text, gold in items:
            doc = docs.get(str(p))
            if doc is None:
                continue
            loaded += 1
            doc_ok += doc.lang == lang
            r, n = _sentence_scores(doc, text, gold)
            s_ok += r
            s_n += n
            per_lang[lang] += (doc.lang == lang) - 1
        print(
            f"{name:<26} docs {len(items):>4}  loaded {loaded / len(items):.3f}  "
            f"doc language {doc_ok / max(loaded, 1):.3f}  sentence language {s_ok / max(s_n, 1):.3f} ({s_n} sentences)"
        )
        misses = ", ".join(f"{lang} {-n}" for lang, n in sorted(per_lang.items()) if n)
        print(f"{'':<26} documents with a wrong language: {misses or 'none'}")

    print(f"\ndev check: {len(DOC_LANGS)} languages, pipeline functions from the file on ({secs:.1f} s)")
    report("one-sentence documents", one)
    report("mixed paragraphs (3 + 2)", mixed)
    report("quoting paragraphs (4 + 1)", quote)
    print("rejects:", dict(Counter(r for r, _, _ in rejects)) or "none")
    for reason, name, detail in rejects[:10]:
        print(f"  {reason}: {name}: {detail}")


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--data", type=Path, default=DEFAULT_DATA, help="the shared folder (default ../shared)")
    ap.add_argument("--docs", action="store_true", help="also the dev check of short and mixed-language documents")
    ap.add_argument("--docs-only", action="store_true", help="only the dev check")
    ap.add_argument("--per-lang", type=int, default=40, help="one-sentence documents per language (dev check)")
    ap.add_argument("--keep", type=Path, help="dev check: also write its files to this folder")
    args = ap.parse_args()
    sent_dir = args.data / "eval" / "langid" / "language-testdata" / "sentences"
    if not sent_dir.is_dir():
        sys.exit(f"no data at {sent_dir}")
    if not args.docs_only:
        segmentation(sent_dir)
    if args.docs or args.docs_only:
        docs_check(sent_dir, args.per_lang, args.keep)


if __name__ == "__main__":
    main()
