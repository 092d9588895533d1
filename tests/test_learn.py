"""The lessons: each lesson's right answer is read from its runs, run for real, and follows
them when they differ; the course's order and links; each lesson's state in its address;
the reveal, which reads the answer from the runs a page sends."""

import asyncio
import html
import json
import re

import pytest
from helpers import get_json, query

from webdemo.learn.lessons import LESSONS, STEPS, UNSURE, lesson, sharing_one_loop
from webdemo.query import BadInput


async def run_all(http_client, base_url, paths, **params):
    """The JSON of each path, all run at once, as the lesson page runs them."""
    extra = query(**params)

    def address(path):
        glue = "&" if "?" in path else "?"
        return f"{base_url}{path}{glue}{extra}" if extra else f"{base_url}{path}"

    return list(await asyncio.gather(*(get_json(http_client, address(path))
                                       for path in paths)))


async def right(http_client, base_url, number, paths=None, **params):
    shown = lesson(number)
    paths = paths or sharing_one_loop(shown.runs, f"lesson-{number}")
    results = await run_all(http_client, base_url, paths, **params)
    return shown.right_answer(results), shown.facts(results)


def test_lessons_are_numbered_in_order_with_unique_addresses():
    assert [each.number for each in LESSONS] == list(range(1, len(LESSONS) + 1))
    assert len({each.path for each in LESSONS}) == len(LESSONS) >= 10
    assert lesson(1) is LESSONS[0]
    assert STEPS == ("predict", "run", "reveal", "change")
    with pytest.raises(BadInput):
        lesson(len(LESSONS) + 1)


def test_an_answer_is_one_of_the_choices_a_number_within_bounds_or_unsure():
    choices, number = lesson(1).prediction, lesson(9).prediction
    assert choices.parse(UNSURE) == number.parse(UNSURE) == UNSURE
    assert choices.parse("slowest") == "slowest"
    assert number.parse("20") == 20 and number.parse("2.5") == 2.5
    for bad in ("<script>", "20"):
        with pytest.raises(BadInput):
            choices.parse(bad)
    for bad in ("nan", "inf", "-1", "1e9", "twenty", ""):
        with pytest.raises(BadInput):
            number.parse(bad)
    assert not choices.is_right(UNSURE, "slowest") and choices.is_right("slowest", "slowest")
    assert number.is_right(1, 1) and not number.is_right(2, 1)  # a count is exact
    assert lesson(8).prediction.is_right(480, 510)  # a time, within a quarter


@pytest.mark.gen_test(timeout=20)
async def test_lesson_1_all_at_once_takes_as_long_as_the_slowest(http_client, base_url):
    answer, facts = await right(http_client, base_url, 1)
    assert answer == "slowest"
    assert facts["sequential_ms"] > 1.5 * facts["at_once_ms"]


@pytest.mark.gen_test(timeout=20)
@pytest.mark.parametrize("delays", [[40, 400, 40], [300, 20, 20]])
async def test_lesson_1_follows_the_run_with_other_delays(http_client, base_url, delays):
    answer, facts = await right(http_client, base_url, 1, scenario="custom", delay_ms=delays)
    assert answer == "slowest"
    assert max(delays) <= facts["slowest_ms"] < max(delays) + 150
    # Were the "all at once" page to fetch one after another, the answer would say so.
    answer, _ = await right(http_client, base_url, 1, ["/sequential", "/sequential"],
                            scenario="custom", delay_ms=delays)
    assert answer == "sum"


@pytest.mark.gen_test(timeout=20)
@pytest.mark.parametrize("fetches", [20, 5])
async def test_lesson_2_a_thread_for_each_waiting_fetch(http_client, base_url, fetches):
    answer, facts = await right(http_client, base_url, 2,
                                [f"/threads?scenario=fan-out&n={fetches}"])
    assert answer == facts["threads"] == fetches
    assert facts["all_threads"] == fetches + 1  # and the loop's


@pytest.mark.gen_test(timeout=20)
@pytest.mark.parametrize("delays, renders", [(None, "yandex.ru"), ([300, 20, 40], "google.com"),
                                             ([20, 40, 300], "python.org")])
async def test_lesson_3_the_last_response_to_arrive_renders(http_client, base_url, delays,
                                                            renders):
    params = {"scenario": "custom", "delay_ms": delays} if delays else {}
    answer, facts = await right(http_client, base_url, 3, **params)
    assert answer == "last-to-arrive" and facts["target"] == facts["last"] == renders


@pytest.mark.gen_test(timeout=20)
async def test_lesson_4_a_chain_takes_each_steps_slowest_added_up(http_client, base_url):
    answer, facts = await right(http_client, base_url, 4)
    assert answer == "steps"
    assert facts["fetches"] == 5 and facts["steps_ms"] < facts["all_ms"]


@pytest.mark.gen_test(timeout=20)
async def test_lesson_5_a_coroutine_has_the_failure_raised_callbacks_an_object(http_client,
                                                                              base_url):
    answer, facts = await right(http_client, base_url, 5)
    assert answer == "raised" and facts["target"] == "broken"
    # The same question of the callbacks run: an object handed over.
    answer, _ = await right(http_client, base_url, 5, ["/callbacks?scenario=one-fails"] * 2)
    assert answer == "object"


@pytest.mark.gen_test(timeout=30)
@pytest.mark.parametrize("variant, expected", [("gather", "runs-on"), ("taskgroup", "stopped"),
                                               ("gather-return-exceptions", "waits")])
async def test_lesson_6_gather_answers_and_lets_the_others_run_on(http_client, base_url,
                                                                 variant, expected):
    answer, facts = await right(http_client, base_url, 6, [f"/claims/one-fails/{variant}"])
    assert answer == expected
    if variant == "gather":
        assert facts["count"] == 4 and facts["last_ms"] > facts["answered_ms"]


@pytest.mark.gen_test(timeout=20)
@pytest.mark.parametrize("delays, first", [(None, "google.com"), ([200, 250, 20], "python.org")])
async def test_lesson_7_a_callback_runs_turns_after_its_socket(http_client, base_url, delays,
                                                               first):
    params = {"scenario": "custom", "delay_ms": delays} if delays else {}
    answer, facts = await right(http_client, base_url, 7, **params)
    assert answer >= 1 and facts["called"] - facts["readable"] == answer
    assert facts["target"] == first


@pytest.mark.gen_test(timeout=20)
@pytest.mark.parametrize("block_ms", [500, 250])
async def test_lesson_8_a_sleep_on_the_loop_stops_the_other_page(http_client, base_url,
                                                                 block_ms):
    answer, facts = await right(http_client, base_url, 8, sharing_one_loop(
        ["/break/beside/callbacks", f"/break/blocking/coroutines?block_ms={block_ms}"],
        f"lesson-8-{block_ms}"))
    assert facts["slept_ms"] == block_ms
    # At least the sleep; more when what it held up runs late after it.
    assert block_ms <= answer < 2 * block_ms + 150


@pytest.mark.gen_test(timeout=20)
@pytest.mark.parametrize("variant, counted", [("coroutines-await-inside", 1),
                                              ("coroutines-no-await-inside", 20)])
async def test_lesson_9_the_counter_reads_what_the_race_left(http_client, base_url, variant,
                                                             counted):
    answer, facts = await right(http_client, base_url, 9, [f"/claims/race/{variant}?n=20"])
    assert answer == facts["counted"] == counted


@pytest.mark.gen_test(timeout=30)
@pytest.mark.parametrize("variant, expected", [("coroutines", "deadlock"),
                                               ("coroutines-no-await-between", "no-deadlock")])
async def test_lesson_10_tasks_deadlock_on_locks_taken_in_opposite_order(http_client, base_url,
                                                                         variant, expected):
    answer, facts = await right(http_client, base_url, 10, [f"/claims/deadlock/{variant}"])
    assert answer == expected and facts["held"] == 0


async def page(http_client, url, expect=200, **headers):
    response = await http_client.fetch(url, raise_error=False, follow_redirects=False,
                                       headers=headers)
    assert response.code == expect, response.body[:300]
    return response


@pytest.mark.gen_test
async def test_the_course_lists_every_lesson_in_order_and_each_links_the_next(http_client,
                                                                           base_url):
    course = (await page(http_client, f"{base_url}/learn")).body.decode()
    assert re.findall(r'<li data-lesson="\d+"><a href="([^"]+)"', course) == \
        [each.path for each in LESSONS]
    for at, each in enumerate(LESSONS):
        shown = (await page(http_client, f"{base_url}{each.path}")).body.decode()
        nexts = re.findall(r'rel="next" href="([^"]+)"', shown)
        assert nexts == ([LESSONS[at + 1].path] if at + 1 < len(LESSONS) else [])
        assert ('rel="prev"' in shown) == (at > 0)
        assert 'href="/learn/print"' in shown
    home = (await page(http_client, f"{base_url}/")).body.decode()
    assert f'href="{LESSONS[0].path}"' in home and 'href="/learn"' in home  # and the header


@pytest.mark.gen_test
async def test_a_lessons_address_holds_its_state(http_client, base_url):
    address = f"{base_url}{lesson(1).path}"
    before = (await page(http_client, address)).body.decode()
    assert 'id="run-lesson"' not in before and 'data-step="predict"' in before
    # No step is reached without a prediction.
    skipped = (await page(http_client, f"{address}?step=reveal")).body.decode()
    assert 'id="run-lesson"' not in skipped and 'data-step="predict"' in skipped
    predicted = (await page(http_client, f"{address}?answer=slowest&step=run")).body.decode()
    assert 'id="run-lesson"' in predicted and 'data-answer="slowest"' in predicted
    assert re.search(r'value="slowest" required checked', predicted)
    revealed = (await page(http_client, f"{address}?answer=sum&step=reveal")).body.decode()
    assert 'data-step="reveal"' in revealed and 'data-answer="sum"' in revealed
    unsure = (await page(http_client, f"{base_url}{lesson(9).path}?answer=&unsure=1&step=run"))
    assert f'data-answer="{UNSURE}"' in unsure.body.decode()
    moved = await page(http_client, f"{base_url}/learn/1-old-name?answer=sum", expect=302)
    assert moved.headers["Location"] == f"{lesson(1).path}?answer=sum"


@pytest.mark.gen_test
@pytest.mark.parametrize("path, status", [
    ("/learn/1-waiting?answer=%3Cscript%3E", 400), ("/learn/9-races?answer=1e99", 400),
    ("/learn/1-waiting?step=later&answer=sum", 400), ("/learn/1-waiting?answer=a&answer=b", 400),
    ("/learn/99-none", 404), ("/learn/0-none", 404), ("/learn/1-waiting?lang=%ff", 200)])
async def test_bad_input_is_refused_clearly(http_client, base_url, path, status):
    response = await page(http_client, f"{base_url}{path}", expect=status)
    assert "<script>" not in response.body.decode()  # what was sent, escaped


async def reveal(http_client, base_url, number, body, expect=200):
    shown = await page(http_client, f"{base_url}{lesson(number).path}?answer=unsure&step=run")
    token = re.search(r'data-xsrf="([^"]+)"', shown.body.decode()).group(1)
    cookie = shown.headers["Set-Cookie"].split(";")[0]
    response = await http_client.fetch(
        f"{base_url}{lesson(number).path}/reveal", method="POST", raise_error=False,
        body=body if isinstance(body, bytes) else json.dumps(body),
        headers={"X-XSRFToken": html.unescape(token), "Cookie": cookie,
                 "Accept": "application/json"})
    assert response.code == expect, response.body[:300]
    return json.loads(response.body)


@pytest.mark.gen_test(timeout=20)
async def test_the_reveal_reads_the_right_answer_from_the_runs_sent(http_client, base_url):
    results = await run_all(http_client, base_url, lesson(1).runs)
    said = await reveal(http_client, base_url, 1, {"answer": "sum", "results": results})
    assert said["right"] == "slowest" and said["answer"] == "sum" and not said["is_right"]
    assert said["right_text"] == "About as long as the slowest fetch"
    assert str(results[1]["elapsed_ms"]) in said["seen"]
    assert said["lit"] == f"coroutines-line-{said['line']}"
    assert said["module"] == "webdemo/styles/coroutines.py"
    results = await run_all(http_client, base_url, lesson(9).runs)
    said = await reveal(http_client, base_url, 9, {"answer": "1", "results": results})
    assert said["right"] == 1 and said["is_right"] and said["unit"] == "visits"


@pytest.mark.gen_test
@pytest.mark.parametrize("body", [b"not json", {"answer": "sum"}, {"answer": 3, "results": []},
                                  {"answer": "sum", "results": [{}, {}]},
                                  {"answer": "nope", "results": [{}, {}]},
                                  {"answer": "sum", "results": [1]}])
async def test_a_reveal_of_runs_that_are_not_the_lessons_is_refused(http_client, base_url,
                                                                    body):
    said = await reveal(http_client, base_url, 1, body, expect=400)
    assert said["error"]


@pytest.mark.gen_test
@pytest.mark.parametrize("counted", ["x", None, [1], True, {"a": 1}])
async def test_a_reveal_whose_right_answer_is_no_answer_is_refused(http_client, base_url,
                                                                   counted):
    # Runs of the right shape whose right answer is not a number, for a number question.
    run = {"counted": counted, "increments": 20, "lost": 19}
    said = await reveal(http_client, base_url, 9, {"answer": "1", "results": [run]},
                        expect=400)
    assert said["error"] == "these runs do not answer the question"


@pytest.mark.gen_test
async def test_a_reveal_nested_too_deep_is_refused(http_client, base_url):
    said = await reveal(http_client, base_url, 9, b"[" * 100_000, expect=400)
    assert "send JSON" in said["error"]


@pytest.mark.gen_test
async def test_a_reveal_needs_the_pages_xsrf_token(http_client, base_url):
    response = await http_client.fetch(f"{base_url}{lesson(1).path}/reveal", method="POST",
                                       body="{}", raise_error=False)
    assert response.code == 403


@pytest.mark.gen_test
async def test_the_handout_has_every_question_and_no_script(http_client, base_url):
    handout = html.unescape((await page(http_client, f"{base_url}/learn/print")).body.decode())
    for each in LESSONS:
        assert each.prediction.question in handout
        assert each.path in handout
    assert "<script" not in handout
    assert len(re.findall(r'\bid="([^"]+)"', handout)) == \
        len(set(re.findall(r'\bid="([^"]+)"', handout)))  # every source printed once
