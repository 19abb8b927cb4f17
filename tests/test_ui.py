"""End to end in a real headless Chromium: a real Prefect server, a real ingest run against it, the
Prefect UI's flow-run and artifact pages, and the static HTML report opened from disk.

Chromium is driven over the DevTools protocol (``--remote-debugging-port=0``, the port read from
``DevToolsActivePort``) with the ``websockets`` client that Prefect already depends on. Screenshots go
to ``tests/artifacts/`` (ignored by git). Skipped only when ``/usr/bin/chromium`` is absent
(``apt-get install -y chromium``).
"""

from __future__ import annotations

import base64
import itertools
import json
import os
import re
import shutil
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


class Browser:
    """Just enough of the DevTools protocol: navigate, evaluate, wait for text, screenshot."""

    def __init__(self, profile: Path) -> None:
        self.proc = subprocess.Popen(
            [
                str(CHROMIUM),
                "--headless",
                "--no-sandbox",
                "--disable-gpu",
                "--disable-dev-shm-usage",
                "--disable-background-networking",
                "--disable-component-update",
                "--disable-sync",
                "--no-first-run",
                "--no-default-browser-check",
                "--hide-scrollbars",
                "--window-size=1400,1000",
                f"--user-data-dir={profile}",
                "--remote-debugging-port=0",
                "about:blank",
            ],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
            start_new_session=True,
        )
        port_file = profile / "DevToolsActivePort"
        deadline = time.monotonic() + 60
        while not (port_file.exists() and port_file.read_text().strip()):
            if self.proc.poll() is not None or time.monotonic() > deadline:
                self.close()
                raise RuntimeError("chromium did not open its DevTools port")
            time.sleep(0.2)
        port = int(port_file.read_text().split()[0])
        pages = [t for t in httpx.get(f"http://127.0.0.1:{port}/json/list", timeout=10).json() if t["type"] == "page"]
        from websockets.sync.client import connect

        self.ws = connect(pages[0]["webSocketDebuggerUrl"], max_size=64 * 1024 * 1024, open_timeout=30)
        self.ids = itertools.count(1)
        self.call("Page.enable")
        self.call("Runtime.enable")

    def call(self, method: str, timeout: float = 60, **params: object) -> dict:
        msg_id = next(self.ids)
        self.ws.send(json.dumps({"id": msg_id, "method": method, "params": params}))
        deadline = time.monotonic() + timeout
        while True:
            msg = json.loads(self.ws.recv(timeout=max(deadline - time.monotonic(), 0.1)))
            if msg.get("id") == msg_id:
                if "error" in msg:
                    raise RuntimeError(f"{method}: {msg['error']}")
                return msg.get("result", {})

    def navigate(self, url: str) -> None:
        self.call("Page.navigate", url=url)

    def evaluate(self, expression: str) -> object:
        result = self.call("Runtime.evaluate", expression=expression, returnByValue=True)
        return result.get("result", {}).get("value")

    def click_text(self, label: str, timeout: float = 30) -> None:
        """Click the first tab, button or link whose visible text is ``label``."""
        js = (
            "(() => { const el = [...document.querySelectorAll('button, a, [role=tab], li, span')]"
            f".find(e => e.innerText && e.innerText.trim() === {json.dumps(label)});"
            " if (!el) return false; el.click(); return true; })()"
        )
        deadline = time.monotonic() + timeout
        while not self.evaluate(js):
            if time.monotonic() > deadline:
                raise AssertionError(f"nothing to click labelled {label!r}")
            time.sleep(0.5)

    def wait_for_text(self, *needles: str, timeout: float = 90) -> str:
        deadline = time.monotonic() + timeout
        text = ""
        while time.monotonic() < deadline:
            text = self.evaluate("document.body ? document.body.innerText : ''") or ""
            if all(n in text for n in needles):
                return text
            time.sleep(0.5)
        raise AssertionError(f"page never showed {needles!r}; it shows:\n{text[:3000]}")

    def screenshot(self, name: str) -> Path:
        ARTIFACTS.mkdir(exist_ok=True)
        ignore = ARTIFACTS / ".gitignore"
        if not ignore.exists():
            ignore.write_text("*\n")
        data = self.call("Page.captureScreenshot", format="png", captureBeyondViewport=True)["data"]
        path = ARTIFACTS / name
        path.write_bytes(base64.b64decode(data))
        return path

    def close(self) -> None:
        if getattr(self, "ws", None) is not None:
            self.ws.close()
        stop(self.proc)


@pytest.fixture(scope="module")
def browser(tmp_path_factory):
    profile = tmp_path_factory.mktemp("chromium-profile")
    b = Browser(profile)
    try:
        yield b
    finally:
        b.close()
        shutil.rmtree(profile, ignore_errors=True)


def test_flow_run_page_shows_the_run(prefect_server, ingested, browser):
    run = ingested["flow_run"]
    assert run["state"]["type"] == "COMPLETED"
    browser.navigate(f"{prefect_server['ui']}/runs/flow-run/{run['id']}")
    # the run's name, its state, its flow's name (breadcrumb) and its task runs
    browser.wait_for_text(run["name"], "Completed", "ingest", "Task Runs")
    assert browser.screenshot("flow-run.png").stat().st_size > 10_000
    browser.click_text("Task Runs")
    browser.wait_for_text("write-parquet", "load-duckdb")
    browser.screenshot("flow-run-task-runs.png")


def test_artifacts_are_visible(prefect_server, ingested, browser):
    artifacts = ingested["artifacts"]
    assert {"ingest-summary", "ingest-report"} <= set(artifacts), artifacts.keys()
    # the run's page lists its artifacts ...
    browser.navigate(f"{prefect_server['ui']}/runs/flow-run/{ingested['flow_run']['id']}")
    browser.wait_for_text("Artifacts", "Completed")
    browser.click_text("Artifacts")
    browser.wait_for_text("ingest-report", "ingest-summary")
    browser.screenshot("flow-run-artifacts.png")
    # ... and the markdown artifact renders with its content
    browser.navigate(f"{prefect_server['ui']}/artifacts/artifact/{artifacts['ingest-report']['id']}")
    browser.wait_for_text("newsetl ingest", "Top entities", "Rejects")
    browser.screenshot("artifact-ingest-report.png")
    browser.navigate(f"{prefect_server['ui']}/artifacts/artifact/{artifacts['ingest-summary']['id']}")
    browser.wait_for_text("loaded", "rejected")
    browser.screenshot("artifact-ingest-summary.png")


def test_html_report_opens_offline(ingested, browser, tmp_path):
    from newsetl.report import build_report

    out = build_report(ingested["data_dir"] / "newsetl.duckdb", tmp_path / "report.html")
    browser.navigate(out.as_uri())
    browser.wait_for_text("Entity timelines", "Language mix", "Co-occurrence network")
    charts = browser.evaluate("[...document.querySelectorAll('svg.chart')].map(s => s.id)")
    assert set(charts) >= {"timeline-chart", "language-chart", "network-chart"}, charts
    assert browser.evaluate("document.querySelectorAll('#language-chart rect').length") > 0
    assert browser.evaluate("document.querySelectorAll('#timeline-chart rect').length") > 0
    assert browser.evaluate("document.querySelectorAll('#network-chart circle').length") > 1
    # everything came from the file itself: no other resource was requested
    resources = browser.evaluate("performance.getEntriesByType('resource').map(r => r.name)")
    assert resources == [], resources
    browser.screenshot("report.png")
