"""The chain, in every style: the same rows for the same input, each step's failure, the gate.

A chain fetches a start page, the pages it links to, then one more page that the
largest of them links to. Its links are an upstream's words, so they pass the same
gate as a visitor's fetch=: a small upstream here serves pages whose links try to
lead anywhere else.
"""

import asyncio
import html
import inspect

import pytest
from helpers import STYLE_NAMES, errors_logged, get_json, query, until
from test_faults import leave_mid_fetch

from webdemo.app import Config
from webdemo.chains import callbacks, coroutines, generators, greenlets, sequential, threads
from webdemo.run.links import read_links
from webdemo.scenarios import MAX_LINKS

TIMEOUT = 1.0  # seconds: the hanging page's row comes this long after it is sent
HUNG = "Timeout during request"
REFUSED = "link refused: "

# scenario -> its rows as (step, target, status, error), and why the last step was skipped.
EXPECTED = {
    "chain": ([(1, "start", 200, None), (2, "www.google.com", 200, None),
               (2, "www.yandex.ru", 200, None), (2, "www.python.org", 200, None),
               (3, "more.python.org", 200, None)], None),
    "chain-start-fails": ([(1, "broken", 500, "HTTP 500: Internal Server Error")],
                          "the start page failed"),
    "chain-link-fails": ([(1, "start-link-fails", 200, None), (2, "www.google.com", 200, None),
                          (2, "broken", 500, "HTTP 500: Internal Server Error"),
                          (2, "www.python.org", 200, None), (3, "more.python.org", 200, None)],
                         None),
    "chain-last-hangs": ([(1, "start-last-hangs", 200, None), (2, "www.google.com", 200, None),
                          (2, "www.yandex.ru", 200, None), (2, "mirror.python.org", 200, None),
                          (3, "hangs", None, HUNG)], None),
}


class LinkingUpstream:
    """An upstream whose pages link where they like: path -> page, each an operator target."""

    def __init__(self):
        self.requests = []  # the paths asked for, in order

    async def start(self):
        self.server = await asyncio.start_server(self.serve, "127.0.0.1", 0)
        self.port = self.server.sockets[0].getsockname()[1]

    def pages(self, app_port):
        here = f"http://127.0.0.1:{self.port}"
        return {
            # Every way out of the gate, then two ways it lets through.
            "/hostile": [f"{here}/secret", "http://169.254.169.254/latest/meta-data/",
                         f"http://127.0.0.1:{app_port}/upstream/google.com",
                         "//example.com/upstream/x", "/stats", "/upstream/../stats",
                         "no-such-name", "/upstream/" + "x" * 400,
                         "google.com", "/upstream/mine?bytes=10"],
            "/many": ["google.com"] * (MAX_LINKS + 5),
            "/out": [f"{here}/secret"],  # the largest page of its step: its link is step 3
            "/after": [],
            "/secret": [],
        }

    def targets(self, app_port):
        """Each page as an operator target, but the secret: only a link could reach it."""
        return {path.lstrip("/"): f"http://127.0.0.1:{self.port}{path}"
                for path in self.pages(app_port) if path != "/secret"}

    async def serve(self, reader, writer):
        head = await reader.readuntil(b"\r\n\r\n")
        path = head.split(b" ", 2)[1].decode()
        self.requests.append(path)
        links = self.pages_served.get(path, [])
        body = "".join(f'<p><a class=x href="{link}">a link</a>' for link in links)
        body = (body + "<p>" + "filler " * 5000).encode()
        writer.write(b"HTTP/1.1 200 OK\r\nContent-Type: text/html\r\nConnection: close\r\n"
                     b"Content-Length: %d\r\n\r\n" % len(body) + body)
        await writer.drain()
        writer.close()

    async def stop(self):
        self.server.close()
        await self.server.wait_closed()


@pytest.fixture
def linking(io_loop, http_port):
    upstream = LinkingUpstream()
    io_loop.run_sync(upstream.start)
    upstream.pages_served = upstream.pages(http_port)
    yield upstream
    io_loop.run_sync(upstream.stop)


@pytest.fixture
def config(http_port, linking):
    return Config(port=http_port, timeout=TIMEOUT, targets=linking.targets(http_port))


async def chain(http_client, base_url, style, expect=200, **params):
    return await get_json(http_client, f"{base_url}/chain/{style}?{query(**params)}", expect)


def seen(result):
    """A chain's rows, as a style could change them: everything but the times."""
    return [(row["step"], row["target"], row["url"], row["status"], row["bytes"], row["error"],
             row["links"]) for row in result["results"]]


async def every_style(http_client, base_url, **params):
    return await asyncio.gather(*(chain(http_client, base_url, style, **params)
                                  for style in STYLE_NAMES))


@pytest.mark.gen_test(timeout=30)
@pytest.mark.parametrize("scenario", EXPECTED)
async def test_every_style_answers_the_same_rows_for_every_scenario(
        http_client, base_url, scenario, caplog):
    results = await every_style(http_client, base_url, scenario=scenario)
    rows, skipped = EXPECTED[scenario]
    for result in results:
        assert [(row["step"], row["target"], row["status"], row["error"])
                for row in result["results"]] == rows, result["style"]
        assert result["skipped"] == skipped and result["job"] == "chain"
        assert result["ok"] == sum(error is None for *_, error in rows)
        assert result["failed"] == sum(error is not None for *_, error in rows)
        assert result["total_bytes"] == sum(row["bytes"] for row in result["results"])
        assert seen(result) == seen(results[0]), result["style"]
    assert errors_logged(caplog) == []
    assert callbacks.remaining == {} and callbacks.results == {}


@pytest.mark.gen_test(timeout=15)
@pytest.mark.parametrize("style", STYLE_NAMES)
async def test_each_step_starts_when_the_one_before_has_answered(http_client, base_url, style):
    result = await chain(http_client, base_url, style, scenario="chain-last-hangs")
    rows = result["results"]
    by_step = {step: [row for row in rows if row["step"] == step] for step in (1, 2, 3)}
    for before, after in ((1, 2), (2, 3)):
        ended_ms = max(row["end_ms"] for row in by_step[before])
        assert all(row["start_ms"] >= ended_ms for row in by_step[after])
    # The last page hangs: its row comes at the timeout, not before and not much after.
    hung = by_step[3][0]
    assert TIMEOUT * 1000 <= hung["end_ms"] - hung["start_ms"] < TIMEOUT * 1000 + 1500
    assert rows[0]["links"] == ["www.google.com", "www.yandex.ru", "mirror.python.org"]
    assert {event["step"] for event in result["events"] if "index" in event} == {1, 2, 3}


@pytest.mark.gen_test(timeout=20)
async def test_links_outside_the_gate_are_refused_rows_and_never_fetched(
        http_client, base_url, linking):
    results = await every_style(http_client, base_url, start="hostile")
    pages = linking.pages_served["/hostile"]
    for result in results:
        rows = result["results"]
        assert [row["step"] for row in rows] == [1] + [2] * len(pages), result["style"]
        assert [row["target"] for row in rows[1:]] == [page[:80] for page in pages[:-2]] + [
            "google.com", "mine"]
        assert all(row["error"].startswith(REFUSED) and row["url"] is None
                   and row["status"] is None for row in rows[1:-2]), result["style"]
        assert [row["status"] for row in rows[-2:]] == [200, 200]
        assert seen(result) == seen(results[0]), result["style"]
    # The upstream was asked for its own page, once a style, and never for its secret.
    assert linking.requests == ["/hostile"] * len(STYLE_NAMES)


@pytest.mark.gen_test(timeout=20)
async def test_links_past_the_bound_are_one_row_that_says_so(http_client, base_url):
    for result in await every_style(http_client, base_url, start="many"):
        rows = result["results"]
        assert [row["step"] for row in rows] == [1] + [2] * (MAX_LINKS + 1)
        assert all(row["status"] == 200 for row in rows[1:MAX_LINKS + 1])
        assert rows[MAX_LINKS + 1]["error"] == (
            f"{REFUSED}more than {MAX_LINKS} links on the page: the rest are not followed")
        # The simulated google.com links nowhere: no last step, and the reason.
        assert result["skipped"] == (
            "the largest page that answered, google.com, links to no page")


@pytest.mark.gen_test(timeout=20)
async def test_a_refused_last_link_is_the_last_row(http_client, base_url, linking):
    # /out is larger than the simulated page beside it: its link is the last step's.
    start = "/upstream/two?links=out,google.com"
    for result in await every_style(http_client, base_url, start=start):
        last = result["results"][-1]
        assert (last["step"], last["status"]) == (3, None)
        assert last["error"].startswith(REFUSED) and result["skipped"] is None
    assert "/secret" not in linking.requests


@pytest.mark.gen_test(timeout=20)
async def test_start_chooses_the_start_page(http_client, base_url):
    for result in await every_style(http_client, base_url, start="/upstream/mine?links=broken"):
        assert [(row["step"], row["target"], row["status"]) for row in result["results"]] == [
            (1, "mine", 200), (2, "broken", 500)]
        assert result["skipped"] == "no linked page answered"
    for result in await every_style(http_client, base_url, start="google.com"):
        assert [row["target"] for row in result["results"]] == ["google.com"]
        assert result["skipped"] == "no linked page answered"


@pytest.mark.gen_test(timeout=10)
@pytest.mark.parametrize("params", [
    {"start": "http://127.0.0.1/"}, {"start": "/stats"}, {"scenario": "seed"},
    {"scenario": "chain", "start": "google.com"}, {"start": ["google.com", "python.org"]},
    {"start": "/upstream/x?links=" + ",".join(["a"] * (MAX_LINKS + 1))},
    {"start": "/upstream/x?links=http://example.com/"}, {"limit": "0"}, {"format": "xml"},
])
@pytest.mark.parametrize("style", ["callbacks", "greenlets"])
async def test_bad_input_is_a_400(http_client, base_url, style, params):
    result = await chain(http_client, base_url, style, expect=400, **params)
    assert set(result) == {"error"}


@pytest.mark.gen_test(timeout=10)
@pytest.mark.parametrize("style", STYLE_NAMES)
async def test_a_client_that_leaves_mid_chain_leaves_nothing_behind(
        app, http_client, base_url, http_port, style, linking, caplog):
    # It leaves during step 1: the next step is not taken.
    start = "/upstream/late?delay_ms=200&links=after"
    await leave_mid_fetch(app, http_port, f"/chain/{style}?{query(start=start)}")
    await until(lambda: not app.in_flight, seconds=TIMEOUT + 2)
    await asyncio.sleep(0.5)  # for anything the chain would still start
    assert not app.in_flight and linking.requests == []
    assert callbacks.remaining == {} and callbacks.results == {}
    stats = await get_json(http_client, f"{base_url}/stats")
    assert (stats["callbacks_in_flight"], stats["fetches_in_flight"]) == (0, 0)
    assert errors_logged(caplog) == []


@pytest.mark.gen_test(timeout=10)
async def test_stats_count_a_callback_chain_while_its_fan_out_is_counted(http_client, base_url):
    running = asyncio.ensure_future(chain(http_client, base_url, "callbacks",
                                          start="/upstream/s?links=www.yandex.ru"))
    await until(lambda: callbacks.remaining)
    stats = await get_json(http_client, f"{base_url}/stats")
    assert stats["callbacks_in_flight"] == 1
    await running
    stats = await get_json(http_client, f"{base_url}/stats")
    assert stats["callbacks_in_flight"] == 0


@pytest.mark.gen_test(timeout=10)
async def test_the_html_page_and_the_live_events(http_client, base_url):
    page = await http_client.fetch(f"{base_url}/chain/coroutines")
    assert b"more.python.org" in page.body
    live = await http_client.fetch(f"{base_url}/chain/callbacks?format=events")
    text = live.body.decode()
    assert text.startswith("event: run\n") and "event: aggregate\n" in text
    assert '"step": 3' in text


@pytest.mark.gen_test(timeout=10)
async def test_the_simulator_links_to_names(http_client, base_url):
    page = await http_client.fetch(f"{base_url}/upstream/x?links=a,b.c&bytes=2000")
    assert read_links(page.body) == ["a", "b.c"] and len(page.body) == 2000


def test_reading_links_is_bounded():
    body = b'<a href="x">' * 1000
    assert read_links(body) == ["x"] * (MAX_LINKS + 1)
    assert read_links(b"x" * 70_000 + b'<a href="late">') == []
    assert read_links(b"<a name=top><A HREF='y&amp;z'><a href><a href=''>") == ["y&z", ""]


def test_each_chain_file_is_written_in_its_style():
    def uses_async(module):
        return "async def" in inspect.getsource(module)

    assert not uses_async(callbacks) and "add_future" in inspect.getsource(callbacks)
    assert inspect.iscoroutinefunction(coroutines.CoroutinesChainHandler.get)
    assert inspect.isgeneratorfunction(generators.GeneratorsChainHandler.get.__wrapped__)
    assert "gevent.spawn" in inspect.getsource(greenlets) and not uses_async(greenlets)
    for handler in (threads.ThreadsChainHandler, sequential.SequentialChainHandler):
        assert "fetch_blocking" in inspect.getsource(handler.fetch_one)
    for module in (callbacks, coroutines, generators, greenlets, sequential, threads):
        lines = inspect.getsource(module).splitlines()
        assert len(lines) < 120 and max(map(len, lines)) <= 80, module.__name__


@pytest.mark.gen_test(timeout=20)
async def test_the_chains_page_says_its_reasons_in_korean(http_client, base_url):
    # Words around a name or a number: translated around it, the reason inside in turn.
    response = await http_client.fetch(f"{base_url}/chain/coroutines?start=many",
                                       headers={"Accept-Language": "ko"})
    page = html.unescape(response.body.decode())
    assert f"링크 거부됨: 페이지의 링크가 {MAX_LINKS}개를 넘음: 나머지는 따라가지 않음" in page
    assert "응답한 가장 큰 페이지 google.com에 링크가 하나도 없음" in page
    assert "link refused" not in page and "links to no page" not in page
