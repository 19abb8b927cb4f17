"""Re-run every query of docs/COOKBOOK.md and of the README's quick start against a fresh warehouse of the
bundled seeds and rewrite the output block under it (and the cookbook's pipeline version line), so the docs
show what the code gives today.

The README's ``console`` blocks that start with ``$ newsetl run`` are the runs that build that warehouse: they
run in the order they appear, in a fresh working directory (so ``./data`` is new), and their output replaces
the block's (the first loads the seeds, a second one shows an unchanged run).

    .venv/bin/python docs/refresh_outputs.py            # a fresh warehouse of the seeds (`newsetl run`)
    .venv/bin/python docs/refresh_outputs.py --check    # exit 1 if an output differs (nothing written)
"""

from __future__ import annotations

import argparse
import os
import re
import shlex
import subprocess
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
DOCS = (ROOT / "docs" / "COOKBOOK.md", ROOT / "README.md")
NEWSETL = [sys.executable, "-m", "newsetl.cli"]
BLOCK = re.compile(r"(```sql\n(?P<sql>.*?)```\n\n?```text\n)(?P<out>.*?)(```)", re.S)
RUN_BLOCK = re.compile(r"(```console\n\$ (?P<cmd>newsetl run[^\n]*)\n)(?P<out>.*?)(```)", re.S)
RUN_LINE = re.compile(r"^run [0-9a-f-]{36}$", re.M)  # a run's id in its summary
VERSION = re.compile(r"\(pipeline `[^`]*`\)")


RUN_ID = re.compile(r"^[0-9a-f]{8}(?= )", re.M)  # the first column of a run's row


def stable(doc: str) -> str:
    """``doc`` without what differs between two fresh warehouses of the same seeds: run ids, and the values of
    ``duration_s`` columns."""

    def mask(m: re.Match) -> str:
        lines = m["out"].split("\n")
        cols = [c.strip() for c in lines[0].split("|")]
        if "duration_s" in cols:
            k = cols.index("duration_s")
            lines[2:] = ["|".join("<s>" if i == k else c for i, c in enumerate(line.split("|"))) for line in lines[2:]]
        return m.group(1) + RUN_ID.sub("<run>", "\n".join(lines)) + m.group(4)

    return RUN_LINE.sub("run <run>", BLOCK.sub(mask, doc))


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--check", action="store_true")
    args = parser.parse_args()
    sys.path.insert(0, str(ROOT))
    from newsetl.version import PIPELINE_VERSION

    texts = {doc: doc.read_text(encoding="utf-8") for doc in DOCS}
    with tempfile.TemporaryDirectory(prefix="doc-outputs-") as cwd:
        data_dir = str(Path(cwd) / "data")
        env = {k: v for k, v in os.environ.items() if k != "PREFECT_API_URL"}  # as a new user runs it
        env["PYTHONPATH"] = str(ROOT)

        def run(m: re.Match) -> str:
            cmd = [*NEWSETL, *shlex.split(m["cmd"])[1:]]
            out = subprocess.run(cmd, check=True, capture_output=True, text=True, cwd=cwd, env=env).stdout
            return m.group(1) + out.strip("\n") + "\n" + m.group(4)

        runs = {doc: RUN_BLOCK.sub(run, t) for doc, t in texts.items()}
        if not any(RUN_BLOCK.search(t) for t in texts.values()):
            subprocess.run([*NEWSETL, "run"], check=True, stdout=subprocess.DEVNULL, cwd=cwd, env=env)

        def rerun(m: re.Match) -> str:
            cmd = [*NEWSETL, "sql", m["sql"].strip(), "--data-dir", data_dir]
            out = subprocess.run(cmd, check=True, capture_output=True, text=True, cwd=ROOT).stdout
            return m.group(1) + out.rstrip("\n") + "\n" + m.group(4)

        new = {
            doc: VERSION.sub(f"(pipeline `{PIPELINE_VERSION}`)", BLOCK.sub(rerun, t), count=1)
            for doc, t in runs.items()
        }
    if args.check:  # a fresh warehouse has new run ids and durations: those may differ
        stale = [doc.name for doc in DOCS if stable(new[doc]) != stable(texts[doc])]
        print(f"outputs differ from the code in: {', '.join(stale)}" if stale else "outputs up to date")
        return int(bool(stale))
    stale = [doc.name for doc in DOCS if new[doc] != texts[doc]]
    for doc in DOCS:
        doc.write_text(new[doc], encoding="utf-8")
    print(f"{sum(len(BLOCK.findall(t)) for t in texts.values())} queries re-run; changed: {', '.join(stale) or 'none'}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
