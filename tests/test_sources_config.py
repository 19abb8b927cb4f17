"""``[fetch]`` in newsetl.toml: validated, and exported for the fetching code of a scheduled run."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from newsetl.sources import ConfigError, parse_config


def test_fetch_settings_are_validated_and_exported(monkeypatch):
    raw = {
        "sources": [{"name": "feeds", "uri": ["https://example.org/rss.xml", "crawl/*.warc.gz"]}],
        "fetch": {"user_agent": "newsetl (+mailto:ops@example.org)", "min_delay_s": 2, "per_host": 2, "robots": True},
    }
    cfg = parse_config(raw, Path("/etc/newsetl"))
    assert cfg.uris == ["https://example.org/rss.xml", "/etc/newsetl/crawl/*.warc.gz"]
    for name in ("NEWSETL_USER_AGENT", "NEWSETL_MIN_DELAY", "NEWSETL_ROBOTS"):
        monkeypatch.setenv(name, "")  # recorded, so that the test's settings go when it ends
        monkeypatch.delenv(name)
    monkeypatch.setenv("NEWSETL_PER_HOST", "1")  # the environment wins
    cfg.apply_fetch_settings()
    assert os.environ["NEWSETL_USER_AGENT"] == "newsetl (+mailto:ops@example.org)"
    assert (os.environ["NEWSETL_MIN_DELAY"], os.environ["NEWSETL_PER_HOST"], os.environ["NEWSETL_ROBOTS"]) == (
        "2",
        "1",
        "1",
    )


@pytest.mark.parametrize(
    "fetch",
    [{"per_host": 5}, {"min_delay_s": -1}, {"user_agent": ""}, {"robots": "yes"}, {"agent": "x"}, "fast"],
)
def test_bad_fetch_settings_are_refused(fetch):
    with pytest.raises(ConfigError):
        parse_config({"fetch": fetch}, Path("."))


def test_the_run_summary_counts_every_input_per_source(tmp_path):
    from newsetl.cli import render_summary
    from newsetl.config import Paths

    summary = {
        "run_id": "r1",
        "counts": {"seen": 9, "loaded": 3, "skipped": 2, "rejected": 1, "ignored": 3},
        "by_source": {
            "crawl.warc.gz": {"loaded": 3, "skipped": 0, "rejected": 0, "ignored": 3},
            "feed.xml": {"loaded": 0, "skipped": 2, "rejected": 1, "ignored": 0},
        },
        "languages": [("en", 3)],
        "top_entities": [],
        "rejects": [],
        "totals": {"documents": 3},
    }
    text = render_summary(summary, Paths.resolve(tmp_path))
    assert "9 seen, 3 loaded, 2 skipped (unchanged), 1 rejected, 3 ignored (not articles)" in text
    assert "crawl.warc.gz: 3 loaded, 0 skipped, 0 rejected, 3 ignored" in text
    assert "feed.xml: 0 loaded, 2 skipped, 1 rejected, 0 ignored" in text
