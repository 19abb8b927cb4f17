"""Worker memory: what the forkserver's preloaded models hold, and what a forked worker adds by processing documents.

Method: a fresh process imports ``newsetl.preload`` as the forkserver of ``newsetl run`` does (every model loaded and
warmed on the seeds, freed heap returned, ``gc.freeze``) and reports its resident set (RSS) and private memory. It
then forks a worker that runs the real extract, clean and enrich steps (``tasks.process._process``, the function a
worker runs per batch) on ``--docs`` HTML pages of the throughput corpus (``bench/throughput.py``'s, built from
``<data>/eval/extraction``) in batches of 100, and after each batch prints the worker's private memory
(``Private_Dirty`` of ``/proc/PID/smaps_rollup``). At the end it splits that private memory into pages copied from
the parent (present in both, on different physical frames, compared through ``/proc/PID/pagemap``; reading frame
numbers needs root, else this line is left out) and pages the worker allocated itself. Memory in MB (10^6 bytes).

Run from the repository root::

    .venv/bin/python bench/memory.py [--data ../shared] [--docs 500]
"""

from __future__ import annotations

import argparse
import os
import struct
import sys
import tempfile
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
PAGE = os.sysconf("SC_PAGE_SIZE")


def mb(n: float) -> str:
    return f"{n / 1e6:7.1f}"


def _maps(pid: int) -> list[tuple[int, int]]:
    spans = []
    for line in Path(f"/proc/{pid}/maps").read_text().splitlines():
        lo, hi = (int(x, 16) for x in line.split()[0].split("-"))
        if hi - lo < 1 << 34:  # not the huge reservations (never resident as a whole)
            spans.append((lo, hi))
    return spans


def _frames(pid: int, lo: int, hi: int) -> tuple[int, ...]:
    with open(f"/proc/{pid}/pagemap", "rb") as fh:
        fh.seek(lo // PAGE * 8)
        data = fh.read((hi - lo) // PAGE * 8)
    return struct.unpack(f"{len(data) // 8}Q", data)


def copied_pages(parent: int, child: int) -> int | None:
    """Pages of ``child`` present in ``parent`` at the same address on another physical frame (copied on write);
    None when frame numbers cannot be read (they read as 0 without CAP_SYS_ADMIN)."""
    present, pfn = 1 << 63, (1 << 55) - 1
    in_parent = set(_maps(parent))
    copied = seen_frames = 0
    for lo, hi in _maps(child):
        if (lo, hi) not in in_parent:
            continue
        try:
            c, p = _frames(child, lo, hi), _frames(parent, lo, hi)
        except OSError:
            continue
        for a, b in zip(c, p, strict=False):
            if a & present and b & present:
                seen_frames |= a & pfn
                copied += (a & pfn) != (b & pfn)
    return copied if seen_frames else None


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--data", type=Path, default=REPO.parent / "shared")
    ap.add_argument("--docs", type=int, default=500)
    args = ap.parse_args()
    sys.path.insert(0, str(REPO))
    sys.path.insert(0, str(REPO / "bench"))
    os.environ.setdefault("PREFECT_SERVER_ANALYTICS_ENABLED", "false")
    import throughput

    from newsetl.memory import release_memory
    from newsetl.memory import smaps_rollup as rollup

    base = rollup()
    import newsetl.preload  # noqa: F401 - the forkserver's preload: every model loaded, warmed and frozen

    loaded = rollup()
    print(f"forkserver after the preload: RSS {mb(loaded['Rss'])} MB, private {mb(loaded['Private_Dirty'])} MB")
    print(f"  (the interpreter before it: RSS {mb(base['Rss'])} MB)")

    from tasks.extract import extract_batch
    from tasks.process import _process, clean_batch, enrich_batch

    corpus = Path(tempfile.mkdtemp(prefix="newsetl-memory-"))
    throughput.build_corpus(corpus, args.docs, args.data / "eval" / "extraction")
    files = sorted(str(p) for p in corpus.iterdir())
    steps = (extract_batch.fn, clean_batch.fn, enrich_batch.fn)
    seeds = REPO / "seeds"
    ready_r, ready_w = os.pipe()
    done_r, done_w = os.pipe()
    pid = os.fork()
    if pid == 0:
        os.close(ready_r)
        os.close(done_w)
        print(f"worker, forked: private {mb(rollup()['Private_Dirty'])} MB")
        for start in range(0, len(files), 100):
            _process(files[start : start + 100], {}, seeds, steps)
            release_memory()  # as a worker of the pool does between batches
            print(f"  after {min(start + 100, len(files)):5d} documents: private {mb(rollup()['Private_Dirty'])} MB")
        sys.stdout.flush()
        os.write(ready_w, b"1")
        os.read(done_r, 1)  # stay alive while the parent compares the pages
        os._exit(0)
    os.close(ready_w)
    os.close(done_r)
    os.read(ready_r, 1)
    private = rollup(pid)["Private_Dirty"]
    copied = copied_pages(os.getpid(), pid)
    os.write(done_w, b"1")
    os.waitpid(pid, 0)
    if copied is not None:
        print(
            f"worker's private memory at the end: {mb(private)} MB = {mb(copied * PAGE)} MB of pages copied from "
            f"the forkserver + {mb(private - copied * PAGE)} MB of its own"
        )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
