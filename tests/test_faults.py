"""Every way an upstream can misbehave is a row, not a crash, in every style.

The upstream is tests/broken_upstream.py, on raw sockets; each of its faults is an
operator target. Clients that leave mid-fetch leave nothing behind either.
"""

import asyncio
import html
import socket

import pytest
from broken_upstream import FAULTS, REFUSED
from helpers import STYLE_NAMES, aggregate, errors_logged, get_json, query, until
from tornado.iostream import IOStream

from webdemo.app import Config
from webdemo.run.outcomes import MAX_ERROR_LENGTH
from webdemo.styles import callbacks

TIMEOUT = 0.5  # seconds
LIMIT = 1024  # bytes
MARGIN_MS = 500  # what a loaded machine may add to the timeout

DROPPED = ("the connection ended before the answer was complete: the upstream closed it, "
           "or its answer was malformed or larger than the 1,024-byte limit")
TIMED_OUT = "Timeout during request"

# fault -> (status, error) of its row.
EXPECTED = {
    REFUSED: (None, "Connection refused"),
    "silent": (None, TIMED_OUT),
    "closes-at-once": (None, DROPPED),
    "not-http": (None, DROPPED),
    "headers-then-silence": (None, TIMED_OUT),
    "drip": (None, TIMED_OUT),
    "closed-mid-body": (None, DROPPED),
    "too-big": (None, DROPPED),
    "too-big-chunked": (None, DROPPED),
    "too-big-unframed": (None, DROPPED),
    "conflicting-length": (None, DROPPED),
    "chunked-then-close": (None, DROPPED),
    "bad-gzip": (None, DROPPED),
    "gzip-bomb": (None, DROPPED),
    "redirect": (302, "HTTP 302: Found (redirects are not followed)"),
    "hostile-reason": (500, "HTTP 500: <script>alert('reason')</script>"),
    "long-reason": (500, ("HTTP 500: " + "x" * 5000)[:MAX_ERROR_LENGTH]),
    "fine": (200, None),
}


# --target refuses such a name; given to Config directly, it must still come out escaped.
HOSTILE_NAME = "<img src=x onerror=alert('name')>"


@pytest.fixture
def config(http_port, broken):
    targets = broken.targets() | {HOSTILE_NAME: broken.targets()["fine"]}
    return Config(port=http_port, timeout=TIMEOUT, max_body_bytes=LIMIT, targets=targets)


def test_every_fault_is_expected():
    assert set(EXPECTED) == set(FAULTS) | {REFUSED}


@pytest.mark.gen_test(timeout=10)
@pytest.mark.parametrize("style", STYLE_NAMES)
async def test_every_fault_is_a_row_in_time(http_client, base_url, broken, style, caplog):
    result = await aggregate(http_client, base_url, style, fetch=list(EXPECTED))
    rows = result["results"]
    assert {row["target"]: (row["status"], row["error"]) for row in rows} == EXPECTED
    assert [row["target"] for row in rows] == list(EXPECTED)
    assert (result["ok"], result["failed"]) == (1, len(EXPECTED) - 1)
    slow = {row["target"]: row["end_ms"] - row["start_ms"] for row in rows
            if row["end_ms"] - row["start_ms"] > TIMEOUT * 1000 + MARGIN_MS}
    assert slow == {}
    # Each fault was asked for once: the redirect's Location was not followed.
    assert sorted(broken.requests) == sorted(f"/{name}" for name in FAULTS)
    assert errors_logged(caplog) == []
    assert callbacks.remaining == {} and callbacks.results == {}


@pytest.mark.gen_test
@pytest.mark.parametrize("style", STYLE_NAMES)
async def test_upstream_words_and_target_names_are_escaped_in_the_page(
        http_client, base_url, style):
    response = await http_client.fetch(
        f"{base_url}/{style}?{query(fetch=['hostile-reason', HOSTILE_NAME])}")
    page = response.body.decode()
    for hostile in (EXPECTED["hostile-reason"][1], HOSTILE_NAME):
        assert hostile not in page and html.escape(hostile) in page


async def leave_mid_fetch(app, port, path):
    """Asks for path, then hangs up as soon as its fetches are under way."""
    stream = IOStream(socket.socket())
    await stream.connect(("127.0.0.1", port))
    await stream.write(f"GET {path} HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n".encode())
    await until(lambda: app.in_flight)
    stream.close()


@pytest.mark.gen_test(timeout=10)
@pytest.mark.parametrize("style", STYLE_NAMES)
async def test_a_client_that_leaves_mid_fetch_leaves_nothing_behind(
        app, http_client, base_url, http_port, style, caplog):
    # A fetch that answers after the client left, and one that never answers.
    specs = ["/upstream/late?delay_ms=200", "silent", "fine"]
    await leave_mid_fetch(app, http_port, f"/{style}?{query(fetch=specs)}")
    await until(lambda: not app.in_flight and not callbacks.remaining,
                seconds=TIMEOUT + 2)
    assert callbacks.results == {}
    stats = await get_json(http_client, f"{base_url}/stats")
    assert (stats["callbacks_in_flight"], stats["fetches_in_flight"]) == (0, 0)
    assert errors_logged(caplog) == []


@pytest.mark.gen_test
async def test_stats_count_what_is_in_flight(app, http_client, base_url):
    idle = await get_json(http_client, f"{base_url}/stats")
    assert (idle["callbacks_in_flight"], idle["fetches_in_flight"]) == (0, 0)
    assert idle["rss_bytes"] > 1_000_000 and idle["cpu_seconds"] > 0
    running = [
        asyncio.ensure_future(aggregate(http_client, base_url, "callbacks", fetch=specs))
        for specs in (["/upstream/a?delay_ms=300", "/upstream/b?delay_ms=300"], ["silent"])
    ]
    await until(lambda: len(app.in_flight) == 3)
    busy = await get_json(http_client, f"{base_url}/stats")
    assert (busy["callbacks_in_flight"], busy["fetches_in_flight"]) == (2, 3)
    # The client's shares hold the three fetches (one unit each: small pages), from one
    # address, which waits for nothing.
    client = busy["shares"]["client"]
    assert (client["held"], client["addresses_holding"], client["addresses_waiting"]) == (3, 1, 0)
    await asyncio.gather(*running)
    done = await get_json(http_client, f"{base_url}/stats")
    assert (done["callbacks_in_flight"], done["fetches_in_flight"]) == (0, 0)
    assert {name: shares["held"] for name, shares in done["shares"].items()} == {
        "client": 0, "threads": 0, "live_streams": 0, "claims": 0}
