"""Page metadata: title, publication date, site and author from meta tags, JSON-LD and ``<time>`` elements, and
from a byline/dateline near the article start or the URL."""

from __future__ import annotations

import json
import re

from newsetl.doc import Doc
from tasks.clean.cues import _BYLINE_RE
from tasks.clean.dates import _mk_date, find_date, parse_iso_date
from tasks.clean.normalize import normalize

_JSONLD_TYPES_ARTICLE = re.compile(r"Article|Posting|Report|NewsArticle|BlogPosting|WebPage", re.I)


def _jsonld_objects(tree) -> list[dict]:
    out: list[dict] = []
    for s in tree.iterfind(".//script[@type='application/ld+json']"):
        txt = s.text or ""
        if not txt.strip():
            continue
        try:
            data = json.loads(txt.strip().rstrip(";"))
        except (ValueError, RecursionError):
            continue
        stack = [data]
        while stack and len(out) < 50:
            d = stack.pop()
            if isinstance(d, list):
                stack.extend(d)
            elif isinstance(d, dict):
                out.append(d)
                if "@graph" in d:
                    stack.append(d["@graph"])
                for k in ("mainEntity", "mainEntityOfPage"):
                    if isinstance(d.get(k), (dict, list)):
                        stack.append(d[k])
    return out


def _name_of(v) -> str | None:
    if isinstance(v, str):
        return v.strip() or None
    if isinstance(v, dict):
        return _name_of(v.get("name"))
    if isinstance(v, list):
        names = [n for n in (_name_of(x) for x in v) if n]
        return ", ".join(dict.fromkeys(names)) if names else None
    return None


def html_metadata(tree) -> dict:
    """title, published_at, site, author from meta tags, JSON-LD, <time>, <title>/<h1>."""
    meta: dict[str, str] = {}
    for m in tree.iterfind(".//meta"):
        key = (m.get("property") or m.get("name") or m.get("itemprop") or "").strip().lower()
        val = m.get("content")
        if key and val and key not in meta:
            meta[key] = normalize(val)
    ld = _jsonld_objects(tree)
    ld_art = [d for d in ld if _JSONLD_TYPES_ARTICLE.search(str(d.get("@type", "")))] or ld

    title = None
    for d in ld_art:
        if isinstance(d.get("headline"), str) and d["headline"].strip():
            title = normalize(d["headline"])
            break
    title = title or meta.get("og:title") or meta.get("twitter:title") or meta.get("dc.title")
    if not title:
        h1 = tree.find(".//h1")
        h1_text = normalize(h1.text_content()) if h1 is not None else ""
        title = h1_text if h1_text and len(h1_text) < 300 else None
    if not title:
        t_el = tree.find(".//title")
        t_text = normalize(t_el.text_content()) if t_el is not None else ""
        if t_text:
            title = re.split(r"\s+[|\-–—:»·]\s+", t_text)[0].strip() or t_text

    published = None
    for key in (
        "article:published_time",
        "og:article:published_time",
        "datepublished",
        "publishdate",
        "pubdate",
        "date",
        "dc.date",
        "dc.date.issued",
        "dcterms.created",
        "sailthru.date",
        "parsely-pub-date",
        "article.published",
        "published_time",
        "publish-date",
        "release_date",
        "og:published_time",
    ):
        if key in meta:
            published = parse_iso_date(meta[key])
            if published:
                break
    if published is None:
        for d in ld_art:
            for k in ("datePublished", "dateCreated", "uploadDate"):
                if isinstance(d.get(k), str):
                    published = parse_iso_date(d[k])
                    if published:
                        break
            if published:
                break
    if published is None:
        for t in tree.iterfind(".//time"):
            v = t.get("datetime") or t.get("content") or ""
            published = parse_iso_date(v) or parse_iso_date(normalize(t.text_content()))
            if published:
                break
    if published is None:
        for key in ("article:modified_time", "og:updated_time", "datemodified", "last-modified"):
            if key in meta:
                published = parse_iso_date(meta[key])
                if published:
                    break

    site = meta.get("og:site_name") or meta.get("application-name") or meta.get("twitter:site")
    if not site:
        for d in ld_art:
            site = _name_of(d.get("publisher"))
            if site:
                break
    if site and site.startswith("@"):
        site = site[1:]

    author = None
    for d in ld_art:
        author = _name_of(d.get("author")) or _name_of(d.get("creator"))
        if author:
            break
    if not author:
        author = meta.get("author") or meta.get("article:author") or meta.get("dc.creator")
        author = author or meta.get("byl") or meta.get("sailthru.author") or meta.get("parsely-author")
        if author and author.startswith("http"):
            author = None
    if not author:
        a = tree.find(".//*[@rel='author']")
        if a is None:
            a = tree.find(".//*[@itemprop='author']")
        if a is not None:
            author = normalize(a.text_content()) or None
            if author and len(author) > 80:
                author = None
    if author:
        author = re.sub(r"^(?:by|von|par|por)\s+", "", author, flags=re.I).strip() or None
    return {"title": title or None, "published_at": published, "site": site or None, "author": author}


_URL_DATE_RE = re.compile(r"/((?:19|20)\d\d)[/-]([01]?\d)[/-]([0-3]?\d)(?:/|[-_.]|$)")


def _meta_from_blocks(doc: Doc, out: list[tuple[str, str]]) -> None:
    """Date/author from a byline or dateline near the start of the article, else a date in the URL."""
    first = next((i for i, (k, _) in enumerate(out) if k == "body"), None)
    if first is not None:
        lo = max(0, first - 8)
        for i in range(lo, min(len(out), first + 3)):
            kind, t = out[i]
            if kind in ("related", "comment", "ad", "cookie") or len(t) > 120:
                continue
            if doc.author is None:
                m = _BYLINE_RE.match(t)
                if m:
                    doc.author = m.group("name").strip() or None
            if doc.published_at is None and (kind != "body" or i == first) and len(t) <= 80:
                dt = find_date(t)
                if dt is not None and 1990 <= dt.year <= 2100:
                    doc.published_at = dt
    if doc.published_at is None and doc.source_uri:
        m = _URL_DATE_RE.search(doc.source_uri)
        if m:
            doc.published_at = _mk_date(int(m.group(1)), int(m.group(2)), int(m.group(3)))
