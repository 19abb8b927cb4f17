"""Sentence segmentation: rule-based, script-aware, offset-exact.

A sentence ends at a terminal mark (``. ! ? … ؟ ۔ 。 ！ ？``), optionally followed by closing quotes or
brackets, when what follows is whitespace and then something that can start a sentence. Paragraph
breaks (newlines) always end a sentence. A period does not end a sentence after a known abbreviation,
a single initial ("J. Smith"), an ordinal/date number ("5. Mart", "12.10.2020") or inside numbers and
domains. Sentences never include surrounding whitespace, so ``text[start:end] == sentence.text``.
"""

from __future__ import annotations

import re

from newsetl.doc import Doc, Sentence

SEGMENT_VERSION = "1"

# Abbreviations that end with a period but rarely end a sentence (lower-cased, without the period).
_ABBREVIATIONS = frozenset(
    """
    mr mrs ms dr prof sr jr st mt vs etc e.g i.e cf fig no nos vol pp ed eds approx dept est gen col lt
    sgt capt cmdr adm gov sen rep pres jan feb mar apr jun jul aug sep sept oct nov dec inc ltd co corp
    av bd cad cd mah sok sk apt no yy vb vs dr doç yrd öğr gör alb yzb org korg tuğg tuğa kur
    m mme mmes mlle mgr pr st ste av bd env
    г гг ул д т е др им тыс млн млрд руб коп стр см рис напр
    """.split()
)

_TERMINALS = ".!?…؟۔。！？"
_CLOSERS = "\"'”’»)]}›"
# A sentence boundary candidate: terminal run + closers, then whitespace.
_BOUNDARY = re.compile(rf"[{re.escape(_TERMINALS)}]+(?:[ \u00a0\u202f]?[{re.escape(_CLOSERS)}])*(?=\s)")
_PARAGRAPH = re.compile(r"\n\s*")
_WORD_BEFORE = re.compile(r"(\w+(?:\.\w+)*)\.$")


def _starts_sentence(text: str, pos: int) -> bool:
    """True when the first non-space character at ``pos`` can open a sentence."""
    m = re.compile(r"\s*").match(text, pos)
    i = m.end() if m else pos
    if i >= len(text):
        return False
    ch = text[i]
    if ch.islower():
        return False
    return ch.isupper() or ch.isdigit() or not ch.isalpha() or not ch.isascii()


def _is_abbreviation(chunk: str) -> bool:
    """True when ``chunk`` (text up to and including a single period) ends in an abbreviation."""
    m = _WORD_BEFORE.search(chunk)
    if not m:
        return False
    word = m.group(1)
    if len(word) == 1 and word.isalpha():  # an initial: "J. Smith", "A. Merkel"
        return True
    return word.lower() in _ABBREVIATIONS


def split_spans(text: str) -> list[tuple[int, int]]:
    """Return (start, end) code-point spans of the sentences in ``text``, whitespace trimmed."""
    spans: list[tuple[int, int]] = []

    def emit(start: int, end: int) -> None:
        while start < end and text[start].isspace():
            start += 1
        while end > start and text[end - 1].isspace():
            end -= 1
        if start < end:
            spans.append((start, end))

    para_start = 0
    paragraphs = [m.start() for m in _PARAGRAPH.finditer(text)] + [len(text)]
    for para_end in paragraphs:
        start = para_start
        for m in _BOUNDARY.finditer(text, para_start, para_end):
            end = m.end()
            mark = m.group(0)
            if mark.startswith(".") and len(mark.rstrip(_CLOSERS + " \u00a0\u202f")) == 1:
                if _is_abbreviation(text[start : m.start() + 1]):
                    continue
                # "5. Mart", "2. Dünya Savaşı": a number with a period followed by a lowercase word
                before = text[max(start, m.start() - 4) : m.start()]
                if before[-1:].isdigit() and not _starts_sentence(text, end):
                    continue
            if not _starts_sentence(text, end):
                continue
            emit(start, end)
            start = end
        emit(start, para_end)
        para_start = para_end
    return spans


def segment(doc: Doc) -> Doc:
    """Fill ``doc.sentences`` from ``doc.text``."""
    doc.sentences = [
        Sentence(idx=i, start=s, end=e, text=doc.text[s:e]) for i, (s, e) in enumerate(split_spans(doc.text))
    ]
    return doc
