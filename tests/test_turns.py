"""trace=turns: the loop's turns of a run, read from the running loop, in the style's terms."""

import asyncio
import html
import json
import re
import sys

import pytest
import tornado.locale
from helpers import STYLE_NAMES, aggregate, get_json, query, started, until
from tornado.platform.asyncio import BaseAsyncIOLoop
from tornado.tcpclient import TCPClient

from webdemo.registry import STYLES
from webdemo.styles.coroutines import CoroutinesHandler
from webdemo.trace import internals, turns
from webdemo.trace.loop import TRACER
from webdemo.trace.machinery import SAID


def entries(answer, **match):
    return [entry for turn in answer["turns"] for entry in turn["ran"]
            if all(entry.get(key) == value for key, value in match.items())]


def line_of(style, text):
    """The line of the style's file that holds `text`, exactly once."""
    lines = STYLES[style].source("aggregate").splitlines()
    found = [number for number, line in enumerate(lines, 1) if text in line]
    assert len(found) == 1, (text, found)
    return found[0]


def untraced(loop):
    """Whether asyncio is as it ships: no wrapper on the loop, none on Handle."""
    return not internals.is_wrapped(loop)


@pytest.mark.gen_test
@pytest.mark.parametrize("style", STYLE_NAMES)
async def test_a_traced_run_of_each_style_has_its_turns(http_client, base_url, app, style):
    await started(app, style)
    answer = await aggregate(http_client, base_url, style, trace="turns")
    assert answer["ok"] == 3 and answer["turns_cut"] is False
    assert len(answer["turns"]) >= 3
    assert [turn["t_ms"] for turn in answer["turns"]] == \
        sorted(turn["t_ms"] for turn in answer["turns"])
    for turn in answer["turns"]:
        assert 0 <= turn["t_ms"] <= answer["elapsed_ms"]
        assert turn["ran"] and {entry["kind"] for entry in turn["ran"]} <= \
            {"task", "callback", "io", "timer", "thread"}
    assert untraced(asyncio.get_running_loop())  # the last traced run took it all away


@pytest.mark.gen_test
async def test_in_callbacks_each_response_is_a_callback_with_its_index(http_client, base_url):
    answer = await aggregate(http_client, base_url, "callbacks", trace="turns")
    called = entries(answer, kind="callback", what="handle_response")
    assert sorted(entry["index"] for entry in called) == [0, 1, 2]
    assert {entry["line"] for entry in called} == \
        {line_of("callbacks", "def handle_response(self, index, future):")}
    # Each in a turn of its own, after the turn in which its socket was read.
    for entry in called:
        read = entries(answer, kind="io", index=entry["index"])
        assert read, entry
    last = [entry for entry in called if "render" in entry.get("events", [])]
    assert len(last) == 1 and last[0]["remaining"] == 0


@pytest.mark.gen_test
@pytest.mark.parametrize("style, text", [
    ("coroutines", "response = await self.fetch(index)"),
    ("generators", "response = yield self.fetch(index)"),
])
async def test_each_fetch_resumes_at_its_await_or_yield(http_client, base_url, style, text):
    answer = await aggregate(http_client, base_url, style, trace="turns")
    resumed = [entry for entry in entries(answer, kind="task", what="fetch_one")
               if "resumed" in entry.get("events", [])]
    assert sorted(entry["index"] for entry in resumed) == [0, 1, 2]
    assert {entry["line"] for entry in resumed} == {line_of(style, text)}
    assert {entry["until"] for entry in resumed} == {None}  # each returned its row
    render = entries(answer, kind="task", what="get")[-1]
    assert render["until"] == line_of(style, "self.render_results(rows)")


@pytest.mark.gen_test
@pytest.mark.parametrize("style", ["threads", "sequential"])
async def test_threads_start_and_return_off_the_loop_which_learns_of_it(
        http_client, base_url, style):
    answer = await aggregate(http_client, base_url, style, trace="turns")
    for step, text in [("start", "response = self.fetch_blocking(index)"),
                       ("return", "return self.succeeded(index, response)")]:
        found = entries(answer, kind="thread", step=step)
        assert sorted(entry["index"] for entry in found) == [0, 1, 2]
        assert {entry["line"] for entry in found} == {line_of(style, text)}
    off_loop = [turn for turn in answer["turns"] if turn.get("thread")]
    assert all(turn["thread"].startswith("fetch") for turn in off_loop)
    learnt = entries(answer, kind="thread", step="learnt")
    # Threads: each thread's result in turn; sequential: one thread, one list of rows.
    assert sorted(entry["index"] for entry in learnt) == \
        ([0, 1, 2] if style == "threads" else [None])


@pytest.mark.gen_test
async def test_the_blocking_sleep_is_one_turn_of_its_length(http_client, base_url):
    answer = await get_json(http_client, f"{base_url}/break/blocking/callbacks"
                            "?format=json&trace=turns&block_ms=400")
    [turn] = [turn for turn in answer["turns"] if any(
        "blocked" in entry.get("events", []) for entry in turn["ran"])]
    assert 400 <= turn["ms"] < 400 * 2
    assert all(other["ms"] < 100 for other in answer["turns"] if other is not turn
               and other["ms"] is not None)


@pytest.mark.gen_test
async def test_the_bound_cuts_and_says_so(http_client, base_url, monkeypatch):
    monkeypatch.setattr(turns, "MAX_ENTRIES", 5)
    answer = await aggregate(http_client, base_url, "coroutines", trace="turns",
                             scenario="fan-out", n=20)
    assert answer["ok"] == 20 and answer["turns_cut"] is True
    assert len(entries(answer)) == 5


@pytest.mark.gen_test
async def test_an_untraced_run_has_no_turns_and_installs_nothing(http_client, base_url):
    loop = asyncio.get_running_loop()
    asked = asyncio.ensure_future(aggregate(http_client, base_url, "coroutines",
                                            fetch="/upstream/slow?delay_ms=200"))
    await asyncio.sleep(0.1)
    assert not asked.done() and untraced(loop)
    assert type(loop)._run_once.__get__(loop).__func__ is loop._run_once.__func__
    answer = await asked
    assert "turns" not in answer and "turns_cut" not in answer
    assert not TRACER.runs


@pytest.mark.gen_test
async def test_two_traced_runs_at_once_each_have_their_own(http_client, base_url):
    one, other = await asyncio.gather(
        aggregate(http_client, base_url, "callbacks", trace="turns"),
        aggregate(http_client, base_url, "coroutines", trace="turns"))
    assert sorted(entry["index"] for entry in
                  entries(one, kind="callback", what="handle_response")) == [0, 1, 2]
    assert not entries(one, what="fetch_one") and not entries(other, what="handle_response")
    assert untraced(asyncio.get_running_loop())


@pytest.mark.gen_test
async def test_trace_asks_for_turns_on_a_loop_that_has_them(http_client, base_url,
                                                             monkeypatch):
    answer = await aggregate(http_client, base_url, "callbacks", expect=400, trace="calls")
    assert answer["error"] == "trace must be turns, not 'calls'"
    monkeypatch.setattr(internals, "has_turns", lambda loop: False)  # as on uvloop's loop
    answer = await aggregate(http_client, base_url, "callbacks", expect=400, trace="turns")
    assert "--loop asyncio" in answer["error"]


def position(answer, entry):
    """The number of the turn that ran `entry`."""
    return next(at for at, turn in enumerate(answer["turns"])
                if any(each is entry for each in turn["ran"]))


@pytest.mark.gen_test
@pytest.mark.parametrize("style, handed", [
    ("callbacks", "callback"), ("coroutines", "resumed"), ("generators", "resumed")])
async def test_the_entry_that_ended_each_fetch_comes_before_the_code_has_its_answer(
        http_client, base_url, style, handed):
    answer = await aggregate(http_client, base_url, style, trace="turns")
    ended = entries(answer, ended=True)
    assert sorted(entry["index"] for entry in ended) == [0, 1, 2]
    assert {entry["kind"] for entry in ended} <= {"io", "timer"}
    for entry in ended:  # the stepper says it is no longer in flight from here on
        [code] = [each for each in entries(answer, index=entry["index"])
                  if handed in each.get("events", [])]
        assert position(answer, entry) < position(answer, code)


@pytest.mark.gen_test
@pytest.mark.parametrize("style", STYLE_NAMES)
async def test_each_entry_that_logged_says_how_many_events_the_run_had_by_then(
        http_client, base_url, app, style):
    await started(app, style)
    answer = await aggregate(http_client, base_url, style, trace="turns")
    events = answer["events"]
    counted = [entry for entry in entries(answer) if "logged" in entry]
    assert max(entry["logged"] for entry in counted) == len(events)  # the render's included
    for entry in counted:
        kinds = {event["kind"] for event in events[:entry["logged"]]}
        assert set(entry.get("events", [])) <= kinds, entry
        if entry.get("step") in ("start", "return"):  # a thread's: its own event is the last
            assert events[entry["logged"] - 1]["index"] == entry["index"]
def test_the_probe_finds_what_it_reads_on_this_python_and_tornado():
    # Run on each Python of CI: the versions and every private piece read were checked.
    assert internals.PYTHONS[0] <= sys.version_info[:2] <= internals.PYTHONS[1]
    assert internals.TORNADOS[0] <= tornado.version_info[:2]
    assert internals.PROBLEM is None and internals.probe() is None


@pytest.mark.parametrize("versions, said", [
    ({"python": (3, 14)}, "checked on Python 3.11 to 3.13, and this server runs Python 3.14"),
    ({"python": (3, 10)}, "this server runs Python 3.10"),
    ({"tornado_version": (7, 0)}, "checked on Tornado 6.5 to 6.x, and this server runs "
                                  "Tornado 7.0"),
    ({"tornado_version": (6, 4)}, "this server runs Tornado 6.4"),
])
def test_the_probe_says_which_version_is_outside_those_checked(versions, said):
    why = internals.probe(**versions)
    assert why.status_code == 400 and said in why.translated(tornado.locale.get("en_US"))


def test_the_probe_names_a_piece_gone_from_tornado(monkeypatch):
    monkeypatch.delattr(BaseAsyncIOLoop, "_handle_events")
    said = internals.probe().translated(tornado.locale.get("en_US"))
    assert said == ("trace=turns is not available on this server: Tornado's "
                    "BaseAsyncIOLoop._handle_events, which it reads, is not in this version "
                    "of Tornado")


@pytest.mark.gen_test
async def test_where_the_probe_fails_tracing_says_why_and_the_rest_runs(
        http_client, base_url, monkeypatch):
    monkeypatch.setattr(internals, "PYTHONS", ((3, 99), (3, 99)))  # as on a newer Python
    monkeypatch.setattr(internals, "PROBLEM", internals.probe())
    answer = await aggregate(http_client, base_url, "callbacks", expect=400, trace="turns")
    assert answer["error"].startswith("trace=turns is not available on this server: it "
                                      "was checked on Python 3.99 to 3.99")
    answer = await aggregate(http_client, base_url, "callbacks", expect=400, trace="turns",
                             lang="ko")
    assert answer["error"].startswith("이 서버에서는 trace=turns를 쓸 수 없습니다")
    assert (await aggregate(http_client, base_url, "coroutines"))["ok"] == 3
    page = (await http_client.fetch(base_url + "/")).body.decode()
    assert 'id="step-turns" class="awaits-script" disabled' in page
    assert "it was checked on Python 3.99 to 3.99" in page
    assert untraced(asyncio.get_running_loop()) and not TRACER.runs


@pytest.mark.gen_test(timeout=20)
async def test_traced_runs_are_bounded_in_all_and_per_visitor(http_client, base_url,
                                                              monkeypatch):
    monkeypatch.setattr(turns, "MAX_TRACED_RUNS", 3)
    monkeypatch.setattr(turns, "MAX_TRACED_PER_VISITOR", 2)

    async def traced(address, expect=200, delay_ms=100, **params):
        response = await http_client.fetch(f"{base_url}/coroutines?" + query(
            trace="turns", format="json", fetch=f"/upstream/slow?delay_ms={delay_ms}",
            **params), network_interface=address, raise_error=False)
        assert response.code == expect, response.body
        return json.loads(response.body)

    # The greedy visitor's two runs last 2 s (500 ms in slow motion x4); another's, 0.3 s.
    held = [asyncio.ensure_future(traced("127.0.0.2", delay_ms=500, slow=4))
            for _ in range(2)]
    other = asyncio.ensure_future(traced("127.0.0.3", delay_ms=300))
    await until(lambda: len(TRACER.runs) == 3)
    refused = await traced("127.0.0.4", expect=503)  # a visitor's first, but three are on
    assert refused["error"] == "3 traced runs are under way: try again shortly"
    answer = await other
    assert answer["ok"] == 1 and answer["turns"]
    refused = await traced("127.0.0.2", expect=503, lang="ko")  # the greedy one's third
    assert refused["error"] == ("같은 주소에서 추적 실행 2개가 이미 진행 중입니다: "
                                "하나가 끝나면 다시 해 보세요")
    answer = await traced("127.0.0.4")  # another visitor still gets one
    assert answer["ok"] == 1 and answer["turns"]
    assert all(answer["ok"] == 1 and answer["turns"] for answer in await asyncio.gather(*held))
    assert untraced(asyncio.get_running_loop()) and not TRACER.runs


@pytest.mark.gen_test
async def test_a_traced_run_that_fails_lets_go_of_the_loop(http_client, base_url,
                                                           monkeypatch):
    def fault(self, index, response):
        raise RuntimeError("a fault in the style's code")

    monkeypatch.setattr(CoroutinesHandler, "succeeded", fault)
    answer = await aggregate(http_client, base_url, "coroutines", expect=500, trace="turns")
    assert answer["error"] == "Internal Server Error"
    assert untraced(asyncio.get_running_loop()) and not TRACER.runs


@pytest.mark.gen_test
async def test_a_traced_run_whose_visitor_left_lets_go_of_the_loop(http_client, base_url):
    host, port = base_url.removeprefix("http://").split(":")
    stream = await TCPClient().connect(host, int(port))
    path = "/coroutines?" + query(trace="turns", format="json", slow=5,  # a 5 s fetch
                                  fetch="/upstream/slow?delay_ms=1000")
    await stream.write(f"GET {path} HTTP/1.1\r\nHost: {host}:{port}\r\n\r\n".encode())
    await until(lambda: TRACER.runs)
    stream.close()
    # Well before its fetch would have ended the run.
    await until(lambda: not TRACER.runs, seconds=2)
    assert untraced(asyncio.get_running_loop())


@pytest.mark.gen_test
@pytest.mark.parametrize("style", ["callbacks", "coroutines", "threads"])
async def test_the_loops_other_callbacks_are_said_in_plain_words(http_client, base_url, style):
    # Those of asyncio's, Tornado's and the run engine's: a renamed one would fall back to
    # general words, and the step through the turns would say less.
    answer = await aggregate(http_client, base_url, style, trace="turns")
    machinery = [entry for turn in answer["turns"] for entry in turn["ran"]
                 if entry["line"] is None and entry["index"] is None
                 and entry["kind"] != "thread"]
    assert machinery
    assert [entry["what"] for entry in machinery if "said" not in entry] == []
    assert all(entry["said"] == SAID[entry["what"]] for entry in machinery)


@pytest.mark.gen_test
async def test_the_page_has_the_plain_words_in_its_language(http_client, base_url):
    page = (await http_client.fetch(f"{base_url}/?lang=ko")).body.decode()
    messages = json.loads(html.unescape(re.search(r'data-messages="([^"]*)"', page)[1]))
    korean = tornado.locale.get("ko")
    assert {messages[said] for said in SAID.values()} == \
        {korean.translate(said) for said in SAID.values()}
    assert all(korean.translate(said) != said for said in SAID.values())
