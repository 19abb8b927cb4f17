"""Sources configured in a TOML file, for scheduled runs (``newsetl serve``, ``prefect deploy``).

The file (``newsetl.toml``; see the example at the repository root) looks like::

    data_dir = "data"          # lake + DuckDB; relative paths are relative to this file
    batch_size = 100           # documents per batch task
    workers = 4                # optional: worker processes of scheduled ingests (default: all cores)

    [[sources]]
    name = "seeds"
    uri = "seeds/corpus"       # one string or a list: files, directories, globs, http(s) URLs

    [[sources]]
    name = "wire"
    uri = ["/srv/news/wire/**/*.html", "https://example.org/feed/today.html"]
    enabled = false            # optional; disabled sources are ignored

    [[sources]]                # feeds, sitemaps, WARC and record files: recognised by content and extension
    name = "example-feed"
    uri = ["https://example.org/rss.xml", "https://example.org/sitemap.xml", "/srv/crawl/*.warc.gz"]

    [fetch]                    # optional; politeness of HTTP fetches (docs/SOURCES.md)
    user_agent = "newsetl (+mailto:news-etl@example.org)"
    min_delay_s = 1.0          # per host, between two requests of one slot
    per_host = 1               # requests to one host at a time (1 or 2)
    timeout_s = 20
    robots = true              # honour robots.txt

    [schedule]                 # optional; these are the defaults
    ingest_cron = "0 * * * *"
    maintenance_cron = "30 3 * * *"
    timezone = "UTC"

    [maintenance]              # optional; these are the defaults
    keep_runs_days = 90
    compact_target_rows = 200000

Where the file is: the ``path`` argument, else ``$NEWSETL_CONFIG``, else ``./newsetl.toml`` in the
working directory. Without a file the defaults apply and the sources are empty, which the ingest flow
reads as "the bundled seeds". A path given explicitly (argument or ``$NEWSETL_CONFIG``) must exist.

Local paths and globs may use ``~`` and ``$VARS``; relative ones are resolved against the directory
of the config file, so the config means the same thing whatever the working directory of the worker.
The data dir is chosen as: explicit argument > ``$NEWSETL_DATA_DIR`` > ``data_dir`` here > ``./data``.
"""

from __future__ import annotations

import os
import tomllib
from dataclasses import dataclass, field
from pathlib import Path

CONFIG_ENV = "NEWSETL_CONFIG"
DEFAULT_CONFIG_NAME = "newsetl.toml"
DEFAULT_INGEST_CRON = "0 * * * *"
DEFAULT_MAINTENANCE_CRON = "30 3 * * *"


class ConfigError(ValueError):
    """The config file is missing (when named explicitly) or malformed."""


@dataclass(frozen=True, slots=True)
class Source:
    name: str
    uris: tuple[str, ...]
    enabled: bool = True


FETCH_ENV = {  # [fetch] key -> the environment variable tasks/extract reads (a variable already set wins)
    "user_agent": "NEWSETL_USER_AGENT",
    "min_delay_s": "NEWSETL_MIN_DELAY",
    "per_host": "NEWSETL_PER_HOST",
    "timeout_s": "NEWSETL_HTTP_TIMEOUT",
    "robots": "NEWSETL_ROBOTS",
}


@dataclass(frozen=True, slots=True)
class Config:
    sources: tuple[Source, ...] = ()
    data_dir: str | None = None
    lake: str | None = None
    batch_size: int = 100
    workers: int | None = None
    ingest_cron: str = DEFAULT_INGEST_CRON
    maintenance_cron: str = DEFAULT_MAINTENANCE_CRON
    timezone: str = "UTC"
    keep_runs_days: int = 90
    compact_target_rows: int = 200_000
    fetch: tuple[tuple[str, str], ...] = ()  # [fetch] settings as (environment variable, value)
    path: Path | None = field(default=None, compare=False)

    def apply_fetch_settings(self) -> None:
        """Export the ``[fetch]`` settings for the fetching code (and the worker processes it starts); a
        variable already set in the environment wins."""
        for name, value in self.fetch:
            os.environ.setdefault(name, value)

    @property
    def uris(self) -> list[str]:
        """Every URI of the enabled sources, in file order, without repeats."""
        return list(dict.fromkeys(u for s in self.sources if s.enabled for u in s.uris))

    def resolve_data_dir(self, data_dir: str | os.PathLike | None = None) -> str | None:
        """Explicit argument > ``$NEWSETL_DATA_DIR`` > this file's ``data_dir`` (None: ``Paths`` default)."""
        return str(data_dir or os.environ.get("NEWSETL_DATA_DIR") or self.data_dir or "") or None

    def resolve_lake(self, lake: str | None = None) -> str | None:
        """Explicit argument > ``$NEWSETL_LAKE`` > this file's ``lake`` (None: ``<data_dir>/lake``)."""
        return lake or os.environ.get("NEWSETL_LAKE") or self.lake


def config_path(path: str | os.PathLike | None = None) -> tuple[Path, bool]:
    """The config file to read and whether it was named explicitly (argument or ``$NEWSETL_CONFIG``)."""
    if path:
        return Path(path).expanduser().absolute(), True
    if env := os.environ.get(CONFIG_ENV):
        return Path(env).expanduser().absolute(), True
    return (Path.cwd() / DEFAULT_CONFIG_NAME).absolute(), False


def _is_url(uri: str) -> bool:
    return "://" in uri


def _resolve(uri: str, base: Path) -> str:
    if _is_url(uri):
        return uri
    p = Path(os.path.expandvars(uri)).expanduser()
    return str(p if p.is_absolute() else base / p)


def _positive_int(raw: dict, key: str, default: int) -> int:
    value = raw.get(key, default)
    if not isinstance(value, int) or isinstance(value, bool) or value <= 0:
        raise ConfigError(f"{key} must be a positive integer, not {value!r}")
    return value


def parse_config(raw: dict, base: Path, path: Path | None = None) -> Config:
    """Validate a parsed TOML document; relative local URIs and data_dir are resolved against ``base``."""
    unknown = set(raw) - {"sources", "data_dir", "lake", "batch_size", "workers", "schedule", "maintenance", "fetch"}
    if unknown:
        raise ConfigError(f"unknown keys in {path or 'config'}: {', '.join(sorted(unknown))}")
    sources: list[Source] = []
    names: set[str] = set()
    entries = raw.get("sources", [])
    if not isinstance(entries, list):
        raise ConfigError("sources must be an array of tables: [[sources]] name = ..., uri = ...")
    for i, entry in enumerate(entries):
        if not isinstance(entry, dict):
            raise ConfigError(f"sources[{i}] must be a table")
        name = entry.get("name") or f"source-{i + 1}"
        uri = entry.get("uri", entry.get("uris"))
        uris = [uri] if isinstance(uri, str) else uri
        if not uris or not isinstance(uris, list) or not all(isinstance(u, str) and u.strip() for u in uris):
            raise ConfigError(f"source {name!r}: uri must be a non-empty string or list of strings")
        if name in names:
            raise ConfigError(f"source {name!r} is defined twice")
        names.add(name)
        enabled = entry.get("enabled", True)
        if not isinstance(enabled, bool):
            raise ConfigError(f"source {name!r}: enabled must be true or false")
        sources.append(Source(name, tuple(_resolve(u.strip(), base) for u in uris), enabled))
    data_dir = raw.get("data_dir")
    if data_dir is not None and (not isinstance(data_dir, str) or not data_dir):
        raise ConfigError("data_dir must be a non-empty string")
    lake = raw.get("lake")
    if lake is not None and (not isinstance(lake, str) or not lake):
        raise ConfigError("lake must be a non-empty string (a path or an fsspec URL such as s3://bucket/lake)")
    schedule = raw.get("schedule", {})
    maintenance = raw.get("maintenance", {})
    fetch = _fetch_settings(raw.get("fetch", {}))
    return Config(
        sources=tuple(sources),
        data_dir=_resolve(data_dir, base) if data_dir else None,
        lake=_resolve(lake, base) if lake else None,
        batch_size=_positive_int(raw, "batch_size", 100),
        workers=_positive_int(raw, "workers", 1) if "workers" in raw else None,
        ingest_cron=str(schedule.get("ingest_cron", DEFAULT_INGEST_CRON)),
        maintenance_cron=str(schedule.get("maintenance_cron", DEFAULT_MAINTENANCE_CRON)),
        timezone=str(schedule.get("timezone", "UTC")),
        keep_runs_days=_positive_int(maintenance, "keep_runs_days", 90),
        compact_target_rows=_positive_int(maintenance, "compact_target_rows", 200_000),
        fetch=fetch,
        path=path,
    )


def _fetch_settings(raw: object) -> tuple[tuple[str, str], ...]:
    if not isinstance(raw, dict):
        raise ConfigError("[fetch] must be a table")
    if unknown := set(raw) - set(FETCH_ENV):
        raise ConfigError(f"unknown keys in [fetch]: {', '.join(sorted(unknown))}")
    out = []
    for key, value in raw.items():
        if key == "user_agent" and not (isinstance(value, str) and value.strip()):
            raise ConfigError("[fetch] user_agent must be a non-empty string (with a contact: URL or e-mail)")
        if key == "per_host" and value not in (1, 2):
            raise ConfigError("[fetch] per_host must be 1 or 2")
        if key in ("min_delay_s", "timeout_s") and (
            not isinstance(value, int | float) or isinstance(value, bool) or value < 0
        ):
            raise ConfigError(f"[fetch] {key} must be a number of seconds >= 0")
        if key == "robots" and not isinstance(value, bool):
            raise ConfigError("[fetch] robots must be true or false")
        text = ("1" if value else "0") if isinstance(value, bool) else str(value).strip()
        out.append((FETCH_ENV[key], text))
    return tuple(out)


def load_config(path: str | os.PathLike | None = None) -> Config:
    """Read the config file (see the module docstring for where it is looked for)."""
    file, explicit = config_path(path)
    if not file.exists():
        if explicit:
            raise ConfigError(f"config file {file} does not exist")
        return Config()
    try:
        raw = tomllib.loads(file.read_text(encoding="utf-8"))
    except tomllib.TOMLDecodeError as exc:
        raise ConfigError(f"{file}: {exc}") from exc
    return parse_config(raw, file.parent, file)


def load_sources(path: str | os.PathLike | None = None) -> list[str]:
    """The URIs of the enabled sources of the config file (empty: the ingest flow uses the seeds)."""
    return load_config(path).uris
