"""The simulated upstream sites, so the demo runs with no network.

GET /upstream/NAME?delay_ms=D&bytes=B&status=S waits D ms, then answers status S
with a B-byte HTML page titled NAME; with &links=a,b,c the page links to those
catalog names first (<a href="a">), as far as B bytes hold them.
"""

import asyncio

from tornado.escape import xhtml_escape

from webdemo.base import BaseHandler
from webdemo.catalog import check_name, simulator_params

FILLER = b"<p>Simulated content, to make up the size that was asked for.</p>\n"
# FILLER repeated, as long as the longest page asked for so far (at most the simulator's
# largest): each page is its head and a slice of it, made in one copy.
filler = memoryview(b"")


def page(name, size, links=()):
    global filler
    head = f"<!doctype html>\n<title>{xhtml_escape(name)}</title>\n".encode()
    head += "".join(f'<a href="{xhtml_escape(link)}">{xhtml_escape(link)}</a>\n'
                    for link in links).encode()
    head = head[:size]
    rest = size - len(head)
    if len(filler) < rest:
        filler = memoryview(FILLER * (rest // len(FILLER) + 1))
    return head + filler[:rest]


class UpstreamHandler(BaseHandler):
    async def get(self, name):
        check_name(name)
        params = simulator_params(self.query_arguments())
        # A fetcher that gives up (a timeout) closes the connection: stop waiting then,
        # rather than holding a sleeping request for up to 30 s. A page that waits 0 ms
        # (most of a benchmark's) needs no Task: each costs a turn of the loop.
        if params["delay_ms"]:
            self.sleeping = asyncio.ensure_future(asyncio.sleep(params["delay_ms"] / 1000))
            try:
                await self.sleeping
            except asyncio.CancelledError:
                return
        status = params["status"]
        self.set_status(status)
        if status < 200:
            # A 1xx promises a final answer to follow: hang up instead, as a broken
            # upstream would.
            self.finish()
            self.request.connection.close()
            return
        if status in (204, 304):  # statuses that HTTP sends with no body
            return
        self.set_header("Content-Type", "text/html; charset=utf-8")
        self.finish(page(name, params["bytes"], params.get("links", ())))

    def compute_etag(self):
        # A simulated page is fetched, never revalidated: Tornado's default would hash
        # every answer, 2% of an aggregate's CPU.
        return None

    def on_connection_close(self):
        if hasattr(self, "sleeping"):
            self.sleeping.cancel()
