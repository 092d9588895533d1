"""The lessons' registry: each lesson's right answer is read from its runs, for real, and
follows them when they differ."""

import pytest
from helpers import get_json, query

from webdemo.learn.lessons import LESSONS, UNSURE, lesson
from webdemo.query import BadInput


async def run_all(http_client, base_url, paths, **params):
    """The JSON of each path, run one after another as the lesson page runs them."""
    extra = query(**params)
    results = []
    for path in paths:
        glue = "&" if "?" in path else "?"
        results.append(await get_json(http_client, f"{base_url}{path}{glue}{extra}"))
    return results


def test_lessons_are_numbered_in_order_with_unique_addresses():
    assert [each.number for each in LESSONS] == list(range(1, len(LESSONS) + 1))
    assert len({each.path for each in LESSONS}) == len(LESSONS)
    assert lesson(1) is LESSONS[0]
    with pytest.raises(BadInput):
        lesson(len(LESSONS) + 1)


def test_an_answer_is_one_of_the_choices_or_unsure():
    prediction = lesson(1).prediction
    assert prediction.parse(UNSURE) == UNSURE
    assert prediction.parse("slowest") == "slowest"
    with pytest.raises(BadInput):
        prediction.parse("<script>")
    assert not prediction.is_right(UNSURE, "slowest")


@pytest.mark.gen_test(timeout=20)
async def test_lesson_1_all_at_once_takes_as_long_as_the_slowest(http_client, base_url):
    first = lesson(1)
    assert first.right_answer(await run_all(http_client, base_url, first.runs)) == "slowest"


@pytest.mark.gen_test(timeout=20)
@pytest.mark.parametrize("delays", [[40, 400, 40], [300, 20, 20]])
async def test_lesson_1_follows_the_run_with_other_delays(http_client, base_url, delays):
    first = lesson(1)
    results = await run_all(http_client, base_url, first.runs, scenario="custom",
                            delay_ms=delays)
    assert first.right_answer(results) == "slowest"
    # Were the "all at once" page to fetch one after another, the answer would say so.
    results = await run_all(http_client, base_url, ["/sequential", "/sequential"],
                            scenario="custom", delay_ms=delays)
    assert first.right_answer(results) == "sum"
