"""Every view has an address that restores it: the knobs, the pair, the open point, the
break-it demo; and a control that gives that address."""

import re

try:
    from playwright.sync_api import expect
except ImportError:  # the browser fixture skips, or fails under CI, saying why
    expect = None


def address(page):
    return page.evaluate("() => window.location.search")


def test_the_knobs_in_the_address_are_restored_and_kept(page, problems):
    page.goto("/?scenario=fan-out&n=20&limit=5&slow=2")
    expect(page.locator("#run-both")).to_be_visible()
    expect(page.locator("#scenario")).to_have_value("fan-out")
    expect(page.locator("#n")).to_have_value("20")
    expect(page.locator("#limit")).to_have_value("5")
    expect(page.locator("#slow")).to_have_value("2")
    page.locator("#n").fill("30")
    page.locator("#n").dispatch_event("change")
    expect(page).to_have_url(re.compile(r"[?&]n=30(&|$)"))
    assert "limit=5" in address(page)
    page.reload()
    expect(page.locator("#n")).to_have_value("30")
    expect(page.locator("#slow")).to_have_value("2")
    # Another pair keeps the knobs.
    page.locator("#choose-left").select_option("threads")
    page.locator("#choose-right").select_option("sequential")
    page.get_by_role("button", name="Show these two").click()
    expect(page.locator("article.style#threads")).to_be_visible()
    expect(page.locator("#n")).to_have_value("30")
    expect(page).to_have_url(re.compile(r"left=threads"))
    assert "slow=2" in address(page)
    # Custom delays, repeated in the address, come back in order.
    page.goto("/?scenario=custom&delay_ms=10&delay_ms=20&delay_ms=30")
    expect(page.locator("[name=delay_ms]").nth(2)).to_have_value("30")
    assert problems == []


def test_the_open_point_is_in_the_address_and_opening_it_stays_put(index, problems):
    index.evaluate("() => window.scrollTo(0, 300)")
    before = index.evaluate("() => window.scrollY")
    index.locator("#point-errors").click()
    expect(index.locator(".source .lit").first).to_be_attached()
    # The reader stays by the text just opened: no jump to the sources.
    assert abs(index.evaluate("() => window.scrollY") - before) < 50
    assert "point=errors" in address(index)
    # Its line numbers link to the lines of both sources.
    links = index.locator('details.point[data-point="errors"] .lines a')
    assert links.count() >= 4
    assert index.locator(links.first.get_attribute("href")).count() == 1
    index.reload()
    expect(index.locator('details.point[data-point="errors"]')).to_have_attribute("open", "")
    expect(index.locator(".source .lit").first).to_be_attached()
    assert problems == []


def test_the_link_control_gives_the_address_of_the_view(index, problems):
    index.locator("#scenario").select_option("one-fails")
    index.get_by_role("button", name="Link to this view").click()
    shown = index.get_by_role("textbox", name="The link to this view")
    expect(shown).to_be_visible()
    assert shown.input_value() == index.url and "scenario=one-fails" in shown.input_value()
    expect(index.locator("#view-link [role=status]")).to_have_text(
        re.compile(r"^(Copied\.|Copy it from the box\.)$"))
    assert problems == []


def test_the_break_it_demo_in_the_address_is_shown(page, problems):
    page.goto("/?break=essay-2016")
    expect(page.locator("details#break-it")).to_have_attribute("open", "")
    expect(page.locator("#demo-essay-2016")).to_be_in_viewport()
    page.locator("#try-essay-2016").click()
    expect(page.locator("#demo-essay-2016 .outcome li")).to_have_count(4)
    assert "break=essay-2016" in address(page)
    assert problems == []


def test_other_pairs_say_where_the_points_are(page, problems):
    page.goto("/?left=threads&right=sequential&scenario=one-fails")
    note = page.locator("section.points")
    expect(note).to_contain_text("The points of comparison are written for callbacks beside "
                                 "coroutines")
    link = note.get_by_role("link", name="compare those two")
    href = link.get_attribute("href")
    assert "left=callbacks" in href and "right=coroutines" in href and "one-fails" in href
    assert problems == []


def test_point_5_shows_a_callbacks_traceback_as_the_loop_logs_it(index, problems):
    index.locator("#point-traceback").click()
    shown = index.locator("details.point pre.traceback")
    expect(shown).to_be_visible()
    expect(shown).to_contain_text("Exception in callback")
    expect(shown).to_contain_text(re.compile(r"tornado/ioloop\.py.*in _run_callback", re.S))
    expect(shown).to_contain_text("in handle_response")
    expect(shown).to_contain_text("HTTPClientError: HTTP 500")
    assert problems == []
