"""What running live costs: the same fan-out as JSON and as a stream of server-sent events.

Starts `python -m webdemo --port 0` on loopback and runs each style's fan-out both
ways. Prints the server's elapsed_ms for each (pushing every event as it is logged
adds a write and a flush per event), and for the stream how late the events reached
this client: arrival time since the request was sent, minus the event's t_ms.

    python benchmarks/live.py [--fetches 100] [--runs 5]
"""

import argparse
import json
import statistics
import sys
import time
import urllib.request
from urllib.parse import urlencode

from fanout import CORE_STYLES, start, stop


def run_json(url):
    with urllib.request.urlopen(url + "&format=json", timeout=60) as response:
        return json.load(response)["elapsed_ms"]


def run_stream(url):
    """One live run; answers its elapsed_ms and each event's lateness in ms."""
    started = time.perf_counter()
    late = []
    with urllib.request.urlopen(url + "&format=events", timeout=60) as response:
        name = None
        for line in response:
            line = line.decode().rstrip("\n")
            if line.startswith("event: "):
                name = line[len("event: "):]
            elif line.startswith("data: "):
                data = json.loads(line[len("data: "):])
                if name == "event":
                    late.append((time.perf_counter() - started) * 1000 - data["t_ms"])
                elif name == "aggregate":
                    return data["elapsed_ms"], late
    sys.exit("the stream ended without its aggregate")


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--fetches", type=int, default=100, choices=range(1, 101),
                        metavar="1..100", help="fetches in the fan-out (default: 100)")
    parser.add_argument("--runs", type=int, default=5, choices=range(1, 51),
                        metavar="1..50", help="runs per style and way (default: 5)")
    args = parser.parse_args()

    process, base = start([sys.executable, "-m", "webdemo", "--port", "0"])
    try:
        query = urlencode({"scenario": "fan-out", "n": args.fetches})
        print(f"a fan-out of {args.fetches} (200 ms each), {args.runs} runs each, medians")
        print(f"{'style':<12}{'json ms':>9}{'live ms':>9}{'events':>8}"
              f"{'late p50':>10}{'late max':>10}")
        for style in CORE_STYLES:
            url = f"{base}{style}?{query}"
            run_json(url)  # warm-up
            plain = [run_json(url) for _ in range(args.runs)]
            live = [run_stream(url) for _ in range(args.runs)]
            late = [value for _, lateness in live for value in lateness]
            print(f"{style:<12}{statistics.median(plain):>9.1f}"
                  f"{statistics.median(elapsed for elapsed, _ in live):>9.1f}"
                  f"{len(live[0][1]):>8}{statistics.median(late):>10.1f}{max(late):>10.1f}")
    finally:
        stop(process)


if __name__ == "__main__":
    main()
