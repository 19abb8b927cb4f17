"""Polite HTTP: one ``httpx`` client per process, robots.txt per host, a per-host gate, conditional GET.

- **Who we are**: one user agent, with a contact (``NEWSETL_USER_AGENT``; ``[fetch] user_agent`` in newsetl.toml).
- **robots.txt** (``protego``): read once per host and kept ``NEWSETL_ROBOTS_TTL`` seconds (6 h; at most a day)
  in a file every process of the machine reads; a URL it disallows for our agent is
  a ``robots_disallowed`` reject. A robots.txt that answers 4xx allows everything; one that fails (5xx, network)
  disallows everything for now (RFC 9309), so the URL is rejected with a reason and retried by a later run.
- **Per-host gate**: at most ``NEWSETL_PER_HOST`` (1 or 2) requests to one host at a time, across every worker
  process of the machine (``fcntl`` locks on small files in ``NEWSETL_HOST_LOCKS``), each slot waiting at least
  ``NEWSETL_MIN_DELAY`` seconds (or the host's ``Crawl-delay``, up to a minute) after its previous request.
- **Conditional GET**: :func:`fetch` sends the ``ETag``/``Last-Modified`` it is given and reports a 304 as
  :class:`NotModified`; the validators of a 200 come back in :class:`Response` (the warehouse keeps them,
  ``warehouse.db.save_fetch_state``).
- **Safety, at every hop**: http(s) only, the host must not resolve to a private address (``check_host``),
  redirects followed by hand (at most 5, each hop checked), bodies read in a stream and cut at ``max_bytes``
  *after* decompression (a gzip bomb stops at the limit).
- :func:`canonical_url`: what a URL is stored and compared as.
"""

from __future__ import annotations

import contextlib
import fcntl
import os
import re
import tempfile
import time
import urllib.parse
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field

import httpx
from protego import Protego

from tasks.extract.errors import RejectedInput, TransientError

DEFAULT_USER_AGENT = "newsetl/0.3 (+https://github.com/newsetl/newsetl; set NEWSETL_USER_AGENT with your contact)"
MAX_REDIRECTS = 5
ROBOTS_TTL_S = 3600.0
MAX_CRAWL_DELAY_S = 60.0
TRACKING_PARAMS = {"fbclid", "gclid", "dclid", "msclkid", "mc_cid", "mc_eid", "igshid", "yclid", "_ga", "ref_src"}
DEFAULT_PORTS = {"http": 80, "https": 443}


def user_agent() -> str:
    return os.environ.get("NEWSETL_USER_AGENT") or DEFAULT_USER_AGENT


def min_delay_s() -> float:
    return float(os.environ.get("NEWSETL_MIN_DELAY", "1.0"))


def per_host() -> int:
    return max(1, min(2, int(os.environ.get("NEWSETL_PER_HOST", "1"))))


def robots_ttl_s() -> float:
    """How long a robots.txt is reused by the processes of this machine (RFC 9309: at most a day)."""
    return min(float(os.environ.get("NEWSETL_ROBOTS_TTL", 6 * 3600)), 24 * 3600)


def obey_robots() -> bool:
    return os.environ.get("NEWSETL_ROBOTS", "1") != "0"


def canonical_url(url: str) -> str:
    """Scheme and host lower-cased, the default port dropped, the fragment and tracking parameters (``utm_*``,
    ``fbclid``, ``gclid``...) removed, an empty path made ``/``; everything else kept as it was."""
    parts = urllib.parse.urlsplit(url.strip())
    scheme = parts.scheme.lower()
    host = (parts.hostname or "").lower()
    if ":" in host:  # IPv6
        host = f"[{host}]"
    try:
        port = parts.port
    except ValueError:
        port = None
    netloc = host if port in (None, DEFAULT_PORTS.get(scheme)) else f"{host}:{port}"
    if parts.username or parts.password:
        netloc = f"{parts.username or ''}{':' + parts.password if parts.password else ''}@{netloc}"
    query = "&".join(
        pair
        for pair in parts.query.split("&")
        if pair and not (key := pair.split("=", 1)[0].lower()).startswith("utm_") and key not in TRACKING_PARAMS
    )
    return urllib.parse.urlunsplit((scheme, netloc, parts.path or "/", query, ""))


CANONICAL_RE = re.compile(rb"<link\b[^>]*\brel\s*=\s*[\"']?canonical\b[^>]*>", re.IGNORECASE)
HREF_RE = re.compile(rb"\bhref\s*=\s*(?:\"([^\"]*)\"|'([^']*)'|([^\s>]+))", re.IGNORECASE)


def canonical_link(data: bytes, base: str) -> str | None:
    """The page's ``<link rel=canonical href=...>`` (absolute, canonicalised), if it has one."""
    m = CANONICAL_RE.search(data[:200_000])
    if not m or not (h := HREF_RE.search(m.group(0))):
        return None
    href = next(g for g in h.groups() if g is not None).decode("utf-8", "replace").strip()
    url = urllib.parse.urljoin(base, href)
    return canonical_url(url) if urllib.parse.urlsplit(url).scheme in ("http", "https") else None


@dataclass(slots=True)
class Response:
    url: str  # after redirects
    status: int
    data: bytes
    content_type: str
    etag: str | None = None
    last_modified: str | None = None


class NotModified(Exception):  # noqa: N818 - an outcome, not an error
    """The server answered 304 to a conditional GET: the resource is unchanged."""


@dataclass
class Fetcher:
    """What every request of this process shares: the client, the robots.txt cache, the settings."""

    check_host: Callable[[str], None]
    timeout_s: float = 20.0
    max_bytes: int = 20 * 1024 * 1024
    client: httpx.Client | None = None
    robots: dict[str, tuple[float, Protego | None, str]] = field(default_factory=dict)

    def _client(self) -> httpx.Client:
        if self.client is None:
            self.client = httpx.Client(follow_redirects=False, trust_env=False, http2=False)
        return self.client

    def fetch(self, url: str, etag: str | None = None, last_modified: str | None = None) -> Response:
        """GET ``url`` politely and safely (see the module docstring). A 304 raises :class:`NotModified`; 4xx is
        a :class:`RejectedInput`, 5xx/429/timeouts a :class:`TransientError`."""
        headers = {"User-Agent": user_agent(), "Accept-Encoding": "gzip, deflate"}
        if etag:
            headers["If-None-Match"] = etag
        if last_modified:
            headers["If-Modified-Since"] = last_modified
        self._check(url)  # before robots.txt: a forbidden host is not asked for anything
        self.allowed(url)
        for _hop in range(MAX_REDIRECTS + 1):
            self._check(url)
            with host_gate(url, self.crawl_delay(url)):
                resp = self._get(url, headers)
            if resp.status in (301, 302, 303, 307, 308):
                location = resp.content_type  # _get puts the Location header there for redirects
                if not location:
                    raise RejectedInput("bad_redirect", f"HTTP {resp.status} without a Location")
                url = urllib.parse.urljoin(url, location)
                if urllib.parse.urlsplit(url).scheme.lower() not in ("http", "https"):
                    raise RejectedInput("bad_redirect", f"redirect to {url}")
                continue
            if resp.status == 304:
                raise NotModified(url)
            return resp
        raise RejectedInput("bad_redirect", f"more than {MAX_REDIRECTS} redirects")

    def _check(self, url: str) -> None:
        if urllib.parse.urlsplit(url).scheme.lower() not in ("http", "https"):
            raise RejectedInput("unsupported_scheme", f"{url}: only http(s) URLs are read")
        self.check_host(url)

    def _get(self, url: str, headers: dict[str, str]) -> Response:
        try:
            with self._client().stream("GET", url, headers=headers, timeout=self.timeout_s) as r:
                if r.status_code in (301, 302, 303, 307, 308):
                    return Response(url, r.status_code, b"", r.headers.get("Location", ""))
                if r.status_code == 304:
                    return Response(url, 304, b"", "")
                if r.status_code in (408, 425, 429) or r.status_code >= 500:
                    raise TransientError(f"HTTP {r.status_code} from {url}")
                if r.status_code >= 400:
                    raise RejectedInput("http_error", f"HTTP {r.status_code} {r.reason_phrase}")
                length = r.headers.get("Content-Length", "")
                if length.isdigit() and int(length) > self.max_bytes and "content-encoding" not in r.headers:
                    raise RejectedInput("too_large", f"Content-Length {length} > limit {self.max_bytes}")
                chunks, size = [], 0
                for chunk in r.iter_bytes():  # decompressed: the limit holds for what the body expands to
                    size += len(chunk)
                    if size > self.max_bytes:
                        raise RejectedInput("too_large", f"more than {self.max_bytes} bytes (NEWSETL_MAX_BYTES)")
                    chunks.append(chunk)
                return Response(
                    url,
                    r.status_code,
                    b"".join(chunks),
                    r.headers.get("Content-Type", "").lower(),
                    r.headers.get("ETag"),
                    r.headers.get("Last-Modified"),
                )
        except httpx.DecodingError as exc:
            raise RejectedInput("undecodable", f"bad Content-Encoding: {exc}") from exc
        except (httpx.TimeoutException, httpx.NetworkError, httpx.RemoteProtocolError) as exc:
            raise TransientError(f"{url}: {type(exc).__name__}: {exc}") from exc

    # robots.txt -------------------------------------------------------------------------------------------------

    def _robots(self, url: str) -> Protego | None:
        """The host's parsed robots.txt (None: allow all), fetched once per host per hour; raises RejectedInput
        when it cannot be read (RFC 9309: a server error means 'disallow all' for now)."""
        parts = urllib.parse.urlsplit(url)
        origin = f"{parts.scheme.lower()}://{parts.netloc.lower()}"
        cached = self.robots.get(origin)
        if cached is not None and time.monotonic() - cached[0] < ROBOTS_TTL_S:
            if cached[2]:
                raise RejectedInput("robots_unavailable", cached[2])
            return cached[1]
        robots, error = None, ""
        shared = os.path.join(_lock_dir(), _host_key(origin) + ".robots")  # read by every process of the machine
        try:
            if time.time() - os.path.getmtime(shared) < robots_ttl_s():
                with open(shared, encoding="utf-8") as f:
                    text = f.read()
                robots = Protego.parse(text) if text else None
                self.robots[origin] = (time.monotonic(), robots, "")
                return robots
        except OSError:
            pass
        text = ""
        try:
            self._check(origin)
            with host_gate(origin, 0.0):
                resp = self._get(origin + "/robots.txt", {"User-Agent": user_agent()})
            if resp.status == 200:
                text = resp.data.decode("utf-8", "replace")
                robots = Protego.parse(text)
        except RejectedInput as exc:
            if exc.reason not in ("http_error", "too_large"):  # 4xx: no rules
                error = f"{origin}/robots.txt: {exc.detail}"
        except TransientError as exc:
            error = f"{origin}/robots.txt could not be read ({exc}): disallowed until it can"
        if not error:  # rules (or their absence) are shared; a failure is retried by the next process
            with contextlib.suppress(OSError):
                with open(shared + ".tmp", "w", encoding="utf-8") as f:
                    f.write(text)
                os.replace(shared + ".tmp", shared)
        self.robots[origin] = (time.monotonic(), robots, error)
        if error:
            raise RejectedInput("robots_unavailable", error)
        return robots

    def allowed(self, url: str) -> None:
        if not obey_robots():
            return
        robots = self._robots(url)
        if robots is not None and not robots.can_fetch(url, user_agent()):
            raise RejectedInput("robots_disallowed", f"robots.txt disallows {url} for {user_agent()!r}")

    def crawl_delay(self, url: str) -> float:
        delay = min_delay_s()
        if obey_robots():
            with contextlib.suppress(RejectedInput):
                robots = self._robots(url)
                if robots is not None and (asked := robots.crawl_delay(user_agent())):
                    delay = max(delay, min(float(asked), MAX_CRAWL_DELAY_S))
        return delay


def _lock_dir() -> str:
    path = os.environ.get("NEWSETL_HOST_LOCKS") or os.path.join(tempfile.gettempdir(), "newsetl-hosts")
    os.makedirs(path, exist_ok=True)
    return path


def _host_key(url: str) -> str:
    """A file name for a URL's host and port."""
    parts = urllib.parse.urlsplit(url)
    host = (parts.hostname or "unknown").lower()
    return "".join(ch if ch.isalnum() or ch in ".-" else "_" for ch in f"{host}_{parts.port or 0}")


@contextlib.contextmanager
def host_gate(url: str, delay_s: float) -> Iterator[None]:
    """Hold one of the host's :func:`per_host` slots (shared by every process of the machine) for one request,
    started no sooner than ``delay_s`` after the slot's previous request ended."""
    name = _host_key(url)
    slots = [os.path.join(_lock_dir(), f"{name}.{i}") for i in range(per_host())]
    while True:
        for path in slots:
            f = open(path, "a+")  # noqa: SIM115 - closed below
            try:
                fcntl.flock(f, fcntl.LOCK_EX | fcntl.LOCK_NB)
            except BlockingIOError:
                f.close()
                continue
            try:
                f.seek(0)
                try:
                    last = float(f.read() or 0)
                except ValueError:  # a slot file cut by a crash: no previous request known
                    last = 0.0
                wait = last + delay_s - time.time()
                if wait > 0:
                    time.sleep(wait)
                yield
            finally:
                f.seek(0)
                f.truncate()
                f.write(repr(time.time()))
                f.flush()
                fcntl.flock(f, fcntl.LOCK_UN)
                f.close()
            return
        time.sleep(0.05)
