"""The side-by-side page by keyboard alone, and its accessibility basics."""

import re

try:
    from playwright.sync_api import expect
except ImportError:  # the browser fixture skips, or fails under CI, saying why
    expect = None

MAX_TABS = 80
# What a keyboard user must reach; hidden ones (display: none) are left out below.
CONTROLS = "a[href], button, select, input, textarea, summary, [tabindex]:not([tabindex='-1'])"
# A short, unique description of an element, to compare focus stops with controls.
DESCRIBE_JS = """el => {
    let text = el.tagName.toLowerCase();
    if (el.id) text += "#" + el.id;
    if (el.className) text += "." + String(el.className).split(/\\s+/).join(".");
    if (el.getAttribute("href")) text += `[href=${el.getAttribute("href")}]`;
    if (el.tagName === "BUTTON") text += ` "${el.textContent.trim()}"`;
    return text;
}"""

MIN_CONTRAST = 4.5  # WCAG 2 AA, normal text
# Text colour over the colour actually behind it (the nearest ancestors' backgrounds, blended),
# by the WCAG 2 relative luminance formula. Answers the lowest ratio among the visible
# elements with text that each selector matches.
CONTRAST_JS = """selectors => {
    const rgba = (css) => {
        const parts = css.match(/rgba?\\(([^)]*)\\)/)[1].split(/[\\s,\\/]+/).filter(Boolean);
        const [r, g, b, a = 1] = parts.map(Number);
        return [r, g, b, a];
    };
    const over = (top, bottom) => [0, 1, 2].map(
        (i) => top[i] * top[3] + bottom[i] * (1 - top[3])).concat(1);
    const backgroundOf = (el) => {
        const layers = [];
        for (let node = el; node; node = node.parentElement) {
            const layer = rgba(getComputedStyle(node).backgroundColor);
            if (layer[3] > 0) layers.unshift(layer);
            if (layer[3] >= 1) break;
        }
        return layers.reduce((below, layer) => over(layer, below), [255, 255, 255, 1]);
    };
    const luminance = (color) => {
        const [r, g, b] = color.slice(0, 3).map((value) => {
            value /= 255;
            return value <= 0.04045 ? value / 12.92 : ((value + 0.055) / 1.055) ** 2.4;
        });
        return 0.2126 * r + 0.7152 * g + 0.0722 * b;
    };
    const ratio = (a, b) => {
        const [light, dark] = [luminance(a), luminance(b)].sort((x, y) => y - x);
        return (light + 0.05) / (dark + 0.05);
    };
    return selectors.map((selector) => {
        const measured = [...document.querySelectorAll(selector)]
            .filter((el) => el.checkVisibility() && el.textContent.trim())
            .map((el) => {
                const background = backgroundOf(el);
                const color = over(rgba(getComputedStyle(el).color), background);
                return {selector, text: el.textContent.trim().slice(0, 40),
                        color: String(color.slice(0, 3)),
                        background: String(background.slice(0, 3)),
                        ratio: Math.round(ratio(color, background) * 100) / 100};
            })
            .sort((a, b) => a.ratio - b.ratio);
        return {selector, count: measured.length, worst: measured[0] || null};
    });
}"""


def focused(page):
    return page.evaluate(f"() => ({DESCRIBE_JS})(document.activeElement)")


def tab_around(page):
    """Presses Tab until the focus comes back around; returns every stop, in order."""
    stops = []
    for _ in range(MAX_TABS):
        page.keyboard.press("Tab")
        stop = focused(page)
        if stop in stops:
            return stops
        stops.append(stop)
    raise AssertionError(f"Tab never came back around: {stops}")


def tab_to(page, locator):
    """Presses Tab until locator has the focus; fails if it never does."""
    for _ in range(MAX_TABS):
        page.keyboard.press("Tab")
        if locator.evaluate("el => el === document.activeElement"):
            return
    raise AssertionError(f"{MAX_TABS} Tab presses never reached {locator}")


def test_every_control_is_reachable_by_tab(index, problems):
    controls = index.locator(CONTROLS).evaluate_all(
        f"els => els.filter((el) => el.checkVisibility()).map({DESCRIBE_JS})")
    assert len(controls) == len(set(controls)) >= 7, controls

    stops = tab_around(index)

    # Every control, once each, in reading order (other stops, such as the scrollable
    # source listings, may come in between).
    assert [stop for stop in stops if stop in controls] == controls, stops
    assert controls[:6] == ["a.home[href=/]", "a.learn[href=/learn]",
                            "a.language[href=?lang=ko]", "a[href=/learn/1-waiting]",
                            "select#scenario", 'button#run-both.primary "Run both"']
    assert problems == []


def test_keyboard_alone_chooses_and_runs_scenarios(index, problems, read_rows, screenshot):
    select = index.get_by_label("Scenario")
    run_both = index.get_by_role("button", name="Run both")
    run_callbacks = index.get_by_role("button", name="Run callbacks alone")
    callbacks = index.locator("#callbacks .result")
    coroutines = index.locator("#coroutines .result")

    tab_to(index, select)
    index.keyboard.press("ArrowDown")
    expect(select).to_have_value("one-fails")
    index.keyboard.press("Tab")
    expect(run_both).to_be_focused()
    assert run_both.evaluate("el => el.matches(':focus-visible')"), "no visible focus"
    assert run_both.evaluate("el => getComputedStyle(el).outlineStyle") == "solid"
    screenshot(index, "keyboard-focus.png")
    index.keyboard.press("Enter")

    for result in (callbacks, coroutines):
        rows = read_rows(result)
        assert [(row["target"], row["outcome"]) for row in rows] == [
            ("google.com", "ok"), ("broken", "failed"), ("python.org", "ok")]
    expect(run_both).to_be_focused()  # given back once the buttons are enabled again

    index.keyboard.press("Shift+Tab")
    expect(select).to_be_focused()
    index.keyboard.type("One r")  # the select's type-ahead, on the options' labels
    expect(select).to_have_value("one-refused")
    tab_to(index, run_callbacks)  # past the choice of styles
    index.keyboard.press("Space")

    expect(callbacks.locator("tbody tr").nth(1)).to_contain_text("refused")
    assert [row["target"] for row in read_rows(callbacks)] == ["google.com", "refused",
                                                                "python.org"]
    # The other column still shows the run before.
    assert [row["target"] for row in read_rows(coroutines)] == ["google.com", "broken",
                                                                 "python.org"]
    expect(run_callbacks).to_be_focused()
    screenshot(index, "keyboard-after-runs.png")
    assert problems == []


def test_controls_have_names(index, problems):
    select = index.get_by_label("Scenario")  # found through its <label for>
    expect(select).to_have_id("scenario")
    expect(select).to_have_accessible_name("Scenario")
    assert select.evaluate("el => [...el.labels].map((label) => label.textContent)") == [
        "Scenario"]

    for side, name in (("left", "Compare"), ("right", "with")):
        expect(index.locator(f"select[name={side}]")).to_have_accessible_name(name)

    index.get_by_text("Break it on purpose").click()  # unfolds the demos and their buttons
    buttons = index.locator("button")
    expect(buttons).to_have_count(8)
    for button in buttons.all():
        expect(button).to_have_accessible_name(re.compile(r"\S"))
    assert index.get_by_role("button").all_inner_texts() == [
        "Run both", "Step through the turns", "Show these two", "Try it", "Try it",
        "Try it in both columns", "Run callbacks alone", "Run coroutines alone"]
    for link in index.locator("a").all():
        expect(link).to_have_accessible_name(re.compile(r"\S"))  # JavaScript's \w: no 한
    for title in ("Callbacks", "Coroutines"):
        expect(index.get_by_role("region", name=f"{title} result")).to_have_attribute(
            "aria-live", "polite")
        expect(index.get_by_role("region", name=f"{title} source")).to_be_visible()

    ids = index.evaluate("() => [...document.querySelectorAll('[id]')].map((el) => el.id)")
    assert sorted({id for id in ids if ids.count(id) > 1}) == []
    assert problems == []


TEXT_SELECTORS = [
    "main .intro p",
    "header.site .home",
    "header.site .tagline",
    ".controls label",
    "article.style header p",
    ".result .placeholder",
    ".result .totals",
    "table.results th",
    "table.results td",
    "table.results tr.ok td code",
    "table.results tr.failed td.error",
    "#run-both",
    ".run-one",
    "a.page-link",
    ".code h3",
    ".source .linenos",
]


def test_text_contrast(index, problems, read_rows, screenshot):
    # The coroutines column with results, a failure among them; callbacks keeps its placeholder.
    index.get_by_label("Scenario").select_option("one-fails")
    index.locator("#coroutines .run-one").click()
    read_rows(index.locator("#coroutines .result"))
    expect(index.locator("button:disabled")).to_have_count(0)  # disabled ones are dimmed

    measured = index.evaluate(CONTRAST_JS, TEXT_SELECTORS)

    assert [entry["selector"] for entry in measured if not entry["count"]] == []
    low = [entry["worst"] for entry in measured if entry["worst"]["ratio"] < MIN_CONTRAST]
    assert low == [], f"text below {MIN_CONTRAST}:1 contrast"
    assert problems == []


def test_source_highlighting_contrast(index, problems):
    tokens = index.locator(".source span[class]").evaluate_all(
        "spans => [...new Set(spans.map((span) => span.className))]")
    selectors = [f".source span.{token}" for token in tokens if token != "w"]  # w: whitespace

    measured = index.evaluate(CONTRAST_JS, selectors)

    low = [entry["worst"] for entry in measured
           if entry["worst"] and entry["worst"]["ratio"] < MIN_CONTRAST]
    assert low == [], f"highlighted source below {MIN_CONTRAST}:1 contrast"
    assert problems == []


def test_lit_lines_contrast(index, problems):
    # Each point lit in turn: its lines' tokens over the lit background.
    points = index.locator("details.point summary")
    low = []
    for number in range(points.count()):
        points.nth(number).click()
        lit = index.locator(".source .lit")
        expect(lit.first).to_be_visible()
        tokens = lit.locator("span[class]").evaluate_all(
            "spans => [...new Set(spans.map((span) => span.className))]")
        selectors = [f".source .lit span.{token}" for token in tokens if token != "w"]
        measured = index.evaluate(CONTRAST_JS, selectors)
        low += [entry["worst"] for entry in measured
                if entry["worst"] and entry["worst"]["ratio"] < MIN_CONTRAST]
    assert low == [], f"lit lines below {MIN_CONTRAST}:1 contrast"
    assert problems == []


PHONE = {"width": 390, "height": 844}
# Every element whose content scrolls, with whether a keyboard reaches it and its name.
SCROLLABLE_JS = """() => [...document.querySelectorAll("body *")].filter((el) => {
    const style = getComputedStyle(el);
    const scrolls = (overflow, content, box) => /auto|scroll/.test(overflow) && content > box + 1;
    return el.checkVisibility()
        && (scrolls(style.overflowX, el.scrollWidth, el.clientWidth)
            || scrolls(style.overflowY, el.scrollHeight, el.clientHeight));
}).map((el) => ({
    element: el.tagName.toLowerCase() + (el.id ? "#" + el.id : "") + "." + el.className,
    focusable: el.tabIndex >= 0,
    named: Boolean(el.getAttribute("aria-label") || el.getAttribute("aria-labelledby")),
}))"""


def test_every_scrolling_box_is_reachable_by_keyboard_on_a_phone(page, problems):
    page.set_viewport_size(PHONE)
    page.goto("/?lang=ko&scenario=one-fails")
    page.get_by_role("button", name="둘 다 실행").click()
    expect(page.locator("#coroutines details.failure")).to_have_count(1)
    page.locator("#coroutines details.failure summary").click()
    page.locator("details.point summary").first.click()
    page.get_by_text("일부러 망가뜨려 보기").click()

    boxes = page.evaluate(SCROLLABLE_JS)

    names = {box["element"].split(".")[0] for box in boxes}
    assert {"div#callbacks-source", "section#callbacks-result", "pre"} <= names, boxes
    assert [box for box in boxes if not (box["focusable"] and box["named"])] == []
    assert problems == []
