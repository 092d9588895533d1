"""What every style shares, so that a style file holds only its style.

Reading the request into a run, starting a fetch (with Tornado's client, in line for a
free slot when the run limits its fetches in flight, or the blocking way of blocking.py),
turning a response or a failure into a row, the event log with its clock, and
rendering the aggregate as HTML, as JSON, or live as a stream of server-sent events
all live here.
"""

import collections
import contextlib
import re
import threading
import time
import traceback
from dataclasses import dataclass

from tornado.concurrent import Future, chain_future
from tornado.escape import json_encode
from tornado.httpclient import HTTPClientError, HTTPRequest, HTTPResponse
from tornado.ioloop import IOLoop
from tornado.simple_httpclient import HTTPStreamClosedError

from webdemo.base import BaseHandler
from webdemo.blocking import MAX_BODY_BYTES, blocking_fetch
from webdemo.catalog import RUN_SECONDS, BadInput, one

FORMATS = ("html", "json", "events")
# Live runs at once, across all visitors; more are told to wait. Enough for a class of
# 100 who all press "Run all" (six runs each) at the same moment: each run is already
# bounded in time (RUN_SECONDS) and its fetches by --max-clients.
MAX_LIVE_STREAMS = 600
# What a failure looked like is kept for this many failed rows of a run, this long each.
MAX_FAILURES_SHOWN = 10
MAX_FAILURE_CHARS = 4000
# What the event kinds are called on the pages; a style's own kinds show as they are.
EVENT_LABELS = {
    "fetch-start": "fetch started",
    "queued": "waiting for a slot",
    "sent": "sent",
    "callback": "callback ran",
    "resumed": "await resumed",
    "counter": "counter decremented",
    "render": "rendered",
    "returned": "blocking call returned",
    "link-refused": "link refused",  # a chain's (webdemo/chain.py)
}


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


class NotSent(Exception):
    """A fetch that never left the run's line of waiting fetches."""


# libcurl's words for these name the milliseconds it waited, which differ from run to
# run; in Tornado's words (as its pure-Python client says them), the rows of two runs
# can be compared. Its code 7 covers an unreachable host too; for a target that answers
# on no port, the demo's "refused" among them, the words every other client uses are right.
CURL_ERRORS = {7: "Connection refused", 28: "Timeout during request"}
# libcurl's codes for an answer cut short, malformed or too large: its own words are
# finer than the pure-Python client's, which cannot tell these apart; said alike, the
# rows of every style and client can be compared.
CURL_DROPPED = {1, 8, 18, 23, 52, 56, 61}

# An upstream's own words (an HTTP reason phrase) are shown up to this length.
MAX_ERROR_LENGTH = 200

# Fetches started and not yet ended, across all requests and styles: GET /stats.
in_flight = set()


def not_sent_in_time(seconds):
    return f"not sent: no slot came free within {seconds:g} s"


NOT_SENT_LEFT = "not sent: the visitor left"


def describe(error, max_body_bytes=MAX_BODY_BYTES):
    """Says why a fetch failed, in words a person understands."""
    if isinstance(error, HTTPClientError) and getattr(error, "errno", None) in CURL_ERRORS:
        return CURL_ERRORS[error.errno]  # a CurlError
    if isinstance(error, HTTPStreamClosedError) or (
            isinstance(error, HTTPClientError) and getattr(error, "errno", None) in CURL_DROPPED):
        # Tornado drops an answer it refuses (malformed framing, bad gzip, over the
        # size limit) by closing the connection, as if the upstream had hung up; the
        # exact reason goes only to its log, at INFO. So the row names every cause.
        return ("the connection ended before the answer was complete: the upstream "
                "closed it, or its answer was malformed or larger than the "
                f"{max_body_bytes:,}-byte limit")
    if isinstance(error, HTTPClientError) and error.code == 599 and error.response is None:
        return error.message  # Tornado's own: "Timeout while connecting"...
    if isinstance(error, OSError) and error.strerror:
        return error.strerror  # "Connection refused"
    text = str(error)[:MAX_ERROR_LENGTH] or type(error).__name__
    if isinstance(error, HTTPClientError) and 300 <= error.code < 400:
        return text + " (redirects are not followed)"
    return text


@contextlib.contextmanager
def counted_in_flight():
    """Counts a fetch that has no Future (a blocking one, one in a worker) while it runs."""
    token = object()
    in_flight.add(token)  # a set's add and discard are atomic: threads may call them
    try:
        yield token
    finally:
        in_flight.discard(token)


# The failures described in fixed words, which the pages show in the visitor's language
# (the others, such as "HTTP 500: Internal Server Error", as they are).
ERROR_TEXTS = [*CURL_ERRORS.values(), "Timeout while connecting", "Timeout in request queue",
               describe(HTTPStreamClosedError("Stream closed")), not_sent_in_time(RUN_SECONDS),
               NOT_SENT_LEFT]


def outcome(response, error=None, max_body_bytes=MAX_BODY_BYTES):
    """A fetch's (status, bytes, error words), from its response or the failure that ended it."""
    if error is not None:
        response = getattr(error, "response", None)
    return (response.code if response else None, len(response.body) if response else 0,
            None if error is None else describe(error, max_body_bytes))


def shorten(text):
    """At most MAX_FAILURE_CHARS, the end kept: a traceback's last lines say the most."""
    return text if len(text) <= MAX_FAILURE_CHARS else "…" + text[-MAX_FAILURE_CHARS:]


def source_path(match):
    # This checkout's or this machine's directories are nobody's business: keep the
    # package-relative part ("webdemo/styles/coroutines.py", "tornado/httpclient.py").
    parts = match.group(1).split("/")
    keep = len(parts) - parts.index("webdemo") if "webdemo" in parts else 2
    return f'File "{"/".join(parts[-keep:])}"'


def seen_as(error):
    """What the failure looked like to the style's code: the object, and its traceback.

    A callback is handed the error object; nothing was raised in its code. A coroutine
    has it raised at its await, and the traceback runs through the style's own lines.
    """
    trace = None
    if error.__traceback__ is not None:
        trace = shorten(re.sub(r'File "([^"]+)"', source_path,
                               "".join(traceback.format_exception(error))))
    kind = type(error)
    return {"type": f"{kind.__module__}.{kind.__qualname__}", "repr": shorten(repr(error)),
            "traceback": trace}


def as_response(request, fetched):
    """Delivers every outcome as a response, a failure as one whose .error is set.

    Tornado 5's fetch(url, callback) did this; Tornado 6's raise_error=False does it
    only for HTTP error statuses and still raises for a refused connection or a
    timeout, which a callback would then have to catch apart from everything else.
    """
    delivered = Future()

    def deliver(fetched):
        error = fetched.exception()
        delivered.set_result(HTTPResponse(request, 599, error=error) if error else fetched.result())

    fetched.add_done_callback(deliver)
    return delivered


class BlockingSlots:
    """Slots for code that blocks (in threads, or greenlets): the others wait in line.

    A fetch not sent `seconds` after the run began fails unsent with NotSent, whether it
    waited in line or came late (one fetch after another, or a thread that started late).
    """

    def __init__(self, size, seconds, left=None):
        self.semaphore = threading.BoundedSemaphore(size)
        self.seconds = seconds
        self.deadline = time.monotonic() + (seconds if left is None else left)

    def take(self, queued, sent):
        """Takes a slot; with none free, calls queued(), waits, and calls sent() once in."""
        if time.monotonic() >= self.deadline:
            raise NotSent(not_sent_in_time(self.seconds))
        if not self.semaphore.acquire(blocking=False):
            queued()
            if not self.semaphore.acquire(timeout=self.deadline - time.monotonic()):
                raise NotSent(not_sent_in_time(self.seconds))
            sent()

    def release(self):
        self.semaphore.release()


class Slots:
    """At most `size` fetches of one run in flight; the others wait in line, in order.

    Built from done-callbacks, not a coroutine, so the callback style stays callbacks
    all the way down. A fetch still in line after RUN_SECONDS, or when the visitor
    has left, fails unsent with NotSent.
    """

    def __init__(self, size, gone):
        self.free = size
        self.gone = gone
        self.waiting = collections.deque()
        self.deadline = IOLoop.current().time() + RUN_SECONDS
        self.expiry = None

    def submit(self, send):
        """send() starts the fetch and answers its Future; answers a Future of the same."""
        result = Future()
        if self.free:
            self.start(send, result)
        else:
            self.waiting.append((send, result))
            if self.expiry is None:
                self.expiry = IOLoop.current().call_at(self.deadline, self.give_up,
                                                       not_sent_in_time(RUN_SECONDS))
        return result

    def start(self, send, result):
        self.free -= 1
        fetched = send()
        chain_future(fetched, result)
        fetched.add_done_callback(self.release)

    def release(self, fetched):
        self.free += 1
        if self.gone():
            self.give_up(NOT_SENT_LEFT)
        elif self.waiting:
            self.start(*self.waiting.popleft())
        if not self.waiting and self.expiry is not None:
            IOLoop.current().remove_timeout(self.expiry)
            self.expiry = None

    def give_up(self, why):
        while self.waiting:
            _, result = self.waiting.popleft()
            result.set_exception(NotSent(why))


class AggregateHandler(BaseHandler):
    # How a fetch's result re-enters the style's code; each style names it.
    resume_event = None
    event_labels = EVENT_LABELS  # what a page calls each kind of event

    def initialize(self, style):
        self.style = style

    def prepare(self):
        arguments = self.query_arguments()
        self.format = one(arguments, "format", "html")
        if self.format not in FORMATS:
            raise BadInput("format must be %(some)s or %(last)s",
                           some=", ".join(FORMATS[:-1]), last=FORMATS[-1])
        self.plan = self.plan_run(arguments)
        self.targets = self.plan.targets
        self.started = time.perf_counter()
        self.start_ms = [0.0] * len(self.targets)
        self.sent_ms = [None] * len(self.targets)
        self.sent_at = [None] * len(self.targets)
        self.events = []
        # Styles that fetch in threads log from them: an entry's time and its place
        # in the log must be taken together. Their failures are counted under it too.
        self.events_lock = threading.Lock()
        self.slots = Slots(self.plan.limit, self.visitor_left)
        # The same line for the styles that fetch in threads, each thread waiting its turn.
        self.thread_slots = BlockingSlots(self.plan.limit, RUN_SECONDS)
        self.queued = set()
        self.failures_shown = 0
        self.loop, self.loop_thread = IOLoop.current(), threading.get_ident()
        self.live = (self.format == "events"
                     or "text/event-stream" in self.request.headers.get("Accept", ""))
        if self.live:
            self.open_stream()

    def plan_run(self, arguments):
        """The Plan of this run, from the query: a job of another shape plans its own."""
        return self.settings["catalog"].plan(arguments)

    def visitor_left(self):
        stream = self.request.connection.stream
        return stream is None or stream.closed()

    def log_event(self, kind, index=None, **details):
        with self.events_lock:
            event = {"t_ms": self.elapsed_ms(), "kind": kind}
            if index is not None:
                event |= {"index": index, "target": self.targets[index].name}
            event |= details
            event["thread"] = threading.current_thread().name
            self.events.append(event)
            if self.live:
                self.send_message("event", event)

    def fetch_started(self, index):
        self.start_ms[index] = self.sent_ms[index] = self.elapsed_ms()
        self.log_event("fetch-start", index)

    def fetch_queued(self, index):
        """No slot was free (the run's limit): the fetch waits in line."""
        self.sent_ms[index] = None
        self.queued.add(index)
        self.log_event("queued", index)

    def fetch_sent(self, index):
        """A slot came free for a fetch that waited in line: it goes now."""
        self.sent_ms[index] = self.elapsed_ms()
        self.log_event("sent", index)

    def fetch(self, index, raise_error=True):
        """Starts fetching target number `index`; returns the Future of its response.

        With no free slot the fetch waits in line, and is sent when one comes free.
        """
        self.fetch_started(index)
        if not self.slots.free:
            self.fetch_queued(index)
        request = HTTPRequest(self.targets[index].url, connect_timeout=self.plan.timeout,
                              request_timeout=self.plan.timeout)
        fetched = self.slots.submit(lambda: self.send(index, request, raise_error))
        return fetched if raise_error else as_response(request, fetched)

    def send(self, index, request, raise_error):
        if index in self.queued:
            self.fetch_sent(index)
        # With every one of the client's slots taken (--max-clients), it waits in the
        # client's own line: when the client began it, its response will say.
        client_fetches = self.settings["client_fetches"]
        if len(client_fetches) >= self.settings["config"].max_clients:
            self.sent_at[index] = time.time()  # the clock of HTTPResponse.start_time
        fetched = self.settings["http_client"].fetch(request, raise_error=raise_error)
        for fetches in (in_flight, client_fetches):
            fetches.add(fetched)
            fetched.add_done_callback(fetches.discard)
        return fetched

    def fetch_blocking(self, index):
        """Fetches target number `index` and returns its response, blocking till then.

        With no free slot the thread waits in line, and fetches when one comes free.
        """
        self.fetch_started(index)
        self.thread_slots.take(lambda: self.fetch_queued(index), lambda: self.fetch_sent(index))
        try:
            with counted_in_flight():
                return blocking_fetch(self.targets[index].url, self.plan.timeout,
                                      self.settings["config"].max_body_bytes)
        finally:
            self.thread_slots.release()

    def succeeded(self, index, response):
        return self.row(index, *outcome(response), began=response.start_time)

    def failed(self, index, error):
        failure = seen_as(error) if self.may_show_failure() else None
        response = getattr(error, "response", None)
        return self.row(index, *outcome(None, error, self.settings["config"].max_body_bytes),
                        failure=failure, began=response.start_time if response else None)

    def may_show_failure(self):
        """Counts a failure: True for a run's first MAX_FAILURES_SHOWN, which show how
        they reached the style's code."""
        with self.events_lock:  # threads fail at once: a read, then a write
            self.failures_shown += 1
            return self.failures_shown <= MAX_FAILURES_SHOWN

    def row(self, index, status, size, error, failure=None, began=None):
        """The row of a fetch; `began` is when the HTTP client began it, if it says."""
        self.log_event(self.resume_event, index, status=status, error=error)
        target = self.targets[index]
        end_ms = self.elapsed_ms()
        sent_ms = self.sent_ms[index] if self.sent_ms[index] is not None else end_ms
        # Then, past the run's own line, the HTTP client's (--max-clients).
        if began and self.sent_at[index]:
            sent_ms += max(0.0, began - self.sent_at[index]) * 1000
        queued_ms = min(sent_ms, end_ms) - self.start_ms[index]
        return Row(target.name, target.url, status, size, error, self.start_ms[index], end_ms,
                   round(queued_ms, 1), failure)

    def render_results(self, rows, **fields):
        """Answers the rows with their totals; `fields` are what a job adds to them."""
        self.log_event("render")
        aggregate = {
            "style": self.style,
            "elapsed_ms": self.elapsed_ms(),
            "ok": sum(row.error is None for row in rows),
            "failed": sum(row.error is not None for row in rows),
            "total_bytes": sum(row.bytes for row in rows),
            "results": [vars(row) for row in rows],  # asdict() deep-copies: 15% slower
            "events": self.events,
        } | fields | self.knobs()
        if self.live:
            self.send_message("aggregate", aggregate)
            self.finish()
        elif self.wants_json():
            self.finish(aggregate)
        else:
            self.render("aggregate.html", event_labels=self.event_labels, **aggregate)

    def open_stream(self):
        """Answers with server-sent events: each event as it is logged, then the aggregate."""
        streams = self.settings["live_streams"]
        if len(streams) >= MAX_LIVE_STREAMS:
            raise BadInput("%(count)s live runs are under way: try again shortly",
                           status_code=503, count=MAX_LIVE_STREAMS)
        streams.add(self)
        self.set_header("Content-Type", "text/event-stream; charset=utf-8")
        # no-cache, not no-store: Chromium reports a no-store stream read to its end as
        # aborted (net::ERR_ABORTED), an error in the console of every live run.
        self.set_header("Cache-Control", "no-cache")
        self.send_message("run", {"style": self.style,
                                  "targets": [t.name for t in self.targets]} | self.knobs())

    def knobs(self):
        """How this run was asked to go: told when it starts, and again with its results."""
        return {"limit": self.plan.limit, "timeout_ms": self.plan.timeout * 1000,
                "slow": self.plan.slow}

    def send_message(self, name, data):
        if threading.get_ident() != self.loop_thread:  # a style's fetch thread
            self.loop.add_callback(self.send_message, name, data)
            return
        if self._finished or self.visitor_left():
            return
        self.write(f"event: {name}\ndata: {json_encode(data)}\n\n")
        self.flush()

    def on_finish(self):
        self.settings["live_streams"].discard(self)
