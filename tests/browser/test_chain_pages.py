"""The chain on the pages: chosen beside the scenario, run in both columns, its rows
with their steps, its sources shown; in English and in Korean."""

import pytest

try:
    from playwright.sync_api import expect
except ImportError:  # the browser fixture skips, or fails under CI, saying why
    expect = None

# The chain scenario's rows: step, then target, in step order and link order.
ROWS = [("1", "start"), ("2", "www.google.com"), ("2", "www.yandex.ru"),
        ("2", "www.python.org"), ("3", "more.python.org")]
STEP_ROWS_JS = """rows => rows.map(row => [row.cells[0].innerText.trim(),
                                         row.cells[1].innerText.trim()])"""


@pytest.mark.parametrize("language, locale, run_both, job_label", [
    ("en", "en-US", "Run both", "Chain: each step decides the next"),
    ("ko", "ko-KR", "둘 다 실행", "체인: 각 단계가 다음 단계를 정합니다"),
])
def test_choose_the_chain_and_run_it_in_both_columns(open_page, problems, language, locale,
                                                     run_both, job_label):
    page = open_page(locale=locale)
    page.goto("/")
    page.locator("#job").select_option(label=job_label)
    page.wait_for_url("**/?job=chain")  # the address carries the job, to share it
    expect(page.locator("#run-both")).to_have_text(run_both)
    for style in ("callbacks", "coroutines"):
        column = page.locator(f"article.style#{style}")
        expect(column.locator(".code h3")).to_have_text(f"webdemo/chains/{style}.py")
        expect(column.locator(".run-one")).to_have_attribute("formaction", f"/chain/{style}")
    expect(page.locator("#callbacks .source")).to_contain_text("def handle_start")

    page.locator("#run-both").click()
    for style in ("callbacks", "coroutines"):
        rows = page.locator(f"article.style#{style} table.results tbody tr")
        expect(rows).to_have_count(len(ROWS))
        assert [tuple(row) for row in rows.evaluate_all(STEP_ROWS_JS)] == ROWS
        # The timeline draws each step, and a rule where the next begins.
        chart = page.locator(f"article.style#{style} .chart")
        expect(chart.locator(".step-rule")).to_have_count(2)
        expect(chart.locator(".bar.ok")).to_have_count(len(ROWS))
    # A point of comparison lights the chain's lines in both sources.
    page.locator("details.point[data-point=flow] summary").click()
    expect(page.locator("#callbacks .source .lit").first).to_be_visible()
    expect(page.locator("#coroutines .source .lit").first).to_be_visible()
    assert problems == []


def test_a_skipped_last_step_says_why(page, problems):
    page.goto("/?job=chain&scenario=chain-start-fails")
    expect(page.locator("#scenario")).to_have_value("chain-start-fails")
    page.locator("#run-both").click()
    for style in ("callbacks", "coroutines"):
        result = page.locator(f"article.style#{style} .result")
        expect(result.locator("table.results tbody tr")).to_have_count(1)
        expect(result.locator(".skipped")).to_have_text(
            "The last step was not taken: the start page failed")
    assert problems == []


def test_every_style_stacked_runs_the_chain(page, problems):
    page.goto("/all?job=chain")
    page.locator("#run-all").click()
    expect(page.locator(".totals")).to_have_count(6)
    for total in page.locator(".totals").all():
        expect(total).to_contain_text("5 ok, 0 failed")
    assert problems == []


def test_the_forgotten_check_in_the_chain(page, problems):
    page.goto("/?job=chain")
    page.locator("#break-it > summary").click()
    demo = page.locator("#demo-forgotten-check-chain")
    expect(demo.locator(".source")).to_contain_text("row = self.succeeded(index, response)")
    demo.get_by_role("button", name="Try it").click()
    expect(demo.locator(".outcome li")).to_have_text(
        "chain-link-fails with the check: 4 ok, 1 failed; without it: 5 ok, 0 failed. "
        "broken answered 500 with 256 bytes and passed for a success.")
    assert problems == []
