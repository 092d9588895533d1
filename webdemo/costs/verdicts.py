"""The essay's claims about what each style costs, and the verdict the figures give each."""

from dataclasses import dataclass

from webdemo.registry import STYLES

# A claim that threads "pay" is borne out when they cost at least this many times what
# coroutines cost; anything closer is within what a busy machine varies by.
MORE = 1.5


def at_largest_size(runs, *styles):
    """(N, {style: run}) at the largest N that every one of the styles ran, or (None, None)."""
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


def worker_growth(run):
    """What a run added in the greenlet style's worker process (0 for the others)."""
    return max(run.get("worker_peak_rss_mb", 0) - run.get("worker_rss_before_mb", 0), 0)


def server_growth(run):
    return max(growth(run) - worker_growth(run), 0)


def client(run):
    """The HTTP client a run fetched with, as its bench recorded it."""
    return run.get("http_client") or ("urllib" if STYLES[run["style"]].off_loop
                                      else "Tornado")


def switches(run):
    return run["voluntary_switches"] + run["involuntary_switches"]


# What each verdict saw, in English: the page translates them and fills in the figures.
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
SEEN_CPU = ("at N=%(size)s, threads took %(threads)s ms of CPU, fetching with "
            "%(threads_client)s; coroutines %(coroutines)s ms, with %(coroutines_client)s.")
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


# Each verdict: runs -> (True, False, or None when untested; one of SEEN; its figures).

def verdict_concurrency(runs):
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


def verdict_memory(runs):
    size, found = at_largest_size(runs, "threads", "coroutines")
    if not size:
        return None, UNTESTED_THREADS, {}
    threads, coroutines = growth(found["threads"]), growth(found["coroutines"])
    seen = {"size": size, "threads_mb": f"{threads:.1f}", "threads": found["threads"]["threads"],
            "coroutines_mb": f"{coroutines:.1f}",
            "coroutines_threads": found["coroutines"]["threads"],
            "rule": RULE_MEMORY, "more": MORE, "ratio": times(threads, coroutines)}
    return threads >= MORE * coroutines and threads - coroutines >= 1, SEEN_MEMORY, seen


def verdict_switches(runs):
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


def verdict_cpu(runs):
    size, found = at_largest_size(runs, "threads", "coroutines")
    if not size:
        return None, UNTESTED_THREADS, {}
    threads, coroutines = found["threads"]["cpu_ms"], found["coroutines"]["cpu_ms"]
    seen = {"size": size, "threads": f"{threads:.0f}", "coroutines": f"{coroutines:.0f}",
            "threads_client": client(found["threads"]),
            "coroutines_client": client(found["coroutines"]),
            "rule": RULE_MORE, "more": MORE, "ratio": times(threads, coroutines)}
    return threads >= MORE * coroutines, SEEN_CPU, seen


@dataclass(frozen=True)
class Verdict:
    metric: str  # the chart's title
    unit: str
    parts: tuple  # what is stacked in one bar: functions of a run
    essay: str  # the claim, in the essay's sense
    verdict: object  # one of the verdict_ functions
    legend: tuple = ()
    qualified: str = ""  # what CPython, or this bench, adds to the claim

    @property
    def anchor(self):
        """The id of the claim's heading on the page."""
        return "chart-" + self.metric.lower().replace(" ", "-")


VERDICTS = [
    Verdict("Wall time", "ms", (field_of("wall_ms"),),
          "Waiting for many things at once is what all of this is for: fetches that "
          "wait together take about as long as the slowest of them; one after another "
          "(the sequential baseline), they take the sum.", verdict_concurrency),
    Verdict("Memory a run added", "MB", (server_growth, worker_growth),
          "Threads pay for memory: every thread has a stack of its own, where a "
          "coroutine is one small object.", verdict_memory,
          legend=("in the server's process", "in the greenlet worker's process"),
          qualified="Charted: what the run added to the peak, not the interpreter and app "
                    "that were there before it (in the table below)."),
    Verdict("Context switches", "",
          (field_of("voluntary_switches"), field_of("involuntary_switches")),
          "Threads pay for context switches: the operating system switches between them "
          "whenever one blocks or whenever it decides to. Async code switches only at "
          "defined points (await, yield, a callback's return), inside one thread.",
          verdict_switches, legend=("voluntary", "involuntary"),
          qualified="In CPython the GIL narrows \"whenever it decides to\": one thread runs "
                    "Python at a time, and hands over when it blocks on I/O or when its "
                    "switch interval (sys.getswitchinterval(), 5 ms) runs out, between two "
                    "bytecodes."),
    Verdict("CPU time", "ms", (field_of("cpu_ms"),),
          "The same switching costs CPU time, spent in the kernel and the scheduler "
          "rather than on the fetches.", verdict_cpu,
          qualified="The styles fetch with two HTTP clients: callbacks, coroutines and "
                    "generators with the app's Tornado client (libcurl), threads, greenlets "
                    "and sequential with urllib. Part of any difference is the clients', "
                    "measured apart below."),
]
