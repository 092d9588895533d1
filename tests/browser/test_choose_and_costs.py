"""Choosing the two styles to compare, and the costs page, in a real browser."""

import re

try:
    from playwright.sync_api import expect
except ImportError:  # the browser fixture skips, or fails under CI, saying why
    expect = None

SEED = ["google.com", "yandex.ru", "python.org"]


def test_any_two_styles_chosen_run_side_by_side(index, problems, read_rows, screenshot):
    index.get_by_label("Compare").select_option("threads")
    index.get_by_label("with").select_option("greenlets")
    index.get_by_role("button", name="Show these two").click()

    expect(index).to_have_url(re.compile(r"/\?left=threads&right=greenlets$"))
    expect(index).to_have_title("webdemo: threads and greenlets, side by side")
    index.get_by_role("button", name="Run both").click()
    for name in ("threads", "greenlets"):
        rows = read_rows(index.locator(f"#{name} .result"))
        assert [(row["target"], row["status"]) for row in rows] == [(t, "200") for t in SEED]
    screenshot(index, "threads-and-greenlets.png")
    assert problems == []


def test_the_chooser_never_offers_one_style_on_both_sides(index, problems):
    left, right = index.get_by_label("Compare"), index.get_by_label("with")
    expect(right.locator('option[value="callbacks"]')).to_be_disabled()  # left's, now
    expect(left.locator('option[value="coroutines"]')).to_be_disabled()

    left.select_option("threads")

    expect(right.locator('option[value="threads"]')).to_be_disabled()
    expect(right.locator('option[value="callbacks"]')).to_be_enabled()
    expect(right.locator("option:disabled")).to_have_count(1)
    assert problems == []


def test_the_costs_page_loads_clean_with_its_script(page, problems, screenshot):
    response = page.goto("/costs")

    assert response.status == 200
    expect(page.get_by_role("heading", level=1)).to_have_text("What each style costs, measured")
    expect(page.get_by_role("button", name=re.compile("Run a small bench"))).to_be_enabled()
    screenshot(page, "costs.png")
    assert problems == []


def test_the_costs_page_in_korean_has_no_english_heading(page, problems, screenshot):
    response = page.goto("/costs?lang=ko")

    assert response.status == 200
    expect(page.locator("html")).to_have_attribute("lang", "ko")
    expect(page.get_by_role("heading", level=1)).to_have_text("스타일별 비용, 직접 측정")
    # Whatever bench results this machine has: every heading, and the script's button,
    # in Korean (figures and names such as CPU or RSS may stay as they are).
    headings = page.get_by_role("heading").all_inner_texts()
    english = [text for text in headings if not re.search("[가-힣]", text)
               or re.search(r"\b(?!CPU\b|RSS\b|MB\b|ms\b)[A-Za-z]{2,}", text)]
    assert headings and english == []
    expect(page.get_by_role("button", name=re.compile("작은 벤치마크 실행"))).to_be_enabled()
    screenshot(page, "costs-ko.png")
    assert problems == []
