"""Feeds and sitemaps, fetched politely and incrementally from a real HTTP server on 127.0.0.1.

The server keeps a log of every request (path and conditional-GET headers), so the tests assert what was fetched:
robots.txt honoured, an unchanged feed costs one 304 and no article, an updated item re-fetches its article
(conditionally), redirects and hostile XML handled, slow and failing hosts become rejects with a reason."""

from __future__ import annotations

import gzip
import http.server
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass, field

import pytest

from tasks import extract
from tasks.extract import feeds
from tasks.extract import http as polite
from tasks.extract.errors import RejectedInput
from warehouse import db

BODY = {
    "a1": "Defence ministers Hulusi Akar and Sergei Shoigu spoke by phone on Monday about Libya and Syria. "
    "They agreed to meet again next week in Ankara to continue the talks on the ceasefire.",
    "a2": "Le ministre turc de la Défense a rappelé à Shoigu la situation en Syrie et en Libye. "
    "La réunion a eu lieu à Paris lundi dernier, selon des sources officielles du ministère.",
    "a3": "El ministro de Defensa turco habló con su homólogo ruso sobre la situación en Siria y Libia. "
    "Ambos acordaron reunirse de nuevo la próxima semana en Ankara para continuar las conversaciones.",
    "a4": "The central bank of Turkey raised its main interest rate again on Thursday, surprising markets. "
    "Analysts in Istanbul expect inflation to slow in the second half of the year, officials said.",
}


def page(key: str, title: str | None = None, canonical: str | None = None) -> bytes:
    head = (f"<title>{title}</title>" if title else "") + (
        f'<link rel="canonical" href="{canonical}">' if canonical else ""
    )
    return f"<html><head>{head}</head><body><article><p>{BODY[key]}</p></article></body></html>".encode()


def rss(items: list[tuple[str, str, str]]) -> bytes:
    xml = "".join(f"<item><title>{t}</title><link>{link}</link><pubDate>{d}</pubDate></item>" for link, t, d in items)
    return f'<?xml version="1.0"?><rss version="2.0"><channel><title>Site</title>{xml}</channel></rss>'.encode()


@dataclass
class Site:
    """What the test server serves (path -> status, headers, body) and every request it got."""

    pages: dict[str, tuple[int, dict, bytes]] = field(default_factory=dict)
    log: list[tuple[str, str | None]] = field(default_factory=list)  # (path, If-None-Match)
    base: str = ""

    def fetched(self, prefix: str = "/") -> list[str]:
        return [p for p, _ in self.log if p.startswith(prefix)]


def _handler(site: Site) -> type:
    class Handler(http.server.BaseHTTPRequestHandler):
        def log_message(self, *args):  # noqa: ANN002
            pass

        def do_GET(self):  # noqa: N802
            site.log.append((self.path, self.headers.get("If-None-Match")))
            status, headers, body = site.pages.get(self.path, (404, {}, b"not found"))
            if status == 0:  # slow
                time.sleep(3)
                status = 200
            etag = headers.get("ETag")
            if etag and self.headers.get("If-None-Match") == etag:
                self.send_response(304)
                self.send_header("ETag", etag)
                self.end_headers()
                return
            self.send_response(status)
            for k, v in headers.items():
                self.send_header(k, v)
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

    return Handler


@pytest.fixture
def site(monkeypatch, tmp_path) -> Iterator[Site]:
    s = Site()
    httpd = http.server.ThreadingHTTPServer(("127.0.0.1", 0), _handler(s))
    threading.Thread(target=httpd.serve_forever, daemon=True).start()
    s.base = f"http://127.0.0.1:{httpd.server_address[1]}"
    real_check = extract._check_host

    def check(url: str) -> None:  # the test server itself is allowed; every other private address is not
        if not url.startswith(s.base):
            real_check(url)

    monkeypatch.setattr(extract, "_check_host", check)
    monkeypatch.setattr(extract, "HTTP_TIMEOUT_S", 1.0)
    monkeypatch.setattr(extract, "_FETCHER", None)  # a fresh client and robots cache per test
    monkeypatch.setenv("NEWSETL_MIN_DELAY", "0")
    monkeypatch.setenv("NEWSETL_HOST_LOCKS", str(tmp_path / "hosts"))
    monkeypatch.setenv("NEWSETL_USER_AGENT", "newsetl-test (+mailto:ops@example.org)")
    yield s
    httpd.shutdown()


HTML = {"Content-Type": "text/html; charset=utf-8"}
XML = {"Content-Type": "application/rss+xml"}


def test_canonical_urls():
    c = polite.canonical_url
    assert (
        c("HTTPS://News.Example.ORG:443/a/b?utm_source=rss&id=7&fbclid=x#comments")
        == "https://news.example.org/a/b?id=7"
    )
    assert c("http://example.org:80") == "http://example.org/"
    assert c("http://example.org:8080/x?utm_campaign=a") == "http://example.org:8080/x"


@pytest.mark.parametrize(
    "doc, kind, urls",
    [
        (
            b'<feed xmlns="http://www.w3.org/2005/Atom"><entry><title>A</title><link href="https://e.org/1"/>'
            b"<published>2024-03-01T10:00:00Z</published><updated>2024-03-02T10:00:00Z</updated></entry></feed>",
            "feed",
            ["https://e.org/1"],
        ),
        (
            b'<rdf:RDF xmlns:rdf="http://www.w3.org/1999/02/22-rdf-syntax-ns#" xmlns="http://purl.org/rss/1.0/" '
            b'xmlns:dc="http://purl.org/dc/elements/1.1/"><item rdf:about="https://e.org/2"><title>B</title>'
            b"<link>https://e.org/2</link><dc:date>2024-03-01</dc:date></item></rdf:RDF>",
            "feed",
            ["https://e.org/2"],
        ),
        (
            gzip.compress(
                b'<urlset xmlns="http://www.sitemaps.org/schemas/sitemap/0.9" '
                b'xmlns:news="http://www.google.com/schemas/sitemap-news/0.9"><url><loc>https://e.org/3</loc>'
                b"<lastmod>2024-03-05</lastmod><news:news><news:title>C</news:title>"
                b"<news:publication_date>2024-03-04T08:00:00+01:00</news:publication_date></news:news></url></urlset>"
            ),
            "sitemap",
            ["https://e.org/3"],
        ),
    ],
)
def test_feed_and_sitemap_formats(doc, kind, urls):
    parsed = feeds.parse(doc, None, 1_000_000)
    assert parsed.kind == kind and [e.url for e in parsed.entries] == urls
    assert parsed.entries[0].title in ("A", "B", "C") and parsed.entries[0].published is not None


@pytest.mark.parametrize(
    "doc, reason",
    [
        (
            b'<?xml version="1.0"?><!DOCTYPE r [<!ENTITY a "aaaaaaaaaa"><!ENTITY b "&a;&a;&a;&a;&a;&a;&a;&a;">'
            b'<!ENTITY c "&b;&b;&b;&b;&b;&b;&b;&b;">]><rss><channel><item><title>&c;</title></item></channel></rss>',
            "xml_entities",
        ),
        (
            b'<?xml version="1.0"?><!DOCTYPE r [<!ENTITY x SYSTEM "file:///etc/passwd">]>'
            b"<rss><channel><item><title>&x;</title></item></channel></rss>",
            "xml_entities",
        ),
        (gzip.compress(b"<urlset>" + b" " * 3_000_000 + b"</urlset>"), "too_large"),
        (b"<rss><channel><item>", "bad_feed"),
        (b"<html><body>hi</body></html>", "not_a_feed"),
    ],
)
def test_hostile_or_broken_xml_is_rejected_with_a_reason(doc, reason):
    with pytest.raises(RejectedInput) as exc:
        feeds.parse(doc, None, 1_000_000)
    assert exc.value.reason == reason


def test_robots_redirects_and_failing_hosts(site):
    site.pages["/robots.txt"] = (200, {}, b"User-agent: *\nDisallow: /private/\n")
    site.pages["/ok"] = (200, HTML, page("a1"))
    site.pages["/private/x"] = (200, HTML, page("a2"))
    site.pages["/moved"] = (301, {"Location": "/ok"}, b"")
    site.pages["/to-private"] = (302, {"Location": "http://10.0.0.1/secret"}, b"")
    site.pages["/slow"] = (0, HTML, page("a3"))
    site.pages["/down"] = (503, {}, b"busy")
    urls = [f"{site.base}{p}" for p in ("/ok", "/private/x", "/moved", "/to-private", "/slow", "/down")]
    out = extract.extract_many(urls)
    assert [d.source_uri for d in out.docs] == [f"{site.base}/ok", f"{site.base}/moved"]
    assert {r.source_uri.removeprefix(site.base): r.reason for r in out.rejects} == {
        "/private/x": "robots_disallowed",
        "/to-private": "forbidden_address",
        "/slow": "unreachable",
        "/down": "unreachable",
    }
    assert site.fetched("/robots.txt") == ["/robots.txt"]  # once per host
    assert "/private/x" not in site.fetched()


def test_robots_txt_that_fails_disallows_for_now(site):
    site.pages["/robots.txt"] = (500, {}, b"oops")
    site.pages["/ok"] = (200, HTML, page("a1"))
    out = extract.extract_many([f"{site.base}/ok"])
    assert [r.reason for r in out.rejects] == ["robots_unavailable"] and "/ok" not in site.fetched()


def test_a_feed_run_then_an_unchanged_rerun_fetches_no_article(prefect_harness, site, tmp_path):
    from flows.ingest import ingest

    b = site.base
    site.pages["/robots.txt"] = (200, {}, b"User-agent: *\nDisallow: /private/\n")
    site.pages["/news/1"] = (200, HTML | {"ETag": '"p1"'}, page("a1", "Page title", canonical="/news/1"))
    site.pages["/news/2"] = (200, HTML | {"ETag": '"p2"'}, page("a2"))  # no <title>: the feed item's is used
    site.pages["/old/3"] = (301, {"Location": "/news/3"}, b"")
    site.pages["/news/3"] = (200, HTML, page("a3"))
    site.pages["/private/4"] = (200, HTML, page("a4"))
    items = [
        ("/news/1?utm_source=rss#top", "Feed title 1", "Mon, 04 Mar 2024 10:00:00 GMT"),
        ("/news/2", "Réunion à Paris", "Tue, 05 Mar 2024 11:00:00 GMT"),
        ("/old/3", "Item 3", "Wed, 06 Mar 2024 12:00:00 GMT"),
        ("/private/4", "Item 4", "Thu, 07 Mar 2024 12:00:00 GMT"),
        ("ftp://elsewhere/5", "Item 5", "Thu, 07 Mar 2024 12:00:00 GMT"),
    ]
    site.pages["/feed.xml"] = (200, XML | {"ETag": '"f1"'}, rss(items))
    data = tmp_path / "data"
    feed = f"{b}/feed.xml"

    first = ingest([feed], str(data), batch_size=10)
    assert first["counts"]["loaded"] == 3
    assert first["by_source"][feed] == {"loaded": 3, "skipped": 0, "rejected": 2, "ignored": 0}
    path = data / "newsetl.duckdb"
    docs = db.query(path, "select source_uri, title, published_at from documents order by 1")[1]
    assert [(u.removeprefix(b), t) for u, t, _ in docs] == [
        ("/news/1", "Page title"),  # canonical URL: no utm_*, no fragment; the page's own title wins
        ("/news/2", "Réunion à Paris"),
        ("/old/3", "Item 3"),
    ]
    assert docs[1][2].isoformat().startswith("2024-03-05T11:00:00")  # the item's date: the page has none
    reasons = dict(db.query(path, "select source_uri, reason from rejects")[1])
    assert reasons == {f"{b}/private/4": "robots_disallowed", f"{feed}#ftp://elsewhere/5": "bad_feed_item"}
    state = dict(db.query(path, "select url, etag from fetch_state where etag is not null")[1])
    assert state == {feed: '"f1"', f"{b}/news/1": '"p1"', f"{b}/news/2": '"p2"'}
    assert db.query(path, "select canonical_url from fetch_state where url = ?", [f"{b}/news/1"])[1] == [
        (f"{b}/news/1",)
    ]

    site.log.clear()
    second = ingest([feed], str(data), batch_size=10)
    assert site.log == [("/feed.xml", '"f1"')]  # one 304, no article (robots.txt is kept for NEWSETL_ROBOTS_TTL)
    assert second["counts"]["loaded"] == 0 and second["by_source"][feed]["skipped"] == 3

    # the feed changes: item 2 says it was updated, and a new item appears
    items[1] = ("/news/2", "Réunion à Paris", "Tue, 05 Mar 2099 11:00:00 GMT")
    site.pages["/feed.xml"] = (200, XML | {"ETag": '"f2"'}, rss([*items, ("/news/9", "New", "Fri, 08 Mar 2024")]))
    site.pages["/news/9"] = (200, HTML, page("a4"))
    site.log.clear()
    third = ingest([feed], str(data), batch_size=10)
    fetched = {p: etag for p, etag in site.log}
    assert fetched.get("/news/2") == '"p2"'  # re-fetched, conditionally: a 304, the article is unchanged
    assert "/news/9" in fetched and "/news/1" not in fetched and "/old/3" not in fetched
    assert third["counts"]["loaded"] == 1


def test_sitemap_index_and_gzipped_news_sitemap(prefect_harness, site, tmp_path):
    from flows.ingest import ingest

    b = site.base
    site.pages["/robots.txt"] = (404, {}, b"")
    site.pages["/sitemap.xml"] = (
        200,
        {"Content-Type": "application/xml"},
        f'<sitemapindex xmlns="http://www.sitemaps.org/schemas/sitemap/0.9"><sitemap><loc>{b}/news-sitemap.xml.gz'
        "</loc><lastmod>2024-03-05</lastmod></sitemap></sitemapindex>".encode(),
    )
    site.pages["/news-sitemap.xml.gz"] = (
        200,
        {"Content-Type": "application/gzip"},
        gzip.compress(
            f'<urlset xmlns="http://www.sitemaps.org/schemas/sitemap/0.9" '
            f'xmlns:news="http://www.google.com/schemas/sitemap-news/0.9"><url><loc>{b}/a/1</loc>'
            "<news:news><news:title>Sitemap title</news:title>"
            "<news:publication_date>2024-03-04T08:00:00Z</news:publication_date></news:news></url></urlset>".encode()
        ),
    )
    site.pages["/a/1"] = (200, HTML, page("a3"))
    data = tmp_path / "data"
    summary = ingest([f"{b}/sitemap.xml"], str(data), batch_size=10)
    assert summary["counts"]["loaded"] == 1
    assert db.query(data / "newsetl.duckdb", "select source_uri, title from documents")[1] == [
        (f"{b}/a/1", "Sitemap title")
    ]


def test_a_feed_file_expands_too(tmp_path, site):
    site.pages["/robots.txt"] = (404, {}, b"")
    path = tmp_path / "feed.rss"
    path.write_bytes(rss([(f"{site.base}/x", "X", "Mon, 04 Mar 2024 10:00:00 GMT"), ("/relative", "R", "")]))
    listing = extract.list_inputs([str(path)])
    assert listing.items == [f"{site.base}/x"]
    assert [r.reason for r in listing.rejects] == ["bad_feed_item"]  # a relative link in a file has no base
    assert listing.hints[f"{site.base}/x"]["defaults"]["title"] == "X"


def test_validators_are_sent_only_for_pages_this_pipeline_version_loaded():
    """A 304 skips a page; so only a page loaded by this pipeline version may get one (a new version refetches)."""
    from datetime import UTC, datetime

    state = extract.SourceState(
        fetched={"https://e.org/a": {"etag": '"x"'}, "https://e.org/b": {"etag": '"y"'}},
        loaded={"https://e.org/a": datetime.now(UTC)},
    )
    listing = extract.list_inputs(["https://E.org:443/a", "https://e.org/b"], state=state)
    assert listing.items == ["https://E.org:443/a", "https://e.org/b"]
    assert listing.hints == {"https://E.org:443/a": {"etag": '"x"', "last_modified": None}}


def test_a_compressed_bomb_stops_at_the_size_limit(site, monkeypatch):
    monkeypatch.setattr(extract, "MAX_BYTES", 1_000_000)
    site.pages["/robots.txt"] = (404, {}, b"")
    site.pages["/bomb"] = (200, HTML | {"Content-Encoding": "gzip"}, gzip.compress(b"<p>" + b"a" * 50_000_000))
    out = extract.extract_many([f"{site.base}/bomb"])
    assert [r.reason for r in out.rejects] == ["too_large"]


def test_urls_a_feed_yields_get_the_same_checks(site, tmp_path):
    site.pages["/robots.txt"] = (404, {}, b"")
    path = tmp_path / "feed.atom"
    path.write_bytes(
        b'<feed xmlns="http://www.w3.org/2005/Atom"><entry><link href="http://10.0.0.1/admin"/></entry>'
        b'<entry><link href="http://169.254.169.254/latest/meta-data/"/></entry></feed>'
    )
    listing = extract.list_inputs([str(path)])
    out = extract.extract_many(listing.items, hints=listing.hints)
    assert [r.reason for r in out.rejects] == ["forbidden_address", "forbidden_address"] and out.docs == []


@pytest.mark.parametrize("per_host", [1, 2])
def test_the_host_gate_bounds_concurrency_per_host(tmp_path, monkeypatch, per_host):
    monkeypatch.setenv("NEWSETL_HOST_LOCKS", str(tmp_path))
    monkeypatch.setenv("NEWSETL_PER_HOST", str(per_host))
    holders, peak, lock = [0], [0], threading.Lock()

    def request(url: str) -> None:
        with polite.host_gate(url, 0.0):
            with lock:
                holders[0] += 1
                peak[0] = max(peak[0], holders[0])
            time.sleep(0.05)
            with lock:
                holders[0] -= 1

    threads = [threading.Thread(target=request, args=("http://one.example/x",)) for _ in range(6)]
    threads += [threading.Thread(target=request, args=("http://two.example/y",))]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert peak[0] <= per_host + 1  # the other host's request may overlap
    one_only = [threading.Thread(target=request, args=("http://one.example/z",)) for _ in range(4)]
    peak[0] = 0
    for t in one_only:
        t.start()
    for t in one_only:
        t.join()
    assert peak[0] <= per_host


def test_the_scheduled_ingest_reads_the_feeds_of_the_config(prefect_harness, site, tmp_path):
    """What the hourly deployment runs (``flows/serve.py``): the [[sources]] of newsetl.toml, feeds included."""
    from flows.serve import scheduled_ingest

    site.pages["/robots.txt"] = (404, {}, b"")
    site.pages["/news/1"] = (200, HTML, page("a1"))
    site.pages["/feed.xml"] = (200, XML | {"ETag": '"f1"'}, rss([("/news/1", "One", "Mon, 04 Mar 2024 10:00:00 GMT")]))
    conf = tmp_path / "newsetl.toml"
    conf.write_text(
        f'data_dir = "data"\nworkers = 1\n[[sources]]\nname = "site"\nuri = ["{site.base}/feed.xml"]\n'
        '[fetch]\nuser_agent = "newsetl-test (+mailto:ops@example.org)"\nmin_delay_s = 0\n'
    )
    summary = scheduled_ingest(str(conf))
    assert summary["counts"]["loaded"] == 1 and site.fetched("/news/") == ["/news/1"]
    assert db.query(tmp_path / "data" / "newsetl.duckdb", "select title from documents")[1] == [("One",)]
