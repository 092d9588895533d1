"""python -m webdemo bench: what each style costs, measured.

The same fan-out, N fetches of one simulated page, in each style and at each N, each
in a fresh process: the app itself (App and its HTTP server), asked for the
aggregate over HTTP by a client in that same process, as a visitor would ask, with
the limit of 200 fetches a page raised to N for the bench alone. The simulated
upstream is served by another process, so its work is not counted.

A run is measured from just before its request to its answer, after a one-fetch
warm-up (which also starts the greenlet style's worker process): wall time, CPU
time and voluntary and involuntary context switches (resource.getrusage, as
differences), peak memory (the high-water mark of RSS, and where it stood before
the run), and the threads alive at the end (thread pools keep theirs, so it is
their peak). The greenlet style's worker process measures itself the same way, and
its figures are added to the server's: it is part of what that style costs.

Internal commands, started by the bench itself:
    python -m webdemo.bench upstream          serve the simulated pages, print the address
    python -m webdemo.bench run STYLE N ...   one measured run, printed as one JSON line
"""

import argparse
import asyncio
import json
import os
import platform
import resource
import subprocess
import sys
import time
from datetime import UTC, datetime
from pathlib import Path

from tornado.httpclient import AsyncHTTPClient
from tornado.httpserver import HTTPServer
from tornado.netutil import bind_sockets
from tornado.web import Application

from webdemo.__main__ import Parser, bounded
from webdemo.app import LISTEN_BACKLOG, App, Config
from webdemo.catalog import MAX_TIMEOUT, RUN_SECONDS
from webdemo.costs import SKIPPED, default_results_path, save_results
from webdemo.metrics import usage
from webdemo.styles import STYLES
from webdemo.upstream import UpstreamHandler

SIZES = (10, 100, 1000)
MAX_FETCHES = 1000


# --- the upstream process -------------------------------------------------------------

async def serve_upstream():
    sockets = bind_sockets(0, "127.0.0.1", backlog=LISTEN_BACKLOG)
    HTTPServer(Application([(r"/upstream/([^/]*)", UpstreamHandler)])).add_sockets(sockets)
    print(f"http://127.0.0.1:{sockets[0].getsockname()[1]}/", flush=True)
    await asyncio.Event().wait()


# --- one measured run, in a process of its own ------------------------------------------

def added(*usages):
    """The costs of several processes taken together."""
    return {key: sum(used[key] for used in usages) for key in usages[0]}


async def measure(style, fetches, upstream, settings):
    page = f"{upstream}upstream/bench?delay_ms={settings['delay_ms']}&bytes={settings['bytes']}"
    sockets = bind_sockets(0, "127.0.0.1", backlog=LISTEN_BACKLOG)
    config = Config(port=sockets[0].getsockname()[1], timeout=settings["timeout"],
                    max_clients=settings["max_clients"], max_fetches=fetches,
                    targets={"bench": page})
    app = App(config)
    server = HTTPServer(app)
    server.add_sockets(sockets)
    client = AsyncHTTPClient(force_instance=True)
    module = STYLES[style].worker_module

    async def costs():
        if not module:
            return usage()
        worker = app.workers.get(style)
        return added(usage(), (await worker.run({"usage": True}))["usage"])

    async def aggregate(count):
        # JSON by Accept, not format=json: Tornado parses at most 1000 query fields.
        response = await client.fetch(
            f"{config.url}{style}?" + "&".join(["fetch=bench"] * count),
            headers={"Accept": "application/json"},
            request_timeout=settings["max_run_seconds"] * 2 + 60)
        return json.loads(response.body)

    try:
        await aggregate(1)  # the warm-up
        before = await costs()
        started = time.perf_counter()
        answer = await aggregate(fetches)
        wall_s = time.perf_counter() - started
        after = await costs()
    finally:
        client.close()
        server.stop()
        app.close()
    if answer["failed"]:
        first = next(row for row in answer["results"] if row["error"])
        sys.exit(f"{answer['failed']} of {fetches} fetches failed, the first with: "
                 f"{first['error']}")
    return {
        "style": style,
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


# --- the bench: the command line, its runs, its table ---------------------------------------

def parse_args(argv):
    def names(text):
        chosen = [name.strip() for name in text.split(",") if name.strip()]
        unknown = [name for name in chosen if name not in STYLES]
        if unknown or not chosen:
            raise argparse.ArgumentTypeError(
                f"unknown style {(unknown or [text])[0]!r}: use {','.join(STYLES)}")
        return list(dict.fromkeys(chosen))

    def sizes(text):
        size = bounded(int, 1, MAX_FETCHES)
        return sorted({size(part) for part in text.split(",")})

    parser = Parser(
        prog="webdemo bench",
        description="Run the same fan-out (N fetches of one simulated page at once) in "
                    "every style, each in a fresh process, and report per style and N: "
                    "wall time, CPU time, peak memory (RSS), voluntary and involuntary "
                    "context switches, and threads. The simulated pages are served by a "
                    "separate process on 127.0.0.1. A table on the terminal, progress on "
                    "stderr; the results are also saved for the costs page (/costs).",
    )
    parser.add_argument("--styles", type=names, default=list(STYLES), metavar="A,B",
                        help=f"the styles to run (default: all: {','.join(STYLES)})")
    parser.add_argument("--sizes", type=sizes, default=list(SIZES), metavar="N,N",
                        help=f"fetches at once, 1 to {MAX_FETCHES} each "
                             f"(default: {','.join(map(str, SIZES))})")
    parser.add_argument("--delay-ms", type=bounded(int, 0, 2000), default=100, metavar="MS",
                        help="how long each simulated page waits before answering "
                             "(default: %(default)s)")
    parser.add_argument("--bytes", type=bounded(int, 0, 1_000_000), default=1024,
                        help="the size of each simulated page (default: %(default)s)")
    parser.add_argument("--max-clients", type=bounded(int, 1, MAX_FETCHES), default=1000,
                        metavar="N",
                        help="fetches at once, and so threads at most for the thread styles "
                             "(default: %(default)s)")
    # The app's own bounds: a longer timeout is cut to MAX_TIMEOUT, and a blocking fetch
    # not sent within RUN_SECONDS fails unsent.
    parser.add_argument("--timeout", type=bounded(float, 1, MAX_TIMEOUT), default=MAX_TIMEOUT,
                        metavar="SECONDS", help="per fetch (default: %(default)s)")
    parser.add_argument("--max-run-seconds", type=bounded(float, 1, RUN_SECONDS),
                        default=RUN_SECONDS, metavar="SECONDS",
                        help="skip a run that must take longer: the sequential style takes "
                             "N x the delay (default: %(default)s)")
    parser.add_argument("--json", action="store_true",
                        help="print one JSON document on stdout instead of the table")
    parser.add_argument("--results", type=Path, default=default_results_path(),
                        metavar="PATH",
                        help="where to save the results, for the costs page "
                             "(default: %(default)s)")
    return parser.parse_args(argv)


class Progress:
    """A bar redrawn in place on a terminal; elsewhere, one line per step."""

    def __init__(self, steps):
        self.steps = steps
        self.stream = sys.stderr
        self.tty = self.stream.isatty()

    def show(self, done, what):
        if self.tty:
            filled = round(30 * done / self.steps)
            self.stream.write(f"\r[{'#' * filled}{'.' * (30 - filled)}] "
                              f"{done}/{self.steps} {what:<30}")
        else:
            self.stream.write(f"bench: {done}/{self.steps} {what}\n")
        self.stream.flush()

    def close(self):
        if self.tty:
            self.stream.write("\n")


def start_upstream():
    process = subprocess.Popen([sys.executable, "-m", "webdemo.bench", "upstream"],
                               stdout=subprocess.PIPE, text=True)
    address = process.stdout.readline().strip()
    if not address.startswith("http://"):
        process.kill()
        process.wait()
        sys.exit("webdemo bench: the upstream process did not start")
    return process, address


def run_one(style, fetches, upstream, settings):
    """Runs one measurement in a fresh process; returns its figures, or raises RuntimeError."""
    command = [sys.executable, "-m", "webdemo.bench", "run", style, str(fetches), upstream,
               json.dumps(settings)]
    try:
        done = subprocess.run(command, capture_output=True, text=True,
                              timeout=settings["max_run_seconds"] * 2 + 60)
    except subprocess.TimeoutExpired:
        raise RuntimeError("the run did not finish in time") from None
    if done.returncode:
        lines = done.stderr.strip().splitlines()
        raise RuntimeError(lines[-1] if lines else f"exit status {done.returncode}")
    return json.loads(done.stdout)


def raise_open_files_limit(needed):
    # Each fetch holds a socket in this run's process, and another in the upstream's.
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    wanted = needed if hard == resource.RLIM_INFINITY else min(needed, hard)
    if soft != resource.RLIM_INFINITY and soft < wanted:
        resource.setrlimit(resource.RLIMIT_NOFILE, (wanted, hard))


def bench(args, progress):
    settings = {"delay_ms": args.delay_ms, "bytes": args.bytes,
                "max_clients": args.max_clients, "timeout": args.timeout,
                "max_run_seconds": args.max_run_seconds}
    raise_open_files_limit(2 * max(args.sizes) + 256)
    results = {
        "webdemo_bench": 1,
        "machine": {"cpus": os.cpu_count(), "python": platform.python_version(),
                    "system": f"{platform.system()} {platform.release()}"},
        "settings": settings | {"styles": args.styles, "sizes": args.sizes},
        "runs": [], "skipped": [], "failed": [],
    }
    plan = [(style, size) for size in args.sizes for style in args.styles]
    upstream, address = start_upstream()
    try:
        for done, (style, size) in enumerate(plan):
            progress.show(done, f"{style} N={size}")
            at_least = size * args.delay_ms / 1000
            if not STYLES[style].concurrent and at_least > args.max_run_seconds:
                figures = {"at_least": at_least, "max_run_seconds": args.max_run_seconds}
                results["skipped"].append({"style": style, "fetches": size, **figures,
                                           "reason": SKIPPED % figures})
                continue
            try:
                results["runs"].append(run_one(style, size, address, settings))
            except RuntimeError as error:
                results["failed"].append({"style": style, "fetches": size, "error": str(error)})
        progress.show(len(plan), "done")
    finally:
        progress.close()
        upstream.kill()
        upstream.wait()
        upstream.stdout.close()
    results["finished"] = datetime.now(UTC).isoformat(timespec="seconds")
    return results


COLUMNS = [  # heading, key, format
    ("style", "style", "<11"), ("N", "fetches", ">5"), ("wall ms", "wall_ms", ">9.1f"),
    ("CPU ms", "cpu_ms", ">8.1f"), ("peak RSS MB", "peak_rss_mb", ">12.1f"),
    ("before", "rss_before_mb", ">7.1f"), ("vol. switches", "voluntary_switches", ">14"),
    ("invol.", "involuntary_switches", ">7"), ("threads", "threads", ">8"),
]


def table(results):
    lines = [" ".join(f"{heading:{fmt[0]}{fmt[1:].split('.')[0]}}"
                      for heading, _, fmt in COLUMNS)]
    for run in results["runs"]:
        lines.append(" ".join(f"{run[key]:{fmt}}" for _, key, fmt in COLUMNS))
    for run in results["skipped"]:
        lines.append(f"{run['style']:<11} {run['fetches']:>5}  skipped: {run['reason']}")
    for run in results["failed"]:
        lines.append(f"{run['style']:<11} {run['fetches']:>5}  failed: {run['error']}")
    settings = results["settings"]
    lines.append(f"\nEach run: N fetches at once of a {settings['bytes']}-byte page that "
                 f"answers after {settings['delay_ms']} ms; at most "
                 f"{settings['max_clients']} at once. RSS: the high-water mark after the run, "
                 "and before it. greenlets: its worker process added.")
    return "\n".join(lines)


def main(argv=None):
    args = parse_args(argv)
    results = bench(args, Progress(len(args.styles) * len(args.sizes)))
    save_results(args.results, results)
    if args.json:
        print(json.dumps(results, indent=1))
    else:
        print(table(results))
        print(f"Saved to {args.results}; the costs page (/costs) charts it.")
    return 1 if results["failed"] else 0


def internal(argv):
    if argv[0] == "upstream":
        asyncio.run(serve_upstream())
    elif argv[0] == "run":
        style, fetches, upstream, settings = argv[1], int(argv[2]), argv[3], json.loads(argv[4])
        print(json.dumps(asyncio.run(measure(style, fetches, upstream, settings))))


if __name__ == "__main__":
    internal(sys.argv[1:])
