"""End to end: the real ingest flow on the seeds (plus bad inputs), checked with SQL on the real DuckDB file."""

from __future__ import annotations

import pyarrow.parquet as pq
import pytest

SEED_LANGS = {"000": "tr", "001": "tr", "002": "ar", "003": "tr", "004": "fr"}


def _doc(sql, prefix: str) -> tuple:
    rows = sql("select doc_id, lang, title, text from documents where source_uri like ?", [f"%/seeds/{prefix}_%"])
    assert len(rows) == 1, f"seed {prefix}: {rows}"
    return rows[0]


def test_seeds_loaded_with_languages(sql):
    assert sql("select count(*) from documents where source_uri like '%/seeds/%'")[0][0] == 5
    for prefix, lang in SEED_LANGS.items():
        assert _doc(sql, prefix)[1] == lang


@pytest.mark.parametrize(
    "prefix, absent",
    [
        ("000", ["Reklam", "Önceki Haberler", "Amerikan tüfeğiyle", "Kategoriler", "24 Kasım 2025"]),
        ("003", ["Reklam", "Önceki Haberler", "Venezuela", "10 Ocak 2026"]),
        ("002", ["تابع أيضا", "الكوكيز", "شيفرون", "…"]),
        ("004", ["commentaires", "Cher lecteur", "shaitan", "Abonnez-vous", "13 Octobre 2020 13: 29"]),
    ],
)
def test_text_is_the_article_only(sql, prefix, absent):
    _, _, _, text = _doc(sql, prefix)
    for snippet in absent:
        assert snippet not in text, f"{prefix}: boilerplate {snippet!r} leaked into documents.text"


def test_article_is_kept_whole(sql):
    text = _doc(sql, "000")[3]
    assert text.startswith("Milli Savunma Bakanı Hulusi Akar")
    assert "egemen bir Libya’yı desteklediği belirtildi." in text
    text = _doc(sql, "004")[3]
    assert "Le 12 octobre 2020" in text and "frontière arméno-iranienne" in text
    assert _doc(sql, "000")[2] == "Akar, Rusya Savunma Bakanı Şoygu ile görüştü"


def test_boilerplate_is_kept_as_labelled_blocks(sql):
    kinds = dict(sql("select kind, count(*) from blocks group by kind"))
    for kind in ("body", "title", "ad", "related", "comment", "cookie"):
        assert kinds.get(kind, 0) > 0, f"no {kind} blocks: {kinds}"
    doc_id = _doc(sql, "004")[0]
    comments = sql("select text from blocks where doc_id = ? and kind = 'comment'", [doc_id])
    assert any("shaitan" in t for (t,) in comments)
    # body blocks are exactly the article text
    for (doc_id,) in sql("select doc_id from documents"):
        body = sql(
            "select string_agg(text, '\n\n' order by block_idx) from blocks where doc_id = ? and kind = 'body'",
            [doc_id],
        )
        assert body[0][0] == sql("select text from documents where doc_id = ?", [doc_id])[0][0]


def test_sentence_offsets_point_into_text(sql):
    bad = sql(
        """select s.doc_id, s.sent_idx from sentences s join documents d using (doc_id)
        where substring(d.text, s.start_char + 1, s.end_char - s.start_char) != s.text"""
    )
    assert bad == []
    per_doc = dict(
        sql(
            """select d.lang, min(n) from (select doc_id, count(*) n from sentences group by doc_id)
            join documents d using (doc_id) where d.source_uri like '%/seeds/%' group by d.lang"""
        )
    )
    assert per_doc["tr"] >= 4 and per_doc["ar"] >= 8 and per_doc["fr"] >= 10
    # a sentence never spans a paragraph break, and a Turkish sentence ends at its period
    assert sql("select count(*) from sentences where text like '%' || chr(10) || '%'")[0][0] == 0


def test_sentence_languages(sql):
    langs = dict(sql("select d.lang, mode(s.lang) from sentences s join documents d using (doc_id) group by d.lang"))
    assert langs == {"tr": "tr", "ar": "ar", "fr": "fr"}


def test_mention_offsets_and_labels(sql):
    bad = sql(
        """select m.doc_id, m.surface from mentions m join documents d using (doc_id)
        where substring(d.text, m.start_char + 1, m.end_char - m.start_char) != m.surface"""
    )
    assert bad == []
    by_lang = sql(
        "select d.lang, list_distinct(list(m.label)) from mentions m join documents d using (doc_id) group by d.lang"
    )
    for lang, labels in by_lang:
        assert {"PER", "LOC"} <= set(labels), (lang, labels)
    assert {lang for lang, _ in by_lang} == {"tr", "ar", "fr"}


def _entity_ids(sql, surfaces: list[str]) -> set:
    rows = sql("select distinct entity_id from mentions where surface in (select unnest(?::varchar[]))", [surfaces])
    return {r[0] for r in rows}


@pytest.mark.parametrize(
    "surfaces",
    [
        ["Hulusi Akar", "Akar", "خلوصي أكار"],
        ["Sergey Şoygu", "Şoygu", "Sergei Shoigu", "Shoigu"],
    ],
)
def test_people_linked_across_languages(sql, surfaces):
    ids = _entity_ids(sql, surfaces)
    assert len(ids) == 1 and None not in ids, ids
    found = {r[0] for r in sql("select distinct surface from mentions where entity_id = ?", [ids.pop()])}
    assert set(surfaces) <= found | {"Akar"}, found


def test_akar_in_four_documents(sql):
    (entity_id,) = _entity_ids(sql, ["Hulusi Akar"])
    docs = sql("select count(distinct doc_id) from mentions where entity_id = ?", [entity_id])[0][0]
    assert docs == 4
    name, label = sql("select name, label from entities where entity_id = ?", [entity_id])[0]
    assert name == "Hulusi Akar" and label == "PER"
    langs = {r[0] for r in sql("select lang from entity_aliases where entity_id = ?", [entity_id])}
    assert {"tr", "ar", "fr"} <= langs


def test_bad_inputs_rejected_with_reason(sql, seeded):
    rejects = dict(sql("select regexp_extract(source_uri, '[^/]+$'), reason from rejects"))
    assert rejects["empty.txt"] == "empty"
    assert rejects["binary.html"] == "binary"
    assert rejects["only-script.html"] == "no_text"
    assert "legacy-cp1254.txt" not in rejects  # a legacy encoding is decoded, not rejected
    text = sql("select text from documents where source_uri like '%legacy-cp1254.txt'")[0][0]
    assert "Türkçe" in text and "toplantı" in text
    assert seeded["summary"]["counts"]["rejected"] == 3


def test_runs_table_records_the_run(sql, seeded):
    run = sql(
        "select status, n_seen, n_loaded, n_skipped, n_rejected, flow_run_id from runs where run_id = ?",
        [seeded["summary"]["run_id"]],
    )
    assert run[0][:5] == ("completed", 9, 6, 0, 3)
    assert run[0][5] is not None


def test_parquet_lake_matches_warehouse(sql, seeded):
    lake = seeded["data_dir"] / "lake"
    for table in ("documents", "blocks", "sentences", "mentions"):
        files = sorted((lake / table).glob("*.parquet"))
        assert files, table
        n = sum(pq.read_metadata(f).num_rows for f in files)
        assert n == sql(f"select count(*) from {table}")[0][0], table
    assert not list(lake.rglob("*.tmp"))


def test_rerun_changes_no_row_count(seeded, sql):
    from flows.ingest import ingest

    tables = ["documents", "blocks", "sentences", "mentions", "entities", "entity_aliases", "rejects"]
    before = {t: sql(f"select count(*) from {t}")[0][0] for t in tables}
    lake = seeded["data_dir"] / "lake"
    doc_files = sorted(str(p) for t in ("documents", "sentences", "mentions") for p in (lake / t).glob("*"))
    summary = ingest(sources=[str(seeded["inputs"])], data_dir=str(seeded["data_dir"]), batch_size=2)
    after = {t: sql(f"select count(*) from {t}")[0][0] for t in tables}
    assert after == before
    assert summary["counts"]["loaded"] == 0 and summary["counts"]["skipped"] == 6
    assert summary["counts"]["rejected"] == 3
    assert sorted(str(p) for t in ("documents", "sentences", "mentions") for p in (lake / t).glob("*")) == doc_files


def test_flow_run_has_tasks_and_artifacts(seeded):
    import asyncio

    from prefect.client.orchestration import get_client
    from prefect.client.schemas.filters import ArtifactFilter, ArtifactFilterFlowRunId, FlowRunFilter, FlowRunFilterId

    async def fetch():
        async with get_client() as client:
            run_id = seeded["summary"]["run_id"]
            flow_run = await client.read_flow_run(run_id)
            tasks = await client.read_task_runs(flow_run_filter=FlowRunFilter(id=FlowRunFilterId(any_=[run_id])))
            artifacts = await client.read_artifacts(
                artifact_filter=ArtifactFilter(flow_run_id=ArtifactFilterFlowRunId(any_=[run_id]))
            )
            return flow_run, tasks, artifacts

    flow_run, tasks, artifacts = asyncio.run(fetch())
    assert flow_run.state.is_completed()
    names = {t.name.rsplit("-", 1)[0] for t in tasks}
    assert {"extract", "process-batch", "clean-segment", "enrich", "write-parquet", "load-duckdb"} <= names
    kinds = {a.type for a in artifacts}
    assert {"table", "markdown", "progress"} <= kinds
    table = next(a for a in artifacts if a.type == "table")
    assert "loaded" in str(table.data)
