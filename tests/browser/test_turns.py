"""Turn by turn: a traced run of each column, stepped through by keys, buttons and slider."""

import re
from pathlib import Path

try:
    from playwright.sync_api import expect
except ImportError:  # the browser fixture skips, or fails under CI, saying why
    expect = None

STYLES_DIR = Path(__file__).resolve().parents[2] / "webdemo" / "styles"
STEP = re.compile(r"^step (\d+) of (\d+) · [\d.]+ ms$")
# Read once the timelines are redrawn: app.js redraws at most every 50 ms, in a frame.
READ_JS = """async () => {
  await new Promise((done) => setTimeout(() => requestAnimationFrame(done), 100));
  return Object.fromEntries(["callbacks", "coroutines"].map((style) => {
    const lit = document.querySelector(`#${style} .source .step`);
    const cursor = document.querySelector(`#${style} .chart line.cursor`);
    return [style, {line: lit && Number(lit.id.split("-").pop()),
                    cursor_x: cursor && Number(cursor.getAttribute("x1"))}];
  }));
}"""


def line_of(style, text):
    lines = (STYLES_DIR / f"{style}.py").read_text().splitlines()
    [number] = [number for number, line in enumerate(lines, 1) if text in line]
    return number


def step_of(page):
    """(step, of how many) the stepper shows."""
    match = STEP.match(page.locator("section.turns output").inner_text())
    assert match, page.locator("section.turns output").inner_text()
    return int(match.group(1)), int(match.group(2))


def test_keys_and_buttons_move_the_lit_line_and_the_cursor(stepping, problems, screenshot):
    page = stepping
    panel = page.locator("section.turns")
    first, count = step_of(page)
    assert first == 1 and count >= 10  # two seed runs: each a dozen turns or so
    at_first = page.evaluate(READ_JS)

    page.keyboard.press("ArrowRight")  # the focus is on Forward, in the panel
    assert step_of(page) == (2, count)
    panel.get_by_role("button", name="Forward ▶").click()
    assert step_of(page) == (3, count)
    panel.get_by_role("button", name="◀ Back").click()
    assert step_of(page) == (2, count)

    # Every step, by key: the coroutines' lit line passes its await.
    coroutine_lines = set()
    for _ in range(count):
        page.keyboard.press("ArrowRight")
        coroutine_lines.add(page.evaluate(READ_JS)["coroutines"]["line"])
    assert line_of("coroutines", "response = await self.fetch(index)") in coroutine_lines
    assert step_of(page) == (count, count)

    at_last = page.evaluate(READ_JS)
    # The last callback renders: handle_response's line is lit at the end.
    assert at_last["callbacks"]["line"] == line_of("callbacks", "def handle_response(")
    for style in ("callbacks", "coroutines"):
        assert at_last[style]["cursor_x"] > at_first[style]["cursor_x"]
    expect(panel.locator(".status")).to_be_visible()
    page.keyboard.press("Home")
    assert step_of(page) == (1, count)
    assert page.evaluate(READ_JS)["callbacks"]["cursor_x"] == at_first["callbacks"]["cursor_x"]

    page.locator("section.turns input[type=range]").fill(str(count - 1))
    assert step_of(page) == (count, count)
    screenshot(page, "turns.png")
    assert problems == []


def test_the_last_callback_is_told_and_a_new_run_ends_the_stepping(stepping, problems):
    page = stepping
    page.keyboard.press("End")
    # Back from the end to the callbacks' last turn (the coroutines may have ended later).
    for _ in range(step_of(page)[1]):
        if page.locator("#callbacks .turn-now.its-turn").count():
            break
        page.keyboard.press("ArrowLeft")
    expect(page.locator("#callbacks .turn-now .comment")).to_have_text(
        "the last callback: the counter reached 0, render")
    page.get_by_role("button", name="Run both").click()
    expect(page.locator("section.turns")).to_have_count(0)
    expect(page.locator(".source .step")).to_have_count(0)
    assert problems == []


def test_every_style_on_the_stacked_page_steps_on_one_clock(page, problems):
    page.goto("/all")
    page.get_by_role("button", name="Step through the turns").click()
    expect(page.locator("section.turns output")).to_have_text(re.compile(r"^step 1 of"))
    page.keyboard.press("End")
    expect(page.locator(".stacked .chart line.cursor")).to_have_count(6)
    expect(page.locator(".stacked .turn-now")).to_have_count(6)
    assert problems == []


def test_in_korean(open_page, problems):
    page = open_page(locale="ko-KR")
    page.goto("/?lang=ko")
    page.get_by_role("button", name="한 턴씩 따라가기").click()
    expect(page.locator("section.turns h2")).to_have_text("한 턴씩")
    expect(page.locator("section.turns output")).to_have_text(re.compile(r"^\d+단계 중 1단계"))
    page.get_by_role("button", name="앞으로 ▶").click()
    expect(page.locator("section.turns output")).to_have_text(re.compile(r"^\d+단계 중 2단계"))
    assert problems == []
