"""The live run: the same handlers streaming each event as it happens (server-sent events)."""

import asyncio
import json
import logging
import socket
import time

import pytest
from helpers import STYLE_NAMES, aggregate, errors_logged, query
from tornado.httpclient import AsyncHTTPClient
from tornado.iostream import IOStream

from webdemo.registry import STYLES
from webdemo.run.shares import Admission


def parse(stream_text):
    """The messages of a text/event-stream body: [(name, data), ...]."""
    messages = []
    for block in stream_text.split("\n\n"):
        fields = dict(line.split(": ", 1) for line in block.splitlines() if line)
        if fields:
            messages.append((fields["event"], json.loads(fields["data"])))
    return messages


async def stream(base_url, style, **params):
    """Runs one live run; answers its messages, each with the time it arrived (monotonic s)."""
    arrived = []
    buffer = ""

    def on_chunk(chunk):
        nonlocal buffer
        buffer += chunk.decode()
        *complete, buffer = buffer.split("\n\n")
        now = time.monotonic()
        arrived.extend((name, data, now) for name, data in parse("\n\n".join(complete)))

    client = AsyncHTTPClient(force_instance=True)
    try:
        response = await client.fetch(f"{base_url}/{style}?{query(format='events', **params)}",
                                      streaming_callback=on_chunk, request_timeout=10)
    finally:
        client.close()
    assert response.headers["Content-Type"].startswith("text/event-stream")
    assert buffer == ""
    return arrived


@pytest.mark.gen_test(timeout=10)
@pytest.mark.parametrize("style", STYLE_NAMES)
async def test_each_completion_arrives_as_it_happens(base_url, http_server, style):
    # One-hangs: two fetches answer within 200 ms, the third only at the 1 s timeout.
    messages = await stream(base_url, style, scenario="one-hangs")
    names = [name for name, _, _ in messages]
    assert names[0] == "run" and names[-1] == "aggregate"
    assert set(names[1:-1]) == {"event"}
    resume = STYLES[style].aggregate_handler.resume_event
    resumed = [(data["target"], at) for name, data, at in messages
               if name == "event" and data["kind"] == resume]
    concurrent = STYLES[style].concurrent
    assert [target for target, _ in resumed] == (["google.com", "python.org", "hangs"]
                                                 if concurrent else
                                                 ["google.com", "hangs", "python.org"])
    # Pushed when they happened, not saved up for the end: the fast one(s) reached the
    # browser long before the hung fetch gave up.
    end = messages[-1][2]
    assert resumed[0][1] < end - 0.5
    if concurrent:
        assert resumed[1][1] < end - 0.5


@pytest.mark.gen_test(timeout=10)
@pytest.mark.parametrize("style", STYLE_NAMES)
async def test_the_stream_carries_the_same_events_as_the_json(base_url, http_server, http_client,
                                                              style):
    messages = await stream(base_url, style, scenario="one-fails")
    streamed = [data for name, data, _ in messages if name == "event"]
    final = messages[-1][1]
    assert streamed == final["events"]
    times = [event["t_ms"] for event in streamed]
    assert times == sorted(times)
    # One resume per fetch, each after its own start.
    resume = STYLES[style].aggregate_handler.resume_event
    for index in range(3):
        kinds = [event["kind"] for event in streamed if event.get("index") == index]
        assert kinds == ["fetch-start", resume]
    plain = await aggregate(http_client, base_url, style, scenario="one-fails")
    assert [row["target"] for row in plain["results"]] == \
        [row["target"] for row in final["results"]]
    assert messages[0][1] == {"style": style, "targets": ["google.com", "broken", "python.org"],
                              "limit": 3, "timeout_ms": 1000.0, "slow": 1}


@pytest.mark.gen_test
async def test_bad_input_to_a_live_run_is_a_400_in_json(http_client, base_url):
    result = await aggregate(http_client, base_url, "coroutines", expect=400,
                             format="events", scenario="nope")
    assert "unknown scenario 'nope'" in result["error"]


@pytest.mark.gen_test(timeout=10)
async def test_live_runs_at_once_are_bounded(base_url, http_server, http_client, monkeypatch,
                                            caplog):
    app = http_server.request_callback
    app.live_admission = Admission(1)  # adapted (issue 21): the bound is the app's Admission
    first = asyncio.ensure_future(stream(base_url, "coroutines", scenario="one-hangs"))
    deadline = time.monotonic() + 5
    while not app.live_streams:
        assert time.monotonic() < deadline
        await asyncio.sleep(0.01)

    refused = await aggregate(http_client, base_url, "callbacks", expect=503, format="events")

    assert "1 live runs are under way" in refused["error"]
    assert errors_logged(caplog) == []  # turned away by design, not a fault of the server
    await first
    assert app.live_streams == set()  # the slot is free again
    await stream(base_url, "callbacks")


@pytest.mark.gen_test(timeout=30)
async def test_a_class_of_100_pressing_run_both_at_once_is_served_in_full(base_url, http_server):
    # Issue 7's classroom: two live runs a student, all at the same moment.
    runs = await asyncio.gather(*(stream(base_url, style)
                                  for _ in range(100) for style in ("callbacks", "coroutines")))
    aggregates = [data for messages in runs for name, data, _ in messages if name == "aggregate"]
    assert len(aggregates) == 200
    assert all(answer["failed"] == 0 for answer in aggregates)


@pytest.mark.gen_test(timeout=10)
@pytest.mark.parametrize("style", ["callbacks", "coroutines", "generators"])  # Tornado's client
async def test_a_visitor_who_leaves_sends_nothing_more(base_url, http_server, http_port, sent,
                                                        caplog, style):
    app = http_server.request_callback
    stream = IOStream(socket.socket())
    await stream.connect(("127.0.0.1", http_port))
    await stream.write(f"GET /{style}?fetch=hangs&fetch=hangs&fetch=hangs&limit=1&format=events "
                       "HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n".encode())
    await stream.read_until(b"fetch-start")
    stream.close()
    deadline = time.monotonic() + 5
    while app.live_streams:  # the run ends with its one fetch in flight
        assert time.monotonic() < deadline, "the run outlived its fetch in flight"
        await asyncio.sleep(0.02)
    assert sent == [0]  # the two still in line were never sent
    assert not [record for record in caplog.records if record.levelno >= logging.WARNING]

