"""Every style's timeline stacked on one time axis, in a real browser."""

import re
from itertools import pairwise

try:
    from playwright.sync_api import expect
except ImportError:  # the browser fixture skips, or fails under CI, saying why
    expect = None

from .test_keyboard_and_a11y import CONTROLS, DESCRIBE_JS, tab_around

STYLES = ["callbacks", "coroutines", "generators", "threads", "greenlets", "sequential"]
# Each style's timeline: its bars as [left, right] in pixels, the axis's last tick, and
# how long its run took, from its totals.
TIMELINES_JS = """stacked => Object.fromEntries([...stacked.querySelectorAll("article.style")]
    .map((style) => [style.dataset.style, {
        bars: [...style.querySelectorAll(".chart rect.bar")].map((bar) => {
            const x = Number(bar.getAttribute("x"));
            return [x, x + Number(bar.getAttribute("width"))];
        }),
        axis: [...style.querySelectorAll(".chart text.tick")].pop().textContent,
        elapsed_ms: parseFloat(style.querySelector(".totals strong").textContent),
    }]))"""


def seconds(tick):
    number, unit = tick.split()
    return float(number) / (1000 if unit == "ms" else 1)


def test_all_six_run_at_once_on_one_axis(page, problems, screenshot):
    page.goto("/")
    page.get_by_role("link", name="or all six, stacked on one time axis").click()
    expect(page).to_have_title("webdemo: every style on one time axis")
    page.get_by_role("button", name="Run all").click()

    for name in STYLES:
        style = page.locator(f"#{name}")
        expect(style.locator(".totals")).to_contain_text("3 ok, 0 failed")
        expect(style.locator(".chart rect.bar.ok")).to_have_count(3)
    # Read at one moment, once every run has finished and been drawn.
    timelines = page.locator(".stacked").evaluate(TIMELINES_JS)
    assert list(timelines) == STYLES
    axes = {timeline["axis"] for timeline in timelines.values()}
    assert len(axes) == 1, timelines
    # The axis reaches the end of the longest run: none is cut off.
    assert seconds(axes.pop()) * 1000 >= max(timeline["elapsed_ms"]
                                            for timeline in timelines.values())
    # The staircase: sequential's fetches each start after the one before has ended;
    # the others' all start before the first one ends.
    steps = timelines["sequential"]["bars"]
    assert all(later[0] >= earlier[1] - 1 for earlier, later in pairwise(steps)), steps
    for name in STYLES[:-1]:
        bars = timelines[name]["bars"]
        assert max(left for left, _ in bars) < min(right for _, right in bars), (name, bars)
    screenshot(page, "all-stacked.png")
    assert problems == []


def test_every_control_is_reachable_by_tab_and_runs_all(page, problems):
    page.goto("/all")
    run_all = page.get_by_role("button", name="Run all")
    expect(run_all).to_be_visible()
    controls = page.locator(CONTROLS).evaluate_all(
        f"els => els.filter((el) => el.checkVisibility()).map({DESCRIBE_JS})")
    assert len(controls) == len(set(controls)), controls
    assert 'button#run-all.primary "Run all"' in controls
    assert sum(control.startswith("button.run-one") for control in controls) == 6

    stops = tab_around(page)
    assert [stop for stop in stops if stop in controls] == controls, stops

    run_all.focus()
    page.keyboard.press("Enter")
    expect(page.locator(".stacked .totals")).to_have_count(6)
    expect(run_all).to_be_focused()  # given back once the buttons are enabled again
    ids = page.evaluate("() => [...document.querySelectorAll('[id]')].map((el) => el.id)")
    assert sorted({id for id in ids if ids.count(id) > 1}) == []
    assert problems == []


def test_the_address_names_the_scenario_to_share(open_page, problems):
    page = open_page()
    page.goto("/all")
    page.get_by_label("Scenario").select_option("one-fails")
    expect(page).to_have_url(re.compile(r"/all\?scenario=one-fails$"))

    shared = open_page()  # whoever the address was shared with, in a browser of their own
    shared.goto(page.url)
    expect(shared.get_by_label("Scenario")).to_have_value("one-fails")
    shared.get_by_role("button", name="Run all").click()
    expect(shared.locator("#sequential .totals")).to_contain_text("2 ok, 1 failed")
    assert problems == []
