"""A live run's results (static/results.js) and an aggregate page's (templates/results.html)
are one structure: the same header, the same classes, the same cells but the times."""

try:
    from playwright.sync_api import expect
except ImportError:  # the browser fixture skips, or fails under CI, saying why
    expect = None

# The table as tags, classes and texts; the times (columns 4 and 6) as their unit only.
TABLE_JS = """table => [...table.querySelectorAll("tr")].map((row) => ({
    className: row.className,
    cells: [...row.cells].map((cell, index) => ({
        tag: cell.tagName, className: cell.className, scope: cell.scope,
        text: row.parentElement.tagName === "TBODY" && [3, 5].includes(index)
            ? cell.innerText.replace(/^[\\d.]+ /, "") : cell.innerText.trim(),
    })),
}))"""


def test_a_live_table_is_the_pages_table(index, open_page, problems):
    index.get_by_label("Scenario").select_option("one-fails")
    index.get_by_label("Fetches at once, at most").fill("1")  # waits in line, in column 6
    index.locator("#coroutines .run-one").click()
    live = index.locator("#coroutines table.results")
    expect(live.locator("tbody tr")).to_have_count(3)

    page = open_page()
    page.goto("/coroutines?scenario=one-fails&limit=1")

    assert live.evaluate(TABLE_JS) == page.locator("table.results").evaluate(TABLE_JS)
    assert problems == []
