"""A classroom: many students press "Run both" at the same moment.

Starts `python -m webdemo --port 0` on loopback. Each student opens the two live runs
the page opens for "Run both" (callbacks and coroutines, as server-sent events), all
students at once, and waits for both aggregates. Prints how long the students waited,
from the press to the last of their two aggregates, and how many runs were refused or
failed. Runs the class --rounds times, one after another.

    python benchmarks/classroom.py [--students 100] [--scenario seed] [--rounds 3]
Needs the bench extra: pip install '.[bench]'
"""

import argparse
import asyncio
import json
import statistics
import sys
import time
from collections import Counter
from urllib.parse import urlencode

import aiohttp
from fanout import CORE_STYLES, add_webdemo_args, start_webdemo, stop

from webdemo.scenarios import SCENARIOS


async def live_run(session, url):
    """One live run to its aggregate; answers None, or what went wrong."""
    async with session.get(url) as response:
        if response.status != 200:
            return f"HTTP {response.status}"
        event = None
        async for line in response.content:
            line = line.decode().rstrip("\n")
            if line.startswith("event: "):
                event = line.removeprefix("event: ")
            elif line.startswith("data: ") and event == "aggregate":
                rows = json.loads(line.removeprefix("data: "))["results"]
                failed = [row["error"] for row in rows if row["error"]]
                return f"{len(failed)} rows failed ({failed[0]})" if failed else None
    return "the stream ended without its aggregate"


async def student(session, base, query, problems):
    """Presses "Run both"; answers the seconds until both runs have their aggregates."""
    pressed = time.perf_counter()
    outcomes = await asyncio.gather(*(live_run(session, f"{base}{style}?{query}")
                                      for style in CORE_STYLES), return_exceptions=True)
    for outcome in outcomes:
        if outcome is not None:
            problems[outcome if isinstance(outcome, str) else type(outcome).__name__] += 1
    return time.perf_counter() - pressed


async def one_class(base, students, query):
    problems = Counter()
    connector = aiohttp.TCPConnector(limit=0)  # every student's two runs at once
    async with aiohttp.ClientSession(connector=connector,
                                     timeout=aiohttp.ClientTimeout(total=120)) as session:
        waits = await asyncio.gather(*(student(session, base, query, problems)
                                       for _ in range(students)))
    return sorted(waits), problems


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--students", type=int, default=100, choices=range(1, 501),
                        metavar="1..500", help="students pressing at once (default: 100)")
    parser.add_argument("--scenario", default="seed", choices=sorted(SCENARIOS),
                        help="what they run (default: seed, the page's first choice)")
    parser.add_argument("--rounds", type=int, default=3, choices=range(1, 21),
                        metavar="1..20", help="classes, one after another (default: 3)")
    add_webdemo_args(parser)
    args = parser.parse_args()

    process, base = start_webdemo(args)
    query = urlencode({"scenario": args.scenario, "format": "events"})
    try:
        print(f"{args.students} students press Run both ({args.scenario}) at once: "
              f"{2 * args.students} live runs")
        print(f"{'round':<7}{'p50 s':>7}{'p99 s':>7}{'max s':>7}  problems")
        all_problems = Counter()
        for round_number in range(1, args.rounds + 1):
            waits, problems = asyncio.run(one_class(base, args.students, query))
            all_problems += problems
            cuts = (statistics.quantiles(waits, n=100, method="inclusive") if len(waits) > 1
                    else waits * 99)
            print(f"{round_number:<7}{cuts[49]:>7.2f}{cuts[98]:>7.2f}{waits[-1]:>7.2f}  "
                  + (", ".join(f"{n} x {what}" for what, n in problems.most_common()) or "none"))
    finally:
        stop(process)
    return 1 if all_problems else 0


if __name__ == "__main__":
    sys.exit(main())
