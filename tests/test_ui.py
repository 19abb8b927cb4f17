"""End to end in a real headless Chromium: a real Prefect server, a real ingest run against it, the
Prefect UI's flow-run and artifact pages, and the static HTML report opened from disk.

Chromium is Debian's (``make browser`` installs it), driven by Playwright's Python package, whose wheel
bundles its driver; Playwright's own browser downloads are never used (``executable_path``). Screenshots go
to ``tests/artifacts/`` (ignored by git). Skipped only when ``/usr/bin/chromium`` is absent
(``apt-get install -y chromium``; ``NEWSETL_CHROMIUM`` names another binary).
"""

from __future__ import annotations

import os
import re
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

import httpx
import pytest

ROOT = Path(__file__).resolve().parent.parent
CHROMIUM = Path(os.environ.get("NEWSETL_CHROMIUM", "/usr/bin/chromium"))
ARTIFACTS = Path(__file__).parent / "artifacts"
VENV_BIN = Path(sys.executable).parent

pytestmark = [
    pytest.mark.slow,
    pytest.mark.skipif(not CHROMIUM.exists(), reason=f"{CHROMIUM} is absent: apt-get install -y chromium"),
]


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def clean_env(**extra: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("PREFECT_")}
    env.update(PREFECT_SERVER_ANALYTICS_ENABLED="false", PREFECT_LOGGING_LEVEL="WARNING", **extra)
    return env


def stop(proc: subprocess.Popen) -> None:
    if proc.poll() is None:
        os.killpg(proc.pid, signal.SIGTERM)
        try:
            proc.wait(20)
        except subprocess.TimeoutExpired:
            os.killpg(proc.pid, signal.SIGKILL)
            proc.wait(10)


@pytest.fixture(scope="module")
def prefect_server(tmp_path_factory):
    home = tmp_path_factory.mktemp("prefect-home")
    port = free_port()
    api = f"http://127.0.0.1:{port}/api"
    log = open(home / "server.log", "wb")  # noqa: SIM115
    proc = subprocess.Popen(
        [str(VENV_BIN / "prefect"), "server", "start", "--host", "127.0.0.1", "--port", str(port)],
        # the UI calls the API at PREFECT_UI_API_URL, which defaults to port 4200
        env=clean_env(PREFECT_HOME=str(home), PREFECT_SERVER_LOGGING_LEVEL="WARNING", PREFECT_UI_API_URL=api),
        stdout=log,
        stderr=subprocess.STDOUT,
        start_new_session=True,
    )
    try:
        deadline = time.monotonic() + 240
        while True:
            if proc.poll() is not None:
                pytest.fail(f"prefect server exited: {(home / 'server.log').read_text()[-3000:]}")
            try:
                if httpx.get(f"{api}/health", timeout=2).status_code == 200:
                    break
            except httpx.HTTPError:
                pass
            if time.monotonic() > deadline:
                pytest.fail(f"prefect server did not start in 240 s: {(home / 'server.log').read_text()[-3000:]}")
            time.sleep(1)
        yield {"api": api, "ui": f"http://127.0.0.1:{port}", "home": home}
    finally:
        stop(proc)
        log.close()


@pytest.fixture(scope="module")
def ingested(prefect_server, tmp_path_factory):
    """The seeds ingested by ``newsetl run`` in a subprocess, reporting to the test's Prefect server."""
    data_dir = tmp_path_factory.mktemp("ui-data")
    env = clean_env(
        PREFECT_API_URL=prefect_server["api"],
        PREFECT_HOME=str(prefect_server["home"]),
    )
    out = subprocess.run(
        [str(VENV_BIN / "newsetl"), "run", "--data-dir", str(data_dir), "--batch-size", "2"],
        env=env,
        capture_output=True,
        text=True,
        timeout=900,
        cwd=ROOT,
    )
    assert out.returncode == 0, out.stderr[-4000:]
    match = re.search(r"^run ([0-9a-f-]{36})$", out.stdout, re.M)
    assert match, out.stdout
    flow_run_id = match.group(1)
    run = httpx.get(f"{prefect_server['api']}/flow_runs/{flow_run_id}", timeout=10).json()
    artifacts = httpx.post(
        f"{prefect_server['api']}/artifacts/filter",
        json={"artifacts": {"flow_run_id": {"any_": [flow_run_id]}}},
        timeout=10,
    ).json()
    return {"data_dir": data_dir, "flow_run": run, "artifacts": {a["key"]: a for a in artifacts if a.get("key")}}


@pytest.fixture(scope="module")
def browser():
    from playwright.sync_api import sync_playwright

    with sync_playwright() as pw:
        chromium = pw.chromium.launch(
            executable_path=str(CHROMIUM), headless=True, args=["--no-sandbox", "--disable-dev-shm-usage"]
        )
        try:
            yield chromium
        finally:
            chromium.close()


@pytest.fixture
def page(browser):
    context = browser.new_context(viewport={"width": 1400, "height": 1000})
    page = context.new_page()
    page.set_default_timeout(90_000)  # the Prefect UI's first load on a busy machine
    try:
        yield page
    finally:
        context.close()


def shows(page, *texts: str) -> None:
    """Wait until the page's body shows every one of ``texts``."""
    from playwright.sync_api import expect

    for text in texts:
        expect(page.locator("body")).to_contain_text(text, timeout=90_000)


def click(page, label: str) -> None:
    """Click the first visible element whose whole text is ``label`` (a tab, button or link)."""
    page.get_by_text(label, exact=True).filter(visible=True).first.click()


def screenshot(page, name: str) -> Path:
    ARTIFACTS.mkdir(exist_ok=True)
    ignore = ARTIFACTS / ".gitignore"
    if not ignore.exists():
        ignore.write_text("*\n")
    path = ARTIFACTS / name
    page.screenshot(path=path, full_page=True)
    return path


def test_flow_run_page_shows_the_run(prefect_server, ingested, page):
    run = ingested["flow_run"]
    assert run["state"]["type"] == "COMPLETED"
    page.goto(f"{prefect_server['ui']}/runs/flow-run/{run['id']}")
    # the run's name, its state, its flow's name (breadcrumb) and its task runs
    shows(page, run["name"], "Completed", "ingest", "Task Runs")
    assert screenshot(page, "flow-run.png").stat().st_size > 10_000
    click(page, "Task Runs")
    shows(page, "write-parquet", "load-duckdb")
    screenshot(page, "flow-run-task-runs.png")


def test_artifacts_are_visible(prefect_server, ingested, page):
    artifacts = ingested["artifacts"]
    assert {"ingest-summary", "ingest-report"} <= set(artifacts), artifacts.keys()
    # the run's page lists its artifacts ...
    page.goto(f"{prefect_server['ui']}/runs/flow-run/{ingested['flow_run']['id']}")
    shows(page, "Artifacts", "Completed")
    click(page, "Artifacts")
    shows(page, "ingest-report", "ingest-summary")
    screenshot(page, "flow-run-artifacts.png")
    # ... and the markdown artifact renders with its content
    page.goto(f"{prefect_server['ui']}/artifacts/artifact/{artifacts['ingest-report']['id']}")
    shows(page, "newsetl ingest", "Top entities", "Rejects")
    screenshot(page, "artifact-ingest-report.png")
    page.goto(f"{prefect_server['ui']}/artifacts/artifact/{artifacts['ingest-summary']['id']}")
    shows(page, "loaded", "rejected")
    screenshot(page, "artifact-ingest-summary.png")


def test_html_report_opens_offline(ingested, page, tmp_path):
    from newsetl.report import build_report

    out = build_report(ingested["data_dir"] / "newsetl.duckdb", tmp_path / "report.html")
    requested: list[str] = []
    page.on("request", lambda request: requested.append(request.url))
    page.goto(out.as_uri())
    shows(page, "Entity timelines", "Language mix", "Co-occurrence network")
    charts = page.eval_on_selector_all("svg.chart", "svgs => svgs.map(s => s.id)")
    assert set(charts) >= {"timeline-chart", "language-chart", "network-chart"}, charts
    assert page.locator("#language-chart rect").count() > 0
    assert page.locator("#timeline-chart rect").count() > 0
    assert page.locator("#network-chart circle").count() > 1
    # everything came from the file itself: no other resource was requested
    assert requested == [out.as_uri()], requested
    screenshot(page, "report.png")
