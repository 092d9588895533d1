"""A minimal aiohttp server doing webdemo's job, as a yardstick for its speed.

The same two routes the benchmarks use: a simulated upstream, and an aggregate
that fetches the given simulator paths at once and answers their rows as JSON.
It validates nothing and renders no page: it is what the job costs at least.

    python benchmarks/aiohttp_reference.py --port 0
"""

import argparse
import asyncio
import time

from aiohttp import ClientSession, ClientTimeout, TCPConnector, web

FILLER = b"x" * 10_000_000


async def upstream(request):
    await asyncio.sleep(int(request.query.get("delay_ms", 0)) / 1000)
    return web.Response(body=FILLER[:int(request.query.get("bytes", 1024))],
                        content_type="text/html")


async def aggregate(request):
    base = request.app["base"]["url"]
    started = time.perf_counter()

    async def fetch(spec):
        start_ms = (time.perf_counter() - started) * 1000
        try:
            async with request.app["session"].get(base + spec) as response:
                body = await response.read()
                row = {"status": response.status, "bytes": len(body), "error": None}
        except Exception as error:  # a failure is a row, as in webdemo
            row = {"status": None, "bytes": 0, "error": str(error)}
        end_ms = (time.perf_counter() - started) * 1000
        return {"target": spec, **row, "start_ms": start_ms, "end_ms": end_ms}

    rows = await asyncio.gather(*(fetch(spec) for spec in request.query.getall("fetch")))
    return web.json_response({
        "style": "aiohttp", "elapsed_ms": (time.perf_counter() - started) * 1000,
        "ok": sum(row["error"] is None for row in rows),
        "failed": sum(row["error"] is not None for row in rows), "results": rows,
    })


async def main(port):
    app = web.Application()
    app["base"] = {}  # filled in once the port is known: the app is frozen by then
    app.add_routes([web.get("/upstream/{name}", upstream), web.get("/aggregate", aggregate)])
    app["session"] = ClientSession(connector=TCPConnector(limit=200),
                                   timeout=ClientTimeout(total=3))
    runner = web.AppRunner(app, access_log=None)
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", port, backlog=2048)
    await site.start()
    port = site._server.sockets[0].getsockname()[1]
    app["base"]["url"] = f"http://127.0.0.1:{port}"
    print(f"aiohttp reference: open http://127.0.0.1:{port}/", flush=True)
    try:
        await asyncio.Event().wait()
    finally:
        await app["session"].close()
        await runner.cleanup()


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--port", type=int, default=0)
    asyncio.run(main(parser.parse_args().port))
