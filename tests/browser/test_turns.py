"""Turn by turn: a traced run of each column, stepped through by keys, buttons and slider."""

import json
import re
from pathlib import Path

import pytest

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


# What each column's turn box says of the loop's other callbacks, at the step it is at.
MACHINERY_JS = """() => [...document.querySelectorAll(".turn-now li.machinery summary")]
  .map((summary) => summary.textContent)"""


@pytest.mark.parametrize("language, said, general", [
    ("en", "the server's count of fetches under way let a finished one go",
     "another callback of asyncio's"),
    ("ko", "서버가 진행 중인 요청 목록에서 끝난 요청을 뺐습니다",
     "asyncio, Tornado 또는 이 서버의 다른 콜백"),
])
def test_the_loops_other_callbacks_are_said_in_plain_words(
        open_page, problems, language, said, general):
    page = open_page(locale="ko-KR" if language == "ko" else "en-US")
    page.goto(f"/?lang={language}")
    page.get_by_role("button", name={"en": "Step through the turns", "ko": "한 턴씩 따라가기"}
                     [language]).click()
    output = page.locator("section.turns output")
    expect(output).to_have_text(re.compile(r"^\d+단계 중 1단계|^step 1 of"))
    # Both columns' turns, the loop's own ones folded: each step's box, one by one.
    count = max(int(number) for number in re.findall(r"\d+", output.inner_text().split("·")[0]))
    seen = []
    for _ in range(count):
        seen += page.evaluate(MACHINERY_JS)
        page.keyboard.press("ArrowRight")
    assert any(said in text for text in seen)
    assert not any(general in text for text in seen), seen
    assert problems == []


# What the panel shows of each column, at the step it is at: its turn's number in the
# run's recorded turns, its lists, and how much of the event log and the results shows.
SHOWN_JS = """() => Object.fromEntries([...document.querySelectorAll("article.style")]
  .map((article) => {
  const box = article.querySelector(".turn-now");
  const items = (name) => [...box.querySelectorAll(`li[data-list=${name}] .item`)]
    .map((item) => item.textContent);
  const shown = (selector) => [...article.querySelectorAll(selector)]
    .map((node) => node.checkVisibility());
  return [article.dataset.style, {
    turn: Number(box.dataset.turn), words: box.innerText,
    out: items("out"), tasks: items("tasks"), threads: items("threads"),
    events: shown("ol.events > li"), rows: shown(".result tbody tr"),
    totals: shown(".result .totals")[0]}];
}))"""
# Where the parts of one view are: the controls, and each column's turn box, lit line and
# timeline cursor, in the window's pixels.
BOXES_JS = """() => {
  const box = (node) => {
    if (!node) return null;
    const { top, bottom, left, right } = node.getBoundingClientRect();
    return { top, bottom, left, right };
  };
  return { panel: box(document.querySelector("section.turns")),
    controls: [...document.querySelectorAll(
      "section.turns button, section.turns input, section.turns output")].map(box),
    columns: Object.fromEntries([...document.querySelectorAll("article.style")].map((article) => [
      article.dataset.style, { turn: box(article.querySelector(".turn-now")),
        itsTurn: article.querySelector(".turn-now").classList.contains("its-turn"),
        lit: box(article.querySelector(".source .step")),
        source: box(article.querySelector(".code .source")),
        cursor: box(article.querySelector(".chart line.cursor")) }])),
    width: document.documentElement.scrollWidth, window: [innerWidth, innerHeight] };
}"""
ANSWERED = {"callback", "resumed", "returned"}


def aggregates(responses):
    """{style: its aggregate} from the traced runs' event streams the page read."""
    found = {}
    for response in responses:
        for block in response.text().split("\n\n"):
            fields = dict(line.split(": ", 1) for line in block.splitlines() if ": " in line)
            if fields.get("event") == "aggregate":
                aggregate = json.loads(fields["data"])
                found[aggregate["style"]] = aggregate
    return found


def recorded(aggregate, at):
    """What the recorded turns of a run say once its turn `at` had run: which targets were
    out (started, no entry had ended them, the style had not had their answer), which
    tasks waited and where, which threads blocked, how many events had been logged."""
    ran = [entry for turn in aggregate["turns"][:at + 1] for entry in turn["ran"]]
    logged = max((entry.get("logged", 0) for entry in ran), default=0)
    events = aggregate["events"][:logged]
    ended = {entry["index"] for entry in ran if entry.get("ended") or entry.get("step") == "return"}
    ended |= {event["index"] for event in events if event["kind"] in ANSWERED}
    started = [event["index"] for event in events if event["kind"] == "fetch-start"]
    tasks, threads = {}, {}  # (function, index): the line it waits at; index: function
    for entry in ran:
        if entry["kind"] == "task" and entry["until"] and "render" not in entry.get("events", []):
            tasks[entry["what"], entry["index"]] = entry["until"]
        elif entry["kind"] == "task":
            tasks.pop((entry["what"], entry["index"]), None)
        if entry.get("step") == "start":
            threads[entry["index"]] = entry["what"]
        if entry.get("step") == "return":
            threads.pop(entry["index"], None)
    targets = [row["target"] for row in aggregate["results"]]
    return {"out": [targets[index] for index in sorted(set(started) - ended)],
            "tasks": [(what, index, line) for (what, index), line in tasks.items()],
            "threads": [(threads[index], index, None) for index in sorted(threads)],
            "logged": logged,
            "answered": ended, "rendered": any(event["kind"] == "render" for event in events)}


def numbers(indices):
    """Fetch numbers as the panel says them: four or more in a row as a range."""
    runs = []
    for index in indices:
        if runs and index == runs[-1][-1] + 1:
            runs[-1].append(index)
        else:
            runs.append([index])
    return ", ".join(f"{run[0]}–{run[-1]}" if len(run) >= 4 else ", ".join(map(str, run))
                     for run in runs)


def grouped(waiting):
    """(function, index, line) triples as the panel says them: one function waiting at one
    line once, its fetches listed, e.g. "fetch_one(0, 1, 2) · line 26"."""
    groups = {}
    for what, index, line in waiting:
        groups.setdefault((what, line), []).extend([] if index is None else [index])
    return [what + (f"({numbers(indices)})" if indices else "")
            + (f" · line {line}" if line else "") for (what, line), indices in groups.items()]


def source_line(style, number):
    return (STYLES_DIR / f"{style}.py").read_text().splitlines()[number - 1]


def within(inner, outer):
    return (inner["top"] >= outer["top"] - 1 and inner["bottom"] <= outer["bottom"] + 1
            and inner["left"] >= outer["left"] - 1 and inner["right"] <= outer["right"] + 1)


@pytest.mark.parametrize("path, styles", [
    ("/", ("callbacks", "coroutines")),
    ("/?left=threads&right=sequential", ("threads", "sequential")),
])
def test_every_step_says_what_the_recorded_turns_say_in_one_view(
        page, problems, screenshot, path, styles):
    page.set_viewport_size({"width": 1280, "height": 800})
    traced = []
    page.on("response", lambda response: "trace=turns" in response.url and traced.append(response))
    page.goto(path)
    page.get_by_role("button", name="Step through the turns").click()
    expect(page.locator("section.turns output")).to_have_text(re.compile(r"^step 1 of"))
    # Every turn, the loop's own ones too: their switch unfolds them.
    page.get_by_label(re.compile("^Show the \\d+ turns that ran none")).check()
    runs = aggregates(traced)
    assert sorted(runs) == sorted(styles)
    count = step_of(page)[1]
    assert count == sum(len(run["turns"]) for run in runs.values())
    window = {"top": 0, "left": 0, "bottom": 800, "right": 1280}
    for step in range(1, count + 1):
        assert step_of(page) == (step, count)
        shown = page.evaluate(SHOWN_JS)
        for style in styles:
            column, run = shown[style], runs[style]
            if column["turn"] < 0:
                continue
            said = recorded(run, column["turn"])
            assert column["out"] == said["out"][:12], (step, style, column["words"])
            assert column["tasks"] == grouped(said["tasks"]), (step, style)
            for _, _, line in said["tasks"]:  # a task waits only where it awaits
                assert re.search(r"\bawait\b|\byield\b", source_line(style, line)), line
            assert column["threads"] == grouped(said["threads"])
            # The event log and the results as they stood then, no further.
            assert column["events"] == [at < said["logged"] for at in range(len(run["events"]))]
            assert column["rows"] == [index in said["answered"]
                                      for index in range(len(run["results"]))]
            assert column["totals"] == said["rendered"]
            assert "_set_state" not in column["words"] and "<locals>" not in column["words"]
        # One view: the controls, each turn box, lit line and cursor in the window, the
        # turn boxes below the sticky panel, each lit line inside its source's box.
        boxes = page.evaluate(BOXES_JS)
        assert all(within(control, window) for control in boxes["controls"])
        for style in styles:
            parts = boxes["columns"][style]
            if shown[style]["turn"] < 0:  # no turn of its yet: no line lit
                continue
            for part in ("turn", "lit", "cursor"):
                assert within(parts[part], window), (step, style, part, parts[part])
            assert parts["turn"]["top"] >= boxes["panel"]["bottom"]
            assert within(parts["lit"], parts["source"])
        if step == count // 2:
            screenshot(page, f"turns-{styles[0]}-mid-1280.png")
        page.keyboard.press("ArrowRight")
    assert problems == []


def test_after_handle_response_0_google_com_is_no_longer_in_flight(stepping, problems):
    page = stepping
    box = page.locator("#callbacks .turn-now")
    seen = []
    for _ in range(step_of(page)[1]):  # a loaded machine may run all three in one turn
        seen.append(box.inner_text())
        if any("0" in called.split(", ") for called in
               re.findall(r"handle_response\(([^)]*)\)", seen[-1])):
            break
        page.keyboard.press("ArrowRight")
    else:
        raise AssertionError(f"no step ran handle_response(0): {seen}")
    expect(box.locator("li[data-list=out] .item").filter(has_text="google.com")).to_have_count(0)
    # Its row of the results shows; the totals wait for the render.
    expect(page.locator("#callbacks tbody tr").first).to_be_visible()
    expect(page.locator("#callbacks tbody tr").first).to_contain_text("google.com")
    totals = page.locator("#callbacks .result .totals")
    if "the counter reached 0, render" in seen[-1]:  # the three in one turn
        expect(totals).to_be_visible()
    else:
        expect(totals).to_be_hidden()
    assert problems == []


@pytest.mark.parametrize("language", ["en", "ko"])
def test_at_390_pixels_each_step_fits_the_width(open_page, problems, screenshot, language):
    page = open_page(locale="ko-KR" if language == "ko" else "en-US")
    page.set_viewport_size({"width": 390, "height": 844})
    page.goto(f"/?lang={language}")
    page.locator("#step-turns").click()
    expect(page.locator("section.turns output")).not_to_be_empty()
    count = int(page.locator("section.turns input[type=range]").get_attribute("max")) + 1
    for step in range(count):
        boxes = page.evaluate(BOXES_JS)
        assert boxes["width"] <= 390, step
        [its] = [parts for parts in boxes["columns"].values() if parts["itsTurn"]]
        assert its["turn"]["top"] >= boxes["panel"]["bottom"] - 1, step  # not under the panel
        assert its["turn"]["top"] < 844, step
        if step == count // 2:
            screenshot(page, f"turns-mid-390-{language}.png")
        page.keyboard.press("ArrowRight")
    assert problems == []


def test_the_turn_is_in_the_address_and_restored_from_it(stepping, open_page, problems):
    page = stepping
    for _ in range(3):
        page.keyboard.press("ArrowRight")
    assert step_of(page)[0] == 4
    address = page.url
    turn = re.search(r"[?&]turn=(\d+)", address)
    assert turn, address
    other = open_page()
    other.goto(address)  # a link to the view: it runs the turns again, and goes there
    expect(other.locator("section.turns output")).to_have_text(STEP)
    assert re.search(r"[?&]turn=(\d+)", other.url).group(1) == turn.group(1)
    other.get_by_role("button", name="Run both").click()  # stepping ends: so does its turn
    expect(other.locator("section.turns")).to_have_count(0)
    assert "turn=" not in other.url
    assert problems == []


def test_a_turn_is_defined_beside_the_button(index, problems):
    button = index.get_by_role("button", name="Step through the turns")
    expect(button).to_have_accessible_description(
        re.compile(r"^a turn: one pass of the event loop"))
    expect(index.locator("#step-turns-help")).to_be_visible()
    assert problems == []
