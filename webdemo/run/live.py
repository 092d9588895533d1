"""An answer as server-sent events: each message as it happens, sent from any thread.

A live run opens the stream, sends its events one by one as they are logged, then its
aggregate, and ends. The live runs under way at once are admitted as fetch slots are
(webdemo/run/shares.py): an address's share shrinks as more addresses stream, a reserve
is kept for visitors with few streams, and no address holds more than
MAX_STREAMS_PER_ADDRESS.
"""

import threading

from tornado.ioloop import IOLoop

from webdemo.base import BaseHandler, EventStream
from webdemo.query import BadInput
from webdemo.run.shares import Admission, Full

# Live runs at once, across all visitors; more are told to wait. Each run is already
# bounded in time (RUN_SECONDS) and its fetches by its share of --max-clients, and a
# stream costs one socket: so many, and one address may hold 600 of them (its share
# while one other streams), enough for a class of 100 behind one school address who all
# press "Run all" (six runs each) at the same moment.
MAX_LIVE_STREAMS = 1600
MAX_STREAMS_PER_ADDRESS = 600


def admission() -> Admission:
    """Who may open a live stream now: the app's."""
    return Admission(MAX_LIVE_STREAMS, per_address=MAX_STREAMS_PER_ADDRESS)


class LiveStream(EventStream, BaseHandler):
    ended = False  # finish() was called: a message from a thread that comes later is dropped

    def finish(self, chunk=None):
        self.ended = True
        return super().finish(chunk)

    def open_stream(self, first: dict) -> None:
        """Answers with server-sent events, the first a "run" message with `first`."""
        streams = self.application.live_streams
        turns = self.application.live_admission
        address = self.application.visitor(self.request)
        try:
            self.turn = turns.try_enter(address)
        except Full as full:
            if full.own:
                raise BadInput("%(count)s live runs from your address are under way: try "
                               "again when one has ended", status_code=503,
                               count=turns.shares.held_by_address.get(address, 0)) from None
            raise BadInput("%(count)s live runs are under way: try again shortly",
                           status_code=503, count=turns.shares.held) from None
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
        if self in self.application.live_streams:
            self.application.live_streams.discard(self)
            self.application.live_admission.leave(self.turn)
