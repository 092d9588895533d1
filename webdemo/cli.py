"""The command line: `webdemo` serves the demo, by default on http://127.0.0.1:8888/, and
`webdemo bench` measures what each style costs."""

import argparse
import contextlib
import dataclasses
import logging
import os
import sys
from pathlib import Path

from tornado.netutil import bind_sockets

from webdemo.app import HTTP_CLIENTS, LISTEN_BACKLOG, Config
from webdemo.catalog import MAX_TIMEOUT, RUN_SECONDS, parse_operator_target
from webdemo.classes.store import default_data_dir
from webdemo.costs.results import default_results_path
from webdemo.loops import LOOPS, run
from webdemo.measure.main import MAX_BENCH_FETCHES, SIZES
from webdemo.measure.main import main as run_bench
from webdemo.registry import STYLES
from webdemo.run.capacity import MAX_CLIENTS, affordable_fetches, raise_open_file_limit
from webdemo.serving import serve, serve_processes


class Parser(argparse.ArgumentParser):
    def error(self, message):
        # One line, no usage block and no traceback; exit status 2 as argparse does.
        self.exit(2, f"{self.prog}: error: {message} (see --help)\n")


def bounded(kind, low, high):
    """An argparse type: text as a number of kind, refused unless from low to high."""
    def parse(text):
        try:
            value = kind(text)
        except ValueError:
            raise argparse.ArgumentTypeError(f"{text!r} is not a number") from None
        if not low <= value <= high:
            raise argparse.ArgumentTypeError(f"{text} is not from {low} to {high}")
        return value
    return parse


def add_number(parser, flag, kind, low, high, explained, **options):
    """A flag for a number from low to high, its range and default said in --help."""
    parser.add_argument(flag, type=bounded(kind, low, high),
                        help=f"{explained} ({low} to {high}; default: %(default)s)", **options)


class Targets(argparse.Action):
    """--target NAME=URL, repeatable, into {NAME: URL}; a NAME given twice is refused."""

    def __call__(self, parser, namespace, text, option_string=None):
        try:
            name, url = parse_operator_target(text)
        except ValueError as error:
            raise argparse.ArgumentError(self, str(error)) from None
        targets = getattr(namespace, self.dest)
        if name in targets:
            raise argparse.ArgumentError(self, f"{name!r} is given twice: one URL per name")
        setattr(namespace, self.dest, targets | {name: url})


def data_dir(text):
    """An argparse type: a directory that exists or can be made, and can be written."""
    path = Path(text).expanduser()
    if len(text) > 1000 or "\0" in text:
        raise argparse.ArgumentTypeError("is not a path")
    try:
        path.mkdir(parents=True, exist_ok=True)
    except OSError as error:
        raise argparse.ArgumentTypeError(f"{text}: {error.strerror}") from None
    if not os.access(path, os.W_OK | os.X_OK):
        raise argparse.ArgumentTypeError(f"{text}: cannot write there")
    return path.resolve()


def serve_parser(max_clients=Config.max_clients):
    """The server's flags; --max-clients defaults to `max_clients`, what it can afford."""
    parser = Parser(
        prog="webdemo",
        description="Serve the same aggregate-fetch page written in six styles (callbacks, "
                    "coroutines, generators, threads, greenlets, sequential), two side by "
                    "side. Runs offline: the fetched sites are simulated by this server.",
        epilog="To measure what each style costs: webdemo bench (see webdemo bench --help).",
    )
    parser.add_argument("--host", default=Config.host,
                        help="address to listen on (default: %(default)s, this machine only)")
    add_number(parser, "--port", int, 0, 65535,
               "port to listen on; 0 takes a free one and prints it", default=Config.port)
    add_number(parser, "--timeout", float, 0.1, MAX_TIMEOUT, "give up on a fetch after this long",
               default=Config.timeout, metavar="SECONDS")
    add_number(parser, "--max-clients", int, 1, MAX_CLIENTS,
               "how many fetches run at once, shared fairly between visitors; more wait in "
               "line; the default is what the open-file limit affords", default=max_clients,
               metavar="N")
    parser.add_argument("--http-client", choices=[name for name, client in HTTP_CLIENTS.items()
                                                  if client], default=Config.http_client,
                        help="the Tornado HTTP client that the callbacks, coroutines and "
                             "generators styles share: curl (libcurl, reuses connections; "
                             "needs pycurl) or simple (pure Python); the blocking styles "
                             "use urllib (default: %(default)s)")
    parser.add_argument("--loop", choices=LOOPS,
                        default=Config.loop,
                        help="the event loop: asyncio (the standard library's) or uvloop "
                             "(libuv's; needs uvloop) (default: %(default)s)")
    parser.add_argument("--target", dest="targets", action=Targets, default={},
                        metavar="NAME=URL",
                        help="let visitors fetch URL under NAME (http or https only); "
                             "repeatable, one URL per NAME. Visitors can fetch nothing else "
                             "but the simulators.")
    add_number(parser, "--processes", int, 1, 64,
               "serve from N processes sharing the port, to use N cores. Each has its own "
               "fetch client and, in the callback style, its own global counters: a request "
               "is counted where it runs", default=Config.processes, metavar="N")
    parser.add_argument("--bench-results", type=Path, default=default_results_path(),
                        metavar="PATH",
                        help="the bench results that the costs page (/costs) charts, and its "
                             "live bench adds to; `webdemo bench --results PATH` writes them "
                             "(default: %(default)s)")
    parser.add_argument("--live-bench", action="store_true",
                        help="on a shared site (listening beyond loopback, or with "
                             "--allowed-host), let visitors run the small bench of the costs "
                             "page, one at a time and a minute apart; it loads the whole "
                             "machine. Off by default there; always on for this machine alone")
    parser.add_argument("--allowed-host", dest="allowed_hosts", action="append", default=[],
                        metavar="NAME",
                        help="behind a reverse proxy on this machine: a public host name "
                             "the server answers to while it listens on loopback, which "
                             "otherwise answers only to its own names; repeatable")
    parser.add_argument("--xheaders", action="store_true",
                        help="behind a reverse proxy: trust its X-Real-IP, X-Forwarded-For "
                             "and X-Forwarded-Proto for the visitor's address (fair shares, "
                             "the log) and scheme. Only behind a proxy that sets them: "
                             "otherwise any visitor can claim any address")
    add_number(parser, "--drain", float, 0, 3600,
               "on SIGTERM or Ctrl-C, let the runs under way finish for at most this long "
               "before stopping; a second signal stops at once", default=Config.drain_seconds,
               metavar="SECONDS")
    parser.add_argument("--data-dir", type=data_dir, default=default_data_dir(),
                        metavar="PATH",
                        help="where class mode keeps its classes (a SQLite file, "
                             "classes.sqlite3), shared by --processes and kept across "
                             "restarts; made if missing (default: %(default)s)")
    add_number(parser, "--class-hours", float, 0.01, 168,
               "a class, its members and answers are deleted this long after it opened",
               default=Config.class_hours, metavar="HOURS")
    parser.add_argument("--debug", action="store_true",
                        help="reload on code changes and log every request but the "
                             "simulator's")
    return parser


def bench_parser():
    def names(text):
        chosen = [name.strip() for name in text.split(",") if name.strip()]
        unknown = [name for name in chosen if name not in STYLES]
        if unknown or not chosen:
            raise argparse.ArgumentTypeError(
                f"unknown style {(unknown or [text])[0]!r}: use {','.join(STYLES)}")
        return list(dict.fromkeys(chosen))

    def sizes(text):
        size = bounded(int, 1, MAX_BENCH_FETCHES)
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
                        help=f"fetches at once (1 to {MAX_BENCH_FETCHES} each; "
                             f"default: {','.join(map(str, SIZES))})")
    add_number(parser, "--delay-ms", int, 0, 2000,
               "how long each simulated page waits before answering", default=100, metavar="MS")
    add_number(parser, "--bytes", int, 0, 1_000_000, "the size of each simulated page",
               default=1024)
    add_number(parser, "--max-clients", int, 1, MAX_CLIENTS,
               "fetches at once, and so threads at most for the thread styles",
               default=MAX_CLIENTS, metavar="N")
    # The app's own bounds: a longer timeout is cut to MAX_TIMEOUT, and a blocking fetch
    # not sent within RUN_SECONDS fails unsent.
    add_number(parser, "--timeout", float, 1, MAX_TIMEOUT, "per fetch", default=MAX_TIMEOUT,
               metavar="SECONDS")
    add_number(parser, "--max-run-seconds", float, 1, RUN_SECONDS,
               "skip a run that must take longer: the sequential style takes N x the delay",
               default=RUN_SECONDS, metavar="SECONDS")
    parser.add_argument("--json", action="store_true",
                        help="print one JSON document on stdout instead of the table")
    parser.add_argument("--results", type=Path, default=default_results_path(),
                        metavar="PATH",
                        help="where to save the results for the costs page; a run of some "
                             "styles or sizes replaces those and keeps the others, if they "
                             "were measured alike (default: %(default)s)")
    return parser


def usage_of(parser):
    return parser.format_usage().removeprefix("usage: ").rstrip()


def parse_args(argv=None, max_clients=Config.max_clients):
    """The server's Config from its command line."""
    parser = serve_parser(max_clients)
    # Its usage shows the bench's too: the one subcommand.
    parser.usage = f"{usage_of(parser)}\n       {usage_of(bench_parser())}"
    args = parser.parse_args(argv)
    if args.debug and args.processes > 1:
        parser.error("--debug reloads one process: it cannot go with --processes")
    return Config(host=args.host, port=args.port, timeout=args.timeout,
                  max_clients=args.max_clients, http_client=args.http_client, loop=args.loop,
                  processes=args.processes, targets=args.targets,
                  bench_results=args.bench_results, debug=args.debug,
                  allowed_hosts=tuple(args.allowed_hosts), xheaders=args.xheaders,
                  drain_seconds=args.drain, data_dir=args.data_dir,
                  class_hours=args.class_hours, live_bench=args.live_bench)


def main(argv=None):
    argv = sys.argv[1:] if argv is None else argv
    if argv[:1] == ["bench"]:
        sys.exit(run_bench(bench_parser().parse_args(argv[1:])))
    # Each fetch in flight costs open files (webdemo/run/capacity.py): take what is allowed.
    config = parse_args(argv, affordable_fetches(raise_open_file_limit(), MAX_CLIENTS))
    logging.basicConfig(level=logging.INFO if config.debug else logging.WARNING,
                        format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    try:
        sockets = bind_sockets(config.port, config.host, backlog=LISTEN_BACKLOG)
    except OSError as error:
        sys.exit(f"webdemo: cannot listen on {config.host}:{config.port}: {error.strerror}")
    config = dataclasses.replace(config, port=sockets[0].getsockname()[1])
    print(f"webdemo: open {config.url} (Ctrl-C to stop)", flush=True)
    if config.processes > 1:
        sys.exit(serve_processes(config, sockets))
    with contextlib.suppress(KeyboardInterrupt):  # Ctrl-C before the server has started
        run(serve(config, sockets), config.loop)
    # A thread still in a blocking fetch (a second signal, or the drain's end) would hold
    # the exit for up to its timeout: Python waits for the pool's threads. Stop now.
    logging.shutdown()
    sys.stdout.flush()
    sys.stderr.flush()
    os._exit(0)


if __name__ == "__main__":
    main()
