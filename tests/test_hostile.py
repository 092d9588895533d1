"""Hostile visitors: nothing they send makes a 500, a fetch outside the allowlist, or a way in.

A corpus of hostile and malformed requests is sent to every style, the simulator, the
index and the rest of the site, while a spy records every URL the app's HTTP client is
asked for and every address and name this process connects to or looks up.
"""

import asyncio
import json
import re
import socket
import subprocess
import sys
import time

import pytest
from helpers import STYLE_NAMES, errors_logged, get_json, query, until
from tornado.httpclient import HTTPRequest
from tornado.iostream import IOStream, StreamClosedError
from tornado.netutil import bind_sockets

from webdemo.app import Config
from webdemo.base import is_loopback
from webdemo.catalog import MAX_FETCHES
from webdemo.connections import Server
from webdemo.run import aggregate
from webdemo.scenarios import REFUSED, SCENARIOS, SEED
from webdemo.workers import supervisor

TIMEOUT = 0.5
OPERATOR = "op-site"
# Markup a hostile value may carry: an HTML answer may hold it only escaped.
MARKUP = ["<script>alert(", "<img src=x", "<svg onload"]


@pytest.fixture
def config(http_port, request):
    # A test may bind "elsewhere" with @pytest.mark.parametrize("config", [host], indirect).
    return Config(host=getattr(request, "param", "127.0.0.1"), port=http_port, timeout=TIMEOUT,
                  targets={OPERATOR: f"http://127.0.0.1:{http_port}/upstream/{OPERATOR}"})


@pytest.fixture
def outbound(app, monkeypatch):
    """What leaves the app: URLs asked of its client, addresses connected to, names looked up."""
    seen = {"fetched": [], "connected": [], "looked_up": []}
    client = app.http_client
    fetch, connect, getaddrinfo = client.fetch, socket.socket.connect, socket.getaddrinfo
    blocking_fetch, run_in_worker = aggregate.blocking_fetch, supervisor.WorkerProcess.run

    def spy_fetch(request, **kwargs):
        seen["fetched"].append(request.url if isinstance(request, HTTPRequest) else request)
        return fetch(request, **kwargs)

    def spy_connect(sock, address):
        seen["connected"].append(address[:2])
        return connect(sock, address)

    def spy_getaddrinfo(host, *args, **kwargs):
        seen["looked_up"].append(host)
        return getaddrinfo(host, *args, **kwargs)

    def spy_blocking_fetch(url, *args):  # the thread styles' way out
        seen["fetched"].append(url)
        return blocking_fetch(url, *args)

    async def spy_worker_run(worker, request, *args):  # the greenlet worker's way out
        seen["fetched"].extend(request.get("targets", []))
        return await run_in_worker(worker, request, *args)

    monkeypatch.setattr(client, "fetch", spy_fetch)
    monkeypatch.setattr(aggregate, "blocking_fetch", spy_blocking_fetch)
    monkeypatch.setattr(supervisor.WorkerProcess, "run", spy_worker_run)
    monkeypatch.setattr(socket.socket, "connect", spy_connect)
    monkeypatch.setattr(socket, "getaddrinfo", spy_getaddrinfo)
    return seen


def assert_only_allowed_went_out(app, config, seen):
    catalog = app.catalog
    refused_url = catalog.names[REFUSED]
    allowed_urls = (f"{catalog.self_url}/upstream/", refused_url, *config.targets.values())
    assert [url for url in seen["fetched"] if not url.startswith(allowed_urls)] == []
    refused_port = int(refused_url.rsplit(":", 1)[1].strip("/"))
    allowed_addresses = {(host, port) for host in ("127.0.0.1", "::1")
                         for port in (config.port, refused_port)}
    assert set(seen["connected"]) <= allowed_addresses
    assert set(seen["looked_up"]) <= {"localhost", "127.0.0.1"}


# Fetch specs that are not allowed: each must be a 400 that says so.
BAD_SPECS = [
    # absolute and scheme-less URLs, to anywhere
    "http://example.com/", "https://example.com/", "HTTP://EXAMPLE.COM/", "//example.com/",
    "///upstream/x", "example.com", "ftp://example.com/", "file:///etc/passwd",
    "gopher://127.0.0.1:25/_HELO", "javascript:alert(1)", "data:text/html,<script>alert(1)",
    "http://user:pass@example.com/", "http://example.com@127.0.0.1/",
    "\\\\example.com\\share", "http:/example.com",
    # this server, and private, loopback, link-local and otherwise disguised addresses
    "http://127.0.0.1:8888/upstream/x", "http://localhost/", "127.0.0.1", "127.0.0.1:22",
    "localhost:8888", "[::1]", "http://[::1]/", "http://[::ffff:127.0.0.1]/",
    "http://[fe80::1%25eth0]/", "http://169.254.169.254/latest/meta-data/", "169.254.169.254",
    "http://10.0.0.1/", "http://192.168.1.1/", "http://172.16.0.1/", "http://2130706433/",
    "http://0177.0.0.1/", "http://0x7f.0.0.1/", "http://127.1/", "http://0/",
    "http://[::]/", "http://metadata.google.internal/",
    # paths on this server that are not the simulator, and traversal
    "/stats", "/callbacks", "/", "/upstream", "/upstream/", "/upstream/x/y",
    "/upstream/../stats", "/upstream/..", "/upstream/.", "/upstream/%2e%2e",
    "/upstream/..%2Fstats", "/upstream/x%2F..%2F..%2Fstats", "/static/../setup.py",
    # names: control characters, markup, unicode, lookalikes, lengths
    "/upstream/x%00", "/upstream/x\x00", "/upstream/x\r\nHost: evil.example",
    "/upstream/<script>alert(1)</script>", '/upstream/a"><img src=x onerror=alert(1)>',
    "/upstream/ünïcode", "/upstream/\u202eevil", "/upstream/" + "n" * 65,
    "g\u043e\u043egle.com", "PYTHON.ORG", "python.org ", " python.org", "python.org\n",
    "python.org\x00", "", "seed", "fan-out", "/upstream/x" + "?bytes=1" * 40,
    # simulator parameters out of bounds or malformed
    "/upstream/x?delay_ms=-1", "/upstream/x?delay_ms=30001", "/upstream/x?delay_ms=1e3",
    "/upstream/x?delay_ms=0x10", "/upstream/x?delay_ms=\u0661\u0662",
    "/upstream/x?delay_ms=%EF%BC%91", "/upstream/x?delay_ms= 1", "/upstream/x?delay_ms=+1",
    "/upstream/x?delay_ms=1.5", "/upstream/x?delay_ms=", "/upstream/x?delay_ms=NaN",
    "/upstream/x?delay_ms=inf", "/upstream/x?delay_ms=1%0d%0aX-Injected:%201",
    "/upstream/x?delay_ms=1\r\nX-Injected: 1", "/upstream/x?bytes=10000001",
    "/upstream/x?bytes=99999999999999999999", "/upstream/x?bytes=-10000000000",
    "/upstream/x?status=99", "/upstream/x?status=600", "/upstream/x?status=0",
    "/upstream/x?status=-200", "/upstream/x?status=1e2", "/upstream/x?status=0x64",
    "/upstream/x?status=200&status=200",
    "/upstream/x?a=1&b=2&c=3&d=4&e=5&f=6&g=7&h=8&i=9&j=10&k=11", "/upstream/x?%00=1",
    "/upstream/x?url=http://example.com/", "/upstream/x?delay_ms=1;bytes=2",
]

# Whole queries that are not allowed, sent as they are (already percent-encoded).
BAD_QUERIES = [
    "fetch", "fetch=", "fetch=python.org&fetch=", "fetch=%", "fetch=%%%", "fetch=%ff",
    "fetch=%c0%ae%c0%ae", "fetch=%ed%a0%80", "fetch=python.org;scenario=seed",
    "scenario=", "scenario=SEED", "scenario=../seed", "scenario=seed%00", "scenario=%0d%0aseed",
    "scenario=%3Cscript%3Ealert(1)%3C/script%3E", "scenario=%E4%B8%80",
    "scenario=seed&scenario=seed",
    "scenario=seed&fetch=python.org", "scenario=%fe", "format=", "format=JSON", "format=xml",
    "format=json%00", "format=html&format=json", "format=%ff",
    query(fetch=["python.org"] * (MAX_FETCHES + 1)), query(fetch=["x"] * 1000),
    query(fetch="/upstream/" + "a" * 300), "fetch=" + "%41" * 4000,
]

# Queries that are fine, odd as they look: each must be a correct aggregate of these targets.
FINE_QUERIES = {
    "": SEED,
    "scenario=seed": SEED,
    "scenario=one-fails": SCENARIOS["one-fails"],
    "scenario=one-refused": SCENARIOS["one-refused"],
    f"fetch={REFUSED}": [REFUSED],
    f"fetch={OPERATOR}": [OPERATOR],
    "fetch=broken&fetch=broken": ["broken", "broken"],
    query(fetch="/upstream/x?bytes=-0"): ["x"],
    query(fetch="/upstream/x?"): ["x"],
    query(fetch="/upstream/x?&&"): ["x"],
    query(fetch="/upstream/x?delay_ms=0#fragment"): ["x"],
    query(fetch="/upstream/x?status=599&bytes=0"): ["x"],
    "unknown=%3Cscript%3Ealert(1)%3C/script%3E&fetch=python.org": ["python.org"],
    "fetch=python.org&" + "pad=" + "x" * 8000: ["python.org"],
}

# Parameters other pages may come to read (languages, slow motion): a hostile value must
# be a correct page (ignored) or a 400, whichever the page chooses.
EITHER_QUERIES = [
    "lang=../../etc/passwd", "lang=%3Cscript%3Ealert(1)%3C/script%3E", "lang=" + "x" * 500,
    "lang=en&lang=fr", "slow=-1", "slow=1e308", "slow=NaN", "speed=99999999999999999999",
]


def corpus():
    """(query, targets): targets None for a 400, "either" for 200-or-400."""
    return ([(query(fetch=spec), None) for spec in BAD_SPECS]
            + [(raw, None) for raw in BAD_QUERIES]
            + list(FINE_QUERIES.items())
            + [(raw, "either") for raw in EITHER_QUERIES])


def problems_with(response, targets, style):
    """What is wrong with one answer to the corpus; an empty list if nothing."""
    body = response.body.decode("utf-8", "replace")
    expected = {400} if targets is None else {200, 400} if targets == "either" else {200}
    if response.code not in expected:
        return [f"status {response.code}: {body[:200]}"]
    if response.request.headers["Accept"] != "application/json":
        if not response.headers["Content-Type"].startswith("text/html"):
            return [f"Content-Type {response.headers['Content-Type']}"]
        return [f"unescaped {mark!r}" for mark in MARKUP if mark in body]
    answer = json.loads(body)
    if response.code == 400:
        ok = isinstance(answer.get("error"), str) and 0 < len(answer["error"]) <= 400
        return [] if ok else [f"a 400 without a clear message: {body[:200]}"]
    if answer["style"] != style:
        return [f"style {answer['style']!r}"]
    if targets != "either" and [row["target"] for row in answer["results"]] != targets:
        return [f"targets {[row['target'] for row in answer['results']][:5]}..."]
    return []


@pytest.mark.gen_test(timeout=60)
@pytest.mark.parametrize("style", STYLE_NAMES)
async def test_the_hostile_corpus_gets_400s_or_correct_pages(
        http_client, base_url, app, config, outbound, style, caplog):
    asked = [(raw, targets, accept) for raw, targets in corpus()
             for accept in ("application/json", "text/html")]
    responses = await asyncio.gather(*(
        http_client.fetch(f"{base_url}/{style}?{raw}", raise_error=False,
                          headers={"Accept": accept})
        for raw, _, accept in asked))
    problems = {(raw[:120], accept): found
                for (raw, targets, accept), response in zip(asked, responses, strict=True)
                if (found := problems_with(response, targets, style))}
    assert_only_allowed_went_out(app, config, outbound)
    assert problems == {}
    # The spies saw the allowed fetches go out: they would have seen others.
    assert config.targets[OPERATOR] in outbound["fetched"]
    assert app.catalog.names[REFUSED] in outbound["fetched"]
    assert errors_logged(caplog) == []


def test_the_corpus_is_at_least_a_hundred_requests():
    assert len(corpus()) + len(SITE_CORPUS) + len(RAW_CORPUS) >= 100


# Other pages: (method, path, expected status).
SITE_CORPUS = [
    ("GET", "/?" + query(fetch="http://169.254.169.254/"), 200),
    ("GET", "/?scenario=%3Cscript%3Ealert(1)%3C/script%3E", 400),  # the page names it
    ("GET", "/upstream/x?delay_ms=-1", 400),
    ("GET", "/upstream/x?bytes=10000001", 400),
    ("GET", "/upstream/x?status=99", 400),
    ("GET", "/upstream/x?status=200&status=500", 400),
    ("GET", "/upstream/x?url=http://example.com/", 400),
    ("GET", "/upstream/x?delay_ms=%ff", 400),
    ("GET", "/upstream/x?delay_ms=1%0d%0aSet-Cookie:%20a=b", 400),
    ("GET", "/upstream/%2e%2e", 400),
    ("GET", "/upstream/..%2F..%2Fetc%2Fpasswd", 400),
    ("GET", "/upstream/%3Cscript%3Ealert(1)%3C%2Fscript%3E", 400),
    ("GET", "/upstream/x%00", 400),
    ("GET", "/upstream/", 400),
    ("GET", "/upstream/x/y", 404),
    ("GET", "/upstream/x?bytes=0", 200),
    ("GET", "/../../etc/passwd", 404),
    ("GET", "/static/%2e%2e/setup.py", 403),
    ("GET", "/static/..%2fsetup.py", 403),
    ("GET", "/static/nope.css", 404),
    ("GET", "/callbacks/extra", 404),
    ("GET", "/CALLBACKS", 404),
    ("GET", "/%3Cscript%3Ealert(1)%3C/script%3E", 404),
    ("GET", "/stats?x=%00", 200),
    ("HEAD", "/callbacks", 200),  # HEAD answers wherever GET does (issue 18)
    ("OPTIONS", "/callbacks", 405),
    ("POST", "/callbacks", 403),
    ("PUT", "/upstream/x", 403),
    ("DELETE", "/stats", 403),
    ("PATCH", "/", 403),
]


@pytest.mark.gen_test(timeout=30)
async def test_the_rest_of_the_site_answers_hostile_requests_clearly(
        http_client, base_url, app, config, outbound, caplog):
    answers = {}
    for method, path, expected in SITE_CORPUS:
        response = await http_client.fetch(
            base_url + path, method=method, raise_error=False, allow_nonstandard_methods=True,
            body=b"" if method in ("POST", "PUT", "PATCH") else None)
        body = response.body.decode("utf-8", "replace")
        if response.code != expected or any(mark in body for mark in MARKUP):
            answers[(method, path)] = (response.code, body[:200])
    assert answers == {}
    assert_only_allowed_went_out(app, config, outbound)
    assert errors_logged(caplog) == []


async def send_raw(port, data):
    """Sends bytes no HTTP client would; returns the status line, b"" if there was none."""
    stream = IOStream(socket.socket())
    await stream.connect(("127.0.0.1", port))
    try:
        await stream.write(data)
        answer = await stream.read_until_close()
    except StreamClosedError:  # reset: the server hung up before reading it all
        answer = b""
    finally:
        stream.close()
    return answer.split(b"\r\n", 1)[0]


CLOSE = b"Connection: close\r\n\r\n"
HOST = b"Host: localhost\r\n"
# Raw requests and the status line each must get.
RAW_CORPUS = [
    (b"GET / HTTP/1.1\r\n" + CLOSE, b"HTTP/1.1 400 Bad Request"),  # no Host
    (b"GET /stats HTTP/1.1\r\nHost: localhost\r\nHost: evil.example\r\n" + CLOSE,
     b"HTTP/1.1 400 Bad Request"),
    (b"GET /stats HTTP/1.1\r\nHost: localhost,evil.example\r\n" + CLOSE,
     b"HTTP/1.1 400 Bad Request"),
    (b"GET /stats\x00 HTTP/1.1\r\n" + HOST + CLOSE, b"HTTP/1.1 400 Bad Request"),
    (b"GET /callbacks?fetch=a\rb HTTP/1.1\r\n" + HOST + CLOSE, b"HTTP/1.1 400 Bad Request"),
    ("GET /upstream/ü HTTP/1.1\r\n".encode() + HOST + CLOSE, b"HTTP/1.1 400 Bad Request"),
    (b"GET /upstream/\xff HTTP/1.1\r\n" + HOST + CLOSE, b"HTTP/1.1 400 Bad Request"),
    (b"GET http://evil.example/stats HTTP/1.1\r\n" + HOST + CLOSE, b"HTTP/1.1 404 Not Found"),
    (b"OPTIONS * HTTP/1.1\r\n" + HOST + CLOSE, b"HTTP/1.1 404 Not Found"),
    (b"BREW /callbacks HTTP/1.1\r\n" + HOST + CLOSE, b"HTTP/1.1 405 Method Not Allowed"),
    (b"PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n", b"HTTP/1.1 400 Bad Request"),
    (b"\x16\x03\x01\x02\x00\x01\x00\x01\xfc\x03\x03\r\n\r\n", b"HTTP/1.1 400 Bad Request"),
    (b"GET /stats HTTP/1.0\r\n\r\n", b"HTTP/1.1 200 OK"),  # HTTP/1.0 needs no Host
    # A head over Tornado's 64 KB limit: the connection is closed, with no answer.
    (b"GET /callbacks?" + b"fetch=x&" * 10_000 + b" HTTP/1.1\r\n" + HOST + CLOSE, b""),
    (b"GET / HTTP/1.1\r\n" + HOST + b"X-Big: " + b"a" * 70_000 + b"\r\n" + CLOSE, b""),
]


@pytest.mark.gen_test(timeout=30)
async def test_malformed_http_is_refused_by_the_server_itself(
        http_client, base_url, http_port, app, config, outbound, caplog):
    answers = [await send_raw(http_port, data) for data, _ in RAW_CORPUS]
    assert answers == [status for _, status in RAW_CORPUS]
    assert_only_allowed_went_out(app, config, outbound)
    assert errors_logged(caplog) == []
    # And it still serves.
    assert (await http_client.fetch(f"{base_url}/stats")).code == 200


@pytest.mark.parametrize("host, loopback", [
    ("localhost", True), ("127.0.0.1", True), ("127.0.0.2", True), ("[::1]", True),
    ("::1", True), ("evil.example", False), ("localhost.evil.example", False),
    ("127.0.0.1.nip.io", False), ("localhost.", False), ("0.0.0.0", False),
    ("10.0.0.1", False), ("", False), ("[evil]", False),
])
def test_is_loopback(host, loopback):
    assert is_loopback(host) is loopback


@pytest.mark.gen_test
@pytest.mark.parametrize("path", ["/", "/callbacks", "/upstream/x", "/stats", "/nope",
                                  "/static/site.css", "/highlight.css"])
@pytest.mark.parametrize("host", ["evil.example", "evil.example:8888", "localhost.evil.example",
                                  "127.0.0.1.nip.io", "192.168.1.10"])
async def test_a_foreign_host_name_is_refused_everywhere(
        http_client, base_url, outbound, path, host):
    # DNS rebinding: evil.example now resolves to 127.0.0.1, but says its own name.
    response = await http_client.fetch(base_url + path, raise_error=False,
                                       headers={"Host": host, "Accept": "application/json"})
    assert response.code == 403
    message = json.loads(response.body)["error"]
    assert repr(host) in message and "localhost, 127.0.0.1 or [::1]" in message
    assert outbound["fetched"] == []


@pytest.mark.gen_test
@pytest.mark.parametrize("host", ["localhost", "LOCALHOST:80", "127.0.0.1:1", "[::1]:8888",
                                  "127.0.0.2"])
async def test_the_machines_own_names_are_served(http_client, base_url, host):
    response = await http_client.fetch(f"{base_url}/callbacks?fetch=python.org",
                                       headers={"Host": host})
    assert response.code == 200


@pytest.mark.gen_test
@pytest.mark.parametrize("config", ["0.0.0.0"], indirect=True)
async def test_bound_beyond_this_machine_any_host_name_is_served(http_client, base_url, config):
    # Listening on every interface is the operator's choice to be reached by other names.
    response = await http_client.fetch(f"{base_url}/callbacks?fetch=python.org",
                                       headers={"Host": "demo.example.org"})
    assert response.code == 200


@pytest.mark.gen_test
@pytest.mark.parametrize("method", ["POST", "PUT", "DELETE", "PATCH"])
async def test_a_cross_site_write_is_refused_by_the_xsrf_check(http_client, base_url, method):
    response = await http_client.fetch(
        f"{base_url}/coroutines", method=method, raise_error=False,
        allow_nonstandard_methods=True, body=None if method == "DELETE" else b"",
        headers={"Accept": "application/json"})
    assert response.code == 403
    assert "_xsrf" in json.loads(response.body)["error"]


@pytest.mark.gen_test
async def test_a_write_with_the_xsrf_token_gets_past_the_check(http_client, base_url):
    # Past the check, no page takes a POST yet: 405, where no token gets 403.
    response = await http_client.fetch(
        f"{base_url}/coroutines", method="POST", raise_error=False, body="_xsrf=8f2a",
        headers={"Cookie": "_xsrf=8f2a", "Accept": "application/json"})
    assert response.code == 405


@pytest.mark.gen_test
async def test_reading_a_page_sets_no_cookie(http_client, base_url):
    for path in ["/", "/callbacks", "/stats"]:
        response = await http_client.fetch(base_url + path)
        assert "Set-Cookie" not in response.headers


# Every kind of answer: (method, path, extra headers, status).
EVERY_KIND_OF_ANSWER = [
    ("GET", "/", {}, 200),
    *[("GET", f"/{style}?fetch=python.org", {}, 200) for style in STYLE_NAMES],
    ("GET", "/upstream/x", {}, 200),
    ("GET", "/upstream/x?status=503", {}, 503),
    ("GET", "/highlight.css", {}, 200),
    ("GET", "/static/site.css", {}, 200),
    ("GET", "/static/app.js", {}, 200),
    ("GET", "/stats", {}, 200),
    ("GET", "/static/nope.css", {}, 404),
    ("GET", "/static/%2e%2e/setup.py", {}, 403),
    ("GET", "/nope", {}, 404),
    ("GET", "/callbacks?fetch=http://example.com/", {}, 400),
    ("GET", "/callbacks?fetch=%ff", {}, 400),
    ("GET", "/callbacks?fetch=http://example.com/", {"Accept": "application/json"}, 400),
    ("GET", "/", {"Host": "evil.example"}, 403),
    ("POST", "/callbacks", {}, 403),
    ("HEAD", "/callbacks", {}, 200),  # HEAD answers wherever GET does (issue 18)
]


@pytest.mark.gen_test
@pytest.mark.parametrize("method, path, headers, status", EVERY_KIND_OF_ANSWER,
                         ids=[f"{status}-{method}-{path}" for method, path, _, status
                              in EVERY_KIND_OF_ANSWER])
async def test_every_answer_sends_the_security_headers(
        http_client, base_url, method, path, headers, status):
    response = await http_client.fetch(base_url + path, method=method, headers=headers,
                                       raise_error=False, allow_nonstandard_methods=True,
                                       body=b"" if method == "POST" else None)
    assert response.code == status
    policy = response.headers.get("Content-Security-Policy", "")
    assert "default-src 'self'" in policy and "frame-ancestors 'none'" in policy
    assert "unsafe-inline" not in policy
    assert response.headers.get("X-Content-Type-Options") == "nosniff"


@pytest.mark.gen_test
@pytest.mark.parametrize("style", STYLE_NAMES)
async def test_a_visitors_words_come_back_escaped(http_client, base_url, style):
    hostile = '"><svg onload=alert(1)>'
    response = await http_client.fetch(f"{base_url}/{style}?{query(scenario=hostile)}",
                                       raise_error=False)
    assert response.code == 400
    assert hostile not in response.body.decode()
    result = await get_json(http_client, f"{base_url}/{style}?{query(fetch=hostile)}", 400)
    assert hostile[:40] in result["error"]  # JSON carries it as data, quoted


@pytest.fixture
def bounded(app, io_loop):
    """The app behind the server `python -m webdemo` runs, its bounds made small."""
    sock = bind_sockets(0, "127.0.0.1", family=socket.AF_INET)[0]
    server = Server(app, header_seconds=0.5, body_seconds=0.5, per_address=3)
    server.add_sockets([sock])
    server.port = sock.getsockname()[1]
    yield server
    server.stop()


async def connection(server, source="127.0.0.2"):
    sock = socket.socket()
    sock.bind((source, 0))
    stream = IOStream(sock)
    await stream.connect(("127.0.0.1", server.port))
    return stream


async def what_comes_before_the_close(stream):
    """What the server sends before it closes the connection (the test's timeout if never)."""
    return await stream.read_until_close()


@pytest.mark.gen_test(timeout=10)
async def test_slow_half_sent_and_idle_connections_are_closed(bounded):
    slow = await connection(bounded)
    await slow.write(b"GET / HTTP/1.1\r\nHost: 127.0.0.1\r\n")  # and never the end
    silent = await connection(bounded)
    half_body = await connection(bounded)
    await half_body.write(b"POST /costs/bench HTTP/1.1\r\nHost: 127.0.0.1\r\n"
                          b"Content-Length: 100\r\n\r\nhalf")
    for stream in (slow, silent, half_body):
        assert await what_comes_before_the_close(stream) == b""
    # A keep-alive connection, once answered, is closed when it stays idle.
    idle = await connection(bounded)
    await idle.write(b"GET /upstream/x HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n")
    assert (await what_comes_before_the_close(idle)).startswith(b"HTTP/1.1 200 OK")


@pytest.mark.gen_test(timeout=10)
async def test_connections_from_one_address_are_bounded_and_others_are_served(bounded):
    server = bounded
    held = [await connection(bounded) for _ in range(3)]
    await held[-1].write(b"GET /upstream/x HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n")
    await held[-1].read_until(b"\r\n\r\n")  # all three accepted
    over = await connection(bounded)
    assert await what_comes_before_the_close(over) == b""  # refused, before any request
    other = await connection(bounded, source="127.0.0.3")
    await other.write(b"GET /upstream/x HTTP/1.1\r\nHost: 127.0.0.1\r\n"
                      b"Connection: close\r\n\r\n")
    assert (await what_comes_before_the_close(other)).startswith(b"HTTP/1.1 200 OK")
    held[0].close()
    await until(lambda: server.connections_from["127.0.0.2"] < 3)
    again = await connection(bounded)  # room again once one has gone
    await again.write(b"GET /upstream/x HTTP/1.1\r\nHost: 127.0.0.1\r\n"
                      b"Connection: close\r\n\r\n")
    assert (await what_comes_before_the_close(again)).startswith(b"HTTP/1.1 200 OK")
    for stream in held:
        stream.close()


def test_at_the_open_file_limit_the_log_says_so_once_not_per_connection(tmp_path):
    # The server as a user runs it, with few files: 600 connections at once exhaust them.
    # Tornado's own accept loop would log a traceback on every turn of the loop (EMFILE).
    few_files = ("import resource, runpy, sys; "
                 "resource.setrlimit(resource.RLIMIT_NOFILE, (300, 300)); "
                 "sys.argv = ['webdemo', '--port', '0']; "
                 "runpy.run_module('webdemo', run_name='__main__')")
    log_path = tmp_path / "stderr.log"
    with open(log_path, "wb") as log:
        server = subprocess.Popen([sys.executable, "-c", few_files], stdout=subprocess.PIPE,
                                  stderr=log, text=True)
    held = []
    try:
        port = int(re.search(r":(\d+)/", server.stdout.readline()).group(1))
        for _ in range(600):
            held.append(socket.create_connection(("127.0.0.1", port)))
        deadline = time.monotonic() + 10
        while "out of open files" not in log_path.read_text():
            assert time.monotonic() < deadline, log_path.read_text()[-2000:]
            time.sleep(0.05)
        for sock in held:
            sock.close()
        held = []
        # Files free again: it serves.
        with socket.create_connection(("127.0.0.1", port)) as sock:
            sock.sendall(b"GET /stats HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n\r\n")
            sock.settimeout(10)
            assert sock.recv(100).startswith(b"HTTP/1.1 200 OK")
    finally:
        for sock in held:
            sock.close()
        server.terminate()
        server.wait(timeout=10)
        server.stdout.close()
    log = log_path.read_text()
    assert log.count("out of open files") == 1 and "Traceback" not in log, log[-2000:]
