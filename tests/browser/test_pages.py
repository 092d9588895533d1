"""The pages that work without the script: the page without JavaScript, an aggregate page,
the error pages."""

import re

import pytest

try:
    from playwright.sync_api import expect
except ImportError:  # the browser fixture skips, or fails under CI, saying why
    expect = None

INDEX_TITLE = "webdemo: callbacks and coroutines, side by side"


def test_without_javascript_a_column_button_opens_its_page(open_page, problems, read_rows,
                                                           server_url, screenshot):
    page = open_page(java_script_enabled=False)
    page.goto("/")
    expect(page.locator("#run-both")).to_be_hidden()
    expect(page.get_by_role("button", name="Run both")).to_have_count(0)
    page.get_by_label("Scenario").select_option("one-fails")
    screenshot(page, "no-js-loaded.png")

    page.get_by_role("button", name="Run callbacks alone").click()

    # The form sends every knob; the server uses those of the chosen scenario.
    expect(page).to_have_url(f"{server_url}callbacks?scenario=one-fails&n=100&delay_ms=120"
                             "&delay_ms=240&delay_ms=180&limit=&slow=1")
    expect(page).to_have_title(re.compile(r"^callbacks: 3 fetches in \d+(\.\d+)? ms$"))
    expect(page.get_by_role("heading", level=1)).to_contain_text("/callbacks")
    rows = read_rows(page.locator("main"))
    assert [(row["target"], row["status"], row["outcome"]) for row in rows] == [
        ("google.com", "200", "ok"), ("broken", "500", "failed"), ("python.org", "200", "ok")]
    assert "500" in rows[1]["error"]
    expect(page.locator(".totals")).to_contain_text("2 ok, 1 failed")
    screenshot(page, "no-js-callbacks.png")
    assert problems == []


# Each style's word for "a fetch's result came back", in its event log.
RESUME_EVENTS = {"callbacks": "callback", "coroutines": "resumed"}


@pytest.mark.parametrize("style", RESUME_EVENTS)
def test_aggregate_page_shows_table_and_event_log(page, problems, read_rows, screenshot,
                                                   style):
    response = page.goto(f"/{style}?scenario=one-fails")

    assert response.status == 200  # a failed fetch is a row, not a failed page
    expect(page).to_have_title(re.compile(rf"^{style}: 3 fetches in \d+(\.\d+)? ms$"))
    rows = read_rows(page.locator("main"))
    assert [(row["target"], row["status"], row["outcome"]) for row in rows] == [
        ("google.com", "200", "ok"), ("broken", "500", "failed"), ("python.org", "200", "ok")]
    assert rows[1]["error"] == "HTTP 500: Internal Server Error"
    expect(page.get_by_role("heading", level=2)).to_have_text("Events, in the order they ran")
    items = page.locator("ol.events li")
    kinds = items.evaluate_all("items => items.map((item) => item.dataset.kind)")
    assert kinds[:3] == ["fetch-start"] * 3
    assert kinds[-1] == "render"
    expect(items.first).to_contain_text("fetch started")  # "12.3 ms fetch started google.com"
    resumed = [item.locator("code").inner_text() for item in items.all()
               if item.get_attribute("data-kind") == RESUME_EVENTS[style]]
    assert sorted(resumed) == ["broken", "google.com", "python.org"]  # in order of answer
    expect(page.locator("ol.events li .error")).to_have_text("HTTP 500: Internal Server Error")
    expect(page.get_by_role("link", name="this run as JSON")).to_have_attribute(
        "href", "?scenario=one-fails&format=json")
    screenshot(page, f"aggregate-{style}.png")

    page.get_by_role("link", name="Back to the side-by-side page").click()
    expect(page).to_have_title(INDEX_TITLE)
    assert problems == []


@pytest.mark.parametrize("path, status, reason, message", [
    ("/no-such-page", 404, "Not Found", "there is no page at /no-such-page"),
    ("/coroutines?scenario=gone", 400, "Bad Request",
     "unknown scenario 'gone': use seed, one-fails, one-hangs, one-refused, fan-out, custom"),
])
def test_error_page(page, problems, server_url, screenshot, path, status, reason, message):
    response = page.goto(path)

    assert response.status == status
    expect(page).to_have_title(f"{status}: webdemo")
    expect(page.get_by_role("heading", level=1)).to_have_text(f"{status} {reason}")
    expect(page.locator(".error-message")).to_have_text(message)
    screenshot(page, f"error-{status}.png")
    page.get_by_role("link", name="Back to the side-by-side page").click()
    expect(page).to_have_title(INDEX_TITLE)
    # The only problems: the status this test asked for, as a response and on the console.
    url = server_url + path[1:]
    assert sorted(problems) == [
        f"HTTP {status}: GET {url}",
        f"console error: Failed to load resource: the server responded with a status of "
        f"{status} ({reason}) ({url})",
    ]


def test_every_page_names_an_icon_that_loads(page):
    # Without one, a browser asks for /favicon.ico, and its 404 is a console error.
    page.goto("/")
    icon = page.locator("link[rel=icon]").get_attribute("href")
    assert page.request.get(icon).ok
