"""Local files and the names of sources: files, directories (recursive), globs and URLs; reading one file.

Pure of settings: the limits come as arguments (``tasks.extract`` passes its own).
"""

from __future__ import annotations

import glob
import gzip
import hashlib
import io
import os
import time
import urllib.parse
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

from newsetl.doc import Reject
from tasks.extract import records, warc
from tasks.extract.errors import RejectedInput

TEXT_SUFFIXES = {".txt", ".text"}
HTML_SUFFIXES = {".html", ".htm", ".xhtml"}
PAGE_SUFFIXES = TEXT_SUFFIXES | HTML_SUFFIXES | {suffix + ".gz" for suffix in TEXT_SUFFIXES | HTML_SUFFIXES}
SUPPORTED_SUFFIXES = PAGE_SUFFIXES | records.RECORD_SUFFIXES | warc.WARC_SUFFIXES


@dataclass(slots=True)
class RawInput:
    """Bytes of one source, before decoding."""

    uri: str
    data: bytes
    media_type: str  # "text" or "html"
    fetched_at: datetime
    stamp: str | None = None  # a local file's :func:`file_stamp` when it was read
    etag: str | None = None  # a URL's validators, for the next conditional GET
    last_modified: str | None = None

    @property
    def raw_hash(self) -> str:
        return hashlib.sha256(self.data).hexdigest()


def is_url(source: str) -> bool:
    return "://" in source


def expand(source: str) -> tuple[list[str], list[Reject], int]:
    """The files or URL one source names, its rejects, and how many files of other types its directories hold."""
    if is_url(source):
        scheme = urllib.parse.urlsplit(source).scheme.lower()
        if scheme in ("http", "https"):
            return [source], [], 0
        return [], [Reject(source, "unsupported_scheme", f"scheme {scheme!r}: only http(s) URLs are read")], 0
    path = Path(source)
    ignored = 0
    if path.is_dir():
        found, ignored = walk(path)
    elif path.exists() or path.is_symlink():
        found = [path]
    else:
        found = []
        for p in (Path(p) for p in sorted(glob.glob(source, recursive=True))):
            if p.is_dir():
                files, n = walk(p)
                found += files
                ignored += n
            else:
                found.append(p)
        if not found:
            return [], [Reject(source, "not_found", "no file, directory or glob match")], ignored
    return sorted(str(p.absolute()) for p in found), [], ignored


def walk(root: Path) -> tuple[list[Path], int]:
    """Files under ``root`` with a supported suffix, and the number of other files (ignored); symlinked
    directories are not followed (no loops)."""
    out = []
    ignored = 0
    for dirpath, _dirnames, filenames in os.walk(root, followlinks=False):
        for name in filenames:
            p = Path(dirpath) / name
            if suffix(p) in SUPPORTED_SUFFIXES or warc.is_warc(name):
                out.append(p)
            elif not name.startswith("."):
                ignored += 1
    return sorted(out), ignored


def suffix(path: Path) -> str:
    suffixes = [s.lower() for s in path.suffixes[-2:]]
    if len(suffixes) == 2 and suffixes[1] == ".gz":
        return "".join(suffixes)
    return suffixes[-1] if suffixes else ""


def media_type(name: str, data: bytes, content_type: str = "") -> str:
    ext = suffix(Path(name)).removesuffix(".gz")
    if ext in HTML_SUFFIXES or "html" in content_type:
        return "html"
    if ext in TEXT_SUFFIXES or content_type.startswith("text/plain"):
        return "text"
    head = data[:2048].lstrip().lower()
    return "html" if head.startswith((b"<!doctype html", b"<html", b"<?xml")) or b"<body" in head else "text"


def gunzip(data: bytes, uri: str, max_bytes: int) -> bytes:
    """Decompress with a hard size cap: a gzip bomb is rejected, not expanded."""
    with gzip.GzipFile(fileobj=io.BytesIO(data)) as f:
        out = f.read(max_bytes + 1)
    if len(out) > max_bytes:
        raise RejectedInput("too_large", f"{uri} decompresses to more than {max_bytes} bytes")
    return out


def read_file(uri: str, max_bytes: int, settle_ns: int) -> RawInput:
    """The bytes of a local file (gunzipped), its media type, mtime and :func:`file_stamp`."""
    path = Path(uri)
    try:
        if not path.is_file():
            raise RejectedInput("not_a_file", f"{uri} is not a regular file (broken link, loop or device)")
        st = path.stat()
        if st.st_size > max_bytes:
            raise RejectedInput("too_large", f"{st.st_size} bytes > limit {max_bytes} (NEWSETL_MAX_BYTES)")
        data = path.read_bytes()
    except OSError as exc:
        if exc.errno in (40,):  # ELOOP
            raise RejectedInput("not_a_file", f"symlink loop: {exc}") from exc
        raise RejectedInput("unreadable", str(exc)) from exc
    if data[:2] == b"\x1f\x8b":
        data = gunzip(data, uri, max_bytes)
    mtime = datetime.fromtimestamp(st.st_mtime, tz=UTC)
    return RawInput(uri, data, media_type(uri, data), mtime, file_stamp(st, settle_ns))


def file_stamp(st: os.stat_result, settle_ns: int) -> str | None:
    """``size:mtime_ns:ctime_ns`` of a file: while it stays the same, so do the file's bytes (the quick check of
    make and rsync; the ctime also changes when a tool rewrites a file and restores its mtime). None for a file
    changed in the last ``settle_ns``: a second write within its timestamp's tick would keep the stamp."""
    if time.time_ns() - max(st.st_mtime_ns, st.st_ctime_ns) < settle_ns:
        return None
    return f"{st.st_size}:{st.st_mtime_ns}:{st.st_ctime_ns}"
