"""An answer as server-sent events: each message as it happens, sent from any thread.

A live run opens the stream, sends its events one by one as they are logged, then its
aggregate, and ends. The live runs under way at once are bounded across all visitors.
"""

import threading

from tornado.ioloop import IOLoop

from webdemo.base import BaseHandler, EventStream
from webdemo.query import BadInput

# Live runs at once, across all visitors; more are told to wait. Each run is already
# bounded in time (RUN_SECONDS) and its fetches by its share of --max-clients, and a
# stream costs one socket: so many, and one address may hold half of them, enough for
# a class of 100 behind one school address who all press "Run all" (six runs each) at
# the same moment, while a greedy visitor leaves the other half to everyone else.
MAX_LIVE_STREAMS = 1200


class LiveStream(EventStream, BaseHandler):
    ended = False  # finish() was called: a message from a thread that comes later is dropped

    def finish(self, chunk=None):
        self.ended = True
        return super().finish(chunk)

    def open_stream(self, first: dict) -> None:
        """Answers with server-sent events, the first a "run" message with `first`."""
        streams = self.application.live_streams
        if len(streams) >= MAX_LIVE_STREAMS:
            raise BadInput("%(count)s live runs are under way: try again shortly",
                           status_code=503, count=MAX_LIVE_STREAMS)
        share = max(1, MAX_LIVE_STREAMS // 2)
        address = self.application.visitor(self.request)
        # Counted only when it could matter: below a share, nobody can be over it.
        if address is not None and len(streams) >= share and sum(
                stream.request.remote_ip == address for stream in streams) >= share:
            raise BadInput("%(count)s live runs from your address are under way: try again "
                           "when one has ended", status_code=503, count=share)
        streams.add(self)
        self.loop, self.loop_thread = IOLoop.current(), threading.get_ident()
        self.start_events()
        self.send_message("run", first)

    def send_message(self, name: str, data: dict) -> None:
        if threading.get_ident() != self.loop_thread:  # a style's fetch thread
            self.loop.add_callback(self.send_message, name, data)
            return
        if self.ended or self.visitor_left():
            return
        self.send_event(name, data)

    def on_finish(self) -> None:
        self.application.live_streams.discard(self)
