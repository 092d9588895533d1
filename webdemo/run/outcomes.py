"""How a fetch ended, in words a person understands.

Tornado's two clients and urllib say the same failure in different words, and some of
their words carry what differs from run to run: here they become one set of words, so
that the rows of every style, client and run can be compared.
"""

import re
import traceback

from tornado.concurrent import Future
from tornado.httpclient import HTTPClientError, HTTPRequest, HTTPResponse
from tornado.simple_httpclient import HTTPStreamClosedError

from webdemo.catalog import RUN_SECONDS
from webdemo.run.blocking import MAX_BODY_BYTES

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
# What a failure looked like is kept up to this length: see seen_as().
MAX_FAILURE_CHARS = 4000

NOT_SENT_LEFT = "not sent: the visitor left"


def not_sent_in_time(seconds: float) -> str:
    return f"not sent: no slot came free within {seconds:g} s"


def describe(error: BaseException, max_body_bytes: int = MAX_BODY_BYTES) -> str:
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


# The failures described in fixed words, which the pages show in the visitor's language
# (the others, such as "HTTP 500: Internal Server Error", as they are).
ERROR_TEXTS = [*CURL_ERRORS.values(), "Timeout while connecting", "Timeout in request queue",
               describe(HTTPStreamClosedError("Stream closed")), not_sent_in_time(RUN_SECONDS),
               NOT_SENT_LEFT]


def outcome(response: HTTPResponse | None, error: BaseException | None = None,
            max_body_bytes: int = MAX_BODY_BYTES) -> tuple[int | None, int, str | None]:
    """A fetch's (status, bytes, error words), from its response or the failure that ended it."""
    if error is not None:
        response = getattr(error, "response", None)
    return (response.code if response else None, len(response.body) if response else 0,
            None if error is None else describe(error, max_body_bytes))


def shorten(text: str) -> str:
    """At most MAX_FAILURE_CHARS, the end kept: a traceback's last lines say the most."""
    return text if len(text) <= MAX_FAILURE_CHARS else "…" + text[-MAX_FAILURE_CHARS:]


def source_path(match: re.Match) -> str:
    # This checkout's or this machine's directories are nobody's business: keep the
    # package-relative part ("webdemo/styles/coroutines.py", "tornado/httpclient.py").
    parts = match.group(1).split("/")
    keep = len(parts) - parts.index("webdemo") if "webdemo" in parts else 2
    return f'File "{"/".join(parts[-keep:])}"'


def seen_as(error: BaseException) -> dict:
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


def as_response(request: HTTPRequest, fetched: Future) -> Future:
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


def message_pattern(text: str) -> str:
    """A message with %(name)s in it as a regular expression, a named group each: to find
    its parts in the English and put them into a translation."""
    parts = re.split(r"%\((\w+)\)s", text)
    return "".join(re.escape(part) if number % 2 == 0 else f"(?P<{part}>.*)"
                   for number, part in enumerate(parts))
