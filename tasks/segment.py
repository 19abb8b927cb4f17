"""Sentence segmentation: ICU's sentence boundaries under our own abbreviation and quote rules, offset-exact.

Candidate boundaries come from two places: ICU's sentence break iterator (through ``icu4py``, root locale, no
language-specific suppressions), which knows every script's sentence ends (``. ! ?``, Devanagari ``।``, Arabic
``؟ ۔``, CJK ``。！？``, Armenian ``։``, Ethiopic ``።``, Burmese ``။``, …), and our own pattern for a terminal run
followed by whitespace (which adds ``…``, a sentence end ICU does not know). Each candidate is then judged by the
project's rules:

- closing quotes and brackets after the terminal belong to the sentence that ends (``« Attendez. »``, ``"Go."``),
  also with a space before them (French typography); a sentence never starts with a closing mark;
- a single period does not end a sentence after a known abbreviation (``Dr.``, ``г.``, ``M.``), a single initial
  (``J. Smith``) or an ordinal/date number followed by a lower-case word (``5. Mart``);
- what follows must be able to start a sentence: not a lower-case letter (``"Ne oldu?" diye sordu.`` is one);
- a boundary needs whitespace after it (``Yahoo!News``, ``3.5``, domains), except next to East Asian wide
  characters (``你好。我很好！``).

Paragraph breaks (newlines) always end a sentence. Sentences never include surrounding whitespace, so
``text[start:end] == sentence.text`` (in code points, also after astral characters: ICU counts UTF-16 units and the
offsets are converted).
"""

from __future__ import annotations

import re
import unicodedata
from functools import cache

from newsetl.doc import Doc, Sentence

SEGMENT_VERSION = "2"

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

# Terminals our own pattern knows (ICU knows these and the rest of Unicode's Sentence_Terminal, but not "…").
_TERMINALS = ".!?…؟۔।॥։።፧፨။။。！？｡．‼⁇⁈⁉"
# Closing quotes and brackets that stay with the sentence before them ('"' and "'" open sentences too).
_CLOSERS = "\"'”’»)]}›」』）】〉》〕］｝＂＇"
_CLOSE_ONLY = frozenset(_CLOSERS) - frozenset("\"'")
_SPACES = " \u00a0\u202f"
# A sentence boundary candidate of our own: terminal run + closers, then whitespace.
_BOUNDARY = re.compile(rf"[{re.escape(_TERMINALS)}]+(?:[{_SPACES}]?[{re.escape(_CLOSERS)}])*(?=\s)")
# Closers after a terminal: the longest run (a space allowed before each) that is followed by whitespace or the end.
_CLOSE_TAIL = re.compile(rf"(?:[{_SPACES}]?[{re.escape(_CLOSERS)}])*(?=\s|$)")
_CLOSE_TIGHT = re.compile(rf"[{re.escape(_CLOSERS)}]*")
_PARAGRAPH = re.compile(r"\n\s*")
_SPACE_RUN = re.compile(r"\s*")
_QUOTES = frozenset(("Ps", "Pe", "Pi", "Pf"))


@cache
def _breaker_class():
    from icu4py.breakers import SentenceBreaker

    return SentenceBreaker


def _icu_ends(text: str) -> list[int]:
    """ICU's sentence ends in ``text`` as code-point offsets (ICU counts UTF-16 code units)."""
    ends = [e for _, e in _breaker_class()(text, "und").segments()]
    if text.isascii() or not any(ord(c) > 0xFFFF for c in text):
        return ends
    units: list[int] = []  # UTF-16 offset -> code-point offset
    for i, c in enumerate(text):
        units.append(i)
        if ord(c) > 0xFFFF:
            units.append(i)
    units.append(len(text))
    return [units[e] for e in ends]


def _starts_sentence(text: str, pos: int) -> bool:
    """True when the first non-space character at ``pos`` can open a sentence."""
    i = _SPACE_RUN.match(text, pos).end()
    if i >= len(text):
        return False
    ch = text[i]
    if ch in _CLOSE_ONLY:
        return False
    if ch.islower() and not ("\u10d0" <= ch <= "\u10ff"):  # Georgian Mkhedruli is Ll but caseless in running text
        return False
    return ch.isupper() or ch.isdigit() or not ch.isalpha() or not ch.isascii()


def _is_word_char(ch: str) -> bool:
    return ch.isalnum() or ch == "_" or unicodedata.category(ch)[0] == "M"  # marks: Devanagari vowel signs, …


def _is_abbreviation(chunk: str) -> bool:
    """True when ``chunk`` (text up to and including a single period) ends in an abbreviation."""
    i = len(chunk) - 1  # the period
    while i > 0 and (_is_word_char(chunk[i - 1]) or (chunk[i - 1] == "." and i > 1 and _is_word_char(chunk[i - 2]))):
        i -= 1
    word = chunk[i:-1]
    if not word or word[0] == ".":
        return False
    if len(word) == 1 and word.isalpha():  # an initial: "J. Smith", "A. Merkel"
        return True
    return word.lower() in _ABBREVIATIONS


def _is_wide(ch: str) -> bool:
    return unicodedata.east_asian_width(ch) in ("W", "F")


def _normalise_end(text: str, end: int, para_end: int) -> tuple[int, int, int] | None:
    """The end of the sentence that a candidate boundary at ``end`` closes (closers included, whitespace
    excluded) and the span of its terminal run; None when no terminal mark precedes it."""
    e = end
    while e > 0 and text[e - 1].isspace():
        e -= 1
    # step back over closers (and the spaces French puts before them) to the terminal run
    t = e
    while t > 0 and (text[t - 1] in _CLOSERS or text[t - 1] in _SPACES or unicodedata.category(text[t - 1]) in _QUOTES):
        t -= 1  # (ICU also keeps an opening bracket or quote after a full-width mark: "欢迎！「")
    s = t
    while s > 0 and (
        text[s - 1] in _TERMINALS or (unicodedata.category(text[s - 1]) == "Po" and _is_terminal(text[s - 1]))
    ):
        s -= 1
    if s == t:
        return None
    # closers after the terminal belong to this sentence
    m = _CLOSE_TAIL.match(text, t, para_end)
    if m is not None and m.end() > t:
        e = m.end()
    elif _is_wide(text[t - 1]):
        e = _CLOSE_TIGHT.match(text, t, para_end).end()
    else:
        e = t
    return e, s, t


@cache
def _is_terminal(ch: str) -> bool:
    """A sentence-final mark of any script: ICU breaks after it ("a<ch> B" splits in two)."""
    if ch in _TERMINALS:
        return True
    return len(_icu_ends(f"a{ch} B")) == 2


def split_spans(text: str) -> list[tuple[int, int]]:
    """Return (start, end) code-point spans of the sentences in ``text``, whitespace trimmed."""
    spans: list[tuple[int, int]] = []
    if not text or text.isspace():
        return spans

    def emit(start: int, end: int) -> None:
        while start < end and text[start].isspace():
            start += 1
        while end > start and text[end - 1].isspace():
            end -= 1
        if start < end:
            spans.append((start, end))

    icu_ends = _icu_ends(text)
    k = 0
    para_start = 0
    paragraphs = [m.start() for m in _PARAGRAPH.finditer(text)] + [len(text)]
    for para_end in paragraphs:
        candidates: set[int] = {m.end() for m in _BOUNDARY.finditer(text, para_start, para_end)}
        while k < len(icu_ends) and icu_ends[k] <= para_end:
            if icu_ends[k] > para_start:
                candidates.add(icu_ends[k])
            k += 1
        start = para_start
        for cand in sorted(candidates):
            if cand <= start:
                continue
            judged = _normalise_end(text, cand, para_end)
            if judged is None:
                continue
            end, mark_start, mark_end = judged
            if end <= start or end >= para_end or mark_start <= start:
                continue
            if not text[end].isspace() and not (_is_wide(text[mark_end - 1]) or _is_wide(text[end])):
                continue  # "Yahoo!News", "3.5", "example.com" (but "试题?下一" splits)
            if text[mark_start:mark_end] == ".":
                if _is_abbreviation(text[start:mark_end]):
                    continue
                # "5. Mart", "2. Dünya Savaşı": a number with a period followed by a lowercase word
                if text[mark_start - 1].isdigit() and not _starts_sentence(text, end):
                    continue
            if not _starts_sentence(text, end):
                continue
            emit(start, end)
            start = end
        emit(start, para_end)
        para_start = para_end
    return _join_letterless(text, spans)


def _join_letterless(text: str, spans: list[tuple[int, int]]) -> list[tuple[int, int]]:
    """A span without a letter ("18.", "-- 1981.", "(1742/22)") is no sentence: it joins the next sentence of its
    paragraph (a list number opens it), else the previous one; alone in its paragraph, it stays."""
    out: list[tuple[int, int]] = []
    pending: tuple[int, int] | None = None  # a letterless span waiting for the next sentence
    for s, e in spans:
        if pending is not None:
            if "\n" not in text[pending[1] : s]:
                s = pending[0]
            else:
                _attach_back(text, out, pending)
            pending = None
        if not any(ch.isalpha() for ch in text[s:e]):
            pending = (s, e)
            continue
        out.append((s, e))
    if pending is not None:
        _attach_back(text, out, pending)
    return out


def _attach_back(text: str, out: list[tuple[int, int]], span: tuple[int, int]) -> None:
    if out and "\n" not in text[out[-1][1] : span[0]]:
        out[-1] = (out[-1][0], span[1])
    else:
        out.append(span)


def segment(doc: Doc) -> Doc:
    """Fill ``doc.sentences`` from ``doc.text``."""
    doc.sentences = [
        Sentence(idx=i, start=s, end=e, text=doc.text[s:e]) for i, (s, e) in enumerate(split_spans(doc.text))
    ]
    return doc
