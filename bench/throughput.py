"""Throughput of the whole pipeline on a corpus built from ../shared/eval pages, against trafilatura alone.

    .venv/bin/python bench/throughput.py [--docs 2000] [--workers 2] [--batch-size 100]

Builds ``--docs`` documents from the HTML pages of ../shared/eval/extraction and the bundled seeds,
each copy varied (an edition number in every paragraph) so that content hashes differ; runs
``newsetl run`` on them in a subprocess (fresh data dir, its own temporary Prefect server); samples the
RSS of the whole process tree; then reads the per-stage seconds the run stored in ``runs.stage_seconds``.
In the same run, trafilatura alone extracts the same HTML pages (one core), and the ratio is printed.
A second ``newsetl run`` over the same corpus measures the incremental (all unchanged) case.
"""

from __future__ import annotations

import argparse
import json
import os
import re
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
EVAL = ROOT.parent / "shared" / "eval" / "extraction"
NEWSETL = [sys.executable, "-m", "newsetl.cli"]


def source_pages() -> list[Path]:
    pages = sorted((EVAL / "trafilatura" / "html").glob("*.htm*"))
    pages += sorted((EVAL / "readability").glob("*/source.html"))
    pages += sorted((EVAL / "newspaper4k" / "html").glob("*.html"))
    pages += sorted((ROOT / "seeds" / "corpus").glob("*.txt"))
    return pages


def vary(data: str, i: int, html: bool) -> str:
    """Make copy ``i`` of a page differ in its article text (every paragraph gets an edition mark)."""
    if not html:
        return re.sub(r"^(?=.{80})", f"Edition {i}. ", data, flags=re.M)  # the long (article) lines
    varied, n = _P_OPEN.subn(rf"\g<0>Edition {i}. ", data)
    return varied if n else data.replace("<body", f"<p>Edition {i}.</p><body", 1)


_P_OPEN = re.compile(r"<p\b[^>]*>", re.I)


def build_corpus(out: Path, n: int) -> tuple[list[Path], int]:
    pages = source_pages()
    files, total = [], 0
    for i in range(n):
        src = pages[i % len(pages)]
        html = src.suffix != ".txt"
        text = vary(src.read_bytes().decode("utf-8", "replace"), i, html)
        dest = out / f"{i:05d}{'.html' if html else '.txt'}"
        dest.write_text(text, encoding="utf-8")
        files.append(dest)
        total += dest.stat().st_size
    return files, total


def tree_rss(pid: int) -> int:
    """Sum of RSS (bytes) of ``pid`` and all its descendants, from /proc."""
    children: dict[int, list[int]] = {}
    rss: dict[int, int] = {}
    for entry in os.listdir("/proc"):
        if not entry.isdigit():
            continue
        try:
            with open(f"/proc/{entry}/stat") as f:
                fields = f.read().rsplit(")", 1)[1].split()
            children.setdefault(int(fields[1]), []).append(int(entry))
            rss[int(entry)] = int(fields[21]) * os.sysconf("SC_PAGE_SIZE")
        except (OSError, IndexError, ValueError):
            continue
    total, stack = 0, [pid]
    while stack:
        p = stack.pop()
        total += rss.get(p, 0)
        stack += children.get(p, [])
    return total


def run_pipeline(corpus: Path, data_dir: Path, workers: int, batch_size: int) -> tuple[float, int, str]:
    cmd = NEWSETL + ["run", str(corpus), "--data-dir", str(data_dir), "--workers", str(workers)]
    cmd += ["--batch-size", str(batch_size)]
    env = os.environ | {"PREFECT_HOME": str(data_dir.parent / "prefect-home")}
    start = time.perf_counter()
    proc = subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True, env=env)
    peak = 0
    out: list[str] = []
    reader = threading.Thread(target=lambda: out.extend(proc.stdout), daemon=True)
    reader.start()
    while proc.poll() is None:
        peak = max(peak, tree_rss(proc.pid))
        time.sleep(0.2)
    reader.join()
    elapsed = time.perf_counter() - start
    if proc.returncode != 0:
        sys.exit("newsetl run failed:\n" + "".join(out[-40:]))
    return elapsed, peak, "".join(out)


def last_run(data_dir: Path) -> dict:
    sql = "select n_loaded, n_skipped, n_rejected, stage_seconds from runs order by started_at desc limit 1"
    res = subprocess.run(
        NEWSETL + ["sql", sql, "--data-dir", str(data_dir), "--format", "json"], capture_output=True, text=True
    )
    row = json.loads(res.stdout)[0]
    row["stage_seconds"] = json.loads(row["stage_seconds"] or "{}")
    return row


def trafilatura_alone(files: list[Path]) -> tuple[int, float]:
    import trafilatura

    html = [f.read_text(encoding="utf-8") for f in files if f.suffix == ".html"]
    start = time.process_time()
    for page in html:
        trafilatura.extract(page, include_comments=False)
    return len(html), time.process_time() - start


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--docs", type=int, default=2000)
    parser.add_argument("--workers", type=int, default=os.cpu_count() or 1)
    parser.add_argument("--batch-size", type=int, default=100)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="newsetl-bench-") as tmp:
        corpus, data_dir = Path(tmp) / "corpus", Path(tmp) / "data"
        corpus.mkdir()
        files, total_bytes = build_corpus(corpus, args.docs)
        n_html, traf_cpu = trafilatura_alone(files)
        wall, peak, _ = run_pipeline(corpus, data_dir, args.workers, args.batch_size)
        first = last_run(data_dir)
        wall2, _, _ = run_pipeline(corpus, data_dir, args.workers, args.batch_size)
        second = last_run(data_dir)

    stages = first["stage_seconds"]
    cpu_stages = ("clean", "segment", "language", "entities", "linking")
    busy = sum(stages.get(k, 0.0) for k in cpu_stages) / max(args.workers, 1)
    busy += sum(stages.get(k, 0.0) for k in ("prepare", "extract", "write", "load", "stories"))
    print(f"corpus: {args.docs} documents ({n_html} HTML), {total_bytes / 1e6:.1f} MB; workers={args.workers}")
    print(
        f"first run:  {wall:7.1f} s  {args.docs / wall:6.1f} docs/s  {total_bytes / 1e6 / wall:5.2f} MB/s  "
        f"loaded={first['n_loaded']} skipped={first['n_skipped']} rejected={first['n_rejected']}"
    )
    print(f"peak RSS (process tree): {peak / 2**30:.2f} GiB")
    print("time per stage (s, summed over batches; CPU stages run in parallel in the workers):")
    for key in ("prepare", "extract", *cpu_stages, "write", "load", "stories"):
        print(f"  {key:10s} {stages.get(key, 0.0):8.1f}")
    other = max(wall - busy, 0.0)
    print(
        f"  {'other':10s} {other:8.1f}   (Prefect server start, orchestration, worker start-up and model loading: {100 * other / wall:.1f}% of wall)"
    )
    traf_rate = n_html / traf_cpu if traf_cpu else float("nan")
    print(f"trafilatura alone: {n_html} HTML pages in {traf_cpu:.1f} CPU s = {traf_rate:.1f} pages/s (one core)")
    print(f"pipeline time / trafilatura time on the same pages: {wall / (traf_cpu * args.docs / max(n_html, 1)):.2f}x")
    print(
        f"second run (unchanged): {wall2:7.1f} s = {100 * wall2 / wall:.1f}% of the first; "
        f"loaded={second['n_loaded']} skipped={second['n_skipped']}"
    )


if __name__ == "__main__":
    main()
