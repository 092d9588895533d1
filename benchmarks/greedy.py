"""Greedy visitors beside others: what fair shares leave everyone else.

Starts `python -m webdemo --port 0` on loopback. First a class (from 127.0.0.3) presses
"Run both" on the seed scenario, all at once, some rounds; then a greedy visitor (from
127.0.0.2) starts runs that hold all the bounds let them (each 200 fetches of "hangs"
in slow motion x10, on the shared client, the thread pool and the greenlet worker),
and the class presses again while the greedy runs hold their slots.

Then, in each family (the shared client, the thread pool, the greenlet worker, live
streams, and runs of 200 pages of 10 MB in the first three), greedy visitors
from one, two and five addresses (127.0.0.2, 127.0.0.11...) keep their runs going,
each started again as it ends, for a bounded number of the victim's runs, while a
victim (127.0.0.3) runs the seed scenario one run after another: its p50 and p99
beside its time alone, in a table. Loopback only, bounded: every greedy
loop ends when the victim's runs do, and the greedy runs end with the server.

    python benchmarks/greedy.py [--students 30] [--rounds 3] [--greedy-runs 3] [--victim-runs 20]
                                [--families FAMILY ...] [--greedy-addresses 1 2 5]
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
GREEDY_ADDRESSES = [GREEDY] + [f"127.0.0.{n}" for n in range(11, 15)]
HANGS = [("fetch", "hangs")] * 200 + [("slow", "10"), ("format", "json")]
GREEDY_STYLES = {"coroutines": HANGS, "threads": HANGS + [("limit", "1")],
                 "greenlets": HANGS}
# 200 pages of 10 MB, the most a run may ask: 2 GB that the loop (or the threads) carry.
BIG_PAGES = [("fetch", "/upstream/big?bytes=10000000")] * 200 + [("format", "json")]
# family -> (the greedy runs' style and query, how many each address keeps going, the
# victim's style and format). Live streams: many streams of one-hangs, each a run.
FAMILIES = {
    "shared client": ("coroutines", HANGS, 3, "coroutines", "json"),
    "thread pool": ("threads", HANGS + [("limit", "1")], 3, "threads", "json"),
    "greenlet worker": ("greenlets", HANGS, 3, "greenlets", "json"),
    "live streams": ("coroutines", [("scenario", "one-hangs"), ("slow", "10"),
                                    ("format", "events")], 300, "coroutines", "events"),
    "big pages, client": ("coroutines", BIG_PAGES, 1, "coroutines", "json"),
    "big pages, pool": ("threads", BIG_PAGES, 1, "threads", "json"),
    "big pages, worker": ("greenlets", BIG_PAGES, 1, "greenlets", "json"),
}


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


async def greedy_loop(client, url, stop):
    """One greedy run after another, until stop is set."""
    while not stop.is_set():
        try:
            async with client.get(url) as response:
                await response.read()
                if response.status != 200:  # over its share: told to come back later
                    await asyncio.sleep(1)
        except (TimeoutError, aiohttp.ClientError):
            await asyncio.sleep(0.1)


async def victim_seconds(base, style, form, runs):
    """The victim's seed runs, one after another: their seconds, sorted."""
    seconds = []
    async with session(CLASS) as client:
        for _ in range(runs):
            began = time.perf_counter()
            async with client.get(f"{base}{style}?scenario=seed&format={form}") as response:
                await response.read()
                assert response.status == 200, response.status
            seconds.append(time.perf_counter() - began)
    return sorted(seconds)


async def quiet(base):
    """Waits until the server holds no fetch: the last greedy hangs have timed out."""
    async with session(CLASS) as watcher:
        for _ in range(600):
            async with watcher.get(f"{base}stats") as response:
                if (await response.json())["fetches_in_flight"] == 0:
                    return
            await asyncio.sleep(0.1)


def cut(seconds, percent):
    return statistics.quantiles(seconds, n=100, method="inclusive")[percent - 1]


async def families(base, victim_runs, chosen, counts):
    print(f"\nThe victim's seed run beside greedy addresses ({victim_runs} runs each), in s")
    print(f"{'family':<18}{'alone p50':>10}{'p99':>7}" + "".join(
        f"{f'{n} greedy p50':>14}{'p99':>7}" for n in counts))
    await quiet(base)  # the class's greedy visitor's hangs, timed out
    for family in chosen:
        style, params, runs, victim, form = FAMILIES[family]
        url = f"{{}}{style}?{urlencode(params)}"
        alone = await victim_seconds(base, victim, form, victim_runs)
        row = f"{family:<18}{cut(alone, 50):>10.2f}{cut(alone, 99):>7.2f}"
        for count in counts:
            stop = asyncio.Event()
            clients = [session(address) for address in GREEDY_ADDRESSES[:count]]
            loops = [asyncio.ensure_future(greedy_loop(client, url.format(base), stop))
                     for client in clients for _ in range(runs)]
            await asyncio.sleep(2)  # they take their slots
            beside = await victim_seconds(base, victim, form, victim_runs)
            stop.set()
            for task in loops:
                task.cancel()
            for client in clients:
                await client.close()
            row += f"{cut(beside, 50):>14.2f}{cut(beside, 99):>7.2f}"
            await quiet(base)
        print(row, flush=True)


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
    parser.add_argument("--victim-runs", type=int, default=20, choices=range(2, 201),
                        metavar="2..200",
                        help="the victim's seed runs beside each set of greedy addresses "
                             "(default: 20)")
    parser.add_argument("--families", nargs="+", default=list(FAMILIES), choices=FAMILIES,
                        metavar="FAMILY", help=f"of {', '.join(map(repr, FAMILIES))} "
                                               "(default: all)")
    parser.add_argument("--greedy-runs", type=int, default=3, choices=range(1, 11),
                        metavar="1..10",
                        help="greedy runs of each of coroutines, threads and greenlets, "
                             "200 hanging fetches each (default: 3)")
    parser.add_argument("--greedy-addresses", nargs="+", type=int, default=[1, 2, 5],
                        choices=range(1, len(GREEDY_ADDRESSES) + 1), metavar="1..5",
                        help="how many greedy addresses beside the victim, in turn "
                             "(default: 1 2 5)")
    add_webdemo_args(parser)
    args = parser.parse_args()
    print(f"load average before: {os.getloadavg()[0]:.2f}")
    process, base = start_webdemo(args)
    try:
        asyncio.run(measure(base, args))
        asyncio.run(families(base, args.victim_runs, args.families, args.greedy_addresses))
    finally:
        # Twice: the server would let the greedy runs' hangs finish first.
        process.terminate()
        process.terminate()
        process.wait(timeout=10)
    print(f"load average after: {os.getloadavg()[0]:.2f}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
