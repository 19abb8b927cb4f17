"""WARC files as sources, written here with warcio itself: every 2xx HTML/text ``response`` record is an input named
by its target URI, its HTTP charset honoured; every other record is counted as ignored, never rejected."""

from __future__ import annotations

from io import BytesIO
from pathlib import Path

import pytest
from warcio.statusandheaders import StatusAndHeaders
from warcio.warcwriter import WARCWriter

from tasks.extract import extract_many, list_inputs
from warehouse import db

EN = (
    "Defence ministers Hulusi Akar and Sergei Shoigu spoke by phone on Monday about Libya and Syria. "
    "They agreed to meet again next week in Ankara to continue the talks on the ceasefire."
)
FR = (
    "Le ministre turc de la Défense a rappelé à Shoigu la situation en Syrie et en Libye. "
    "La réunion a eu lieu à Paris lundi dernier, selon des sources officielles du ministère."
)
RU = (
    "Министр обороны России Сергей Шойгу провёл телефонные переговоры с Хулуси Акаром. "
    "Стороны обсудили ситуацию в Сирии и Ливии и договорились встретиться в Анкаре."
)


def _page(text: str) -> str:
    return f"<html><head><title>News</title></head><body><article><p>{text}</p></article></body></html>"


def write_warc(path: Path, version: str = "1.1") -> None:
    """A small crawl: warcinfo, request/response pairs, a page in windows-1251, an image, a PDF, a 404, a
    redirect, a revisit and a metadata record."""
    with open(path, "wb") as f:
        writer = WARCWriter(f, gzip=path.suffix == ".gz", warc_version=f"WARC/{version}")
        writer.write_record(writer.create_warcinfo_record(path.name, {"software": "tests"}))

        def response(uri: str, body: bytes, content_type: str, status: str = "200 OK") -> None:
            request = writer.create_warc_record(
                uri,
                "request",
                payload=BytesIO(b""),
                http_headers=StatusAndHeaders(f"GET {uri} HTTP/1.1", [("Host", "example.org")], is_http_request=True),
            )
            writer.write_record(request)
            headers = StatusAndHeaders(status, [("Content-Type", content_type)], protocol="HTTP/1.1")
            writer.write_record(writer.create_warc_record(uri, "response", payload=BytesIO(body), http_headers=headers))

        response("https://example.org/en", _page(EN).encode(), "text/html; charset=utf-8")
        response("https://example.org/ru", _page(RU).encode("cp1251"), "text/html; charset=windows-1251")
        response("https://example.org/plain.txt", FR.encode(), "text/plain")
        response("https://example.org/logo.jpg", b"\xff\xd8\xff\xe0" + bytes(200), "image/jpeg")
        response("https://example.org/report.pdf", b"%PDF-1.4\n" + bytes(200), "application/pdf")
        response("https://example.org/gone", b"<html><body>Not found</body></html>", "text/html", "404 Not Found")
        writer.write_record(
            writer.create_warc_record("https://example.org/en", "metadata", payload=BytesIO(b"outlinks: none\n"))
        )
        writer.write_record(
            writer.create_revisit_record(
                "https://example.org/en", "sha1:AAAA", "https://example.org/en", "2024-03-01T10:00:00Z"
            )
        )


@pytest.mark.parametrize("name, version", [("crawl.warc.gz", "1.1"), ("crawl.warc", "1.0")])
def test_responses_are_inputs_and_the_rest_is_ignored(tmp_path, name, version):
    path = tmp_path / name
    write_warc(path, version)
    listing = list_inputs([str(path)], per_slice=4)  # 15 records in slices of 4, each read from its offset
    assert len(listing.items) == 4
    out = extract_many(listing.items)
    assert [d.source_uri for d in out.docs] == [
        "https://example.org/en",
        "https://example.org/ru",
        "https://example.org/plain.txt",
    ]
    assert out.rejects == [] and out.ignored == 12
    assert RU in out.docs[1].raw_text  # decoded as the HTTP header says, not guessed
    assert [d.media_type for d in out.docs] == ["html", "html", "text"]
    assert out.docs[0].fetched_at is not None


def test_a_truncated_warc_is_a_reject_of_its_slice(tmp_path):
    path = tmp_path / "cut.warc.gz"
    write_warc(path)
    listing = list_inputs([str(path)], per_slice=100)
    path.write_bytes(path.read_bytes()[: path.stat().st_size // 2])
    out = extract_many(listing.items)
    assert [r.reason for r in out.rejects] in (["unreadable"], ["truncated"])


def test_warc_through_the_flow(prefect_harness, tmp_path, monkeypatch):
    """Loaded once; then, unchanged (same file stamp, same pipeline version), not even read: all skipped."""
    import tasks.extract as extract_mod
    from flows.ingest import ingest

    monkeypatch.setattr(extract_mod, "SETTLE_NS", 0)  # the file just written has its stamp at once

    path = tmp_path / "crawl.warc.gz"
    write_warc(path)
    data = tmp_path / "data"
    summary = ingest([str(path)], str(data), batch_size=5)
    assert summary["counts"] == {"seen": 15, "loaded": 3, "skipped": 0, "rejected": 0, "ignored": 12}
    rows = db.query(data / "newsetl.duckdb", "select source_uri, lang from documents order by 1")[1]
    assert rows == [
        ("https://example.org/en", "en"),
        ("https://example.org/plain.txt", "fr"),
        ("https://example.org/ru", "ru"),
    ]
    runs = db.query(data / "newsetl.duckdb", "select n_seen, n_ignored from runs")[1]
    assert runs == [(15, 12)]

    def no_reads(*args):  # noqa: ANN002
        raise AssertionError("an unchanged WARC was read again")

    with monkeypatch.context() as m:
        m.setattr(extract_mod.warc, "plan", no_reads)
        m.setattr(extract_mod.warc, "read_slice", no_reads)
        again = ingest([str(path)], str(data), batch_size=5)
    assert again["counts"] == {"seen": 15, "loaded": 0, "skipped": 15, "rejected": 0, "ignored": 0}

    write_warc(path, "1.0")  # rewritten: a new stamp, read again; its articles are known, so skipped
    third = ingest([str(path)], str(data), batch_size=5)
    assert third["counts"] == {"seen": 15, "loaded": 0, "skipped": 3, "rejected": 0, "ignored": 12}
