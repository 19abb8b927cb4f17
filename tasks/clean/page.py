"""HTML pages: trafilatura's main text aligned with our page blocks, refined by our block classifier, with a
recall fallback to the main container; every other page block kept with its kind."""

from __future__ import annotations

from newsetl.doc import Block, Doc
from tasks.clean.blocks import _HEADING_TAGS, _HtmlBlock, _parse_html, _segment
from tasks.clean.cues import (
    _COMMENT_HEAD_RE,
    _LEGAL_LC,
    _PROMO_LC,
    _RELATED_HEAD_RE,
    _RELATED_PREFIX_RE,
    _SCORE_RE,
    _SENTENCE_END,
    _is_prose,
    _is_teaser,
    _line_cue,
    _words,
)
from tasks.clean.dates import is_date_line
from tasks.clean.metadata import _meta_from_blocks, html_metadata
from tasks.clean.normalize import normalize


def _trafilatura_text(tree) -> str:
    import trafilatura

    txt = trafilatura.extract(
        tree,
        include_comments=False,
        include_tables=True,
        with_metadata=False,
        fast=True,
        deduplicate=False,
    )
    return txt or ""


class _Para:
    __slots__ = ("text", "start", "end", "link", "cue", "kind")

    def __init__(self, text: str) -> None:
        self.text = text
        self.start = -1  # index of the first HTML block it covers
        self.end = -1  # index of the last one
        self.link = 0.0  # link density of the covered blocks
        self.cue: str | None = None  # container cue of its first block
        self.kind = "body"


def _extracted_paras(extracted: str) -> list[_Para]:
    """Paragraphs of the extractor's output. A line starting with whitespace continues the previous
    one (a source line break inside an element, e.g. in a reference or a link)."""
    paras: list[_Para] = []
    for line in extracted.split("\n"):
        t = normalize(line)
        if not t:
            continue
        if paras and line[:1].isspace() and t[:2] not in ("- ", "| ") and not paras[-1].text.endswith(_SENTENCE_END):
            paras[-1].text += " " + t
        else:
            paras.append(_Para(t))
    return paras


def _align(paras: list[_Para], blocks: list[_HtmlBlock]) -> None:
    """Locate each extracted paragraph among the page blocks (in order)."""
    if not blocks:
        return
    offsets = []
    parts = []
    pos = 0
    for b in blocks:
        offsets.append(pos)
        parts.append(b.text)
        pos += len(b.text) + 1
    concat = "\n".join(parts)
    from bisect import bisect_right

    cursor = 0
    for p in paras:
        t = p.text
        # list items ('- ...') and table rows ('| a | b |') as rendered by the extractor stay unaligned:
        # the extractor already judged them inside the main content, link density is no cue there
        key = t[:60]
        at = concat.find(key, cursor)
        if at < 0:
            at = concat.find(key)
            if at < 0:
                continue
        s = bisect_right(offsets, at) - 1
        e = bisect_right(offsets, at + len(t) - 1) - 1
        if e < s:
            e = s
        # the paragraph may be shorter than what follows in concat: clip to blocks it really spans
        p.start, p.end = s, e
        cursor = at + len(key)
        tot = sum(len(blocks[k].text) for k in range(s, e + 1)) or 1
        p.link = min(1.0, sum(blocks[k].link_len for k in range(s, e + 1)) / tot)
        p.cue = blocks[s].cue


def _merge_fragments(paras: list[_Para]) -> list[_Para]:
    """Join consecutive extracted lines that come from one page block (hard line breaks in the source,
    <pre> lines, split references): the block is one paragraph and is classified once."""
    out: list[_Para] = []
    for p in paras:
        q = out[-1] if out else None
        if q is not None and p.start >= 0 and p.start == p.end == q.start == q.end:
            q.text = q.text + " " + p.text
            continue
        out.append(p)
    return out


def _classify_paras(paras: list[_Para]) -> None:
    """Negative cues on the extracted paragraphs: what the extractor kept but is not article text."""
    n = len(paras)
    texts = [p.text for p in paras]
    prose = [_is_prose(t) for t in texts]
    dates = [is_date_line(t) for t in texts]
    for i, p in enumerate(paras):
        t = p.text
        cue = _line_cue(t)
        if cue in ("nav",) and prose[i]:
            cue = None
        if cue is None:
            if _RELATED_PREFIX_RE.match(t):
                cue = "related"
            elif len(t) < 250 and (_LEGAL_LC.search(t.lower()) or len(t) < 200 and _PROMO_LC.search(t.lower())):
                cue = "other"
            elif p.link > 0.75 and not (prose[i] and _words(t) >= 25):
                cue = "related" if _words(t) >= 4 else "nav"
            elif _is_teaser(t) and p.link > 0.3:
                cue = "related"
        if cue:
            p.kind = cue
    # related header + following run of short/link items
    i = 0
    while i < n:
        t = texts[i]
        if paras[i].kind == "body" and _RELATED_HEAD_RE.match(t):
            paras[i].kind = "related"
            j = i + 1
            while j < n and (
                paras[j].kind != "body" or not prose[j] or paras[j].link > 0.5 or _is_teaser(texts[j]) or dates[j]
            ):
                if paras[j].kind == "body":
                    paras[j].kind = "related"
                j += 1
            i = j
        else:
            i += 1
    # comment region: a comment header after the article start, followed by timestamps/scores
    first_prose = next((i for i in range(n) if prose[i]), n)
    for i in range(first_prose + 1, n):
        if _COMMENT_HEAD_RE.match(texts[i]) and any(
            dates[j] or _SCORE_RE.match(texts[j]) for j in range(i + 1, min(n, i + 6))
        ):
            for j in range(i, n):
                paras[j].kind = "comment"
            break
    # trailing junk: short non-prose items after the last prose paragraph that sit in link/teaser lists
    body_idx = [i for i in range(n) if paras[i].kind == "body"]
    if body_idx:
        last_prose = max((i for i in body_idx if prose[i]), default=-1)
        for i in body_idx:
            if i > last_prose and (paras[i].link > 0.5 or dates[i]):
                paras[i].kind = "related" if paras[i].link > 0.5 else "other"


def _container_candidate(blocks: list[_HtmlBlock]) -> list[int]:
    """Own main-content guess: the deepest element holding most of the page's low-link prose.

    Prose weight is credited to every ancestor, so a listing page whose teasers sit in separate
    sub-containers (section > ol > li > article > p) still resolves to the section holding them all."""
    acc: dict[int, int] = {}
    els: dict[int, object] = {}
    depth: dict[int, int] = {}
    total = 0
    for b in blocks:
        if b.link_len > 0.3 * len(b.text) or not _is_prose(b.text):
            continue
        if b.cue in ("nav", "comment", "cookie", "ad"):
            continue
        w = len(b.text)
        total += w
        chain = []
        el = b.el if b.tag not in ("p", "li", "blockquote", "pre", "h2", "h3", "h4") else b.el.getparent()
        while el is not None:
            chain.append(el)
            el = el.getparent()
        n = len(chain)
        for k, el in enumerate(chain):
            key = id(el)
            acc[key] = acc.get(key, 0) + w
            if key not in els:
                els[key] = el
                depth[key] = n - k
    if not total:
        return []
    # ancestors holding > 60 % of the prose form one chain: take its deepest member
    best_key = max((k for k, v in acc.items() if v > 0.6 * total), key=depth.get, default=None)
    if best_key is None:
        return []
    best = els[best_key]
    out = []
    for i, b in enumerate(blocks):
        el = b.el
        while el is not None and el is not best:
            el = el.getparent()
        if el is not None:
            out.append(i)
    return out


def _html_clean(doc: Doc) -> Doc:
    raw = doc.raw_text or ""
    tree = _parse_html(raw) if raw.strip() else None
    if tree is None:
        doc.text, doc.title, doc.published_at, doc.site, doc.author, doc.blocks = "", None, None, None, None, []
        return doc
    meta = html_metadata(tree)
    extracted = _trafilatura_text(tree)
    blocks = _segment(tree)
    paras = _extracted_paras(extracted)
    _align(paras, blocks)
    paras = _merge_fragments(paras)

    # recall fallback: the extractor kept little of a page whose main container holds much more prose
    ext_len = sum(len(p.text) for p in paras)
    if ext_len < 2500:
        cand = _container_candidate(blocks)
        cand_len = sum(len(blocks[i].text) for i in cand if _is_prose(blocks[i].text))
        aligned = [p.start for p in paras if p.start >= 0]
        near = not aligned or any(cand and cand[0] - 3 <= a <= cand[-1] + 3 for a in aligned)
        if near and cand_len > 8 * max(ext_len, 200):
            paras = []
            for i in cand:
                p = _Para(blocks[i].text)
                p.start = p.end = i
                b = blocks[i]
                p.link = b.link_len / max(1, len(b.text))
                p.cue = b.cue
                paras.append(p)
    _classify_paras(paras)
    title_key = normalize(meta["title"] or "").lower()
    for p in paras[:3]:
        if title_key and p.kind == "body" and p.text.lower() == title_key:
            p.kind = "title"
            break

    # assemble blocks: extracted paragraphs at their position, other page blocks classified
    title = meta["title"]
    covered = [False] * len(blocks)
    anchored: dict[int, list[_Para]] = {}
    last = -1
    for p in paras:
        if p.start >= 0:
            for k in range(p.start, p.end + 1):
                covered[k] = True
            last = p.start
        anchored.setdefault(last, []).append(p)
    out: list[tuple[str, str]] = [(p.kind, p.text) for p in anchored.get(-1, [])]
    title_done = False
    for i, b in enumerate(blocks):
        if i in anchored:
            out.extend((p.kind, p.text) for p in anchored[i])
        if covered[i]:
            continue
        if not title_done and title and b.tag in _HEADING_TAGS and (b.text == title or b.text in title):
            out.append(("title", b.text))
            title_done = True
            continue
        cue = b.cue or _line_cue(b.text)
        if cue is None and (_RELATED_HEAD_RE.match(b.text) or _RELATED_PREFIX_RE.match(b.text)):
            cue = "related"
        if cue is None and _is_teaser(b.text):
            cue = "related"
        if cue is None and b.link_len > 0.6 * len(b.text):
            cue = "nav"
        out.append((cue or "other", b.text))
    doc.blocks = [Block(i, k, t) for i, (k, t) in enumerate(out)]
    doc.text = "\n\n".join(t for k, t in out if k == "body")
    doc.title = title
    doc.published_at = meta["published_at"]
    doc.site = meta["site"]
    doc.author = meta["author"]
    if doc.published_at is None or doc.author is None:
        _meta_from_blocks(doc, out)
    return doc
