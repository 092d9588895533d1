"""axe-core, the checker web developers trust, finds nothing on any page, in any state a
visitor reaches, on a desktop and on a phone, in English and in Korean.

axe comes from npm (`npm ci` at the top of the checkout, as .ci/run does); without it the
tests skip, and under CI they fail, as for Chromium.
"""

from pathlib import Path

import pytest

from .conftest import unavailable

try:
    from playwright.sync_api import expect
except ImportError:  # the browser fixture skips, or fails under CI, saying why
    expect = None

AXE = Path(__file__).resolve().parents[2] / "node_modules" / "axe-core" / "axe.min.js"
WIDTHS = {"desktop": {"width": 1440, "height": 900}, "phone": {"width": 390, "height": 844}}
LOCALES = {"en": "en-US", "ko": "ko-KR"}
# Every page a visitor can open, besides the side-by-side page's states below.
PAGES = ["/all", "/costs", "/claims", "/callbacks", "/coroutines?scenario=one-fails",
         "/break/forgotten-check?scenario=one-fails", "/break/essay-2016",
         "/no-such-page"]
RUN_JS = "() => axe.run(document, {resultTypes: ['violations']}).then(r => r.violations)"


@pytest.fixture(scope="session")
def axe_source():
    if not AXE.is_file():
        unavailable(f"no axe-core at {AXE}: run `npm ci` at the top of the checkout")
    return AXE.read_text()


@pytest.fixture(params=[(width, language) for width in WIDTHS for language in LOCALES],
                ids=lambda param: "-".join(param))
def visitor(request, open_page, axe_source):
    """A page at a width and in a language, and check(state): axe's findings there."""
    width, language = request.param
    page = open_page(locale=LOCALES[language])
    page.set_viewport_size(WIDTHS[width])
    found = []

    def check(state):
        page.evaluate(axe_source)  # through the DevTools protocol: the page's CSP allows it
        for violation in page.evaluate(RUN_JS):
            for node in violation["nodes"]:
                found.append(f"{state}: {violation['id']} ({violation['impact']}) at "
                             f"{' '.join(node['target'])}: {node['failureSummary']}")

    return page, check, found


def test_the_side_by_side_page_in_every_state(visitor, problems, read_rows):
    page, check, found = visitor
    page.goto("/")
    expect(page.locator("#run-both")).to_be_visible()
    check("loaded")

    page.locator("#run-both").click()
    for column in page.locator("article.style").all():
        read_rows(column.locator(".result"))
    check("after Run both")

    for point in page.locator("details.point").all():
        point.locator("summary").click()
        expect(point).to_have_attribute("open", "")
        check(f"point {point.get_attribute('data-point')} open")

    page.locator("#break-it > summary").click()
    demo = page.locator("#demo-forgotten-check")
    demo.locator("button.try").click()
    expect(demo.locator(".outcome li")).to_have_count(2)
    check("break-it open, a demo tried")

    page.locator("#step-turns").click()
    expect(page.locator("section.turns .turn-now, .turn-now")).to_have_count(2)
    page.keyboard.press("ArrowRight")
    check("stepping turn by turn")

    assert found == [], "\n".join(found)
    assert problems == []


def test_the_chain_in_every_state(visitor, problems):
    page, check, found = visitor
    page.goto("/?job=chain&scenario=chain-link-fails")
    expect(page.locator("#run-both")).to_be_visible()
    check("the chain chosen")

    page.locator("#run-both").click()
    for column in page.locator("article.style").all():
        expect(column.locator("table.results tbody tr")).to_have_count(5)
    page.locator("details.point[data-point=state] summary").click()
    check("the chain run, a point open")

    assert found == [], "\n".join(found)
    assert problems == []


@pytest.mark.parametrize("path", PAGES)
def test_every_other_page(visitor, problems, path):
    page, check, found = visitor
    page.goto(path)
    if path == "/all":
        page.locator("button", has_text="Run all").or_(
            page.locator("button", has_text="모두 실행")).first.click()
        expect(page.locator(".totals")).to_have_count(6)
    check(path)

    assert found == [], "\n".join(found)
    # A missing page is answered 404 on purpose; nothing else may fail.
    assert [problem for problem in problems if "404" not in problem or path != "/no-such-page"] \
        == []


def test_the_costs_page_with_bench_results(visitor, problems, bench_results):
    # Its charts and its table of every figure, which scrolls on its own at some widths.
    page, check, found = visitor
    page.goto("/costs")
    expect(page.locator("svg.chart")).to_have_count(4)
    check("/costs with results")

    assert found == [], "\n".join(found)
    assert problems == []
