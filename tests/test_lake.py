"""The lake on object storage: the real ingest and maintenance flows against an S3 server (moto's, on
127.0.0.1), the Parquet written through s3fs and read by DuckDB through the same fsspec filesystem."""

from __future__ import annotations

import shutil

import pyarrow as pa
import pytest

from newsetl.lake import Lake, stem, table_of
from tests.conftest import SEEDS

BUCKET = "newsetl-lake"


@pytest.fixture(scope="module")
def s3(tmp_path_factory):
    """An S3 endpoint with one bucket; the AWS_* variables point boto/s3fs (and the flow's workers) at it."""
    import boto3
    import s3fs
    from moto.server import ThreadedMotoServer

    server = ThreadedMotoServer(ip_address="127.0.0.1", port=0, verbose=False)
    server.start()
    host, port = server.get_host_and_port()
    env = {
        "AWS_ACCESS_KEY_ID": "test",
        "AWS_SECRET_ACCESS_KEY": "test",
        "AWS_DEFAULT_REGION": "us-east-1",
        "AWS_ENDPOINT_URL_S3": f"http://{host}:{port}",
    }
    with pytest.MonkeyPatch.context() as mp:
        for k, v in env.items():
            mp.setenv(k, v)
        s3fs.S3FileSystem.clear_instance_cache()
        boto3.client("s3").create_bucket(Bucket=BUCKET)
        yield f"s3://{BUCKET}/lake"
        s3fs.S3FileSystem.clear_instance_cache()
    server.stop()


def lake_rows(lake: Lake, table: str) -> list[dict]:
    return sorted((r for p in lake.files(table) for r in lake.read_table(p).to_pylist()), key=repr)


def test_lake_api_on_an_object_store(s3):
    lake = Lake.of(s3 + "-api")
    assert not lake.local and lake.tables() == []
    lake.write_parquet(pa.table({"x": [1, 2]}), lake.path("t", "k1.parquet"))
    lake.write_parquet(pa.table({"x": [3]}), lake.path("t", "k2.parquet"))
    assert lake.tables() == ["t"] and [stem(p) for p in lake.files("t")] == ["k1", "k2"]
    assert {table_of(p) for p in lake.all_files()} == {"t"}
    assert lake.uri(lake.files("t")[0]) == f"s3://{BUCKET}/lake-api/t/k1.parquet"
    assert lake.read_metadata(lake.files("t")[1]).num_rows == 1
    lake.delete([lake.path("t", "k1.parquet")])
    assert [stem(p) for p in lake.files("t")] == ["k2"]
    assert Lake.of("data/lake").local and Lake.of("data/lake").root.endswith("/data/lake")


def test_ingest_and_maintain_with_the_lake_on_s3(s3, prefect_harness, tmp_path):
    from flows.ingest import run_ingest
    from flows.maintenance import maintenance
    from warehouse import db

    inputs = tmp_path / "inputs"
    shutil.copytree(SEEDS, inputs)
    data_dir = tmp_path / "data"
    summary = run_ingest([str(inputs)], str(data_dir), batch_size=2, workers=2, lake=s3)
    n_docs = summary["counts"]["loaded"]
    assert n_docs == len(list(inputs.iterdir())) and n_docs >= 5

    lake = Lake.of(s3)
    assert not (data_dir / "lake").exists()  # nothing went to the local disk
    assert {"documents", "sentences", "mentions", "inputs", "reference"} <= set(lake.tables())
    assert len(lake.files("documents")) == -(-n_docs // 2)  # one file per batch
    docs_in_lake = sorted(r["doc_id"] for r in lake_rows(lake, "documents"))
    assert docs_in_lake == sorted(
        r[0] for r in db.query(data_dir / "newsetl.duckdb", "select doc_id from documents")[1]
    )
    mentions = db.query(data_dir / "newsetl.duckdb", "select count(*) from mentions")[1][0][0]
    assert mentions == len(lake_rows(lake, "mentions")) > 0

    # a crash between write and load leaves an orphan object: the next run removes it and adds nothing
    orphan = lake.path("documents", "0123456789abcdef0123.parquet")
    lake.write_parquet(lake.read_table(lake.files("documents")[0]), orphan)
    again = run_ingest([str(inputs)], str(data_dir), batch_size=2, workers=2, lake=s3)
    assert again["counts"]["loaded"] == 0 and again["counts"]["skipped"] == n_docs
    assert not lake.exists(orphan)
    assert sorted(r["doc_id"] for r in lake_rows(lake, "documents")) == docs_in_lake

    # maintenance compacts the objects in place; every row survives and the check passes
    before = {t: lake_rows(lake, t) for t in ("documents", "mentions", "sentences")}
    result = maintenance(data_dir=str(data_dir), lake=s3)
    assert result["tables"]["documents"]["files_after"] == 1 < result["tables"]["documents"]["files_before"]
    assert [stem(p).startswith("compact-") for p in lake.files("documents")] == [True]
    assert {t: lake_rows(lake, t) for t in before} == before
    assert db.query(data_dir / "newsetl.duckdb", "select count(*) from documents")[1][0][0] == n_docs
