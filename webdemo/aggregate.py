"""What every style shares, so that a style file holds only its style.

Reading the request into targets, starting a fetch, turning a response or a failure
into a row, the event log with its clock, and rendering the aggregate as HTML or
JSON all live here.
"""

import time
from dataclasses import asdict, dataclass

from tornado.concurrent import Future
from tornado.httpclient import HTTPClientError, HTTPRequest, HTTPResponse
from tornado.simple_httpclient import HTTPStreamClosedError

from webdemo.base import BaseHandler
from webdemo.catalog import BadInput


@dataclass
class Row:
    target: str
    url: str
    status: int | None
    bytes: int
    error: str | None
    start_ms: float
    end_ms: float


# An upstream's own words (an HTTP reason phrase) are shown up to this length.
MAX_ERROR_LENGTH = 200

# Fetches started and not yet ended, across all requests and styles: GET /stats.
in_flight = set()


def describe(error, max_body_bytes):
    """Says why a fetch failed, in words a person understands."""
    if isinstance(error, HTTPStreamClosedError):
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


class AggregateHandler(BaseHandler):
    # How a fetch's result re-enters the style's code; each style names it.
    resume_event = None

    def initialize(self, style):
        self.style = style

    def prepare(self):
        if self.once("format", "html") not in ("html", "json"):
            raise BadInput("format must be html or json")
        catalog = self.settings["catalog"]
        # strip=False: Tornado would otherwise trim spaces and drop control characters,
        # and pass " python.org\x00" for "python.org"; what is sent is what is checked.
        self.targets = catalog.resolve(self.get_query_arguments("fetch", strip=False),
                                       self.once("scenario"))
        self.started = time.perf_counter()
        self.start_ms = [0.0] * len(self.targets)
        self.events = []

    def once(self, name, default=None):
        """A query argument that may be given at most once."""
        values = self.get_query_arguments(name, strip=False)
        if len(values) > 1:
            raise BadInput(f"{name} is given more than once: give it once")
        return values[0] if values else default

    def elapsed_ms(self):
        return round((time.perf_counter() - self.started) * 1000, 1)

    def log_event(self, kind, index=None, **details):
        event = {"t_ms": self.elapsed_ms(), "kind": kind}
        if index is not None:
            event["target"] = self.targets[index].name
        self.events.append(event | details)

    def fetch(self, index, raise_error=True):
        """Starts fetching target number `index`; returns the Future of its response."""
        self.start_ms[index] = self.elapsed_ms()
        self.log_event("fetch-start", index)
        request = HTTPRequest(self.targets[index].url)
        fetched = self.settings["http_client"].fetch(request, raise_error=raise_error)
        in_flight.add(fetched)
        fetched.add_done_callback(in_flight.discard)
        return fetched if raise_error else as_response(request, fetched)

    def succeeded(self, index, response):
        return self.row(index, response, None)

    def failed(self, index, error):
        error_text = describe(error, self.settings["config"].max_body_bytes)
        return self.row(index, getattr(error, "response", None), error_text)

    def row(self, index, response, error):
        status = response.code if response else None
        self.log_event(self.resume_event, index, status=status, error=error)
        target = self.targets[index]
        return Row(target.name, target.url, status, len(response.body) if response else 0,
                   error, self.start_ms[index], self.elapsed_ms())

    def render_results(self, rows):
        self.log_event("render")
        aggregate = {
            "style": self.style,
            "elapsed_ms": self.elapsed_ms(),
            "ok": sum(row.error is None for row in rows),
            "failed": sum(row.error is not None for row in rows),
            "total_bytes": sum(row.bytes for row in rows),
            "results": [asdict(row) for row in rows],
            "events": self.events,
        }
        if self.wants_json():
            self.finish(aggregate)
        else:
            self.render("aggregate.html", **aggregate)
