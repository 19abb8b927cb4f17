"""Plain text: lines to blocks (hard-wrapped paragraphs joined), the block classifier, title and metadata lines.

Nothing is lost: a line is the title only when it looks like one (:func:`looks_like_title`), so a lead paragraph
is text; a text of one line is always a document; when nothing else is text, a lone headline or lines that only
looked like teasers are."""

from __future__ import annotations

from datetime import datetime

from newsetl.doc import Block, Doc
from tasks.clean.cues import (
    _BYLINE_RE,
    _COMMENT_HEAD_RE,
    _LABEL_VALUE_RE,
    _RELATED_HEAD_RE,
    _RELATED_PREFIX_RE,
    _SCORE_RE,
    _SENTENCE_END,
    _is_prose,
    _is_teaser,
    _line_cue,
    _words,
)
from tasks.clean.dates import find_date, is_date_line
from tasks.clean.normalize import normalize
from tasks.segment import split_spans


def _wrap_width(lines: list[str]) -> int | None:
    """Line width of a hard-wrapped text that separates paragraphs by blank lines, else None.

    Hard-wrapped: blank separators exist and (nearly) all lines stay within a fixed width
    (<= 100 characters). One-line-per-paragraph texts have long lines, or no blank lines at all."""
    lens = sorted(len(x.rstrip()) for x in lines if x.strip())
    if len(lens) < 3 or len(lens) == len(lines):  # no blank line at all
        return None
    width = lens[int(0.95 * (len(lens) - 1))]
    if width > 100 or width < 30:
        return None
    return width


def _text_blocks(raw: str) -> list[tuple[str, bool]]:
    """Blocks of a plain text with whether each one joins several source lines: one per non-empty line; in a
    hard-wrapped text, a run of lines between blank lines whose lines (except the last) fill the wrap width is one
    paragraph. Runs of short lines (lists, headlines, comment scores) stay one block per line."""
    lines = raw.splitlines()
    width = _wrap_width(lines)
    if width is None:
        return [(t, False) for t in (normalize(x) for x in lines) if t]
    out: list[tuple[str, bool]] = []
    run: list[str] = []
    for line in [*lines, ""]:
        if line.strip():
            run.append(line)
            continue
        inner = run[:-1]
        if (
            inner
            and all(len(x.rstrip()) >= 0.6 * width for x in inner)
            and sum(x.rstrip().endswith(_SENTENCE_END) for x in inner) <= len(inner) / 2
        ):
            t = normalize(" ".join(run))
            if t:
                out.append((t, True))
        else:
            out.extend((t, False) for t in (normalize(x) for x in run) if t)
        run = []
    return out


# A title is short: at most this many characters and words.
_TITLE_MAX_CHARS = 200
_TITLE_MAX_WORDS = 30
# Full stops of every script: a line ending in one is a sentence, not a headline ('?' and '!' may end a headline).
_FULL_STOPS = tuple(".。．｡।॥۔։።။")


def looks_like_title(text: str, joined: bool = False) -> bool:
    """A headline: one source line, short, one sentence at most (no sentence end inside it), not closed by a full
    stop, and not a long question or exclamation (a lead sentence)."""
    if joined or len(text) > _TITLE_MAX_CHARS:
        return False
    w = _words(text)
    if w > _TITLE_MAX_WORDS:
        return False
    end = text.rstrip("\"'”’»)]}›」』）")
    if end.endswith(_FULL_STOPS) and not end.endswith(("..", "…")):
        return False
    if end.endswith(_SENTENCE_END) and w >= 15:
        return False
    return len(split_spans(text)) <= 1


def classify_lines(lines: list[str], joined: list[bool] | None = None) -> tuple[list[str], int | None]:
    """Kinds for a sequence of normalised lines (one block each) and the index of the title line.

    ``joined[i]`` tells that block ``i`` joins several source lines (a hard-wrapped paragraph: never a title)."""
    n = len(lines)
    joined = joined or [False] * n
    kinds: list[str | None] = [None] * n
    dates = [is_date_line(t) for t in lines]
    # a paragraph of three sentences or more is prose even when it trails off in an ellipsis (no teaser)
    prose = [_is_prose(t) or (_is_teaser(t) and _words(t) >= 15 and len(split_spans(t)) >= 3) for t in lines]

    for i, t in enumerate(lines):
        cue = _line_cue(t)
        if cue is None:
            m = _RELATED_PREFIX_RE.match(t)
            if m and t[m.end() :].strip():  # 'Read also: <headline>' (a bare header starts a run below)
                cue = "related"
        if cue:
            kinds[i] = cue

    # ---- reader comments: a comment header/prompt followed by score/timestamp lines, or a run of them
    comment_start = None
    first_prose = next((i for i in range(n) if prose[i] and kinds[i] is None), None)
    for i, t in enumerate(lines):
        if first_prose is not None and i <= first_prose:
            continue
        is_head = bool(_COMMENT_HEAD_RE.match(t)) or kinds[i] == "comment"
        if is_head:
            window = range(i + 1, min(n, i + 8))
            if any(_SCORE_RE.match(lines[j]) or dates[j] for j in window) or i >= n * 0.5:
                comment_start = i
                break
            kinds[i] = "comment"
        elif _SCORE_RE.match(t) and i + 1 < n and dates[i + 1]:
            # '1. 0' followed by a timestamp: a scored comment
            comment_start = i
            break
    if comment_start is not None:
        for i in range(comment_start, n):
            if kinds[i] not in ("ad", "cookie"):
                kinds[i] = "comment"

    # ---- related lists: header + run of headlines/teasers/dates, and dated list runs
    i = 0
    while i < n:
        if (
            kinds[i] is None
            and _RELATED_HEAD_RE.match(lines[i])
            or (kinds[i] is None and _words(lines[i]) <= 5 and lines[i].endswith("/"))
        ):
            kinds[i] = "related"
            j = i + 1
            while j < n and kinds[j] in (None, "ad", "related"):
                if kinds[j] is None:
                    near_date = any(dates[k] for k in range(j, min(n, j + 3)))
                    if prose[j] and not near_date:
                        break
                    kinds[j] = "related"
                j += 1
            i = j
        else:
            i += 1
    date_idx = [i for i in range(n) if dates[i] and kinds[i] is None]
    if first_prose is not None:
        date_idx = [i for i in date_idx if i > first_prose]
    runs: list[list[int]] = []
    for i in date_idx:
        if runs and i - runs[-1][-1] <= 5:
            runs[-1].append(i)
        else:
            runs.append([i])
    for run in runs:
        if len(run) < 2:
            continue
        gap = max(b - a for a, b in zip(run, run[1:], strict=False))
        start = max(0, run[0] - gap + 1)
        for k in range(start, run[-1] + 1):
            if kinds[k] is None:
                kinds[k] = "related"
    # a teaser is a headline or two that trail off in an ellipsis; a paragraph of three sentences or more is text
    teasers = [i for i, t in enumerate(lines) if kinds[i] is None and _is_teaser(t) and len(split_spans(t)) < 3]
    for i in teasers:
        kinds[i] = "related"

    # ---- title: the first heading-like line before the first prose line
    title_idx = None
    for i, t in enumerate(lines):
        if kinds[i] is not None:
            continue
        if dates[i] or _SCORE_RE.match(t) or _words(t) < 2:
            continue
        if _LABEL_VALUE_RE.match(t) and _words(t) <= 4:
            continue
        if looks_like_title(t, joined[i]):  # with no text after it, it becomes the text below (and stays the title)
            title_idx = i
        break
    if title_idx is not None:
        kinds[title_idx] = "title"

    # ---- body: from the first to the last prose line still unclassified
    prose_idx = [i for i in range(n) if kinds[i] is None and prose[i]]
    if prose_idx:
        start = prose_idx[0]
        end = prose_idx[-1]
        for i in range(start, end + 1):
            if kinds[i] is None:
                t = lines[i]
                if dates[i] or (_SCORE_RE.match(t) and not prose[i]):
                    kinds[i] = "other"
                else:
                    kinds[i] = "body"
    else:
        # no prose at all: keep whatever is not boilerplate as body (briefs, alerts, short texts, poems, lists)
        for i in range(n):
            if kinds[i] is None and not dates[i]:
                kinds[i] = "body"
    if "body" not in kinds:
        # nothing else is text: a lone headline is the document (and stays its title), lines that only looked
        # like teasers (ending in an ellipsis, no list header) are the text
        if title_idx is not None:
            kinds[title_idx] = "body"
        for i in teasers:
            kinds[i] = "body"
    if n == 1:
        kinds[0] = "body"  # a text of one line is a document whatever the line looks like ("no_text": no text at all)

    # ---- leftovers: before the title/body -> nav if short label-like, else other
    first_body = next((i for i in range(n) if kinds[i] in ("body", "title")), n)
    for i in range(n):
        if kinds[i] is None:
            if i < first_body and (_LABEL_VALUE_RE.match(lines[i]) or _words(lines[i]) <= 4):
                kinds[i] = "nav"
            else:
                kinds[i] = "other"
    return [k or "other" for k in kinds], title_idx


def _text_meta(lines: list[str], kinds: list[str]) -> tuple[datetime | None, str | None]:
    """Publication date / author from a dated first line or byline near the top (never from lists)."""
    published = None
    author = None
    first_body = next((i for i, k in enumerate(kinds) if k == "body"), len(lines))
    for i in range(0, min(len(lines), first_body + 2)):
        if kinds[i] in ("related", "comment", "ad", "cookie"):
            continue
        t = lines[i]
        if published is None and len(t) <= 80 and (is_date_line(t) or i < first_body):
            published = find_date(t) if is_date_line(t) or _BYLINE_RE.match(t) else None
        if author is None and len(t) <= 80:
            m = _BYLINE_RE.match(t)
            if m:
                author = m.group("name").strip()
    return published, author


def clean_text(doc: Doc) -> Doc:
    blocks = _text_blocks(doc.raw_text or "")
    lines = [t for t, _ in blocks]
    kinds, title_idx = classify_lines(lines, [j for _, j in blocks])
    # a date/byline line is metadata, not body
    doc.blocks = [Block(i, k, t) for i, (k, t) in enumerate(zip(kinds, lines, strict=False))]
    doc.title = lines[title_idx] if title_idx is not None else None
    doc.text = "\n\n".join(t for t, k in zip(lines, kinds, strict=False) if k == "body")
    doc.published_at, doc.author = _text_meta(lines, kinds)
    doc.site = None
    return doc
