"""Every style's timeline stacked on one time axis, in a real browser."""

from itertools import pairwise

try:
    from playwright.sync_api import expect
except ImportError:  # the browser fixture skips, or fails under CI, saying why
    expect = None

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
