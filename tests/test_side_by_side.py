"""The side-by-side page compares the two styles its URL names; every page describes itself."""

import html
import re

import pytest
from helpers import get_json


def columns(page):
    return re.findall(r'<article class="style" id="([a-z]+)"', page)


def selected(page, side):
    form = page[page.index(f'name="{side}"'):]
    return re.search(r'<option value="([a-z]+)" selected>', form).group(1)


@pytest.mark.gen_test
async def test_callbacks_and_coroutines_by_default(http_client, base_url):
    page = (await http_client.fetch(base_url + "/")).body.decode()
    assert columns(page) == ["callbacks", "coroutines"]
    assert (selected(page, "left"), selected(page, "right")) == ("callbacks", "coroutines")


@pytest.mark.gen_test
async def test_any_two_styles_by_url(http_client, base_url):
    page = (await http_client.fetch(base_url + "/?left=threads&right=greenlets")).body.decode()
    assert columns(page) == ["threads", "greenlets"]
    assert (selected(page, "left"), selected(page, "right")) == ("threads", "greenlets")
    assert "webdemo/styles/threads.py" in page and "webdemo/styles/greenlets.py" in page
    assert "callbacks.py" not in page
    # Each column runs its own style; the chooser offers all six.
    assert 'formaction="/threads"' in page and 'formaction="/greenlets"' in page
    assert page.count('<option value="sequential"') == 2


@pytest.mark.gen_test
@pytest.mark.parametrize("query, says", [
    ("", "Both fetch through one shared Tornado HTTP client: <code>curl</code>, at most 200 "
         "fetches at once, each given 1.0 s."),
    ("?left=threads&right=greenlets", "Both fetch the blocking way, with urllib: at most 200 "
                                      "fetches at once, each given 1.0 s."),
    ("?left=sequential&right=coroutines", "Coroutines fetches through the app's shared Tornado "
                                          "HTTP client (<code>curl</code>), Sequential the "
                                          "blocking way with urllib: at most 200"),
])
async def test_the_page_says_how_each_column_fetches(http_client, base_url, query, says):
    page = (await http_client.fetch(base_url + "/" + query)).body.decode()
    text = re.sub(r"</?span[^>]*>", "", html.unescape(page))  # the timeout is one
    assert text.count(says) == 1


@pytest.mark.gen_test
@pytest.mark.parametrize("query, message", [
    ("left=fibers", "unknown style 'fibers' for left: use callbacks, coroutines, generators, "
                    "threads, greenlets, sequential"),
    ("right=%3Cscript%3E", "unknown style '<script>' for right"),
    ("left=threads&right=threads", "left and right are both threads"),
    ("left=callbacks&left=threads", "left is given 2 times"),
])
async def test_a_bad_choice_is_a_400_that_says_why(http_client, base_url, query, message):
    result = await get_json(http_client, f"{base_url}/?{query}", expect=400)
    assert message in result["error"]
    page = await http_client.fetch(f"{base_url}/?{query}", raise_error=False)
    assert page.code == 400 and b"<script>" not in page.body


@pytest.mark.gen_test
async def test_all_styles_stacked_on_one_page(http_client, base_url):
    page = (await http_client.fetch(base_url + "/all")).body.decode()
    assert columns(page) == ["callbacks", "coroutines", "generators", "threads", "greenlets",
                             "sequential"]
    # Each runs its own style, beside its title; no sources here, but the way to them.
    for title in ("Callbacks", "Coroutines", "Generators", "Threads", "Greenlets", "Sequential"):
        assert f"<h2>{title} " in page
    assert page.count("formaction=") == 6 and 'formaction="/sequential"' in page
    assert 'id="run-all"' in page and 'class="source"' not in page
    assert '<a href="/">' in page
    # The side-by-side page's chooser leads here.
    index = (await http_client.fetch(base_url + "/")).body.decode()
    assert '<a href="/all">' in index


@pytest.mark.gen_test
@pytest.mark.parametrize("path", ["/", "/all"])
async def test_the_scenario_chosen_by_url(http_client, base_url, path):
    page = (await http_client.fetch(f"{base_url}{path}?scenario=one-fails")).body.decode()
    assert re.findall(r'<option value="([a-z-]+)" selected>', page)[0] == "one-fails"
    result = await get_json(http_client, f"{base_url}{path}?scenario=%3Cb%3E", expect=400)
    assert "unknown scenario '<b>'" in result["error"]


@pytest.mark.gen_test
@pytest.mark.parametrize("path", ["/", "/all", "/costs", "/callbacks", "/nowhere"])
@pytest.mark.parametrize("language", ["en", "ko"])
async def test_every_page_has_a_description_in_its_language(http_client, base_url, path,
                                                            language):
    response = await http_client.fetch(f"{base_url}{path}", raise_error=False,
                                       headers={"Accept-Language": language})
    page = response.body.decode()
    assert f'<html lang="{language}">' in page
    description = re.findall(r'<meta name="description" content="([^"]+)">', page)
    assert len(description) == 1 and len(description[0]) > 50
    assert bool(re.search("[가-힣]", description[0])) == (language == "ko")
