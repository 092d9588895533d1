"""The callback style's global counters: never shared, never left behind."""

import asyncio
import random
import socket

import pytest
from helpers import aggregate, errors_logged, until
from tornado.httpclient import AsyncHTTPClient
from tornado.iostream import IOStream

from webdemo.styles import callbacks


@pytest.mark.gen_test(timeout=10)
async def test_concurrent_requests_never_mix_their_counters(base_url, http_server):
    client = AsyncHTTPClient(force_instance=True, max_clients=50)
    rng = random.Random(7)
    asked = {
        i: [f"/upstream/r{i}-{j}?delay_ms={rng.randrange(20, 200)}&bytes={i * 10 + j}"
            for j in range(rng.randrange(1, 6))]
        for i in range(30)
    }
    try:
        requests = [asyncio.ensure_future(aggregate(client, base_url, "callbacks", fetch=specs))
                    for specs in asked.values()]
        await until(lambda: len(callbacks.remaining) == len(asked))  # all in flight at once
        answers = await asyncio.gather(*requests)
    finally:
        client.close()
    for i, answer in zip(asked, answers, strict=True):
        assert [row["target"] for row in answer["results"]] == \
            [f"r{i}-{j}" for j in range(len(asked[i]))]
        assert [row["bytes"] for row in answer["results"]] == \
            [i * 10 + j for j in range(len(asked[i]))]
    assert callbacks.remaining == {} and callbacks.results == {}


@pytest.mark.gen_test
async def test_a_client_that_leaves_leaves_nothing_behind(
        http_server, http_port, monkeypatch, caplog):
    late_counts = []
    count_response = callbacks.CallbacksHandler.count_response

    def counting(handler, index, row):
        late_counts.append(row.target)
        count_response(handler, index, row)

    monkeypatch.setattr(callbacks.CallbacksHandler, "count_response", counting)
    stream = IOStream(socket.socket())
    await stream.connect(("127.0.0.1", http_port))
    await stream.write(b"GET /callbacks?fetch=/upstream/slow%3Fdelay_ms%3D1000 HTTP/1.1\r\n"
                       b"Host: 127.0.0.1\r\n\r\n")
    await until(lambda: len(callbacks.remaining) == 1)
    stream.close()
    await until(lambda: callbacks.remaining == {})
    # Emptied by the disconnect itself, not by the fetch finishing a second later.
    assert late_counts == [] and callbacks.results == {}
    # The fetch still ends later; its callback must find nothing to count.
    await until(lambda: late_counts == ["slow"])
    assert callbacks.remaining == {} and callbacks.results == {}
    assert errors_logged(caplog) == []
