"""Decoding: bytes to text, strictly (a BOM or valid UTF-8 first, then plausible legacy encodings).

Pure functions: inputs that are empty (no bytes, or only whitespace), binary or undecodable raise
:class:`RejectedInput`. Undecodable: not UTF-8 (not even UTF-8 with a few stray legacy bytes) and no legacy encoding
gives plausible text; the detail names the byte offset of the first invalid UTF-8 sequence.
"""

from __future__ import annotations

import codecs
import re
import unicodedata

from tasks.extract.errors import RejectedInput


def _looks_binary(data: bytes) -> bool:
    sample = data[:8192]
    if b"\x00" in sample and not sample.startswith((b"\xff\xfe", b"\xfe\xff")):
        return True
    control = len(sample.translate(None, _NOT_CONTROL))  # the control bytes that are left (C speed)
    return control > len(sample) * 0.05


_NOT_CONTROL = bytes(b for b in range(256) if b >= 32 or b in (9, 10, 12, 13, 27))


def decode(data: bytes) -> str:
    """Decode bytes to text, or raise :class:`RejectedInput` (empty, binary, undecodable)."""
    if not data.strip():
        raise RejectedInput("empty", "no content")
    text = _decode(data)
    if not _INVISIBLE_RE.sub("", text).strip():
        raise RejectedInput("empty", "only whitespace")
    return text


_INVISIBLE_RE = re.compile("[\u00ad\u200b\u200c\u200d\u2060\ufeff\u180e\u200e\u200f\u202a-\u202e]")


def _decode(data: bytes) -> str:
    for bom, codec in ((b"\xef\xbb\xbf", "utf-8-sig"), (b"\xff\xfe", "utf-16"), (b"\xfe\xff", "utf-16")):
        if data.startswith(bom):
            return data.decode(codec)
    if _looks_binary(data):
        raise RejectedInput("binary", "contains NUL/control bytes: not a text or HTML document")
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError as exc:
        bad_at, bad = exc.start, data[exc.start : exc.start + 4]
    mostly_utf8 = data.decode("utf-8", errors="replace")
    if mostly_utf8.count("\ufffd") <= max(3, len(mostly_utf8) // 200) and any(
        ord(c) > 127 and c != "\ufffd" for c in mostly_utf8
    ):
        # valid UTF-8 with a few stray legacy bytes (pasted text): keep the UTF-8, read the strays as windows-1252
        return data.decode("utf-8", errors="newsetl-cp1252")
    text = _decode_legacy(data)
    if text is None or _looks_garbled(text):
        raise RejectedInput(
            "undecodable",
            f"not UTF-8 (invalid byte sequence at byte {bad_at}: {bad!r}) and no legacy encoding decodes it plausibly",
        )
    return text


def _cp1252_fallback(exc: UnicodeDecodeError) -> tuple[str, int]:
    bad = exc.object[exc.start : exc.end]
    return bad.decode("cp1252", errors="replace"), exc.end


codecs.register_error("newsetl-cp1252", _cp1252_fallback)


# Legacy single-byte encodings news sites still serve, with the non-ASCII letters each one is for.
_LEGACY = (
    ("cp1252", set("àâäçéèêëîïôöùûüÿœæÀÂÄÇÉÈÊËÎÏÔÖÙÛÜŸŒÆßáíóúñÁÍÓÚÑãõÃÕåøÅØ¿¡«»€’‘“”–—…°")),
    ("cp1254", set("çğıöşüÇĞİÖŞÜâîûÂÎÛ«»€’‘“”–—…°")),
    ("cp1250", set("ąćęłńóśźżĄĆĘŁŃÓŚŹŻčďěňřšťůžýáéíČĎĚŇŘŠŤŮŽÝÁÉÍőűŐŰ„“”–—…°")),
    ("cp1256", {chr(c) for c in range(0x0600, 0x0700)} | set("«»،؛؟–—…")),
    ("cp1251", {chr(c) for c in range(0x0400, 0x0460)} | set("«»„“–—…№")),
    ("koi8_r", {chr(c) for c in range(0x0400, 0x0460)} | set("«»–—…№")),
    ("iso8859_7", {chr(c) for c in range(0x0370, 0x0400)} | set("«»–—…")),
)


_WORD_RE = re.compile(r"\w+")


def _plausibility(text: str, expected: set[str]) -> float:
    """Share of non-ASCII characters that belong to the encoding's alphabet, plus a share of letters that are
    not capitals inside words, minus the share of words that mix Latin with another script ("Bakanэ")."""
    non_ascii = [ch for ch in text if ord(ch) > 127]
    if not non_ascii:
        return 1.0
    words = [w for w in _WORD_RE.findall(text) if not w.isascii()]
    mixed = sum(any(c.isascii() for c in w) and any(ord(c) >= 0x370 for c in w) for w in words)
    fit = sum(ch in expected for ch in non_ascii) / len(non_ascii)
    letters = [ch for ch in non_ascii if ch.isalpha()]
    lower = sum(not ch.isupper() for ch in letters) / len(letters) if letters else 0.0
    return fit + 0.25 * lower - 2.0 * mixed / max(len(words), 1)


# Symbols that real text in a legacy encoding does contain; any other symbol decoded from a high byte is a sign of
# bytes read with the wrong table ("CafĂ( ˙ţ").
_COMMON_SYMBOLS = frozenset("°©®™€£¥¢§±×÷№•·¶¦¬¯´¨¸µ¹²³¼½¾‰†‡")


def _looks_garbled(text: str) -> bool:
    """True when more than a tenth of the non-ASCII characters are unlikely in real text: symbols, private-use or
    control characters, or a capital right after a lower-case letter inside a word ("CafĂ"). (In lingua's test
    sentences of 11 languages written in their legacy encodings, 15 of the 17 lines above a tenth are mojibake.)"""
    non_ascii = bad = 0
    prev = " "
    for ch in text:
        if ord(ch) > 127:
            non_ascii += 1
            cat = unicodedata.category(ch)
            odd_symbol = (cat[0] == "S" and ch not in _COMMON_SYMBOLS) or cat in ("Co", "Cn", "Cc", "Cs")
            bad += odd_symbol or (ch.isupper() and prev.islower())
        prev = ch
    return non_ascii > 0 and bad > 0.1 * non_ascii


def _decode_legacy(data: bytes) -> str | None:
    best, best_score = None, 0.0
    for codec, expected in _LEGACY:
        try:
            text = data.decode(codec)
        except UnicodeDecodeError:
            continue
        score = _plausibility(text, expected)
        if score > best_score:
            best, best_score = text, score
    if best_score >= 0.9 and not _looks_garbled(best):
        return best
    from charset_normalizer import from_bytes

    match = from_bytes(data).best()
    if match is not None and not _looks_garbled(str(match)):
        return str(match)
    return best
