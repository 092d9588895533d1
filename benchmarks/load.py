"""Load: many clients at once, across every style and scenario, for a bounded time.

Starts `python -m webdemo --port 0` on loopback, then runs --clients clients for
--seconds (after a --warmup with the same load), each asking for one aggregate after
another, as JSON. Most ask for a short list of simulator pages whose names are theirs
alone (/upstream/c17-r42-0...) and check that they got exactly their own targets back,
in order, with the sizes they asked for: an answer holding anything else counts as
"mixed". The others ask for the scenarios (seed, one-fails, one-refused, one-hangs,
fan-out), each checked for its own outcome, or hang up mid-fetch on purpose.

Prints requests per second, p50/p99 latency, errors and mixed answers, then waits for
the server to drain and checks, from GET /stats and the server's stderr: no callback
counters and no fetches left, memory within 10% of where it was after the warm-up, no
traceback and nothing logged at ERROR. Exits 1 if any check fails.

    python benchmarks/load.py [--clients 200] [--seconds 30] [--warmup 5]
"""

import argparse
import asyncio
import json
import os
import random
import statistics
import subprocess
import sys
import tempfile
import time
from collections import Counter, defaultdict
from urllib.parse import urlencode

from webdemo.app import Config
from webdemo.catalog import RUN_SECONDS
from webdemo.registry import STYLES
from webdemo.scenarios import SCENARIOS

SERVER_TIMEOUT = Config.timeout  # the server's default --timeout; one-hangs waits this long
# The server ends every run by RUN_SECONDS + its timeout, whatever the style: a
# sequential fan-out of 100 x 200 ms alone takes 20 s, more under load. Later is an error.
CLIENT_TIMEOUT = RUN_SECONDS + SERVER_TIMEOUT + 5
RSS_TOLERANCE = 0.10
# What the clients ask for, by share. Most are short lists of fast, unique pages, so
# the figure is throughput, not sleeping; each scenario and the hang-ups are in the mix.
MIX = {"own-targets": 70, "seed": 5, "one-fails": 5, "one-refused": 5, "one-hangs": 2,
       "fan-out": 1, "hang-up": 12}


class Tally:
    def __init__(self):
        self.latencies = defaultdict(list)  # kind -> seconds
        self.answered_at = []  # time.monotonic() of each answer
        self.errors = Counter()  # what went wrong -> how often
        self.mixed = 0
        self.hang_ups = 0
        self.by_style = defaultdict(list)  # style -> seconds


class Connection:
    """One client's keep-alive connection, as a browser would hold; reopened if dropped."""

    def __init__(self, port):
        self.port = port
        self.reader = self.writer = None

    async def get(self, path):
        """One GET; returns (status, body)."""
        if self.writer is None or self.reader.at_eof():
            self.close()
            self.reader, self.writer = await asyncio.open_connection("127.0.0.1", self.port)
        try:
            self.writer.write(f"GET {path} HTTP/1.1\r\nHost: 127.0.0.1:{self.port}\r\n"
                              "Accept: application/json\r\n\r\n".encode())
            head = await self.reader.readuntil(b"\r\n\r\n")
            lines = head.decode("latin-1").split("\r\n")
            length = next(int(line.split(":", 1)[1]) for line in lines
                          if line.lower().startswith("content-length:"))
            return int(lines[0].split(" ", 2)[1]), await self.reader.readexactly(length)
        except BaseException:
            self.close()
            raise

    def close(self):
        if self.writer is not None:
            self.writer.close()
        self.reader = self.writer = None


async def hang_up(port, path, after):
    """Asks, then leaves before the answer: the server must forget the request."""
    reader, writer = await asyncio.open_connection("127.0.0.1", port)
    writer.write(f"GET {path} HTTP/1.1\r\nHost: 127.0.0.1:{port}\r\n\r\n".encode())
    await asyncio.sleep(after)
    writer.close()


def own_targets(client, n, rng):
    """Pages named for this request alone, with sizes that say whose they are."""
    names = [f"c{client}-r{n}-{j}" for j in range(rng.randint(1, 5))]
    sizes = [rng.randrange(0, 20_000) for _ in names]
    specs = [f"/upstream/{name}?delay_ms={rng.randrange(0, 50)}&bytes={size}"
             for name, size in zip(names, sizes, strict=True)]
    return specs, list(zip(names, sizes, strict=True))


def unexpected(kind, results):
    """What is wrong with a scenario's rows, if anything: each fails where it should."""
    should_fail = {"seed": set(), "fan-out": set(), "one-fails": {"broken"},
                   "one-refused": {"refused"}, "one-hangs": {"hangs"}}[kind]
    # A simulator path's target is its NAME: /upstream/fan-001?... is fan-001.
    names = [spec.split("?")[0].rsplit("/", 1)[-1] for spec in SCENARIOS[kind]]
    if [row["target"] for row in results] != names:
        return "targets not as asked"
    wrong = [row for row in results if bool(row["error"]) != (row["target"] in should_fail)]
    return f"{wrong[0]['target']}: {wrong[0]['error'] or 'did not fail'}" if wrong else None


async def one_request(connection, client, n, rng, tally, measuring):
    port = connection.port
    kind = rng.choices(list(MIX), weights=MIX.values())[0]
    style = list(STYLES)[(client + n) % len(STYLES)]
    if kind == "hang-up":
        specs = [f"/upstream/c{client}-r{n}-gone{j}?delay_ms=300" for j in range(3)]
        try:
            await hang_up(port, f"/{style}?{urlencode({'fetch': specs}, doseq=True)}",
                          after=rng.uniform(0.01, 0.2))
        except OSError as error:
            tally.errors[f"{kind}: {type(error).__name__}"] += measuring
        tally.hang_ups += measuring
        return
    if kind == "own-targets":
        specs, expected = own_targets(client, n, rng)
        query = urlencode({"fetch": specs}, doseq=True)
    else:
        query = urlencode({"scenario": kind})
    started = time.perf_counter()
    try:
        status, body = await asyncio.wait_for(connection.get(f"/{style}?{query}"),
                                              CLIENT_TIMEOUT)
    except (TimeoutError, OSError, ValueError, IndexError, StopIteration,
            asyncio.IncompleteReadError) as error:
        tally.errors[f"{kind}: {type(error).__name__}"] += measuring
        return
    if not measuring:
        return
    tally.latencies[kind].append(time.perf_counter() - started)
    tally.answered_at.append(time.monotonic())
    tally.by_style[style].append(tally.latencies[kind][-1])
    if status != 200:
        tally.errors[f"{kind}: HTTP {status}"] += 1
        return
    try:
        results = json.loads(body)["results"]
    except (ValueError, KeyError):
        tally.errors[f"{kind}: not an aggregate"] += 1
        return
    if kind == "own-targets":
        # Another request's rows, or the right names with another's sizes, is a mix-up;
        # a failed row is an error (its size is 0, so it is not compared).
        if [row["target"] for row in results] != [name for name, _ in expected] or any(
                row["bytes"] != size
                for row, (_, size) in zip(results, expected, strict=True) if not row["error"]):
            tally.mixed += 1
        elif failed := [row for row in results if row["error"]]:
            tally.errors[f"{kind}: {failed[0]['error']}"] += 1
    elif problem := unexpected(kind, results):
        tally.errors[f"{kind}: {problem}"] += 1


async def client_loop(port, client, until, tally, measuring_from):
    rng = random.Random(client)
    connection = Connection(port)
    n = 0
    while time.monotonic() < until:
        await one_request(connection, client, n, rng, tally,
                          time.monotonic() >= measuring_from)
        n += 1
    connection.close()


async def stats(port):
    connection = Connection(port)
    try:
        _, body = await connection.get("/stats")
    finally:
        connection.close()
    return json.loads(body)


async def stats_at(port, when):
    await asyncio.sleep(when - time.monotonic())
    return await stats(port) | {"own_cpu_seconds": time.process_time()}


async def drained(port, seconds):
    """Waits, bounded, for the server to hold no request and no fetch; returns /stats."""
    deadline = time.monotonic() + seconds
    while True:
        now = await stats(port)
        if (now["callbacks_in_flight"], now["fetches_in_flight"]) == (0, 0):
            return now
        if time.monotonic() > deadline:
            return now
        await asyncio.sleep(0.1)


async def watch(port, peaks, stop):
    while not stop.is_set():
        now = await stats(port)
        peaks["fetches_in_flight"] = max(peaks["fetches_in_flight"], now["fetches_in_flight"])
        peaks["rss_bytes"] = max(peaks["rss_bytes"], now["rss_bytes"])
        await asyncio.sleep(0.5)


async def run(port, args):
    tally = Tally()
    # Warm-up: the same load, unmeasured, so that pools and caches are at their size.
    warm_until = time.monotonic() + args.warmup
    await asyncio.gather(*(client_loop(port, c, warm_until, tally, float("inf"))
                           for c in range(args.clients)))
    before = await drained(port, SERVER_TIMEOUT + 5)
    peaks = {"fetches_in_flight": 0, "rss_bytes": 0}
    stop = asyncio.Event()
    watcher = asyncio.ensure_future(watch(port, peaks, stop))
    started = time.monotonic()
    until = started + args.seconds
    own_cpu = time.process_time()
    at_the_end = asyncio.ensure_future(stats_at(port, until))
    await asyncio.gather(*(client_loop(port, c, until, tally, started)
                           for c in range(args.clients)))
    # Shares of one core within the window, the server's and this script's: the last
    # answers' tail (a sequential fan-out takes 20 s) would make the server look idle.
    end = await at_the_end
    tally.cpu = ((end["cpu_seconds"] - before["cpu_seconds"]) / args.seconds,
                 (end["own_cpu_seconds"] - own_cpu) / args.seconds)
    stop.set()
    await watcher
    drain_started = time.monotonic()
    after = await drained(port, SERVER_TIMEOUT + 5)
    # Throughput counts the answers within the window, not the last ones' tail.
    in_window = sum(started <= t <= until for t in tally.answered_at)
    return tally, in_window, before, after, peaks, time.monotonic() - drain_started


def start_server(stderr):
    process = subprocess.Popen([sys.executable, "-m", "webdemo", "--port", "0"],
                               stdout=subprocess.PIPE, stderr=stderr, text=True)
    line = process.stdout.readline()  # "webdemo: open http://127.0.0.1:PORT/ ..."
    if not line.startswith("webdemo: open http://127.0.0.1:"):
        process.kill()
        sys.exit(f"the server did not start: {line!r}")
    return process, int(line.split()[2].rsplit(":", 1)[1].strip("/"))


def ms(seconds):
    return f"{seconds * 1000:.0f} ms"


def percentiles(latencies):
    if len(latencies) < 2:
        return "-"
    cuts = statistics.quantiles(latencies, n=100, method="inclusive")
    return f"p50 {ms(cuts[49])}, p99 {ms(cuts[98])}"


def report(args, tally, in_window, before, after, peaks, drain_seconds, stderr_text):
    everything = [t for kind in tally.latencies.values() for t in kind]
    answered = len(everything)
    errors = sum(tally.errors.values())
    print(f"{args.clients} clients for {args.seconds:g} s, after a {args.warmup:g} s warm-up; "
          f"{os.cpu_count()} CPUs, load average {os.getloadavg()[0]:.1f} at the end")
    print(f"requests   {answered} answered, {in_window / args.seconds:.0f} req/s; "
          f"{tally.hang_ups} hung up on purpose")
    print(f"latency    {percentiles(everything)}, max {ms(max(everything, default=0))}")
    print(f"errors     {errors} ({errors / max(answered, 1):.1%} of the answers)")
    for what, n in tally.errors.most_common(5):
        print(f"             {n} x {what}")
    print(f"mixed      {tally.mixed}")
    for kind, latencies in tally.latencies.items():
        print(f"  {kind:<12}{len(latencies):>7}  {percentiles(latencies)}")
    for style, latencies in sorted(tally.by_style.items()):
        print(f"  {style:<12}{len(latencies):>7}  {percentiles(latencies)}")
    print(f"CPU        server {tally.cpu[0]:.0%} of one core, these clients {tally.cpu[1]:.0%}")
    print(f"peak       {peaks['fetches_in_flight']} fetches in flight, "
          f"RSS {peaks['rss_bytes'] / 2**20:.1f} MiB")
    print(f"drained    in {drain_seconds:.1f} s: {after['callbacks_in_flight']} callback "
          f"counters, {after['fetches_in_flight']} fetches in flight")
    growth = after["rss_bytes"] / before["rss_bytes"] - 1
    print(f"memory     RSS {before['rss_bytes'] / 2**20:.1f} MiB after the warm-up, "
          f"{after['rss_bytes'] / 2**20:.1f} MiB at the end ({growth:+.1%})")
    tracebacks = stderr_text.count("Traceback")
    error_lines = [line for line in stderr_text.splitlines() if " ERROR " in line]
    print(f"stderr     {tracebacks} tracebacks, {len(error_lines)} lines at ERROR, "
          f"{len(stderr_text.splitlines())} lines in all")
    for line in error_lines[:3]:
        print(f"             {line[:160]}")
    failures = [name for name, bad in [
        ("errors", errors), ("mixed", tally.mixed),
        ("leftovers", after["callbacks_in_flight"] or after["fetches_in_flight"]),
        ("memory", growth > RSS_TOLERANCE), ("stderr", tracebacks or error_lines),
        ("nothing answered", not answered),
    ] if bad]
    print("FAILED: " + ", ".join(failures) if failures else "all checks passed")
    return not failures


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--clients", type=int, default=200, choices=range(1, 1001),
                        metavar="1..1000", help="clients at once (default: 200)")
    parser.add_argument("--seconds", type=float, default=30,
                        help="how long to measure, 1 to 600 (default: 30)")
    parser.add_argument("--warmup", type=float, default=5,
                        help="unmeasured load first, 0 to 60 seconds (default: 5)")
    args = parser.parse_args()
    if not (1 <= args.seconds <= 600 and 0 <= args.warmup <= 60):
        parser.error("--seconds is 1 to 600 and --warmup 0 to 60")

    with tempfile.TemporaryFile("w+") as stderr:
        process, port = start_server(stderr)
        try:
            outcome = asyncio.run(run(port, args))
        finally:
            process.terminate()
            process.wait(timeout=10)
        stderr.seek(0)
        passed = report(args, *outcome, stderr.read())
    sys.exit(0 if passed else 1)


if __name__ == "__main__":
    main()
