"""Fan-out at the physical limit: 100 simulated upstreams of 200 ms, in each style.

Starts `python -m webdemo --port 0` on loopback, asks each style for the same
fan-out several times, and prints wall time / slowest upstream: 1.00 is the
physical limit, since no aggregate can finish before its slowest fetch.

    python benchmarks/fanout.py [--fetches 100] [--delays 200,50] [--runs 7]
                                [--webdemo-args "--http-client simple"]
"""

import argparse
import json
import select
import shlex
import statistics
import subprocess
import sys
import time
import urllib.request
from urllib.parse import urlencode

CORE_STYLES = ["callbacks", "coroutines"]


def start(command, env=None, seconds=120, stderr=None):
    """Starts a server that prints "...: open http://127.0.0.1:PORT/" within `seconds`;
    returns it and the URL. Its log goes to `stderr` (a file), else to ours."""
    process = subprocess.Popen(command, stdout=subprocess.PIPE, stderr=stderr, text=True,
                               env=env)
    ready, _, _ = select.select([process.stdout], [], [], seconds)
    line = process.stdout.readline() if ready else ""
    if ": open http://127.0.0.1:" not in line:
        process.kill()
        sys.exit(f"{command[1:]} did not start: {line!r}")
    return process, line.split("open ")[1].split()[0]


def add_webdemo_args(parser):
    parser.add_argument("--webdemo-args", default="",
                        help="flags for python -m webdemo, e.g. '--http-client simple' "
                             "or '--processes 2'")


def start_webdemo(args):
    """Starts python -m webdemo on a free port, with --webdemo-args; returns it and its URL."""
    return start([sys.executable, "-m", "webdemo", "--port", "0",
                  *shlex.split(args.webdemo_args)])


def stop(process, seconds=10):
    """SIGTERM: the server drains what is under way, for up to `seconds`."""
    process.terminate()
    process.wait(timeout=seconds)
    process.stdout.close()


def fan_out_query(fetches, delay_ms):
    specs = [f"/upstream/fan-{n}?delay_ms={delay_ms}" for n in range(fetches)]
    return urlencode([("fetch", spec) for spec in specs] + [("format", "json")])


def timed_run(url):
    """One aggregate; returns its wall time in ms, as the client saw it."""
    started = time.perf_counter()
    with urllib.request.urlopen(url, timeout=60) as response:
        aggregate = json.load(response)
    if aggregate["failed"]:
        sys.exit(f"{aggregate['failed']} fetches failed: {aggregate['results'][0]['error']}")
    return (time.perf_counter() - started) * 1000


def fan_out_ratios(url, delay_ms, runs):
    """Best and median of wall time / slowest upstream, after one warm-up run."""
    timed_run(url)
    ratios = [timed_run(url) / delay_ms for _ in range(runs)]
    return min(ratios), statistics.median(ratios)


def delays(text):
    try:
        values = [int(part) for part in text.split(",")]
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r} is not a list of whole numbers") from None
    if not all(1 <= value <= 30_000 for value in values):  # the ratio divides by each
        raise argparse.ArgumentTypeError(f"{text!r}: each delay must be from 1 to 30000")
    return values


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--fetches", type=int, default=100, choices=range(1, 201),
                        metavar="1..200", help="fetches per aggregate (default: 100)")
    parser.add_argument("--delays", type=delays, default=[200], metavar="MS,MS",
                        help="upstream delays in ms, 1 to 30000, comma-separated "
                             "(default: 200)")
    parser.add_argument("--runs", type=int, default=7, choices=range(1, 51),
                        metavar="1..50", help="runs per style and delay (default: 7)")
    add_webdemo_args(parser)
    args = parser.parse_args()

    process, base = start_webdemo(args)
    try:
        print(f"{args.fetches} fetches at once, {args.runs} runs each; "
              "wall time / slowest upstream (1.00 is the limit)")
        print(f"{'style':<12}{'delay':>8}{'best':>8}{'median':>8}")
        for delay in args.delays:
            for style in CORE_STYLES:
                best, median = fan_out_ratios(f"{base}{style}?{fan_out_query(args.fetches, delay)}",
                                              delay, args.runs)
                print(f"{style:<12}{delay:>6}ms{best:>8.2f}{median:>8.2f}")
    finally:
        stop(process)


if __name__ == "__main__":
    main()
