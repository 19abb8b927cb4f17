"""The generated documentation: docs/BENCHMARKS.md is written from the bench scripts, one section each, and a
partial refresh keeps the sections it did not run."""

from __future__ import annotations

import importlib.util
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent


@pytest.fixture(scope="module")
def builder():
    spec = importlib.util.spec_from_file_location("build_benchmarks", ROOT / "docs" / "build_benchmarks.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_every_bench_has_a_title_and_a_method(builder):
    assert {"extraction", "faults", "langid", "ner", "stories", "throughput"} <= set(builder.benches())
    for name in builder.benches():
        title, method = builder.describe(builder.BENCH / f"{name}.py")
        assert title and "\n" not in title, name
        assert len(method) > 80, (name, method)  # a paragraph of method, not a usage line
        assert not builder.USAGE.match(method) and "``" not in method, (name, method)


def test_a_partial_refresh_keeps_the_other_sections(builder, tmp_path, monkeypatch):
    page = tmp_path / "BENCHMARKS.md"
    monkeypatch.setattr(builder, "PAGE", page)
    sections = {}
    for name, output in (("stories", "story F1 1.000"), ("faults", "runs survived: 4")):
        sections[name] = "\n".join(
            [builder.START.format(name), f"## {name}", "", "```text", output, "```", builder.END.format(name), ""]
        )
    page.write_text(builder.render(sections))
    monkeypatch.setattr(builder, "run", lambda name, extra: sections["faults"].replace("4", "5"))
    monkeypatch.setattr("sys.argv", ["build_benchmarks.py", "--only", "faults"])
    assert builder.main() == 0
    text = page.read_text()
    assert "story F1 1.000" in text and "runs survived: 5" in text and "runs survived: 4" not in text
    assert text.index("## faults") < text.index("## stories")  # in the order of the scripts' names
    assert "- [faults](#faults): Fault injection" in text


def test_the_checked_in_page_has_a_section_per_bench_it_names(builder):
    text = (ROOT / "docs" / "BENCHMARKS.md").read_text()
    found = [m["name"] for m in builder.SECTION.finditer(text)]
    assert found and set(found) <= set(builder.benches())
    for name in found:
        section = text[text.index(builder.START.format(name)) :]
        assert "at commit `" in section.split("```")[0], name  # where and when it was produced
