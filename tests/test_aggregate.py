"""The aggregate pages of every style: the contract, failures as rows, parity."""

import itertools

import pytest
from helpers import CONCURRENT, STYLE_NAMES, aggregate, resumed, started

from webdemo.app import HTTP_CLIENTS, Config
from webdemo.registry import STYLES
from webdemo.scenarios import SEED

ROW_FIELDS = {"target", "url", "status", "bytes", "error", "start_ms", "end_ms", "queued_ms",
              "failure"}


@pytest.fixture(params=[name for name, client in HTTP_CLIENTS.items() if client])
def config(request, http_port):
    """Every test here runs with each HTTP client the app can use: the rows must not change."""
    return Config(port=http_port, timeout=1.0, http_client=request.param)


# pytest-tornado asks for the app late, by name; naming it here lets pytest see the
# parameters of the config above while it collects.
pytestmark = pytest.mark.usefixtures("app")


def outcome(aggregate_json):
    """What must be the same whichever style ran: every row but its timing."""
    return [{key: row[key] for key in ("target", "url", "status", "bytes", "error")}
            for row in aggregate_json["results"]]


@pytest.mark.gen_test
@pytest.mark.parametrize("style", STYLE_NAMES)
async def test_default_fetches_the_essays_three_sites(http_client, base_url, app, style):
    await started(app, style)
    result = await aggregate(http_client, base_url, style)
    assert result["style"] == style
    assert [row["target"] for row in result["results"]] == SEED
    assert all(set(row) == ROW_FIELDS for row in result["results"])
    assert [row["status"] for row in result["results"]] == [200, 200, 200]
    assert result["ok"] == 3 and result["failed"] == 0
    assert result["total_bytes"] == sum(row["bytes"] for row in result["results"]) > 0
    if style in CONCURRENT:
        # The slowest simulated site takes 240 ms; the three run at once, not in turn.
        assert 240 <= result["elapsed_ms"] < 240 + 120 + 180
    else:
        assert result["elapsed_ms"] >= 240 + 120 + 180


@pytest.mark.gen_test
@pytest.mark.parametrize("style", STYLE_NAMES)
async def test_results_keep_request_order_whatever_finishes_first(http_client, base_url, style):
    specs = [f"/upstream/s{n}?delay_ms={delay}&bytes={n}"
             for n, delay in enumerate([150, 100, 50, 0])]
    result = await aggregate(http_client, base_url, style, fetch=specs)
    assert [row["target"] for row in result["results"]] == ["s0", "s1", "s2", "s3"]
    assert [row["bytes"] for row in result["results"]] == [0, 1, 2, 3]
    if style in CONCURRENT:  # completion order, the reverse
        assert resumed(result) == ["s3", "s2", "s1", "s0"]
    else:  # each fetch starts when the one before has answered
        assert resumed(result) == ["s0", "s1", "s2", "s3"]


@pytest.mark.gen_test
@pytest.mark.parametrize("style", STYLE_NAMES)
async def test_event_log_runs_in_order_from_starts_to_render(http_client, base_url, style):
    result = await aggregate(http_client, base_url, style)
    events = result["events"]
    times = [event["t_ms"] for event in events]
    assert times == sorted(times)
    kinds = [event["kind"] for event in events]
    if style in CONCURRENT:
        assert kinds[:3] == ["fetch-start"] * 3
    else:
        assert kinds[:4] == ["fetch-start", "returned", "fetch-start", "returned"]
    assert kinds[-1] == "render"
    assert sorted(resumed(result)) == sorted(SEED)
    counters = [event["remaining"] for event in events if event["kind"] == "counter"]
    assert counters == ([2, 1, 0] if style == "callbacks" else [])


@pytest.mark.gen_test
@pytest.mark.parametrize("style", STYLE_NAMES)
async def test_an_http_error_is_a_row(http_client, base_url, style):
    result = await aggregate(http_client, base_url, style, scenario="one-fails")
    ok_before, broken, ok_after = result["results"]
    assert broken["target"] == "broken"
    assert broken["status"] == 500
    assert broken["error"] == "HTTP 500: Internal Server Error"
    assert ok_before["status"] == ok_after["status"] == 200
    assert ok_before["error"] is ok_after["error"] is None
    assert (result["ok"], result["failed"]) == (2, 1)


@pytest.mark.gen_test
@pytest.mark.parametrize("style", STYLE_NAMES)
async def test_a_refused_connection_is_a_row(http_client, base_url, style):
    result = await aggregate(http_client, base_url, style, scenario="one-refused")
    refused = result["results"][1]
    assert refused["target"] == "refused"
    assert refused["status"] is None and refused["bytes"] == 0
    assert "connect" in refused["error"].lower()  # "Connection refused", or libcurl's words
    assert [row["status"] for row in result["results"]] == [200, None, 200]


@pytest.mark.gen_test
@pytest.mark.parametrize("style", STYLE_NAMES)
async def test_a_hung_upstream_holds_the_page_no_longer_than_the_timeout(
        http_client, base_url, config, app, style):
    await started(app, style)
    result = await aggregate(http_client, base_url, style, scenario="one-hangs")
    hung = result["results"][1]
    assert hung["target"] == "hangs"
    assert hung["status"] is None
    assert "time" in hung["error"].lower()  # "Timeout during request", "timed out after"
    timeout_ms = config.timeout * 1000
    # A worker's fetch is stamped on this server's clock when its message arrives,
    # which on a busy machine can be some ms after the worker started it.
    relayed_ms = 100 if STYLES[style].worker_module else 0
    assert timeout_ms - relayed_ms <= hung["end_ms"] - hung["start_ms"] < timeout_ms + 500
    # In turn, the page also waits for the two others: 120 and 180 ms.
    assert result["elapsed_ms"] < timeout_ms + 500 + (0 if style in CONCURRENT else 300)
    assert [row["status"] for row in result["results"]] == [200, None, 200]


@pytest.mark.gen_test(timeout=30)  # every style in turn, the sequential one slowly
@pytest.mark.parametrize("inputs", [
    {},
    {"scenario": "one-fails"},
    {"scenario": "one-refused"},
    {"scenario": "one-hangs"},
    {"fetch": ["python.org", "/upstream/teapot?status=418&bytes=7", "python.org",
               "/upstream/empty?bytes=0", "/upstream/moved?status=302"]},
], ids=["seed", "one-fails", "one-refused", "one-hangs", "mixed"])
async def test_every_style_answers_the_same_rows(http_client, base_url, inputs):
    results = [await aggregate(http_client, base_url, style, **inputs) for style in STYLE_NAMES]
    assert all(outcome(result) == outcome(results[0]) for result in results)
    assert all((r["ok"], r["failed"], r["total_bytes"]) ==
               (results[0]["ok"], results[0]["failed"], results[0]["total_bytes"])
               for r in results)


@pytest.mark.gen_test
@pytest.mark.parametrize("style", STYLE_NAMES)
async def test_a_redirect_is_reported_not_followed(http_client, base_url, style):
    result = await aggregate(http_client, base_url, style, fetch="/upstream/moved?status=302")
    assert result["results"][0]["status"] == 302
    assert result["results"][0]["error"] == "HTTP 302: Found (redirects are not followed)"


@pytest.mark.gen_test
@pytest.mark.parametrize("style", STYLE_NAMES)
async def test_html_is_the_default_and_shows_every_row(http_client, base_url, style):
    response = await http_client.fetch(f"{base_url}/{style}?scenario=one-fails")
    assert response.headers["Content-Type"].startswith("text/html")
    page = response.body.decode()
    for target in ("google.com", "broken", "python.org"):
        assert f"<code>{target}</code>" in page
    assert "HTTP 500: Internal Server Error" in page
    assert "2 ok, 1 failed" in page


@pytest.mark.gen_test
async def test_json_by_accept_header_or_format(http_client, base_url):
    by_format = await http_client.fetch(f"{base_url}/callbacks?format=json")
    by_accept = await http_client.fetch(f"{base_url}/callbacks",
                                        headers={"Accept": "application/json"})
    for response in (by_format, by_accept):
        assert response.headers["Content-Type"].startswith("application/json")


@pytest.mark.gen_test
@pytest.mark.parametrize("style", CONCURRENT)
async def test_fan_out_runs_at_once(http_client, base_url, app, style):
    # 100 fetches of 200 ms, read from the rows' own times rather than timed: 10 at a
    # time (Tornado's shared client by default) or one after another, at most 10 would
    # be on the wire at once. Time in a line (queued_ms: the run's, then the client's)
    # is not on the wire. benchmarks/fanout.py measures how long it takes.
    await started(app, style)
    result = await aggregate(http_client, base_url, style, scenario="fan-out")
    assert result["ok"] == 100
    assert most_on_the_wire(result["results"]) > 50


def most_on_the_wire(rows):
    """The most fetches of a run sent and not yet answered at one moment."""
    edges = sorted([(row["start_ms"] + row["queued_ms"], 1) for row in rows]
                   + [(row["end_ms"], -1) for row in rows])  # at a tie, an end first
    return max(itertools.accumulate(change for _, change in edges))
