"""An event stream whose reader has stopped reading is cut, a live run's or a class
page's; one who reads slowly is not (issue 21). Real sockets on loopback: the reader's
receive buffer is kept small, as a stopped reader's fills, so that what the server sends
has nowhere to go but its own buffer."""

import asyncio
import functools
import logging
import re
import select
import socket
import time

import pytest
from class_client import Visitor
from helpers import errors_logged, query

from webdemo import base
from webdemo.app import Config

STALL = 2  # seconds: the bound (base.STALL_SECONDS), short for the tests
RECEIVE_BUFFER = 4096
FETCHES = 200
# 200 fetches one at a time: their fetch-start and queued events at once, then each
# fetch's as it goes, for some 20 s, and the aggregate.
LONG_RUN = "/coroutines?" + query(fetch=["/upstream/stall?delay_ms=100"] * FETCHES,
                                  limit=1, format="events")
# 200 fetches in a few seconds: some 100 KB of events, then a 125 KB aggregate.
SHORT_RUN = "/coroutines?" + query(fetch=["/upstream/slow?delay_ms=10"] * FETCHES,
                                   limit=1, format="events")


@pytest.fixture
def config(http_port, tmp_path):
    return Config(port=http_port, timeout=1.0, data_dir=tmp_path)  # classes of its own


async def ask(port, path, headers=""):
    """A connection with a small receive buffer (set before connecting: it is the window
    the reader offers), that has asked for `path`."""
    loop = asyncio.get_running_loop()
    sock = socket.socket()
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, RECEIVE_BUFFER)
    sock.setblocking(False)
    await loop.sock_connect(sock, ("127.0.0.1", port))
    await loop.sock_sendall(sock, f"GET {path} HTTP/1.1\r\nHost: 127.0.0.1\r\n"
                                  f"{headers}Connection: close\r\n\r\n".encode())
    return sock


def was_reset(sock):
    """Whether the server has reset the connection, found without reading anything."""
    poller = select.poll()
    poller.register(sock, 0)  # POLLHUP and POLLERR are always reported
    return any(events & (select.POLLHUP | select.POLLERR) for _, events in poller.poll(0))


def cut_lines(caplog):
    return [record for record in caplog.records if "its reader took nothing" in
            record.getMessage()]


def events(body):
    """The (name, data text) of each server-sent event of a chunked HTTP answer."""
    head, chunked = body.split(b"\r\n\r\n", 1)
    assert b"Transfer-Encoding: chunked" in head
    text = b""
    while True:
        size, rest = chunked.split(b"\r\n", 1)
        size = int(size, 16)
        if not size:
            break
        text, chunked = text + rest[:size], rest[size + 2:]
    return re.findall(r"event: (\w+)\ndata: (.*)\n\n", text.decode())


@pytest.mark.gen_test(timeout=30)
async def test_a_stream_whose_reader_reads_nothing_is_cut(http_server, http_port, sent,
                                                         monkeypatch, caplog):
    monkeypatch.setattr(base, "STALL_SECONDS", STALL)
    app = http_server.request_callback
    sock = await ask(http_port, LONG_RUN)
    try:
        began = time.monotonic()
        # The kernel takes some 60 KB, then the events wait in the server: the cut comes
        # STALL s later, long before the run's 20 s.
        while not was_reset(sock):
            assert time.monotonic() < began + 12, "a reader who reads nothing kept its stream"
            await asyncio.sleep(0.05)
        while app.live_streams:  # its run ends with its one fetch in flight
            assert time.monotonic() < began + 15, "the run outlived its reader"
            await asyncio.sleep(0.05)
    finally:
        sock.close()
    assert app.live_admission.shares.held == 0  # its turn given back, once
    assert 0 < len(sent) < FETCHES  # those still in line were never sent
    [line] = cut_lines(caplog)
    assert line.levelno == logging.WARNING and line.exc_info is None
    assert errors_logged(caplog) == []


@pytest.mark.gen_test(timeout=30)
async def test_a_reader_who_reads_slowly_gets_the_whole_stream(http_server, http_port, sent,
                                                              monkeypatch, caplog):
    monkeypatch.setattr(base, "STALL_SECONDS", STALL)
    loop = asyncio.get_running_loop()
    sock = await ask(http_port, SHORT_RUN)
    began = time.monotonic()
    body = b""
    try:
        while True:  # 4 KB each 0.1 s: 40 KB a second, a slow phone's pace
            received = await asyncio.wait_for(loop.sock_recv(sock, 4096), STALL * 2)
            if not received:
                break
            body += received
            await asyncio.sleep(0.1)
    finally:
        sock.close()
    # Longer than the bound, with most of it waiting in the server: the reader is judged
    # by what it takes, not by how long all it has yet to take waits.
    assert time.monotonic() - began > STALL * 2
    streamed = events(body)
    names = [name for name, _ in streamed]
    assert names[0] == "run" and names[-1] == "aggregate"
    # Each fetch started, sent and resumed; all but the first queued.
    assert names.count("event") == FETCHES * 4 - 1
    assert len(sent) == FETCHES
    assert cut_lines(caplog) == []
    assert errors_logged(caplog) == []


@pytest.mark.gen_test(timeout=30)
async def test_a_class_page_whose_reader_reads_nothing_is_cut(http_server, http_port, base_url,
                                                             monkeypatch, caplog):
    monkeypatch.setattr(base, "STALL_SECONDS", STALL)
    app = http_server.request_callback
    loop = asyncio.get_running_loop()
    teacher = Visitor(base_url)  # a blocking client: in a thread, beside the server's loop
    code = await loop.run_in_executor(None, teacher.open_class)
    sock = await ask(http_port, f"/class/{code}/teach/events",
                     f"Cookie: {teacher.headers()['Cookie']}\r\n")
    try:
        began, leads = time.monotonic(), 0
        while not was_reset(sock):  # each move of the class is told to the board
            assert time.monotonic() < began + 20, "a board that reads nothing kept its stream"
            leads += 1
            move = {"lesson": 1, "step": "predict", "spread": str(leads % 2)}
            status, _, body = await loop.run_in_executor(
                None, functools.partial(teacher.post, f"/class/{code}/teach/lead", move))
            assert status == 200, body
            await asyncio.sleep(0.01)  # the hub tells the board
        while app.classes.streams:
            assert time.monotonic() < began + 20, "the board's stream outlived its reader"
            await asyncio.sleep(0.05)
    finally:
        sock.close()
        # The hub's poller, ended while the loop runs (the app's close only cancels it).
        app.classes.poller.cancel()
        await asyncio.wait([app.classes.poller])
    [line] = cut_lines(caplog)
    assert line.levelno == logging.WARNING and line.exc_info is None
    assert errors_logged(caplog) == []
