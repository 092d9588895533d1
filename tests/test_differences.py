"""The points of comparison, marked on the lines of each source that show them, and what a
failure looked like to each style's code."""

import re

import pytest
from helpers import aggregate

from webdemo.pages import differences
from webdemo.pages.differences import POINTS, marked_lines, source_lines
from webdemo.pages.side_by_side import highlighted_source

HEART = ["callbacks", "coroutines"]


@pytest.mark.parametrize("style", HEART)
def test_every_point_marks_lines_in_both_sources(style):
    marks = marked_lines(style)
    for point in POINTS:
        assert any(point.name in names for names in marks.values()), (style, point.name)
    lines = source_lines(style)
    assert all(1 <= number <= len(lines) for number in marks)


@pytest.mark.parametrize("style", HEART)
def test_every_pattern_matches_a_line_of_its_own_point(style):
    lines = source_lines(style)
    for point in POINTS:
        for pattern in point.patterns[style]:
            found = [n for n, line in enumerate(lines, 1) if re.search(pattern, line)]
            assert found, (style, pattern)
            assert all(point.name in marked_lines(style)[n] for n in found)


def test_the_errors_point_is_the_check_and_the_except():
    def lines_of(style, name):
        return [source_lines(style)[n - 1].strip() for n, names in marked_lines(style).items()
                if name in names]

    assert "if response.error:" in lines_of("callbacks", "errors")
    assert "except Exception as error:" in lines_of("coroutines", "errors")
    assert "remaining = {}" in lines_of("callbacks", "state")


def test_a_pattern_that_finds_nothing_fails_loudly(monkeypatch):
    point = POINTS[0]
    moved = differences.Point(point.name, point.title, point.explanation,
                              {"coroutines": [r"this line is gone"]})
    monkeypatch.setattr(differences, "POINTS", [moved])
    marked_lines.cache_clear()
    try:
        with pytest.raises(LookupError, match="this line is gone"):
            marked_lines("coroutines")
    finally:
        monkeypatch.undo()
        marked_lines.cache_clear()


@pytest.mark.parametrize("style", HEART)
def test_the_highlighted_source_carries_the_marks(style):
    page = highlighted_source(style)
    for number, names in marked_lines(style).items():
        assert (f'<span id="{style}-line-{number}" class="marked" '
                f'data-points="{" ".join(names)}"') in page
    assert page.count('class="marked"') == len(marked_lines(style))


@pytest.mark.gen_test
async def test_a_failure_looks_like_an_object_to_a_callback(http_client, base_url):
    result = await aggregate(http_client, base_url, "callbacks", scenario="one-fails")
    failure = result["results"][1]["failure"]
    assert failure["type"] == "tornado.httpclient.HTTPClientError"
    assert "500" in failure["repr"]
    assert failure["traceback"] is None  # handed over, never raised
    assert [row["failure"] for row in result["results"][::2]] == [None, None]


@pytest.mark.gen_test
async def test_a_failure_is_raised_at_the_coroutines_await(http_client, base_url):
    result = await aggregate(http_client, base_url, "coroutines", scenario="one-fails")
    trace = result["results"][1]["failure"]["traceback"]
    assert trace.startswith("Traceback (most recent call last):")
    assert 'File "webdemo/styles/coroutines.py", line ' in trace
    assert "in fetch_one\n    response = await self.fetch(index)" in trace
    assert trace.rstrip().endswith("HTTPClientError: HTTP 500: Internal Server Error")
    assert "/work/" not in trace and "site-packages" not in trace  # no paths of this machine


@pytest.mark.gen_test
async def test_a_greenlets_failure_is_raised_where_its_worker_met_it(http_client, base_url):
    # Raised in the worker process, and its traceback sent back with the row: through
    # the style's own line, and gevent's patched socket under urllib.
    result = await aggregate(http_client, base_url, "greenlets", scenario="one-refused")
    failure = result["results"][1]["failure"]
    assert failure["type"] == "builtins.ConnectionRefusedError"
    trace = failure["traceback"]
    assert "in fetch_one\n    response = self.fetch_blocking(index)" in trace
    assert 'File "gevent/socket.py"' in trace
    assert "/work/" not in trace and "site-packages" not in trace
    assert [row["failure"] for row in result["results"][::2]] == [None, None]


@pytest.mark.gen_test(timeout=10)
@pytest.mark.parametrize("style", ["coroutines", "greenlets"])
async def test_failures_shown_are_bounded(http_client, base_url, style):
    result = await aggregate(http_client, base_url, style, fetch=["broken"] * 30)
    shown = [row["failure"] for row in result["results"] if row["failure"]]
    assert len(shown) == 10 and result["failed"] == 30
    assert all(len(failure["traceback"]) <= 4001 for failure in shown)
