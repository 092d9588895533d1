"""The blocking way to fetch, for the styles that block (threads, greenlets, sequential).

urllib, made to answer as the app's Tornado client does: one deadline for the whole
fetch, no redirect followed, no proxy, gzip asked for and checked, the largest body
enforced, and the same exceptions with the same words. So describe() and the rows
cannot tell which way a page was fetched.
"""

import http.client
import io
import socket
import ssl
import time
import urllib.error
import urllib.request
import zlib

from tornado.httpclient import HTTPRequest, HTTPResponse
from tornado.simple_httpclient import HTTPStreamClosedError, HTTPTimeoutError

# The simulator serves up to 10,000,000 bytes; anything larger is refused mid-body.
MAX_BODY_BYTES = 16 * 1024 * 1024


class Deadline:
    """Mixed into a socket class: every wait gets only what remains of one deadline.

    A plain socket timeout bounds each wait alone, so an upstream that trickles a byte
    now and then could hold a blocking fetch for ever; Tornado's client has one
    deadline for the whole request, and so does this.
    """

    def wait_no_longer_than_the_deadline(self):
        seconds = self.deadline - time.monotonic()
        if seconds <= 0:
            raise TimeoutError("timed out")
        self.settimeout(seconds)

    def recv_into(self, *args):
        self.wait_no_longer_than_the_deadline()
        return super().recv_into(*args)

    def sendall(self, *args):
        self.wait_no_longer_than_the_deadline()
        return super().sendall(*args)


class DeadlineSocket(Deadline, socket.socket):
    pass


class DeadlineTLSSocket(Deadline, ssl.SSLSocket):
    pass


# As http.client makes it for https, but its sockets keep the deadline too.
TLS = ssl.create_default_context()
TLS.set_alpn_protocols(["http/1.1"])
TLS.sslsocket_class = DeadlineTLSSocket


class SkipInformational(http.client.HTTPResponse):
    """http.client skips a 100 Continue before the answer, but takes any other 1xx (a
    103 Early Hints) for the answer itself; Tornado's clients skip them all, and so
    does this. (_read_status is http.client's step that reads the status line.)"""

    def _read_status(self):
        version, status, reason = super()._read_status()
        return version, 100 if 100 <= status < 200 else status, reason


class DeadlineConnection(http.client.HTTPConnection):
    response_class = SkipInformational

    def __init__(self, host, timeout, **kwargs):
        super().__init__(host, timeout=timeout, **kwargs)
        self.deadline = time.monotonic() + timeout
        # http.client's hook for opening the TCP connection: a TLS handshake after it
        # gets what remains of the deadline, not a whole timeout of its own.
        self._create_connection = self.open_within_the_deadline

    def open_within_the_deadline(self, address, timeout, source_address=None):
        sock = socket.create_connection(address, timeout, source_address)
        seconds = self.deadline - time.monotonic()
        if seconds <= 0:
            sock.close()
            raise TimeoutError("timed out")
        sock.settimeout(seconds)
        return sock

    def connect(self):
        try:
            super().connect()
        except TimeoutError:
            raise HTTPTimeoutError("Timeout while connecting") from None
        if not isinstance(self.sock, Deadline):  # plain TCP: take over its descriptor
            self.sock = DeadlineSocket(self.sock.family, self.sock.type, self.sock.proto,
                                       fileno=self.sock.detach())
        self.sock.deadline = self.deadline


class DeadlineTLSConnection(DeadlineConnection, http.client.HTTPSConnection):
    """The same over TLS: the context makes its socket a DeadlineTLSSocket."""


class DeadlineHandler(urllib.request.HTTPHandler):
    def http_open(self, request):
        return self.do_open(DeadlineConnection, request)


class DeadlineTLSHandler(urllib.request.HTTPSHandler):
    def https_open(self, request):
        return self.do_open(DeadlineTLSConnection, request, context=TLS)


class ReportRedirects(urllib.request.HTTPRedirectHandler):
    # As the app's Tornado client does: a 3xx is the answer, not a step on the way.
    def redirect_request(self, *args):
        return None


# No proxy from the environment either: the Tornado client uses none.
opener = urllib.request.build_opener(
    urllib.request.ProxyHandler({}), ReportRedirects, DeadlineHandler, DeadlineTLSHandler)
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
