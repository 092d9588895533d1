"""The blocking demo's own event loop: a short-lived server for one visitor's demo.

The demo blocks its loop on purpose (time.sleep() in a handler). On the loop that serves
everyone, every visitor would stall with it; so each demo runs in a process of its own,
which serves both of that visitor's columns and the simulated sites they fetch: one
thread, and a sleep stops both columns, for that visitor and nobody else. The server
starts it (webdemo/pages/breakit.py, BlockingLoops) as

    python -m webdemo.blocking_loop TIMEOUT

It prints its port, then serves until its stdin ends or LIFE_SECONDS have passed.
"""

import asyncio
import socket
import sys

from tornado.httpserver import HTTPServer
from tornado.netutil import bind_sockets

from webdemo.app import App, Config

LIFE_SECONDS = 120  # far more than a demo takes: its two runs, bounded by the timeout


async def main(timeout: float) -> None:
    sock = bind_sockets(0, "127.0.0.1", family=socket.AF_INET)[0]
    port = sock.getsockname()[1]
    # Its own loop's demo, on a few slots: one visitor's two columns.
    app = App(Config(port=port, timeout=timeout, max_clients=20, own_loop=True))
    server = HTTPServer(app)
    server.add_sockets([sock])
    print(port, flush=True)
    loop = asyncio.get_running_loop()
    ended = loop.create_future()
    loop.add_reader(sys.stdin.fileno(), lambda: ended.done() or ended.set_result(None))
    try:
        await asyncio.wait_for(ended, LIFE_SECONDS)
    except TimeoutError:
        pass
    finally:
        server.stop()
        app.close()


if __name__ == "__main__":
    asyncio.run(main(float(sys.argv[1])))
