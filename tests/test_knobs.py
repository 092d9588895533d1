"""The run's knobs: fetches at once, fan-out size, custom delays, slow motion; their bounds."""

from urllib.parse import parse_qs, urlsplit

import pytest
from helpers import STYLE_NAMES, aggregate, started

from webdemo.run import aggregate as shared
from webdemo.scenarios import SEED

# The styles that honour limit=N: every one but sequential, which fetches one at a time
# anyway.
LIMITED = ["callbacks", "coroutines", "generators", "threads", "greenlets"]


def delay_of(row):
    return int(parse_qs(urlsplit(row["url"]).query)["delay_ms"][0])


@pytest.mark.gen_test
@pytest.mark.parametrize("style", LIMITED)
async def test_a_limit_of_one_sends_one_fetch_at_a_time(http_client, base_url, style):
    result = await aggregate(http_client, base_url, style, limit=1)
    rows = result["results"]
    assert [row["target"] for row in rows] == SEED and result["ok"] == 3
    assert result["limit"] == 1
    # Each fetch waits in line until the one before it has answered.
    sent = [row["start_ms"] + row["queued_ms"] for row in rows]
    assert rows[0]["queued_ms"] == 0
    # An upstream cannot answer before its delay: the next fetch, sent only once the
    # one before has answered, goes at least that long after it. (Its row's end_ms is
    # stamped when the style's code runs, which a busy machine may put some ms later.)
    delays = [int(parse_qs(urlsplit(row["url"]).query)["delay_ms"][0]) for row in rows]
    for before, delay, after in zip(sent, delays, sent[1:], strict=False):
        assert after >= before + delay
    assert result["elapsed_ms"] >= 120 + 240 + 180
    kinds = [(event["kind"], event.get("target")) for event in result["events"]]
    assert ("queued", "yandex.ru") in kinds and ("sent", "python.org") in kinds
    assert kinds.index(("queued", "yandex.ru")) < kinds.index(("sent", "yandex.ru"))


@pytest.mark.gen_test
@pytest.mark.parametrize("style", LIMITED)
async def test_no_limit_sends_all_at_once(http_client, base_url, style):
    result = await aggregate(http_client, base_url, style, limit="")
    assert result["limit"] == 3
    assert [row["queued_ms"] for row in result["results"]] == [0, 0, 0]
    assert not [event for event in result["events"] if event["kind"] in ("queued", "sent")]


@pytest.mark.gen_test(timeout=10)
@pytest.mark.parametrize("style", LIMITED)
async def test_fetches_still_in_line_at_the_run_deadline_fail_unsent(
        http_client, base_url, app, style, monkeypatch):
    await started(app, style)  # the deadline is short: not spent on a worker's start
    monkeypatch.setattr(shared, "RUN_SECONDS", 0.3)
    result = await aggregate(http_client, base_url, style, fetch=["hangs"] * 3, limit=1)
    errors = [row["error"] for row in result["results"]]
    assert errors[0] == "Timeout during request"
    assert errors[1:] == ["not sent: no slot came free within 0.3 s"] * 2
    for row in result["results"][1:]:
        assert row["queued_ms"] == pytest.approx(row["end_ms"] - row["start_ms"], abs=0.2)
        assert 250 <= row["end_ms"] < 900  # gave up at the deadline, not after the hang
    assert result["elapsed_ms"] < 2000


@pytest.mark.gen_test(timeout=10)
async def test_a_run_sends_nothing_after_its_deadline_even_one_fetch_at_a_time(
        http_client, base_url, monkeypatch):
    monkeypatch.setattr(shared, "RUN_SECONDS", 0.3)
    result = await aggregate(http_client, base_url, "sequential", fetch=["hangs"] * 3)
    errors = [row["error"] for row in result["results"]]
    assert errors == ["Timeout during request"] + ["not sent: no slot came free within 0.3 s"] * 2
    assert result["elapsed_ms"] < 2000  # not three timeouts of 1 s


@pytest.mark.gen_test
@pytest.mark.parametrize("n", [1, 7, 100])
async def test_fan_out_of_n(http_client, base_url, n):
    result = await aggregate(http_client, base_url, "coroutines", scenario="fan-out", n=n)
    assert [row["target"] for row in result["results"]] == [f"fan-{i:03}" for i in range(1, n + 1)]


@pytest.mark.gen_test
@pytest.mark.parametrize("style", STYLE_NAMES)
async def test_custom_delays_per_site(http_client, base_url, style):
    result = await aggregate(http_client, base_url, style, scenario="custom",
                             delay_ms=["300", "0", "50"])
    rows = result["results"]
    assert [row["target"] for row in rows] == SEED
    assert [delay_of(row) for row in rows] == [300, 0, 50]
    assert [row["bytes"] for row in rows] == [14336, 9216, 20480]  # the sites' own sizes
    assert result["elapsed_ms"] >= 300


@pytest.mark.gen_test
@pytest.mark.parametrize("style", STYLE_NAMES)
async def test_slow_motion_stretches_delays_and_the_timeout(http_client, base_url, style):
    result = await aggregate(http_client, base_url, style, scenario="one-fails", slow=3)
    assert [delay_of(row) for row in result["results"]] == [360, 180, 540]
    assert result["slow"] == 3 and result["timeout_ms"] == 3000  # the test server's 1 s, x3
    assert result["elapsed_ms"] >= 540
    assert result["ok"] == 2  # the same outcome as at full speed


@pytest.mark.gen_test(timeout=10)
@pytest.mark.parametrize("style", STYLE_NAMES)
async def test_in_slow_motion_a_hang_still_outlasts_the_timeout(http_client, base_url, app,
                                                                style):
    await started(app, style)
    result = await aggregate(http_client, base_url, style, fetch="hangs", slow=2)
    assert delay_of(result["results"][0]) == 30_000  # the simulator's longest
    assert result["results"][0]["error"] == "Timeout during request"
    assert 2000 <= result["elapsed_ms"] < 3000


BAD_KNOBS = [
    ({"limit": "0"}, "limit must be from 1 to 200, not 0"),
    ({"limit": "201"}, "limit must be from 1 to 200, not 201"),
    ({"limit": "many"}, "limit must be a whole number from 1 to 200"),
    ({"limit": ["1", "2"]}, "limit is given 2 times"),
    ({"scenario": "fan-out", "n": "101"}, "n must be from 1 to 100, not 101"),
    ({"n": "0"}, "n must be from 1 to 100, not 0"),
    ({"slow": "11"}, "slow must be from 1 to 10, not 11"),
    ({"slow": "1.5"}, "slow must be a whole number"),
    ({"scenario": "custom"}, "the custom scenario needs delay_ms given 3 times"),
    ({"scenario": "custom", "delay_ms": ["1", "2"]}, "needs delay_ms given 3 times"),
    ({"scenario": "custom", "delay_ms": ["1", "2", "30001"]}, "delay_ms must be from 0 to 30000"),
    ({"delay_ms": "x"}, "delay_ms must be a whole number"),
]


@pytest.mark.gen_test
@pytest.mark.parametrize("params, message", BAD_KNOBS, ids=[m for _, m in BAD_KNOBS])
async def test_knobs_out_of_bounds_are_a_400(http_client, base_url, params, message):
    result = await aggregate(http_client, base_url, "callbacks", expect=400, **params)
    assert message in result["error"]


@pytest.mark.gen_test
async def test_the_forms_unused_fields_are_ignored(http_client, base_url):
    # Without JavaScript the page's form sends every knob, empty or not.
    result = await aggregate(http_client, base_url, "callbacks", scenario="seed", n="100",
                             delay_ms=["120", "240", "180"], limit="", slow="1")
    assert [row["target"] for row in result["results"]] == SEED

