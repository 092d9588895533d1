"""Real-browser tests: the app as a subprocess, one headless Chromium, a fresh context per test.

Chromium comes from the system (WEBDEMO_CHROMIUM, else /usr/bin/chromium, else `chromium` on
PATH), never from `playwright install`. Without it, or without the playwright package, the
tests skip; with CI set they fail instead, so a CI run cannot pass without running them.
"""

import json
import os
import queue
import re
import shutil
import subprocess
import sys
import threading
from pathlib import Path

import pytest

try:
    from playwright.sync_api import expect, sync_playwright
except ImportError:  # reported by the browser fixture: a skip, or a failure under CI
    expect = sync_playwright = None

REPO = Path(__file__).resolve().parents[2]
SHOTS = REPO / "shots"  # gitignored: screenshots for a person to look at

CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
                 "--disable-background-networking", "--disable-component-update",
                 "--disable-sync"]
VIEWPORT = {"width": 1280, "height": 900}
SERVER_START_SECONDS = 20
SERVER_STOP_SECONDS = 5
# Bounded waits for every Playwright action and expect(); the slowest scenario (one-hangs,
# with the server's --timeout 1) answers in about a second.
WAIT_MS = 10_000
ADDRESS_LINE = re.compile(r"webdemo: open (http://127\.0\.0\.1:\d+/) \(Ctrl-C to stop\)\n")

def in_ci():
    return os.environ.get("CI", "").strip().lower() not in ("", "0", "false", "no")


def unavailable(reason):
    if in_ci():
        pytest.fail(f"{reason} (CI is set: the browser tests must run, not skip)", pytrace=False)
    pytest.skip(reason)


def chromium_path():
    override = os.environ.get("WEBDEMO_CHROMIUM")
    if override:
        return shutil.which(override)  # a path or a name; None if not an executable
    return shutil.which("/usr/bin/chromium") or shutil.which("chromium")


# One browser and one server for all the browser tests, stopped as soon as the last one is
# done, not at the end of the session: while Playwright's sync API is open, its asyncio loop
# counts as running in this thread, and every pytest-tornado test after it would fail with
# "Cannot run the event loop while another loop is running". Package scope needs the
# __init__.py beside this file; without it, it would last as long as the session.
@pytest.fixture(scope="package")
def browser():
    if sync_playwright is None:
        unavailable("the playwright package is missing: pip install -e '.[test]' "
                    "(its browsers are not needed; install Chromium: apt-get install -y chromium)")
    executable = chromium_path()
    if executable is None:
        where = os.environ.get("WEBDEMO_CHROMIUM") or "/usr/bin/chromium or chromium on PATH"
        unavailable(f"no Chromium at {where}: install Chromium: apt-get install -y chromium "
                    "(or point WEBDEMO_CHROMIUM at one)")
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=executable, headless=True,
                                             args=CHROMIUM_ARGS, timeout=WAIT_MS * 3)
        expect.set_options(timeout=WAIT_MS)
        yield browser
        browser.close()


def stop(process):
    if process.poll() is None:
        process.terminate()
        try:
            process.wait(timeout=SERVER_STOP_SECONDS)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait(timeout=SERVER_STOP_SECONDS)


@pytest.fixture(scope="package")
def bench_results_path(tmp_path_factory):
    """Where the server looks for bench results: none there unless a test puts some."""
    return tmp_path_factory.mktemp("bench") / "bench.json"


@pytest.fixture(scope="package")
def server_url(tmp_path_factory, bench_results_path):
    """Starts `python -m webdemo --port 0` and answers the address it prints."""
    log_path = tmp_path_factory.mktemp("webdemo") / "stderr.log"
    # --timeout 1: the one-hangs scenario gives up after a second, not three. Bench
    # results of its own, not this machine's: a test chooses whether /costs has any.
    command = [sys.executable, "-m", "webdemo", "--port", "0", "--timeout", "1",
               "--bench-results", str(bench_results_path)]
    with (open(log_path, "wb") as log,
          subprocess.Popen(command, cwd=REPO, stdout=subprocess.PIPE, stderr=log,
                           text=True) as process):
        try:
            lines = queue.Queue()
            reader = threading.Thread(target=lambda: lines.put(process.stdout.readline()),
                                      daemon=True)
            reader.start()
            try:
                line = lines.get(timeout=SERVER_START_SECONDS)
            except queue.Empty:
                line = None
            match = ADDRESS_LINE.fullmatch(line or "")
            if not match:
                stop(process)
                reader.join(timeout=SERVER_STOP_SECONDS)
                said = (f"printed no address within {SERVER_START_SECONDS} s" if line is None
                        else "exited before printing its address" if not line
                        else f"printed {line!r}, not its address")
                pytest.fail(f"{' '.join(command)} {said}; exit status {process.returncode}; "
                            f"stderr: {log_path.read_text(errors='replace')!r}", pytrace=False)
            yield match.group(1)
        finally:
            stop(process)
    # The browser sees a failed request; an exception the server only logged, it does not.
    log_text = log_path.read_text(errors="replace")
    if "Traceback" in log_text:
        pytest.fail(f"the server logged an exception:\n{log_text}", pytrace=False)


class Problems(list):
    """What went wrong in a page, as readable lines: an empty list is a clean page."""

    def watch(self, page):
        page.on("console", self.console)
        page.on("pageerror", lambda error: self.append(f"page error: {error}"))
        page.on("response", self.response)
        # A page left while a request of its own is under way (a link followed before the
        # favicon came) has that request cancelled by the browser: net::ERR_ABORTED, and
        # no fault of the server's. Any other failure, or an abort with no navigation
        # since the request began, is a problem.
        navigations = [0]
        begun_at = {}

        def request(request):
            if request.is_navigation_request() and request.frame.parent_frame is None:
                navigations[0] += 1  # counted first: its own abort is not excused
            begun_at[request] = navigations[0]

        def request_failed(request):
            left_since = navigations[0] > begun_at.get(request, navigations[0])
            if not (left_since and request.failure == "net::ERR_ABORTED"):
                self.append(f"request failed: {request.method} {request.url}: {request.failure}")

        page.on("request", request)
        page.on("requestfailed", request_failed)

    def console(self, message):
        if message.type == "error":
            self.append(f"console error: {message.text} ({message.location.get('url')})")

    def response(self, response):
        if response.status >= 400:
            self.append(f"HTTP {response.status}: {response.request.method} {response.url}")


@pytest.fixture
def problems():
    """Console errors, page errors, failed requests and HTTP errors of this test's pages."""
    return Problems()


@pytest.fixture
def open_page(browser, server_url, problems):
    """open_page(**context_options): a page in a context of its own, watched for problems."""
    contexts = []

    def open_page(**options):
        context = browser.new_context(base_url=server_url, viewport=VIEWPORT, **options)
        context.set_default_timeout(WAIT_MS)
        contexts.append(context)
        page = context.new_page()
        problems.watch(page)
        return page

    yield open_page
    for context in contexts:
        context.close()


@pytest.fixture
def page(open_page):
    return open_page()


@pytest.fixture
def index(page):
    """The side-by-side page, loaded, its script running (it shows Run both)."""
    page.goto("/")
    expect(page.locator("#run-both")).to_be_visible()
    return page


@pytest.fixture(scope="session")
def screenshot():
    """screenshot(page, "name.png"): the whole page, into shots/ at the top of the checkout."""
    SHOTS.mkdir(exist_ok=True)

    def screenshot(page, name):
        page.screenshot(path=SHOTS / name, full_page=True)

    return screenshot


ROWS_JS = """rows => rows.map(row => ({
    target: row.cells[0].innerText.trim(),
    status: row.cells[1].innerText.trim(),
    error: row.cells[4].innerText.trim(),
    outcome: row.className,
}))"""


@pytest.fixture(scope="session")
def read_rows():
    """read_rows(locator, count=3): the rows of the results table inside locator, as dicts,
    once it has count rows."""

    def read_rows(where, count=3):
        rows = where.locator("table.results tbody tr")
        expect(rows).to_have_count(count)
        return rows.evaluate_all(ROWS_JS)

    return read_rows


@pytest.fixture
def stepping(index):
    """The side-by-side page stepping through a traced run of both columns (turns.js)."""
    index.get_by_role("button", name="Step through the turns").click()
    expect(index.locator("section.turns output")).to_have_text(re.compile(r"^step 1 of \d+"))
    return index


# A bench's results as `webdemo bench` writes them: every style at two sizes, the greenlet
# worker's memory apart, and each HTTP client alone.
def bench_run(style, fetches, wall_ms, cpu_ms, threads, grew_mb):
    run = {"style": style, "fetches": fetches, "wall_ms": wall_ms, "cpu_ms": cpu_ms,
           "peak_rss_mb": 50.4 + grew_mb, "rss_before_mb": 50.4, "voluntary_switches": 40,
           "involuntary_switches": 17, "threads": threads, "processes": 1,
           "http_client": "urllib" if style in ("threads", "greenlets", "sequential")
           else "libcurl"}
    if style == "greenlets":
        run |= {"peak_rss_mb": 100.8 + grew_mb, "rss_before_mb": 100.6, "processes": 2,
                "worker_peak_rss_mb": 50.4 + grew_mb / 2, "worker_rss_before_mb": 50.2}
    return run


# (wall ms, CPU ms, threads, MB added) of each style in registry order, at each N.
BENCH_FIGURES = {
    10: [(139.4, 7.2, 2, 0.1), (161.0, 6.9, 2, 0.1), (177.1, 6.8, 2, 0.1),
         (256.8, 11.9, 8, 0.4), (250.2, 14.2, 7, 0.2), (1315.5, 10.9, 3, 0.1)],
    100: [(1081.3, 31.9, 2, 1.4), (609.8, 29.9, 2, 1.2), (916.8, 30.7, 2, 1.2),
          (393.8, 65.5, 101, 4.2), (1169.8, 61.9, 13, 0.6), (11674.5, 75.6, 3, 0.5)],
}
BENCH_STYLES = ["callbacks", "coroutines", "generators", "threads", "greenlets", "sequential"]
BENCH_RESULTS = {
    "webdemo_bench": 1, "finished": "2026-12-07T12:45:00+00:00",
    "machine": {"cpus": 2, "python": "3.11.7", "system": "Linux 6.1"},
    "settings": {"delay_ms": 100, "bytes": 1024, "max_clients": 1000, "timeout": 30,
                 "max_run_seconds": 60, "sizes": [10, 100], "styles": BENCH_STYLES},
    "runs": [bench_run(style, size, *figures) for size, each in BENCH_FIGURES.items()
             for style, figures in zip(BENCH_STYLES, each, strict=True)],
    "skipped": [],
    "failed": [{"style": "sequential", "fetches": 1000,
                "error": "a long failure, to be shown whole on a phone too: " + "x" * 80}],
    "clients": [{"client": "urllib", "fetches": 200, "cpu_ms": 93.2, "cpu_ms_per_fetch": 0.466},
                {"client": "libcurl", "fetches": 200, "cpu_ms": 111.4,
                 "cpu_ms_per_fetch": 0.557}],
}


@pytest.fixture
def bench_results(bench_results_path):
    """/costs has bench results for this test (figures as a small bench measured them)."""
    bench_results_path.write_text(json.dumps(BENCH_RESULTS))
    yield BENCH_RESULTS
    bench_results_path.unlink()
