"""The processes that `webdemo bench` starts, one job each; not run by hand.

    python -m webdemo.measure.child upstream
        serve the simulated pages, print their address
    python -m webdemo.measure.child run STYLE N UPSTREAM SETTINGS
        one measured run, printed as one JSON line
    python -m webdemo.measure.child client CLIENT N UPSTREAM SETTINGS
        the HTTP client alone: N fetches one after another, its CPU time as one JSON line

A run is the app itself (App and its HTTP server), asked for the aggregate over HTTP by
a client in that same process, as a visitor would ask, with the limit of fetches a page
raised to N for the bench alone. The simulated upstream is served by another process, so
its work is not counted.

A run is measured from just before its request to its answer, after a one-fetch warm-up
(which also starts the greenlet style's worker process): wall time, CPU time and voluntary
and involuntary context switches (resource.getrusage, as differences), peak memory (the
high-water mark of RSS, and where it stood before the run), and the threads alive at the
end (thread pools keep theirs, so it is their peak). The greenlet style's worker process
measures itself the same way, and its figures are added to the server's: it is part of
what that style costs. Its memory is also given apart (worker_*), to be charted apart.

The styles fetch with two HTTP clients: those on the loop with the app's Tornado client
(libcurl, by default), those that block with urllib. Their costs differ for that too, so
each client is also measured alone, on the same page without its delay.
"""

import argparse
import asyncio
import json
import sys
import time

from tornado.httpclient import AsyncHTTPClient
from tornado.httpserver import HTTPServer
from tornado.netutil import bind_sockets
from tornado.web import Application

from webdemo.app import HTTP_CLIENTS, LISTEN_BACKLOG, App, Config
from webdemo.registry import STYLES
from webdemo.run.blocking import blocking_fetch
from webdemo.run.metrics import usage
from webdemo.upstream import UpstreamHandler


async def serve_upstream():
    sockets = bind_sockets(0, "127.0.0.1", backlog=LISTEN_BACKLOG)
    HTTPServer(Application([(r"/upstream/([^/]*)", UpstreamHandler)])).add_sockets(sockets)
    print(f"http://127.0.0.1:{sockets[0].getsockname()[1]}/", flush=True)
    await asyncio.Event().wait()


def added(*usages):
    """The costs of several processes taken together."""
    return {key: sum(used[key] for used in usages) for key in usages[0]}


async def measure(style, fetches, upstream, settings):
    page = f"{upstream}upstream/bench?delay_ms={settings['delay_ms']}&bytes={settings['bytes']}"
    sockets = bind_sockets(0, "127.0.0.1", backlog=LISTEN_BACKLOG)
    config = Config(port=sockets[0].getsockname()[1], timeout=settings["timeout"],
                    max_clients=settings["max_clients"], max_fetches=fetches,
                    targets={"bench": page},
                    fair_shares=False)  # one run alone: it takes every slot, as measured
    app = App(config)
    server = HTTPServer(app)
    server.add_sockets(sockets)
    client = AsyncHTTPClient(force_instance=True)
    module = STYLES[style].worker_module

    async def costs():
        """This process's costs, and its worker's (or None)."""
        if not module:
            return usage(), None
        worker = app.workers.get(style)
        return usage(), (await worker.run({"usage": True}))["usage"]

    async def aggregate(count):
        # JSON by Accept, not format=json: Tornado parses at most 1000 query fields.
        response = await client.fetch(
            f"{config.url}{style}?" + "&".join(["fetch=bench"] * count),
            headers={"Accept": "application/json"},
            request_timeout=settings["max_run_seconds"] * 2 + 60)
        return json.loads(response.body)

    try:
        await aggregate(1)  # the warm-up
        before, worker_before = await costs()
        started = time.perf_counter()
        answer = await aggregate(fetches)
        wall_s = time.perf_counter() - started
        after, worker_after = await costs()
    finally:
        client.close()
        server.stop()
        app.close()
    if answer["failed"]:
        first = next(row for row in answer["results"] if row["error"])
        sys.exit(f"{answer['failed']} of {fetches} fetches failed, the first with: "
                 f"{first['error']}")
    worker = {}
    if worker_after:
        worker = {"worker_peak_rss_mb": round(worker_after["peak_rss_kb"] / 1024, 1),
                  "worker_rss_before_mb": round(worker_before["peak_rss_kb"] / 1024, 1)}
        before, after = added(before, worker_before), added(after, worker_after)
    return worker | {
        "style": style,
        "http_client": client_of(style, config),
        "fetches": fetches,
        "wall_ms": round(wall_s * 1000, 1),
        "cpu_ms": round((after["cpu_s"] - before["cpu_s"]) * 1000, 1),
        "peak_rss_mb": round(after["peak_rss_kb"] / 1024, 1),
        "rss_before_mb": round(before["peak_rss_kb"] / 1024, 1),
        "voluntary_switches": after["voluntary_switches"] - before["voluntary_switches"],
        "involuntary_switches": after["involuntary_switches"] - before["involuntary_switches"],
        "threads": after["threads"],
        "processes": 2 if module else 1,
    }


def client_of(style, config):
    """The HTTP client a style fetches with: urllib where it blocks, else the app's."""
    return "urllib" if STYLES[style].off_loop else CLIENT_NAMES[config.http_client]


CLIENT_NAMES = {"curl": "libcurl", "simple": "simple_httpclient"}


async def measure_client(name, fetches, upstream, settings):
    """The CPU time of `fetches` fetches, one after another, with the client alone."""
    page = f"{upstream}upstream/bench?delay_ms=0&bytes={settings['bytes']}"
    timeout = settings["timeout"]
    if name == "urllib":
        async def fetch():
            blocking_fetch(page, timeout)
    else:
        client = HTTP_CLIENTS[name](force_instance=True)

        async def fetch():
            await client.fetch(page, request_timeout=timeout)
    await fetch()  # the warm-up
    before = usage()
    for _ in range(fetches):
        await fetch()
    cpu_s = usage()["cpu_s"] - before["cpu_s"]
    return {"client": CLIENT_NAMES.get(name, name), "fetches": fetches,
            "cpu_ms": round(cpu_s * 1000, 1),
            "cpu_ms_per_fetch": round(cpu_s * 1000 / fetches, 3)}


def main(argv=None):
    parser = argparse.ArgumentParser(
        prog="python -m webdemo.measure.child",
        description="The processes that webdemo bench starts: use python -m webdemo bench.")
    jobs = parser.add_subparsers(dest="job", required=True)
    jobs.add_parser("upstream", help="serve the simulated pages; print their address")
    run = jobs.add_parser("run", help="one measured run, printed as one JSON line")
    run.add_argument("style", choices=STYLES)
    run.add_argument("fetches", type=int)
    run.add_argument("upstream", help="the upstream's address")
    run.add_argument("settings", type=json.loads, help="the bench's settings, as JSON")
    client = jobs.add_parser("client", help="the HTTP client alone, as one JSON line")
    client.add_argument("client", choices=["urllib", *HTTP_CLIENTS])
    client.add_argument("fetches", type=int)
    client.add_argument("upstream", help="the upstream's address")
    client.add_argument("settings", type=json.loads, help="the bench's settings, as JSON")
    args = parser.parse_args(argv)
    if args.job == "upstream":
        asyncio.run(serve_upstream())
    elif args.job == "client":
        print(json.dumps(asyncio.run(measure_client(args.client, args.fetches, args.upstream,
                                                    args.settings))))
    else:
        print(json.dumps(asyncio.run(measure(args.style, args.fetches, args.upstream,
                                             args.settings))))


if __name__ == "__main__":
    main()
