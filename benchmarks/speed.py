"""Speed, side by side in one run: webdemo's core styles against the least Tornado can do
for the same job (tornado_reference.py) and against an aiohttp server (aiohttp_reference.py).

Every round measures every server in turn, so that a busy moment of a shared machine falls
on all of them alike; the table gives the medians over the rounds:
  fan-out     100 simulated upstreams of 200 ms at once: wall time / slowest upstream
              (1.00 is the limit), the median of --runs runs;
  throughput  the aggregate of 5 simulated fetches of 0 ms under 32 concurrent keep-alive
              clients for --seconds: requests/s, p50, p99, errors, the server's CPU
              time per answer (its processes' and their children's), and the load
              generator's (so that what more cores would give can be estimated).
The load comes from wrk where it is installed, else from aiohttp clients in this process,
which take more of the cores from the servers: the table says which. --loop runs webdemo
and the Tornado reference on each loop given; the aiohttp server runs on asyncio's.
Needs the bench extra: pip install '.[bench]'

    python benchmarks/speed.py [--seconds 3] [--rounds 3] [--loop asyncio,uvloop]
                               [--webdemo-args "--processes 2"]
"""

import argparse
import asyncio
import json
import os
import re
import resource
import shlex
import shutil
import statistics
import subprocess
import sys
import time
from pathlib import Path
from urllib.request import Request, urlopen

import aiohttp
from fanout import CORE_STYLES, add_webdemo_args, fan_out_query, fan_out_ratios, start, stop

THROUGHPUT_FETCHES = 5
FAN_OUT_FETCHES, FAN_OUT_DELAY_MS = 100, 200
HERE = Path(__file__).parent


async def aiohttp_load(url, clients, seconds):
    """Answers, latencies in ms, and errors, from `clients` keep-alive loops in this process."""
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
    cuts = (statistics.quantiles(latencies, n=100, method="inclusive") if len(latencies) > 1
            else [float("nan")] * 99)
    return len(latencies), len(latencies) / elapsed, cuts[49], cuts[98], errors


WRK_UNITS = {"us": 0.001, "ms": 1, "s": 1000, "m": 60_000}


def wrk_load(url, clients, seconds):
    """The same figures, from wrk: one thread of C, so the servers keep more of the cores.

    wrk checks statuses, not bodies: each server's answer is checked once before the rounds.
    """
    output = subprocess.run(
        ["wrk", "-t1", f"-c{clients}", f"-d{seconds}s", "--latency", "--timeout", "30s",
         "-H", "Accept: application/json", url],
        capture_output=True, text=True, timeout=seconds + 60, check=True).stdout

    def latency(percent):
        found = re.search(rf"^\s+{percent}%\s+([\d.]+)(us|ms|s|m)\s*$", output, re.M)
        if not found:  # wrk prints no distribution when nothing was answered
            return float("nan")
        return float(found.group(1)) * WRK_UNITS[found.group(2)]

    answers = int(re.search(r"(\d+) requests in", output).group(1))
    rate = float(re.search(r"Requests/sec:\s+([\d.]+)", output).group(1))
    errors = sum(map(int, re.findall(r"(?:Non-2xx or 3xx responses|connect|read|write|timeout)"
                                     r":? (\d+)", output)))
    return answers, rate, latency(50), latency(99), errors


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


def generator_cpu_seconds():
    """CPU seconds of this process and its ended children (wrk), so far: the load's cost."""
    children = resource.getrusage(resource.RUSAGE_CHILDREN)
    return time.process_time() + children.ru_utime + children.ru_stime


def load_average():
    return f"load {os.getloadavg()[0]:.1f}"


class Server:
    """One column of the comparison: a process, how to ask it, and its figures by round."""

    def __init__(self, name, loop, process, base, path):
        self.name, self.loop, self.process = name, loop, process
        self.url = lambda query: f"{base}{path}?{query}"
        # (fan-out, req/s, p50, p99, errors, CPU ms per answer, the load generator's)
        self.rounds = []

    def check(self):
        """Exits unless the throughput query answers every fetch: wrk reads statuses only."""
        request = Request(self.url(fan_out_query(THROUGHPUT_FETCHES, 0)),
                          headers={"Accept": "application/json"})
        with urlopen(request, timeout=30) as response:
            body = response.read()
        if json.loads(body)["ok"] != THROUGHPUT_FETCHES:
            sys.exit(f"{self.name} on {self.loop} answered {body[:200]!r}")

    def measure(self, args, generator):
        _, fan_out = fan_out_ratios(self.url(fan_out_query(FAN_OUT_FETCHES, FAN_OUT_DELAY_MS)),
                                    FAN_OUT_DELAY_MS, args.runs)
        cpu_before, generator_before = cpu_seconds(self.process.pid), generator_cpu_seconds()
        url = self.url(fan_out_query(THROUGHPUT_FETCHES, 0))
        if generator == "wrk":
            answers, *figures = wrk_load(url, args.clients, args.seconds)
        else:
            answers, *figures = asyncio.run(aiohttp_load(url, args.clients, args.seconds))
        cpu_ms = (cpu_seconds(self.process.pid) - cpu_before) * 1000 / max(answers, 1)
        generator_ms = (generator_cpu_seconds() - generator_before) * 1000 / max(answers, 1)
        self.rounds.append((fan_out, *figures, cpu_ms, generator_ms))
        print(f"  {self.name:<11}{self.loop:<8}{fan_out:>7.2f}{figures[0]:>9.0f}"
              f"{cpu_ms:>8.2f}{generator_ms:>8.2f}   {load_average()}", flush=True)

    def median(self, column):
        return statistics.median(figures[column] for figures in self.rounds)


def table(servers, references, aiohttp_server):
    """The medians; "by CPU" is the reference's CPU per answer over this server's: the ratio
    of req/s each would reach on a core of its own, steadier than req/s on a shared machine."""
    print(f"\nmedians over the rounds; fan-out {FAN_OUT_FETCHES} x {FAN_OUT_DELAY_MS} ms, "
          f"throughput {THROUGHPUT_FETCHES} fetches of 0 ms")
    print(f"{'server':<11}{'loop':<8}{'fan-out':>8}{'req/s':>7}{'p50 ms':>8}{'p99 ms':>8}"
          f"{'errors':>7}{'CPU ms':>7}{'load ms':>8}{'x tornado':>10}{'by CPU':>7}"
          f"{'fan-out/t':>10}{'x aiohttp':>10}  req/s by round")
    for server in servers:
        # Each is compared with the Tornado reference on its own loop; aiohttp with the
        # first loop's.
        reference = references.get(server.loop, next(iter(references.values())))
        rate, fan_out = server.median(1), server.median(0)
        print(f"{server.name:<11}{server.loop:<8}{fan_out:>8.2f}{rate:>7.0f}"
              f"{server.median(2):>8.1f}{server.median(3):>8.1f}"
              f"{sum(figures[4] for figures in server.rounds):>7}{server.median(5):>7.2f}"
              f"{server.median(6):>8.2f}"
              f"{rate / reference.median(1):>10.2f}{reference.median(5) / server.median(5):>7.2f}"
              f"{fan_out / reference.median(0):>10.2f}"
              f"{rate / aiohttp_server.median(1):>10.2f}  "
              + " ".join(f"{figures[1]:.0f}" for figures in server.rounds))


def loops(text):
    chosen = [name.strip() for name in text.split(",") if name.strip()]
    if not chosen or set(chosen) - {"asyncio", "uvloop"}:
        raise argparse.ArgumentTypeError(f"{text!r}: use asyncio, uvloop or asyncio,uvloop")
    return list(dict.fromkeys(chosen))


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--seconds", type=int, default=3, choices=range(1, 121),
                        metavar="1..120", help="per throughput run (default: 3)")
    parser.add_argument("--rounds", type=int, default=3, choices=range(1, 21),
                        metavar="1..20", help="rounds, each over every server (default: 3)")
    parser.add_argument("--runs", type=int, default=3, choices=range(1, 51),
                        metavar="1..50", help="fan-out runs per server and round (default: 3)")
    parser.add_argument("--clients", type=int, default=32, choices=range(1, 257),
                        metavar="1..256", help="concurrent keep-alive clients (default: 32)")
    parser.add_argument("--loop", type=loops, default=["asyncio"], metavar="LOOP,LOOP",
                        help="the event loops for webdemo and the Tornado reference: "
                             "asyncio, uvloop or both, each its own servers (default: "
                             "asyncio, the app's)")
    parser.add_argument("--generator", choices=["wrk", "aiohttp"],
                        default="wrk" if shutil.which("wrk") else "aiohttp",
                        help="the load generator (default: wrk where it is installed)")
    add_webdemo_args(parser)
    args = parser.parse_args()

    print(f"{os.cpu_count()} CPUs, {load_average()} at the start; load from {args.generator} "
          f"({args.clients} clients); webdemo {' '.join(['--loop LOOP', args.webdemo_args])}")
    servers, references, processes = [], {}, []
    try:
        for loop in args.loop:
            webdemo, base = start([sys.executable, "-m", "webdemo", "--port", "0", "--loop",
                                   loop, *shlex.split(args.webdemo_args)])
            processes.append(webdemo)
            servers += [Server(style, loop, webdemo, base, style) for style in CORE_STYLES]
            tornado, base = start([sys.executable, str(HERE / "tornado_reference.py"),
                                   "--loop", loop])
            processes.append(tornado)
            references[loop] = Server("tornado", loop, tornado, base, "aggregate")
            servers.append(references[loop])
        process, base = start([sys.executable, str(HERE / "aiohttp_reference.py")])
        processes.append(process)
        aiohttp_server = Server("aiohttp", "asyncio", process, base, "aggregate")
        servers.append(aiohttp_server)
        for server in servers:
            server.check()
        print(f"  {'server':<11}{'loop':<8}{'fan-out':>7}{'req/s':>9}{'CPU ms':>8}"
              f"{'load ms':>8}")
        for number in range(1, args.rounds + 1):
            print(f"round {number}")
            for server in servers:
                server.measure(args, args.generator)
    finally:
        for process in processes:
            stop(process)
    table(servers, references, aiohttp_server)
    print(f"{load_average()} at the end")


if __name__ == "__main__":
    main()
