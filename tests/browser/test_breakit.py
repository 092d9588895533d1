"""Break it on purpose, from the page: each demo's button and what it shows."""

import re

try:
    from playwright.sync_api import expect
except ImportError:  # the browser fixture skips, or fails under CI, saying why
    expect = None


def open_demo(page, name):
    page.get_by_text("Break it on purpose").click()  # the section starts folded
    return page.locator(f"#demo-{name}")


def test_forgetting_the_error_check(index, problems):
    demo = open_demo(index, "forgotten-check")
    expect(demo.locator(".source")).to_contain_text("row = self.succeeded(index, response)")

    demo.get_by_role("button", name="Try it").click()

    items = demo.locator(".outcome li")
    expect(items).to_have_count(2)
    expect(items.nth(0)).to_have_text(
        "one-fails with the check: 2 ok, 1 failed; without it: 3 ok, 0 failed. "
        "broken answered 500 with 256 bytes and passed for a success.")
    expect(items.nth(1)).to_contain_text(
        "refused never answered (Tornado's stand-in status 599, 0 bytes) and passed for a success.")
    assert problems == []


def test_the_essays_call(index, problems):
    demo = open_demo(index, "essay-2016")

    demo.get_by_role("button", name="Try it").click()

    outcome = demo.locator(".outcome")
    expect(outcome).to_contain_text("fetch(self, request, raise_error=True, **kwargs)")
    expect(outcome).to_contain_text("The fetch succeeded: 200, 14336 bytes")
    expect(outcome.locator("strong")).to_have_text(
        re.compile(r"^handle_response never ran: still not called \d+(\.\d+)? ms after"))
    assert problems == []


def test_blocking_the_loop_stops_the_other_column(index, problems, screenshot):
    demo = open_demo(index, "blocking")
    button = demo.get_by_role("button", name="Try it in both columns")
    # Shorter than the test server's 1 s timeout, so that only the pause shows.
    button.evaluate("button => { button.dataset.blockMs = '600'; }")

    button.click()

    outcome = demo.locator(".outcome p")
    expect(outcome).to_have_text(re.compile(r"^The callbacks handler slept 600 ms\. The "
                                            r"coroutines column's longest pause between two "
                                            r"events: (\d+\.\d) ms\.$"))
    pause = float(re.search(r"events: ([\d.]+) ms", outcome.inner_text()).group(1))
    assert pause >= 599.9
    expect(index.locator("#callbacks ol.events li .kind",
                         has_text="time.sleep() on the loop's thread")).to_have_count(1)
    for name in ("callbacks", "coroutines"):
        expect(index.locator(f"#{name} .totals")).to_contain_text("3 ok, 0 failed")
    # The row the handler slept on answered before the sleep, and was read after it.
    expect(index.locator("#callbacks table.results td.num .help")).to_have_text(
        re.compile(r"^answered after \d+\.\d ms, read after the sleep$"))
    screenshot(index, "blocking.png")
    # At once again: refused, and said once.
    demo.get_by_role("button", name="Try it in both columns").click()
    expect(demo.locator(".outcome p.error")).to_have_text(
        re.compile(r"^Could not run: your last blocking demo ran less than"))
    assert "Could not run: Could not run" not in demo.locator(".outcome").inner_text()
    problems[:] = [problem for problem in problems if "503" not in problem]  # the refusal
    assert problems == []
