"""The side-by-side page live: timelines filling in as fetches complete, the event logs, the
knobs, the points lit up in both sources, and the page in Korean."""

import re

import pytest

try:
    from playwright.sync_api import expect
except ImportError:  # the browser fixture skips, or fails under CI, saying why
    expect = None

COLUMNS = ["callbacks", "coroutines"]
# The hung fetch's bar is still running while both fast ones have answered, in both columns.
HALFWAY_JS = """() => ["callbacks", "coroutines"].every((name) => {
    const chart = document.querySelector(`#${name} .chart`);
    return chart.querySelectorAll("rect.bar.ok").length === 2
        && chart.querySelectorAll("rect.bar.running").length === 1;
})"""
BAR_JS = """bar => ({x: +bar.getAttribute("x"), width: +bar.getAttribute("width")})"""
TICKS_JS = """ticks => ticks.map((tick) => tick.textContent)"""


def test_one_hangs_fills_both_timelines_live(index, problems, screenshot):
    index.get_by_label("Scenario").select_option("one-hangs")

    index.get_by_role("button", name="Run both").click()

    index.wait_for_function(HALFWAY_JS)  # the fast two are drawn before the run ends
    for name in COLUMNS:
        expect(index.locator(f"#{name} .result")).to_have_text("Running one-hangs…")
        expect(index.locator(f"#{name} ol.events li").first).to_contain_text("fetch started")
    screenshot(index, "live-one-hangs-halfway.png")

    for name in COLUMNS:
        expect(index.locator(f"#{name} .result table.results")).to_be_visible()
    for name in COLUMNS:
        chart = index.locator(f"#{name} .chart")
        expect(chart.locator("rect.bar.ok")).to_have_count(2)
        hung = chart.locator("rect.bar.no-answer")
        expect(hung).to_have_attribute("data-target", "hangs")
        timeout = chart.locator("line.timeout")
        # The hung fetch's bar runs to the timeout (the server's --timeout 1).
        bar = hung.evaluate(BAR_JS)
        assert bar["x"] + bar["width"] >= float(timeout.get_attribute("x1")) - 1
        kinds = index.locator(f"#{name} ol.events li .kind").all_inner_texts()
        assert kinds[:3] == ["fetch started"] * 3 and kinds[-1] == "rendered"
        expect(index.locator(f"#{name} .threads")).to_have_text(
            re.compile(r"^\d+ events, all on one thread: MainThread$"))
    # One time axis for both columns.
    ticks = [index.locator(f"#{name} .chart text.tick").evaluate_all(TICKS_JS)
             for name in COLUMNS]
    assert ticks[0] == ticks[1] and ticks[0][0] == "0 ms"
    screenshot(index, "live-one-hangs-done.png")
    assert problems == []


@pytest.mark.parametrize("columns", [COLUMNS, ["threads", "greenlets"]], ids="-".join)
def test_a_small_limit_makes_fetches_wait_in_line(page, problems, screenshot, columns):
    page.goto(f"/?left={columns[0]}&right={columns[1]}")
    page.get_by_label("Fetches at once, at most").fill("1")

    page.get_by_role("button", name="Run both").click()

    for name in columns:
        chart = page.locator(f"#{name} .chart")
        expect(page.locator(f"#{name} .result table.results")).to_be_visible()
        expect(chart.locator("rect.queued")).to_have_count(2)  # all but the first
        expect(chart.locator("rect.bar.ok")).to_have_count(3)
        waited = page.locator(f"#{name} table.results tbody td:nth-child(6)").all_inner_texts()
        assert waited[0] == "–" and all(text.endswith(" ms") for text in waited[1:])
        expect(page.locator(f"#{name} ol.events li .kind", has_text="waiting for a slot")
               ).to_have_count(2)
    screenshot(page, f"limit-of-one-{'-'.join(columns)}.png")
    assert problems == []


def test_the_setup_line_gives_the_timeout_slow_motion_makes(index, problems):
    setup = index.locator("p.setup")
    expect(setup).to_contain_text("each given 1.0 s.")  # the test server's --timeout 1

    index.get_by_label("Slow motion").select_option("5")
    expect(setup).to_contain_text("each given 5.0 s.")
    # As the server will run it.
    answer = index.request.get("/callbacks?slow=5&format=json").json()
    assert answer["timeout_ms"] == 5000
    assert problems == []


def test_only_the_chosen_scenarios_knobs_show(index, problems, read_rows):
    expect(index.get_by_label("Fetches in the fan-out")).to_be_hidden()
    index.get_by_label("Scenario").select_option("fan-out")
    index.get_by_label("Fetches in the fan-out").fill("5")
    expect(index.get_by_role("group", name="Delay of each site, in ms")).to_be_hidden()

    index.get_by_role("button", name="Run both").click()

    assert len(read_rows(index.locator("#callbacks .result"), count=5)) == 5
    index.get_by_label("Scenario").select_option("custom")
    index.get_by_label("yandex.ru").fill("20")
    index.locator("#coroutines .run-one").click()
    rows = read_rows(index.locator("#coroutines .result"))
    assert [row["target"] for row in rows] == ["google.com", "yandex.ru", "python.org"]
    assert problems == []


def test_opening_a_point_lights_its_lines_in_both_sources(index, problems, screenshot):
    errors = index.locator("details.point[data-point=errors]")

    errors.locator("summary").click()

    callbacks = index.locator("#callbacks .source .lit")
    coroutines = index.locator("#coroutines .source .lit")
    expect(callbacks.filter(has_text="if response.error:")).to_have_count(1)
    expect(coroutines.filter(has_text="except Exception as error:")).to_have_count(1)
    expect(coroutines.filter(has_text="try:")).to_have_count(1)
    expect(callbacks.filter(has_text="except")).to_have_count(0)
    screenshot(index, "errors-lit.png")

    index.locator("details.point[data-point=state] summary").click()  # one open at a time
    expect(errors).not_to_have_attribute("open", "")
    expect(callbacks.filter(has_text="remaining = {}")).to_have_count(1)
    expect(callbacks.filter(has_text="if response.error:")).to_have_count(0)
    index.locator("details.point[data-point=state] summary").click()
    expect(index.locator(".source .lit")).to_have_count(0)
    assert problems == []


def test_each_column_shows_how_its_failure_arrived(index, problems, screenshot):
    index.get_by_label("Scenario").select_option("one-fails")
    index.get_by_role("button", name="Run both").click()

    callbacks = index.locator("#callbacks details.failure")
    coroutines = index.locator("#coroutines details.failure")
    callbacks.locator("summary").click()
    coroutines.locator("summary").click()
    expect(callbacks).to_contain_text("never raised, so there is no traceback")
    expect(callbacks.locator("pre")).to_have_text(
        "tornado.httpclient.HTTPClientError: HTTP 500: Internal Server Error")
    expect(coroutines).to_contain_text("Raised in this code")
    expect(coroutines.locator("pre")).to_contain_text("in fetch_one")
    expect(coroutines.locator("pre")).to_contain_text("response = await self.fetch(index)")
    screenshot(index, "failures-seen.png")
    assert problems == []


def test_the_page_switches_to_korean(index, problems, screenshot):
    index.get_by_role("link", name="한국어").click()

    expect(index.locator("html")).to_have_attribute("lang", "ko")
    run_both = index.get_by_role("button", name="둘 다 실행")
    expect(run_both).to_be_visible()
    index.get_by_label("시나리오").select_option("one-hangs")
    run_both.click()
    for name in COLUMNS:
        expect(index.locator(f"#{name} .result")).to_have_text("one-hangs 실행 중…")
    for name in COLUMNS:
        expect(index.locator(f"#{name} .totals")).to_contain_text("성공 2, 실패 1")
        expect(index.locator(f"#{name} ol.events li .kind").first).to_have_text("요청 시작")
        expect(index.locator(f"#{name} .threads")).to_contain_text("모두 한 스레드에서")
        expect(index.locator(f"#{name} table.results th").first).to_have_text("대상")
        expect(index.locator(f"#{name} tr.failed td.error")).to_have_text("요청 중 타임아웃")
    index.locator("details.point[data-point=errors] summary").click()
    expect(index.locator("details.point[open] p")).to_contain_text("try/except로 잡습니다")
    screenshot(index, "korean.png")

    index.get_by_role("link", name="English").click()
    expect(index.locator("html")).to_have_attribute("lang", "en")
    assert problems == []
