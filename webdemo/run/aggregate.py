"""AggregateHandler: one run of fetches on the event loop, the same for every style, and
its answer.

A style's handler keeps only its style, and calls only what webdemo/run/contract.py
names: it starts each fetch with fetch() (the app's Tornado client, a Future) or
fetch_blocking() (urllib, in a thread), makes its row with succeeded() or failed(),
and hands the rows to render_results(). The run lives here: its line of fetches, its
record (each fetch's times, the event log, the rows: webdemo/run/record.py), and the
answer as HTML or JSON, or live as server-sent events (webdemo/run/live.py).
"""

import re
import time

from tornado.concurrent import Future
from tornado.httpclient import HTTPRequest, HTTPResponse

from webdemo.catalog import RUN_SECONDS, Plan
from webdemo.query import BadInput, one
from webdemo.run.blocking import blocking_fetch
from webdemo.run.live import LiveStream
from webdemo.run.outcomes import as_response, message_pattern, outcome, seen_as
from webdemo.run.record import Row, RunRecord
from webdemo.run.slots import LoopSlots, ThreadSlots
from webdemo.trace.turns import Turns, asked

FORMATS = ("html", "json", "events")
# What every kind of event is called on the pages (the styles', and the break-it
# demos'), in English: the templates and the pages' script translate it. A kind not
# in it shows as it is.
EVENT_LABELS = {
    "fetch-start": "fetch started",
    "queued": "waiting for a slot",
    "shared": "waiting for a fair share of the server's slots",
    "sent": "sent",
    "callback": "callback ran",
    "resumed": "coroutine resumed",  # at an await, or at a generator's yield
    "counter": "counter decremented",
    "render": "rendered",
    "returned": "blocking call returned",
    "blocked": "time.sleep() on the loop's thread",
    "link-refused": "link refused",  # a chain's (webdemo/run/chain.py)
}


class AggregateHandler(LiveStream):
    # Not part of the style, but what the run says of it: the event logged as a fetch's
    # result re-enters the style's code (a key of EVENT_LABELS), for the event log, the
    # timeline and trace=turns (which takes the class naming it for the style's file).
    resume_event = None
    turns = None  # the loop's turns, recorded for a run that asks (trace=turns)

    def initialize(self, style: str) -> None:
        self.style = style

    def prepare(self) -> None:
        arguments = self.query_arguments()
        self.format = one(arguments, "format", "html")
        if self.format not in FORMATS:
            raise BadInput("format must be %(some)s or %(last)s",
                           some=", ".join(FORMATS[:-1]), last=FORMATS[-1])
        self.plan = self.plan_run(arguments)
        self.targets = self.plan.targets
        self.record = RunRecord(len(self.targets))
        self.rows = self.record.rows  # index -> its row, as each is made
        app = self.application
        self.visitor = app.visitor(self.request)
        self.loop_slots = LoopSlots(self.plan.limit, RUN_SECONDS, self.visitor_left,
                                    app.client_shares, self.visitor)
        self.thread_slots = ThreadSlots(self.plan.limit, RUN_SECONDS)
        # This run's way into the app's threads, shared fairly with other runs.
        self.thread_pool = app.thread_pool.lane(self.visitor,
                                                lambda: self.log_event("shared"), self.weigh)
        app.runs.add(self)
        if asked(arguments):
            self.turns = Turns(self)
        self.live = (self.format == "events"
                     or "text/event-stream" in self.request.headers.get("Accept", ""))
        if self.live:
            self.open_stream({"style": self.style,
                              "targets": [target.name for target in self.targets]}
                             | self.knobs())

    def compute_etag(self) -> None:
        # An aggregate is never the same twice (its times differ): Tornado's default would
        # hash every answer for an Etag that cannot match.
        return None

    def plan_run(self, arguments: dict) -> Plan:
        """The Plan of this run, from the query: a job of another shape plans its own."""
        return self.application.catalog.plan(arguments)

    def finish(self, chunk=None) -> Future:
        sent = super().finish(chunk)
        # A run is under way until its answer has gone out: a stop waits for that.
        sent.add_done_callback(lambda _: self.application.runs.discard(self))
        return sent

    # What the recorder (webdemo/trace/) reads of the run, as every handler has them.
    @property
    def started(self) -> float:
        return self.record.started

    @property
    def times(self) -> list:
        return self.record.times

    def log_event(self, kind: str, index: int | None = None, **details) -> None:
        target = None if index is None else self.targets[index].name
        with self.record.lock:
            event = self.record.log(kind, index, target, details)
            if self.turns:
                self.turns.event(kind, index, details)
            if self.live:
                self.send_message("event", event)

    def fetch_started(self, index: int) -> None:
        self.record.started_fetch(index)
        self.log_event("fetch-start", index)

    def fetch_queued(self, index: int, why: str = "queued") -> None:
        """No slot was free: the fetch waits in line, for the run's limit ("queued") or
        for its fair share of the server's slots ("shared")."""
        self.record.queued(index)
        self.log_event(why, index)

    def fetch_sent(self, index: int) -> None:
        """A slot came free for a fetch that waited in line: it goes now."""
        self.record.sent(index)
        self.log_event("sent", index)

    def fetch(self, index: int, raise_error: bool = True) -> Future:
        """Starts fetching target number `index`; returns the Future of its response.

        With no free slot the fetch waits in line, and is sent when one comes free.
        """
        self.fetch_started(index)
        request = HTTPRequest(self.targets[index].url, connect_timeout=self.plan.timeout,
                              request_timeout=self.plan.timeout)
        fetched = self.loop_slots.submit(lambda: self.send(index, request, raise_error),
                                         lambda why: self.fetch_queued(index, why),
                                         lambda: self.fetch_sent(index),
                                         self.targets[index].units)
        return fetched if raise_error else as_response(request, fetched)

    def send(self, index: int, request: HTTPRequest, raise_error: bool) -> Future:
        in_flight = self.application.in_flight
        # With every one of the client's slots taken (--max-clients), it waits in the
        # client's own line: when the client began it, its response will say.
        if in_flight.client_is_full():
            self.times[index].sent_wall_s = time.time()
        fetched = self.application.http_client.fetch(request, raise_error=raise_error)
        in_flight.add_client_fetch(fetched)
        if self.turns:
            self.turns.sent(index, request, fetched)
        return fetched

    def weigh(self, index: int | None = None) -> int:
        """What a task of this run weighs in the pool's fair shares (webdemo/run/shares.py):
        its fetch's weight; a task that makes every fetch, one after another (sequential),
        weighs what its heaviest does. A sequential chain's task is weighed by its start
        page alone, the only target known then: the pages it links to are catalog names,
        built in or the operator's, which weigh one unit each."""
        if index is None:
            return max(target.units for target in self.targets)
        return self.targets[index].units

    def fetch_blocking(self, index: int) -> HTTPResponse:
        """Fetches target number `index` and returns its response, blocking till then.

        With no free slot the thread waits in line, and fetches when one comes free.
        """
        self.fetch_started(index)
        return self.thread_slots.submit(lambda: self.send_blocking(index),
                                        lambda why: self.fetch_queued(index, why),
                                        lambda: self.fetch_sent(index))

    def send_blocking(self, index: int) -> HTTPResponse:
        with self.application.in_flight.counted():
            return blocking_fetch(self.targets[index].url, self.plan.timeout,
                                  self.application.config.max_body_bytes)

    def succeeded(self, index: int, response: HTTPResponse) -> Row:
        return self.row(index, *outcome(response), began=response.start_time)

    def failed(self, index: int, error: BaseException) -> Row:
        failure = seen_as(error) if self.record.may_show_failure() else None
        response = getattr(error, "response", None)
        return self.row(index, *outcome(None, error, self.application.config.max_body_bytes),
                        failure=failure, began=response.start_time if response else None)

    def row(self, index: int, status: int | None, size: int, error: str | None,
            failure: dict | None = None, began: float | None = None) -> Row:
        """The row of a fetch, kept in `rows`; `began` is when the HTTP client began it
        (wall-clock seconds), if it says."""
        self.log_event(self.resume_event, index, status=status, error=error)
        target = self.targets[index]
        return self.record.row(index, target.name, target.url, status, size, error,
                               failure, began)

    def render_results(self, rows: list[Row], **fields) -> None:
        """Answers the rows with their totals; `fields` are what a job adds to them."""
        self.log_event("render")
        aggregate = {
            "style": self.style,
            "elapsed_ms": self.elapsed_ms(),
            "ok": sum(row.error is None for row in rows),
            "failed": sum(row.error is not None for row in rows),
            "total_bytes": sum(row.bytes for row in rows),
            "results": [vars(row) for row in rows],  # asdict() deep-copies: 15% slower
            "events": self.record.events,
        } | fields | self.knobs()
        if self.turns:
            aggregate |= self.turns.finish()
        if self.live:
            self.send_message("aggregate", aggregate)
            self.finish()
        elif self.wants_json():
            self.finish(aggregate)
        else:
            self.render("aggregate.html", event_labels=EVENT_LABELS, words=self.words,
                        **aggregate)

    # Messages with a name or a reason in them, as "... %(name)s ...": see words().
    pattern_texts: tuple = ()

    def words(self, text: str) -> str:
        """A row's error or a reason, in the visitor's language: fixed words, or words
        around a name or a reason (pattern_texts), the reason inside translated in turn."""
        for pattern in self.pattern_texts:
            found = re.fullmatch(message_pattern(pattern), text)
            if found:
                return self.locale.translate(pattern) % {
                    name: self.words(value) for name, value in found.groupdict().items()}
        return self.locale.translate(text)

    def on_finish(self) -> None:
        if self.turns:  # a run that ended before rendering (an error, a visitor who left)
            self.turns.stop()
        super().on_finish()

    def knobs(self) -> dict:
        """How this run was asked to go: told when it starts, and again with its results."""
        return {"limit": self.plan.limit, "timeout_ms": self.plan.timeout * 1000,
                "slow": self.plan.slow}
