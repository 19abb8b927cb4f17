"""The command line: plain-text help with an example for every command, --version, and the run that finds
nothing to do (recorded without a flow run and without a temporary Prefect server)."""

from __future__ import annotations

import os
import re
import shutil
import time
from importlib.metadata import version

import pytest

from newsetl.cli import PREFECT_DEFAULTS, build_parser, main
from newsetl.config import Paths
from tasks.extract import SETTLE_NS, list_sources, split_unchanged
from warehouse import db

COMMANDS = ("run", "sql", "serve", "maintain", "report")


def _help(capsys, argv: list[str]) -> str:
    with pytest.raises(SystemExit) as exit_:
        main(argv)
    assert exit_.value.code == 0
    return capsys.readouterr().out


@pytest.mark.parametrize("command", ("", *COMMANDS))
def test_help_is_plain_text_with_an_example(capsys, command):
    text = _help(capsys, [command, "--help"] if command else ["--help"])
    assert "`" not in text and ":func:" not in text and ":class:" not in text, text  # no reST or Markdown markup
    assert re.search(r"^examples?:$", text, re.M), text
    examples = text[re.search(r"^examples?:$", text, re.M).end() :]
    assert f"newsetl {command}".strip() in examples


def test_every_command_is_listed_in_the_main_help(capsys):
    text = _help(capsys, ["--help"])
    listed = set(re.findall(r"^    (\w+) ", text, re.M))
    assert listed == set(COMMANDS)
    subparsers = next(a for a in build_parser()._actions if a.dest == "command")
    assert set(subparsers.choices) == set(COMMANDS)


def test_version_comes_from_the_package_metadata(capsys):
    assert _help(capsys, ["--version"]).strip() == f"newsetl {version('newsetl')}"


# --- nothing to do: no flow run, no temporary server ----------------------------------------------------


@pytest.fixture
def unchanged(seeded, tmp_path, monkeypatch):
    """Copies of the seeded warehouse and of the seeds it loaded (its inputs renamed to the copies), every file
    stamped, as after a second run."""
    monkeypatch.delenv("PREFECT_API_URL", raising=False)
    for key, value in PREFECT_DEFAULTS.items():  # `newsetl run` sets these: undone after the test
        monkeypatch.setenv(key, os.environ.get(key, value))
    data_dir, seeds = tmp_path / "data", tmp_path / "seeds"
    shutil.copytree(seeded["data_dir"], data_dir)
    shutil.copytree(seeded["inputs"] / "seeds", seeds)
    paths = Paths.resolve(data_dir)
    with db.connect(paths.db) as con:
        con.execute("update inputs set source_uri = replace(source_uri, ?, ?)", [str(seeded["inputs"]), str(tmp_path)])
    uris, _ = list_sources([str(seeds)])
    time.sleep(SETTLE_NS / 1e9 + 0.1)  # a file written in the last 2 s gets no stamp (the copies just were)
    known = db.known_inputs(paths.db, _pipeline_version())
    db.restamp_inputs(paths.db, split_unchanged(uris, known.raw_hashes, known.stamps).restamps)
    return {"paths": paths, "seeds": seeds, "uris": uris}


def _pipeline_version() -> str:
    from newsetl.version import PIPELINE_VERSION

    return PIPELINE_VERSION


def test_an_unchanged_run_is_recorded_without_a_flow_run(unchanged, capsys):
    paths = unchanged["paths"]
    before = db.fingerprint(paths.db)
    runs_before = db.query(paths.db, "select count(*) from runs")[1][0][0]
    assert main(["run", str(unchanged["seeds"]), "--data-dir", str(paths.data_dir)]) == 0
    out = capsys.readouterr().out
    assert "nothing changed since the last run" in out
    assert "documents: 5 seen, 0 loaded, 5 skipped (unchanged), 0 rejected" in out
    assert db.fingerprint(paths.db) == before
    runs = db.query(
        paths.db, "select status, flow_run_id, n_seen, n_skipped, n_ignored, sources from runs order by started_at"
    )
    assert len(runs[1]) == runs_before + 1
    assert runs[1][-1] == ("completed", None, 5, 5, 0, str(unchanged["seeds"]))


def test_any_work_goes_to_the_flow(unchanged):
    from newsetl.unchanged import nothing_to_do

    paths, seeds = unchanged["paths"], [str(unchanged["seeds"])]
    assert nothing_to_do(seeds, paths).items == unchanged["uris"]
    assert nothing_to_do([*seeds, "https://example.org/a.html"], paths) is None  # a URL is only known by fetching it
    assert nothing_to_do([*seeds, str(paths.data_dir / "missing.txt")], paths) is None  # a reject to record

    with db.connect(paths.db) as con:  # new reference data (seeds/*.csv changed)
        con.execute("update meta set value = 'older' where key = 'reference_version'")
    assert nothing_to_do(seeds, paths) is None
    from tasks.load import reference_version

    with db.connect(paths.db) as con:
        con.execute("update meta set value = ? where key = 'reference_version'", [reference_version(paths.seeds)])
        con.execute("delete from doc_signatures where doc_id = (select min(doc_id) from documents)")
    assert nothing_to_do(seeds, paths) is None  # a document without its story


def test_an_interrupted_run_or_a_changed_file_goes_to_the_flow(unchanged):
    from newsetl.unchanged import nothing_to_do

    paths, seeds = unchanged["paths"], [str(unchanged["seeds"])]
    with db.connect(paths.db) as con:
        con.execute(
            "insert into runs (run_id, started_at, status) values ('killed', now() + interval 1 minute, 'running')"
        )
    assert nothing_to_do(seeds, paths) is None
    with db.connect(paths.db) as con:
        con.execute("delete from runs where run_id = 'killed'")
    assert nothing_to_do(seeds, paths) is not None

    first = sorted(unchanged["seeds"].glob("*.txt"))[0]
    first.write_text(first.read_text() + "\nOne more paragraph.\n")
    assert nothing_to_do(seeds, paths) is None


def test_an_unchanged_run_counts_what_it_ignores_as_the_flow_does(unchanged, capsys):
    """A file of an unsupported type in a source folder is counted as ignored by the flow; the run that has
    nothing to do accounts for it the same way (not silently dropped), per source too."""
    paths, seeds = unchanged["paths"], unchanged["seeds"]
    (seeds / "notes.pdf").write_bytes(b"%PDF-1.4 not an article")
    assert main(["run", str(seeds), "--data-dir", str(paths.data_dir)]) == 0
    assert "documents: 6 seen, 0 loaded, 5 skipped (unchanged), 0 rejected, 1 ignored" in capsys.readouterr().out
    runs = db.query(paths.db, "select flow_run_id, n_seen, n_skipped, n_ignored from runs order by started_at")
    assert runs[1][-1] == (None, 6, 5, 1)
