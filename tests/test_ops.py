"""Operations: lake compaction (rows kept, crash recovery, superseded batches), run retention, the
maintenance flow on a real ingested warehouse, the sources config, the views, the HTML and run reports."""

from __future__ import annotations

import argparse
import hashlib
import re
import shutil
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pyarrow.parquet as pq
import pytest

from newsetl.lake import Lake
from tasks import load, maintain
from warehouse import db
from warehouse import maintenance as wm

DATA_TABLES = (*db.DOC_TABLES, "entities", "entity_aliases", "rejects")
NOW = datetime(2026, 1, 15, 12, tzinfo=UTC)


# --- a small synthetic warehouse, loaded by the real loader ---------------------------------------------


def add_batch(data: Path, doc_ids: list[str], run_id: str, title: str = "t", rejects: tuple[str, ...] = ()) -> str:
    """Write and load one batch like the ingest flow does; returns its batch key."""
    key = hashlib.sha256("\0".join(sorted(doc_ids + [f"reject:{r}" for r in rejects])).encode()).hexdigest()[:20]
    rows: dict[str, list[dict]] = {name: [] for name in load.SCHEMAS}
    for i, doc_id in enumerate(doc_ids):
        text = f"{title} {doc_id} Ankara Paris."
        rows["documents"].append(
            {
                "doc_id": doc_id, "source_uri": f"/corpus/{doc_id}.txt", "title": title, "published_at": NOW,
                "site": "example.org", "author": None, "lang": "tr" if i % 2 else "fr", "lang_score": 0.9,
                "text": text, "content_hash": doc_id * 4, "raw_hash": doc_id * 4, "media_type": "text",
                "n_chars": len(text), "n_sentences": 1, "n_mentions": 2, "fetched_at": NOW,
                "pipeline_version": "test", "batch_key": key, "run_id": run_id, "loaded_at": NOW,
            }
        )  # fmt: skip
        rows["blocks"].append({"doc_id": doc_id, "block_idx": 0, "kind": "body", "text": text})
        rows["sentences"].append(
            {"doc_id": doc_id, "sent_idx": 0, "start_char": 0, "end_char": len(text), "text": text, "lang": "fr", "lang_score": 0.9}
        )  # fmt: skip
        for ent, start in (("geo:ankara", len(text) - 13), ("geo:paris", len(text) - 6)):
            rows["mentions"].append(
                {"doc_id": doc_id, "sent_idx": 0, "start_char": start, "end_char": start + 5, "surface": ent[4:],
                 "label": "LOC", "entity_id": ent, "score": 1.0}
            )  # fmt: skip
    rows["rejects"] = [
        {"source_uri": r, "reason": "empty", "detail": "0 bytes", "run_id": run_id, "rejected_at": NOW} for r in rejects
    ]
    files = load.write_lake(rows, Lake.of(data / "lake"), key)
    db.load_batch(data / "newsetl.duckdb", files, key, run_id)
    return key


@pytest.fixture
def lake(tmp_path):
    data = tmp_path / "data"
    keys = [add_batch(data, [f"{i:02d}a", f"{i:02d}b"], "run-1") for i in range(5)]
    keys.append(add_batch(data, ["99a"], "run-2", rejects=("/corpus/empty.txt",)))
    return {"data": data, "lake": data / "lake", "db": data / "newsetl.duckdb", "keys": keys}


def lake_rows(lake_dir: Path) -> dict[str, list[str]]:
    """Every row of every lake table, as a sorted multiset."""
    out = {}
    for table in maintain.lake_tables(Lake.of(lake_dir)):
        rows = [
            repr(sorted(r.items())) for p in (lake_dir / table).glob("*.parquet") for r in pq.read_table(p).to_pylist()
        ]
        out[table] = sorted(rows)
    return out


def warehouse_rows(db_path: Path) -> dict[str, list[tuple]]:
    out = {t: sorted(map(repr, db.query(db_path, f"select * from {t}")[1])) for t in DATA_TABLES + ("runs",)}
    out["batches"] = sorted(
        map(repr, db.query(db_path, "select * from batches where batch_key not like 'compact-%'")[1])
    )
    return out


def compact_all(lake: dict, target_rows: int = 200_000) -> dict[str, dict]:
    lk = Lake.of(lake["lake"])
    return {
        t: maintain.compact_table(lk, t, lake["db"], "maintenance:test", target_rows) for t in maintain.lake_tables(lk)
    }


def parquet_files(lake_dir: Path) -> list[str]:
    return sorted(str(p.relative_to(lake_dir)) for p in lake_dir.glob("*/*.parquet"))


# --- compaction ---------------------------------------------------------------------------------------------


def test_compaction_keeps_every_row_and_duckdb_identical(lake):
    rows, wh = lake_rows(lake["lake"]), warehouse_rows(lake["db"])
    assert len(list((lake["lake"] / "documents").glob("*.parquet"))) == 6
    stats = compact_all(lake)
    assert stats["documents"]["files_before"] == 6 and stats["documents"]["files_after"] == 1
    assert lake_rows(lake["lake"]) == rows
    assert warehouse_rows(lake["db"]) == wh
    assert maintain.check_lake(Lake.of(lake["lake"]), lake["db"]) == []
    files = parquet_files(lake["lake"])
    # one file per table; a table with a single batch file (rejects) has nothing to compact
    assert [f.split("/")[0] for f in files] == ["blocks", "documents", "mentions", "rejects", "sentences"], files
    assert all(re.fullmatch(r"[a-z_]+/compact-[0-9a-f]{20}\.parquet", f) for f in files if "rejects" not in f)
    # the compacted files are registered, so the ingest flow's orphan sweep keeps them
    assert load.remove_orphans(Lake.of(lake["lake"]), lake["db"]) == []
    # a compacted file says which batches it holds; every document's batch is one of them
    members = {
        m.key
        for m in maintain.members_of(Lake.of(lake["lake"]), str(next((lake["lake"] / "documents").glob("*.parquet"))))
    }
    assert members == set(lake["keys"])
    # idempotent
    compact_all(lake)
    assert parquet_files(lake["lake"]) == files
    # and the next batch is folded into the existing (small) compacted file
    add_batch(lake["data"], ["50a"], "run-3")
    rows = lake_rows(lake["lake"])
    compact_all(lake)
    assert lake_rows(lake["lake"]) == rows
    assert len(list((lake["lake"] / "documents").glob("*.parquet"))) == 1
    assert maintain.check_lake(Lake.of(lake["lake"]), lake["db"]) == []


def test_compaction_respects_target_rows(lake):
    rows = lake_rows(lake["lake"])
    compact_all(lake, target_rows=4)
    assert lake_rows(lake["lake"]) == rows
    sizes = [pq.read_metadata(p).num_rows for p in (lake["lake"] / "mentions").glob("*.parquet")]
    assert sum(sizes) == 22 and max(sizes) <= 4 and len(sizes) < 11
    assert maintain.check_lake(Lake.of(lake["lake"]), lake["db"]) == []


def test_crash_after_compaction_before_deleting_originals(lake, tmp_path):
    rows = lake_rows(lake["lake"])
    saved = tmp_path / "saved"
    shutil.copytree(lake["lake"], saved)
    compact_all(lake)
    for path in saved.glob("*/*.parquet"):  # the originals are back: as if deletion never happened
        shutil.copy2(path, lake["lake"] / path.parent.name / path.name)
    assert any("is in" in p for p in maintain.check_lake(Lake.of(lake["lake"]), lake["db"]))
    stats = compact_all(lake)
    assert stats["documents"]["leftover_deleted"] == 6
    assert lake_rows(lake["lake"]) == rows
    assert maintain.check_lake(Lake.of(lake["lake"]), lake["db"]) == []


@pytest.mark.parametrize("sweep", ["ingest", "compaction"])
def test_crash_before_registering_leaves_an_orphan(lake, monkeypatch, sweep):
    rows, wh = lake_rows(lake["lake"]), warehouse_rows(lake["db"])

    def crash(*args, **kwargs):
        raise KeyboardInterrupt("power cut")

    monkeypatch.setattr(wm, "register_compact", crash)
    with pytest.raises(KeyboardInterrupt):
        maintain.compact_table(Lake.of(lake["lake"]), "documents", lake["db"], "maintenance:test")
    assert len(list((lake["lake"] / "documents").glob("compact-*.parquet"))) == 1
    monkeypatch.undo()
    if sweep == "compaction":  # the next compaction deletes it itself ...
        assert maintain.compact_table(Lake.of(lake["lake"]), "documents", lake["db"], "m", 1)["leftover_deleted"] == 1
        assert lake_rows(lake["lake"]) == rows
        return
    removed = load.remove_orphans(Lake.of(lake["lake"]), lake["db"])  # ... and so does the next ingest, first thing
    assert [Path(p).name.startswith("compact-") for p in removed] == [True]
    assert lake_rows(lake["lake"]) == rows
    assert warehouse_rows(lake["db"]) == wh


def test_a_rewritten_batch_supersedes_its_compacted_rows(lake):
    compact_all(lake)
    key = add_batch(lake["data"], ["00a", "00b"], "run-9", title="corrected")  # same batch, new content
    assert key == lake["keys"][0]
    assert (lake["lake"] / "documents" / f"{key}.parquet").exists()
    stats = compact_all(lake)
    assert stats["documents"]["stale_rows_dropped"] == 2
    docs = [r for p in (lake["lake"] / "documents").glob("*.parquet") for r in pq.read_table(p).to_pylist()]
    assert sorted(d["doc_id"] for d in docs) == sorted(["00a", "00b", "01a", "01b", "02a", "02b", "03a", "03b", "04a", "04b", "99a"])  # fmt: skip
    assert {d["title"] for d in docs if d["doc_id"].startswith("00")} == {"corrected"}
    assert maintain.check_lake(Lake.of(lake["lake"]), lake["db"]) == []


# --- retention ---------------------------------------------------------------------------------------------


def test_prune_runs_keeps_recent_and_referenced_runs(lake):
    old = NOW - timedelta(days=200)
    for run_id, started in (("run-1", old), ("run-2", old), ("run-old", old), ("run-new", NOW), ("run-x", old)):
        db.record_run(lake["db"], {"run_id": run_id, "started_at": started, "status": "completed"})
    deleted = wm.prune_runs(lake["db"], keep_days=30, now=NOW + timedelta(days=1))
    assert sorted(deleted) == ["run-old", "run-x"]  # run-1 has documents, run-2 a reject, run-new is recent
    left = [r[0] for r in db.query(lake["db"], "select run_id from runs order by run_id")[1]]
    assert left == ["run-1", "run-2", "run-new"]
    assert wm.prune_runs(lake["db"], keep_days=30, now=NOW + timedelta(days=1)) == []


# --- the flow on a real ingest -------------------------------------------------------------------------------


@pytest.fixture
def seeded_copy(seeded, tmp_path):
    data = tmp_path / "data"
    shutil.copytree(seeded["data_dir"], data, ignore=shutil.ignore_patterns(".run.lock"))
    return data


def test_maintenance_flow_on_ingested_warehouse(seeded_copy, monkeypatch, tmp_path):
    from flows.maintenance import maintenance

    monkeypatch.setenv("NEWSETL_CONFIG", str(tmp_path / "none.toml"))
    (tmp_path / "none.toml").write_text("[maintenance]\nkeep_runs_days = 30\n")
    lake_dir, db_path = seeded_copy / "lake", seeded_copy / "newsetl.duckdb"
    db.record_run(db_path, {"run_id": "ancient", "started_at": NOW - timedelta(days=400), "status": "failed"})
    rows, wh = lake_rows(lake_dir), warehouse_rows(db_path)
    n_files = len(parquet_files(lake_dir))
    result = maintenance(data_dir=str(seeded_copy))
    assert result["pruned_runs"] == ["ancient"]
    assert result["checkpoint"]["wal_after"] == 0
    assert len(parquet_files(lake_dir)) < n_files
    assert lake_rows(lake_dir) == rows
    after = warehouse_rows(db_path)
    assert after["runs"] == [r for r in wh["runs"] if "'ancient'" not in r]
    assert {k: v for k, v in after.items() if k != "runs"} == {k: v for k, v in wh.items() if k != "runs"}
    assert maintain.check_lake(Lake.of(lake_dir), db_path) == []
    assert load.remove_orphans(Lake.of(lake_dir), db_path) == []


# --- sources config -------------------------------------------------------------------------------------------


def test_sources_config(tmp_path, monkeypatch):
    from newsetl.sources import ConfigError, load_config, load_sources

    conf = tmp_path / "etc" / "newsetl.toml"
    conf.parent.mkdir()
    conf.write_text(
        """
data_dir = "../warehouse"
batch_size = 25
workers = 2
[[sources]]
name = "local"
uri = "corpus"
[[sources]]
name = "wire"
uri = ["/srv/wire/*.html", "https://example.org/a.html", "~/news"]
[[sources]]
name = "off"
uri = "/nowhere"
enabled = false
[schedule]
ingest_cron = "*/15 * * * *"
[maintenance]
keep_runs_days = 7
"""
    )
    cfg = load_config(conf)
    assert cfg.uris == [
        str(conf.parent / "corpus"),
        "/srv/wire/*.html",
        "https://example.org/a.html",
        str(Path.home() / "news"),
    ]
    assert cfg.batch_size == 25 and cfg.workers == 2 and cfg.ingest_cron == "*/15 * * * *" and cfg.keep_runs_days == 7
    assert cfg.maintenance_cron == "30 3 * * *"
    monkeypatch.delenv("NEWSETL_DATA_DIR", raising=False)
    assert cfg.resolve_data_dir() == str(conf.parent / ".." / "warehouse")
    assert cfg.resolve_data_dir("/x") == "/x"
    monkeypatch.setenv("NEWSETL_DATA_DIR", "/env")
    assert cfg.resolve_data_dir() == "/env"
    # NEWSETL_CONFIG names the file; without it, ./newsetl.toml; without that, defaults (the seeds)
    monkeypatch.setenv("NEWSETL_CONFIG", str(conf))
    assert load_sources() == cfg.uris
    monkeypatch.delenv("NEWSETL_CONFIG")
    monkeypatch.chdir(tmp_path)
    assert load_sources() == [] and load_config().batch_size == 100 and load_config().workers is None
    monkeypatch.setenv("NEWSETL_CONFIG", str(tmp_path / "missing.toml"))
    with pytest.raises(ConfigError, match="does not exist"):
        load_config()
    for bad in (
        "batch_size = 0\n",
        "workers = -1\n",
        '[[sources]]\nname = "a"\n',
        "sorces = 1\n",
        "[[sources]]\nuri = 3\n",
        "x = [",
    ):
        conf.write_text(bad)
        with pytest.raises(ConfigError):
            load_config(conf)


def test_repository_example_config_is_valid():
    from newsetl.config import REPO_ROOT
    from newsetl.sources import load_config

    cfg = load_config(REPO_ROOT / "newsetl.toml")
    assert cfg.uris == [str(REPO_ROOT / "seeds" / "corpus")]
    assert cfg.data_dir == str(REPO_ROOT / "data")


def test_serve_builds_both_scheduled_deployments(tmp_path):
    from flows.serve import deployments

    conf = tmp_path / "newsetl.toml"
    conf.write_text('[[sources]]\nuri = "x"\n[schedule]\nmaintenance_cron = "0 2 * * *"\ntimezone = "Europe/Paris"\n')
    hourly, nightly = deployments(conf)
    assert (hourly.name, nightly.name) == ("ingest-hourly", "maintenance-nightly")
    assert hourly.schedules[0].schedule.cron == "0 * * * *"
    assert nightly.schedules[0].schedule.cron == "0 2 * * *"
    assert nightly.schedules[0].schedule.timezone == "Europe/Paris"
    assert hourly.parameters == nightly.parameters == {"config": str(conf)}
    assert hourly.entrypoint.endswith("flows/serve.py:scheduled_ingest")
    assert nightly.entrypoint.endswith("flows/maintenance.py:maintenance")


def test_prefect_yaml_declares_both_deployments():
    import yaml

    from newsetl.config import REPO_ROOT

    spec = yaml.safe_load((REPO_ROOT / "prefect.yaml").read_text())
    by_name = {d["name"]: d for d in spec["deployments"]}
    assert by_name["ingest-hourly"]["entrypoint"] == "flows/serve.py:scheduled_ingest"
    assert by_name["maintenance-nightly"]["entrypoint"] == "flows/maintenance.py:maintenance"
    for d in by_name.values():
        path, name = d["entrypoint"].split(":")
        assert (REPO_ROOT / path).exists() and f"def {name}(" in (REPO_ROOT / path).read_text()
        assert d["schedules"][0]["cron"] and d["work_pool"]["name"] == "newsetl"


# --- views and reports ------------------------------------------------------------------------------------------


def test_analyst_views(seeded, sql):
    n_docs = sql("select count(*) from documents")[0][0]
    assert sql("select sum(n_documents) from daily_volume")[0][0] == n_docs
    assert (
        sql("select count(*) from entity_profile")[0][0]
        == sql("select count(distinct entity_id) from mentions where entity_id is not null")[0][0]
    )
    assert sql("select count(*) from who_met_whom where person_a >= person_b")[0][0] == 0
    assert (
        sql(
            """select count(*) from who_met_whom w join entities a on a.entity_id = w.person_a
        join entities b on b.entity_id = w.person_b where a.label <> 'PER' or b.label <> 'PER'"""
        )[0][0]
        == 0
    )
    assert (
        sql("select count(distinct entity_id) from new_entities_per_run")[0][0]
        == sql("select count(*) from entity_profile")[0][0]
    )
    run = sql("select run_id, n_documents_now, status from run_history")
    assert run and run[0][1] == n_docs and run[0][2] == "completed"


def test_html_report_is_self_contained(seeded, tmp_path):
    from newsetl.report import build_report

    out = build_report(seeded["db"], tmp_path / "r" / "report.html")
    page = out.read_text()
    for chart in ("timeline-chart", "language-chart", "network-chart"):
        assert f'<svg class="chart" id="{chart}"' in page
    assert page.count("<circle") > 1 and "<rect" in page
    assert "Entity timelines" in page and "Language mix" in page and "Co-occurrence network" in page
    # nothing to fetch: no src/href attributes, no stylesheets, no CSS url(), no imports
    assert not re.search(r"\s(src|href|srcset|xlink:href)\s*=", page, re.I)
    assert not re.search(r"<link|<iframe|<img|@import|url\(", page, re.I)
    assert re.findall(r"<script[^>]*>", page) == ["<script>"]


def test_run_report_markdown(seeded):
    from newsetl.report import build_run_report
    from warehouse import db

    # the run that last rejected the seeds' bad inputs (a later test may rerun the seeded warehouse, which records
    # the same rejects again under its own run)
    run_id = db.query(seeded["db"], "select max_by(run_id, rejected_at) from rejects")[1][0][0]
    md = build_run_report(seeded["db"], run_id)
    for heading in ("## Documents per language", "## New entities", "## Top entities", "## Rejects"):
        assert heading in md
    assert "**completed**" in md
    for uri, reason, _ in seeded["summary"]["rejects"]:
        assert f"**{reason}**" in md and uri in md


def test_ops_commands(seeded, tmp_path, capsys):
    from newsetl import ops_cli

    parser = argparse.ArgumentParser(prog="newsetl")
    ops_cli.add_commands(parser.add_subparsers(dest="command", required=True))
    args = parser.parse_args(["report", "--data-dir", str(seeded["data_dir"]), "--out", str(tmp_path / "x.html")])
    assert args.func(args) == 0
    assert (tmp_path / "x.html").read_text().startswith("<!DOCTYPE html>")
    args = parser.parse_args(["report", "--data-dir", str(tmp_path / "nothing"), "--out", str(tmp_path / "y.html")])
    assert args.func(args) == 2
    assert "run `newsetl run` first" in capsys.readouterr().err
    assert parser.parse_args(["serve", "--config", "c.toml"]).config == "c.toml"


def test_crash_while_folding_a_compacted_file(lake, tmp_path):
    compact_all(lake)
    old = next((lake["lake"] / "documents").glob("compact-*.parquet"))
    shutil.copy2(old, tmp_path / old.name)
    add_batch(lake["data"], ["77a"], "run-7")
    rows = lake_rows(lake["lake"])
    compact_all(lake)  # folds the old compacted file and the new batch into a new compacted file
    assert not old.exists()
    shutil.copy2(tmp_path / old.name, old)  # as if the crash came before the old one was deleted
    wm.register_compact(lake["db"], old.stem, "maintenance:test")
    assert maintain.check_lake(Lake.of(lake["lake"]), lake["db"]) != []
    stats = maintain.compact_table(Lake.of(lake["lake"]), "documents", lake["db"], "maintenance:test")
    assert stats["leftover_deleted"] == 1
    assert lake_rows(lake["lake"]) == rows
    assert maintain.check_lake(Lake.of(lake["lake"]), lake["db"]) == []
    assert db.query(lake["db"], "select count(*) from batches where batch_key = ?", [old.stem])[1] == [(0,)]
