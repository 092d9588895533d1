"""Speed, side by side in one run: webdemo's core styles against an aiohttp reference.

Two jobs, each measured on every server:
  fan-out     100 simulated upstreams of 200 ms and of 50 ms at once: wall time /
              slowest upstream (1.00 is the limit), best and median of several runs;
  throughput  the aggregate of 5 simulated fetches of 0 ms under 32 concurrent
              keep-alive clients for 10 s: requests/s, p50, p99, errors, and the
              server's CPU time per request (its processes' and their children's).

Every server runs in its own process on 127.0.0.1; the load comes from this one.
Needs the bench extra: pip install '.[bench]'

    python benchmarks/speed.py [--seconds 10] [--runs 5] [--webdemo-args "--http-client simple"]
"""

import argparse
import asyncio
import os
import statistics
import sys
import time
from pathlib import Path

import aiohttp
from fanout import (
    CORE_STYLES,
    add_webdemo_args,
    fan_out_query,
    fan_out_ratios,
    start,
    start_webdemo,
    stop,
)

THROUGHPUT_FETCHES = 5


async def throughput(url, clients, seconds):
    """Answers, requests/s, p50 and p99 in ms, and errors, from `clients` keep-alive loops."""
    latencies, errors = [], 0
    deadline = time.perf_counter() + seconds

    async def client(session):
        nonlocal errors
        while time.perf_counter() < deadline:
            started = time.perf_counter()
            try:
                async with session.get(url) as response:
                    aggregate = await response.json()
                ok = response.status == 200 and aggregate["ok"] == THROUGHPUT_FETCHES
            except (aiohttp.ClientError, TimeoutError, ValueError):
                ok = False
            if ok:
                latencies.append((time.perf_counter() - started) * 1000)
            else:
                errors += 1

    connector = aiohttp.TCPConnector(limit=clients)
    timeout = aiohttp.ClientTimeout(total=30)
    async with aiohttp.ClientSession(connector=connector, timeout=timeout) as session:
        started = time.perf_counter()
        await asyncio.gather(*(client(session) for _ in range(clients)))
        elapsed = time.perf_counter() - started
    if not latencies:
        return 0, 0.0, float("nan"), float("nan"), errors
    cuts = statistics.quantiles(latencies, n=100, method="inclusive")
    return len(latencies), len(latencies) / elapsed, cuts[49], cuts[98], errors


def cpu_seconds(root):
    """CPU seconds used so far by process `root` and all it started, from Linux's /proc.

    Whatever the load generator's share of the cores, this is what each answer cost.
    """
    processes = {}  # pid: (parent pid, CPU ticks)
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            fields = stat.read_text().rsplit(")", 1)[1].split()  # the name may hold spaces
        except OSError:  # the process ended meanwhile
            continue
        processes[int(stat.parent.name)] = (int(fields[1]), int(fields[11]) + int(fields[12]))
    tree, grown = {root}, True
    while grown:
        children = {pid for pid, (parent, _) in processes.items() if parent in tree}
        grown = not children <= tree
        tree |= children
    return sum(processes[pid][1] for pid in tree if pid in processes) / os.sysconf("SC_CLK_TCK")


def measure(name, server, url_for, args):
    fan_out = [fan_out_ratios(url_for(fan_out_query(100, delay)), delay, args.runs)
               for delay in (200, 50)]
    query = fan_out_query(THROUGHPUT_FETCHES, 0)
    cpu_before = cpu_seconds(server.pid)
    answers, rate, p50, p99, errors = asyncio.run(
        throughput(url_for(query), args.clients, args.seconds))
    cpu_ms = (cpu_seconds(server.pid) - cpu_before) * 1000 / max(answers, 1)
    print(f"{name:<12}" + "".join(f"{best:>7.2f}{median:>7.2f}" for best, median in fan_out)
          + f"{rate:>9.0f}{p50:>8.1f}{p99:>8.1f}{errors:>7}{cpu_ms:>8.2f}", flush=True)
    return rate


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--seconds", type=float, default=10, help="per throughput run")
    parser.add_argument("--clients", type=int, default=32, choices=range(1, 257),
                        metavar="1..256", help="concurrent keep-alive clients (default 32)")
    parser.add_argument("--runs", type=int, default=5, choices=range(1, 51),
                        metavar="1..50", help="fan-out runs per server (default 5)")
    add_webdemo_args(parser)
    args = parser.parse_args()
    if not 1 <= args.seconds <= 120:
        parser.error("--seconds must be from 1 to 120")

    print(f"{os.cpu_count()} CPUs, load average {os.getloadavg()[0]:.1f} at the start")
    print(f"{'':<12}{'fan-out 200ms':>14}{'fan-out 50ms':>14}  {'throughput (5 fetches)':<38}")
    print(f"{'server':<12}{'best':>7}{'median':>7}{'best':>7}{'median':>7}"
          f"{'req/s':>9}{'p50 ms':>8}{'p99 ms':>8}{'errors':>7}{'CPU ms':>8}")
    webdemo, base = start_webdemo(args)
    try:
        rates = {style: measure(style, webdemo,
                                lambda query, style=style: f"{base}{style}?{query}", args)
                 for style in CORE_STYLES}
    finally:
        stop(webdemo)
    reference, base = start([sys.executable, str(Path(__file__).with_name("aiohttp_reference.py"))])
    try:
        aiohttp_rate = measure("aiohttp", reference, lambda query: f"{base}aggregate?{query}",
                               args)
    finally:
        stop(reference)
    for style, rate in rates.items():
        print(f"{style} throughput / aiohttp: {rate / aiohttp_rate:.2f}")


if __name__ == "__main__":
    main()
