"""python -m webdemo: serve the demo, by default on http://127.0.0.1:8888/."""

import argparse
import asyncio
import contextlib
import dataclasses
import logging
import os
import sys
from pathlib import Path

from tornado.httpserver import HTTPServer
from tornado.ioloop import PeriodicCallback
from tornado.netutil import bind_sockets
from tornado.process import fork_processes

from webdemo.app import HTTP_CLIENTS, LISTEN_BACKLOG, App, Config
from webdemo.catalog import MAX_TIMEOUT, parse_operator_target
from webdemo.costs import default_results_path


class Parser(argparse.ArgumentParser):
    def error(self, message):
        # One line, no usage block and no traceback; exit status 2 as argparse does.
        self.exit(2, f"{self.prog}: error: {message} (see --help)\n")


def bounded(kind, low, high):
    def parse(text):
        try:
            value = kind(text)
        except ValueError:
            raise argparse.ArgumentTypeError(f"{text!r} is not a number") from None
        if not low <= value <= high:
            raise argparse.ArgumentTypeError(f"{text} is not from {low} to {high}")
        return value
    return parse


def operator_target(text):
    try:
        return parse_operator_target(text)
    except ValueError as error:
        raise argparse.ArgumentTypeError(str(error)) from None


def parse_args(argv=None):
    parser = Parser(
        prog="webdemo",
        description="Serve the same aggregate-fetch page written in six styles (callbacks, "
                    "coroutines, generators, threads, greenlets, sequential), two side by "
                    "side. Runs offline: the fetched sites are simulated by this server.",
        epilog="To measure what each style costs: webdemo bench (see webdemo bench --help).",
    )
    parser.add_argument("--host", default=Config.host,
                        help="address to listen on (default: %(default)s, this machine only)")
    parser.add_argument("--port", type=bounded(int, 0, 65535), default=Config.port,
                        help="port to listen on; 0 takes a free one and prints it "
                             "(default: %(default)s)")
    parser.add_argument("--timeout", type=bounded(float, 0.1, MAX_TIMEOUT),
                        default=Config.timeout, metavar="SECONDS",
                        help=f"give up on a fetch after this long, 0.1 to {MAX_TIMEOUT} "
                             "(default: %(default)s)")
    parser.add_argument("--max-clients", type=bounded(int, 1, 1000),
                        default=Config.max_clients, metavar="N",
                        help="how many fetches run at once; more wait in line "
                             "(default: %(default)s)")
    parser.add_argument("--http-client", choices=[name for name, client in HTTP_CLIENTS.items()
                                                  if client], default=Config.http_client,
                        help="the Tornado HTTP client that the callbacks, coroutines and "
                             "generators styles share: curl (libcurl, reuses connections; "
                             "needs pycurl) or simple (pure Python); the blocking styles "
                             "use urllib (default: %(default)s)")
    parser.add_argument("--target", type=operator_target, action="append", default=[],
                        metavar="NAME=URL",
                        help="let visitors fetch URL under NAME (http or https only); "
                             "repeatable. Visitors can fetch nothing else but the simulators.")
    parser.add_argument("--processes", type=bounded(int, 1, 64), default=Config.processes,
                        metavar="N",
                        help="serve from N processes sharing the port, to use N cores. Each "
                             "has its own fetch client and, in the callback style, its own "
                             "global counters: a request is counted where it runs "
                             "(default: %(default)s)")
    parser.add_argument("--bench-results", type=Path, default=default_results_path(),
                        metavar="PATH",
                        help="the bench results that the costs page (/costs) charts, and its "
                             "live bench replaces; `webdemo bench --results PATH` writes them "
                             "(default: %(default)s)")
    parser.add_argument("--debug", action="store_true",
                        help="reload on code changes and log every request but the "
                             "simulator's")
    args = parser.parse_args(argv)
    if args.debug and args.processes > 1:
        parser.error("--debug reloads one process: it cannot go with --processes")
    return Config(host=args.host, port=args.port, timeout=args.timeout,
                  max_clients=args.max_clients, http_client=args.http_client,
                  processes=args.processes, targets=dict(args.target),
                  bench_results=args.bench_results, debug=args.debug)


async def serve(config, sockets):
    app = App(config)
    app.start_workers()
    server = HTTPServer(app)
    server.add_sockets(sockets)
    stopped = asyncio.Event()
    if config.processes > 1:
        # A forked worker outlives its supervisor if that is killed: stop with it.
        supervisor = os.getppid()
        PeriodicCallback(lambda: os.getppid() != supervisor and stopped.set(), 1000).start()
    try:
        await stopped.wait()
    finally:
        server.stop()
        app.close()


def main(argv=None):
    argv = sys.argv[1:] if argv is None else argv
    if argv[:1] == ["bench"]:
        from webdemo import bench
        sys.exit(bench.main(argv[1:]))
    config = parse_args(argv)
    logging.basicConfig(level=logging.INFO if config.debug else logging.WARNING,
                        format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    try:
        sockets = bind_sockets(config.port, config.host, backlog=LISTEN_BACKLOG)
    except OSError as error:
        sys.exit(f"webdemo: cannot listen on {config.host}:{config.port}: {error.strerror}")
    config = dataclasses.replace(config, port=sockets[0].getsockname()[1])
    print(f"webdemo: open {config.url} (Ctrl-C to stop)", flush=True)
    with contextlib.suppress(KeyboardInterrupt):  # Ctrl-C is how it stops
        if config.processes > 1:
            fork_processes(config.processes)  # returns in each worker, never in the parent
        asyncio.run(serve(config, sockets))


if __name__ == "__main__":
    main()
