"""The chain on the pages, over HTTP: the job chosen by URL, the chain's sources,
scenarios and points; its HTML page with each row's step and the skipped line."""

import re

import pytest


async def page_of(http_client, url, expect=200, **headers):
    response = await http_client.fetch(url, raise_error=False, headers=headers)
    assert response.code == expect
    return response.body.decode()


@pytest.mark.gen_test
@pytest.mark.parametrize("path", ["/", "/all"])
async def test_the_job_chosen_by_url(http_client, base_url, path):
    page = await page_of(http_client, f"{base_url}{path}?job=chain&scenario=chain-last-hangs")
    assert re.findall(r'<option value="([a-z-]+)" selected>', page)[:2] == [
        "chain-last-hangs", "chain"]
    # Only the chain's scenarios are offered, and the columns run the chain's handlers.
    assert 'value="one-fails"' not in page and 'value="chain-start-fails"' in page
    assert 'formaction="/chain/callbacks"' in page
    assert 'data-path="/chain/coroutines"' in page
    assert 'action="/chain/' in page
    if path == "/":  # choosing two other styles keeps the job
        assert '<input type="hidden" name="job" value="chain">' in page


@pytest.mark.gen_test
async def test_the_side_by_side_page_shows_the_chains_sources_and_points(http_client, base_url):
    page = await page_of(http_client, f"{base_url}/?job=chain")
    assert "webdemo/chains/callbacks.py" in page and "webdemo/chains/coroutines.py" in page
    assert "webdemo/styles/callbacks.py" not in page
    assert "handle_start" in page and "Callback hell" in page
    marked = re.findall(r'class="marked" data-points="([a-z ]+)"', page)
    assert {"errors", "state", "flow", "many", "traceback"} <= {
        name for points in marked for name in points.split()}
    # The chain's break-it demo, not the aggregate's.
    assert 'id="demo-forgotten-check-chain"' in page and 'id="demo-forgotten-check"' not in page


@pytest.mark.gen_test
async def test_the_aggregate_stays_the_default(http_client, base_url):
    page = await page_of(http_client, f"{base_url}/")
    assert "webdemo/styles/callbacks.py" in page and 'formaction="/callbacks"' in page
    assert 'id="demo-forgotten-check-chain"' not in page


@pytest.mark.gen_test
@pytest.mark.parametrize("query", ["job=crawl", "job=chain&job=chain",
                                   "job=chain&scenario=one-fails"])
async def test_an_unknown_job_or_scenario_is_a_400(http_client, base_url, query):
    await page_of(http_client, f"{base_url}/?{query}", expect=400)


@pytest.mark.gen_test
@pytest.mark.parametrize("language, step, skipped", [
    ("en", "step", "The last step was not taken: the start page failed"),
    ("ko", "단계", "마지막 단계는 실행되지 않았습니다: 시작 페이지가 실패했습니다"),
])
async def test_the_chains_html_page_shows_steps_and_the_skipped_step(
        http_client, base_url, language, step, skipped):
    page = await page_of(http_client, f"{base_url}/chain/callbacks?scenario=chain-start-fails",
                         **{"Accept-Language": language})
    assert f'<th scope="col" class="num">{step}</th>' in page
    assert f'<p class="skipped">{skipped}</p>' in page
    assert "<code>/chain/callbacks</code>" in page
    page = await page_of(http_client, f"{base_url}/chain/coroutines")
    steps = re.findall(r'<td class="num"[^>]*>([123])</td>', page)  # a phone's label, too
    assert steps == ["1", "2", "2", "2", "3"]
    assert 'class="skipped"' not in page
