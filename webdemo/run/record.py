"""RunRecord: one run's times, events and rows, kept alike on the loop and in a worker.

The loop's handlers (webdemo/run/aggregate.py) and the worker's jobs (webdemo/run/job.py)
keep their run in one of these, so that a row is made the same way wherever its style ran.
Light on purpose: the greenlet worker imports it, and must not import the server.
"""

import threading
import time
from dataclasses import dataclass

# What a failure looked like is kept for this many failed rows of a run.
MAX_FAILURES_SHOWN = 10


@dataclass(slots=True)
class FetchTimes:
    """One fetch's times: when it started, and when it was sent from the run's line."""
    start_ms: float = 0.0  # ms into the run
    sent_ms: float | None = None  # ms into the run; None while it waits for a slot
    # Wall-clock seconds (time.time(), the clock of HTTPResponse.start_time) when it was
    # handed to an HTTP client with no slot free, which then held it in its own line.
    sent_wall_s: float | None = None


@dataclass
class Row:
    target: str
    url: str
    status: int | None
    bytes: int
    error: str | None
    start_ms: float
    end_ms: float
    queued_ms: float  # of start_ms..end_ms, the time spent waiting for a free slot
    # (the run's own, then the HTTP client's)
    failure: dict | None  # how the failure reached the style's code, see seen_as()


@dataclass
class ChainRow(Row):
    step: int  # 1 the start page, 2 a page it links to, 3 the last page
    links: list  # the links read from the page's body, as written there


class RunRecord:
    """Times, events and rows of one run; `rows` maps a fetch's index to its row."""

    def __init__(self, fetches: int) -> None:
        self.started = time.perf_counter()
        self.times = [FetchTimes() for _ in range(fetches)]
        self.events = []
        self.rows = {}
        # Styles that fetch in threads log from them: an entry's time and its place in
        # the log must be taken together. Their failures are counted under it too.
        self.lock = threading.Lock()
        self.failures = 0

    def elapsed_ms(self) -> float:
        return round((time.perf_counter() - self.started) * 1000, 1)

    def add_fetch(self, index: int | None = None) -> int:
        """Room for one more fetch (a chain's link), or for fetches up to `index`;
        answers the index."""
        index = len(self.times) if index is None else index
        while len(self.times) <= index:
            self.times.append(FetchTimes())
        return index

    def log(self, kind: str, index: int | None, target: str | None, details: dict) -> dict:
        """Logs an event, of fetch `index` if given, and answers it; the caller holds
        `lock`, so that whatever it does with the event (sends it live, traces it)
        keeps the log's order."""
        event = {"t_ms": self.elapsed_ms(), "kind": kind}
        if index is not None:
            event["index"] = index
            event["target"] = target
        event |= details
        event["thread"] = threading.current_thread().name
        self.events.append(event)
        return event

    def started_fetch(self, index: int) -> None:
        times = self.times[index]
        times.start_ms = times.sent_ms = self.elapsed_ms()

    def queued(self, index: int) -> None:
        self.times[index].sent_ms = None

    def sent(self, index: int) -> None:
        self.times[index].sent_ms = self.elapsed_ms()

    def may_show_failure(self) -> bool:
        """Counts a failure: True for a run's first MAX_FAILURES_SHOWN, which show how
        they reached the style's code."""
        with self.lock:  # threads fail at once: a read, then a write
            self.failures += 1
            return self.failures <= MAX_FAILURES_SHOWN

    def row(self, index: int, target: str, url: str, status: int | None, size: int,
            error: str | None, failure: dict | None, began: float | None) -> Row:
        """The row of fetch `index`, kept in `rows`; `began` is when the HTTP client
        began it (wall-clock seconds), if it says."""
        times = self.times[index]
        end_ms = self.elapsed_ms()
        sent_ms = end_ms if times.sent_ms is None else times.sent_ms
        # Then, past the run's own line, the HTTP client's (--max-clients).
        if began and times.sent_wall_s:
            sent_ms += max(0.0, began - times.sent_wall_s) * 1000
        queued_ms = min(sent_ms, end_ms) - times.start_ms
        row = self.rows[index] = Row(target, url, status, size, error, times.start_ms,
                                     end_ms, round(queued_ms, 1), failure)
        return row
