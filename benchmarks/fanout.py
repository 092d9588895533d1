"""Fan-out at the physical limit: 100 simulated upstreams of 200 ms, in each style.

Starts `python -m webdemo --port 0` on loopback, asks each style for the same
fan-out several times, and prints wall time / slowest upstream: 1.00 is the
physical limit, since no aggregate can finish before its slowest fetch.

    python benchmarks/fanout.py [--fetches 100] [--delays 200,50] [--runs 7]
"""

import argparse
import json
import statistics
import subprocess
import sys
import time
import urllib.request
from urllib.parse import urlencode

from webdemo.styles import STYLES


def start_server():
    process = subprocess.Popen([sys.executable, "-m", "webdemo", "--port", "0"],
                               stdout=subprocess.PIPE, text=True)
    line = process.stdout.readline()  # "webdemo: open http://127.0.0.1:PORT/ ..."
    if not line.startswith("webdemo: open "):
        process.kill()
        sys.exit(f"the server did not start: {line!r}")
    return process, line.split()[2]


def one_run(url):
    started = time.perf_counter()
    with urllib.request.urlopen(url, timeout=60) as response:
        aggregate = json.load(response)
    wall_ms = (time.perf_counter() - started) * 1000
    if aggregate["failed"]:
        sys.exit(f"{aggregate['failed']} fetches failed: {aggregate['results'][0]['error']}")
    return wall_ms, aggregate["elapsed_ms"]


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--fetches", type=int, default=100, choices=range(1, 201),
                        metavar="1..200", help="fetches per aggregate (default: 100)")
    parser.add_argument("--delays", default="200",
                        help="upstream delays in ms, comma-separated (default: 200)")
    parser.add_argument("--runs", type=int, default=7, choices=range(1, 51),
                        metavar="1..50", help="runs per style and delay (default: 7)")
    args = parser.parse_args()
    delays = [int(delay) for delay in args.delays.split(",")]

    process, base = start_server()
    try:
        print(f"{args.fetches} fetches at once, {args.runs} runs each; ratio = wall time / "
              "slowest upstream (1.00 is the limit)")
        print(f"{'style':<12}{'delay':>7}{'best':>8}{'median':>8}{'server best':>13}")
        for delay in delays:
            specs = [f"/upstream/fan-{n}?delay_ms={delay}" for n in range(args.fetches)]
            query = urlencode([("fetch", spec) for spec in specs] + [("format", "json")])
            # The sequential baseline takes the sum by design: 20 s a run here.
            for style in (name for name, style in STYLES.items() if style.concurrent):
                url = f"{base}{style}?{query}"
                one_run(url)  # warm-up: the first run also opens the connections
                runs = [one_run(url) for _ in range(args.runs)]
                walls = [wall / delay for wall, _ in runs]
                server = min(elapsed for _, elapsed in runs) / delay
                print(f"{style:<12}{delay:>5}ms{min(walls):>8.2f}{statistics.median(walls):>8.2f}"
                      f"{server:>13.2f}")
    finally:
        process.terminate()
        process.wait(timeout=10)


if __name__ == "__main__":
    main()
