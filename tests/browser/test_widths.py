"""Every page fits, with data in it: no element's content is wider than its box, at 1280
and at 390 px, results with long errors included; a table on a phone reads as cards."""

import pytest

try:
    from playwright.sync_api import expect
except ImportError:  # the browser fixture skips, or fails under CI, saying why
    expect = None

WIDTHS = {"desktop": {"width": 1280, "height": 800}, "phone": {"width": 390, "height": 844}}
# Every element whose content is wider than its box, and the page if it scrolls sideways.
# Sources scroll sideways by design (80 columns of code), as do tracebacks; charts are SVG,
# drawn to their box; a box of 1 px is one hidden for the eye (a phone's table heads).
TOO_WIDE_JS = """() => {
  const found = [];
  for (const element of document.querySelectorAll("body *")) {
    if (element.closest(".source, svg, details.failure pre, pre.traceback")) continue;
    if (getComputedStyle(element).display === "none") continue;
    if (element.clientWidth > 1 && element.scrollWidth > element.clientWidth + 1) {
      found.push(`${element.tagName.toLowerCase()}#${element.id}.${element.className}: `
        + `${element.scrollWidth} px in ${element.clientWidth}`);
    }
  }
  const page = document.documentElement;
  if (page.scrollWidth > window.innerWidth) found.push(`the page: ${page.scrollWidth} px`);
  return found;
}"""


def run_both(page, path, scenario):
    page.goto(path)
    page.locator("#scenario").select_option(scenario)
    page.locator("#run-both").click()
    for name in page.locator("article.style").evaluate_all("all => all.map(a => a.id)"):
        expect(page.locator(f"#{name} table.results")).to_be_visible()


def run_all(page):
    page.goto("/all?scenario=one-refused")
    page.locator("#run-all").click()
    expect(page.locator(".totals")).to_have_count(6)


def run_taskgroup(page):
    page.goto("/claims")
    page.locator("#one-fails-taskgroup").get_by_role("button", name="Run").click()
    expect(page.locator("#one-fails-taskgroup .outcome li")).to_have_count(5)


VIEWS = {
    "side by side, one refused": lambda page: run_both(page, "/", "one-refused"),
    "side by side, a chain": lambda page: run_both(page, "/?job=chain", "chain-link-fails"),
    "threads beside greenlets": lambda page: run_both(page, "/?left=threads&right=greenlets",
                                                      "one-hangs"),
    "all six": run_all,
    "claims, a run": run_taskgroup,
    "costs": lambda page: page.goto("/costs"),
    "costs in Korean": lambda page: page.goto("/costs?lang=ko"),
    "an aggregate page": lambda page: page.goto("/coroutines?scenario=one-refused"),
    "a chain page": lambda page: page.goto("/chain/callbacks?scenario=chain-link-fails"),
}


@pytest.mark.parametrize("width", WIDTHS)
@pytest.mark.parametrize("view", VIEWS)
def test_nothing_is_wider_than_its_box(page, problems, bench_results, width, view):
    page.set_viewport_size(WIDTHS[width])
    VIEWS[view](page)
    assert page.evaluate(TOO_WIDE_JS) == []
    assert problems == []


def test_a_phone_reads_each_row_as_a_card_with_its_labels(page, problems, screenshot):
    page.set_viewport_size(WIDTHS["phone"])
    run_both(page, "/", "one-refused")
    row = page.locator("#callbacks table.results tbody tr.failed")
    cells = row.locator("td")
    assert cells.evaluate_all("cells => cells.map(cell => cell.dataset.label)") == \
        ["target", "status", "bytes", "time", "error", "waited in line"]
    # Every cell of the row in sight, one under another: none off to the right.
    boxes = cells.evaluate_all("cells => cells.map(cell => cell.getBoundingClientRect().right)")
    assert max(boxes) <= WIDTHS["phone"]["width"]
    row.scroll_into_view_if_needed()
    expect(row.locator("td.error")).to_be_in_viewport(ratio=1)
    screenshot(page, "phone-cards.png")
    assert problems == []
