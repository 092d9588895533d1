"""A greedy visitor beside a class: what fair shares leave the class.

Starts `python -m webdemo --port 0` on loopback. A class (from 127.0.0.3) presses "Run
both" on the seed scenario, all at once, some rounds; then a greedy visitor (from
127.0.0.2) starts runs that hold all the bounds let them (each 200 fetches of "hangs"
in slow motion x10, on the shared client, the thread pool and the greenlet worker),
and the class presses again while the greedy runs hold their slots. Prints the class's
waits (p50, p99, max) without and with the greedy visitor, the seed run of each
off-loop style beside it, and the load average before and after. Loopback only,
bounded: the greedy runs end with the server.

    python benchmarks/greedy.py [--students 30] [--rounds 3] [--greedy-runs 3]
Needs the bench extra: pip install '.[bench]'
"""

import argparse
import asyncio
import os
import statistics
import sys
import time
from collections import Counter
from urllib.parse import urlencode

import aiohttp
from classroom import student
from fanout import add_webdemo_args, start_webdemo

GREEDY, CLASS = "127.0.0.2", "127.0.0.3"
HANGS = [("fetch", "hangs")] * 200 + [("slow", "10"), ("format", "json")]
GREEDY_STYLES = {"coroutines": HANGS, "threads": HANGS + [("limit", "1")],
                 "greenlets": HANGS}


def session(address):
    return aiohttp.ClientSession(
        connector=aiohttp.TCPConnector(limit=0, local_addr=(address, 0)),
        timeout=aiohttp.ClientTimeout(total=120))


async def one_class(base, students):
    problems = Counter()
    query = urlencode({"scenario": "seed", "format": "events"})
    async with session(CLASS) as client:
        waits = await asyncio.gather(*(student(client, base, query, problems)
                                       for _ in range(students)))
    return sorted(waits), problems


async def seed_seconds(base, style):
    async with session(CLASS) as client:
        began = time.perf_counter()
        async with client.get(f"{base}{style}?scenario=seed&format=json") as response:
            ok = (await response.json())["ok"]
        return time.perf_counter() - began, ok


async def greedy_holds(base, runs):
    """Starts the greedy runs; answers their tasks once the server holds their fetches."""
    client = session(GREEDY)
    tasks = [asyncio.ensure_future(client.get(f"{base}{style}?{urlencode(params)}"))
             for _ in range(runs) for style, params in GREEDY_STYLES.items()]
    async with session(CLASS) as watcher:
        deadline = time.monotonic() + 20
        while time.monotonic() < deadline:
            async with watcher.get(f"{base}stats") as response:
                if (await response.json())["fetches_in_flight"] >= 300:
                    break
            await asyncio.sleep(0.1)
    return client, tasks


def line(label, waits, problems):
    cuts = statistics.quantiles(waits, n=100, method="inclusive")
    said = ", ".join(f"{n} x {what}" for what, n in problems.most_common()) or "none"
    return f"{label:<22}{cuts[49]:>7.2f}{cuts[98]:>7.2f}{waits[-1]:>7.2f}  {said}"


async def measure(base, args):
    print(f"{args.students} students press Run both (seed) at once, {args.rounds} rounds")
    print(f"{'':<22}{'p50 s':>7}{'p99 s':>7}{'max s':>7}  problems")
    for round_number in range(1, args.rounds + 1):
        print(line(f"alone, round {round_number}", *await one_class(base, args.students)))
    client, tasks = await greedy_holds(base, args.greedy_runs)
    try:
        for round_number in range(1, args.rounds + 1):
            print(line(f"beside greedy, {round_number}",
                       *await one_class(base, args.students)))
        for style in ("threads", "sequential", "greenlets"):
            seconds, ok = await seed_seconds(base, style)
            print(f"seed run on {style} beside greedy: {seconds:.2f} s, {ok} of 3 ok")
        held = sum(not task.done() for task in tasks)
        print(f"greedy runs still holding their slots: {held} of {len(tasks)}")
    finally:
        for task in tasks:
            task.cancel()
        await client.close()


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--students", type=int, default=30, choices=range(2, 201),
                        metavar="2..200", help="students pressing at once (default: 30)")
    parser.add_argument("--rounds", type=int, default=3, choices=range(1, 11),
                        metavar="1..10", help="classes, one after another (default: 3)")
    parser.add_argument("--greedy-runs", type=int, default=3, choices=range(1, 11),
                        metavar="1..10",
                        help="greedy runs of each of coroutines, threads and greenlets, "
                             "200 hanging fetches each (default: 3)")
    add_webdemo_args(parser)
    args = parser.parse_args()
    print(f"load average before: {os.getloadavg()[0]:.2f}")
    process, base = start_webdemo(args)
    try:
        asyncio.run(measure(base, args))
    finally:
        # Twice: the server would let the greedy runs' hangs finish first.
        process.terminate()
        process.terminate()
        process.wait(timeout=10)
    print(f"load average after: {os.getloadavg()[0]:.2f}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
