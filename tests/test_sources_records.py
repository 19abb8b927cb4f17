"""Record files as sources: JSON Lines (plain and gzipped), CSV and Parquet, through the real ingest flow into a real
DuckDB file. One input per record; a bad record is one ``bad_record`` reject with its line, never the whole file."""

from __future__ import annotations

import csv
import gzip
import json
from pathlib import Path

import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from tasks.extract import extract_many, list_inputs, make_batches
from warehouse import db

EN = (
    "Defence ministers Hulusi Akar and Sergei Shoigu spoke by phone on Monday about Libya and Syria. "
    "They agreed to meet again next week in Ankara to continue the talks on the ceasefire."
)
FR = (
    "Le ministre turc de la Défense a rappelé à Shoigu la situation en Syrie et en Libye. "
    "La réunion a eu lieu à Paris lundi dernier, selon des sources officielles du ministère."
)
ES = (
    "El ministro de Defensa turco habló con su homólogo ruso sobre la situación en Siria y Libia. "
    "Ambos acordaron reunirse de nuevo la próxima semana en Ankara para continuar las conversaciones."
)
RECORDS = [
    {
        "id": "a1",
        "title": "Talks by phone",
        "text": EN,
        "published_at": "2024-03-01T10:00:00Z",
        "lang": "en",
        "site": "Wire",
        "author": "A. Reporter",
    },
    {
        "url": "https://example.org/news/paris",
        "title": "Réunion à Paris",
        "html": f"<html><head><title>Page title</title></head><body><article><p>{FR}</p></article></body></html>",
        "published_at": "2024-03-02",
    },
    {"title": "Sin identificador", "text": ES, "published_at": "2024-03-03T08:30:00+01:00"},
]


def _write_jsonl(path: Path, rows: list, bad_lines: list[str] = ()) -> None:
    lines = [json.dumps(r, ensure_ascii=False) for r in rows] + list(bad_lines)
    data = ("\n".join(lines) + "\n").encode()
    path.write_bytes(gzip.compress(data) if path.suffix == ".gz" else data)


def _write_csv(path: Path, rows: list[dict]) -> None:
    fields = ["id", "url", "title", "text", "html", "published_at", "lang", "site", "author"]
    with open(path, "w", newline="", encoding="utf-8") as f:
        writer = csv.DictWriter(f, fieldnames=fields)
        writer.writeheader()
        for row in rows:
            writer.writerow({k: row.get(k, "") for k in fields})


def _write_parquet(path: Path, rows: list[dict]) -> None:
    fields = ["id", "url", "title", "text", "html", "published_at", "lang", "site", "author"]
    pq.write_table(pa.table({k: [r.get(k) for r in rows] for k in fields}), path)


def test_each_record_is_an_input_with_a_stable_uri(tmp_path):
    path = tmp_path / "wire.jsonl"
    _write_jsonl(path, RECORDS, ["{not json", "[1, 2]", json.dumps({"title": "no body"})])
    listing = list_inputs([str(path)], per_slice=2)
    assert len(listing.items) == 3  # six lines in slices of two
    docs, rejects = [], []
    for batch in make_batches(listing.items, 100, listing.source_of):
        out = extract_many(batch)
        docs += out.docs
        rejects += out.rejects
    assert [d.source_uri for d in docs] == [f"{path}#a1", "https://example.org/news/paris", f"{path}#3"]
    assert [(r.source_uri, r.reason) for r in rejects] == [(f"{path}#{n}", "bad_record") for n in (4, 5, 6)]
    assert "line 4: not JSON" in rejects[0].detail and "neither text nor html" in rejects[2].detail
    assert docs[0].given["lang"] == "en" and docs[1].media_type == "html"
    again = extract_many(listing.items[:1], {d.source_uri: d.raw_hash for d in docs})
    assert again.docs == [] and again.skipped == [f"{path}#a1", "https://example.org/news/paris"]


@pytest.mark.parametrize("field, value", [("published_at", "last tuesday"), ("url", "ftp://x/y"), ("title", 7)])
def test_a_malformed_field_rejects_its_record_only(tmp_path, field, value):
    path = tmp_path / "r.ndjson"
    _write_jsonl(path, [RECORDS[0], {**RECORDS[2], field: value}])
    out = extract_many(list_inputs([str(path)]).items)
    assert [d.source_uri for d in out.docs] == [f"{path}#a1"]
    assert [(r.source_uri, r.reason) for r in out.rejects] == [(f"{path}#2", "bad_record")]
    assert field in out.rejects[0].detail


def test_csv_rows_spanning_lines_and_ragged_rows(tmp_path):
    path = tmp_path / "r.csv"
    _write_csv(path, [{**RECORDS[0], "text": EN.replace(". ", ".\n")}, RECORDS[2]])
    with open(path, "a", encoding="utf-8") as f:
        f.write("only,three,fields\n")
    out = extract_many(list_inputs([str(path)]).items)
    assert [d.source_uri for d in out.docs] == [f"{path}#a1", f"{path}#4"]  # record 1 spans lines 2-3
    assert [(r.source_uri, r.reason) for r in out.rejects] == [(f"{path}#5", "bad_record")]


def test_records_through_the_flow(prefect_harness, tmp_path, monkeypatch):
    """The three formats in one run: documents keep the records' fields (they win over what clean infers), the
    stated language is a prior, bad records are rejects with their line, a rerun loads nothing twice."""
    import tasks.extract as extract_mod
    from flows.ingest import ingest

    monkeypatch.setattr(extract_mod, "SETTLE_NS", 0)  # files just written get their stamp at once

    src = tmp_path / "src"
    src.mkdir()
    _write_jsonl(src / "a.jsonl.gz", RECORDS[:1], ["{broken"])
    _write_csv(src / "b.csv", RECORDS[1:2])
    _write_parquet(src / "c.parquet", RECORDS[2:])
    (src / "notes.md").write_text("not a source")
    data = tmp_path / "data"
    summary = ingest([str(src)], str(data), batch_size=10)
    assert summary["counts"] == {"seen": 5, "loaded": 3, "skipped": 0, "rejected": 1, "ignored": 1}
    assert summary["by_source"][str(src)] == {"loaded": 3, "skipped": 0, "rejected": 1, "ignored": 1}
    rows = db.query(
        data / "newsetl.duckdb",
        "select source_uri, title, published_at, site, author, lang from documents order by source_uri",
    )[1]
    by_uri = {r[0]: r[1:] for r in rows}
    a = by_uri[f"{src / 'a.jsonl.gz'}#a1"]
    assert a[0] == "Talks by phone" and a[1].isoformat().startswith("2024-03-01T10:00:00")
    assert a[2:] == ("Wire", "A. Reporter", "en")
    assert by_uri["https://example.org/news/paris"][0] == "Réunion à Paris"  # not the page's <title>
    assert by_uri["https://example.org/news/paris"][4] == "fr"
    assert by_uri[f"{src / 'c.parquet'}#1"][4] == "es"
    rejects = db.query(data / "newsetl.duckdb", "select source_uri, reason, detail from rejects")[1]
    assert rejects == [(f"{src / 'a.jsonl.gz'}#2", "bad_record", rejects[0][2])] and "line 2" in rejects[0][2]
    inputs = db.query(data / "newsetl.duckdb", "select source_uri from inputs order by 1")[1]
    assert [r[0] for r in inputs] == sorted(by_uri)

    again = ingest([str(src)], str(data), batch_size=10)  # unchanged files: not read, every record skipped
    assert again["counts"] == {"seen": 5, "loaded": 0, "skipped": 4, "rejected": 0, "ignored": 1}
    assert db.query(data / "newsetl.duckdb", "select count(*) from rejects")[1] == [(1,)]  # its verdict stays
    assert db.query(data / "newsetl.duckdb", "select count(*) from documents")[1] == [(3,)]

    table = _summary_artifact(summary["run_id"])  # what the Prefect UI shows: every input, per source too
    assert {"what": "ignored", "count": 1} in table and {"what": f"rejected from {src}", "count": 1} in table


def _summary_artifact(run_id: str) -> list[dict]:
    import asyncio
    import json as _json

    from prefect.client.orchestration import get_client
    from prefect.client.schemas.filters import ArtifactFilter, ArtifactFilterFlowRunId, ArtifactFilterKey

    async def fetch():  # noqa: ANN202
        async with get_client() as client:
            return await client.read_artifacts(
                artifact_filter=ArtifactFilter(
                    flow_run_id=ArtifactFilterFlowRunId(any_=[run_id]), key=ArtifactFilterKey(any_=["ingest-summary"])
                )
            )

    (artifact,) = asyncio.run(fetch())
    return _json.loads(artifact.data) if isinstance(artifact.data, str) else artifact.data


def test_a_stated_language_is_a_prior_not_a_verdict(tmp_path):
    from tasks.enrich.langid import detect_language
    from tasks.process import clean_and_segment

    path = tmp_path / "r.jsonl"
    _write_jsonl(path, [{**RECORDS[0], "lang": "de"}])  # clearly English text stated as German
    docs = clean_and_segment(extract_many(list_inputs([str(path)]).items).docs).docs
    assert detect_language(docs[0]).lang == "en"
