"""Record files: one input per record of a ``.jsonl``/``.ndjson`` (optionally ``.gz``), ``.csv`` or ``.parquet``
file, as exported by news APIs and data sets.

A record has ``title``, ``text`` or ``html``, ``published_at`` (ISO 8601) and optionally ``id``, ``url``, ``lang``,
``site``, ``author``; other fields are ignored. Its input (``documents.source_uri``, ``inputs.source_uri``) is
``url`` when present, else ``<file>#<id>``, else ``<file>#<line>``: stable across runs. A record that is not an
object, has neither text nor html, or has a malformed field is a :class:`Reject` (``bad_record``, with its line);
the rest of the file goes on.

A file is read in slices (:class:`Slice`: record ``start``..``end``, and for a plain JSON Lines file the byte
offset of the first one) so that a big file is spread over several batches without any slice holding the file.
"""

from __future__ import annotations

import csv
import gzip
import hashlib
import io
import json
import urllib.parse
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, date, datetime
from pathlib import Path
from typing import IO

from newsetl.doc import Doc, Reject

JSONL_SUFFIXES = {".jsonl", ".ndjson"}
CSV_SUFFIXES = {".csv"}
PARQUET_SUFFIXES = {".parquet"}
RECORD_SUFFIXES = JSONL_SUFFIXES | CSV_SUFFIXES | PARQUET_SUFFIXES | {s + ".gz" for s in JSONL_SUFFIXES | CSV_SUFFIXES}
FIELDS = ("id", "url", "title", "text", "html", "published_at", "lang", "site", "author")
BAD = "bad_record"


@dataclass(frozen=True, slots=True)
class Slice:
    """Records ``start`` (inclusive) to ``end`` (exclusive) of a record file, numbered from 0 in file order
    (lines for JSON Lines, rows for CSV and Parquet); ``offset``: the byte offset of record ``start`` when the
    reader can seek to it (plain JSON Lines), else 0."""

    start: int
    end: int
    offset: int = 0


def kind_of(name: str) -> str | None:
    """``jsonl``, ``csv`` or ``parquet`` from a file name, or None."""
    lower = name.lower().removesuffix(".gz")
    for kind, suffixes in (("jsonl", JSONL_SUFFIXES), ("csv", CSV_SUFFIXES), ("parquet", PARQUET_SUFFIXES)):
        if any(lower.endswith(s) for s in suffixes):
            return None if kind == "parquet" and name.lower().endswith(".gz") else kind
    return None


def _open(path: str) -> IO[bytes]:
    f = open(path, "rb")  # noqa: SIM115 - returned to the caller, who closes it
    if f.read(2) == b"\x1f\x8b":
        f.seek(0)
        return gzip.GzipFile(fileobj=f)  # type: ignore[return-value]
    f.seek(0)
    return f


def plan(path: str, per_slice: int) -> list[Slice]:
    """Split a record file into slices of ``per_slice`` records (one pass over the file; nothing kept)."""
    kind = kind_of(path)
    bounds: list[tuple[int, int]] = []  # (first record, its byte offset)
    n = 0
    if kind == "parquet":
        import pyarrow.parquet as pq

        n = pq.ParquetFile(path).metadata.num_rows
        bounds = [(i, 0) for i in range(0, n, per_slice)]
    elif kind == "csv":
        with _open(path) as raw, io.TextIOWrapper(raw, encoding="utf-8-sig", errors="surrogateescape", newline="") as f:
            n = sum(1 for _ in _csv_rows(f))
        bounds = [(i, 0) for i in range(0, n, per_slice)]
    else:
        with _open(path) as f:
            seekable = not isinstance(f, gzip.GzipFile)
            offset = 0
            for line in f:
                if n % per_slice == 0:
                    bounds.append((n, offset if seekable else 0))
                offset += len(line)
                n += 1
    return [Slice(start, min(start + per_slice, n), offset) for start, offset in bounds]


def _csv_rows(f: IO[str]) -> Iterator[tuple[int, dict]]:
    """``(first line number, row)`` of each CSV row (a quoted field may span lines)."""
    csv.field_size_limit(1 << 30)
    reader = csv.DictReader(f)
    start = 2  # line 1 is the header
    for row in reader:
        yield start, row
        start = reader.line_num + 1


def read_slice(path: str, part: Slice, fetched_at: datetime, max_bytes: int) -> tuple[list[Doc], list[Reject]]:
    """The documents and ``bad_record`` rejects of one slice of a record file."""
    docs: list[Doc] = []
    rejects: list[Reject] = []
    for line, record in _records(path, part, max_bytes):
        try:
            docs.append(to_doc(record, path, line, fetched_at))
        except ValueError as exc:
            rejects.append(Reject(f"{path}#{line}", BAD, f"line {line}: {exc}"))
    return docs, rejects


def _records(path: str, part: Slice, max_bytes: int) -> Iterator[tuple[int, object]]:
    """``(line, record)`` for the slice's records; a record that cannot be parsed comes as its ValueError."""
    kind = kind_of(path)
    if kind == "parquet":
        yield from _parquet_records(path, part)
    elif kind == "csv":
        with _open(path) as raw, io.TextIOWrapper(raw, encoding="utf-8-sig", errors="surrogateescape", newline="") as f:
            for i, (line, row) in enumerate(_csv_rows(f)):
                if i >= part.end:
                    break
                if i >= part.start:
                    if None in row or any(v is None for v in row.values()):
                        yield line, ValueError("wrong number of fields for the header")
                    else:
                        yield line, row
    else:
        with _open(path) as f:
            index = 0
            if part.offset:
                f.seek(part.offset)
                index = part.start
            while index < part.end:
                data = f.readline(max_bytes + 1)
                if not data:
                    break
                if len(data) > max_bytes and not data.endswith(b"\n"):
                    while (rest := f.readline(1 << 20)) and not rest.endswith(b"\n"):
                        pass  # skip the rest of an over-long line
                    if index >= part.start:
                        yield index + 1, ValueError(f"longer than {max_bytes} bytes (NEWSETL_MAX_BYTES)")
                    index += 1
                    continue
                if index >= part.start and data.strip():
                    try:
                        yield index + 1, json.loads(data)
                    except (ValueError, UnicodeDecodeError) as exc:
                        yield index + 1, ValueError(f"not JSON: {exc}")
                index += 1


def _parquet_records(path: str, part: Slice) -> Iterator[tuple[int, object]]:
    import pyarrow.parquet as pq

    f = pq.ParquetFile(path)
    columns = [c for c in FIELDS if c in f.schema_arrow.names]
    row = 0
    for batch in f.iter_batches(batch_size=1024, columns=columns):
        if row + batch.num_rows <= part.start:
            row += batch.num_rows
            continue
        for record in batch.to_pylist():
            if part.start <= row < part.end:
                yield row + 1, record
            row += 1
        if row >= part.end:
            break


def _text_field(record: dict, key: str) -> str | None:
    value = record.get(key)
    if value is None or value == "":
        return None
    if key == "id" and isinstance(value, int | float) and not isinstance(value, bool):
        value = str(value)
    if not isinstance(value, str):
        raise ValueError(f"{key} must be a string, not {type(value).__name__}")
    if any("\udc80" <= ch <= "\udcff" for ch in value):
        raise ValueError(f"{key} is not valid UTF-8")
    return value.strip() or None


def parse_datetime(value: object) -> datetime:
    """An ISO 8601 date or date-time, or a Parquet timestamp or date (without a zone: UTC)."""
    if isinstance(value, datetime):
        out = value
    elif isinstance(value, date):  # a Parquet date column
        out = datetime(value.year, value.month, value.day)
    elif isinstance(value, str):
        s = value.strip()
        out = datetime.fromisoformat(s[:-1] + "+00:00" if s.endswith(("Z", "z")) else s)
    else:
        raise ValueError(f"not a date: {value!r}")
    return out.replace(tzinfo=UTC) if out.tzinfo is None else out.astimezone(UTC)


def to_doc(record: object, path: str, line: int, fetched_at: datetime) -> Doc:
    """One record as a :class:`Doc`; ValueError (the reason of a ``bad_record`` reject) when it is malformed."""
    if isinstance(record, Exception):
        raise ValueError(str(record))
    if not isinstance(record, dict):
        raise ValueError(f"a record must be an object, not {type(record).__name__}")
    fields = {key: _text_field(record, key) for key in FIELDS if key != "published_at"}
    text, html = fields.pop("text"), fields.pop("html")
    if not text and not html:
        raise ValueError("neither text nor html")
    published = record.get("published_at")
    try:
        published_at = parse_datetime(published) if published not in (None, "") else None
    except ValueError as exc:
        raise ValueError(f"published_at is not an ISO 8601 date: {published!r}") from exc
    url = fields.pop("url")
    if url is not None and urllib.parse.urlsplit(url).scheme.lower() not in ("http", "https"):
        raise ValueError(f"url {url!r} is not an http(s) URL")
    ident = fields.pop("id")
    source_uri = url if url else f"{path}#{ident}" if ident else f"{path}#{line}"
    if fields.get("lang"):
        fields["lang"] = fields["lang"].replace("_", "-").split("-")[0].lower()  # "pt-BR" -> "pt": ISO 639-1
    given = {k: v for k, v in fields.items() if v is not None}
    if published_at is not None:
        given["published_at"] = published_at
    canonical = json.dumps({k: record.get(k) for k in FIELDS}, sort_keys=True, default=str, ensure_ascii=False)
    return Doc(
        source_uri=source_uri,
        raw_text=html or text or "",
        media_type="html" if html else "text",
        fetched_at=fetched_at,
        raw_hash=hashlib.sha256(canonical.encode("utf-8", "surrogatepass")).hexdigest(),
        given=given,
    )


def file_time(path: str) -> datetime:
    return datetime.fromtimestamp(Path(path).stat().st_mtime, tz=UTC)
