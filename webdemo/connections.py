"""The server's connections, bounded: Tornado's HTTPServer, with what a public site needs.

Tornado's defaults hold a connection that sends half a request for an hour, and a
thousand such connections from one address take the files everyone else needs. At the
open-file limit, accept() fails on every turn of the loop while the listening socket
stays readable, and each failure is logged with its traceback: megabytes a second. So:
- a request's headers must arrive within HEADER_SECONDS of the connection opening or
  of the previous answer (an idle keep-alive connection alike: it is the same wait),
  and its body within BODY_SECONDS; slow and half-open connections are closed;
- at most MAX_CONNECTIONS_PER_ADDRESS connections at once from one address, more
  than a class behind one school address opens (a page and six live runs each);
  behind a reverse proxy (--xheaders) every connection is the proxy's, and the proxy
  bounds them per visitor (docs: serving);
- out of files, accepting pauses for PAUSE_SECONDS (the connections wait in the
  listen backlog) and is said in the log at most once in LOG_EVERY_SECONDS, with a count.
"""

import collections
import errno
import functools
import logging
import math
import time

from tornado.httpserver import HTTPServer
from tornado.ioloop import IOLoop
from tornado.iostream import IOStream

HEADER_SECONDS = 10.0
BODY_SECONDS = 10.0
MAX_CONNECTIONS_PER_ADDRESS = 1000
PAUSE_SECONDS = 0.5
LOG_EVERY_SECONDS = 10.0
ACCEPTS_PER_TURN = 128  # as Tornado's own accept handler: others get their turn too
OUT_OF_FILES = (errno.EMFILE, errno.ENFILE, errno.ENOBUFS, errno.ENOMEM)
LOG = logging.getLogger("webdemo")


class Server(HTTPServer):
    """An HTTPServer with the bounds above; add_sockets() and stop() as Tornado's."""

    def initialize(self, app, xheaders=False, header_seconds=HEADER_SECONDS,
                   body_seconds=BODY_SECONDS, per_address=MAX_CONNECTIONS_PER_ADDRESS):
        # Tornado waits idle_connection_timeout for a request's headers, the first too.
        super().initialize(app, xheaders=xheaders, idle_connection_timeout=header_seconds,
                           body_timeout=body_seconds)
        self.per_address = None if xheaders else per_address
        self.connections_from = collections.Counter()
        self.listening = {}  # fd -> the socket accepting on it
        self.paused = 0  # times accepting paused since the last log line
        self.refused = 0  # connections over an address's bound, since then
        self.logged_at = -math.inf

    def add_sockets(self, sockets):
        for sock in sockets:
            self.listening[sock.fileno()] = sock
            self.listen(sock)

    def listen(self, sock):
        if sock.fileno() in self.listening:  # not stopped meanwhile
            IOLoop.current().add_handler(sock, functools.partial(self.accept, sock),
                                         IOLoop.READ)

    def accept(self, sock, fd, events):
        for _ in range(ACCEPTS_PER_TURN):
            try:
                connection, address = sock.accept()
            except BlockingIOError:
                return
            except ConnectionAbortedError:
                continue
            except OSError as error:
                if error.errno not in OUT_OF_FILES:
                    raise
                IOLoop.current().remove_handler(sock)
                IOLoop.current().call_later(PAUSE_SECONDS, self.listen, sock)
                self.paused += 1
                self.log_now()
                return
            self.connected(connection, address)

    def connected(self, connection, address):
        peer = address[0] if isinstance(address, tuple) else None  # None: a Unix socket
        if self.per_address and peer and self.connections_from[peer] >= self.per_address:
            connection.close()
            self.refused += 1
            self.log_now()
            return
        if peer:
            self.connections_from[peer] += 1
        stream = IOStream(connection, max_buffer_size=self.max_buffer_size,
                          read_chunk_size=self.read_chunk_size)
        self.handle_stream(stream, address)

    def on_close(self, server_conn):
        address = server_conn.context.address
        peer = address[0] if isinstance(address, tuple) else None
        if peer in self.connections_from:
            self.connections_from[peer] -= 1
            if not self.connections_from[peer]:
                del self.connections_from[peer]
        super().on_close(server_conn)

    def log_now(self):
        """Says what was refused, at most once in LOG_EVERY_SECONDS."""
        now = time.monotonic()
        if now - self.logged_at < LOG_EVERY_SECONDS:
            return
        if self.paused:
            LOG.warning("out of open files: accepting paused %d times since the last such "
                        "line (the listen backlog holds the connections meanwhile)",
                        self.paused)
        if self.refused:
            LOG.warning("%d connections refused since the last such line: over %d at once "
                        "from one address", self.refused, self.per_address)
        self.paused = self.refused = 0
        self.logged_at = now

    def stop(self):
        for fd, sock in self.listening.items():
            IOLoop.current().remove_handler(fd)
            sock.close()
        self.listening.clear()
        super().stop()
