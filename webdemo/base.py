"""What every handler of the site shares: errors as a message, never a traceback; the
visitor's language; where the templates, static files and translations are."""

import functools
import ipaddress
import logging
import re
import socket
import struct
import time
from http.client import responses
from pathlib import Path
from urllib.parse import urlencode

import tornado.locale
from tornado.concurrent import Future
from tornado.escape import json_encode
from tornado.ioloop import IOLoop
from tornado.web import GZipContentEncoding, HTTPError, RequestHandler, StaticFileHandler

from webdemo.query import BadInput

LOOPBACK_NAMES = "localhost, 127.0.0.1 or [::1]"
# The languages of the pages: ?lang= and the lang cookie take these and nothing else.
LANGUAGES = {"en": "en_US", "ko": "ko"}
LANGUAGE_NAMES = {"en": "English", "ko": "한국어"}
LANGUAGE_COOKIE_DAYS = 365
LOG = logging.getLogger("webdemo")

# An event stream whose reader has taken nothing of what waits for it for this long is
# cut: it has stopped reading (a tab asleep, a client that never reads), and what the
# server writes would pile up in its memory until the stream ends, or for good once it
# has. A phone on a bad network still takes a piece within seconds.
STALL_SECONDS = 30
# The reader's progress is seen a piece at a time: an event, or a part of a big one (a
# traced run's aggregate can be hundreds of KB), so a slow reader is never taken for a
# stopped one.
PIECE_BYTES = 16 * 1024
# The kernel's send buffer of a stream's socket: Linux grows it up to 4 MB, which an
# unread stream holds (6 GB for the live streams allowed at once) and which hides a
# stopped reader from the server for as long. 32 KB (the kernel doubles it) still
# sends hundreds of KB a second over a slow link, far more than events need.
SEND_BUFFER_BYTES = 32 * 1024
RESET = struct.pack("ii", 1, 0)  # SO_LINGER on, for 0 s: close() resets the connection

# The error messages a visitor can meet besides BadInput's, in English, translated when
# shown: this site's own, and those of Tornado's checks.
NOT_FOUND = "there is no page at %s"
FOREIGN_HOST = ("this server answers only to " + LOOPBACK_NAMES
                + ", not to Host %r: it listens on this machine only")
ERROR_MESSAGES = (NOT_FOUND, FOREIGN_HOST,
                  "'_xsrf' argument missing from POST", "'_xsrf' argument has invalid format",
                  "XSRF cookie does not match POST argument",
                  "%s is not a file", "%s is not in root static directory")
# The reasons of the statuses the site answers errors with, translated in the same way.
# Python 3.13 calls 413 by RFC 9110's name, older ones "Request Entity Too Large": one name
# on every Python, so that one Korean row serves.
REASONS = responses | {413: "Content Too Large"}
ERROR_REASONS = tuple(REASONS[code] for code in (
    400, 403, 404, 405, 409, 413, 429, 500, 503))


@functools.lru_cache(maxsize=64)  # asked on every request, nearly always the same name
def is_loopback(host):
    """Whether a host name or address (an IPv6 one in brackets or not) is this machine."""
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host.removeprefix("[").removesuffix("]")).is_loopback
    except ValueError:
        return False


def resource_dir(name):
    """templates/, static/, locale/: inside the installed package, or beside it in a checkout."""
    installed = Path(__file__).parent / name
    return installed if installed.is_dir() else Path(__file__).parent.parent / name


# The strings a page's script shows: each t("...") in it, read once.
SCRIPT_STRING = re.compile(r'\bt\("((?:[^"\\]|\\.)*)"')
SCRIPT_IMPORT = re.compile(r'^import .* from "\./([\w-]+\.js)";$', re.MULTILINE)


@functools.cache
def script_messages(script):
    """The t("...") strings of static/<script> and of the modules it imports, at any depth."""
    text = (resource_dir("static") / script).read_text()
    found = set(SCRIPT_STRING.findall(text))
    for module in SCRIPT_IMPORT.findall(text):
        found.update(script_messages(module))
    return sorted(found)


def load_translations():
    tornado.locale.set_default_locale(LANGUAGES["en"])
    tornado.locale.load_translations(str(resource_dir("locale")), encoding="utf-8")


class BaseHandler(RequestHandler):
    def set_default_headers(self):
        self.set_header("Content-Security-Policy",
                        "default-src 'self'; frame-ancestors 'none'; form-action 'self'")
        self.set_header("X-Content-Type-Options", "nosniff")
        self.set_header("Referrer-Policy", "no-referrer")

    def head(self, *args, **kwargs):
        # Wherever GET answers, HEAD does, with the same headers: Tornado sends no body.
        return self.get(*args, **kwargs)

    # Why a request was refused, for the access log's line about it (app.log_request).
    refusal = None

    def log_exception(self, typ, value, tb):
        # An HTTPError is an answer, not a fault: Tornado would log it on a line of its
        # own, besides the access log's line for the same request. One line says both.
        if isinstance(value, HTTPError):
            self.refusal = value.log_message % value.args if value.args else value.log_message
        else:
            super().log_exception(typ, value, tb)

    def get_user_locale(self):
        # ?lang=ko switches, and the cookie remembers it; without either, the browser's
        # Accept-Language decides (Tornado's default). Other values are ignored.
        asked = self.request.query_arguments.get("lang", [b""])[-1].decode("latin-1")
        if asked in LANGUAGES:
            if self.get_cookie("lang") != asked:
                self.set_cookie("lang", asked, expires_days=LANGUAGE_COOKIE_DAYS,
                                samesite="Lax", httponly=True)
            return tornado.locale.get(LANGUAGES[asked])
        remembered = self.get_cookie("lang")
        return tornado.locale.get(LANGUAGES[remembered]) if remembered in LANGUAGES else None

    @property
    def language(self):
        """"en" or "ko": the page's lang attribute."""
        return self.locale.code.split("_")[0]

    def language_url(self, code):
        """This page, in the language `code`: the same query, lang replaced."""
        pairs = [(name, value) for name, values in self.request.query_arguments.items()
                 if name != "lang" for value in values]
        return "?" + urlencode([*pairs, ("lang", code)])

    def script_translations(self, script, more=()):
        """{English: translation} of every t("...") of static/<script>, and of the
        messages `more` the server sends it to show, for its page."""
        return json_encode({message: self.locale.translate(message)
                            for message in [*script_messages(script), *more]})

    def get_template_namespace(self):
        return super().get_template_namespace() | {
            "language": self.language, "languages": LANGUAGE_NAMES,
            "language_url": self.language_url}

    def elapsed_ms(self):
        """Milliseconds since self.started (a time.perf_counter())."""
        return round((time.perf_counter() - self.started) * 1000, 1)

    def query_arguments(self):
        """The query as {name: [values]}, each value untrimmed.

        strip=False: Tornado would otherwise trim the spaces around a value, and pass
        " python.org " for "python.org". (Control characters it still turns into
        spaces, which no name or number accepts.)
        """
        return {name: self.get_query_arguments(name, strip=False)
                for name in self.request.query_arguments}

    def wants_json(self):
        # Read raw: this also runs while reporting a malformed query.
        return (self.request.query_arguments.get("format") in ([b"json"], [b"events"])
                or "application/json" in self.request.headers.get("Accept", ""))

    def write_error(self, status_code, **kwargs):
        # In the visitor's language: English unless ?lang=, the cookie or Accept-Language
        # asks for Korean, for JSON too.
        translate = self.locale.translate
        error = kwargs.get("exc_info", (None, None))[1]
        # The status line's reason, as send_error() set it: the HTTPError's own, the one
        # it was given, or the standard one.
        own = (error.reason if isinstance(error, HTTPError) else None) or kwargs.get("reason")
        reason = translate(own or REASONS.get(status_code, "Unknown"))
        if isinstance(error, BadInput):
            message = error.translated(self.locale)
        elif isinstance(error, HTTPError) and error.log_message and status_code < 500:
            message = translate(error.log_message) % error.args
        else:  # never the exception's own text: it may hold internals
            message = reason
        if self.wants_json():
            self.finish({"error": message})
        else:
            self.render("error.html", status_code=status_code, reason=reason, message=message)


class NotFoundHandler(BaseHandler):
    def prepare(self):
        raise HTTPError(404, NOT_FOUND, self.request.path)


class ForeignHostHandler(BaseHandler):
    def prepare(self):
        raise HTTPError(403, FOREIGN_HOST, self.request.host[:100])


def event_text(name: str, data) -> str:
    """A server-sent event named `name`, its data as JSON."""
    return f"event: {name}\ndata: {json_encode(data)}\n\n"


class EventStream:
    """Mixed into a handler that answers with server-sent events: the live runs' streams
    and the class pages'. One set of headers, one framing, one check for a visitor gone,
    and a reader who has stopped reading cut (STALL_SECONDS)."""

    waiting = 0  # pieces written that have not yet left the server for the kernel
    since = 0.0  # when the reader last took a piece, or the first piece began to wait
    stall_check = None  # the loop's timeout that looks again, while pieces wait

    def start_events(self) -> None:
        self.set_header("Content-Type", "text/event-stream; charset=utf-8")
        # no-cache, not no-store: Chromium reports a no-store stream read to its end as
        # aborted (net::ERR_ABORTED), an error in the console of every live run.
        self.set_header("Cache-Control", "no-cache")
        # nginx buffers a proxied answer by default, which would hold the events back
        # until the answer ends: this tells it not to, for this answer only.
        self.set_header("X-Accel-Buffering", "no")
        if not self.visitor_left():
            self.request.connection.stream.socket.setsockopt(
                socket.SOL_SOCKET, socket.SO_SNDBUF, SEND_BUFFER_BYTES)

    def visitor_left(self) -> bool:
        stream = self.request.connection.stream
        return stream is None or stream.closed()

    def send_event(self, name: str, data) -> None:
        self.send_text(event_text(name, data))

    def send_text(self, text: str) -> None:
        """Sends a ready-made event (or a comment) now, a piece at a time; the flush of a
        visitor gone is dropped: the handler finds out by visitor_left()."""
        data = text.encode()
        for start in range(0, len(data), PIECE_BYTES):
            self.write(data[start:start + PIECE_BYTES])
            self.flush().add_done_callback(flushed)
            if self.visitor_left():
                return
            self.watch_piece()

    def watch_piece(self) -> None:
        """Times the piece just flushed until it has left the server's buffer."""
        stream = self.request.connection.stream
        if not stream.writing():  # all of it went to the kernel at once: nothing waits
            return
        # A write of nothing resolves once all written before it has gone to the kernel
        # (IOStream resolves its writes in order). The flush's Future cannot say: the
        # HTTP connection keeps one at a time, and a flush made before another ends
        # unresolved.
        left = stream.write(b"")
        loop = IOLoop.current()
        if not self.waiting:
            self.since = loop.time()
        self.waiting += 1
        left.add_done_callback(self.piece_left)
        if self.stall_check is None:
            self.stall_check = loop.call_at(self.since + STALL_SECONDS, self.check_reader)

    def piece_left(self, left: Future) -> None:
        """The reader took some (or the stream closed, and nothing waits any more)."""
        self.waiting -= 1
        self.since = IOLoop.current().time()
        if not self.waiting and self.stall_check is not None:
            IOLoop.current().remove_timeout(self.stall_check)
            self.stall_check = None

    def check_reader(self) -> None:
        self.stall_check = None
        loop = IOLoop.current()
        if self.visitor_left():  # and its pieces, failed, are about to say so
            return
        if loop.time() < self.since + STALL_SECONDS:  # it took some meanwhile
            self.stall_check = loop.call_at(self.since + STALL_SECONDS, self.check_reader)
            return
        LOG.warning("%s's stream %s cut: its reader took nothing for %s s",
                    self.request.remote_ip, self.request.path, STALL_SECONDS)
        # Reset, not closed: a close would keep what waits in the kernel, the close
        # behind it, for as long as the reader does not read. As if the visitor had
        # left: the handler is told, and visitor_left() says so.
        stream = self.request.connection.stream
        stream.socket.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, RESET)
        stream.close()


def flushed(flush: Future) -> None:
    """Reads a stream's flush, so that one failed by a visitor gone is not logged."""
    flush.exception()


class StoppingHandler(BaseHandler):
    def prepare(self):
        raise BadInput("the server is stopping: try again in a moment", status_code=503)


class StaticHandler(BaseHandler, StaticFileHandler):
    """Static files, with the headers and error pages of every other page."""

    head = StaticFileHandler.head  # which reads no file, where BaseHandler's would

    def set_extra_headers(self, path):
        # Asked by static_url(), with ?v=, a file is cached for good. A module that another
        # imports is asked without: checked each time (its ETag spares the body), or a page
        # could run a new module with an old one it imports.
        if "v" not in self.request.query_arguments:
            self.set_header("Cache-Control", "no-cache")


class PageCompression(GZipContentEncoding):
    """gzip, when the browser asks for it, for pages, scripts and styles: what a visitor
    downloads to see a page (/ is 44 KB, 7.8 KB compressed).

    Not for the aggregate's JSON and live streams. The JSON of a seed run (1.6 KB) costs
    about 70 µs to compress, a few per cent of what the run costs the server, to save a
    kilobyte; and a live stream would hold a 256 KB compressor for its whole run (150 MB
    for the streams allowed at once). Not for the simulated pages either: the runs fetch
    them, on this machine, and each would be compressed by one end and decompressed by
    the other (a 10 MB page, tens of ms of the loop's time). Told apart through
    OutputTransform's public methods: such an answer passes through as it is, with gzip's
    Vary header.
    """

    UNCOMPRESSED = ("application/json", "text/event-stream")
    UNCOMPRESSED_PATHS = ("/upstream/",)  # the simulator's (webdemo/upstream.py)

    def __init__(self, request):
        super().__init__(request)
        self.passing = request.path.startswith(self.UNCOMPRESSED_PATHS)

    def transform_first_chunk(self, status_code, headers, chunk, finishing):
        if not self.passing and \
                headers.get("Content-Type", "").split(";")[0] not in self.UNCOMPRESSED:
            return super().transform_first_chunk(status_code, headers, chunk, finishing)
        self.passing = True
        headers["Vary"] = ", ".join(filter(None, [headers.get("Vary"), "Accept-Encoding"]))
        return status_code, headers, chunk

    def transform_chunk(self, chunk, finishing):
        return chunk if self.passing else super().transform_chunk(chunk, finishing)
