"""Write docs/BENCHMARKS.md from the output of the scripts in bench/: one section per script, never edited by hand.

    .venv/bin/python docs/build_benchmarks.py                      # every bench, with its default arguments
    .venv/bin/python docs/build_benchmarks.py --only stories ner   # refresh these sections, keep the others
    .venv/bin/python docs/build_benchmarks.py --only throughput --args throughput="--docs 500 --repeat 1"
    make bench-docs [ONLY="stories ner"]

A section is the script's title and method (the first lines and the first prose paragraph of its module
docstring), the command that ran, the commit, date and machine (CPU model, cores, memory, load) it ran on,
how long it took, and its standard output as it printed it. A bench that fails leaves its section as it was.
"""

from __future__ import annotations

import argparse
import ast
import os
import platform
import re
import shlex
import subprocess
import sys
import time
from datetime import UTC, datetime
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
BENCH = ROOT / "bench"
PAGE = ROOT / "docs" / "BENCHMARKS.md"
START, END = "<!-- bench:{} -->", "<!-- /bench:{} -->"
SECTION = re.compile(r"<!-- bench:(?P<name>[\w-]+) -->\n.*?<!-- /bench:(?P=name) -->\n", re.S)
USAGE = re.compile(r"^\s*(usage:|run from the repository root|\.venv/bin/python|python )", re.I)
HEADER = """\
# Benchmarks

Every number here is printed by a script in [`bench/`](../bench) and copied onto this page by
[`docs/build_benchmarks.py`](build_benchmarks.py) (`make bench-docs`): nothing is pasted by hand. Each section
names the commit, date and machine it was produced on; sections are refreshed one at a time
(`make bench-docs ONLY="stories ner"`), so they may come from different commits. Evaluation data comes from
`../shared` (beside the repository), or from the path given with each script's `--data` option.
Speeds depend on the machine and on its other load at the time; accuracy numbers do not.
"""


def benches() -> list[str]:
    return sorted(p.stem for p in BENCH.glob("*.py") if not p.name.startswith("_"))


def describe(script: Path) -> tuple[str, str]:
    """The title (the docstring's first paragraph) and method (its first prose paragraph after that, usage lines
    left out) of a script's module docstring, reST literals as Markdown code."""
    doc = ast.get_docstring(ast.parse(script.read_text(encoding="utf-8"))) or script.stem
    paragraphs = [p.strip() for p in re.split(r"\n\s*\n", doc.replace("``", "`")) if p.strip()]
    title = " ".join(paragraphs[0].split()).rstrip(".")
    method = next((p for p in paragraphs[1:] if not USAGE.match(p) and not p.rstrip().endswith("::")), "")
    return title, method


def git(*args: str) -> str:
    return subprocess.run(["git", *args], cwd=ROOT, capture_output=True, text=True).stdout.strip()


def commit() -> str:
    """The short commit, marked ``+changes`` when tracked files other than documentation differ from it."""
    status = git("status", "--porcelain", "--untracked-files=no").splitlines()
    dirty = [line for line in status if not line.rstrip().endswith(".md")]
    return git("rev-parse", "--short", "HEAD") + ("+changes" if dirty else "")


def machine() -> str:
    model = platform.processor() or platform.machine()
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                model = line.split(":", 1)[1].strip()
                break
        mem_kb = int(re.search(r"MemTotal:\s+(\d+)", Path("/proc/meminfo").read_text())[1])
        memory = f"{mem_kb / 2**20:.0f} GiB"
    except (OSError, TypeError):
        memory = "? GiB"
    load = ", ".join(f"{x:.1f}" for x in os.getloadavg())
    return f"{model}, {os.cpu_count()} cores, {memory} memory (load average {load} at the start)"


def run(name: str, extra: str) -> str | None:
    """Run one bench; its section, or None when it failed."""
    script = BENCH / f"{name}.py"
    title, method = describe(script)
    cmd = [sys.executable, str(script.relative_to(ROOT)), *shlex.split(extra)]
    shown = " ".join(["python", str(script.relative_to(ROOT)), *shlex.split(extra)])
    where, when, at = machine(), datetime.now(UTC).strftime("%Y-%m-%d %H:%M UTC"), commit()
    print(f"== {shown}", file=sys.stderr, flush=True)
    start = time.perf_counter()
    proc = subprocess.run(cmd, cwd=ROOT, stdout=subprocess.PIPE, text=True)
    seconds = time.perf_counter() - start
    if proc.returncode != 0:
        print(f"{shown} failed (exit {proc.returncode}); its section is kept as it was", file=sys.stderr)
        return None
    output = "\n".join(line.rstrip() for line in proc.stdout.strip("\n").split("\n"))
    return "\n".join(
        [
            START.format(name),
            f"## {name}",
            "",
            f"**{title}.**",
            "",
            method,
            "",
            f"Produced by `{shown}` at commit `{at}`, {when}, in {seconds:.0f} s on {where}.",
            "",
            "```text",
            output,
            "```",
            END.format(name),
            "",
        ]
    )


def render(sections: dict[str, str]) -> str:
    """The page: the header, an index, then the sections in the order of the bench scripts' names."""
    names = [n for n in benches() if n in sections] + sorted(set(sections) - set(benches()))
    index = [f"- [{n}](#{n}): {describe(BENCH / f'{n}.py')[0] if n in benches() else ''}" for n in names]
    page = HEADER + "\n" + "\n".join(index) + "\n\n" + "\n".join(sections[n] for n in names)
    return page.replace(str(ROOT.parent) + "/", "../")  # data paths printed by a bench: relative to the repository


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--only", nargs="+", metavar="NAME", choices=benches(), help="refresh these benches only")
    parser.add_argument(
        "--args", nargs="+", default=[], metavar="NAME=ARGS", help='arguments for a bench, e.g. stories="--data X"'
    )
    args = parser.parse_args()
    extra = dict(a.split("=", 1) for a in args.args)
    old = PAGE.read_text(encoding="utf-8") if PAGE.exists() else ""
    sections = {m["name"]: m.group(0) for m in SECTION.finditer(old)}
    failed = []
    for name in args.only or benches():
        section = run(name, extra.get(name, ""))
        if section is None:
            failed.append(name)
            continue
        sections[name] = section
        PAGE.write_text(render(sections), encoding="utf-8")  # after each bench: a later failure keeps this one
    print(f"{PAGE.name}: {len(sections)} sections" + (f"; failed: {' '.join(failed)}" if failed else ""))
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
