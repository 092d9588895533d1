"""What every style shares, so that a style file holds only its style.

Reading the request into targets, starting a fetch (with Tornado's client, or the
blocking way with urllib), turning a response or a failure into a row, the event log
with its clock, and rendering the aggregate as HTML or JSON all live here.
"""

import contextlib
import http.client
import io
import socket
import threading
import time
import urllib.error
import urllib.request
import zlib
from dataclasses import dataclass

from tornado.concurrent import Future
from tornado.httpclient import HTTPClientError, HTTPRequest, HTTPResponse
from tornado.simple_httpclient import HTTPStreamClosedError, HTTPTimeoutError

from webdemo.base import BaseHandler
from webdemo.catalog import BadInput

# The simulator serves up to 10,000,000 bytes; anything larger is refused mid-body.
MAX_BODY_BYTES = 16 * 1024 * 1024


@dataclass
class Row:
    target: str
    url: str
    status: int | None
    bytes: int
    error: str | None
    start_ms: float
    end_ms: float


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


def describe(error, max_body_bytes=MAX_BODY_BYTES):
    """Says why a fetch failed, in words a person understands."""
    if isinstance(error, HTTPClientError) and getattr(error, "errno", None) in CURL_ERRORS:
        return CURL_ERRORS[error.errno]  # a CurlError
    if isinstance(error, HTTPStreamClosedError) or getattr(error, "errno", 0) in CURL_DROPPED:
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


def outcome(response, error=None, max_body_bytes=MAX_BODY_BYTES):
    """A fetch's (status, bytes, error words), from its response or the failure that ended it."""
    if error is not None:
        response = getattr(error, "response", None)
    return (response.code if response else None, len(response.body) if response else 0,
            None if error is None else describe(error, max_body_bytes))


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


class DeadlineSocket(socket.socket):
    """A socket whose every wait gets only what is left of one deadline for the fetch.

    A plain socket timeout bounds each wait alone, so an upstream that trickles a byte
    now and then could hold a blocking fetch for ever; Tornado's client has one
    deadline for the whole request, and so does this.
    """

    @classmethod
    def adopt(cls, sock, deadline):
        adopted = cls(sock.family, sock.type, sock.proto, fileno=sock.detach())
        adopted.deadline = deadline
        return adopted

    def wait_no_longer_than_the_deadline(self):
        left = self.deadline - time.monotonic()
        if left <= 0:
            raise TimeoutError("timed out")
        self.settimeout(left)

    def recv_into(self, *args):
        self.wait_no_longer_than_the_deadline()
        return super().recv_into(*args)

    def sendall(self, *args):
        self.wait_no_longer_than_the_deadline()
        return super().sendall(*args)


class DeadlineConnection(http.client.HTTPConnection):
    def __init__(self, host, timeout, **kwargs):
        super().__init__(host, timeout=timeout, **kwargs)
        self.deadline = time.monotonic() + timeout

    def connect(self):
        try:
            super().connect()
        except TimeoutError:
            raise HTTPTimeoutError("Timeout while connecting") from None
        self.sock = DeadlineSocket.adopt(self.sock, self.deadline)


class DeadlineHandler(urllib.request.HTTPHandler):
    def http_open(self, request):
        return self.do_open(DeadlineConnection, request)


class ReportRedirects(urllib.request.HTTPRedirectHandler):
    # As the app's Tornado client does: a 3xx is the answer, not a step on the way.
    def redirect_request(self, *args):
        return None


# No proxy from the environment either: the Tornado client uses none.
opener = urllib.request.build_opener(
    urllib.request.ProxyHandler({}), ReportRedirects, DeadlineHandler)
opener.addheaders = [("Accept-Encoding", "gzip")]


def blocking_fetch(url, timeout, max_body=MAX_BODY_BYTES):
    """Fetches url the blocking way, with urllib; answers as the app's Tornado client does.

    The same limits (one deadline, no redirects followed, the largest body) and the same
    outcome: a tornado HTTPResponse, or the exception fetch() would raise, with the same
    words, so that describe() and the rows cannot tell which way a page was fetched.
    """
    try:
        try:
            answer = opener.open(url, timeout=timeout)
        except urllib.error.HTTPError as error_status:  # which has a body too
            answer = error_status
        with answer:
            response = read_response(url, answer, max_body)
    except urllib.error.URLError as error:  # could not connect, and why
        if isinstance(error.reason, OSError):
            raise error.reason from None
        raise
    except http.client.RemoteDisconnected:
        raise HTTPStreamClosedError("Stream closed") from None
    except http.client.HTTPException:  # a malformed answer, or cut short
        raise HTTPStreamClosedError("Connection closed") from None
    except TimeoutError:
        raise HTTPTimeoutError("Timeout during request") from None
    response.rethrow()  # an error status raises, as with fetch(raise_error=True)
    return response


def read_response(url, answer, max_body):
    body = answer.read(max_body + 1)
    # read(n) does not complain of a body cut short: compare with the length announced.
    announced = answer.headers.get("Content-Length", "")
    if len(body) > max_body or announced.isdigit() and len(body) < int(announced):
        raise HTTPStreamClosedError("Connection closed")  # what Tornado says then
    if len(set(answer.headers.get_all("Content-Length", []))) > 1:  # which one to believe?
        raise HTTPStreamClosedError("Connection closed")
    if answer.headers.get("Content-Encoding") == "gzip":  # asked for, as Tornado does
        try:  # at most one byte past the limit, so a small bomb cannot go off here
            body = zlib.decompressobj(16 + zlib.MAX_WBITS).decompress(body, max_body + 1)
        except zlib.error:
            raise HTTPStreamClosedError("Connection closed") from None
        if len(body) > max_body:
            raise HTTPStreamClosedError("Connection closed")
    return HTTPResponse(HTTPRequest(url), answer.status, reason=answer.reason,
                        buffer=io.BytesIO(body))


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
        # Styles that fetch in threads log from them: an entry's time and its place
        # in the log must be taken together.
        self.events_lock = threading.Lock()

    def once(self, name, default=None):
        """A query argument that may be given at most once."""
        values = self.get_query_arguments(name, strip=False)
        if len(values) > 1:
            raise BadInput(f"{name} is given more than once: give it once")
        return values[0] if values else default

    def elapsed_ms(self):
        return round((time.perf_counter() - self.started) * 1000, 1)

    def log_event(self, kind, index=None, **details):
        with self.events_lock:
            event = {"t_ms": self.elapsed_ms(), "kind": kind}
            if index is not None:
                event["target"] = self.targets[index].name
            self.events.append(event | details)

    def fetch_started(self, index):
        self.start_ms[index] = self.elapsed_ms()
        self.log_event("fetch-start", index)

    def fetch(self, index, raise_error=True):
        """Starts fetching target number `index`; returns the Future of its response."""
        self.fetch_started(index)
        request = HTTPRequest(self.targets[index].url)
        fetched = self.settings["http_client"].fetch(request, raise_error=raise_error)
        in_flight.add(fetched)
        fetched.add_done_callback(in_flight.discard)
        return fetched if raise_error else as_response(request, fetched)

    def fetch_blocking(self, index):
        """Fetches target number `index` and returns its response, blocking till then."""
        self.fetch_started(index)
        config = self.settings["config"]
        with counted_in_flight():
            return blocking_fetch(self.targets[index].url, config.timeout, config.max_body_bytes)

    def succeeded(self, index, response):
        return self.row(index, *outcome(response))

    def failed(self, index, error):
        return self.row(index, *outcome(None, error, self.settings["config"].max_body_bytes))

    def row(self, index, status, size, error):
        self.log_event(self.resume_event, index, status=status, error=error)
        target = self.targets[index]
        return Row(target.name, target.url, status, size, error, self.start_ms[index],
                   self.elapsed_ms())

    def render_results(self, rows):
        self.log_event("render")
        aggregate = {
            "style": self.style,
            "elapsed_ms": self.elapsed_ms(),
            "ok": sum(row.error is None for row in rows),
            "failed": sum(row.error is not None for row in rows),
            "total_bytes": sum(row.bytes for row in rows),
            "results": [vars(row) for row in rows],  # asdict() deep-copies: 15% slower
            "events": self.events,
        }
        if self.wants_json():
            self.finish(aggregate)
        else:
            self.render("aggregate.html", **aggregate)
