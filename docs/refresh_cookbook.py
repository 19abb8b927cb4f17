"""Re-run every query of docs/COOKBOOK.md against a fresh warehouse of the bundled seeds and rewrite the
output block under it (and the pipeline version line), so the cookbook shows what the code gives today.

    .venv/bin/python docs/refresh_cookbook.py            # a fresh warehouse of the seeds (`newsetl run`)
    .venv/bin/python docs/refresh_cookbook.py --check    # exit 1 if an output differs (nothing written)
"""

from __future__ import annotations

import argparse
import re
import subprocess
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
COOKBOOK = ROOT / "docs" / "COOKBOOK.md"
NEWSETL = [sys.executable, "-m", "newsetl.cli"]
BLOCK = re.compile(r"(```sql\n(?P<sql>.*?)```\n\n```text\n)(?P<out>.*?)(```)", re.S)
VERSION = re.compile(r"\(pipeline `[^`]*`\)")


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--check", action="store_true")
    args = parser.parse_args()
    sys.path.insert(0, str(ROOT))
    from newsetl.version import PIPELINE_VERSION

    text = COOKBOOK.read_text(encoding="utf-8")
    with tempfile.TemporaryDirectory(prefix="cookbook-") as data_dir:
        subprocess.run([*NEWSETL, "run", "--data-dir", data_dir], check=True, stdout=subprocess.DEVNULL, cwd=ROOT)

        def rerun(m: re.Match) -> str:
            cmd = [*NEWSETL, "sql", m["sql"].strip(), "--data-dir", data_dir]
            out = subprocess.run(cmd, check=True, capture_output=True, text=True, cwd=ROOT).stdout
            return m.group(1) + out.rstrip("\n") + "\n" + m.group(4)

        new = VERSION.sub(f"(pipeline `{PIPELINE_VERSION}`)", BLOCK.sub(rerun, text), count=1)
    if args.check:
        print("cookbook up to date" if new == text else "cookbook outputs differ from the code")
        return int(new != text)
    COOKBOOK.write_text(new, encoding="utf-8")
    print(f"{len(BLOCK.findall(text))} queries re-run; {COOKBOOK}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
