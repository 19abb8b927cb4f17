"""Throughput of the whole pipeline on a corpus built from ../shared/eval pages, against trafilatura alone.

    .venv/bin/python bench/throughput.py [--docs 2000] [--workers 2] [--batch-size 100] [--repeat 2] [--data ../shared]
    .venv/bin/python bench/throughput.py --startup    # only the unchanged run on the seeds, with and without a server
    .venv/bin/python bench/throughput.py --startup --formats --docs 1500 --whole 10000 --skip-plain   # all three

Builds ``--docs`` documents from the HTML pages of eval/extraction in the ``--data`` folder and the bundled seeds,
each copy varied (an edition number in every paragraph) so that content hashes differ; runs
``newsetl run`` on them in a subprocess (fresh data dir, its own temporary Prefect server); samples the
RSS of the whole process tree; then reads the per-stage seconds the run stored in ``runs.stage_seconds``.
In the same run, trafilatura alone extracts the same HTML pages (one core), and the ratio is printed.
A second ``newsetl run`` over the same corpus measures the incremental (all unchanged) case, against the
running server (a flow run) and without ``PREFECT_API_URL`` (no temporary server: nothing to do, no flow run).

Orchestration overhead is the difference to the same work run without Prefect. On a shared machine whose
speed drifts between runs, one pair of ~90 s runs is noisy: ``--repeat`` runs pairs in alternating order
(without/with, with/without, …: a drift in time favours neither side) and prints each pair, their median,
and the CPU seconds of both sides (the Prefect run's including what the Prefect server spent on it).
"""

from __future__ import annotations

import argparse
import json
import os
import re
import resource
import socket
import subprocess
import sys
import tempfile
import threading
import time
import urllib.request
from pathlib import Path
from typing import NamedTuple

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
DATA = ROOT.parent / "shared"  # the evaluation data, beside the repository (--data)
EVAL = DATA / "eval" / "extraction"
NEWSETL = [sys.executable, "-m", "newsetl.cli"]


def source_pages(eval_dir: Path = EVAL) -> list[Path]:
    pages = sorted((eval_dir / "trafilatura" / "html").glob("*.htm*"))
    pages += sorted((eval_dir / "readability").glob("*/source.html"))
    pages += sorted((eval_dir / "newspaper4k" / "html").glob("*.html"))
    pages += sorted((ROOT / "seeds" / "corpus").glob("*.txt"))
    return pages


def vary(data: str, i: int, html: bool) -> str:
    """Make copy ``i`` of a page differ in its article text (every paragraph gets an edition mark)."""
    if not html:
        return re.sub(r"^(?=.{80})", f"Edition {i}. ", data, flags=re.M)  # the long (article) lines
    varied, n = _P_OPEN.subn(rf"\g<0>Edition {i}. ", data)
    return varied if n else data.replace("<body", f"<p>Edition {i}.</p><body", 1)


_P_OPEN = re.compile(r"<p\b[^>]*>", re.I)


def build_corpus(out: Path, n: int, eval_dir: Path = EVAL) -> tuple[list[Path], int]:
    pages = source_pages(eval_dir)
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


def _stat(pid: int | str) -> list[str] | None:
    """The fields of ``/proc/<pid>/stat`` after the command name (state, ppid, …, utime, stime at 11 and 12), or
    None for a process that is gone."""
    try:
        with open(f"/proc/{pid}/stat") as f:
            return f.read().rsplit(")", 1)[1].split()
    except (OSError, IndexError):
        return None


def process_tree(pid: int) -> list[int]:
    """``pid`` and all its descendants, from /proc."""
    children: dict[int, list[int]] = {}
    for entry in os.listdir("/proc"):
        if entry.isdigit() and (fields := _stat(entry)):
            children.setdefault(int(fields[1]), []).append(int(entry))
    out, stack = [], [pid]
    while stack:
        p = stack.pop()
        out.append(p)
        stack += children.get(p, [])
    return out


def memory(pids: list[int]) -> tuple[int, int]:
    """(RSS, PSS) in bytes summed over ``pids``. PSS shares each shared page among the processes that map
    it (the workers share their parent's libraries); summed RSS counts those pages once per process."""
    rss = pss = 0
    for pid in pids:
        try:
            with open(f"/proc/{pid}/smaps_rollup") as f:
                for line in f:
                    if line.startswith("Rss:"):
                        rss += int(line.split()[1]) * 1024
                    elif line.startswith("Pss:"):
                        pss += int(line.split()[1]) * 1024
        except OSError:
            continue
    return rss, pss


WORKER_STAGES = ("extract", "clean", "segment", "language", "entities", "linking", "embedding")


class Measured(NamedTuple):
    wall: float
    peak_rss: int
    peak_pss: int
    cpu: float  # user + system seconds of the command and every descendant it reaped
    output: str


def _children_cpu() -> float:
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return usage.ru_utime + usage.ru_stime


def run_measured(cmd: list[str], env: dict[str, str], every_s: float = 0.5) -> Measured:
    """Run ``cmd``; return its wall time, the peak RSS and peak PSS of its process tree, its CPU time and its output.

    Reading ``smaps_rollup`` costs the reader ~50 ms of CPU per sample for a tree of big processes: the sampler
    is a thread of lowest priority (niceness is per thread on Linux), so the measuring does not slow the
    measured run."""
    cpu0 = _children_cpu()
    start = time.perf_counter()
    proc = subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True, env=env)
    peak = [0, 0]
    out: list[str] = []

    def sample() -> None:
        os.setpriority(os.PRIO_PROCESS, threading.get_native_id(), 19)
        while proc.poll() is None:
            rss, pss = memory(process_tree(proc.pid))
            peak[:] = max(peak[0], rss), max(peak[1], pss)
            time.sleep(every_s)

    sampler = threading.Thread(target=sample, daemon=True)
    sampler.start()
    out.extend(proc.stdout)
    proc.wait()
    elapsed = time.perf_counter() - start
    cpu = _children_cpu() - cpu0
    sampler.join()
    if proc.returncode != 0:
        sys.exit(f"{cmd[:4]} failed:\n" + "".join(out[-40:]))
    return Measured(elapsed, peak[0], peak[1], cpu, "".join(out))


def start_prefect_server(home: Path) -> tuple[subprocess.Popen, dict[str, str], float]:
    """A ``prefect server start`` on 127.0.0.1, as a deployment has one running; returns it, the environment
    that points runs at it, and its start-up time (not part of any run)."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    env = os.environ | {"PREFECT_HOME": str(home), "PREFECT_SERVER_ANALYTICS_ENABLED": "false"}
    prefect = str(Path(sys.executable).parent / "prefect")
    start = time.perf_counter()
    server = subprocess.Popen(
        [prefect, "server", "start", "--host", "127.0.0.1", "--port", str(port)],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        env=env,
        start_new_session=True,
    )
    api = f"http://127.0.0.1:{port}/api"
    while True:
        try:
            with urllib.request.urlopen(f"{api}/health", timeout=2) as r:
                if r.status == 200:
                    break
        except OSError:
            if server.poll() is not None or time.perf_counter() - start > 300:
                sys.exit("prefect server did not start")
            time.sleep(0.5)
    return server, env | {"PREFECT_API_URL": api}, time.perf_counter() - start


def cpu_seconds(pid: int) -> float:
    """CPU seconds used so far by ``pid`` and its descendants."""
    ticks = sum(int(f[11]) + int(f[12]) for p in process_tree(pid) if (f := _stat(p)))
    return ticks / os.sysconf("SC_CLK_TCK")


def wait_idle(server_pid: int, limit_s: float = 120.0) -> float:
    """Wait until the Prefect server has processed the previous run's events and logs (under 5% of a core
    for a second), as it has long before the next scheduled run; returns the seconds waited."""
    start = time.perf_counter()
    while time.perf_counter() - start < limit_s:
        before = cpu_seconds(server_pid)
        time.sleep(1.0)
        if cpu_seconds(server_pid) - before < 0.05:
            break
    return time.perf_counter() - start


def run_pipeline(corpus: Path, data_dir: Path, opts: list[str], env: dict[str, str]) -> Measured:
    return run_measured(NEWSETL + ["run", str(corpus), "--data-dir", str(data_dir)] + opts, env)


def unchanged_without_server(corpus: Path, data_dir: Path, opts: list[str], env: dict[str, str]) -> Measured:
    """An unchanged ``newsetl run`` without ``PREFECT_API_URL``: it finds nothing to do before it would start a
    temporary Prefect server, and records the run without a flow run."""
    run = run_pipeline(corpus, data_dir, opts, {k: v for k, v in env.items() if k != "PREFECT_API_URL"})
    if "nothing changed" not in run.output:
        sys.exit("the unchanged run without PREFECT_API_URL started a flow run:\n" + run.output[-3000:])
    return run


def startup() -> None:
    """``--startup``: the seeds loaded once against a running Prefect server, then the same unchanged run three
    times each way, with the server (a flow run) and without PREFECT_API_URL (no flow run); medians."""
    with tempfile.TemporaryDirectory(prefix="newsetl-bench-") as tmp:
        server, env, server_s = start_prefect_server(Path(tmp) / "prefect-home")
        try:
            seeds, data_dir = ROOT / "seeds" / "corpus", Path(tmp) / "data"
            first = run_pipeline(seeds, data_dir, [], env)
            wait_idle(server.pid)
            with_server: list[Measured] = []
            without: list[Measured] = []
            for _ in range(3):
                with_server.append(run_pipeline(seeds, data_dir, [], env))
                wait_idle(server.pid)
                without.append(unchanged_without_server(seeds, data_dir, [], env))
        finally:
            os.killpg(server.pid, 15)
            server.wait()
    n = len(list(seeds.glob("*.txt")))
    print(f"prefect server (started once, as in a deployment): {server_s:.1f} s to start")
    print(f"first run on the seeds ({n} files, models loaded): {first.wall:.1f} s")
    print("unchanged run on the seeds, the whole command (3 runs each way; median wall, then each run's wall / CPU s):")
    print(f"  with a running Prefect server (a flow run):   {_median(with_server):5.1f} s  {_list(with_server)}")
    print(f"  without PREFECT_API_URL (no flow run needed): {_median(without):5.1f} s  {_list(without)}")


def _median(runs: list[Measured]) -> float:
    return sorted(r.wall for r in runs)[len(runs) // 2]


def _list(runs: list[Measured]) -> str:
    return "(" + ", ".join(f"{r.wall:.1f} / {r.cpu:.1f}" for r in runs) + ")"


def run_plain(corpus: str, data_dir: str, workers: int, batch_size: int) -> None:
    """The same work as ``newsetl run`` — same functions, same process pool (forked from a server that preloaded
    the models), same window of batches in flight, same single writer, stories once at the end — with no
    Prefect at all: the reference for the orchestration overhead."""
    import multiprocessing
    from concurrent.futures import ProcessPoolExecutor
    from multiprocessing import forkserver

    from newsetl.config import Paths
    from newsetl.doc import Processed
    from newsetl.runner import PRELOAD
    from newsetl.version import PIPELINE_VERSION
    from tasks import load
    from tasks.extract import list_sources
    from tasks.process import dedupe, process
    from tasks.stories import update_stories_fn
    from warehouse import db

    paths = Paths.resolve(data_dir)
    db.mark_interrupted_runs(paths.db, "plain")
    known, seen, _ = db.known_inputs(paths.db, PIPELINE_VERSION)
    load.load_reference.fn(paths.db, paths.lake, paths.seeds)
    uris, _ = list_sources([corpus])
    batches = [uris[i : i + batch_size] for i in range(0, len(uris), batch_size)]
    seen = set(seen)
    ctx = multiprocessing.get_context("forkserver")  # as newsetl.runner.SharedModelsTaskRunner
    ctx.set_forkserver_preload([PRELOAD])
    worker_s = 0.0
    with ProcessPoolExecutor(workers, mp_context=ctx) as pool:

        def submit(batch: list[str]):  # noqa: ANN202
            return pool.submit(process, batch, known, paths.seeds)

        window = [submit(b) for b in batches[: workers + 1]]
        for i in range(len(batches)):
            if i + workers + 1 < len(batches):
                window.append(submit(batches[i + workers + 1]))
            done = window.pop(0).result()
            docs, duplicates = dedupe(done.docs, seen)
            key, files = load.write_batch.fn(
                Processed(docs, done.rejects), "plain", paths.lake, PIPELINE_VERSION, duplicates
            )
            load.load_batch.fn(paths.db, paths.lake, files, key, "plain")
            worker_s += sum(done.seconds.get(k, 0.0) for k in WORKER_STAGES)
    forkserver._forkserver._stop()  # noqa: SLF001 - as release_workers() before stories (and reaped: its CPU counts)
    update_stories_fn(paths.db)  # once, after the last batch, as the flow does
    print(f"worker stage seconds: {worker_s:.3f}")


def last_run(data_dir: Path, env: dict[str, str]) -> dict:
    sql = "select n_loaded, n_skipped, n_rejected, stage_seconds from runs order by started_at desc limit 1"
    res = subprocess.run(
        NEWSETL + ["sql", sql, "--data-dir", str(data_dir), "--format", "json"], capture_output=True, text=True, env=env
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


class Pair(NamedTuple):
    plain: Measured | None  # None with --skip-plain
    prefect: Measured
    server_cpu: float  # what the Prefect server spent on the Prefect run, until it was idle again
    row: dict  # the Prefect run's row in ``runs``

    @property
    def overhead(self) -> float:
        return (self.prefect.wall - self.plain.wall) / self.prefect.wall

    @property
    def work_gap(self) -> float:
        """The workers' summed stage time with Prefect over without, minus 1: the same functions on the same batches."""
        plain_work = float(re.search(r"worker stage seconds: ([\d.]+)", self.plain.output).group(1))
        return sum(self.row["stage_seconds"].get(k, 0.0) for k in WORKER_STAGES) / plain_work - 1


def write_containers(files: list[Path], out: Path) -> tuple[Path, Path]:
    """The same pages as one ``.warc.gz`` (a 200 response per page, as a crawler writes it) and as one ``.jsonl``
    (a record per page: ``html`` or ``text``, an ``id``)."""
    from io import BytesIO

    from warcio.statusandheaders import StatusAndHeaders
    from warcio.warcwriter import WARCWriter

    warc_path, jsonl_path = out / "corpus.warc.gz", out / "corpus.jsonl"
    with open(warc_path, "wb") as w, open(jsonl_path, "w", encoding="utf-8") as j:
        writer = WARCWriter(w, gzip=True)
        for f in files:
            html = f.suffix == ".html"
            data = f.read_bytes()
            kind = "text/html" if html else "text/plain"
            headers = StatusAndHeaders("200 OK", [("Content-Type", f"{kind}; charset=utf-8")], protocol="HTTP/1.1")
            uri = f"https://bench.example/{f.name}"
            writer.write_record(writer.create_warc_record(uri, "response", payload=BytesIO(data), http_headers=headers))
            text = data.decode("utf-8")
            j.write(json.dumps({"id": f.stem, "html" if html else "text": text}, ensure_ascii=False) + "\n")
    return warc_path, jsonl_path


def serve_site(files: list[Path]) -> tuple[object, str, list[str]]:
    """A local site serving the pages, an RSS feed of them (with an ETag) and a robots.txt; returns the server,
    the feed's URL and the log of requested paths."""
    import http.server

    by_name = {f.name: f for f in files}
    log: list[str] = []

    class Handler(http.server.BaseHTTPRequestHandler):
        def log_message(self, *args):  # noqa: ANN002
            pass

        def do_GET(self):  # noqa: N802
            log.append(self.path)
            name = self.path.lstrip("/")
            if name == "feed.xml":
                items = "".join(f"<item><title>{n}</title><link>{base}/{n}</link></item>" for n in by_name)
                body, ctype = f'<rss version="2.0"><channel>{items}</channel></rss>'.encode(), "application/rss+xml"
                if self.headers.get("If-None-Match") == '"v1"':
                    self.send_response(304)
                    self.end_headers()
                    return
            elif name == "robots.txt":
                body, ctype = b"User-agent: *\nAllow: /\n", "text/plain"
            elif name in by_name:
                body = by_name[name].read_bytes()
                ctype = "text/html; charset=utf-8" if name.endswith(".html") else "text/plain; charset=utf-8"
            else:
                self.send_error(404)
                return
            self.send_response(200)
            self.send_header("Content-Type", ctype)
            self.send_header("ETag", '"v1"')
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

    httpd = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    base = f"http://127.0.0.1:{httpd.server_address[1]}"
    threading.Thread(target=httpd.serve_forever, daemon=True).start()
    return httpd, f"{base}/feed.xml", log


def run_source_formats(docs: int, opts: list[str], eval_dir: Path = EVAL) -> None:
    """The same corpus as files, as one ``.warc.gz``, as one ``.jsonl``, and fetched through an RSS feed from a
    local site (run twice: the unchanged second run costs one 304 and no article). One ``newsetl run`` each, on a
    fresh data dir, against one Prefect server."""
    with tempfile.TemporaryDirectory(prefix="newsetl-bench-formats-") as tmp:
        corpus = Path(tmp) / "corpus"
        corpus.mkdir()
        files, total_bytes = build_corpus(corpus, docs, eval_dir)
        containers = Path(tmp) / "containers"
        containers.mkdir()
        warc_path, jsonl_path = write_containers(files, containers)
        httpd, feed, log = serve_site(files)
        server, env, _ = start_prefect_server(Path(tmp) / "prefect-home")
        # the bench measures the pipeline, not politeness: no delay between requests to the local site
        env |= {"NEWSETL_ALLOW_PRIVATE_URLS": "1", "NEWSETL_MIN_DELAY": "0", "NEWSETL_PER_HOST": "2"}
        env |= {"NEWSETL_HOST_LOCKS": f"{tmp}/hosts"}
        results = []
        try:
            for name, source, data in (
                ("files", corpus, "d-files"),
                ("warc.gz", warc_path, "d-warc"),
                ("jsonl", jsonl_path, "d-jsonl"),
                ("feed", feed, "d-feed"),
                ("feed, unchanged", feed, "d-feed"),
            ):
                log.clear()
                run = run_measured(NEWSETL + ["run", str(source), "--data-dir", f"{tmp}/{data}"] + opts, env)
                results.append((name, run, last_run(Path(tmp) / data, env), list(log)))
        finally:
            os.killpg(server.pid, 15)
            server.wait()
            httpd.shutdown()
    print(f"source formats: {docs} documents, {total_bytes / 1e6:.1f} MB; {' '.join(opts)}")
    for name, run, row, requests in results:
        fetched = f", {len(requests)} HTTP requests" if name.startswith("feed") else ""
        print(
            f"  {name:16s} {run.wall:7.1f} s  {docs / run.wall:6.1f} docs/s  loaded={row['n_loaded']} "
            f"skipped={row['n_skipped']} rejected={row['n_rejected']}{fetched}"
        )
    first, second = results[3][1].wall, results[4][1].wall
    print(f"  unchanged feed run: {100 * second / first:.1f}% of the first feed run (requests: {results[4][3]})")


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--docs", type=int, default=2000)
    parser.add_argument("--workers", type=int, default=os.cpu_count() or 1)
    parser.add_argument("--batch-size", type=int, default=100)
    parser.add_argument("--repeat", type=int, default=2, help="pairs of runs without and with Prefect, alternated")
    parser.add_argument("--skip-plain", action="store_true", help="one Prefect run, no reference run without Prefect")
    parser.add_argument("--plain", nargs=2, metavar=("CORPUS", "DATA_DIR"), help=argparse.SUPPRESS)
    parser.add_argument("--formats", action="store_true", help="the corpus as files, WARC, JSON Lines and a feed")
    parser.add_argument("--data", type=Path, default=DATA, help="evaluation data folder (default ../shared)")
    parser.add_argument("--startup", action="store_true", help="only the unchanged run on the seeds")
    parser.add_argument(
        "--whole",
        type=int,
        metavar="DOCS",
        help="after --startup/--formats: the whole-run measurement on DOCS documents",
    )
    args = parser.parse_args()
    if args.plain:
        return run_plain(*args.plain, args.workers, args.batch_size)
    opts = ["--workers", str(args.workers), "--batch-size", str(args.batch_size)]
    if args.startup or args.formats:  # the two short modes, alone or one after the other
        if args.startup:
            startup()
        if args.formats:
            run_source_formats(args.docs, opts, args.data / "eval" / "extraction")
        if not args.whole:
            return None
    args.docs = args.whole or args.docs
    with tempfile.TemporaryDirectory(prefix="newsetl-bench-") as tmp:
        corpus = Path(tmp) / "corpus"
        corpus.mkdir()
        files, total_bytes = build_corpus(corpus, args.docs, args.data / "eval" / "extraction")
        n_html, traf_cpu = trafilatura_alone(files)
        server, env, server_s = start_prefect_server(Path(tmp) / "prefect-home")
        try:

            def with_prefect(r: int) -> tuple[Measured, float, dict]:
                cpu0 = cpu_seconds(server.pid)
                data_dir = Path(tmp) / f"data{r}"
                run = run_pipeline(corpus, data_dir, opts, env)
                wait_idle(server.pid)  # the server's backlog of the run's events and logs is the run's cost too
                return run, cpu_seconds(server.pid) - cpu0, last_run(data_dir, env)

            def without(r: int) -> Measured:
                return run_measured([sys.executable, __file__, "--plain", str(corpus), f"{tmp}/plain{r}"] + opts, env)

            if args.skip_plain:
                pairs = [Pair(None, *with_prefect(0))]
            else:
                pairs = []
                for r in range(args.repeat):  # alternating order: without first in even pairs, with first in odd
                    if r % 2 == 0:
                        plain = without(r)
                        pairs.append(Pair(plain, *with_prefect(r)))
                    else:
                        prefect = with_prefect(r)
                        pairs.append(Pair(without(r), *prefect))
            first = pairs[0].row
            second = run_pipeline(corpus, Path(tmp) / "data0", opts, env)
            second_row = last_run(Path(tmp) / "data0", env)
            alone = unchanged_without_server(corpus, Path(tmp) / "data0", opts, env)
            server_rss, _ = memory(process_tree(server.pid))
        finally:
            os.killpg(server.pid, 15)
            server.wait()

    run = pairs[0].prefect
    stages = first["stage_seconds"]
    print(f"corpus: {args.docs} documents ({n_html} HTML), {total_bytes / 1e6:.1f} MB; workers={args.workers}")
    print(f"prefect server (started once, before the runs, as in a deployment): {server_s:.1f} s to start")
    print(
        f"first run:  {run.wall:7.1f} s  {args.docs / run.wall:6.1f} docs/s  {total_bytes / 1e6 / run.wall:5.2f} MB/s  "
        f"loaded={first['n_loaded']} skipped={first['n_skipped']} rejected={first['n_rejected']}"
    )
    if len(pairs) > 1:
        walls = ", ".join(f"{p.prefect.wall:.1f} s ({args.docs / p.prefect.wall:.1f} docs/s)" for p in pairs)
        print(f"  all {len(pairs)} runs with Prefect: {walls}")
    print(
        f"peak memory of the run's process tree: PSS {run.peak_pss / 2**30:.2f} GiB, summed RSS "
        f"{run.peak_rss / 2**30:.2f} GiB (prefect server apart: RSS {server_rss / 2**30:.2f} GiB)"
    )
    print("time per stage (s, summed over batches):")
    print("  in the workers (in parallel, CPU):")
    for key in WORKER_STAGES:
        print(f"    {key:10s} {stages.get(key, 0.0):8.1f}")
    print("  in the flow process:")
    for key in ("prepare", "write", "load", "stories"):
        print(f"    {key:10s} {stages.get(key, 0.0):8.1f}")
    if not args.skip_plain:
        print(
            "orchestration overhead: the same work without Prefect (same functions, pool and writer), in pairs "
            "run in alternating order; the workers' stage time is the same functions on the same batches, so a "
            "gap there is the machine's speed or Prefect's threads competing for the cores"
        )
        for i, p in enumerate(pairs, 1):
            order = "without, then with" if i % 2 else "with, then without"
            print(
                f"  pair {i} ({order}): {p.plain.wall:.1f} s without, {p.prefect.wall:.1f} s with Prefect: "
                f"{p.prefect.wall - p.plain.wall:+.1f} s = {100 * p.overhead:+.1f}% of the run; "
                f"workers' stage time {100 * p.work_gap:+.1f}%"
            )
            print(
                f"    CPU seconds: {p.plain.cpu:.1f} without, {p.prefect.cpu:.1f} with + {p.server_cpu:.1f} in the "
                f"Prefect server = {100 * ((p.prefect.cpu + p.server_cpu) / p.plain.cpu - 1):+.1f}%"
            )
        overheads = sorted(p.overhead for p in pairs)
        median = (overheads[(len(overheads) - 1) // 2] + overheads[len(overheads) // 2]) / 2
        print(f"  Prefect's share of the run, median of {len(pairs)} pairs: {100 * median:.1f}%")
    traf_rate = n_html / traf_cpu if traf_cpu else float("nan")
    print(f"trafilatura alone: {n_html} HTML pages in {traf_cpu:.1f} CPU s = {traf_rate:.1f} pages/s (one core)")
    ratio = run.wall / (traf_cpu * args.docs / max(n_html, 1))
    print(f"pipeline time / trafilatura time on the same pages: {ratio:.2f}x")
    print(
        f"second run (unchanged): {second.wall:7.1f} s = {100 * second.wall / run.wall:.1f}% of the first; "
        f"loaded={second_row['n_loaded']} skipped={second_row['n_skipped']} (started once the server was idle)"
    )
    print(f"third run (unchanged), without PREFECT_API_URL: {alone.wall:7.1f} s (no temporary server, no flow run)")


if __name__ == "__main__":
    main()
