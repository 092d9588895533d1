"""The costs page: the latest bench results charted against the essay's claims, and a
small bench a visitor can run live.

The results are a JSON file written by `python -m webdemo bench`: by default
~/.cache/webdemo/bench.json ($XDG_CACHE_HOME/webdemo/bench.json), or the path given to
both commands (webdemo --bench-results PATH, webdemo bench --results PATH). The live
bench is that same command with small sizes, one at a time, in a subprocess that is
stopped after LIVE_BENCH_SECONDS; it replaces the results file when it finishes.
"""

import json
import logging
import os
import re
import signal
import subprocess
import sys
from dataclasses import dataclass, field
from pathlib import Path

from tornado.ioloop import IOLoop
from tornado.iostream import PipeIOStream

from webdemo.base import BaseHandler

LIVE_BENCH = ["--sizes", "10,100", "--max-run-seconds", "5"]
LIVE_BENCH_SECONDS = 180
PROGRESS = re.compile(r"bench: (\d+)/(\d+) (.*)")
log = logging.getLogger(__name__)


def default_results_path():
    cache = os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache"
    return Path(cache) / "webdemo" / "bench.json"


def load_results(path):
    """The results saved at path, or None if there are none yet (or none readable)."""
    try:
        results = json.loads(Path(path).read_text())
    except (OSError, ValueError):
        return None
    return results if isinstance(results, dict) and "runs" in results else None


def save_results(path, results):
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    partial = path.with_suffix(".partial")
    partial.write_text(json.dumps(results, indent=1))
    partial.replace(path)  # whole or not at all, for the page that reads it


# Why the bench skipped a run, in English; the costs page shows it in the visitor's language.
SKIPPED = ("would take at least %(at_least)g s, one fetch after another; "
           "--max-run-seconds is %(max_run_seconds)g")


def skipped_because(run, locale):
    """Why the bench skipped run, in the locale's language; from an older bench, as it said."""
    try:
        return locale.translate(SKIPPED) % run
    except (KeyError, TypeError, ValueError):
        return run["reason"]


# --- the claims, tested against the figures ------------------------------------------------

# A claim that threads "pay" is borne out when they cost at least this many times what
# coroutines cost; anything closer is within what a busy machine varies by.
MORE = 1.5


def at_largest_size(runs, *styles):
    """{style: run} at the largest N that every one of the styles ran, or None."""
    sizes = [run["fetches"] for run in runs if run["style"] == styles[0]]
    for size in sorted(sizes, reverse=True):
        found = {run["style"]: run for run in runs
                 if run["fetches"] == size and run["style"] in styles}
        if len(found) == len(styles):
            return size, found
    return None, None


def field_of(name):
    return lambda run: run[name]


def growth(run):
    return max(run["peak_rss_mb"] - run["rss_before_mb"], 0)


def switches(run):
    return run["voluntary_switches"] + run["involuntary_switches"]


# What each test saw, in English: the page translates them and fills in the figures.
UNTESTED_SEQUENTIAL = "Not tested: it needs the sequential style and another at the same N."
UNTESTED_THREADS = "Not tested: it needs threads and coroutines at the same N."
SEEN_CONCURRENCY = ("at N=%(size)s, one after another took %(sequential)s ms; "
                    "waiting together took %(fastest)s to %(slowest)s ms.")
SEEN_MEMORY = ("at N=%(size)s, the run raised the peak RSS by %(threads_mb)s MB with "
               "%(threads)s threads, and by %(coroutines_mb)s MB with "
               "coroutines (%(coroutines_threads)s threads).")
SEEN_SWITCHES = ("at N=%(size)s, threads made %(threads)s context switches "
                 "(%(threads_forced)s of them forced); coroutines made "
                 "%(coroutines)s (%(coroutines_forced)s forced).")
SEEN_CPU = "at N=%(size)s, threads took %(threads)s ms of CPU; coroutines %(coroutines)s ms."
SEEN = (UNTESTED_SEQUENTIAL, UNTESTED_THREADS, SEEN_CONCURRENCY, SEEN_MEMORY, SEEN_SWITCHES,
        SEEN_CPU)
# The rule each verdict follows, with how far the figures went: a verdict says why.
RULE_CONCURRENCY = ("Borne out when one after another takes more than twice as long as the "
                    "slowest of the others: here %(ratio)s times.")
RULE_MORE = ("Borne out when threads cost at least %(more)s times what coroutines cost: "
             "here %(ratio)s times.")
RULE_MEMORY = ("Borne out when threads add at least %(more)s times what coroutines add, and "
               "1 MB more: here %(ratio)s times.")
RULES = (RULE_CONCURRENCY, RULE_MORE, RULE_MEMORY)


def times(more, fewer):
    return f"{more / fewer:.1f}" if fewer else "∞"


def test_concurrency(runs):
    concurrent = {run["style"] for run in runs if run["style"] != "sequential"}
    size, found = at_largest_size(runs, "sequential", *sorted(concurrent))
    if not size or not concurrent:
        return None, UNTESTED_SEQUENTIAL, {}
    slowest = max(found[style]["wall_ms"] for style in concurrent)
    fastest = min(found[style]["wall_ms"] for style in concurrent)
    seen = {"size": size, "sequential": f"{found['sequential']['wall_ms']:.0f}",
            "fastest": f"{fastest:.0f}", "slowest": f"{slowest:.0f}",
            "rule": RULE_CONCURRENCY, "ratio": times(found["sequential"]["wall_ms"], slowest)}
    return found["sequential"]["wall_ms"] > 2 * slowest, SEEN_CONCURRENCY, seen


def test_memory(runs):
    size, found = at_largest_size(runs, "threads", "coroutines")
    if not size:
        return None, UNTESTED_THREADS, {}
    threads, coroutines = growth(found["threads"]), growth(found["coroutines"])
    seen = {"size": size, "threads_mb": f"{threads:.1f}", "threads": found["threads"]["threads"],
            "coroutines_mb": f"{coroutines:.1f}",
            "coroutines_threads": found["coroutines"]["threads"],
            "rule": RULE_MEMORY, "more": MORE, "ratio": times(threads, coroutines)}
    return threads >= MORE * coroutines and threads - coroutines >= 1, SEEN_MEMORY, seen


def test_switches(runs):
    size, found = at_largest_size(runs, "threads", "coroutines")
    if not size:
        return None, UNTESTED_THREADS, {}
    threads, coroutines = found["threads"], found["coroutines"]
    seen = {"size": size, "threads": switches(threads),
            "threads_forced": threads["involuntary_switches"],
            "coroutines": switches(coroutines),
            "coroutines_forced": coroutines["involuntary_switches"],
            "rule": RULE_MORE, "more": MORE,
            "ratio": times(switches(threads), switches(coroutines))}
    return switches(threads) >= MORE * switches(coroutines), SEEN_SWITCHES, seen


def test_cpu(runs):
    size, found = at_largest_size(runs, "threads", "coroutines")
    if not size:
        return None, UNTESTED_THREADS, {}
    threads, coroutines = found["threads"]["cpu_ms"], found["coroutines"]["cpu_ms"]
    seen = {"size": size, "threads": f"{threads:.0f}", "coroutines": f"{coroutines:.0f}",
            "rule": RULE_MORE, "more": MORE, "ratio": times(threads, coroutines)}
    return threads >= MORE * coroutines, SEEN_CPU, seen


@dataclass(frozen=True)
class Claim:
    metric: str  # the chart's title
    unit: str
    parts: tuple  # what is stacked in one bar: functions of a run
    essay: str  # the claim, in the essay's sense
    test: object  # runs -> (True, False or None for untested, what was seen, its figures)
    legend: tuple = ()


CLAIMS = [
    Claim("Wall time", "ms", (field_of("wall_ms"),),
          "Waiting for many things at once is what all of this is for: fetches that "
          "wait together take about as long as the slowest of them; one after another "
          "(the sequential baseline), they take the sum.", test_concurrency),
    Claim("Peak memory", "MB", (field_of("rss_before_mb"), growth),
          "Threads pay for memory: every thread has a stack of its own, where a "
          "coroutine is one small object.", test_memory,
          legend=("before the run", "added by the run")),
    Claim("Context switches", "",
          (field_of("voluntary_switches"), field_of("involuntary_switches")),
          "Threads pay for context switches: the operating system switches between them "
          "whenever one blocks or whenever it decides to. Async code switches only at "
          "defined points (await, yield, a callback's return), inside one thread.",
          test_switches, legend=("voluntary", "involuntary")),
    Claim("CPU time", "ms", (field_of("cpu_ms"),),
          "The same switching costs CPU time, spent in the kernel and the scheduler "
          "rather than on the fetches.", test_cpu),
]


# --- the charts, laid out for SVG (no style attributes: the CSP allows none) ---------------

BAR_X, BAR_WIDTH, ROW, GAP = 110, 380, 20, 14


@dataclass
class Chart:
    claim: Claim
    verdict: object
    seen: str  # one of SEEN, to translate, then fill in with its figures
    figures: dict
    rows: list = field(default_factory=list)
    height: int = 0


def chart(claim, results):
    """Bars per style, grouped by N; each N on its own scale, since N spans 100 times."""
    drawn = Chart(claim, *claim.test(results["runs"]))
    y = 0
    for size in sorted({run["fetches"] for run in results["runs"]}):
        runs = [run for run in results["runs"] if run["fetches"] == size]
        drawn.rows.append({"kind": "group", "y": y + 14, "text": f"N = {size}"})
        y += ROW + 2
        top = max(sum(part(run) for part in claim.parts) for run in runs) or 1
        for run in runs:
            x, segments = BAR_X, []
            for number, part in enumerate(claim.parts):
                width = round(BAR_WIDTH * part(run) / top, 1)
                segments.append({"x": x, "width": width, "part": number})
                x += width
            total = sum(part(run) for part in claim.parts)
            drawn.rows.append({
                "kind": "bar", "y": y, "style": run["style"], "segments": segments,
                "value_x": x + 6, "value": f"{total:,.0f} {claim.unit}".strip()
                if total >= 10 else f"{total:.1f} {claim.unit}".strip(),
            })
            y += ROW
        y += GAP
    drawn.height = y
    return drawn


class CostsHandler(BaseHandler):
    def get(self):
        results = load_results(self.application.config.bench_results)
        charts = [chart(claim, results) for claim in CLAIMS] if results else []
        self.render("costs.html", results=results, charts=charts, bar_x=BAR_X,
                    results_path=self.application.config.bench_results,
                    live=self.application.live_bench.progress, live_sizes=LIVE_BENCH[1],
                    messages=self.script_translations("costs.js"),
                    skipped_because=lambda run: skipped_because(run, self.locale))


class LiveBenchHandler(BaseHandler):
    """POST starts the small bench (or joins the one running); GET says how far it is."""

    def post(self):  # xsrf_cookies: only the costs page, with its token, gets here
        self.set_status(202)
        self.finish(self.in_language(self.application.live_bench.start()))

    def get(self):
        self.set_header("Cache-Control", "no-store")
        self.finish(self.in_language(self.application.live_bench.progress))

    def in_language(self, progress):
        """The progress as the visitor reads it: why a bench failed, in their language."""
        if progress["state"] != "failed":
            return progress
        why = self.locale.translate(BENCH_FAILED[progress["why"]]) % progress
        return {"state": "failed", "error": why}


# Why a live bench failed, in English, to be translated.
BENCH_FAILED = {"stopped": "the bench failed: it took too long",
                "exited": "the bench failed: exit status %(status)s"}


class LiveBench:
    """One small bench at a time, in a subprocess; its progress read from its stderr."""

    def __init__(self, results_path):
        self.results_path = results_path
        self.process = None
        self.progress = {"state": "idle"}

    def start(self):
        if self.progress["state"] == "running":
            return self.progress
        reading, writing = os.pipe()
        # A session of its own: stopping it stops the processes it started too.
        self.process = subprocess.Popen(
            [sys.executable, "-m", "webdemo", "bench", *LIVE_BENCH,
             "--results", str(self.results_path)],
            stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL, stderr=writing,
            start_new_session=True)
        os.close(writing)
        self.stream = PipeIOStream(reading)
        self.progress = {"state": "running", "done": 0, "steps": 0, "step": "starting"}
        self.deadline = IOLoop.current().call_later(LIVE_BENCH_SECONDS, self.stop)
        self.read_line()
        return self.progress

    def read_line(self):
        IOLoop.current().add_future(self.stream.read_until(b"\n", max_bytes=64 * 1024),
                                    self.take_line)

    def take_line(self, reading):
        if reading.exception():  # the end of its stderr: it has exited, or is exiting
            self.finished()
            return
        line = reading.result().decode(errors="replace").strip()
        progress = PROGRESS.fullmatch(line)
        if progress:
            done, steps, step = progress.groups()
            self.progress.update(done=int(done), steps=int(steps), step=step)
        elif line:
            log.warning("live bench: %s", line)
        self.read_line()

    def finished(self):
        IOLoop.current().remove_timeout(self.deadline)
        self.stream.close()
        try:
            status = self.process.wait(timeout=5)
        except subprocess.TimeoutExpired:
            self.process.kill()
            status = self.process.wait()
        if status == 0:
            self.progress = {"state": "done"}
        else:  # why, in no language yet: each visitor reads it in theirs
            self.progress = {"state": "failed", "why": "stopped" if status < 0 else "exited",
                             "status": status}

    def stop(self):
        """Ends a bench still running; its end of stderr then reports it failed."""
        if self.process and self.process.poll() is None:
            os.killpg(self.process.pid, signal.SIGKILL)
