"""Versions: an updated article replaces its earlier version (docs/VERSIONS.md).

Real ingest flows on a copy of the seeds into a real DuckDB file, run after run on the same data dir, as a user
would: edit a body, a headline only, one of two syndicated copies, revert an edit, rerun unchanged; and a process
killed in the middle of a batch's version update, then run again.
"""

from __future__ import annotations

import os
import shutil
import signal
import subprocess
import sys
from pathlib import Path

import pytest

from tests.conftest import ROOT, SEEDS

TITLE_000 = "Akar, Rusya Savunma Bakanı Şoygu ile görüştü"
TITLE_000_NEW = "Akar, Rusya Savunma Bakanı Şoygu ile telefonla görüştü"
UPDATE_001 = "\n\nGÜNCELLEME: Bakan Akar ve Orgeneral Güler, Trablus'taki temasların ardından Ankara'ya döndü.\n"
UPDATE_003 = "\n\nGÜNCELLEME: Ziyaret üç gün sürecek ve Şoygu Pyongyang'da askeri tesisleri gezecek.\n"
UPDATE_005 = "\n\nGÜNCELLEME: Haberin bu sürümü yalnızca bu sitede yayımlandı, başka ayrıntı verilmedi.\n"
COUNTED = ("documents", "blocks", "sentences", "mentions", "inputs", "document_versions", "doc_embeddings")


def _seed(corpus: Path, prefix: str) -> Path:
    return next(corpus.glob(f"{prefix}_*.txt"))


def _syndicate(corpus: Path, name: str) -> Path:
    """A copy of seed 003 under another name with other boilerplate bytes: the same article text."""
    raw = _seed(corpus, "003").read_text()
    assert "Kategoriler: Dış Açı" in raw
    path = corpus / name
    path.write_text(raw.replace("Kategoriler: Dış Açı", f"Kategoriler: Dünya ({name})"))
    return path


class Warehouse:
    def __init__(self, data_dir: Path, corpus: Path) -> None:
        self.data_dir, self.corpus = data_dir, corpus
        self.db = data_dir / "newsetl.duckdb"

    def run(self) -> dict:
        from flows.ingest import run_ingest

        return run_ingest([str(self.corpus)], str(self.data_dir), batch_size=4, workers=1)

    def sql(self, query: str, params: list | None = None) -> list[tuple]:
        from warehouse import db

        return db.query(self.db, query, params)[1]

    def uri(self, prefix: str) -> str:
        return str(next(self.corpus.glob(f"{prefix}*.txt")))

    def counts(self) -> dict[str, int]:
        return {t: self.sql(f"select count(*) from {t}")[0][0] for t in COUNTED}

    def versions(self, prefix: str) -> list[tuple]:
        return self.sql(
            "select version, is_current, doc_id, title, valid_to is null from document_versions "
            "where source_uri = ? order by version",
            [self.uri(prefix)],
        )

    def current_doc(self, prefix: str) -> tuple:
        rows = self.sql(
            "select doc_id, title, text, source_uri from documents where doc_id = "
            "(select doc_id from inputs where source_uri = ?)",
            [self.uri(prefix)],
        )
        assert len(rows) == 1, rows
        return rows[0]

    def invariants(self) -> None:
        """One current version per source, equal to its inputs row; documents = the current versions' articles;
        no part of a document that is not there; no lake file the warehouse does not know."""
        from newsetl.lake import Lake
        from tasks.maintain import check_lake

        assert (
            self.sql(
                "select source_uri from document_versions group by source_uri having count(*) filter (is_current) <> 1"
            )
            == []
        )
        assert (
            self.sql(
                """select * from inputs i full join (select * from document_versions where is_current) v using (source_uri)
            where i.doc_id is distinct from v.doc_id or i.raw_hash is distinct from v.raw_hash"""
            )
            == []
        )
        assert sorted(self.sql("select doc_id from documents")) == sorted(
            self.sql("select distinct doc_id from document_versions where is_current")
        )
        for table in ("blocks", "sentences", "mentions", "doc_embeddings", "stories", "duplicates"):
            assert self.sql(f"select count(*) from {table} where doc_id not in (select doc_id from documents)") == [
                (0,)
            ], table
        assert self.sql("select count(*) from documents")[0][0] == self.sql("select count(*) from stg_documents")[0][0]
        assert (
            self.sql("select sum(n_documents) from daily_volume")[0][0]
            == self.sql("select count(*) from documents")[0][0]
        )
        assert check_lake(Lake.of(self.data_dir / "lake"), self.db) == []
        assert not list((self.data_dir / "lake").rglob("*.tmp"))


@pytest.fixture(scope="module")
def history(prefect_harness, tmp_path_factory):
    """Four runs on one data dir: the seeds and two syndicated copies of 003; then edits (000's headline, 001's
    body, the copy 005's body); then 001 reverted and 003 (the copies' earliest source) edited; then nothing."""
    work = tmp_path_factory.mktemp("versions")
    corpus = work / "corpus"
    shutil.copytree(SEEDS, corpus)
    _syndicate(corpus, "005_syndicated.txt")
    _syndicate(corpus, "007_syndicated.txt")
    wh = Warehouse(work / "data", corpus)
    original = {p: _seed(corpus, p).read_text() for p in ("000", "001", "003")}
    states = {}

    wh.run()
    states[0] = {"counts": wh.counts(), "docs": {p: wh.current_doc(p) for p in ("000", "001", "003", "005", "007")}}
    wh.invariants()

    _seed(corpus, "000").write_text(original["000"].replace(TITLE_000, TITLE_000_NEW))
    _seed(corpus, "001").write_text(original["001"] + UPDATE_001)
    (corpus / "005_syndicated.txt").write_text((corpus / "005_syndicated.txt").read_text() + UPDATE_005)
    states[1] = {"summary": wh.run(), "counts": wh.counts()}
    states[1]["docs"] = {p: wh.current_doc(p) for p in ("000", "001", "003", "005", "007")}
    states[1]["unique"] = wh.sql("select doc_id, source_uri from documents_unique")
    wh.invariants()

    _seed(corpus, "001").write_text(original["001"])
    _seed(corpus, "003").write_text(original["003"] + UPDATE_003)
    states[2] = {"summary": wh.run(), "counts": wh.counts()}
    states[2]["docs"] = {p: wh.current_doc(p) for p in ("000", "001", "003", "005", "007")}
    states[2]["unique"] = wh.sql("select doc_id, source_uri from documents_unique")
    wh.invariants()

    states[3] = {"summary": wh.run(), "counts": wh.counts()}
    wh.invariants()

    # bytes another source already has, first seen in a later run: a new copy of 000, and 005 rewritten as 007
    (corpus / "009_copy.txt").write_bytes(_seed(corpus, "000").read_bytes())
    (corpus / "005_syndicated.txt").write_bytes((corpus / "007_syndicated.txt").read_bytes())
    states[4] = {"summary": wh.run(), "counts": wh.counts()}
    states[4]["docs"] = {p: wh.current_doc(p) for p in ("000", "005", "007", "009")}
    wh.invariants()
    return wh, states


def test_first_run_one_document_per_article(history):
    wh, states = history
    docs = states[0]["docs"]
    assert docs["003"][0] == docs["005"][0] == docs["007"][0]  # syndicated: one document
    assert states[0]["counts"]["documents"] == 5 and states[0]["counts"]["inputs"] == 7
    assert states[0]["counts"]["document_versions"] == 7
    assert docs["003"][3] == wh.uri("003")  # the earliest source represents it


def test_body_edit_replaces_the_document_and_keeps_the_earlier_version(history):
    wh, states = history
    old, new = states[0]["docs"]["001"], states[1]["docs"]["001"]
    assert old[0] != new[0] and UPDATE_001.strip() in new[2] and UPDATE_001.strip() not in old[2]
    assert states[1]["counts"]["documents"] == 6  # 5 articles + 005's own version; not 7
    v1, v2, *_ = wh.versions("001")
    assert v1[:3] == (1, False, old[0]) and v2[:3] == (2, False, new[0])
    # the earlier version stays queryable with its text, through document_history
    text = wh.sql("select text from document_history where source_uri = ? and version = 1", [wh.uri("001")])
    assert text == [(old[2],)]
    # sentences, mentions and the marts follow the current version only
    assert old[0] not in {d for d, _ in states[1]["unique"]} and new[0] in {d for d, _ in states[1]["unique"]}
    assert states[1]["summary"]["counts"]["loaded"] == 3  # 000 (rewritten), 001, 005


def test_title_only_edit_updates_the_document_row_and_its_lake_file(history):
    import pyarrow.parquet as pq

    wh, states = history
    old, new = states[0]["docs"]["000"], states[1]["docs"]["000"]
    assert old[0] == new[0] and old[2] == new[2]  # same article, same doc_id
    assert (old[1], new[1]) == (TITLE_000, TITLE_000_NEW)
    assert [v[:4] for v in wh.versions("000")] == [(1, False, old[0], TITLE_000), (2, True, old[0], TITLE_000_NEW)]
    assert wh.sql("select text from blocks where doc_id = ? and kind = 'title'", [old[0]]) == [(TITLE_000_NEW,)]
    key = wh.sql("select batch_key from documents where doc_id = ?", [old[0]])[0][0]
    row = pq.read_table(wh.data_dir / "lake" / "documents" / f"{key}.parquet").to_pylist()
    assert [r["title"] for r in row if r["doc_id"] == old[0]] == [TITLE_000_NEW]


def test_update_at_one_syndicating_source_leaves_the_others(history):
    wh, states = history
    shared = states[0]["docs"]["003"][0]
    # 005 edited: a document of its own; 003 and 007 keep theirs, untouched, still represented by 003
    assert states[1]["docs"]["005"][0] != shared
    assert states[1]["docs"]["003"] == states[1]["docs"]["007"] == states[0]["docs"]["003"]
    # 003 edited in the next run: 007 keeps the shared article, which 007 now represents; 003 has its own
    after = states[2]["docs"]
    assert after["007"][0] == shared and after["007"][3] == wh.uri("007")
    assert after["003"][0] not in (shared, states[1]["docs"]["005"][0]) and UPDATE_003.strip() in after["003"][2]
    assert [v[:3] for v in wh.versions("007")] == [(1, True, shared)]
    assert [v[:3] for v in wh.versions("003")] == [(1, False, shared), (2, True, after["003"][0])]
    # the near duplicates of the shared article: the earliest source's current version represents them
    unique = dict(states[2]["unique"])
    assert after["003"][0] in unique and shared not in unique and after["005"][0] not in unique


def test_edit_then_revert_makes_a_third_version_with_the_first_article(history):
    wh, states = history
    first, edited, reverted = (states[i]["docs"]["001"] for i in range(3))
    assert reverted[:3] == first[:3]
    assert [v[:3] for v in wh.versions("001")] == [(1, False, first[0]), (2, False, edited[0]), (3, True, first[0])]
    assert wh.sql("select count(*) from documents where doc_id = ?", [edited[0]]) == [(0,)]
    assert wh.sql("select count(*) from sentences where doc_id = ?", [edited[0]]) == [(0,)]
    assert wh.sql("select count(*) from sentences where doc_id = ?", [first[0]])[0][0] > 0
    text = wh.sql("select text from document_history where source_uri = ? and version = 2", [wh.uri("001")])
    assert text == [(edited[2],)]


def test_unchanged_rerun_changes_no_row_count(history):
    _, states = history
    assert states[3]["counts"] == states[2]["counts"]
    assert states[3]["summary"]["counts"]["loaded"] == 0


def test_known_bytes_at_another_source_are_recorded_as_that_source(history):
    """A source first seen with bytes another source already has is one more source of that document (not
    skipped as unchanged), and a source rewritten with another source's bytes takes that source's article."""
    wh, states = history
    before, after = states[3]["counts"], states[4]["counts"]
    docs = states[4]["docs"]
    assert docs["009"][0] == docs["000"][0] and docs["005"][0] == docs["007"][0]
    assert after["inputs"] == before["inputs"] + 1 and after["documents"] == before["documents"] - 1
    assert [v[:3] for v in wh.versions("009")] == [(1, True, docs["000"][0])]
    assert [v[1:3] for v in wh.versions("005")][-1] == (True, docs["007"][0])


_KILL_IN_LOAD = """
import os, signal, sys
from newsetl.lake import Lake
from tasks import load
from warehouse import db

real = db._record_versions

def killed(con, *args):
    real(con, *args)  # versions updated, earlier documents deleted, nothing committed: killed here
    os.kill(os.getpid(), signal.SIGKILL)

db._record_versions = killed
db_path, lake, key, *pairs = sys.argv[1:]
load.load_batch.fn(db_path, Lake.of(lake), dict(p.split("=", 1) for p in pairs), key, "killed")
"""


def test_killed_mid_update_then_rerun_is_exact(prefect_harness, tmp_path):
    """SIGKILL a process in the middle of a batch's load (versions updated, earlier documents deleted, not
    committed); the next run ends with one current version per source, no orphan row or lake file, and the
    tables an uninterrupted run gives."""
    from newsetl.doc import Processed
    from newsetl.lake import Lake
    from newsetl.version import PIPELINE_VERSION
    from tasks import load
    from tasks.extract import extract_many
    from tasks.process import clean_and_segment, enrich
    from warehouse import db

    corpus = tmp_path / "corpus"
    shutil.copytree(SEEDS, corpus)
    wh = Warehouse(tmp_path / "data", corpus)
    wh.run()
    edited = _seed(corpus, "001")
    edited.write_text(edited.read_text() + UPDATE_001)
    before = wh.counts()

    # the edited input processed and written as the flow would, then loaded by a process killed mid-transaction
    docs = enrich(clean_and_segment(extract_many([str(edited)]).docs).docs, ROOT / "seeds").docs
    lake = Lake.of(wh.data_dir / "lake")
    key, files = load.write_batch.fn(Processed(docs, []), "killed", lake, PIPELINE_VERSION)
    proc = subprocess.run(
        [sys.executable, "-c", _KILL_IN_LOAD, str(wh.db), lake.url, key, *(f"{t}={p}" for t, p in files.items())],
        cwd=ROOT,
        env=os.environ | {"PYTHONPATH": str(ROOT)},
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert proc.returncode == -signal.SIGKILL, proc.stderr
    assert wh.counts() == before  # nothing of the killed load is visible
    assert key not in db.loaded_batches(wh.db)

    summary = wh.run()
    assert summary["counts"]["loaded"] == 1
    wh.invariants()
    assert [v[:2] for v in wh.versions("001")] == [(1, False), (2, True)]
    assert UPDATE_001.strip() in wh.current_doc("001")[2]
    assert wh.counts()["documents"] == before["documents"] and wh.counts()["inputs"] == before["inputs"]
    assert wh.counts()["document_versions"] == before["document_versions"] + 1
