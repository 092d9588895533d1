"""The lessons in Chromium: predict, run and reveal by keyboard alone, from the first lesson
to the last, in English and in Korean; the reveal read from the run just shown; the handout
printed to PDF has every question and no buttons; axe finds nothing in any state."""

import re
import shutil
import subprocess

import pytest

from webdemo.learn.lessons import LESSONS, lesson

from .conftest import unavailable
from .test_axe import LOCALES, WIDTHS, axe_source  # noqa: F401 (a fixture)
from .test_narrow import PAGE_WIDTH_JS

try:
    from playwright.sync_api import expect
except ImportError:  # the browser fixture skips, or fails under CI, saying why
    expect = None

RUN_MS = 15_000  # the slowest lesson's run: a deadlock's waits, a hang's timeout
MAX_TABS = 60


def tab_to(page, selector):
    """Presses Tab until the focus is on an element matching selector."""
    for _ in range(MAX_TABS):
        page.keyboard.press("Tab")
        if page.evaluate("s => document.activeElement.matches(s)", selector):
            return
    raise AssertionError(f"Tab never reached {selector}")


def predict_run_reveal(page, number):
    """Answers lesson `number`'s question by keyboard, runs it, and waits for the reveal."""
    tab_to(page, "form.prediction input:not([type=hidden])")
    if lesson(number).prediction.number_unit:
        page.keyboard.type("1")
    else:
        page.keyboard.press("ArrowDown")  # the second choice
    page.keyboard.press("Enter")
    expect(page).to_have_url(re.compile(r"step=run"))
    expect(page.locator("#run-lesson")).to_be_focused()
    page.keyboard.press("Enter")
    expect(page.locator("#reveal-title")).to_be_focused(timeout=RUN_MS)
    expect(page).to_have_url(re.compile(r"step=reveal"))


def test_every_lesson_by_keyboard_from_the_first_to_the_last(page, problems):
    page.goto("/learn")
    tab_to(page, "a.start")
    page.keyboard.press("Enter")
    for each in LESSONS:
        expect(page).to_have_url(re.compile(rf"{each.path}$"))
        predict_run_reveal(page, each.number)
        # The answer beside the prediction, and what ran, from this run.
        expect(page.locator("#reveal-right")).not_to_be_empty()
        expect(page.locator("#reveal-seen")).not_to_be_empty()
        tab_to(page, "a.next-lesson")
        page.keyboard.press("Enter")
    expect(page).to_have_url(re.compile(r"/learn$"))
    expect(page.locator(".done-mark:visible")).to_have_count(len(LESSONS))  # kept locally
    assert problems == []


@pytest.mark.parametrize("language", ["en", "ko"])
def test_the_reveal_reads_the_run_just_shown(open_page, problems, language):
    page = open_page(locale=LOCALES[language])
    page.goto(lesson(1).path)
    predict_run_reveal(page, 1)
    # The coroutines column's own total is the time the reveal reports.
    total = page.locator("#coroutines-result .totals strong").inner_text()
    assert total.replace(" ms", "") in page.locator("#reveal-seen").inner_text()
    expect(page.locator(".source .lit")).to_have_count(1)
    said = page.locator("#reveal").inner_text()
    if language == "ko":
        assert "가장 느린 요청만큼" in said and "이 실행의 답" in said
    else:
        assert "About as long as the slowest fetch" in said
    assert problems == []


def test_a_revealed_address_runs_again_and_reveals(page, problems):
    page.goto(f"{lesson(3).path}?answer=first-requested&step=reveal")
    expect(page.locator("#reveal-title")).to_be_focused(timeout=RUN_MS)
    expect(page.locator("#reveal-verdict")).to_have_class(re.compile("other"))
    expect(page.locator("#reveal-answer")).to_have_text("The first one asked for")
    assert problems == []


@pytest.fixture
def pdf_text(tmp_path):
    if shutil.which("pdftotext") is None:
        unavailable("no pdftotext: apt-get install -y poppler-utils")

    def pdf_text(page):
        path = tmp_path / "printed.pdf"
        page.pdf(path=str(path), format="A4", print_background=True)
        return subprocess.run(["pdftotext", "-layout", str(path), "-"], capture_output=True,
                              text=True, check=True).stdout

    return pdf_text


def test_the_course_and_a_lesson_print_as_a_handout(page, pdf_text):
    page.goto("/learn/print")
    printed = pdf_text(page)
    squeezed = re.sub(r"\s+", " ", printed)
    for each in LESSONS:
        assert re.sub(r"\s+", " ", each.prediction.question) in squeezed
    assert squeezed.count("Why do you think so?") == len(LESSONS)
    for button in ("Commit my prediction", "Run it", "Print the course"):
        assert button not in squeezed
    # A source whole: the last line of the coroutines style is on paper.
    assert "return self.succeeded(index, response)" in printed

    page.goto(f"{lesson(1).path}?answer=slowest&step=run")
    printed = re.sub(r"\s+", " ", pdf_text(page))
    assert lesson(1).prediction.question in printed and "Why do you think so?" in printed
    for button in ("Commit my prediction", "Run it", "Predict again", "All lessons"):
        assert button not in printed


@pytest.mark.parametrize("width, language", [(width, language) for width in WIDTHS
                                             for language in LOCALES])
@pytest.mark.parametrize("number", [1, 6, 7])
def test_axe_finds_nothing_in_any_state(open_page, problems, axe_source,  # noqa: F811
                                        width, language, number):
    page = open_page(locale=LOCALES[language])
    page.set_viewport_size(WIDTHS[width])
    found = []

    def check(state):
        page.evaluate(axe_source)
        for violation in page.evaluate(
                "() => axe.run(document, {resultTypes: ['violations']}).then(r => r.violations)"):
            for node in violation["nodes"]:
                found.append(f"{state}: {violation['id']} at {' '.join(node['target'])}: "
                             f"{node['failureSummary']}")

    page.goto("/learn")
    check("the course")
    page.goto(lesson(number).path)
    check("before the prediction")
    predict_run_reveal(page, number)
    check("revealed")
    page.goto(f"{lesson(number).path}?answer=unsure&step=run")
    expect(page.locator("#run-lesson")).to_be_visible()
    check("predicted, before the run")
    page.goto("/learn/print")
    check("the handout")
    assert found == [], "\n".join(found)
    assert problems == []


@pytest.mark.parametrize("language", ["en", "ko"])
@pytest.mark.parametrize("width", [1280, 390])
def test_a_lesson_fits_the_window(open_page, problems, language, width):
    page = open_page(locale=LOCALES[language])
    page.set_viewport_size({"width": width, "height": 844})
    for number in (1, 4, 7, 9):
        page.goto(f"{lesson(number).path}?answer=unsure&step=reveal")
        expect(page.locator("#reveal-title")).to_be_focused(timeout=RUN_MS)
        assert page.evaluate(PAGE_WIDTH_JS) <= width, lesson(number).path
    assert problems == []
