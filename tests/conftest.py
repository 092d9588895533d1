import asyncio
import socket

import pytest
from broken_upstream import BrokenUpstream
from tornado.ioloop import IOLoop
from tornado.netutil import bind_sockets

from webdemo.app import LISTEN_BACKLOG, App, Config
from webdemo.run.aggregate import AggregateHandler


@pytest.fixture
def io_loop():
    """pytest-tornado's loop, made current the way Tornado 6.2+ asks (as AsyncTestCase does)."""
    loop = IOLoop(make_current=False)
    asyncio.set_event_loop(loop.asyncio_loop)
    yield loop
    asyncio.set_event_loop(None)
    loop.close(all_fds=True)


@pytest.fixture
def _unused_port():
    """pytest-tornado's server socket, with the backlog the app itself listens with.

    A fan-out of 200 fetches this same server connects 200 times at once; Tornado's
    default backlog of 128 would drop the rest until SYN retransmission, a second later.
    """
    sock = bind_sockets(0, "127.0.0.1", family=socket.AF_INET, backlog=LISTEN_BACKLOG)[0]
    yield sock, sock.getsockname()[1]
    sock.close()  # the server closes it too, but not when a test fails before starting it


@pytest.fixture
def config(http_port):
    # A short timeout keeps the hang and refusal cases quick.
    return Config(port=http_port, timeout=1.0)


@pytest.fixture
def app(io_loop, config):
    app = App(config)
    yield app
    app.close()


@pytest.fixture
def sent(monkeypatch):
    """The index of each fetch the runs send to the client, in order: a fetch still in
    line when its visitor left is never sent."""
    indexes = []
    send = AggregateHandler.send

    def counting(handler, index, request, raise_error):
        indexes.append(index)
        return send(handler, index, request, raise_error)

    monkeypatch.setattr(AggregateHandler, "send", counting)
    return indexes


@pytest.fixture
def broken(io_loop):
    """The deliberately broken upstream; its faults become operator targets in `config`."""
    upstream = BrokenUpstream()
    io_loop.run_sync(upstream.start)
    yield upstream
    io_loop.run_sync(upstream.stop)
