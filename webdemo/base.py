"""What every handler of the site shares: errors as a message, never a traceback."""

import functools
import ipaddress

from tornado.web import HTTPError, RequestHandler, StaticFileHandler

from webdemo.catalog import BadInput

LOOPBACK_NAMES = "localhost, 127.0.0.1 or [::1]"


@functools.lru_cache(maxsize=64)  # asked on every request, nearly always the same name
def is_loopback(host):
    """Whether a host name or address (an IPv6 one in brackets or not) is this machine."""
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host.removeprefix("[").removesuffix("]")).is_loopback
    except ValueError:
        return False


class BaseHandler(RequestHandler):
    def set_default_headers(self):
        self.set_header("Content-Security-Policy",
                        "default-src 'self'; frame-ancestors 'none'; form-action 'self'")
        self.set_header("X-Content-Type-Options", "nosniff")
        self.set_header("Referrer-Policy", "no-referrer")

    def wants_json(self):
        # Read raw: this also runs while reporting a malformed query.
        return (self.request.query_arguments.get("format") == [b"json"]
                or "application/json" in self.request.headers.get("Accept", ""))

    def write_error(self, status_code, **kwargs):
        error = kwargs.get("exc_info", (None, None))[1]
        if isinstance(error, BadInput):
            message = error.message
        elif isinstance(error, HTTPError) and error.log_message and status_code < 500:
            message = error.log_message % error.args
        else:  # never the exception's own text: it may hold internals
            message = self._reason
        if self.wants_json():
            self.finish({"error": message})
        else:
            self.render("error.html", status_code=status_code, reason=self._reason,
                        message=message)


class NotFoundHandler(BaseHandler):
    def prepare(self):
        raise HTTPError(404, "there is no page at %s", self.request.path)


class ForeignHostHandler(BaseHandler):
    def prepare(self):
        raise HTTPError(403, "this server answers only to " + LOOPBACK_NAMES
                        + ", not to Host %r: it listens on this machine only",
                        self.request.host[:100])


class StaticHandler(BaseHandler, StaticFileHandler):
    """Static files, with the headers and error pages of every other page."""
