"""The costs page: the latest bench results against the essay's claims; the live bench."""

import asyncio
import json
import re
import time
from pathlib import Path

import pytest
from helpers import until
from test_worker import gone

from webdemo.app import Config
from webdemo.costs import live_bench
from webdemo.costs.results import save_results
from webdemo.costs.verdicts import VERDICTS
from webdemo.registry import STYLES


@pytest.fixture
def results_path(tmp_path):
    return tmp_path / "cache" / "bench.json"


@pytest.fixture
def config(http_port, results_path, request):
    # A test may serve a shared site: @pytest.mark.parametrize("config", [{...}], indirect).
    return Config(port=http_port, timeout=1.0, bench_results=results_path,
                  **getattr(request, "param", {}))


def run(style, fetches, **figures):
    return {"style": style, "fetches": fetches, "wall_ms": 120.0, "cpu_ms": 50.0,
            "peak_rss_mb": 40.0, "rss_before_mb": 39.0, "voluntary_switches": 100,
            "involuntary_switches": 10, "threads": 5, "processes": 1} | figures


def bench(*runs):
    return {"webdemo_bench": 1, "finished": "2026-01-01T00:00:00+00:00",
            "machine": {"cpus": 2, "python": "3.11.7", "system": "Linux"},
            "settings": {"delay_ms": 100, "bytes": 1024, "max_clients": 1000, "timeout": 30,
                         "max_run_seconds": 60, "styles": list(STYLES), "sizes": [10, 1000]},
            "runs": list(runs), "skipped": [], "failed": []}


# What the essay says, as this machine may or may not bear it out.
THREADS_PAY = bench(
    *(run(style, 10) for style in STYLES),
    run("coroutines", 1000, peak_rss_mb=42.0, cpu_ms=400.0, voluntary_switches=300),
    run("threads", 1000, peak_rss_mb=70.0, threads=1000, cpu_ms=900.0,
        voluntary_switches=9000, involuntary_switches=2000),
    run("sequential", 10, wall_ms=1100.0),
)
THREADS_DO_NOT = bench(
    run("coroutines", 1000, peak_rss_mb=60.0, cpu_ms=900.0, voluntary_switches=9000),
    run("threads", 1000, peak_rss_mb=41.0, cpu_ms=400.0),
)


async def page(http_client, base_url, **headers):
    response = await http_client.fetch(base_url + "/costs", headers=headers)
    assert response.code == 200
    return response.body.decode()


def verdicts(html):
    return re.findall(r'<p class="verdict ([a-z-]+)">', html)


@pytest.mark.gen_test
async def test_without_results_it_says_how_to_get_some(http_client, base_url, results_path):
    html = await page(http_client, base_url)
    assert "No bench results yet" in html and str(results_path) in html
    assert "python -m webdemo bench" in html
    assert 'id="run-bench"' in html and "<svg" not in html


@pytest.mark.gen_test
async def test_each_chart_has_its_claim_and_a_verdict_computed_from_the_figures(
        http_client, base_url, results_path):
    save_results(results_path, THREADS_PAY)
    html = await page(http_client, base_url)
    for claim in VERDICTS:
        assert f">{claim.metric}</h2>" in html
        assert claim.essay.split(":")[0] in html
    assert verdicts(html) == ["borne-out"] * 4
    assert "at N=1000, the run raised the peak RSS by 31.0 MB with 1000 threads" in html
    # Each verdict says its rule and how far the figures went.
    assert re.search(r"Borne out when threads add at least 1\.5 times what coroutines add, "
                     r"and 1 MB more: here \d+\.\d times\.", html)
    assert len(re.findall(r"Borne out when threads cost at least 1\.5 times what coroutines "
                          r"cost: here \d+\.\d times\.", html)) == 2
    # A bar per run per chart; the stacked charts (memory, switches) have two parts each.
    bars = len(THREADS_PAY["runs"])
    assert html.count('<rect class="bar') == bars * (1 + 2 + 2 + 1)
    assert html.count("<tr>") == 1 + bars  # and every figure in a table

    save_results(results_path, THREADS_DO_NOT)
    html = await page(http_client, base_url)
    # No sequential run: the concurrency claim is untested; the others are not borne out.
    assert verdicts(html) == ["untested", "not-borne-out", "not-borne-out", "not-borne-out"]


@pytest.mark.gen_test
async def test_an_unreadable_results_file_is_no_results(http_client, base_url, results_path):
    results_path.parent.mkdir(parents=True)
    results_path.write_text("{not json")
    assert "No bench results yet" in await page(http_client, base_url)


@pytest.mark.gen_test
async def test_only_this_sites_script_can_start_a_bench(http_client, base_url):
    response = await http_client.fetch(base_url + "/costs/bench", method="POST", body="",
                                       raise_error=False)
    assert response.code == 403
    progress = json.loads((await http_client.fetch(base_url + "/costs/bench")).body)
    assert progress == {"state": "idle"}


TINY = ["--sizes", "2", "--styles", "callbacks,threads", "--delay-ms", "10"]


async def start(http_client, base_url, expect=202, cookies=None):
    """Starts the live bench as the costs page does: with its xsrf token and cookie.

    `cookies`, a dict, gets the cookies the visitor holds after it."""
    costs_page = await http_client.fetch(base_url + "/costs")
    token = re.search(r'data-xsrf="([^"]+)"', costs_page.body.decode()).group(1)
    cookie = costs_page.headers["Set-Cookie"].split(";")[0]
    response = await http_client.fetch(base_url + "/costs/bench", method="POST", body="",
                                       headers={"X-XSRFToken": token, "Cookie": cookie,
                                                "Accept-Language": "ko",
                                                "Accept": "application/json"},
                                       raise_error=False)
    assert response.code == expect, response.body
    if cookies is not None:
        for header in [cookie] + response.headers.get_list("Set-Cookie"):
            name, value = header.split(";")[0].split("=", 1)
            cookies[name] = value
    return json.loads(response.body)


def as_cookie(cookies):
    return {"Cookie": "; ".join(f"{name}={value}" for name, value in cookies.items())}


@pytest.mark.gen_test(timeout=90)
async def test_the_live_bench_runs_one_at_a_time_and_its_figures_are_charted(
        http_client, base_url, app, results_path, monkeypatch):
    monkeypatch.setattr(live_bench, "LIVE_BENCH", TINY)
    visitor = {}
    assert (await start(http_client, base_url, cookies=visitor))["state"] == "running"
    process = app.live_bench.process
    assert (await start(http_client, base_url))["state"] == "running"
    assert app.live_bench.process is process  # joined, not a second one

    seen = []
    deadline = time.monotonic() + 80
    while not seen or seen[-1]["state"] == "running":
        assert time.monotonic() < deadline, seen[-1]
        seen.append(json.loads((await http_client.fetch(base_url + "/costs/bench")).body))
        await asyncio.sleep(0.1)
    assert seen[-1] == {"state": "done"}
    steps = {entry.get("steps") for entry in seen if entry["state"] == "running"}
    assert steps <= {0, 2}  # 0 until its first line
    # Adapted (issue 21): the figures are the visitor's who started it, shown to them
    # alone; the saved results that everyone sees are left as they were (none here).
    assert not results_path.exists()
    own = app.live_bench.results_of(visitor["bench"])
    assert [(r["style"], r["fetches"]) for r in json.loads(own.read_text())["runs"]] \
        == [("callbacks", 2), ("threads", 2)]
    assert "<svg" in await page(http_client, base_url, **as_cookie(visitor))
    assert "No bench results yet" in await page(http_client, base_url)
    # And none again before the cooldown, said in the visitor's language.
    refused = await start(http_client, base_url, expect=503)
    assert re.fullmatch(r"벤치가 끝난 지 60초가 지나지 않았습니다: \d+초 뒤에 다시 해 보세요",
                        refused["error"])


@pytest.mark.gen_test(timeout=30)
async def test_closing_the_app_stops_a_live_bench_and_what_it_started(
        http_client, base_url, app, monkeypatch):
    monkeypatch.setattr(live_bench, "LIVE_BENCH", TINY + ["--sizes", "500", "--delay-ms", "2000"])
    await start(http_client, base_url)
    process = app.live_bench.process
    children = Path(f"/proc/{process.pid}/task/{process.pid}/children")
    await until(lambda: len(children.read_text().split()) == 2, seconds=20)  # upstream, a run
    started = [int(pid) for pid in children.read_text().split()]

    app.close()

    await until(lambda: process.poll() is not None and all(map(gone, started)), seconds=10)
    assert process.returncode == -9


@pytest.mark.gen_test(timeout=30)
async def test_one_bench_at_a_time_on_the_machine_across_processes(
        http_client, base_url, app, config, monkeypatch):
    monkeypatch.setattr(live_bench, "LIVE_BENCH", TINY + ["--sizes", "500", "--delay-ms", "2000"])
    other_process = live_bench.LiveBench(config.bench_results)  # another of --processes
    other_process.start(None)
    try:
        refused = await start(http_client, base_url, expect=503)
        assert refused["error"] == "이 컴퓨터에서 벤치가 이미 실행 중입니다: 끝나면 다시 해 보세요"
    finally:
        other_process.close()


@pytest.mark.gen_test
@pytest.mark.parametrize("config", [{"allowed_hosts": ("demo.example",)}, {"host": "0.0.0.0"}],
                         indirect=True)
async def test_the_live_bench_is_off_on_a_shared_site(http_client, base_url, app):
    html = await page(http_client, base_url)
    assert 'id="run-bench"' not in html and "--live-bench" in html
    refused = await start(http_client, base_url, expect=403)
    assert refused["error"] == ("이 공용 사이트에서는 실시간 벤치가 꺼져 있습니다: 운영자가 "
                                "--live-bench로 켤 수 있습니다")
    assert app.live_bench.process is None


@pytest.mark.gen_test
@pytest.mark.parametrize("config", [{"allowed_hosts": ("demo.example",), "live_bench": True}],
                         indirect=True)
async def test_the_operator_may_turn_it_on_on_a_shared_site(http_client, base_url, app,
                                                             monkeypatch):
    monkeypatch.setattr(live_bench, "LIVE_BENCH", TINY)
    assert 'id="run-bench"' in await page(http_client, base_url)
    assert (await start(http_client, base_url))["state"] == "running"
    app.live_bench.close()
