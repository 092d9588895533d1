"""blocking_fetch, the threads' and greenlets' urllib: the Tornado client's limits and words."""

import contextlib
import socket
import ssl
import threading
import time

import pytest
import trustme
from helpers import aggregate
from tornado.httpclient import HTTPClientError
from tornado.simple_httpclient import HTTPStreamClosedError

from webdemo.app import Config
from webdemo.registry import STYLES
from webdemo.run import blocking
from webdemo.run.blocking import blocking_fetch
from webdemo.run.outcomes import describe


@pytest.fixture(scope="module")
def authority():
    """A test certificate authority that blocking_fetch trusts, in this process."""
    authority = trustme.CA()
    authority.configure_trust(blocking.TLS)
    return authority


@pytest.fixture(scope="module")
def tls(authority):
    """A TLS server context for 127.0.0.1, its certificate from `authority`."""
    context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    authority.issue_cert("127.0.0.1").configure_cert(context)
    return context


@pytest.fixture
def raw_upstream():
    """raw_upstream(answer, tls=None, read_request=True): a loopback port whose every
    connection gets answer(conn), over TLS with the server context `tls`; once the
    request is read, or before anything is, to speak TLS itself."""
    listeners = []

    def start(answer, tls=None, read_request=True):
        listener = socket.create_server(("127.0.0.1", 0))
        listeners.append(listener)

        def serve():
            with listener:
                while True:
                    try:
                        conn, _ = listener.accept()
                        if tls:
                            conn = tls.wrap_socket(conn, server_side=True)
                    except OSError:  # the test closed the listener, or the client left
                        return
                    with conn, contextlib.suppress(OSError):  # the client left
                        if read_request:
                            conn.recv(65536)
                        answer(conn)

        threading.Thread(target=serve, daemon=True).start()
        return f"{'https' if tls else 'http'}://127.0.0.1:{listener.getsockname()[1]}/"

    yield start
    for listener in listeners:
        listener.close()


def failure(url, timeout=2.0, **kwargs):
    with pytest.raises(Exception) as raised:
        blocking_fetch(url, timeout, **kwargs)
    return raised.value


@pytest.mark.parametrize("over_tls", [False, True], ids=["http", "https"])
def test_an_upstream_that_trickles_is_cut_at_the_deadline(raw_upstream, tls, over_tls):
    stop = threading.Event()

    def trickle(conn):  # a header byte every 0.1 s: each wait is short, the whole is not
        conn.sendall(b"HTTP/1.1 200 OK\r\n")
        while not stop.wait(0.1):
            conn.sendall(b"X")  # until the client leaves

    url = raw_upstream(trickle, tls if over_tls else None)
    started = time.monotonic()
    try:
        error = failure(url, timeout=0.5)
    finally:
        stop.set()
    assert describe(error) == "Timeout during request"
    assert 0.5 <= time.monotonic() - started < 0.9


def answer_in_one_slow_tls_record(conn, tls):
    """Completes the handshake, reads the request, then sends the whole answer as one
    TLS record, a byte every 0.05 s: no wait is long, and the record takes 3 s."""
    incoming, outgoing = ssl.MemoryBIO(), ssl.MemoryBIO()
    server = tls.wrap_bio(incoming, outgoing, server_side=True)

    def until_done(step):
        while True:
            try:
                return step()
            except ssl.SSLWantReadError:
                conn.sendall(outgoing.read())
                data = conn.recv(65536)
                if not data:
                    raise ConnectionResetError("the client left") from None
                incoming.write(data)

    until_done(server.do_handshake)
    conn.sendall(outgoing.read())
    until_done(lambda: server.read(65536))
    server.write(b"HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok")
    for byte in outgoing.read():
        conn.sendall(bytes([byte]))
        time.sleep(0.05)


@pytest.fixture
def config(http_port, raw_upstream, tls, authority, tmp_path, monkeypatch):
    """The app with an https --target that answers in one TLS record, slowly."""
    authority_file = tmp_path / "authority.pem"
    authority.cert_pem.write_to_path(str(authority_file))
    monkeypatch.setenv("SSL_CERT_FILE", str(authority_file))  # for the greenlet worker
    url = raw_upstream(lambda conn: answer_in_one_slow_tls_record(conn, tls),
                       read_request=False)
    return Config(port=http_port, timeout=0.5,
                  targets={"trickles": url.replace("http:", "https:")})


@pytest.mark.gen_test(timeout=10)
@pytest.mark.parametrize("style", [name for name, style in STYLES.items() if style.off_loop])
async def test_every_blocking_style_cuts_an_https_trickle_at_the_deadline(
        http_client, base_url, style):
    result = await aggregate(http_client, base_url, style, fetch=["trickles"])
    [row] = result["results"]
    assert row["error"] == "Timeout during request"
    assert row["end_ms"] - row["start_ms"] < 500 + 400  # 0.5 s, and what a busy CI adds


def test_a_body_over_the_limit_is_refused_as_tornado_does(raw_upstream):
    url = raw_upstream(lambda conn: conn.sendall(
        b"HTTP/1.1 200 OK\r\nContent-Length: 2000\r\n\r\n" + b"x" * 2000))
    assert blocking_fetch(url, 2.0, max_body=2000).body == b"x" * 2000
    assert describe(failure(url, max_body=1999), 1999) == (
        "the connection ended before the answer was complete: the upstream closed it, "
        "or its answer was malformed or larger than the 1,999-byte limit")


@pytest.mark.parametrize("answer", [
    b"",  # closed without a word
    b"HTTP/1.1 200 OK\r\nContent-Length: 50\r\n\r\nshort",
    b"hello\r\n\r\n",  # not HTTP
])
def test_a_broken_answer_fails_as_with_the_tornado_client(raw_upstream, answer):
    url = raw_upstream(lambda conn: conn.sendall(answer))
    error = failure(url)
    assert isinstance(error, HTTPStreamClosedError)  # what Tornado's client raises then
    assert describe(error).startswith("the connection ended before the answer was complete")


@pytest.mark.parametrize("error", [PermissionError(1, "Operation not permitted"),
                                   OSError(23, "Too many open files in system")])
def test_an_os_error_keeps_its_own_words(error):
    # Their numbers are also libcurl's for an answer cut short; they are not libcurl's.
    assert describe(error) == error.strerror


def test_informational_answers_before_the_answer_are_skipped(raw_upstream):
    # As Tornado's clients do: a 103 Early Hints, then the real answer.
    url = raw_upstream(lambda conn: conn.sendall(
        b"HTTP/1.1 103 Early Hints\r\nLink: </a.css>; rel=preload\r\n\r\n"
        b"HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok"))
    response = blocking_fetch(url, 2.0)
    assert (response.code, response.body) == (200, b"ok")


def test_a_tls_handshake_gets_only_what_connecting_left_of_the_deadline(
        raw_upstream, monkeypatch):
    connect = socket.create_connection

    def slow_connect(*args, **kwargs):  # a connection that takes 0.3 s of the 0.5
        time.sleep(0.3)
        return connect(*args, **kwargs)

    monkeypatch.setattr(socket, "create_connection", slow_connect)
    stop = threading.Event()
    # It takes the connection and the client's hello, and never answers it.
    url = raw_upstream(lambda conn: stop.wait(3)).replace("http:", "https:")
    started = time.monotonic()
    try:
        error = failure(url, timeout=0.5)
    finally:
        stop.set()
    assert describe(error) == "Timeout while connecting"
    assert time.monotonic() - started < 0.75  # not 0.3 s more for the handshake


def test_an_error_status_keeps_its_reason_and_body(raw_upstream):
    url = raw_upstream(lambda conn: conn.sendall(
        b"HTTP/1.1 503 Gone Fishing\r\nContent-Length: 4\r\n\r\nnope"))
    error = failure(url)
    assert isinstance(error, HTTPClientError)
    assert describe(error) == "HTTP 503: Gone Fishing"
    assert (error.response.code, error.response.body) == (503, b"nope")


def test_no_proxy_from_the_environment_is_used(raw_upstream, monkeypatch):
    url = raw_upstream(lambda conn: conn.sendall(
        b"HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok"))
    monkeypatch.setenv("http_proxy", "http://127.0.0.1:9/")  # would refuse
    assert blocking_fetch(url, 2.0).body == b"ok"
