"""Nothing moves once a page has shown: the server renders what the script would, so the
script running changes no layout (Lighthouse's cumulative layout shift)."""

import pytest

try:
    from playwright.sync_api import expect
except ImportError:  # the browser fixture skips, or fails under CI, saying why
    expect = None

PHONE = {"width": 390, "height": 844}
DESKTOP = {"width": 1440, "height": 900}
# Every layout shift since the page began, each with the elements that moved.
SHIFTS_JS = """() => new Promise((resolve) => {
    new PerformanceObserver((list, observer) => {
        observer.disconnect();
        resolve(list.getEntries().map((entry) => ({
            value: entry.value,
            moved: entry.sources.map((source) => source.node?.outerHTML?.slice(0, 80)),
        })));
    }).observe({ type: "layout-shift", buffered: true });
    // No shift at all: the observer is never called back; a frame later, say so.
    requestAnimationFrame(() => setTimeout(() => resolve([]), 100));
})"""


@pytest.mark.parametrize("viewport", [PHONE, DESKTOP], ids=["phone", "desktop"])
@pytest.mark.parametrize("path, ready", [("/?lang=ko", "#run-both"), ("/", "#run-both"),
                                         ("/?scenario=fan-out", "#run-both"),
                                         ("/all?lang=ko", "#run-all")])
def test_the_script_moves_nothing(page, problems, viewport, path, ready):
    page.set_viewport_size(viewport)
    page.goto(path)
    expect(page.locator(ready)).to_be_visible()  # the script has run

    assert page.evaluate(SHIFTS_JS) == []
    assert problems == []
