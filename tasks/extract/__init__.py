"""Extract: list a run's inputs and read them into decoded :class:`Doc` objects.

Laid out like a dlt verified source: this module holds the settings and composes; each concern has its module:

- ``files.py``: local files, directories, globs, and reading one file;
- ``http.py``: polite, safe HTTP (robots.txt, per-host gate, conditional GET, canonical URLs);
- ``feeds.py``: RSS/Atom/RDF feeds and sitemaps, parsed without entity expansion;
- ``warc.py``: web archives; ``records.py``: JSON Lines, CSV and Parquet record files;
- ``decode.py``: bytes to text; ``errors.py``: the two ways reading can fail.

An input is a file, an http(s) URL, or a *slice* of a container file (a run of records of a record file or a WARC
file): ``<path>::records[<start>:<end>]@<offset>`` (:func:`slice_item`). Slices let one big file spread over several
batches; the documents they yield carry their own ``source_uri`` (a record's URL or ``<file>#<id>``). Feeds and
sitemaps are expanded while listing (:func:`list_inputs`), into article URLs with hints (the feed item's title and
date, the validators of the last fetch) that travel with the batch to :func:`extract_many`.

This is one of the two stages that touch I/O. Inputs that are empty, binary, undecodable, too large, unreachable
or malformed become :class:`Reject` rows; transient network failures raise :class:`TransientError` so that they
are retried.
"""

from __future__ import annotations

import contextlib
import ipaddress
import json
import os
import re
import socket
import time
import urllib.parse
from collections import Counter
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime

from prefect import task
from prefect.cache_policies import NO_CACHE  # batches are big: never hash them for a cache key

from newsetl.doc import Doc, Reject
from tasks.extract import feeds, files, http, records, warc
from tasks.extract.decode import decode
from tasks.extract.errors import RejectedInput, TransientError
from tasks.extract.files import SUPPORTED_SUFFIXES, RawInput, is_url

__all__ = [  # the package's interface; the modules' own names are reached through them
    "SUPPORTED_SUFFIXES",
    "Extracted",
    "Listing",
    "RawInput",
    "RejectedInput",
    "SourceState",
    "TransientError",
    "apply_given",
    "decode",
    "extract",
    "extract_batch",
    "extract_many",
    "file_stamp",
    "is_slice",
    "is_url",
    "list_inputs",
    "list_sources",
    "make_batches",
    "read_file",
    "read_url",
    "skip_unchanged",
    "split_unchanged",
    "unread_containers",
]

EXTRACT_VERSION = "2"  # new source types add inputs; what existing inputs become is unchanged
MAX_BYTES = int(os.environ.get("NEWSETL_MAX_BYTES", 20 * 1024 * 1024))
HTTP_TIMEOUT_S = float(os.environ.get("NEWSETL_HTTP_TIMEOUT", 20))
ALLOW_PRIVATE_URLS = os.environ.get("NEWSETL_ALLOW_PRIVATE_URLS", "") == "1"
SETTLE_NS = 2 * 10**9  # a file changed this recently may change again within its timestamp's granularity


def read_file(uri: str) -> RawInput:
    """One local file, within :data:`MAX_BYTES` (``files.read_file``)."""
    return files.read_file(uri, MAX_BYTES, SETTLE_NS)


def file_stamp(st: os.stat_result) -> str | None:
    """``size:mtime_ns:ctime_ns`` of a settled file, None for one changed in the last :data:`SETTLE_NS`
    (``files.file_stamp``)."""
    return files.file_stamp(st, SETTLE_NS)


def _gunzip(data: bytes, uri: str) -> bytes:
    return files.gunzip(data, uri, MAX_BYTES)


SLICE_RE = re.compile(r"^(?P<path>.+)::(?P<kind>records|warc)\[(?P<start>\d+):(?P<end>\d+)\]@(?P<offset>\d+)$")


def slice_item(path: str, kind: str, part: records.Slice) -> str:
    """The input naming records ``part.start``..``part.end`` of a ``kind`` (records | warc) container file."""
    return f"{path}::{kind}[{part.start}:{part.end}]@{part.offset}"


def parse_slice(item: str) -> tuple[str, str, records.Slice] | None:
    """``(path, kind, slice)`` of a slice input, None for a file or URL."""
    if "::" not in item or not (m := SLICE_RE.match(item)):
        return None
    return m["path"], m["kind"], records.Slice(int(m["start"]), int(m["end"]), int(m["offset"]))


def is_slice(item: str) -> bool:
    return parse_slice(item) is not None


@dataclass(slots=True)
class Listing:
    """The inputs of a run, source by source (a source is one argument or configured URI)."""

    items: list[str] = field(default_factory=list)  # files, URLs and container slices, each listed once
    rejects: list[Reject] = field(default_factory=list)  # sources that match nothing, unreadable containers
    source_of: dict[str, str] = field(default_factory=dict)  # input -> the source it came from
    ignored: Counter = field(default_factory=Counter)  # per source: files of unsupported types in a directory
    rejected: Counter = field(default_factory=Counter)  # per source: its listing rejects
    skipped: Counter = field(default_factory=Counter)  # per source: feed items already loaded (not fetched again)
    hints: dict[str, dict] = field(default_factory=dict)  # URL -> validators of its last fetch, feed item fields
    fetch_rows: list[dict] = field(default_factory=list)  # feeds and sitemaps fetched: save after the run's loads

    def add(self, source: str, item: str) -> None:
        if item not in self.source_of:
            self.source_of[item] = source
            self.items.append(item)

    def reject(self, source: str, reject: Reject) -> None:
        self.rejects.append(reject)
        self.rejected[source] += 1


def list_sources(sources: list[str]) -> tuple[list[str], list[Reject]]:
    """Expand files, directories (recursive), globs and URLs into a sorted, de-duplicated list of URIs.

    A source that matches nothing, or a URL with a scheme other than http(s), is a reject.
    """
    uris: dict[str, None] = {}
    rejects: list[Reject] = []
    for source in sources:
        found, source_rejects, _ = files.expand(source)
        rejects += source_rejects
        uris.update(dict.fromkeys(found))
    return sorted(uris), rejects


@dataclass(slots=True)
class SourceState:
    """What the warehouse knows of earlier fetches (``warehouse.db.source_state``)."""

    fetched: dict[str, dict] = field(default_factory=dict)  # canonical URL (or container path) -> fetch_state row
    loaded: dict[str, datetime] = field(default_factory=dict)  # URL loaded by this pipeline version -> when
    version: str = ""  # the pipeline version: an unchanged container file is skipped only for the same one


MAX_SITEMAP_DEPTH = 2  # an index of indexes of sitemaps, at most


def list_inputs(sources: list[str], per_slice: int = 100, state: SourceState | None = None) -> Listing:
    """A run's inputs, source by source: files and URLs as :func:`list_sources` finds them, with record files
    and WARC files split into slices of ``per_slice`` records, and feeds and sitemaps (recognised by their
    content, when their name may be one) expanded to their article URLs. An input named by two sources belongs
    to the first; files of unsupported types found in a directory are counted as ignored; a feed item already
    loaded is skipped unless the feed says it was updated since."""
    out = Listing()
    state = state or SourceState()
    for source in sources:
        found, rejects, ignored = files.expand(source)
        out.ignored[source] += ignored
        for reject in rejects:
            out.reject(source, reject)
        for uri in found:
            if feeds.looks_like_feed(uri) and not is_slice(uri):
                try:
                    if _expand_feed(source, uri, state, out, 0):
                        continue
                except RejectedInput as exc:
                    out.reject(source, Reject(uri, exc.reason, exc.detail))
                    continue
            for item in _container_slices(source, uri, per_slice, out, state):
                out.add(source, item)
                # a page this pipeline version loaded: a conditional GET (a 304 skips it); otherwise fetch it whole
                canonical = http.canonical_url(item) if is_url(item) else ""
                if (canonical in state.loaded or item in state.loaded) and (row := state.fetched.get(canonical)):
                    out.hints[item] = {"etag": row.get("etag"), "last_modified": row.get("last_modified")}
    return out


def _fetch_feed(url: str, row: dict | None) -> tuple[bytes | None, dict]:
    """The feed's bytes (None: unchanged since its last fetch, a 304) and its new fetch_state row."""
    now = datetime.now(UTC)
    new = dict(row or {}) | {"url": http.canonical_url(url), "checked_at": now}
    for attempt in range(3):
        try:
            resp = fetcher().fetch(url, (row or {}).get("etag"), (row or {}).get("last_modified"))
        except http.NotModified:
            return None, new | {"status": 304}
        except TransientError as exc:
            if attempt == 2:
                raise RejectedInput("unreachable", f"{exc} (after 3 attempts)") from exc
            time.sleep(0.5 * 4**attempt)
            continue
        new |= {"etag": resp.etag, "last_modified": resp.last_modified, "status": resp.status, "fetched_at": now}
        return resp.data, new
    raise AssertionError("unreachable")


def _expand_feed(source: str, uri: str, state: SourceState, out: Listing, depth: int) -> bool:
    """Add the articles of a feed or sitemap (file or URL) to ``out``; False when ``uri`` is no feed after all
    (then it is an ordinary input). Raises RejectedInput for a feed that cannot be read or parsed."""
    row = state.fetched.get(http.canonical_url(uri)) if is_url(uri) else None
    if is_url(uri):
        data, new_row = _fetch_feed(uri, row)
    else:
        data, new_row = read_file(uri).data, None
    if data is None:  # 304: the entries it listed last time
        kind = row.get("kind", "feed")
        entries = [feeds.Entry.from_json(e) for e in json.loads(row.get("items") or "[]")]
    else:
        if not feeds.sniff(data):
            return False
        try:
            parsed = feeds.parse(data, uri if is_url(uri) else None, MAX_BYTES, uri)
        except RejectedInput as exc:
            if exc.reason == "not_a_feed" and depth == 0:
                return False
            raise
        kind, entries = parsed.kind, parsed.entries
        for link in parsed.invalid:
            out.reject(source, Reject(f"{uri}#{link}", "bad_feed_item", f"{link!r} is not an http(s) URL"))
    if new_row is not None:
        new_row |= {"kind": kind, "items": json.dumps([e.as_json() for e in entries])}
        out.fetch_rows.append(new_row)
    if kind == "sitemap-index":
        for entry in entries:
            if depth >= MAX_SITEMAP_DEPTH:
                out.reject(source, Reject(entry.url, "bad_feed", f"sitemap nested deeper than {MAX_SITEMAP_DEPTH}"))
                continue
            try:
                _expand_feed(source, entry.url, state, out, depth + 1)
            except RejectedInput as exc:
                out.reject(source, Reject(entry.url, exc.reason, exc.detail))
        return True
    for entry in entries:
        url = http.canonical_url(entry.url)
        if url in out.source_of:
            continue
        loaded_at = state.loaded.get(url)
        if loaded_at is not None and not (entry.updated and entry.updated > loaded_at):
            out.skipped[source] += 1  # loaded, and not updated since: not fetched again
            out.source_of[url] = source
            continue
        out.add(source, url)
        hint: dict = {"defaults": {"title": entry.title, "published_at": entry.published}}
        if loaded_at is not None and (fetched := state.fetched.get(url)):  # updated: a conditional GET decides
            hint |= {"etag": fetched.get("etag"), "last_modified": fetched.get("last_modified")}
        out.hints[url] = hint
    return True


def _container_slices(source: str, uri: str, per_slice: int, out: Listing, state: SourceState) -> list[str]:
    """A record or WARC file as its slices (an unreadable one is a reject); any other input as itself.

    A container whose file stamp (:func:`file_stamp`) is the one recorded when this pipeline version last read
    it whole is skipped without a read: its records count as skipped. The stamp is recorded (``fetch_rows``)
    once the run has loaded every batch."""
    if is_url(uri):
        return [uri]
    kind = "records" if records.kind_of(uri) else "warc" if warc.is_warc(uri) else None
    if kind is None:
        return [uri]
    try:
        stamp = file_stamp(os.stat(uri))
        mark = f"{stamp} {state.version}" if stamp and state.version else None
        row = state.fetched.get(uri)
        if mark and row and row.get("etag") == mark:
            out.skipped[source] += json.loads(row.get("items") or "{}").get("records", 0)
            return []
        parts = records.plan(uri, per_slice) if kind == "records" else warc.plan(uri, per_slice)
    except Exception as exc:  # noqa: BLE001 - a corrupt container is a reject, not a crashed listing
        out.reject(source, Reject(uri, "unreadable", f"{type(exc).__name__}: {exc}"))
        return []
    if mark:
        now = datetime.now(UTC)
        n = sum(part.end - part.start for part in parts)
        out.fetch_rows.append(
            {"url": uri, "kind": kind, "etag": mark, "items": json.dumps({"records": n}), "fetched_at": now}
        )
    return [slice_item(uri, kind, part) for part in parts]


def make_batches(items: list[str], batch_size: int, source_of: Mapping[str, str] | None = None) -> list[list[str]]:
    """Batches of up to ``batch_size`` inputs, never mixing two sources (so that counts add up per source); a
    container slice (already ``batch_size`` records) is a batch of its own."""
    source_of = source_of or {}
    batches: list[list[str]] = []
    current: list[str] = []
    for item in items:
        if is_slice(item):
            batches.append([item])
            continue
        if current and (len(current) >= batch_size or source_of.get(current[0]) != source_of.get(item)):
            batches.append(current)
            current = []
        current.append(item)
    if current:
        batches.append(current)
    return batches


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


_FETCHER: http.Fetcher | None = None


def fetcher() -> http.Fetcher:
    """This process's polite HTTP client (``http.py``), with today's limits and host check."""
    global _FETCHER
    if _FETCHER is None:
        _FETCHER = http.Fetcher(check_host=lambda url: _check_host(url))  # looked up at each call (tests patch it)
    timeout = os.environ.get("NEWSETL_HTTP_TIMEOUT")  # [fetch] timeout_s of a scheduled run, set after import
    _FETCHER.timeout_s, _FETCHER.max_bytes = float(timeout) if timeout else HTTP_TIMEOUT_S, MAX_BYTES
    return _FETCHER


def read_url(url: str, etag: str | None = None, last_modified: str | None = None) -> RawInput:
    """GET one page politely (robots.txt, per-host gate, conditional GET: :class:`http.NotModified` on a 304)."""
    resp = fetcher().fetch(url, etag, last_modified)
    data = resp.data
    if data[:2] == b"\x1f\x8b":
        data = _gunzip(data, url)
    media = files.media_type(urllib.parse.urlsplit(url).path, data, resp.content_type)
    return RawInput(url, data, media, datetime.now(UTC), etag=resp.etag, last_modified=resp.last_modified)


def extract(uri: str, hint: Mapping | None = None) -> Doc:
    """Read and decode one source. ``hint``: what the run knows of a URL (the validators of its last fetch, the
    title and dates of the feed item that listed it)."""
    hint = hint or {}
    raw = read_url(uri, hint.get("etag"), hint.get("last_modified")) if is_url(uri) else read_file(uri)
    text = decode(raw.data)
    doc = Doc(
        source_uri=uri,
        raw_text=text,
        media_type=raw.media_type,
        fetched_at=raw.fetched_at,
        raw_hash=raw.raw_hash,
        file_stamp=raw.stamp,
        defaults=hint.get("defaults"),
    )
    if is_url(uri):
        canonical = http.canonical_link(raw.data, uri) if raw.media_type == "html" else None
        doc.fetch = {"url": http.canonical_url(uri), "kind": "page", "etag": raw.etag}
        doc.fetch |= {"last_modified": raw.last_modified, "status": 200, "canonical_url": canonical}
        doc.fetch |= {"fetched_at": raw.fetched_at, "checked_at": raw.fetched_at}
    return doc


def _extract_with_retries(uri: str, hint: Mapping | None = None, attempts: int = 3, backoff_s: float = 0.5) -> Doc:
    """Retry one source on transient failures with exponential backoff; then give up with a reject."""
    for attempt in range(attempts):
        try:
            return extract(uri, hint)
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
    ignored: int = 0  # inputs that are not articles (a WARC's requests, metadata, images...)


def extract_many(
    uris: list[str], known_raw_hashes: Mapping[str, str] | None = None, hints: Mapping[str, Mapping] | None = None
) -> Extracted:
    """Extract a batch: permanent failures become rejects; already-loaded raw content, and URLs the server says
    are unchanged since their last fetch (304), are skipped."""
    out = Extracted([], [], [])
    hints, known_raw_hashes = hints or {}, known_raw_hashes or {}
    for uri in uris:
        if (container := parse_slice(uri)) is not None:
            _extract_slice(*container, known_raw_hashes, out)
            continue
        try:
            doc = _extract_with_retries(uri, hints.get(uri))
        except http.NotModified:
            out.skipped.append(uri)
            continue
        except RejectedInput as exc:
            out.rejects.append(Reject(uri, exc.reason, exc.detail))
            continue
        if known_raw_hashes.get(doc.source_uri) == doc.raw_hash:
            out.skipped.append(uri)
            continue
        out.docs.append(doc)
    return out


def _extract_slice(
    path: str, kind: str, part: records.Slice, known_raw_hashes: Mapping[str, str], out: Extracted
) -> None:
    """The documents of one slice of a record or WARC file; a slice that cannot be read is one reject."""
    try:
        if kind == "records":
            docs, rejects = records.read_slice(path, part, records.file_time(path), MAX_BYTES)
            ignored = 0
        else:
            docs, rejects, ignored = warc.read_slice(path, part, MAX_BYTES)
    except Exception as exc:  # noqa: BLE001 - a corrupt or vanished file: one reject, the batch goes on
        out.rejects.append(Reject(slice_item(path, kind, part), "unreadable", f"{type(exc).__name__}: {exc}"))
        return
    out.rejects += rejects
    out.ignored += ignored
    for doc in docs:
        if known_raw_hashes.get(doc.source_uri) == doc.raw_hash:
            out.skipped.append(doc.source_uri)
        else:
            out.docs.append(doc)


def unread_containers(rejects: list[Reject]) -> set[str]:
    """The container files of which a slice could not be read: not to be recorded as read whole."""
    out = set()
    for r in rejects:
        if r.reason == "unreadable" and (parsed := parse_slice(r.source_uri)):
            out.add(parsed[0])
        elif r.reason == "truncated":
            out.add(r.source_uri.rsplit("#", 1)[0])
    return out


GIVEN_FIELDS = ("title", "published_at", "site", "author")


def apply_given(doc: Doc) -> Doc:
    """After clean: the fields a source states win over what clean inferred (a record's title or date); the
    fields a feed item states fill in what clean found none of. A stated ``lang`` is left to the language stage
    (a prior, not a verdict)."""
    for key, value in (doc.given or {}).items():
        if key in GIVEN_FIELDS and value is not None:
            setattr(doc, key, value)
    for key, value in (doc.defaults or {}).items():
        if key in GIVEN_FIELDS and value is not None and not getattr(doc, key):
            setattr(doc, key, value)
    return doc


@dataclass(slots=True)
class Unchanged:
    """:func:`split_unchanged`'s verdict: the inputs to extract, the unchanged ones, and the fresh stamps of
    unchanged files whose stamp was not known (``(uri, raw_hash, stamp)``: record them for the next run)."""

    todo: list[str]
    unchanged: list[str]
    restamps: list[tuple[str, str, str]]


def split_unchanged(
    uris: list[str], known_raw_hashes: Mapping[str, str], known_stamps: Mapping[str, str] | None = None
) -> Unchanged:
    """A local file is unchanged when its stamp is the one recorded when this pipeline version loaded it
    (:func:`file_stamp`: one ``stat``, no read), or else when its bytes (gunzipped) hash to the input this
    source was last loaded from by this pipeline version. (A new source with the bytes of another is extracted:
    the load records it as one more source of that document.) Either is far cheaper than a batch's task run, so an unchanged corpus
    needs no extract task at all. URLs are left to extract (fetching twice would cost more than it saves),
    and so are unreadable or bad files (they get their reject there)."""
    out = Unchanged([], [], [])
    if not known_raw_hashes:
        out.todo = list(uris)
        return out
    known_stamps = known_stamps or {}
    for uri in uris:
        if not is_url(uri) and uri in known_raw_hashes:
            with contextlib.suppress(RejectedInput, OSError):
                if (stamp := known_stamps.get(uri)) is not None and stamp == file_stamp(os.stat(uri)):
                    out.unchanged.append(uri)
                    continue
                raw = read_file(uri)
                if (raw_hash := raw.raw_hash) == known_raw_hashes.get(uri):
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
def skip_unchanged(uris: list[str], known_raw_hashes: Mapping[str, str], known_stamps: Mapping[str, str]) -> Unchanged:
    return split_unchanged(uris, known_raw_hashes, known_stamps)


@task(name="extract", cache_policy=NO_CACHE, retries=3, retry_delay_seconds=[1, 4, 16], retry_condition_fn=is_transient)
def extract_batch(
    uris: list[str], known_raw_hashes: Mapping[str, str] | None = None, hints: Mapping[str, Mapping] | None = None
) -> Extracted:
    return extract_many(uris, known_raw_hashes, hints)
