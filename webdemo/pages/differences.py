"""The essay's points of comparison, found in the real source of each style.

Each point names, per style, patterns for the lines that show it. The lines are looked
up in the source as it runs, so an edit that moves them moves the marks, and an edit
that loses them fails loudly (tests/test_differences.py), never silently unmarked.
"""

import asyncio
import functools
import logging
import re
import threading
from dataclasses import dataclass, field

from tornado.concurrent import Future
from tornado.httpclient import HTTPClientError
from tornado.ioloop import IOLoop

from webdemo.registry import STYLES


@dataclass(frozen=True)
class Point:
    name: str
    title: str
    explanation: str
    patterns: dict  # style name -> regular expressions, each matching at least one line
    chain: dict = field(default_factory=dict)  # the same, in the style's chain file
    chain_explanation: str | None = None  # where the chain says it otherwise

    def patterns_of(self, job: str) -> dict:
        return self.chain if job == "chain" else self.patterns

    def explanation_of(self, job: str) -> str:
        return (job == "chain" and self.chain_explanation) or self.explanation


# --- point 5's example: a callback that raises, as the loop reports it -------------------

def handle_response(future):
    response = future.result()  # the fetch failed: this raises, in the loop's call
    return response


class Kept(logging.Handler):
    def __init__(self):
        super().__init__()
        self.records = []

    def emit(self, record):
        self.records.append(record)


async def raise_in_a_callback():
    failed = Future()
    IOLoop.current().add_future(failed, handle_response)
    failed.set_exception(HTTPClientError(500))
    await asyncio.sleep(0)  # the done callback runs, then Tornado's call of ours
    await asyncio.sleep(0)


@functools.cache
def callback_traceback() -> str:
    """What Tornado logs when a callback raises (run once, on a loop of its own): the
    traceback starts at the loop's _run_callback; get() and the fetch are not in it."""
    kept = Kept()
    log = logging.getLogger("tornado.application")
    log.addHandler(kept)
    log.propagate, propagated = False, log.propagate
    try:  # another thread: the server's own loop may be running in this one
        thread = threading.Thread(target=asyncio.run, args=(raise_in_a_callback(),))
        thread.start()
        thread.join()
    finally:
        log.removeHandler(kept)
        log.propagate = propagated
    [record] = kept.records
    said = logging.Formatter("%(message)s").format(record)
    # Paths from the package's folder on, and no memory addresses: the same on any machine.
    said = re.sub(r'File "[^"]*/((?:tornado|webdemo)/[^"]+)"', r'File "\1"', said)
    return re.sub(r" at 0x[0-9a-f]+", "", said)


POINTS = [
    Point("errors", "Errors: objects or exceptions",
          "A failed fetch reaches a callback as a response whose .error it has to check: "
          "nothing is raised, and a forgotten check lets a failure pass for a success. "
          "A coroutine has the failure raised at its await and catches it with try/except.",
          {"callbacks": [r"raise_error=False", r"if response\.error:",
                         r"self\.failed\(index, response\.error\)"],
           "coroutines": [r"^\s+try:$", r"response = await self\.fetch\(index\)",
                          r"except Exception as error:", r"return self\.failed\(index, error\)"]},
          {"callbacks": [r"raise_error=False", r"if response\.error:",
                         r"# The (first|second|third) link's check"],
           "coroutines": [r"^\s+try:$", r"response = await self\.fetch\(index\)",
                          r"except Exception as error:", r"return self\.failed\(index, error\)"]}),
    Point("state", "Results: global bookkeeping or values",
          "A callback cannot return its row to anyone, so the rows and the count of fetches "
          "still out live in module globals, keyed by request, and must be cleaned up when "
          "a visitor leaves. A coroutine gets each row back as the value of an await and "
          "keeps it in a local variable.",
          {"callbacks": [r"^remaining = \{\}", r"^results = \{\}", r"remaining\[self\.request_id\]",
                         r"results\[self\.request_id\]", r"results\.pop\(self\.request_id\)"],
           "coroutines": [r"rows = await asyncio\.gather\(", r"return self\.succeeded\("]},
          {"callbacks": [r"^remaining = \{\}", r"^results = \{\}", r"functools\.partial\(",
                         r"results\[self\.request_id\]", r"self\.request_id = "],
           "coroutines": [r"start = await", r"pages = await asyncio\.gather\(",
                          r"last = self\.choose_last\(pages\)"]},
          "Each step of a callback chain starts in a new function, with the stack and its "
          "local variables gone: whatever a later step needs is carried to it by hand, in "
          "the handler, in module globals, or bound to the callback with functools.partial. "
          "The coroutine keeps each step's result in a local variable, as plain code does."),
    Point("flow", "The chain or top to bottom",
          "The callback page is one chain torn across functions: get() starts the fetches "
          "and returns, handle_response() runs once per answer, count_response() counts, "
          "render_aggregate() finishes. The coroutine says the same in get(), read top to "
          "bottom.",
          {"callbacks": [r"def get\(self\):", r"add_future\(future, callback\)",
                         r"def handle_response\(", r"self\.count_response\(index, row\)",
                         r"def count_response\(", r"self\.render_aggregate\(\)",
                         r"def render_aggregate\(", r"self\.done\.set_result\(None\)"],
           "coroutines": [r"async def get\(self\):", r"rows = await",
                          r"self\.render_results\(rows\)"]},
          {"callbacks": [r"def get\(self\):", r"add_future\(future, ", r"def handle_start\(",
                         r"def handle_page\(", r"def count_page\(", r"def fetch_last\(",
                         r"def handle_last\(", r"def finish_chain\("],
           "coroutines": [r"async def get\(self\):", r"start = await", r"pages = await",
                          r"await self\.fetch_one\(last\)", r"self\.render_chain\(\)"]},
          "Callback hell: each step's callback starts the next step's fetches, so the chain "
          "of three steps is six functions, get(), handle_start(), handle_page(), "
          "count_page(), fetch_last() and handle_last(), each called by the event loop. "
          "The coroutine says the three steps in get(), one after the other."),
    Point("many", "Collecting many results",
          "The callbacks count down: each one decrements a counter, and the one that finds "
          "zero knows it is the last and renders. The coroutine hands all the fetches to "
          "asyncio.gather() and resumes once, with every result in the order asked for.",
          {"callbacks": [r"for index in range\(len\(self\.targets\)\):",
                         r"remaining\[self\.request_id\] = len\(self\.targets\)",
                         r"remaining\[self\.request_id\] -= 1",
                         r"if remaining\[self\.request_id\] == 0:"],
           "coroutines": [r"asyncio\.gather\(", r"self\.fetch_one\(index\) for index in range"]},
          {"callbacks": [r"for position, index in enumerate\(links\):",
                         r"remaining\[self\.request_id\] = len\(links\)",
                         r"remaining\[self\.request_id\] -= 1",
                         r"if remaining\[self\.request_id\] == 0:"],
           "coroutines": [r"asyncio\.gather\(", r"self\.fetch_one\(link\) for link in"]}),
    Point("traceback", "What a traceback shows",
          "A callback is called by the event loop, long after get() returned: a traceback "
          "from it starts at the loop, and the code that asked for the fetch is not in it. "
          "An exception raised at a coroutine's await carries the line that awaited. Run "
          "a scenario with a failure, then open how the failure reached the code, under "
          "each column's results. The callbacks here ask for raise_error=False, so their "
          "failures are handed over as objects and never raised; a callback that calls "
          "future.result() on a failed fetch raises, and the loop logs it like this:",
          {"callbacks": [r"def handle_response\(", r"response = future\.result\(\)"],
           "coroutines": [r"async def fetch_one\(", r"response = await self\.fetch\(index\)"]},
          {"callbacks": [r"def handle_page\(", r"response = future\.result\(\)"],
           "coroutines": [r"async def fetch_one\(", r"response = await self\.fetch\(index\)"]}),
]


def source_lines(style, job="aggregate"):
    return STYLES[style].source(job).splitlines()


@functools.cache
def marked_lines(style, job="aggregate"):
    """{line number: [point names]} for a style's source of `job`; {} for one with no marks.

    Raises LookupError when a pattern matches no line: the source has moved on.
    """
    lines = source_lines(style, job)
    marks = {}
    for point in POINTS:
        for pattern in point.patterns_of(job).get(style, []):
            found = [number for number, line in enumerate(lines, 1) if re.search(pattern, line)]
            if not found:
                raise LookupError(f"{style}: no line matches {pattern!r} ({point.name})")
            for number in found:
                marks.setdefault(number, [])
                if point.name not in marks[number]:
                    marks[number].append(point.name)
    return marks
