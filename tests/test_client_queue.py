"""Time spent in the HTTP client's own line (--max-clients) counts as queued too."""

import pytest
from helpers import aggregate, started

from webdemo.app import Config


@pytest.fixture(params=["curl", "simple"])
def config(request, http_port):
    # The client runs one fetch at a time, whichever client it is.
    return Config(port=http_port, timeout=1.0, max_clients=1, http_client=request.param)


@pytest.mark.gen_test
# The styles that fetch with the app's Tornado client (the others wait for a pool thread
# or a worker before their fetch starts at all).
@pytest.mark.parametrize("style", ["callbacks", "coroutines", "generators"])
async def test_waiting_for_the_http_clients_own_slot_counts_as_queued(http_client, base_url,
                                                                      style, config):
    # The run sends all three at once; the client makes two of them wait in line.
    result = await aggregate(http_client, base_url, style,
                             fetch=["/upstream/a?delay_ms=100"] * 3)
    rows = result["results"]
    assert rows[0]["queued_ms"] < 50
    assert rows[1]["queued_ms"] >= 90 and rows[2]["queued_ms"] >= 190
    assert all(row["queued_ms"] <= row["end_ms"] - row["start_ms"] for row in rows)
    assert not [event for event in result["events"] if event["kind"] == "queued"]


@pytest.mark.gen_test
@pytest.mark.parametrize("style", ["threads", "greenlets"])
async def test_the_blocking_styles_fetch_no_more_at_once_than_the_client_may(
        http_client, base_url, app, style):
    await started(app, style)
    result = await aggregate(http_client, base_url, style,
                             fetch=["/upstream/a?delay_ms=100"] * 3)
    assert result["ok"] == 3
    # One at a time (a thread pool of one; one slot in the worker): each fetch ends at
    # least the upstream's delay after the one before.
    ends = sorted(row["end_ms"] for row in result["results"])
    assert ends[1] - ends[0] >= 90 and ends[2] - ends[1] >= 90
