"""Faults and hostile input: flaky or hanging HTTP sources, redirects, bombs, huge and deeply nested files.

Each case goes through the real extract (+ clean) code and must end either in a document or in a reject
with a clear reason — never in an exception that would fail the batch.
"""

from __future__ import annotations

import http.server
import threading
import time

import pytest

from newsetl.doc import Doc
from tasks import extract
from tasks.clean import clean
from tasks.process import clean_and_segment

ARTICLE = (
    "<html><head><title>Talks</title></head><body><article><p>"
    + "Defence ministers Hulusi Akar and Sergei Shoigu spoke by phone on Monday about Libya and Syria. " * 5
    + "</p></article></body></html>"
)


class _Handler(http.server.BaseHTTPRequestHandler):
    hits: dict[str, int] = {}

    def log_message(self, *args):  # noqa: ANN002
        pass

    def do_GET(self):  # noqa: N802
        n = self.hits[self.path] = self.hits.get(self.path, 0) + 1
        if self.path == "/flaky" and n < 3:
            self.send_error(503)
            return
        if self.path == "/hang":
            time.sleep(3)
        if self.path == "/redirect-private":
            self.send_response(302)
            self.send_header("Location", "http://10.0.0.1/secret")
            self.end_headers()
            return
        if self.path == "/redirect-file":
            self.send_response(302)
            self.send_header("Location", "file:///etc/passwd")
            self.end_headers()
            return
        if self.path == "/missing":
            self.send_error(404)
            return
        body = ARTICLE.encode()
        self.send_response(200)
        self.send_header("Content-Type", "text/html; charset=utf-8")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)


@pytest.fixture
def server(monkeypatch):
    httpd = http.server.ThreadingHTTPServer(("127.0.0.1", 0), _Handler)
    _Handler.hits = {}
    thread = threading.Thread(target=httpd.serve_forever, daemon=True)
    thread.start()
    port = httpd.server_address[1]
    real_check = extract._check_host

    def check(url: str) -> None:  # the test server itself is allowed; every other private address is not
        if f"127.0.0.1:{port}" not in url:
            real_check(url)

    monkeypatch.setattr(extract, "_check_host", check)
    monkeypatch.setattr(extract, "HTTP_TIMEOUT_S", 1.0)
    yield f"http://127.0.0.1:{port}"
    httpd.shutdown()


def _reasons(out: extract.Extracted) -> list[str]:
    return [r.reason for r in out.rejects]


def test_flaky_source_is_retried_and_loads(server):
    out = extract.extract_many([f"{server}/flaky"])
    assert _reasons(out) == [] and len(out.docs) == 1 and _Handler.hits["/flaky"] == 3


def test_hanging_source_times_out_into_a_reject(server):
    start = time.monotonic()
    out = extract.extract_many([f"{server}/hang", f"{server}/ok"])
    assert _reasons(out) == ["unreachable"] and len(out.docs) == 1
    assert time.monotonic() - start < 15


@pytest.mark.parametrize(
    "path, reason",
    [("/redirect-private", "forbidden_address"), ("/redirect-file", "bad_redirect"), ("/missing", "http_error")],
)
def test_bad_urls_are_rejected(server, path, reason):
    assert _reasons(extract.extract_many([f"{server}{path}"])) == [reason]


def test_loopback_url_is_refused_without_opt_in():
    assert _reasons(extract.extract_many(["http://localhost:1/x", "http://[::1]:1/y"])) == ["forbidden_address"] * 2


def test_huge_file_is_rejected_without_reading_it(tmp_path):
    big = tmp_path / "huge.txt"
    with open(big, "wb") as f:
        f.truncate(200 * 1024 * 1024)  # sparse: 200 MB on paper, nothing on disk
    out = extract.extract_many([str(big)])
    assert _reasons(out) == ["too_large"] and "bytes" in out.rejects[0].detail


def _cleaned(html: str) -> Doc:
    return clean(Doc(source_uri="x.html", raw_text=html, media_type="html"))


def test_entity_bomb_is_not_expanded():
    entities = "".join(f'<!ENTITY e{i} "&e{i - 1};&e{i - 1};&e{i - 1};&e{i - 1};">' for i in range(1, 12))
    bomb = f'<?xml version="1.0"?><!DOCTYPE html [<!ENTITY e0 "boom">{entities}]><html><body><p>&e11;</p>{ARTICLE}</body></html>'
    start = time.monotonic()
    doc = _cleaned(bomb)
    assert time.monotonic() - start < 10
    assert len(doc.text) < 100_000 and "boom" * 100 not in doc.text


def test_deeply_nested_html_does_not_crash():
    nested = "<div>" * 50_000 + "<p>Deep text about Libya and Syria talks between ministers.</p>" + "</div>" * 50_000
    processed = clean_and_segment(
        [Doc(source_uri="deep.html", raw_text=f"<html><body>{nested}</body></html>", media_type="html")]
    )
    assert len(processed.docs) + len(processed.rejects) == 1


def test_html_with_only_scripts_is_a_no_text_reject():
    html = (
        "<html><head><script>var x = 1;</script></head><body><script>alert(1)</script><style>p{}</style></body></html>"
    )
    processed = clean_and_segment([Doc(source_uri="s.html", raw_text=html, media_type="html")])
    assert processed.docs == [] and [r.reason for r in processed.rejects] == ["no_text"]


def test_a_stage_exception_rejects_one_document_not_the_batch(monkeypatch):
    import tasks.process as process

    def flaky_clean(doc: Doc) -> Doc:
        if "poison" in doc.raw_text:
            raise RuntimeError("boom")
        return clean(doc)

    monkeypatch.setattr(process, "clean", flaky_clean)
    docs = [
        Doc(source_uri=u, raw_text=t)
        for u, t in (("a", "poison pill"), ("b", "A real sentence about Libya talks today."))
    ]
    processed = process.clean_and_segment(docs)
    assert [d.source_uri for d in processed.docs] == ["b"]
    assert [(r.source_uri, r.reason) for r in processed.rejects] == [("a", "clean_error")]


def test_invalid_utf8_is_repaired_not_rejected(tmp_path):
    bad = tmp_path / "mixed.txt"
    text = "Le ministre turc de la Défense a rappelé à Shoigu la situation en Libye et en Syrie."
    bad.write_bytes(text.encode("utf-8").replace("é".encode(), b"\xe9", 1))  # one Latin-1 byte among UTF-8
    out = extract.extract_many([str(bad)])
    assert _reasons(out) == []
    doc = clean(out.docs[0])
    assert doc.text == text


def test_transient_load_failure_is_retried_and_the_run_succeeds(prefect_harness, tmp_path, monkeypatch):
    from flows.ingest import run_ingest
    from warehouse import db

    corpus = tmp_path / "in"
    corpus.mkdir()
    (corpus / "a.txt").write_text("Hulusi Akar ile Sergey Şoygu telefonda görüştü. Libya ve Suriye konuşuldu.\n")
    real_load, calls = db.load_batch, []

    def flaky_load(*args, **kwargs):  # noqa: ANN002, ANN003
        calls.append(1)
        if len(calls) == 1:
            raise db.WarehouseBusy("simulated: another process holds the DuckDB file")
        return real_load(*args, **kwargs)

    monkeypatch.setattr(db, "load_batch", flaky_load)
    summary = run_ingest([str(corpus)], str(tmp_path / "data"), workers=1)
    assert len(calls) == 2 and summary["counts"]["loaded"] == 1
    assert db.query(tmp_path / "data" / "newsetl.duckdb", "select status from runs")[1] == [("completed",)]


def test_permanent_step_failure_fails_the_run_with_a_clear_status(prefect_harness, tmp_path, monkeypatch):
    from flows.ingest import run_ingest
    from warehouse import db

    corpus = tmp_path / "in"
    corpus.mkdir()
    (corpus / "a.txt").write_text("Hulusi Akar ile Sergey Şoygu telefonda görüştü.\n")

    def broken_load(*args, **kwargs):  # noqa: ANN002, ANN003
        raise ValueError("simulated bug in the loader")

    monkeypatch.setattr(db, "load_batch", broken_load)
    with pytest.raises(ValueError, match="simulated bug"):
        run_ingest([str(corpus)], str(tmp_path / "data"), workers=1)
    assert db.query(tmp_path / "data" / "newsetl.duckdb", "select status from runs")[1] == [("failed",)]
