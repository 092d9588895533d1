"""What every page shares over HTTP: HEAD wherever GET, and each refusal logged once."""

import logging

import pytest

PAGES = ["/", "/all", "/costs", "/callbacks", "/highlight.css", "/stats"]


@pytest.mark.gen_test(timeout=20)
@pytest.mark.parametrize("path", PAGES)
async def test_head_answers_wherever_get_does_with_its_headers(http_client, base_url, path):
    got = await http_client.fetch(base_url + path)
    head = await http_client.fetch(base_url + path, method="HEAD")
    assert (head.code, head.body) == (200, b"")
    assert head.headers["Content-Type"] == got.headers["Content-Type"]
    assert int(head.headers["Content-Length"]) > 0  # GET's length, not the empty body's


@pytest.mark.gen_test
async def test_head_of_a_static_file_reads_as_get(http_client, base_url):
    # Not compressed (no Accept-Encoding): a compressed answer is sent without a length.
    got = await http_client.fetch(base_url + "/static/site.css", decompress_response=False)
    head = await http_client.fetch(base_url + "/static/site.css", method="HEAD",
                                   decompress_response=False)
    assert (head.code, head.body) == (200, b"")
    assert head.headers["Content-Length"] == got.headers["Content-Length"]


@pytest.mark.gen_test
async def test_head_refuses_bad_input_as_get_does(http_client, base_url):
    head = await http_client.fetch(base_url + "/callbacks?scenario=nope", method="HEAD",
                                   raise_error=False)
    assert (head.code, head.body) == (400, b"")


@pytest.mark.gen_test
@pytest.mark.parametrize("path, host, status", [
    ("/nowhere", "localhost", 404),
    ("/static/nope.css", "localhost", 404),
    ("/stats", "evil.example", 403),
])
async def test_a_refusal_is_logged_once(http_client, base_url, caplog, path, host, status):
    caplog.set_level(logging.DEBUG)
    response = await http_client.fetch(base_url + path, headers={"Host": host},
                                       raise_error=False)
    assert response.code == status
    lines = [record.getMessage() for record in caplog.records
             if record.getMessage().startswith(f"{status} ")]
    assert len(lines) == 1, lines
    assert path in lines[0]


@pytest.mark.gen_test
@pytest.mark.parametrize("path, compressed", [
    ("/", True),
    ("/static/site.css", True),
    ("/coroutines?format=json", False),  # an API answer: not worth its CPU
    ("/coroutines?format=events", False),  # a live stream: not worth a compressor each
    ("/upstream/page?bytes=20000", False),  # a simulated page: the runs fetch it, locally
])
async def test_pages_are_compressed_when_asked_and_answers_are_not(http_client, base_url, path,
                                                                    compressed):
    response = await http_client.fetch(base_url + path, decompress_response=False,
                                       headers={"Accept-Encoding": "gzip"})
    assert (response.headers.get("Content-Encoding") == "gzip") is compressed
    plain = await http_client.fetch(base_url + path, decompress_response=False)
    assert "Content-Encoding" not in plain.headers  # not asked, not compressed
