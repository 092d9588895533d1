"""The claims page: each variant shows the property it is there to show, run for real."""

import asyncio
import html
import json
import logging
import re

import pytest
from helpers import get_json, until
from test_translations import english_left, template_messages

from webdemo.base import resource_dir, script_messages
from webdemo.claims.handlers import MAX_RUNS
from webdemo.claims.registry import CLAIM_DEMOS, SELF_DEADLOCK
from webdemo.styles import threads

GREEDY, OTHER = "127.0.0.2", "127.0.0.3"
# Enough visits that a racy variant cannot help losing some: every visit reads before
# the first fetch (50 ms of real I/O) can answer.
N = 20


async def run(http_client, base_url, demo, variant, expect=200, **params):
    query = "".join(f"&{name}={value}" for name, value in params.items())
    return await get_json(http_client, f"{base_url}/claims/{demo}/{variant}?format=json{query}",
                          expect)


def no_errors_logged(caplog):
    return not [record for record in caplog.records if record.levelno >= logging.ERROR]


@pytest.mark.gen_test(timeout=20)
@pytest.mark.parametrize("variant", ["threads", "coroutines-await-inside", "callbacks",
                                     "greenlets"])
async def test_a_read_and_a_write_with_io_between_lose_updates(http_client, base_url, variant,
                                                               caplog):
    result = await run(http_client, base_url, "race", variant, n=N)
    assert result["variant"] == variant and result["increments"] == N
    assert result["lost"] > 0 and result["counted"] + result["lost"] == N
    if variant != "threads":  # on one thread, every visit reads before any writes
        assert result["counted"] == 1
    assert result["elapsed_ms"] > 0
    assert no_errors_logged(caplog)


@pytest.mark.gen_test(timeout=20)
@pytest.mark.parametrize("variant", ["threads-locked", "coroutines-no-await-inside",
                                     "coroutines-locked"])
async def test_a_lock_or_no_await_between_loses_none(http_client, base_url, variant):
    result = await run(http_client, base_url, "race", variant, n=N)
    assert (result["counted"], result["lost"]) == (N, 0)


@pytest.mark.gen_test(timeout=20)
@pytest.mark.parametrize("variant", ["threads", "coroutines", "greenlets"])
async def test_locks_in_opposite_order_deadlock_and_are_cleaned_up(http_client, base_url,
                                                                   variant, caplog):
    result = await run(http_client, base_url, "deadlock", variant)
    assert result["deadlocked"] is True
    # Each held its first lock and waited for the other's; one wait at least ran out.
    assert [(worker["took"], worker["wanted"]) for worker in result["workers"]] == \
        [("A", "B"), ("B", "A")]
    assert not all(worker["got_it"] for worker in result["workers"])
    assert result["wait_seconds"] * 1000 <= result["elapsed_ms"]
    assert result["elapsed_ms"] < 2 * (1000 + result["wait_seconds"] * 1000) + 10_000
    assert result["locks_held_after"] == [] and result["running_after"] == 0
    assert no_errors_logged(caplog)


@pytest.mark.gen_test
async def test_taking_both_locks_with_no_await_between_completes(http_client, base_url):
    result = await run(http_client, base_url, "deadlock", "coroutines-no-await-between")
    assert result["deadlocked"] is False
    assert all(worker["got_it"] for worker in result["workers"])
    assert result["locks_held_after"] == [] and result["running_after"] == 0
    assert result["elapsed_ms"] < result["wait_seconds"] * 1000


def fetch_of(result, target):
    return next(fetch for fetch in result["fetches"] if fetch["target"] == target)


@pytest.mark.gen_test(timeout=20)
async def test_taskgroup_cancels_the_hang_and_gather_does_not(http_client, base_url, caplog):
    group = await run(http_client, base_url, "one-fails", "taskgroup")
    gather = await run(http_client, base_url, "one-fails", "gather")
    for result in group, gather:  # both answer with the failure, at once
        assert result["error"] == "HTTP 500: Internal Server Error"
        assert result["answered_ms"] < 1000
        assert fetch_of(result, "fails-at-once")["outcome"] == "failed"
    hang = fetch_of(group, "hangs")
    assert hang["outcome"] == "cancelled" and hang["end_ms"] <= group["answered_ms"]
    assert {fetch["outcome"] for fetch in group["fetches"]} == {"cancelled", "failed"}
    # Cancelled is the waiting: the request itself went on in the client to its timeout.
    assert hang["request_end_ms"] >= 1000
    # The group is what TaskGroup raised, and the page says so: `except HTTPClientError`
    # would miss it. gather raised the failure itself.
    assert group["raised"] == "ExceptionGroup"
    assert group["group"] == ["HTTP 500: Internal Server Error"]
    assert gather["raised"] == "HTTPClientError" and gather["group"] is None
    hang = fetch_of(gather, "hangs")
    assert hang["outcome"] == "failed" and hang["end_ms"] >= 1000 > gather["answered_ms"]
    assert [fetch["outcome"] for fetch in gather["fetches"]] == \
        ["answered", "answered", "answered", "failed", "failed"]
    assert no_errors_logged(caplog)


@pytest.mark.gen_test(timeout=20)
@pytest.mark.parametrize("variant", ["callbacks", "threads"])
async def test_callbacks_and_threads_run_on_after_the_page_answered(http_client, base_url,
                                                                    variant):
    result = await run(http_client, base_url, "one-fails", variant)
    assert result["error"] == "HTTP 500: Internal Server Error"
    ran_on = [fetch for fetch in result["fetches"] if fetch["end_ms"] > result["answered_ms"]]
    assert ran_on and {fetch["outcome"] for fetch in ran_on} <= {"answered", "failed"}


@pytest.mark.gen_test(timeout=20)
async def test_gather_with_return_exceptions_waits_for_the_hang(http_client, base_url):
    result = await run(http_client, base_url, "one-fails", "gather-return-exceptions")
    assert result["error"] is None
    assert result["answered_ms"] >= max(fetch["end_ms"] for fetch in result["fetches"]) >= 1000


@pytest.mark.gen_test(timeout=20)
@pytest.mark.parametrize("variant", ["gather", "taskgroup"])
async def test_when_the_visitor_leaves_nothing_is_stopped(http_client, base_url, variant):
    result = await run(http_client, base_url, "one-fails", variant, leave_ms=60)
    assert 60 <= result["left_ms"] < result["answered_ms"]
    assert [fetch["target"] for fetch in result["fetches"]] == \
        ["google.com", "yandex.ru", "python.org", "hangs"]
    assert all(fetch["end_ms"] > result["left_ms"] for fetch in result["fetches"])
    assert "cancelled" not in {fetch["outcome"] for fetch in result["fetches"]}


@pytest.mark.gen_test
@pytest.mark.parametrize("path, status, said", [
    ("/claims/race/nope?format=json", 400, "unknown variant 'nope' of race: use threads, "),
    ("/claims/deadlock/threads-locked?format=json", 400, "unknown variant 'threads-locked'"),
    ("/claims/race/threads?format=json&n=31", 400, "n must be from 2 to 30, not 31"),
    ("/claims/race/threads?format=json&n=x", 400, "n must be a whole number from 2 to 30"),
    ("/claims/one-fails/gather?format=json&leave_ms=5", 400, "leave_ms must be from 10"),
    ("/claims/one-fails/gather?format=json&run=guess", 400, "unknown run 'guess'"),
    ("/claims/nope/threads?format=json", 404, "there is no page at /claims/nope/threads"),
])
async def test_bad_input_is_refused_with_a_message(http_client, base_url, path, status, said):
    result = await get_json(http_client, f"{base_url}{path}", status)
    assert result["error"].startswith(said)


async def run_from(http_client, base_url, address, expect=200, variant="coroutines"):
    response = await http_client.fetch(
        f"{base_url}/claims/deadlock/{variant}?format=json", network_interface=address,
        headers={"Accept-Language": "ko"}, raise_error=False, request_timeout=20)
    assert response.code == expect, response.body
    return json.loads(response.body)


@pytest.mark.gen_test(timeout=20)
async def test_runs_at_once_are_bounded(http_client, base_url, app):
    # Adapted (issue 21): from as many visitors, since one visitor runs one at a time;
    # and with no wait in line, where a refused run would otherwise wait its turn.
    app.claims_admission.wait_seconds = 0
    results = await asyncio.gather(*(
        http_client.fetch(f"{base_url}/claims/deadlock/coroutines?format=json",
                          network_interface=f"127.0.0.{10 + n}", raise_error=False,
                          request_timeout=20)
        for n in range(MAX_RUNS + 1)))
    assert sorted(result.code for result in results) == [200] * MAX_RUNS + [503]


@pytest.mark.gen_test(timeout=20)
async def test_a_visitor_waits_for_their_own_earlier_run_not_for_everyones(
        http_client, base_url, app):
    admission = app.claims_admission
    admission.wait_seconds = 0
    earlier = admission.try_enter(GREEDY)  # their run under way
    try:
        refused = await run_from(http_client, base_url, GREEDY, expect=503)
        assert re.fullmatch(r"앞서 실행한 주장 데모가 아직 실행 중입니다: \d+초 뒤에 다시 "
                            r"시도하세요", refused["error"])
        # Another visitor meanwhile runs at once.
        assert (await run_from(http_client, base_url, OTHER))["waited_ms"] < 1000
    finally:
        admission.leave(earlier)


@pytest.mark.gen_test(timeout=20)
async def test_a_run_waits_briefly_for_a_turn_that_frees_soon(http_client, base_url, app):
    admission = app.claims_admission
    others = [admission.try_enter(f"127.0.0.{20 + n}") for n in range(MAX_RUNS)]
    waiting = asyncio.ensure_future(run_from(http_client, base_url, OTHER))
    await until(lambda: admission.shares.ready)  # in line, not refused
    admission.leave(others.pop())
    assert (await waiting)["waited_ms"] > 0
    for turn in others:
        admission.leave(turn)


@pytest.mark.gen_test(timeout=20)
async def test_a_run_with_no_turn_in_time_is_told_how_long_to_wait(http_client, base_url, app):
    admission = app.claims_admission
    admission.wait_seconds = 0.2
    others = [admission.try_enter(f"127.0.0.{20 + n}") for n in range(MAX_RUNS)]
    try:
        refused = await run_from(http_client, base_url, OTHER, expect=503)
        assert re.fullmatch(rf"주장 데모가 이미 {MAX_RUNS}개 실행 중입니다: \d+초 뒤에 다시 "
                            r"시도하세요", refused["error"])
        assert not admission.shares.ready  # it left the line
    finally:
        for turn in others:
            admission.leave(turn)


@pytest.mark.gen_test
async def test_a_run_asked_for_as_html_leads_to_the_page(http_client, base_url):
    response = await http_client.fetch(f"{base_url}/claims/race/threads",
                                       follow_redirects=False, raise_error=False)
    assert response.code == 302 and response.headers["Location"] == "/claims#race-threads"


@pytest.mark.gen_test
async def test_the_page_shows_every_variants_code(http_client, base_url):
    response = await http_client.fetch(f"{base_url}/claims")
    page = response.body.decode()
    for demo in CLAIM_DEMOS.values():
        for variant in demo.variants.values():
            assert f'id="{demo.name}-{variant.name}"' in page
            for function in variant.code:
                assert f'<span class="nf">{function.__name__}</span>' in page
    assert '<span class="nf">self_deadlock</span>' in page
    for linked in "/", "/costs":
        linking = await http_client.fetch(f"{base_url}{linked}")
        assert 'href="/claims"' in linking.body.decode()


@pytest.mark.gen_test
async def test_the_page_in_korean_leaves_no_english(http_client, base_url):
    response = await http_client.fetch(f"{base_url}/claims", headers={"Accept-Language": "ko"})
    page = html.unescape(response.body.decode())
    assert '<html lang="ko">' in page and "에세이의 주장, 직접 실행" in page
    shown = template_messages("claims.html") | {SELF_DEADLOCK}
    shown |= {text for demo in CLAIM_DEMOS.values()
              for text in (demo.title, demo.claim, demo.about)}
    shown |= {variant.about for demo in CLAIM_DEMOS.values() for variant in demo.variants.values()}
    assert english_left(page, shown) == []


def test_the_script_uses_only_strings_it_can_translate():
    # t(...) is always called with a literal, so the server finds and translates each one.
    script = (resource_dir("static") / "claims.js").read_text()
    assert set(re.findall(r"(?<!function )\bt\((.)", script)) == {'"'}
    assert len(script_messages("claims.js")) >= 15


@pytest.mark.gen_test
async def test_threads_are_said_to_switch_as_cpython_switches_them(http_client, base_url):
    # Under the GIL a switch comes between bytecodes, at the switch interval or blocking
    # I/O: not "anywhere", as the operating system would switch native code.
    response = await http_client.fetch(f"{base_url}/claims")
    page = html.unescape(response.body.decode())
    assert "switches between them anywhere" not in page
    race = page[page.index('id="race"'):page.index('id="deadlock"')]
    assert "GIL" in race and "sys.getswitchinterval()" in race
    assert "It qualifies the essay's contrast" in race
    assert "GIL" in threads.__doc__ and "operating system" not in threads.__doc__


@pytest.mark.gen_test
async def test_the_leaving_visitor_checkbox_says_four_fetches(http_client, base_url):
    response = await http_client.fetch(f"{base_url}/claims")
    page = html.unescape(response.body.decode())
    assert "before any fetch has answered: four fetches, without the one that fails" in page
