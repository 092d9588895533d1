"""The claims page in Chromium: every demo runs from its button, beside its code, in
English and in Korean."""

import re

try:
    from playwright.sync_api import expect
except ImportError:  # the browser fixture skips, or fails under CI, saying why
    expect = None

# A demo's variants run one after another: the deadlocks wait 1.5 s each, twice.
RUN_ALL_MS = 40_000


def run_every_variant(page, demo, name="Run every variant"):
    section = page.locator(f"#{demo}")
    section.get_by_role("button", name=name).click()
    outcomes = section.locator(".variant .outcome")
    for number in range(outcomes.count()):
        expect(outcomes.nth(number)).to_have_class(re.compile(r"\b(good|bad)\b"),
                                                   timeout=RUN_ALL_MS)
    return section


def test_every_demo_runs_beside_its_code(page, problems, screenshot):
    page.goto("/claims")
    expect(page.locator(".variant .source")).to_have_count(7 + 4 + 5 + 1)
    expect(page.locator("#race-threads .source")).to_contain_text("shared.counter = seen + 1")
    expect(page.locator("#deadlock-self .source")).to_contain_text(
        "asyncio.run_coroutine_threadsafe(coroutine, loop)")

    race = run_every_variant(page, "race")
    for variant in "threads", "coroutines-await-inside", "greenlets", "callbacks":
        expect(race.locator(f"#race-{variant} .outcome")).to_contain_text(
            re.compile(r"^\d+ of 20 increments lost: the counter reads \d+\."))
    for variant in "threads-locked", "coroutines-no-await-inside", "coroutines-locked":
        expect(race.locator(f"#race-{variant} .outcome")).to_contain_text(
            "No increment lost: the counter reads 20 of 20.")

    deadlock = run_every_variant(page, "deadlock")
    for variant in "threads", "coroutines", "greenlets":
        expect(deadlock.locator(f"#deadlock-{variant} .outcome")).to_contain_text(
            "Deadlocked: worker 1 held lock A and waited for lock B, which worker 2 held")
        expect(deadlock.locator(f"#deadlock-{variant} .outcome")).to_contain_text(
            "Afterwards, locks held: 0; workers still running: 0.")
    expect(deadlock.locator("#deadlock-coroutines-no-await-between .outcome")).to_contain_text(
        "No deadlock: both workers took both locks")

    fails = run_every_variant(page, "one-fails")
    expect(fails.locator("#one-fails-taskgroup .outcome li", has_text="hangs")).to_contain_text(
        re.compile(r"^hangs: cancelled at \d+ ms; its request went on in the HTTP client"))
    expect(fails.locator("#one-fails-gather .outcome li", has_text="hangs")).to_have_text(
        re.compile(r"^hangs: failed at \d+ ms, \d+ ms after the page answered$"))
    # TaskGroup's card: red, since requests went on after the page answered, and the
    # group shown as raised, with the except* that catches it.
    taskgroup = fails.locator("#one-fails-taskgroup .outcome")
    expect(taskgroup).to_have_class(re.compile(r"\bbad\b"))
    expect(taskgroup.locator("p")).to_contain_text(re.compile(
        r"the TaskGroup raised an ExceptionGroup of the failures \(HTTP 500: Internal Server "
        r"Error\)\. "
        r"except\* HTTPClientError catches it; except HTTPClientError would miss it\."))
    expect(taskgroup.locator("p")).to_contain_text(re.compile(
        r"but \d of their requests went on in the HTTP client"))
    expect(taskgroup.locator("p")).not_to_contain_text("No fetch ran on")
    taskgroup.scroll_into_view_if_needed()
    screenshot(page, "claims-taskgroup.png")
    screenshot(page, "claims.png")
    assert problems == []


def test_the_visitor_leaving_is_measured(page, problems):
    page.goto("/claims")
    section = page.locator("#one-fails")
    section.get_by_role("checkbox").check()
    section.locator("#one-fails-taskgroup").get_by_role("button", name="Run").click()
    expect(section.locator("#one-fails-taskgroup .outcome p")).to_contain_text(
        re.compile(r"^The visitor had left after \d+ ms: nothing was stopped"))
    expect(section.locator("#one-fails-taskgroup .outcome p")).to_contain_text(
        "That is Tornado's way: it does not cancel a handler's coroutine")
    expect(section.locator("#one-fails-taskgroup .outcome li")).to_have_count(4)
    assert problems == []


def test_the_page_speaks_korean(page, problems, screenshot):
    page.goto("/claims?lang=ko")
    expect(page.locator("h1")).to_have_text("에세이의 주장, 직접 실행")
    variant = page.locator("#race-coroutines-await-inside")
    variant.get_by_role("button", name="실행", exact=True).click()
    expect(variant.locator(".outcome")).to_contain_text(
        re.compile(r"^증가 20번 중 19번을 잃었습니다: 카운터는 1입니다\."))
    variant = page.locator("#deadlock-coroutines")
    variant.get_by_role("button", name="실행", exact=True).click()
    expect(variant.locator(".outcome")).to_contain_text("교착 상태: 작업자 1은 락 A를 잡고",
                                                        timeout=RUN_ALL_MS)
    screenshot(page, "claims-ko.png")
    assert problems == []
