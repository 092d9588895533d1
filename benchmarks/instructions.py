"""Speed counted in instructions: what webdemo's styles cost per request, against the least
Tornado can do for the same job (tornado_reference.py), under callgrind.

Instruction counts repeat to about 0.2% where requests per second move by 20% on a shared
machine. Each server runs under `valgrind --tool=callgrind --instr-atstart=no`: nothing is
counted while it starts and warms up; then `callgrind_control -i on`, --requests aggregates
one after another on one keep-alive connection, a dump, and the same for the fan-out. The
whole server process is counted (its thread pool included; the greenlets style's worker
process is not, so it is left out). The simulated pages come from a webdemo of their own,
in its own process, not counted, and every server fetches the same URLs from it; with
--pages own, each server serves them itself, and they are counted with it (webdemo's
with their security headers, the reference's bare).

    python benchmarks/instructions.py [--requests 100] [--fan-out-requests 10]
                                      [--styles callbacks,coroutines,generators,threads]
                                      [--pages apart|own]

Loopback only; every server is stopped at the end, and every wait is bounded.
"""

import argparse
import http.client
import json
import os
import shutil
import signal
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from urllib.parse import urlencode, urlsplit

from fanout import start, stop

HERE = Path(__file__).parent
CHECKOUT = HERE.parent  # the webdemo measured: the one beside this file
AGGREGATE_FETCHES, FAN_OUT_FETCHES = 5, 100
PAGE = "delay_ms=0&bytes=1024"
WARM_UP = 20  # requests of each kind before counting: imports, caches, the JIT of valgrind
START_SECONDS = 300  # python under valgrind starts in tens of seconds, more on a busy machine
# A fetch's timeout: under valgrind a server runs some 50 times slower, and the fan-out's
# last answers wait for it to read them.
TIMEOUT_SECONDS = 25


def page(n):
    return f"/upstream/p{n}?{PAGE}"


def webdemo_command(upstream):
    """webdemo, its targets p0..p99 the upstream's simulated pages (if apart)."""
    targets = [f"--target=p{n}={upstream.rstrip('/')}{page(n)}"
               for n in range(FAN_OUT_FETCHES) if upstream]
    return [sys.executable, "-m", "webdemo", "--port", "0", "--timeout", str(TIMEOUT_SECONDS),
            *targets]


def reference_command(upstream):
    return [sys.executable, str(HERE / "tornado_reference.py"), "--port", "0",
            "--timeout", str(TIMEOUT_SECONDS),
            *(["--upstream", upstream.rstrip("/")] if upstream else [])]


def paths(server, fetches, apart):
    """The request of an aggregate of `fetches` pages."""
    if server == "tornado":
        return "/aggregate?" + urlencode([("fetch", page(n)) for n in range(fetches)])
    specs = [f"p{n}" if apart else page(n) for n in range(fetches)]
    return f"/{server}?" + urlencode([("fetch", spec) for spec in specs] + [("format", "json")])


def ask(connection, path, fetches):
    connection.request("GET", path)
    response = connection.getresponse()
    body = response.read()
    aggregate = json.loads(body)
    if response.status != 200 or aggregate.get("ok") != fetches:
        sys.exit(f"{path[:60]}...: {response.status} {body[:300]!r}")


def callgrind(pid, *options):
    subprocess.run(["callgrind_control", *options, str(pid)], check=True, timeout=60,
                   capture_output=True)


def counted(out_dir, pid, before):
    """Instructions of the dump that appeared since `before` (the dumps seen then)."""
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        new = sorted(set(out_dir.glob(f"callgrind.{pid}.*")) - before)
        for dump in new:
            for line in dump.read_text(errors="replace").splitlines():
                if line.startswith(("summary:", "totals:")):
                    count = int(line.split()[1])
                    if count >= 1 << 63:  # below zero, wrapped (seen once): no figure at all
                        sys.exit(f"callgrind dumped a count below zero for {pid}")
                    return count
        time.sleep(0.2)  # callgrind writes the dump a moment after it is asked
    sys.exit(f"callgrind wrote no dump for {pid}")


def measure(server, command, args, out_dir):
    """Instructions per request of `server`: {fetches: instructions}."""
    command = ["valgrind", "--quiet", "--tool=callgrind", "--instr-atstart=no",
               f"--callgrind-out-file={out_dir}/callgrind.%p", *command]
    env = os.environ | {"PYTHONPATH": str(CHECKOUT)}
    process, base = start(command, env=env, seconds=START_SECONDS)
    try:
        host = urlsplit(base)
        connection = http.client.HTTPConnection(host.hostname, host.port, timeout=600)
        for fetches in (AGGREGATE_FETCHES, FAN_OUT_FETCHES):
            for _ in range(WARM_UP // (1 if fetches == AGGREGATE_FETCHES else 4)):
                ask(connection, paths(server, fetches, args.pages == "apart"), fetches)
        figures = {}
        for fetches, requests in ((AGGREGATE_FETCHES, args.requests),
                                  (FAN_OUT_FETCHES, args.fan_out_requests)):
            path = paths(server, fetches, args.pages == "apart")
            before = set(out_dir.glob(f"callgrind.{process.pid}.*"))
            callgrind(process.pid, "--instr=on")
            for _ in range(requests):
                ask(connection, path, fetches)
            callgrind(process.pid, "--dump")
            callgrind(process.pid, "--instr=off")
            figures[fetches] = counted(out_dir, process.pid, before) / requests
        connection.close()
        return figures
    finally:
        stop(process)


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--requests", type=int, default=100, choices=range(1, 1001),
                        metavar="1..1000", help="aggregates of 5 pages counted (default 100)")
    parser.add_argument("--fan-out-requests", type=int, default=10, choices=range(1, 201),
                        metavar="1..200", help="fan-outs of 100 pages counted (default 10)")
    parser.add_argument("--pages", choices=["apart", "own"], default="apart",
                        help="the simulated pages from a process of their own, not counted "
                             "(default), or from each server itself, counted")
    parser.add_argument("--styles", default="callbacks,coroutines,generators,threads",
                        help="webdemo's styles to count, comma-separated (not greenlets: "
                             "its fetches run in a worker process)")
    args = parser.parse_args()
    # Stopped (SIGTERM, or timeout's), it stops its servers too, as at its end.
    signal.signal(signal.SIGTERM, lambda *_: sys.exit("stopped"))
    if not shutil.which("valgrind") or not shutil.which("callgrind_control"):
        sys.exit("needs valgrind (callgrind) on the PATH")
    styles = [style for style in args.styles.split(",") if style]

    upstream, upstream_base = None, None
    if args.pages == "apart":
        upstream, upstream_base = start([sys.executable, "-m", "webdemo", "--port", "0"],
                                        env=os.environ | {"PYTHONPATH": str(CHECKOUT)})
    try:
        with tempfile.TemporaryDirectory(prefix="instructions-") as out:
            out_dir = Path(out)
            reference = measure("tornado", reference_command(upstream_base), args, out_dir)
            rows = [("tornado reference", reference)]
            for style in styles:
                rows.append((style, measure(style, webdemo_command(upstream_base), args,
                                            out_dir)))
    finally:
        if upstream:
            stop(upstream)

    print(f"instructions per request (millions), the whole server process, on "
          f"{CHECKOUT.resolve()}; the simulated pages "
          + ("in a process of their own" if upstream else "served and counted by each server"))
    print(f"{'server':<20}{'aggregate of 5':>16}{'ratio':>8}{'fan-out of 100':>17}{'ratio':>8}")
    for name, figures in rows:
        print(f"{name:<20}{figures[AGGREGATE_FETCHES] / 1e6:>16.2f}"
              f"{figures[AGGREGATE_FETCHES] / reference[AGGREGATE_FETCHES]:>8.2f}"
              f"{figures[FAN_OUT_FETCHES] / 1e6:>17.2f}"
              f"{figures[FAN_OUT_FETCHES] / reference[FAN_OUT_FETCHES]:>8.2f}")


if __name__ == "__main__":
    main()
