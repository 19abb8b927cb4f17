"""Feeds and sitemaps: RSS 2.0, Atom, RDF (RSS 1.0), sitemaps, sitemap indexes and news sitemaps.

:func:`parse` recognises the document by its root element (whatever the file is called) and returns its entries:
article URLs with the title and dates the feed gives (used where the page itself has none), or, for a sitemap
index, the sitemaps it lists. Parsing goes through ``defusedxml``: a document that declares entities (the
"billion laughs") or refers to external ones (XXE) is rejected with a reason, never expanded or fetched; a
gzipped document is decompressed with the size limit (a gzip bomb stops there).
"""

from __future__ import annotations

import email.utils
import gzip
import io
import urllib.parse
from dataclasses import dataclass
from datetime import UTC, datetime
from xml.etree.ElementTree import Element, ParseError

from defusedxml import DefusedXmlException
from defusedxml.ElementTree import fromstring

from tasks.extract.errors import RejectedInput

FEED_SUFFIXES = {".rss", ".atom", ".rdf", ".xml", ".rss.gz", ".atom.gz", ".xml.gz"}
KINDS = {"rss": "feed", "feed": "feed", "RDF": "feed", "urlset": "sitemap", "sitemapindex": "sitemap-index"}


@dataclass(frozen=True, slots=True)
class Entry:
    url: str
    title: str | None = None
    published: datetime | None = None  # pubDate, published, dc:date, news:publication_date
    updated: datetime | None = None  # updated, lastmod: a newer one than the last load re-fetches the article

    def as_json(self) -> dict:
        return {
            "url": self.url,
            "title": self.title,
            "published": self.published.isoformat() if self.published else None,
            "updated": self.updated.isoformat() if self.updated else None,
        }

    @classmethod
    def from_json(cls, d: dict) -> Entry:
        def dt(v: str | None) -> datetime | None:
            return datetime.fromisoformat(v) if v else None

        return cls(d["url"], d.get("title"), dt(d.get("published")), dt(d.get("updated")))


@dataclass(slots=True)
class Parsed:
    kind: str  # feed | sitemap | sitemap-index
    entries: list[Entry]
    invalid: list[str]  # entry links that are not http(s) URLs


def looks_like_feed(name: str) -> bool:
    """A name that may be a feed or sitemap (then its content decides): by extension or by a path such as
    ``/feed``, ``/rss``, ``/atom`` or ``/sitemap...``."""
    path = urllib.parse.urlsplit(name).path.lower() if "://" in name else name.lower()
    if path.endswith(tuple(FEED_SUFFIXES)):
        return True
    last = path.rstrip("/").rsplit("/", 1)[-1]
    return last in ("feed", "rss", "atom", "rss2", "feeds") or last.startswith("sitemap")


def sniff(data: bytes) -> bool:
    """Whether bytes look like XML whose root is a feed or sitemap (cheap: the first few KB)."""
    head = data[:4096].lstrip(b"\xef\xbb\xbf \t\r\n").lower()
    if head[:2] == b"\x1f\x8b":
        return True
    return head.startswith(b"<?xml") or head.startswith((b"<rss", b"<feed", b"<urlset", b"<sitemapindex", b"<rdf"))


def _local(tag: str) -> str:
    return tag.rsplit("}", 1)[-1]


def _date(text: str | None) -> datetime | None:
    if not text or not text.strip():
        return None
    s = text.strip()
    try:
        out = datetime.fromisoformat(s[:-1] + "+00:00" if s.endswith(("Z", "z")) else s)
    except ValueError:
        try:
            out = email.utils.parsedate_to_datetime(s)
        except (TypeError, ValueError, IndexError):
            return None
    return out.replace(tzinfo=UTC) if out.tzinfo is None else out.astimezone(UTC)


def _children(el: Element, name: str) -> list[Element]:
    return [c for c in el if _local(c.tag) == name]


def _text(el: Element, *names: str) -> str | None:
    for name in names:
        for c in _children(el, name):
            if c.text and c.text.strip():
                return c.text.strip()
    return None


def gunzip(data: bytes, max_bytes: int, what: str) -> bytes:
    if data[:2] != b"\x1f\x8b":
        return data
    try:
        with gzip.GzipFile(fileobj=io.BytesIO(data)) as f:
            out = f.read(max_bytes + 1)
    except (OSError, EOFError) as exc:
        raise RejectedInput("bad_feed", f"{what}: corrupt gzip: {exc}") from exc
    if len(out) > max_bytes:
        raise RejectedInput("too_large", f"{what} decompresses to more than {max_bytes} bytes")
    return out


def parse(data: bytes, base_url: str | None, max_bytes: int, what: str = "feed") -> Parsed:
    """The entries of a feed or sitemap; RejectedInput (``xml_entities``, ``bad_feed``, ``too_large``,
    ``not_a_feed``) otherwise."""
    data = gunzip(data, max_bytes, what)
    try:
        root = fromstring(data, forbid_dtd=False, forbid_entities=True, forbid_external=True)
    except DefusedXmlException as exc:
        raise RejectedInput("xml_entities", f"{what}: {type(exc).__name__}: entities are not expanded ({exc})") from exc
    except (ParseError, ValueError) as exc:
        raise RejectedInput("bad_feed", f"{what}: not well-formed XML: {exc}") from exc
    kind = KINDS.get(_local(root.tag))
    if kind is None:
        raise RejectedInput("not_a_feed", f"{what}: root element <{_local(root.tag)}> is no feed or sitemap")
    entries: list[Entry] = []
    invalid: list[str] = []

    def add(link: str | None, title: str | None, published: str | None, updated: str | None) -> None:
        if not link:
            return
        url = urllib.parse.urljoin(base_url, link.strip()) if base_url else link.strip()
        if urllib.parse.urlsplit(url).scheme.lower() not in ("http", "https"):
            invalid.append(link.strip())
            return
        pub, upd = _date(published), _date(updated)
        entries.append(Entry(url, title, pub, upd or pub))

    name = _local(root.tag)
    if name == "rss":
        for channel in _children(root, "channel"):
            for item in _children(channel, "item"):
                link = _text(item, "link")
                guid = next(iter(_children(item, "guid")), None)
                if not link and guid is not None and guid.get("isPermaLink", "true") != "false":
                    link = guid.text
                add(link, _text(item, "title"), _text(item, "pubDate", "date"), _text(item, "updated"))
    elif name == "RDF":
        for item in _children(root, "item"):
            link = _text(item, "link") or item.get("{http://www.w3.org/1999/02/22-rdf-syntax-ns#}about")
            add(link, _text(item, "title"), _text(item, "date"), _text(item, "modified"))
    elif name == "feed":
        for entry in _children(root, "entry"):
            links = _children(entry, "link")
            href = next((lk.get("href") for lk in links if lk.get("rel", "alternate") == "alternate"), None)
            add(href, _text(entry, "title"), _text(entry, "published", "issued"), _text(entry, "updated", "modified"))
    else:  # urlset | sitemapindex
        for url in _children(root, "url" if name == "urlset" else "sitemap"):
            news = next(iter(_children(url, "news")), None)
            title = _text(news, "title") if news is not None else None
            published = _text(news, "publication_date") if news is not None else None
            add(_text(url, "loc"), title, published, _text(url, "lastmod"))
    return Parsed(kind, entries, invalid)
