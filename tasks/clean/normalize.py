"""Text normalisation: NFC, mojibake repair, invisible characters out, whitespace collapsed."""

from __future__ import annotations

import contextlib
import re
import unicodedata

import ftfy

_INVISIBLE_RE = re.compile("[\u00ad\u200b\u200c\u200d\u2060\ufeff\u180e\u200e\u200f\u202a-\u202e]")
# UTF-8 read as latin-1/cp1252 leaves a lead byte (Â..ô) followed by a continuation-byte look-alike
_MOJIBAKE_HINT_RE = re.compile(
    "[\u00c2-\u00f4][\u0080-\u00bf\u0152\u0153\u0160\u0161\u0178\u017d\u017e\u0192\u02c6\u02dc\u2013-\u203a\u20ac\u2122]"
    "|\ufffd|[\u0080-\u009f]"
)
_FTFY_CONFIG = ftfy.TextFixerConfig(
    unescape_html=False,
    uncurl_quotes=False,
    fix_character_width=False,
    fix_latin_ligatures=False,
    normalization="NFC",
    explain=False,
)


def normalize(text: str) -> str:
    """NFC, mojibake repair, invisible characters removed, whitespace collapsed to single spaces."""
    if not text:
        return ""
    if not text.isascii():
        if _MOJIBAKE_HINT_RE.search(text):
            with contextlib.suppress(Exception):  # never raise on odd input
                text = ftfy.fix_text(text, _FTFY_CONFIG)
        if _INVISIBLE_RE.search(text):
            text = _INVISIBLE_RE.sub("", text)
        if not unicodedata.is_normalized("NFC", text):
            text = unicodedata.normalize("NFC", text)
    return " ".join(text.split())
