"""Web archives: ``.warc`` / ``.warc.gz`` files (WARC 1.0 and 1.1, as written by crawlers and Common Crawl's
CC-NEWS), read with ``warcio``.

Every ``response`` record whose HTTP status is 2xx and whose payload is HTML or plain text is an input:
``documents.source_uri`` is the record's ``WARC-Target-URI``, ``fetched_at`` its ``WARC-Date``, and the payload is
decoded with the HTTP ``charset`` when it names a codec that decodes it, else as any other page. Every other record
(warcinfo, request, metadata, revisit, a redirect, an image, a PDF) is counted as *ignored*, not rejected.

A file is read in slices of records (:class:`~tasks.extract.records.Slice`, with the byte offset of the first
record: a ``.warc.gz`` is one gzip member per record, so a slice starts reading where it begins).
"""

from __future__ import annotations

import codecs
import hashlib
from datetime import UTC, datetime

from warcio.archiveiterator import ArchiveIterator

from newsetl.doc import Doc, Reject
from tasks.extract.decode import decode
from tasks.extract.errors import RejectedInput
from tasks.extract.records import Slice

WARC_SUFFIXES = {".warc", ".warc.gz"}
HTML_TYPES = {"text/html", "application/xhtml+xml"}
TEXT_TYPES = {"text/plain"}


def is_warc(name: str) -> bool:
    return name.lower().endswith((".warc", ".warc.gz"))


def plan(path: str, per_slice: int) -> list[Slice]:
    """Split a WARC file into slices of ``per_slice`` records (one pass over the headers)."""
    bounds: list[int] = []
    n = 0
    with open(path, "rb") as f:
        records = ArchiveIterator(f)
        for _record in records:
            if n % per_slice == 0:
                bounds.append(records.get_record_offset())
            n += 1
    return [Slice(i * per_slice, min((i + 1) * per_slice, n), offset) for i, offset in enumerate(bounds)]


def _content_type(value: str | None) -> tuple[str, str | None]:
    """``(media type, charset)`` of a Content-Type header."""
    if not value:
        return "", None
    mime, _, params = value.partition(";")
    charset = None
    for param in params.split(";"):
        key, _, val = param.strip().partition("=")
        if key.strip().lower() == "charset" and val.strip():
            charset = val.strip().strip("\"'")
    return mime.strip().lower(), charset


def decode_payload(data: bytes, charset: str | None) -> str:
    """The HTTP charset first (when it is a codec and decodes the bytes strictly), else :func:`decode`."""
    if charset:
        try:
            codec = codecs.lookup(charset).name
            text = data.decode(codec)
        except (LookupError, UnicodeDecodeError):
            pass
        else:
            if text.strip() and "\x00" not in text:
                return text.removeprefix("\ufeff")
    return decode(data)


def _date(value: str | None) -> datetime | None:
    if not value:
        return None
    try:
        out = datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError:
        return None
    return out.replace(tzinfo=UTC) if out.tzinfo is None else out.astimezone(UTC)


def read_slice(path: str, part: Slice, max_bytes: int) -> tuple[list[Doc], list[Reject], int]:
    """The documents, rejects and number of ignored records of one slice of a WARC file."""
    docs: list[Doc] = []
    rejects: list[Reject] = []
    ignored = 0
    expected = part.end - part.start
    n = 0
    with open(path, "rb") as f:
        f.seek(part.offset)
        for i, record in enumerate(ArchiveIterator(f)):
            if i >= expected:
                break
            n = i + 1
            uri = record.rec_headers.get_header("WARC-Target-URI") or f"{path}#{part.start + i + 1}"
            if record.rec_type != "response" or record.http_headers is None:
                ignored += 1
                continue
            status = record.http_headers.get_statuscode() or ""
            mime, charset = _content_type(record.http_headers.get_header("Content-Type"))
            if not status.startswith("2") or mime not in HTML_TYPES | TEXT_TYPES:
                ignored += 1
                continue
            data = record.content_stream().read(max_bytes + 1)
            if len(data) > max_bytes:
                rejects.append(Reject(uri, "too_large", f"payload of more than {max_bytes} bytes (NEWSETL_MAX_BYTES)"))
                continue
            try:
                text = decode_payload(data, charset)
            except RejectedInput as exc:
                rejects.append(Reject(uri, exc.reason, exc.detail))
                continue
            docs.append(
                Doc(
                    source_uri=uri,
                    raw_text=text,
                    media_type="html" if mime in HTML_TYPES else "text",
                    fetched_at=_date(record.rec_headers.get_header("WARC-Date")),
                    raw_hash=hashlib.sha256(data).hexdigest(),
                )
            )
    if n < expected:  # the file was cut (or changed) after it was listed: say so, do not lose records silently
        detail = f"records {part.start + n + 1}-{part.end} of the listing are missing (truncated or changed file)"
        rejects.append(Reject(f"{path}#{part.start + n + 1}", "truncated", detail))
    return docs, rejects, ignored
