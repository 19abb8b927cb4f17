"""HTML segmentation: the page's leaf text blocks in document order, with link length and container cues."""

from __future__ import annotations

import re
from functools import cache

from tasks.clean.normalize import normalize

_SKIP_TAGS = frozenset(
    "script style noscript template svg math iframe object embed canvas select option head "
    "button input textarea link meta source video audio picture map".split()
)
_BLOCK_TAGS = frozenset(
    "p h1 h2 h3 h4 h5 h6 li td th dd dt blockquote pre div section article header footer nav aside "
    "main ul ol dl table tr tbody thead tfoot figure figcaption form address center details summary "
    "fieldset legend body html hr caption".split()
)
_HEADING_TAGS = frozenset("h1 h2 h3 h4 h5 h6".split())

_CUE_KINDS = (
    ("cookie", re.compile(r"cookie|consent|gdpr|cmp-|privacy-?banner|onetrust|didomi|cookiebot", re.I)),
    (
        "comment",
        re.compile(r"comment|disqus|respond|replies|reply|discussion|kommentar|yorum|reactions", re.I),
    ),
    (
        "ad",
        re.compile(
            r"(?:^|[\s_-])(?:ad|ads|adv|advert\w*|advertisement|sponsor\w*|banner|dfp|gpt|reklam|"
            r"werbung|anzeige|publicidad|pub|outbrain|taboola|promo\w*)(?:$|[\s_-]|\d)|google_ad|adsbygoogle|"
            r"adslot|ad-slot|adunit|ad-unit|ad_container|ad-container",
            re.I,
        ),
    ),
    (
        "related",
        re.compile(
            r"related|recommend|read-?more|read-?also|also-?read|see-?also|more-?(?:news|stories|articles)|popular|trending|most-?read|"
            r"also|teaser|similar|next-?article|prev-?article|tags?-?list|mostviewed|suggest|"
            r"benzer|ilgili|relacionad|plus-lus|a-lire|lire-aussi|weitere|mehr-zum",
            re.I,
        ),
    ),
    (
        "nav",
        re.compile(
            r"(?:^|[\s_-])(?:nav\w*|menu\w*|breadcrumbs?|footer|header|masthead|sidebar|topbar|"
            r"toolbar|share\w*|social\w*|pagination|pager|skip|site-?head\w*|site-?foot\w*|"
            r"widget\w*|banner)(?:$|[\s_-]|\d)",
            re.I,
        ),
    ),
)
_NAV_TAGS = frozenset(("nav", "footer", "header", "aside"))
_CUE_PRIORITY = [k for k, _ in _CUE_KINDS]
# searched on lower-cased attribute strings: ~3x faster than one case-insensitive pattern
_CUE_ALL_RE = re.compile("|".join(f"(?P<{k}>{rx.pattern.lower()})" for k, rx in _CUE_KINDS))


class _HtmlBlock:
    __slots__ = ("text", "el", "link_len", "tag", "kind", "cue")

    def __init__(self, text: str, el, link_len: int, tag: str, cue: str | None = None) -> None:
        self.text = text
        self.el = el
        self.link_len = link_len
        self.tag = tag
        self.kind: str | None = None
        self.cue = cue  # kind suggested by the class/id/role/tag of the block or its nearest cued ancestor


_ATTR_CUE_CACHE: dict[str, str | None] = {}  # class/id strings repeat a lot across pages


def _attr_cue(attrs: str) -> str | None:
    cue = _ATTR_CUE_CACHE.get(attrs, 0)
    if cue == 0:
        m = _CUE_ALL_RE.search(attrs.lower())
        cue = _CUE_PRIORITY[min(_CUE_PRIORITY.index(k) for k, v in m.groupdict().items() if v)] if m else None
        if len(_ATTR_CUE_CACHE) > 50000:
            _ATTR_CUE_CACHE.clear()
        _ATTR_CUE_CACHE[attrs] = cue
    return cue


def _own_cue(node) -> str | None:
    tag = node.tag
    if tag == "body" or tag == "html":
        return None
    if node.items():  # one C call; most elements carry no attribute
        get = node.get
        attrs = " ".join(v for v in (get("class"), get("id"), get("role"), get("itemprop")) if v)
        if attrs:
            cue = _attr_cue(attrs)
            if cue:
                return cue
    if tag in _NAV_TAGS:
        return "nav"
    return None


def _segment(root) -> list[_HtmlBlock]:
    """Leaf text blocks of the page in document order (block elements split, <br> splits lines).

    One pass with lxml's iterwalk (no Python recursion). Container cues are inherited down the
    stack of open elements, computed lazily: only for the elements above a block that gets text
    (inline elements inside paragraphs are never looked at)."""
    from lxml import etree

    blocks: list[_HtmlBlock] = []
    buf: list[str] = []
    link_len = 0
    in_link = 0
    els: list = []  # open elements
    cues: list = []  # inherited cue of els[k], valid for k < done
    done = 0
    bstack: list = [-1]  # indexes (into els) of the open block elements; -1: the page root

    def flush() -> None:
        nonlocal link_len, done
        if buf:
            raw = "".join(buf)
            t = normalize(raw) if not raw.isspace() else ""
            if t:
                if link_len:  # link text was measured on the raw text: scale to the normalised length
                    link_len = min(len(t), round(link_len * len(t) / max(1, len(raw.strip()))))
                k = bstack[-1]
                if k < 0:
                    owner, cue = root, None
                else:
                    while done <= k:
                        node = els[done]
                        cues[done] = _own_cue(node) or (cues[done - 1] if done else None)
                        done += 1
                    owner, cue = els[k], cues[k]
                tag = owner.tag if isinstance(owner.tag, str) else ""
                blocks.append(_HtmlBlock(t, owner, link_len, tag, cue))
            buf.clear()
        link_len = 0

    body = root.find(".//body")
    top = body if body is not None else root
    walker = etree.iterwalk(top, events=("start", "end"))
    skip_tags = _SKIP_TAGS
    block_tags = _BLOCK_TAGS
    for event, el in walker:
        tag = el.tag
        if not isinstance(tag, str):
            continue
        if event == "start":
            if tag in skip_tags or tag == "br":
                walker.skip_subtree()
                if tag == "br":
                    flush()
                continue
            if tag in block_tags:
                flush()
                bstack.append(len(els))
            els.append(el)
            cues.append(None)
            if tag == "a":
                in_link += 1
            text = el.text
            if text:
                buf.append(text)
                if in_link:
                    link_len += len(text.strip())
        else:
            if tag not in skip_tags and tag != "br":
                if tag == "a":
                    in_link -= 1
                if tag in block_tags:
                    flush()
                    bstack.pop()
                els.pop()
                cues.pop()
                if done > len(els):
                    done = len(els)
            if el is top:
                break
            tail = el.tail
            if tail:
                buf.append(tail)
                if in_link:
                    link_len += len(tail.strip())
    flush()
    return blocks


@cache
def _html_parser_lookup() -> None:
    """Give trafilatura's HTML parser lxml's C-level element class lookup. ``lxml.html``'s default lookup is a
    Python method called for every element object created (a million calls per 300 pages: ~10% of cleaning)
    only to pick form/input/label subclasses that neither trafilatura nor we use; every element stays an
    ``HtmlElement``."""
    from lxml import etree
    from lxml import html as lxml_html
    from trafilatura import utils

    utils.HTML_PARSER.set_element_class_lookup(
        etree.ElementDefaultClassLookup(
            element=lxml_html.HtmlElement,
            comment=lxml_html.HtmlComment,
            pi=lxml_html.HtmlProcessingInstruction,
            entity=lxml_html.HtmlEntity,
        )
    )


def _parse_html(raw: str):
    from trafilatura.utils import load_html

    _html_parser_lookup()
    return load_html(raw)
