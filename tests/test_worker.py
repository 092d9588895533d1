"""The greenlet style's worker process: starts, answers, restarts, never hangs a page."""

import asyncio
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
from helpers import aggregate, started, until

from webdemo.app import Config
from webdemo.run.job import ChainJob, WorkerJob
from webdemo.run.record import MAX_FAILURES_SHOWN
from webdemo.workers.supervisor import WorkerError, Workers

SLOW = "/upstream/slow?delay_ms=2000"
# Past the fetch timeout, how long a job may be silent: short, so that the tests of a
# stuck worker are quick; long enough for "drip" (tests/fake_worker.py).
GRACE = 1.0


@pytest.fixture
def config(http_port):
    return Config(port=http_port, timeout=1.0, worker_grace_seconds=GRACE)


def worker(app):
    return app.workers.get("greenlets")


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

    app.close()

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
        "the greenlets worker process did not answer within 2 s"}  # timeout 1 + grace 1
    assert config.timeout + GRACE <= waited < config.timeout + GRACE + 2
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


# The server's side of the protocol, against tests/fake_worker.py.

TIMEOUT = 0.2  # the worker's fetch timeout: a job is given up GRACE after it


@pytest.fixture
def fake(io_loop, monkeypatch):
    monkeypatch.setenv("PYTHONPATH", str(Path(__file__).parent))
    workers = Workers(TIMEOUT, max_clients=10, modules={"fake": "fake_worker"},
                      grace_seconds=GRACE)
    yield lambda: workers.get("fake")
    workers.close()


def ask(worker, what):
    rows = []
    return worker.run({"targets": [what]}, rows.append), rows


@pytest.mark.gen_test(timeout=10)
async def test_a_worker_still_talking_is_busy_not_stuck_so_only_the_late_job_fails(fake):
    worker = fake()
    never, _ = ask(worker, "never")
    never = asyncio.ensure_future(never)
    answered = 0
    while not never.done():  # other jobs come and go while that one waits
        await ask(worker, "rows:1")[0]
        answered += 1
        await asyncio.sleep(0.1)

    with pytest.raises(WorkerError, match="did not answer within 1.2 s"):
        never.result()
    assert answered >= 3  # about 20 on a quiet machine
    assert fake() is worker and worker.process.poll() is None  # not stopped, not replaced
    assert (await ask(worker, "rows:2")[0])["kind"] == "done"


@pytest.mark.gen_test(timeout=10)
async def test_a_job_may_outlast_its_timeout_and_grace_while_it_keeps_talking(fake):
    # As a run whose fetches wait in line for one another does, one timeout after another.
    answer, rows = ask(fake(), "drip")
    started = time.monotonic()
    assert (await answer)["kind"] == "done"
    assert time.monotonic() - started > TIMEOUT + GRACE
    assert [row["index"] for row in rows] == [0, 1, 2, 3]


@pytest.mark.gen_test(timeout=10)
async def test_a_silent_worker_is_stopped_and_the_next_job_starts_a_new_one(fake):
    worker = fake()
    with pytest.raises(WorkerError, match="did not answer within 1.2 s"):
        await ask(worker, "never")[0]
    assert worker.process.poll() is not None
    assert fake() is not worker and (await ask(fake(), "rows:1")[0])["kind"] == "done"


@pytest.mark.gen_test
async def test_every_row_that_arrives_together_reaches_its_job_in_one_turn_of_the_loop(fake):
    # One turn a row would put a job's rows behind everyone else's work, turn by turn.
    turns = 0

    def count_turns():
        nonlocal turns
        turns += 1
        if not job.done():
            asyncio.get_running_loop().call_soon(count_turns)

    worker = fake()
    await ask(worker, "rows:1")[0]  # started
    turn_of_each_row = []
    job = asyncio.ensure_future(worker.run({"targets": ["rows:300"]},
                                           lambda message: turn_of_each_row.append(turns)))
    count_turns()
    await job

    assert len(turn_of_each_row) == 300
    assert turn_of_each_row[-1] - turn_of_each_row[0] <= 1


@pytest.mark.gen_test
async def test_a_line_in_two_writes_is_one_message(fake):
    answer, rows = ask(fake(), "split")
    assert (await answer)["kind"] == "done"
    assert rows == [{"job": rows[0]["job"], "kind": "row", "index": 0}]


@pytest.mark.gen_test(timeout=10)
async def test_a_line_without_end_stops_the_worker_with_its_reason(fake):
    worker = fake()
    with pytest.raises(WorkerError, match="sent a line over 1048576 bytes"):
        await ask(worker, "huge")[0]
    assert not worker.alive()


@pytest.mark.gen_test(timeout=10)
async def test_a_handler_that_fails_on_a_message_fails_its_own_job_only(fake):
    worker = fake()

    def broken_handler(message):
        raise KeyError(message["index"])

    with pytest.raises(KeyError):
        await worker.run({"targets": ["rows:1"]}, broken_handler)
    assert (await ask(worker, "rows:2")[0])["kind"] == "done"  # still read, at once


@pytest.mark.gen_test(timeout=10)
async def test_a_worker_that_closed_its_end_is_waited_for_without_blocking_the_loop(fake):
    worker = fake()
    await ask(worker, "rows:1")[0]  # started
    longest_turn, last = 0.0, time.monotonic()

    def tick():
        nonlocal longest_turn, last
        longest_turn = max(longest_turn, time.monotonic() - last)
        last = time.monotonic()
        if not asking.done():
            asyncio.get_running_loop().call_soon(tick)

    asking = asyncio.ensure_future(ask(worker, "linger")[0])
    tick()
    with pytest.raises(WorkerError, match="the fake worker process stopped: exit status 0"):
        await asking
    assert longest_turn < 0.4  # it exits 0.6 s after closing its end: waited for, not on


@pytest.mark.gen_test(timeout=10)
async def test_an_answer_to_a_worker_that_has_gone_is_dropped_quietly(fake, caplog):
    worker = fake()
    await ask(worker, "rows:1")[0]
    worker.stop("stopped by the test")
    worker.answer(0, 0, [])  # a chain's question, answered as its worker went
    assert not worker.alive() and [record for record in caplog.records
                                   if record.levelname == "ERROR"] == []


def test_a_chain_job_takes_only_the_answer_to_its_own_question():
    def send(message):
        if message["kind"] == "ask" and message["question_id"] == 1:
            job.answers.put((0, [[1, "late", 1]]))  # question 0's, which was given up on
            job.answers.put((1, [[2, "asked", 39]]))

    job = ChainJob(send, {"job": 0, "targets": ["start"], "units": [1], "timeout": 1,
                          "max_body": 1,
                          "limit": 1, "run_seconds": 0.05, "seconds_to_deadline": 1},
                   None, None)
    assert job.ask("links", index=0) == []  # question 0: no answer in time
    assert job.ask("last", pages=[]) == [2]
    assert job.targets == {0: "start", 2: "asked"} and job.units == {0: 1, 2: 39}


def test_a_worker_job_formats_only_the_failures_a_run_shows():
    told = []
    count = MAX_FAILURES_SHOWN + 2
    job = WorkerJob(told.append, {"job": 0, "targets": ["refused"] * count, "units": [1] * count,
                                  "timeout": 1, "max_body": 1, "limit": 1, "run_seconds": 1,
                                  "seconds_to_deadline": 1}, None, None)
    for index in range(len(job.targets)):
        try:
            raise ConnectionRefusedError(111, "Connection refused")
        except ConnectionRefusedError as error:
            job.failed(index, error)
    shown = [message["failure"] is not None for message in told]
    assert shown == [True] * MAX_FAILURES_SHOWN + [False] * 2
