"""The side-by-side page, with its script: loading, running both columns, running one."""

import re
from pathlib import Path

import pytest

try:
    from playwright.sync_api import expect
except ImportError:  # the browser fixture skips, or fails under CI, saying why
    expect = None

STYLES_DIR = Path(__file__).resolve().parents[2] / "webdemo" / "styles"
# Each column, and a line only its own source has.
COLUMNS = {"callbacks": "def handle_response", "coroutines": "async def get"}
SEED = ["google.com", "yandex.ru", "python.org"]
PLACEHOLDER = "Not run yet."
TOTALS = r"^{ok} ok, {failed} failed, {size} bytes in \d+(\.\d+)? ms$"

SOURCE_TEXT_JS = """source => {
    const copy = source.cloneNode(true);
    copy.querySelectorAll(".linenos").forEach((number) => number.remove());
    return copy.textContent;
}"""


def totals(ok, failed, size):
    return re.compile(TOTALS.format(ok=ok, failed=failed, size=size))


def test_page_loads_with_both_sources(page, problems, screenshot):
    response = page.goto("/")

    assert response.status == 200
    expect(page).to_have_title("webdemo: callbacks and coroutines, side by side")
    expect(page.locator("html")).to_have_attribute("lang", "en")
    expect(page.get_by_role("heading", level=1)).to_have_text("One page, two ways to wait")
    expect(page.get_by_role("button", name="Run both")).to_be_visible()  # the script ran
    for name, own_line in COLUMNS.items():
        column = page.locator(f"article.style#{name}")
        expect(column.get_by_role("heading", level=2)).to_contain_text(f"/{name}")
        expect(column.locator(".result")).to_have_text(PLACEHOLDER)
        source = column.locator(".source")
        expect(source).to_be_visible()
        expect(source).to_contain_text(own_line)
        expect(source.locator(f"span#{name}-line-1")).to_be_attached()
        # The source shown is the file that runs, line for line.
        lines = (STYLES_DIR / f"{name}.py").read_text().splitlines()
        expect(source.locator(f"span[id^='{name}-line-']")).to_have_count(len(lines))
        assert source.evaluate(SOURCE_TEXT_JS).splitlines() == lines
        # Pygments' token spans, coloured by /highlight.css: keywords, names, comments.
        for token in ("k", "kn", "nf", "c1", "s2"):
            expect(source.locator(f"span.{token}").first).to_be_visible()
        assert source.locator("span.k").first.evaluate(
            "keyword => getComputedStyle(keyword).color") == "rgb(0, 128, 0)"
    screenshot(page, "loaded.png")
    assert problems == []


def test_run_both_fills_both_columns(index, problems, read_rows, screenshot):
    expect(index.get_by_label("Scenario")).to_have_value("seed")

    index.get_by_role("button", name="Run both").click()

    for name in COLUMNS:
        result = index.locator(f"#{name} .result")
        rows = read_rows(result)
        assert [row["target"] for row in rows] == SEED
        assert [row["status"] for row in rows] == ["200", "200", "200"]
        assert [row["outcome"] for row in rows] == ["ok", "ok", "ok"]
        assert [row["error"] for row in rows] == ["", "", ""]
        expect(result.locator(".totals")).to_have_text(totals(3, 0, 14336 + 9216 + 20480))
        expect(result).not_to_have_attribute("aria-busy", "true")
    expect(index.locator("button:disabled")).to_have_count(0)
    screenshot(index, "after-run-both.png")
    assert problems == []


FAILURES = {
    # scenario: (failing target, its status cell, its error text, screenshot). The wording
    # of a refused or timed-out fetch is the HTTP client's: Tornado's simple client says
    # "Connection refused" and "Timeout during request", libcurl (the app's --http-client
    # curl) "Failed to connect to ...: Could not connect to server" and "Operation timed
    # out after 1001 milliseconds".
    "one-fails": ("broken", "500", r"^HTTP 500: Internal Server Error$",
                  "failure-scenario.png"),
    "one-refused": ("refused", "–", r"Connection refused|Could not connect", "one-refused.png"),
    "one-hangs": ("hangs", "–", r"Timeout|timed out", "one-hangs.png"),  # --timeout 1
}


@pytest.mark.parametrize("scenario", FAILURES)
def test_a_failed_fetch_is_a_failed_row(index, problems, read_rows, screenshot, scenario):
    target, status, error, shot = FAILURES[scenario]
    index.get_by_label("Scenario").select_option(scenario)

    index.get_by_role("button", name="Run both").click()

    if scenario == "one-hangs":  # a second to see the columns at work
        for name in COLUMNS:
            result = index.locator(f"#{name} .result")
            expect(result).to_have_text("Running one-hangs…")
            expect(result).to_have_attribute("aria-busy", "true")
        expect(index.locator("button:disabled")).to_have_count(6)  # the demos' too
    for name in COLUMNS:
        result = index.locator(f"#{name} .result")
        rows = read_rows(result)
        assert [row["target"] for row in rows] == ["google.com", target, "python.org"]
        assert [row["outcome"] for row in rows] == ["ok", "failed", "ok"]
        assert rows[1]["status"] == status
        assert re.search(error, rows[1]["error"]), rows[1]["error"]
        expect(result.locator("tr.failed td.error")).to_have_text(re.compile(error))
        expect(result.locator(".totals")).to_contain_text("2 ok, 1 failed")
    expect(index.locator("button:disabled")).to_have_count(0)
    screenshot(index, shot)
    assert problems == []


def test_run_both_fan_out(index, problems, read_rows):
    index.get_by_label("Scenario").select_option("fan-out")

    index.get_by_role("button", name="Run both").click()

    for name in COLUMNS:
        result = index.locator(f"#{name} .result")
        rows = read_rows(result, count=100)
        assert [row["target"] for row in rows] == [f"fan-{n:03}" for n in range(1, 101)]
        assert {row["outcome"] for row in rows} == {"ok"}
        expect(result.locator(".totals")).to_have_text(totals(100, 0, 100 * 2048))
    assert problems == []


@pytest.mark.parametrize("name, other", [("callbacks", "coroutines"),
                                         ("coroutines", "callbacks")])
def test_each_column_runs_alone(index, problems, read_rows, screenshot, name, other):
    index.locator(f"#{name} .run-one").click()

    rows = read_rows(index.locator(f"#{name} .result"))
    assert [row["target"] for row in rows] == SEED
    assert [row["status"] for row in rows] == ["200", "200", "200"]
    expect(index.locator(f"#{other} .result")).to_have_text(PLACEHOLDER)
    expect(index.locator(f"#{other} .result table")).to_have_count(0)
    expect(index).to_have_url(re.compile(r"^http://127\.0\.0\.1:\d+/$"))  # no navigation
    screenshot(index, f"{name}-alone.png")
    assert problems == []


def test_a_refused_run_shows_the_servers_reason(index, problems, server_url, screenshot):
    # A page loaded before the server dropped a scenario still offers it.
    index.get_by_label("Scenario").evaluate(
        "select => { select.add(new Option('gone', 'gone')); select.value = 'gone'; }")

    index.get_by_role("button", name="Run both").click()

    for name in COLUMNS:
        expect(index.locator(f"#{name} .result")).to_have_text(
            "Could not run: unknown scenario 'gone': "
            "use seed, one-fails, one-hangs, one-refused, fan-out, custom")
    expect(index.locator("button:disabled")).to_have_count(0)
    screenshot(index, "could-not-run.png")
    # The only problems: the two 400 answers this test asked for.
    for name in COLUMNS:
        assert (f"HTTP 400: GET {server_url}{name}?scenario=gone&limit=&slow=1&format=events"
                in problems)
    assert all("400" in problem for problem in problems), problems


def test_the_chains_words_around_a_name_are_korean_too(page, problems):
    # A refused link's reason and the skipped last step name a page or a number: the page
    # translates the words around it, and the reason inside in turn.
    page.goto("/?job=chain&lang=ko")
    expect(page.locator("#run-both")).to_be_visible()
    said = page.evaluate("""async () => {
        const { errorText } = await import("/static/words.js");
        return [errorText("link refused: more than 10 links on the page: the rest are "
                          + "not followed"),
                errorText("the largest page that answered, google.com, links to no page"),
                errorText("link refused: something else entirely")];
    }""")
    assert said == ["링크 거부됨: 페이지의 링크가 10개를 넘음: 나머지는 따라가지 않음",
                    "응답한 가장 큰 페이지 google.com에 링크가 하나도 없음",
                    "링크 거부됨: something else entirely"]
    assert problems == []
