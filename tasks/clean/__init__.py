"""Clean stage: raw page/text -> article text, title, metadata and classified blocks.

Pure functions, no I/O. The pipeline calls :func:`clean` only.

Plain text (:mod:`tasks.clean.text`): every non-empty line is a block (in a hard-wrapped text with blank-line
paragraph separators, a wrapped run of lines is one block); blocks are classified from structure (length, sentence
punctuation, date/time lines, list runs, teaser lines ending in an ellipsis, score/timestamp patterns of reader
comments, position relative to the article) with small multilingual cue lists (:mod:`tasks.clean.cues`) as a
supplement.

HTML: the page is segmented into blocks (:mod:`tasks.clean.blocks`: leaf block elements, in document order); the
main text comes from trafilatura (fast mode) and is refined by our own block classifier (:mod:`tasks.clean.page`:
container class/id cues, link density, the same text cues as for plain text); when the extractor keeps little of a
page whose main container holds much more prose (listing pages), that container's blocks are used instead.
Metadata (:mod:`tasks.clean.metadata`) from meta tags, JSON-LD and ``<time>`` elements. Shared helpers:
:mod:`tasks.clean.normalize` (text normalisation) and :mod:`tasks.clean.dates` (date parsing).
"""

from __future__ import annotations

from newsetl.doc import Doc
from tasks.clean.blocks import _parse_html, _segment
from tasks.clean.cues import _line_cue
from tasks.clean.dates import find_date, is_date_line, parse_iso_date
from tasks.clean.metadata import html_metadata
from tasks.clean.normalize import normalize
from tasks.clean.page import _extracted_paras, _html_clean
from tasks.clean.text import classify_lines, clean_text

CLEAN_VERSION = "0.4.0"

__all__ = [
    "CLEAN_VERSION",
    "classify_lines",
    "clean",
    "clean_text",
    "find_date",
    "html_metadata",
    "is_date_line",
    "normalize",
    "parse_iso_date",
    "_extracted_paras",
    "_line_cue",
    "_parse_html",
    "_segment",
]


def clean(doc: Doc) -> Doc:
    """Fill ``text``, ``title``, ``published_at``, ``site``, ``author``, ``blocks``. Never raises."""
    try:
        if (doc.media_type or "text").lower() in ("html", "text/html", "htm", "xhtml"):
            return _html_clean(doc)
        return clean_text(doc)
    except Exception:  # noqa: BLE001 - odd input must not break the pipeline
        try:
            return clean_text(doc)
        except Exception:  # noqa: BLE001
            doc.text = ""
            doc.blocks = []
            return doc
