"""The simulated upstreams that let the demo run offline."""

import time
import tracemalloc

import pytest
from helpers import STYLE_NAMES, aggregate, errors_logged, get_json
from tornado.simple_httpclient import HTTPTimeoutError

from webdemo import upstream
from webdemo.catalog import SIMULATOR_LIMITS


@pytest.mark.gen_test
async def test_answers_the_size_status_and_title_asked_for(http_client, base_url):
    response = await http_client.fetch(
        f"{base_url}/upstream/python.org?bytes=5000&status=203")
    assert response.code == 203
    assert len(response.body) == 5000
    assert response.body.startswith(b"<!doctype html>\n<title>python.org</title>")
    assert response.headers["Content-Type"].startswith("text/html")


@pytest.mark.gen_test
async def test_waits_the_delay_asked_for(http_client, base_url):
    started = time.monotonic()
    await http_client.fetch(f"{base_url}/upstream/slow?delay_ms=300")
    assert time.monotonic() - started >= 0.3


@pytest.mark.gen_test
@pytest.mark.parametrize("name, value", [
    (name, value) for name, (low, high, _) in SIMULATOR_LIMITS.items() for value in (low, high)
    # The longest delay and a 1xx, which is no final answer, are tested apart.
    if (name, value) not in (("delay_ms", 30_000), ("status", 100))
])
async def test_accepts_each_bound(http_client, base_url, name, value):
    params = {"delay_ms": 0, "bytes": 10, "status": 200} | {name: value}
    response = await http_client.fetch(
        f"{base_url}/upstream/edge?" + "&".join(f"{k}={v}" for k, v in params.items()),
        raise_error=False)
    assert response.code == params["status"]
    assert len(response.body) == params["bytes"]


@pytest.mark.gen_test
async def test_accepts_the_longest_delay(http_client, base_url):
    # Refused, it would answer 400 at once; accepted, it is still waiting when we give up.
    with pytest.raises(HTTPTimeoutError):
        await http_client.fetch(f"{base_url}/upstream/x?delay_ms=30000", request_timeout=0.3)


@pytest.mark.gen_test
@pytest.mark.parametrize("style", STYLE_NAMES)
async def test_a_1xx_status_is_an_upstream_that_hangs_up(http_client, base_url, style, caplog):
    # A 1xx promises another answer: the simulator sends it and hangs up, an upstream
    # broken on purpose, which every style's fetch sees the same way at once.
    result = await aggregate(http_client, base_url, style,
                             fetch=[f"/upstream/x?status={status}" for status in (100, 199)])
    assert [(row["status"], row["error"]) for row in result["results"]] == [
        (None, "the connection ended before the answer was complete: the upstream closed "
               "it, or its answer was malformed or larger than the 16,777,216-byte limit")] * 2
    assert errors_logged(caplog) == []


@pytest.mark.gen_test
@pytest.mark.parametrize("status", [204, 304])
async def test_statuses_without_a_body_send_none(http_client, base_url, status):
    response = await http_client.fetch(f"{base_url}/upstream/x?status={status}&bytes=500",
                                       raise_error=False)
    assert response.code == status
    assert response.body == b""


@pytest.mark.gen_test
@pytest.mark.parametrize("query, message", [
    ("delay_ms=-1", "delay_ms must be from 0 to 30000, not -1"),
    ("delay_ms=30001", "delay_ms must be from 0 to 30000"),
    ("bytes=10000001", "bytes must be from 0 to 10000000"),
    ("status=99", "status must be from 100 to 599, not 99"),
    ("status=600", "status must be from 100 to 599"),
    ("status=2e2", "status must be a whole number"),
    ("delay_ms=", "delay_ms must be a whole number"),
    ("bytes=99999999999999999999", "bytes must be a whole number"),
    ("bytes=1&bytes=2", "bytes is given 2 times"),
    ("speed=9", "unknown simulator parameter 'speed'"),
])
async def test_out_of_range_or_malformed_values_are_400(http_client, base_url, query, message):
    result = await get_json(http_client, f"{base_url}/upstream/x?{query}", expect=400)
    assert message in result["error"]


@pytest.mark.gen_test
async def test_a_bad_name_is_400(http_client, base_url):
    result = await get_json(http_client, f"{base_url}/upstream/..", expect=400)
    assert "simulator name '..' is not allowed" in result["error"]


def test_a_page_is_its_head_then_filler_to_the_size_asked_in_one_copy():
    head = b'<!doctype html>\n<title>a&amp;b</title>\n<a href="x">x</a>\n'
    for size in (0, 10, len(head), 1000, 70_000):
        expected = (head + upstream.FILLER * (size // len(upstream.FILLER) + 1))[:size]
        assert upstream.page("a&b", size, ["x"]) == expected
    largest = SIMULATOR_LIMITS["bytes"][1]
    upstream.page("big", largest)  # the filler grows to the largest page once
    tracemalloc.start()
    try:
        assert len(upstream.page("big", largest)) == largest
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert peak < 1.5 * largest  # the page itself, and no copy on the way
