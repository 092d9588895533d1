"""Stopping without dropping anyone: SIGTERM and Ctrl-C, sent to the server as a service
manager or a terminal would, with one process and with two."""

import signal
import threading
from contextlib import closing

import pytest
from server_process import (
    EventStream,
    get,
    get_json_blocking,
    refused,
    running,
    until_blocking,
)

# The first fetch answers after 1.5 s, the second is sent only then (limit=1): both go
# after the signal, to the simulator the stopping server still serves.
SLOW_RUN = "coroutines?fetch=/upstream/a?delay_ms=1500&fetch=/upstream/b?delay_ms=200&limit=1"
PROCESSES = pytest.mark.parametrize("processes", [1, 2])


def in_background(call):
    """Runs call() in a thread; answers a function that waits for its result."""
    result = {}
    thread = threading.Thread(target=lambda: result.update(value=call()), daemon=True)
    thread.start()

    def outcome():
        thread.join(timeout=30)
        assert not thread.is_alive(), "no answer within 30 s"
        return result["value"]
    return outcome


def fetches_in_flight(server):
    # With two processes, /stats answers from either: asked again until one says so.
    return get_json_blocking(f"{server.url}stats")[1]["fetches_in_flight"] > 0


@PROCESSES
@pytest.mark.parametrize("signum", [signal.SIGTERM, signal.SIGINT])
def test_a_run_in_flight_at_a_stop_is_answered_in_full(tmp_path, processes, signum):
    with running(tmp_path, "--processes", str(processes)) as server:
        answer = in_background(lambda: get_json_blocking(f"{server.url}{SLOW_RUN}"))
        until_blocking(lambda: fetches_in_flight(server), what="the run's fetch")
        server.signal(signum)
        # Stopping: no new run is taken, and the visitor is told why. (With two
        # processes, each hears of the stop in its turn: asked until one has.)
        answers = []
        until_blocking(lambda: answers.append(get_json_blocking(
            f"{server.url}coroutines?lang=ko")) or answers[-1][0] == 503, what="a 503")
        assert answers[-1][1]["error"] == "서버가 멈추는 중입니다: 잠시 뒤에 다시 해 보세요"
        status, result = answer()
        assert status == 200
        assert [(row["status"], row["error"]) for row in result["results"]] == [(200, None)] * 2
        assert server.wait() == 0
        assert refused(server.url)
        assert "Traceback" not in server.log()


@PROCESSES
@pytest.mark.parametrize("signum", [signal.SIGTERM, signal.SIGINT])
def test_a_stop_sent_to_every_process_of_the_server_is_one_stop(tmp_path, processes, signum):
    # Ctrl-C in a terminal, or a service manager's stop, reaches every process at once:
    # still one stop, not a first and a second.
    with (running(tmp_path, "--processes", str(processes)) as server,
          closing(EventStream(f"{server.url}{SLOW_RUN}&format=events")) as stream):
        assert stream.next()[0] == "run"
        server.signal(signum, group=True)
        events = stream.rest()
        assert events[-1][0] == "aggregate" and events[-1][1]["ok"] == 2
        assert server.wait() == 0


@PROCESSES
def test_a_live_stream_at_a_stop_ends_with_its_aggregate(tmp_path, processes):
    with (running(tmp_path, "--processes", str(processes)) as server,
          closing(EventStream(f"{server.url}{SLOW_RUN}&format=events")) as stream):
        assert stream.next()[0] == "run"  # under way
        server.signal(signal.SIGTERM)
        events = stream.rest()
        assert events[-1][0] == "aggregate"
        assert events[-1][1]["ok"] == 2
        assert server.wait() == 0
        assert "Traceback" not in server.log()


@PROCESSES
@pytest.mark.parametrize("style", ["coroutines", "threads"])
def test_a_second_signal_stops_at_once(tmp_path, processes, style):
    # The run would take 10 s (a hang, with --timeout 10): the drain would wait for it,
    # and a thread in a blocking fetch would hold the exit.
    with (running(tmp_path, "--processes", str(processes), "--timeout", "10") as server,
          closing(EventStream(f"{server.url}{style}?scenario=one-hangs&format=events")) as stream):
        assert stream.next()[0] == "run"
        server.signal(signal.SIGTERM)
        until_blocking(lambda: get(f"{server.url}stats")[0] == 503, what="a 503")
        assert server.process.poll() is None  # draining, for the hang
        server.signal(signal.SIGTERM)
        assert server.wait(seconds=5) == 0


def test_the_drain_is_bounded(tmp_path):
    with (running(tmp_path, "--timeout", "10", "--drain", "0.5") as server,
          closing(EventStream(f"{server.url}coroutines?scenario=one-hangs&format=events"))
          as stream):
        assert stream.next()[0] == "run"
        server.signal(signal.SIGTERM)
        assert server.wait(seconds=5) == 0
