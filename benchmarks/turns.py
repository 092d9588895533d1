"""What trace=turns costs: the same run traced and untraced, interleaved, medians.

Starts `python -m webdemo --port 0` on loopback and asks a style for the seed (three
fetches) and for a fan-out of 100, each with and without trace=turns, one after the
other in turn, so that a change in the machine's load falls on both alike. Prints the
medians of the wall time the client saw and of the CPU time its event loop's thread
spent per run (read from /proc), and the load average before and after.

    python benchmarks/turns.py [--style coroutines] [--runs 15]
"""

import argparse
import os
import statistics
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).parent))
from fanout import start_webdemo, stop, timed_run  # noqa: E402

CASES = {"seed": "scenario=seed", "fan-out of 100": "scenario=fan-out&n=100"}
TRACES = {"untraced": "", "traced": "&trace=turns"}


def cpu_seconds(pid):
    """CPU time of the process's main thread so far, the event loop's, in ns from
    /proc/PID/schedstat: /proc/PID/stat counts in ticks of 10 ms, too coarse here."""
    return int(Path(f"/proc/{pid}/schedstat").read_text().split()[0]) / 1e9


def load():
    return " ".join(f"{value:.2f}" for value in os.getloadavg())


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--style", default="coroutines")
    parser.add_argument("--runs", type=int, default=15, choices=range(1, 101),
                        metavar="1..100", help="runs of each case (default: 15)")
    parser.add_argument("--webdemo-args", default="")
    args = parser.parse_args()

    print(f"load average before: {load()}")
    process, base = start_webdemo(args)
    wall = {(case, trace): [] for case in CASES for trace in TRACES}
    cpu = {key: [] for key in wall}
    try:
        for query in CASES.values():  # a warm-up of each, not counted
            timed_run(f"{base}{args.style}?format=json&{query}")
        for _ in range(args.runs):
            for case, query in CASES.items():
                for trace, asked in TRACES.items():
                    before = cpu_seconds(process.pid)
                    wall[case, trace].append(
                        timed_run(f"{base}{args.style}?format=json&{query}{asked}"))
                    time.sleep(0.05)  # the server's last turns after the answer
                    cpu[case, trace].append((cpu_seconds(process.pid) - before) * 1000)
    finally:
        stop(process)
    print(f"{args.style}, {args.runs} runs of each, interleaved; medians")
    print(f"{'case':<16}{'trace':<10}{'wall ms':>9}{'CPU ms':>9}")
    for case in CASES:
        for trace in TRACES:
            print(f"{case:<16}{trace:<10}{statistics.median(wall[case, trace]):>9.1f}"
                  f"{statistics.median(cpu[case, trace]):>9.1f}")
    print(f"load average after: {load()}")


if __name__ == "__main__":
    main()
