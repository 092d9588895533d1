"""The least Tornado can do for webdemo's job, as the yardstick for its speed.

The routes and JSON of aiohttp_reference.py, served by Tornado with its defaults (an
Etag over every answer included) and fetched through the app's client, curl: no
validation, no events, no page. What webdemo costs beyond this is its own.

    python benchmarks/tornado_reference.py [--port 0] [--loop asyncio|uvloop]
                                           [--upstream http://127.0.0.1:PORT] [--timeout 3]

--upstream fetches the pages from another server (instructions.py's, so that they are not
counted with this one); by default it serves them itself.
"""

import argparse
import asyncio
import time

from tornado.curl_httpclient import CurlAsyncHTTPClient
from tornado.web import Application, RequestHandler

FILLER = b"x" * 10_000_000


class Upstream(RequestHandler):
    async def get(self, name):
        await asyncio.sleep(int(self.get_argument("delay_ms", "0")) / 1000)
        self.set_header("Content-Type", "text/html")
        self.finish(FILLER[:int(self.get_argument("bytes", "1024"))])


class Aggregate(RequestHandler):
    async def get(self):
        started = time.perf_counter()

        async def fetch(spec):
            start_ms = (time.perf_counter() - started) * 1000
            try:
                response = await self.application.client.fetch(self.application.base + spec)
                row = {"status": response.code, "bytes": len(response.body), "error": None}
            except Exception as error:  # a failure is a row, as in webdemo
                row = {"status": getattr(error, "code", None), "bytes": 0, "error": str(error)}
            end_ms = (time.perf_counter() - started) * 1000
            return {"target": spec, **row, "start_ms": start_ms, "end_ms": end_ms}

        rows = await asyncio.gather(*(fetch(spec) for spec in self.get_arguments("fetch")))
        self.finish({
            "style": "tornado", "elapsed_ms": (time.perf_counter() - started) * 1000,
            "ok": sum(row["error"] is None for row in rows),
            "failed": sum(row["error"] is not None for row in rows), "results": rows,
        })


async def main(port, upstream, timeout):
    app = Application([(r"/upstream/([^/]*)", Upstream), (r"/aggregate", Aggregate)])
    app.client = CurlAsyncHTTPClient(force_instance=True, max_clients=200,
                                     defaults=dict(connect_timeout=timeout,
                                                   request_timeout=timeout))
    server = app.listen(port, "127.0.0.1", backlog=2048)
    port = next(iter(server._sockets.values())).getsockname()[1]
    app.base = upstream or f"http://127.0.0.1:{port}"
    print(f"tornado reference: open http://127.0.0.1:{port}/ on "
          f"{type(asyncio.get_running_loop()).__module__.split('.')[0]}", flush=True)
    await asyncio.Event().wait()


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--port", type=int, default=0)
    parser.add_argument("--loop", choices=["asyncio", "uvloop"], default="asyncio")
    parser.add_argument("--upstream", help="where the pages are: http://127.0.0.1:PORT")
    parser.add_argument("--timeout", type=float, default=3, help="per fetch, in seconds")
    args = parser.parse_args()
    factory = None
    if args.loop == "uvloop":
        import uvloop
        factory = uvloop.new_event_loop
    with asyncio.Runner(loop_factory=factory) as runner:
        runner.run(main(args.port, args.upstream, args.timeout))
