"""python -m webdemo bench: the same fan-out, N fetches of one simulated page, in each
style and at each N, each run in a fresh process (webdemo.measure.child); progress on
stderr, a table or JSON on stdout, and the results merged into the file that the costs page
charts."""

import json
import os
import platform
import resource
import subprocess
import sys
from datetime import UTC, datetime

from webdemo.costs.results import (
    SKIPPED,
    comparable,
    load_results,
    merged,
    progress_line,
    save_results,
)
from webdemo.registry import STYLES

SIZES = (10, 100, 1000)  # the Ns a bench runs unless told
# The most fetches one run may ask of a page; the app's own limit is raised to it.
MAX_BENCH_FETCHES = 1000
CHILD = [sys.executable, "-m", "webdemo.measure.child"]


class Progress:
    """A bar redrawn in place on a terminal; elsewhere, one progress line per step."""

    def __init__(self, steps):
        self.steps = steps
        self.stream = sys.stderr
        self.tty = self.stream.isatty()

    def show(self, done, what):
        if self.tty:
            filled = round(30 * done / self.steps)
            self.stream.write(f"\r[{'#' * filled}{'.' * (30 - filled)}] "
                              f"{done}/{self.steps} {what:<30}")
        else:
            self.stream.write(progress_line(done, self.steps, what) + "\n")
        self.stream.flush()

    def close(self):
        if self.tty:
            self.stream.write("\n")


def start_upstream():
    process = subprocess.Popen([*CHILD, "upstream"], stdout=subprocess.PIPE, text=True)
    address = process.stdout.readline().strip()
    if not address.startswith("http://"):
        process.kill()
        process.wait()
        sys.exit("webdemo bench: the upstream process did not start")
    return process, address


def run_one(style, fetches, upstream, settings):
    """Runs one measurement in a fresh process; returns its figures, or raises RuntimeError."""
    command = [*CHILD, "run", style, str(fetches), upstream, json.dumps(settings)]
    try:
        done = subprocess.run(command, capture_output=True, text=True,
                              timeout=settings["max_run_seconds"] * 2 + 60)
    except subprocess.TimeoutExpired:
        raise RuntimeError("the run did not finish in time") from None
    if done.returncode:
        lines = done.stderr.strip().splitlines()
        raise RuntimeError(lines[-1] if lines else f"exit status {done.returncode}")
    return json.loads(done.stdout)


def raise_open_files_limit(needed):
    # Each fetch holds a socket in this run's process, and another in the upstream's.
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    wanted = needed if hard == resource.RLIM_INFINITY else min(needed, hard)
    if soft != resource.RLIM_INFINITY and soft < wanted:
        resource.setrlimit(resource.RLIMIT_NOFILE, (wanted, hard))


def bench(options, progress):
    settings = {"delay_ms": options.delay_ms, "bytes": options.bytes,
                "max_clients": options.max_clients, "timeout": options.timeout,
                "max_run_seconds": options.max_run_seconds}
    raise_open_files_limit(2 * max(options.sizes) + 256)
    results = {
        "webdemo_bench": 1,
        "machine": {"cpus": os.cpu_count(), "python": platform.python_version(),
                    "system": f"{platform.system()} {platform.release()}"},
        "settings": settings | {"styles": options.styles, "sizes": options.sizes},
        "runs": [], "skipped": [], "failed": [],
    }
    plan = [(style, size) for size in options.sizes for style in options.styles]
    upstream, address = start_upstream()
    try:
        for done, (style, size) in enumerate(plan):
            progress.show(done, f"{style} N={size}")
            at_least = size * options.delay_ms / 1000
            if not STYLES[style].concurrent and at_least > options.max_run_seconds:
                figures = {"at_least": at_least, "max_run_seconds": options.max_run_seconds}
                results["skipped"].append({"style": style, "fetches": size, **figures,
                                           "reason": SKIPPED % figures})
                continue
            try:
                results["runs"].append(run_one(style, size, address, settings))
            except RuntimeError as error:
                results["failed"].append({"style": style, "fetches": size, "error": str(error)})
        progress.show(len(plan), "done")
    finally:
        progress.close()
        upstream.kill()
        upstream.wait()
        upstream.stdout.close()
    results["finished"] = datetime.now(UTC).isoformat(timespec="seconds")
    return results


COLUMNS = [  # heading, key, format
    ("style", "style", "<11"), ("N", "fetches", ">5"), ("wall ms", "wall_ms", ">9.1f"),
    ("CPU ms", "cpu_ms", ">8.1f"), ("peak RSS MB", "peak_rss_mb", ">12.1f"),
    ("before", "rss_before_mb", ">7.1f"), ("vol. switches", "voluntary_switches", ">14"),
    ("invol.", "involuntary_switches", ">7"), ("threads", "threads", ">8"),
]


def table(results):
    lines = [" ".join(f"{heading:{fmt[0]}{fmt[1:].split('.')[0]}}"
                      for heading, _, fmt in COLUMNS)]
    for run in results["runs"]:
        lines.append(" ".join(f"{run[key]:{fmt}}" for _, key, fmt in COLUMNS))
    for run in results["skipped"]:
        lines.append(f"{run['style']:<11} {run['fetches']:>5}  skipped: {run['reason']}")
    for run in results["failed"]:
        lines.append(f"{run['style']:<11} {run['fetches']:>5}  failed: {run['error']}")
    settings = results["settings"]
    lines.append(f"\nEach run: N fetches at once of a {settings['bytes']}-byte page that "
                 f"answers after {settings['delay_ms']} ms; at most "
                 f"{settings['max_clients']} at once. RSS: the high-water mark after the run, "
                 "and before it. greenlets: its worker process added.")
    return "\n".join(lines)


def main(options):
    """Runs the bench that options (parsed by webdemo.cli) ask for; the exit status."""
    results = bench(options, Progress(len(options.styles) * len(options.sizes)))
    earlier = load_results(options.results)
    saved = merged(earlier, results)
    save_results(options.results, saved)
    if options.json:
        print(json.dumps(results, indent=1))
        return 1 if results["failed"] else 0
    print(table(results))
    kept = len(saved["runs"]) - len(results["runs"])
    if kept:
        how = f", with {kept} earlier runs of other styles or sizes"
    elif earlier and not comparable(earlier, results):
        how = ", replacing results measured on another machine or with other pages"
    else:
        how = ""
    print(f"Saved to {options.results}{how}; the costs page (/costs) charts it.")
    return 1 if results["failed"] else 0
