"""A page prints as it reads: sources and tables whole, nothing to press."""

import re

try:
    from playwright.sync_api import expect
except ImportError:  # the browser fixture skips, or fails under CI, saying why
    expect = None

# Boxes that hold back part of what they hold: scrolled sideways or cut off below.
HELD_BACK_JS = """() => [...document.querySelectorAll(
    ".source, .result, .scroll, ol.events, table.results, pre")]
  .filter((box) => box.clientWidth > 0 && (box.scrollWidth > box.clientWidth + 1
    || box.scrollHeight > box.clientHeight + 1))
  .map((box) => `${box.tagName.toLowerCase()}#${box.id}.${box.className}`)"""


def test_the_side_by_side_page_prints_whole_without_buttons(index, problems):
    index.locator("#scenario").select_option("one-fails")
    index.locator("#run-both").click()
    expect(index.locator("#coroutines table.results")).to_be_visible()
    index.emulate_media(media="print")
    assert index.locator("button:visible").count() == 0
    assert index.evaluate(HELD_BACK_JS) == []
    # Chromium prints it: a few pages of A4 (the two sources are most of it).
    pdf = index.pdf(format="A4")
    assert pdf.startswith(b"%PDF") and 2 <= len(re.findall(rb"/Type\s*/Page\b", pdf)) <= 12
    assert problems == []
