"""The greenlet style's worker process: starts, answers, restarts, never hangs a page."""

import asyncio
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
from helpers import aggregate, started
from test_callback_state import until

from webdemo.app import close_app
from webdemo.styles.greenlets import GreenletsHandler

SLOW = "/upstream/slow?delay_ms=2000"


def worker(app):
    return app.settings["workers"].get("greenlets", GreenletsHandler.worker_module)


def gone(pid):
    """True once pid has exited (a zombie left to a parent that does not reap counts)."""
    try:
        return Path(f"/proc/{pid}/stat").read_text().split(") ")[1][0] in "ZX"
    except FileNotFoundError:
        return True


@pytest.mark.gen_test
async def test_one_worker_answers_every_request_then_stops_with_the_app(
        http_client, base_url, app):
    await started(app, "greenlets")
    process = worker(app).process
    specs = {i: [f"/upstream/w{i}-{j}?bytes={i * 10 + j}" for j in range(i + 1)]
             for i in range(5)}
    answers = await asyncio.gather(*(aggregate(http_client, base_url, "greenlets", fetch=spec)
                                     for spec in specs.values()))
    for i, answer in zip(specs, answers, strict=True):  # jobs at once, never mixed
        assert [row["bytes"] for row in answer["results"]] == [i * 10 + j for j in range(i + 1)]
    assert worker(app).process is process and process.poll() is None

    close_app(app)

    assert process.poll() is not None


@pytest.mark.gen_test(timeout=10)
async def test_a_killed_worker_is_an_error_row_and_the_next_request_restarts_it(
        http_client, base_url, app):
    await started(app, "greenlets")
    first = worker(app)
    asking = asyncio.ensure_future(
        aggregate(http_client, base_url, "greenlets", fetch=["python.org", SLOW]))
    await until(lambda: first.jobs)  # the job is in the worker
    os.kill(first.process.pid, signal.SIGKILL)
    result = await asking

    assert result["elapsed_ms"] < 2000  # it did not wait for the slow fetch
    assert [row["status"] for row in result["results"]] == [None, None]
    assert {row["error"] for row in result["results"]} == {
        "the greenlets worker process stopped: killed by SIGKILL"}
    assert result["failed"] == 2

    again = await aggregate(http_client, base_url, "greenlets")
    assert again["ok"] == 3
    assert worker(app) is not first and worker(app).process.poll() is None


@pytest.mark.gen_test(timeout=15)
async def test_a_stuck_worker_fails_its_rows_within_the_timeout_and_a_grace(
        http_client, base_url, app, config):
    await started(app, "greenlets")
    stuck = worker(app)
    os.kill(stuck.process.pid, signal.SIGSTOP)
    try:
        started_at = time.monotonic()
        result = await aggregate(http_client, base_url, "greenlets")
        waited = time.monotonic() - started_at
    finally:
        if stuck.process.poll() is None:
            os.kill(stuck.process.pid, signal.SIGCONT)
    assert {row["error"] for row in result["results"]} == {
        "the greenlets worker process did not answer within 3 s"}  # timeout 1 + grace 2
    assert 3 <= waited < config.timeout + 2 + 2
    assert stuck.process.poll() == -signal.SIGKILL  # ended, for a new one to start


def test_the_worker_exits_when_the_server_process_dies(tmp_path):
    server = subprocess.Popen([sys.executable, "-m", "webdemo", "--port", "0"], cwd=tmp_path,
                              stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True)
    try:
        assert server.stdout.readline().startswith("webdemo: open ")
        children = Path(f"/proc/{server.pid}/task/{server.pid}/children")
        deadline = time.monotonic() + 20
        while not children.read_text().split():  # the server starts it at once
            assert time.monotonic() < deadline, "no worker process started"
            time.sleep(0.05)
        (worker_pid,) = map(int, children.read_text().split())
        server.kill()  # no chance to clean up: the worker must see to itself
        server.wait()
        deadline = time.monotonic() + 10
        while not gone(worker_pid):
            assert time.monotonic() < deadline, "the worker outlived its server"
            time.sleep(0.05)
    finally:
        server.kill()
        server.wait()
        server.stdout.close()
