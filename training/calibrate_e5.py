"""Fix the activation scales of the stories encoder (``tasks/stories/e5_ranges.py``) from real text.

Usage (from the repository root; deterministic, under a minute)::

    nice .venv/bin/python training/calibrate_e5.py   # --data ../shared/ner-train --margin 1.0

``tasks/stories/e5.py`` quantizes the activations before each int8 matrix product with one fixed scale and zero
point per tensor, so that a text's vectors never depend on the other texts of its batch (run-time scales, one for
the whole batch, moved a document's vectors by cosine ~0.997 with its batch). The scales come from the minimum
and maximum of each tensor over the real tokens of held-out text, widened by ``--margin`` (a value outside is
clipped to the range's end; a margin of 1.1 gave vectors farther from the run-time scales' on the stories
evaluation articles, cosine 0.9955 against 0.9968 on average): the dev split of the NER training data (``<data>/ar|en|ru|tr/dev.conll``: Arabic,
English, Russian and Turkish sentences, mostly Wikipedia and the web; see its README for sources and licences),
consecutive sentences joined into pseudo-documents of ~500 characters, ``--per-lang`` of them a language, read by
the encoder up to ``--tokens`` tokens (the stage reads ``EMBED_TOKENS``; longer inputs keep the ranges valid for
``bench/stories.py``'s longer candidates). The written ranges are 48 pairs of numbers derived from those
sentences: they carry the sources' attribution and licences (CC BY / CC BY-SA, ``<data>/README.md``).
"""

from __future__ import annotations

import argparse
import re
import sys
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

from tasks.stories.e5 import E5  # noqa: E402

DEFAULT_DATA = REPO.parent / "shared" / "ner-train"
OUT = REPO / "tasks" / "stories" / "e5_ranges.py"
LANGS = ("ar", "en", "ru", "tr")
_SPACE_BEFORE = re.compile(r" ([,.;:!?%)\]])")


def sentences(path: Path) -> list[str]:
    """The sentences of a CoNLL file, tokens joined by spaces (no space before closing punctuation)."""
    out, toks = [], []
    for line in path.read_text(encoding="utf-8").splitlines() + [""]:
        if line.strip():
            toks.append(line.split("\t")[0])
        elif toks:
            out.append(_SPACE_BEFORE.sub(r"\1", " ".join(toks)))
            toks = []
    return out


def pseudo_documents(sents: list[str], n: int, chars: int = 500) -> list[list[str]]:
    """Up to ``n`` groups of consecutive sentences of ~``chars`` characters: a document's segments."""
    docs, cur = [], []
    for s in sents:
        cur.append(s)
        if sum(len(x) for x in cur) >= chars:
            docs.append(cur)
            cur = []
            if len(docs) == n:
                break
    return docs


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--data", type=Path, default=DEFAULT_DATA)
    ap.add_argument("--per-lang", type=int, default=200)
    ap.add_argument("--tokens", type=int, default=128)
    ap.add_argument("--margin", type=float, default=1.0)
    args = ap.parse_args()
    docs = [d for lang in LANGS for d in pseudo_documents(sentences(args.data / lang / "dev.conll"), args.per_lang)]
    model = E5(threads=1, max_tokens=args.tokens, static=False)
    ranges = [(lo * args.margin, hi * args.margin) for lo, hi in model.calibrate(docs)]
    rows = "\n".join(f"    ({lo:.6g}, {hi:.6g})," for lo, hi in ranges)
    OUT.write_text(
        '"""Activation ranges of the stories encoder\'s int8 products (``tasks/stories/e5.py``): per tensor of\n'
        "``quantized_inputs``, its (minimum, maximum), fixed so that a text's vectors never depend on its batch.\n\n"
        f"Written by ``training/calibrate_e5.py`` (--per-lang {args.per_lang} --tokens {args.tokens} --margin"
        f" {args.margin}): the\nranges over {len(docs)} pseudo-documents of the NER dev sentences (ar, en, ru, tr;"
        " ner-train/README.md: sources\nUNER, WikiGold, Turkish-Wiki-NER, WikiFANE, AQMAR and others under CC BY /"
        ' CC BY-SA, whose attribution and\nlicences these numbers carry).\n"""\n\n'
        f"RANGES = [\n{rows}\n]\n"
    )
    print(f"{len(docs)} pseudo-documents; {len(ranges)} ranges written to {OUT.relative_to(REPO)}")
    widest = max(range(len(ranges)), key=lambda k: ranges[k][1] - ranges[k][0])
    print(f"widest: tensor {widest}: {ranges[widest]}")


if __name__ == "__main__":
    main()
