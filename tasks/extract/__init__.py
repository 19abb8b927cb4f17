"""Extract: list sources and read them into decoded :class:`Doc` objects (files and http(s) URLs).

This is one of the two stages that touch I/O. Decoding is strict and explicit: a BOM or valid UTF-8
first, then charset detection for legacy encodings (windows-1254, windows-1256, KOI8-R, Latin-1…).
Inputs that are empty, binary, undecodable, too large or unreachable become :class:`Reject` rows;
transient network failures raise :class:`TransientError` so that Prefect retries them.
"""

from __future__ import annotations

import contextlib
import glob
import gzip
import hashlib
import io
import ipaddress
import os
import socket
import time
import urllib.error
import urllib.parse
import urllib.request
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

from prefect import task
from prefect.cache_policies import NO_CACHE  # batches are big: never hash them for a cache key

from newsetl.doc import Doc, Reject
from tasks.extract.decode import decode
from tasks.extract.errors import RejectedInput, TransientError

EXTRACT_VERSION = "2"
TEXT_SUFFIXES = {".txt", ".text"}
HTML_SUFFIXES = {".html", ".htm", ".xhtml"}
SUPPORTED_SUFFIXES = TEXT_SUFFIXES | HTML_SUFFIXES | {suffix + ".gz" for suffix in TEXT_SUFFIXES | HTML_SUFFIXES}
MAX_BYTES = int(os.environ.get("NEWSETL_MAX_BYTES", 20 * 1024 * 1024))
HTTP_TIMEOUT_S = float(os.environ.get("NEWSETL_HTTP_TIMEOUT", 20))
ALLOW_PRIVATE_URLS = os.environ.get("NEWSETL_ALLOW_PRIVATE_URLS", "") == "1"
SETTLE_NS = 2 * 10**9  # a file changed this recently may change again within its timestamp's granularity


@dataclass(slots=True)
class RawInput:
    """Bytes of one source, before decoding."""

    uri: str
    data: bytes
    media_type: str  # "text" or "html"
    fetched_at: datetime
    stamp: str | None = None  # a local file's :func:`file_stamp` when it was read

    @property
    def raw_hash(self) -> str:
        return hashlib.sha256(self.data).hexdigest()


def is_url(source: str) -> bool:
    return "://" in source


def list_sources(sources: list[str]) -> tuple[list[str], list[Reject]]:
    """Expand files, directories (recursive), globs and URLs into a sorted, de-duplicated list of URIs.

    A source that matches nothing, or a URL with a scheme other than http(s), is a reject.
    """
    uris: dict[str, None] = {}
    rejects: list[Reject] = []
    for source in sources:
        if is_url(source):
            scheme = urllib.parse.urlsplit(source).scheme.lower()
            if scheme in ("http", "https"):
                uris[source] = None
            else:
                rejects.append(Reject(source, "unsupported_scheme", f"scheme {scheme!r}: only http(s) URLs are read"))
            continue
        path = Path(source)
        if path.is_dir():
            found = _walk(path)
        elif path.exists() or path.is_symlink():
            found = [path]
        else:
            found = [Path(p) for p in sorted(glob.glob(source, recursive=True))]
            found = [p for f in found for p in (_walk(f) if f.is_dir() else [f])]
            if not found:
                rejects.append(Reject(source, "not_found", "no file, directory or glob match"))
        for p in found:
            uris[str(p.absolute())] = None
    return sorted(uris), rejects


def _walk(root: Path) -> list[Path]:
    """Files under ``root`` with a supported suffix; symlinked directories are not followed (no loops)."""
    out = []
    for dirpath, _dirnames, filenames in os.walk(root, followlinks=False):
        for name in filenames:
            p = Path(dirpath) / name
            if _suffix(p) in SUPPORTED_SUFFIXES:
                out.append(p)
    return sorted(out)


def _suffix(path: Path) -> str:
    suffixes = [s.lower() for s in path.suffixes[-2:]]
    if len(suffixes) == 2 and suffixes[1] == ".gz":
        return "".join(suffixes)
    return suffixes[-1] if suffixes else ""


def _media_type(name: str, data: bytes, content_type: str = "") -> str:
    suffix = _suffix(Path(name)).removesuffix(".gz")
    if suffix in HTML_SUFFIXES or "html" in content_type:
        return "html"
    if suffix in TEXT_SUFFIXES or content_type.startswith("text/plain"):
        return "text"
    head = data[:2048].lstrip().lower()
    return "html" if head.startswith((b"<!doctype html", b"<html", b"<?xml")) or b"<body" in head else "text"


def _gunzip(data: bytes, uri: str) -> bytes:
    """Decompress with a hard size cap: a gzip bomb is rejected, not expanded."""
    with gzip.GzipFile(fileobj=io.BytesIO(data)) as f:
        out = f.read(MAX_BYTES + 1)
    if len(out) > MAX_BYTES:
        raise RejectedInput("too_large", f"{uri} decompresses to more than {MAX_BYTES} bytes")
    return out


def read_file(uri: str) -> RawInput:
    path = Path(uri)
    try:
        if not path.is_file():
            raise RejectedInput("not_a_file", f"{uri} is not a regular file (broken link, loop or device)")
        st = path.stat()
        if st.st_size > MAX_BYTES:
            raise RejectedInput("too_large", f"{st.st_size} bytes > limit {MAX_BYTES} (NEWSETL_MAX_BYTES)")
        data = path.read_bytes()
    except OSError as exc:
        if exc.errno in (40,):  # ELOOP
            raise RejectedInput("not_a_file", f"symlink loop: {exc}") from exc
        raise RejectedInput("unreadable", str(exc)) from exc
    if data[:2] == b"\x1f\x8b":
        data = _gunzip(data, uri)
    mtime = datetime.fromtimestamp(st.st_mtime, tz=UTC)
    return RawInput(uri, data, _media_type(uri, data), mtime, file_stamp(st))


def file_stamp(st: os.stat_result) -> str | None:
    """``size:mtime_ns:ctime_ns`` of a file: while it stays the same, so do the file's bytes (the quick check of
    make and rsync; the ctime also changes when a tool rewrites a file and restores its mtime). None for a file
    changed in the last :data:`SETTLE_NS`: a second write within its timestamp's tick would keep the stamp."""
    if time.time_ns() - max(st.st_mtime_ns, st.st_ctime_ns) < SETTLE_NS:
        return None
    return f"{st.st_size}:{st.st_mtime_ns}:{st.st_ctime_ns}"


def _check_host(url: str) -> None:
    """Refuse URLs that resolve to loopback/private/link-local addresses unless explicitly allowed."""
    if ALLOW_PRIVATE_URLS:
        return
    host = urllib.parse.urlsplit(url).hostname or ""
    try:
        infos = socket.getaddrinfo(host, None)
    except socket.gaierror as exc:
        raise RejectedInput("dns_error", f"{host}: {exc}") from exc
    for info in infos:
        addr = ipaddress.ip_address(info[4][0])
        if addr.is_private or addr.is_loopback or addr.is_link_local or addr.is_reserved or addr.is_multicast:
            raise RejectedInput("forbidden_address", f"{host} resolves to {addr} (set NEWSETL_ALLOW_PRIVATE_URLS=1)")


class _SafeRedirects(urllib.request.HTTPRedirectHandler):
    def redirect_request(self, req, fp, code, msg, headers, newurl):  # noqa: ANN001, D102
        if urllib.parse.urlsplit(newurl).scheme.lower() not in ("http", "https"):
            raise RejectedInput("unsupported_scheme", f"redirect to {newurl}")
        _check_host(newurl)
        return super().redirect_request(req, fp, code, msg, headers, newurl)


def read_url(url: str) -> RawInput:
    _check_host(url)
    opener = urllib.request.build_opener(_SafeRedirects())
    request = urllib.request.Request(url, headers={"User-Agent": "newsetl/0.1", "Accept-Encoding": "gzip"})
    try:
        with opener.open(request, timeout=HTTP_TIMEOUT_S) as resp:
            data = resp.read(MAX_BYTES + 1)
            content_type = resp.headers.get("Content-Type", "").lower()
            encoding = resp.headers.get("Content-Encoding", "")
    except RejectedInput:
        raise
    except urllib.error.HTTPError as exc:
        if exc.code in (408, 425, 429) or exc.code >= 500:
            raise TransientError(f"HTTP {exc.code} from {url}") from exc
        if 300 <= exc.code < 400:
            raise RejectedInput("bad_redirect", f"HTTP {exc.code}: {exc.reason}") from exc
        raise RejectedInput("http_error", f"HTTP {exc.code} {exc.reason}") from exc
    except (TimeoutError, ConnectionError, urllib.error.URLError) as exc:
        raise TransientError(f"{url}: {exc}") from exc
    if len(data) > MAX_BYTES:
        raise RejectedInput("too_large", f"more than {MAX_BYTES} bytes")
    if encoding == "gzip" or data[:2] == b"\x1f\x8b":
        data = _gunzip(data, url)
    return RawInput(url, data, _media_type(urllib.parse.urlsplit(url).path, data, content_type), datetime.now(UTC))


def extract(uri: str) -> Doc:
    """Read and decode one source."""
    raw = read_url(uri) if is_url(uri) else read_file(uri)
    text = decode(raw.data)
    return Doc(
        source_uri=uri,
        raw_text=text,
        media_type=raw.media_type,
        fetched_at=raw.fetched_at,
        raw_hash=raw.raw_hash,
        file_stamp=raw.stamp,
    )


def _extract_with_retries(uri: str, attempts: int = 3, backoff_s: float = 0.5) -> Doc:
    """Retry one source on transient failures with exponential backoff; then give up with a reject."""
    for attempt in range(attempts):
        try:
            return extract(uri)
        except TransientError as exc:
            if attempt == attempts - 1:
                raise RejectedInput("unreachable", f"{exc} (after {attempts} attempts)") from exc
            time.sleep(backoff_s * 4**attempt)
    raise AssertionError("unreachable")


@dataclass(slots=True)
class Extracted:
    docs: list[Doc]
    rejects: list[Reject]
    skipped: list[str]


def extract_many(uris: list[str], known_raw_hashes: frozenset[str] = frozenset()) -> Extracted:
    """Extract a batch: permanent failures become rejects; already-loaded raw content is skipped."""
    out = Extracted([], [], [])
    for uri in uris:
        try:
            doc = _extract_with_retries(uri)
        except RejectedInput as exc:
            out.rejects.append(Reject(uri, exc.reason, exc.detail))
            continue
        if doc.raw_hash in known_raw_hashes:
            out.skipped.append(uri)
            continue
        out.docs.append(doc)
    return out


@dataclass(slots=True)
class Unchanged:
    """:func:`split_unchanged`'s verdict: the inputs to extract, the unchanged ones, and the fresh stamps of
    unchanged files whose stamp was not known (``(uri, raw_hash, stamp)``: record them for the next run)."""

    todo: list[str]
    unchanged: list[str]
    restamps: list[tuple[str, str, str]]


def split_unchanged(
    uris: list[str], known_raw_hashes: frozenset[str], known_stamps: Mapping[str, str] | None = None
) -> Unchanged:
    """A local file is unchanged when its stamp is the one recorded when this pipeline version loaded it
    (:func:`file_stamp`: one ``stat``, no read), or else when its bytes (gunzipped) hash to an input already
    loaded by this pipeline version. Either is far cheaper than a batch's task run, so an unchanged corpus
    needs no extract task at all. URLs are left to extract (fetching twice would cost more than it saves),
    and so are unreadable or bad files (they get their reject there)."""
    out = Unchanged([], [], [])
    if not known_raw_hashes:
        out.todo = list(uris)
        return out
    known_stamps = known_stamps or {}
    for uri in uris:
        if not is_url(uri):
            with contextlib.suppress(RejectedInput, OSError):
                if (stamp := known_stamps.get(uri)) is not None and stamp == file_stamp(os.stat(uri)):
                    out.unchanged.append(uri)
                    continue
                raw = read_file(uri)
                if (raw_hash := raw.raw_hash) in known_raw_hashes:
                    out.unchanged.append(uri)
                    if raw.stamp is not None:
                        out.restamps.append((uri, raw_hash, raw.stamp))
                    continue
        out.todo.append(uri)
    return out


def is_transient(task, task_run, state) -> bool:  # noqa: ANN001
    """Prefect ``retry_condition_fn``: retry only network/lock failures, never bad input."""
    try:
        state.result()
    except (TransientError, TimeoutError, ConnectionError):
        return True
    except Exception:  # noqa: BLE001
        return False
    return False


@task(name="skip-unchanged", cache_policy=NO_CACHE)
def skip_unchanged(uris: list[str], known_raw_hashes: frozenset[str], known_stamps: Mapping[str, str]) -> Unchanged:
    return split_unchanged(uris, known_raw_hashes, known_stamps)


@task(name="extract", cache_policy=NO_CACHE, retries=3, retry_delay_seconds=[1, 4, 16], retry_condition_fn=is_transient)
def extract_batch(uris: list[str], known_raw_hashes: frozenset[str] = frozenset()) -> Extracted:
    return extract_many(uris, known_raw_hashes)
