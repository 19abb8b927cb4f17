"""The warehouse: read-only queries stay read-only, batch loads are idempotent, a locked file is waited for."""

from __future__ import annotations

import subprocess
import sys
import time
from pathlib import Path

import duckdb
import pytest

from newsetl.cli import main as cli_main
from newsetl.doc import Block, Doc, Mention, Processed, Reject, Sentence
from newsetl.lake import Lake
from tasks import load
from warehouse import db


@pytest.mark.parametrize(
    "statement",
    [
        "insert into rejects values ('x', 'y', 'z', 'r', now())",
        "create table evil (a int)",
        "drop table documents",
        "attach '/tmp/other.duckdb' as other",
        "copy documents to '/tmp/stolen.csv'",
        "select * from read_csv('/etc/passwd')",
        "select * from read_text('/etc/hostname')",
        "set enable_external_access = true",
        "install httpfs",
    ],
)
def test_sql_is_read_only(seeded, statement):
    with pytest.raises(duckdb.Error):
        db.query(seeded["db"], statement)


def test_cli_sql_formats(seeded, capsys):
    assert (
        cli_main(
            [
                "sql",
                "select lang, count(*) as n from documents group by lang order by lang",
                "--data-dir",
                str(seeded["data_dir"]),
                "--format",
                "csv",
            ]
        )
        == 0
    )
    out = capsys.readouterr().out.splitlines()
    assert out[0] == "lang,n" and "ar,1" in out
    assert cli_main(["sql", "delete from documents", "--data-dir", str(seeded["data_dir"])]) == 2


def _doc(text: str, uri: str) -> Doc:
    doc = Doc(source_uri=uri, raw_text=text, text=text, lang="en", raw_hash="r" + uri)
    doc.blocks = [Block(0, "body", text)]
    doc.sentences = [Sentence(0, 0, len(text), text, "en", 0.99)]
    doc.mentions = [Mention(0, 0, 5, text[:5], "PER", entity_id="x:1", entity_name=text[:5])]
    return doc


def _load(tmp_path, docs, rejects, run_id="run-1"):
    lake = Lake.of(tmp_path / "lake")
    key, files = load.write_batch.fn(Processed(docs, rejects), run_id, lake, "v1")
    return load.load_batch.fn(tmp_path / "db.duckdb", lake, files, key, run_id).n_docs


def _counts(path):
    tables = ("documents", "blocks", "sentences", "mentions", "entities", "entity_aliases", "rejects", "batches")
    with db.connect(path, read_only=True) as con:
        return {t: con.execute(f"select count(*) from {t}").fetchone()[0] for t in tables}


def test_batch_load_is_idempotent(tmp_path):
    docs = [_doc("Alice met Bob in Paris.", "a"), _doc("Carol went to Rome.", "b")]
    rejects = [Reject("c", "empty", "no content")]
    assert _load(tmp_path, docs, rejects) == 2
    first = _counts(tmp_path / "db.duckdb")
    assert _load(tmp_path, docs, rejects, "run-2") == 2
    assert (
        _counts(tmp_path / "db.duckdb")
        == first
        == {
            "documents": 2,
            "blocks": 2,
            "sentences": 2,
            "mentions": 2,
            "entities": 1,
            "entity_aliases": 2,
            "rejects": 1,
            "batches": 1,
        }
    )


def test_a_reject_that_later_loads_leaves_rejects(tmp_path):
    _load(tmp_path, [], [Reject("a", "unreachable", "timeout")])
    _load(tmp_path, [_doc("Alice met Bob in Paris.", "a")], [])
    assert _counts(tmp_path / "db.duckdb")["rejects"] == 0


def test_orphan_lake_files_are_removed(tmp_path):
    docs = [_doc("Alice met Bob in Paris.", "a")]
    _load(tmp_path, docs, [])
    lake = Lake.of(tmp_path / "lake")
    key, files = load.write_batch.fn(Processed([_doc("Never loaded.", "z")], []), "run-x", lake, "v1")
    (tmp_path / "lake" / "documents" / ".half.parquet.123.tmp").write_bytes(b"partial")
    removed = load.remove_orphans(lake, tmp_path / "db.duckdb")
    assert {Path(p).name for p in removed} >= {f"{key}.parquet", ".half.parquet.123.tmp"}
    assert len(list((tmp_path / "lake" / "documents").glob("*.parquet"))) == 1


def test_reader_waits_for_a_writer_in_another_process(tmp_path):
    path = tmp_path / "db.duckdb"
    _load(tmp_path, [_doc("Alice met Bob in Paris.", "a")], [])
    holder = subprocess.Popen(
        [
            sys.executable,
            "-c",
            f"import duckdb, time; c = duckdb.connect({str(path)!r}); print('locked', flush=True); time.sleep(3)",
        ],
        stdout=subprocess.PIPE,
        text=True,
    )
    assert holder.stdout.readline().strip() == "locked"
    start = time.monotonic()
    assert db.query(path, "select count(*) from documents")[1] == [(1,)]
    assert time.monotonic() - start > 0.5  # it waited for the writer instead of failing
    holder.wait()


def test_batch_pickles_as_plain_data_and_unpickles_lazily():
    """A batch crosses processes whole and equal; unpickled, it stays packed until read (Prefect unpickles a
    process pool's result once per ``result()`` call and per done-callback), and re-pickles as the same bytes."""
    import pickle

    docs = [_doc("Shoigu met Akar in Moscow.", "a"), _doc("Putin spoke.", "b")]
    docs[0].published_at = docs[0].fetched_at = None
    batch = Processed(docs, [Reject("c", "no_text", "empty")], {"clean": 1.5}, ["d.html"])
    data = pickle.dumps(batch)
    copy = pickle.loads(data)
    assert isinstance(copy._packed, bytes)  # not decoded yet
    assert pickle.dumps(copy) == data  # passed on as it came
    assert copy.docs == docs and copy.rejects == batch.rejects and copy.seconds == {"clean": 1.5}
    assert copy.skipped == ["d.html"]
    assert copy.docs[0].doc_id == docs[0].doc_id and copy.docs[0].mentions[0].entity_name == "Shoig"
    assert not hasattr(copy, "_packed")  # decoded once


def test_schema_statements_run_once_per_schema_version(tmp_path):
    """A read-write connection re-creates tables and views only when their SQL changed (not per batch load)."""
    path = tmp_path / "w.duckdb"
    with db.connect(path) as con:
        con.execute("drop view run_history")
    with db.connect(path) as con:  # same schema version: the dropped view is not re-created
        assert not con.execute("select * from duckdb_views() where view_name = 'run_history'").fetchall()
        con.execute("update meta set value = 'old' where key = 'schema_version'")
    with db.connect(path) as con:  # another version: everything is (re)created
        assert con.execute("select * from duckdb_views() where view_name = 'run_history'").fetchall()


def test_known_inputs_carry_file_stamps_and_restamps_need_the_same_hash(tmp_path):
    docs = [_doc("Alice met Bob in Paris.", "a"), _doc("Carol went to Rome.", "b")]
    docs[0].file_stamp = "23:1:1"
    _load(tmp_path, docs, [])
    path = tmp_path / "db.duckdb"
    known = db.known_inputs(path, "v1")
    assert known.raw_hashes == {"a": "ra", "b": "rb"} and known.doc_ids == {d.doc_id: d.source_uri for d in docs}
    assert known.stamps == {"a": "23:1:1"}  # b (a URL, or a file too fresh to stamp) has none
    # b's bytes were hashed and found unchanged: its stamp is recorded; a stale hash for a records nothing
    assert db.restamp_inputs(path, [("b", "rb", "19:2:2"), ("a", "r-other", "23:9:9")]) == 1
    assert db.known_inputs(path, "v1").stamps == {"a": "23:1:1", "b": "19:2:2"}
    assert db.known_inputs(path, "v2") == db.KnownInputs({}, {}, {})


def test_a_warehouse_from_before_file_stamps_gains_the_column(tmp_path):
    path = tmp_path / "db.duckdb"
    with db.connect(path) as con:
        con.execute("drop table inputs")
        con.execute(
            """create table inputs (source_uri varchar primary key, raw_hash varchar not null, doc_id varchar not null,
            pipeline_version varchar not null, run_id varchar not null, seen_at timestamptz not null)"""
        )
        con.execute("insert into inputs values ('a', 'ra', 'd', 'v1', 'r', now())")
        con.execute("update meta set value = 'old' where key = 'schema_version'")
    docs = [_doc("Alice met Bob in Paris.", "a")]
    docs[0].file_stamp = "23:1:1"
    _load(tmp_path, docs, [])
    assert db.query(path, "select source_uri, raw_hash, file_stamp from inputs")[1] == [("a", "ra", "23:1:1")]


def test_a_warehouse_from_before_versions_gains_them(tmp_path):
    """An edit loaded by the loader of before versions is a second document of the same source: the migration
    makes the older one the source's version 1 (text kept) and removes it from documents and their parts."""
    path = tmp_path / "db.duckdb"
    _load(tmp_path, [_doc("Alice met Bob in Paris.", "a"), _doc("Carol went to Rome.", "b")], [])
    old_id = db.query(path, "select doc_id from inputs where source_uri = 'a'")[1][0][0]
    with db.connect(path) as con:
        con.execute("drop table document_versions")
        for table in ("documents", "blocks", "sentences", "mentions"):  # the edit, as a second document
            con.execute(
                f"insert into {table} by name select * replace ('e' || substr(doc_id, 2) as doc_id"
                + (
                    ", text || ' Update.' as text, 'ra2' as raw_hash, loaded_at + interval 1 hour as loaded_at"
                    if table == "documents"
                    else ""
                )  # fmt: skip
                + f") from {table} where doc_id = ?",
                [old_id],
            )
        new_id = "e" + old_id[1:]
        con.execute("update inputs set doc_id = ?, raw_hash = 'ra2' where source_uri = 'a'", [new_id])
        con.execute("update meta set value = 'old' where key = 'schema_version'")
    assert _counts(path)["documents"] == 3
    with db.connect(path):  # the first read-write connection migrates
        pass
    rows = db.query(
        path,
        "select source_uri, version, doc_id, is_current, text, valid_to is null from document_versions order by 1, 2",
    )[1]
    assert rows == [
        ("a", 1, old_id, False, "Alice met Bob in Paris.", False),
        ("a", 2, new_id, True, None, True),
        ("b", 1, db.query(path, "select doc_id from inputs where source_uri = 'b'")[1][0][0], True, None, True),
    ]
    counts = _counts(path)
    assert (counts["documents"], counts["blocks"], counts["sentences"], counts["mentions"]) == (2, 2, 2, 2)
    history = db.query(path, "select version, text from document_history where source_uri = 'a' order by 1")[1]
    assert history == [(1, "Alice met Bob in Paris."), (2, "Alice met Bob in Paris. Update.")]


def test_versions_of_a_source_follow_its_raw_input(tmp_path):
    """Loader level: the same bytes again change nothing; other bytes with the same article and metadata update
    the current version in place; a new title or article makes the next version; a document no source has as
    its current version leaves, with its parts."""
    path = tmp_path / "db.duckdb"

    def versions() -> list[tuple]:
        return db.query(path, "select version, is_current, doc_id, title, raw_hash from document_versions order by 1")[
            1
        ]

    first = _doc("Alice met Bob in Paris.", "a")
    first.title = "Talks"
    _load(tmp_path, [first], [])
    _load(tmp_path, [first], [], "run-2")  # the same batch again
    assert versions() == [(1, True, first.doc_id, "Talks", "ra")]
    first.raw_hash = "ra-ad-rotated"  # other bytes around the same article and title
    _load(tmp_path, [first], [], "run-3")
    assert versions() == [(1, True, first.doc_id, "Talks", "ra-ad-rotated")]
    first.raw_hash, first.title = "ra-retitled", "Talks in Paris"
    _load(tmp_path, [first], [], "run-4")
    assert versions() == [
        (1, False, first.doc_id, "Talks", "ra-ad-rotated"),
        (2, True, first.doc_id, "Talks in Paris", "ra-retitled"),
    ]
    assert db.query(path, "select title from documents")[1] == [("Talks in Paris",)]
    edited = _doc("Alice met Bob in Paris. They agreed.", "a")
    edited.raw_hash, edited.title = "ra-edited", "Talks in Paris"
    _load(tmp_path, [edited], [], "run-5")
    assert versions()[-1] == (3, True, edited.doc_id, "Talks in Paris", "ra-edited")
    assert _counts(path) | {"batches": 0} == {
        "documents": 1, "blocks": 1, "sentences": 1, "mentions": 1, "entities": 1, "entity_aliases": 1,
        "rejects": 0, "batches": 0,
    }  # fmt: skip
    assert db.query(path, "select doc_id from documents")[1] == [(edited.doc_id,)]
    # the same bytes cleaned otherwise (a new pipeline version): the current version changes in place
    recleaned = _doc("Alice met Bob in Paris. They agreed!", "a")
    recleaned.raw_hash, recleaned.title = "ra-edited", "Talks in Paris"
    _load(tmp_path, [recleaned], [], "run-6")
    assert versions()[-1] == (3, True, recleaned.doc_id, "Talks in Paris", "ra-edited") and len(versions()) == 3
    assert db.query(path, "select doc_id from documents")[1] == [(recleaned.doc_id,)]
    assert _counts(path)["sentences"] == 1


def test_a_discovered_entity_is_named_by_its_most_frequent_full_form(tmp_path):
    """Whatever order the documents arrive in, a discovered entity's name is its most frequent full form among
    the loaded mentions (several words beat one); a curated entity keeps its reference name."""

    def doc(text: str, uri: str, spans: list[tuple[str, str]]) -> Doc:
        d = _doc(text, uri)
        d.mentions = [
            Mention(0, text.index(s), text.index(s) + len(s), s, "PER", entity_id=eid, entity_name=s)
            for s, eid in spans
        ]
        return d

    first = [doc("Demir said so.", "a", [("Demir", "u:demir")])]
    later = [
        doc("Ayla Demir and Ayla Demir met.", "b", [("Ayla Demir", "u:demir")]),
        doc("Then Ayla Demir left.", "c", [("Ayla Demir", "u:demir")]),
    ]
    for n, order in enumerate(((first, later), (later, first))):
        path = tmp_path / str(n)
        path.mkdir()
        for i, batch in enumerate(order):
            _load(path, batch, [], run_id=f"run-{i}")
        assert db.query(path / "db.duckdb", "select name from entities where entity_id = 'u:demir'")[1] == [
            ("Ayla Demir",)
        ]
