"""On a phone (390 px wide): pages scroll down only, and a run's table keeps names whole."""

import pytest

try:
    from playwright.sync_api import expect
except ImportError:  # the browser fixture skips, or fails under CI, saying why
    expect = None

PHONE = {"width": 390, "height": 844}
PAGE_WIDTH_JS = "() => document.documentElement.scrollWidth"
# The lines an element's text takes: a name or number that wraps takes more than one.
LINES_JS = """elements => elements.map((element) => {
    const range = document.createRange();
    range.selectNodeContents(element);
    return new Set([...range.getClientRects()].map((rect) => Math.round(rect.top))).size;
})"""


@pytest.mark.parametrize("path", ["/", "/?lang=ko", "/coroutines?scenario=one-fails",
                                  "/costs?lang=ko", "/all"])
def test_a_page_is_no_wider_than_the_phone(page, problems, path):
    page.set_viewport_size(PHONE)
    page.goto(path)
    assert page.evaluate(PAGE_WIDTH_JS) <= PHONE["width"]
    assert problems == []


def test_a_run_on_a_phone_keeps_names_and_numbers_on_one_line(page, problems, screenshot):
    page.set_viewport_size(PHONE)
    page.goto("/?lang=ko&scenario=one-fails")
    page.get_by_role("button", name="둘 다 실행").click()

    table = page.locator("#callbacks table.results")
    expect(table).to_be_visible()
    assert table.locator("tbody td:not(.error)").evaluate_all(LINES_JS) == [1] * 15
    assert page.locator("header.site a").evaluate_all(LINES_JS) == [1, 1, 1]
    assert page.evaluate(PAGE_WIDTH_JS) <= PHONE["width"]
    screenshot(page, "phone-ko-one-fails.png")
    assert problems == []
