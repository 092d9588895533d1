"""Bad input: a 400 with a message that says what was wrong, never a 500."""

import pytest
from helpers import STYLE_NAMES, aggregate, query

from webdemo.catalog import MAX_FETCHES

BAD_INPUTS = [
    ({"fetch": "http://example.com/"}, "unknown target 'http://example.com/'"),
    ({"fetch": "//example.com/upstream/x"}, "unknown target"),
    ({"fetch": "nosuchsite.org"}, "unknown target 'nosuchsite.org'"),
    ({"fetch": "/upstream/x?delay_ms=abc"}, "delay_ms must be a whole number"),
    ({"fetch": "/upstream/x?delay_ms=30001"}, "delay_ms must be from 0 to 30000, not 30001"),
    ({"fetch": "/upstream/x?bytes=-1"}, "bytes must be from 0 to 10000000, not -1"),
    ({"fetch": "/upstream/x?status=600"}, "status must be from 100 to 599, not 600"),
    ({"fetch": "/upstream/x?colour=red"}, "unknown simulator parameter 'colour'"),
    ({"fetch": "/upstream/x?status=200&status=500"}, "status is given 2 times"),
    ({"fetch": "/upstream/a%2Fb"}, "simulator name 'a%2Fb' is not allowed"),
    ({"fetch": "/upstream/<script>"}, "simulator name '<script>' is not allowed"),
    ({"fetch": ["python.org"] * (MAX_FETCHES + 1)}, f"at most {MAX_FETCHES}"),
    ({"fetch": "python.org", "scenario": "seed"}, "not both"),
    ({"scenario": "everything"}, "unknown scenario 'everything'"),
    ({"scenario": ["seed", "one-fails"]}, "give it once"),
    ({"format": "xml"}, "format must be html, json or events"),
]


@pytest.mark.gen_test
@pytest.mark.parametrize("style", STYLE_NAMES)
@pytest.mark.parametrize("params, message", BAD_INPUTS,
                         ids=[message for _, message in BAD_INPUTS])
async def test_bad_input_is_a_400_with_a_message(http_client, base_url, style, params, message):
    result = await aggregate(http_client, base_url, style, expect=400, **params)
    assert message in result["error"]


@pytest.mark.gen_test
async def test_exactly_the_most_fetches_allowed_is_fine(http_client, base_url):
    result = await aggregate(http_client, base_url, "coroutines",
                             fetch=["/upstream/x?bytes=1"] * MAX_FETCHES)
    assert result["ok"] == MAX_FETCHES


@pytest.mark.gen_test
async def test_a_400_asked_as_html_is_an_escaped_page(http_client, base_url):
    response = await http_client.fetch(
        f"{base_url}/callbacks?{query(fetch='<img src=x onerror=alert(1)>')}", raise_error=False)
    assert response.code == 400
    assert response.headers["Content-Type"].startswith("text/html")
    page = response.body.decode()
    assert "unknown target" in page
    assert "<img" not in page and "&lt;img src=x onerror=alert(1)&gt;" in page


@pytest.mark.gen_test
async def test_invalid_utf8_is_a_400(http_client, base_url):
    response = await http_client.fetch(f"{base_url}/coroutines?fetch=%ff", raise_error=False)
    assert response.code == 400


@pytest.mark.gen_test
async def test_an_unknown_page_is_a_404_page(http_client, base_url):
    response = await http_client.fetch(f"{base_url}/fibers", raise_error=False)
    assert response.code == 404
    assert b"Back to the side-by-side page" in response.body


@pytest.mark.gen_test
@pytest.mark.parametrize("path", ["/", "/callbacks", "/upstream/x", "/highlight.css"])
async def test_every_page_sends_the_security_headers(http_client, base_url, path):
    response = await http_client.fetch(base_url + path)
    assert "default-src 'self'" in response.headers["Content-Security-Policy"]
    assert "frame-ancestors 'none'" in response.headers["Content-Security-Policy"]
    assert response.headers["X-Content-Type-Options"] == "nosniff"
