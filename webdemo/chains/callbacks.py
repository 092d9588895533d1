"""Callbacks, the chain: each step's callback starts the next step's fetches.

get() starts the start page's fetch and returns. Its callback,
handle_start(), reads the page's links and starts their fetches; each of
their callbacks counts itself in the globals below, and the last one
counted chooses the last page and starts its fetch; that fetch's callback
renders. No function returns to the one that started it: whatever a later
step needs is carried to it by hand, in the handler, in the globals or in
the arguments bound to a callback. Nothing is raised either: each callback
checks its own error, and whether anyone is still waiting.
"""

import functools
import itertools

from tornado.concurrent import Future
from tornado.ioloop import IOLoop

from webdemo.run.chain import ChainHandler

# Step 2's fan-out, counted as the aggregate counts it: one entry per
# request in flight, how many of its pages are still out, and their rows.
remaining = {}
results = {}
request_ids = itertools.count()


class CallbacksChainHandler(ChainHandler):
    resume_event = "callback"

    def get(self):
        self.request_id = next(request_ids)
        # Tornado 6 has no @asynchronous: a returned Future says "later".
        self.done = Future()
        future = self.fetch(self.start, raise_error=False)
        IOLoop.current().add_future(future, self.handle_start)
        return self.done

    def handle_start(self, future):
        if self.visitor_left():  # start nothing more
            return
        response = future.result()
        # The first link's check: a failed start ends the chain.
        if response.error:
            self.failed(self.start, response.error)
            self.finish_chain()
            return
        start = self.succeeded(self.start, response)
        links = self.links(start)
        if not links:
            # No fetch, so no callback: an empty step is skipped by hand.
            self.fetch_last([])
            return
        remaining[self.request_id] = len(links)
        results[self.request_id] = [None] * len(links)
        for position, index in enumerate(links):
            future = self.fetch(index, raise_error=False)
            # What the callback will need, bound to it now.
            callback = functools.partial(self.handle_page, position, index)
            IOLoop.current().add_future(future, callback)

    def handle_page(self, position, index, future):
        # Whether the visitor left is asked in count_page(), where the globals'
        # entry would be gone, as the aggregate's count_response() asks it.
        response = future.result()
        # The second link's check, in every one of its callbacks.
        if response.error:
            row = self.failed(index, response.error)
        else:
            row = self.succeeded(index, response)
        self.count_page(position, row)

    def count_page(self, position, row):
        if self.visitor_left():  # its entry is gone: see on_connection_close()
            return
        results[self.request_id][position] = row
        remaining[self.request_id] -= 1
        self.log_event("counter", remaining=remaining[self.request_id])
        if remaining[self.request_id] == 0:
            del remaining[self.request_id]
            self.fetch_last(results.pop(self.request_id))

    def fetch_last(self, pages):
        last = self.choose_last(pages)
        if last is None:
            self.finish_chain()
            return
        future = self.fetch(last, raise_error=False)
        callback = functools.partial(self.handle_last, last)
        IOLoop.current().add_future(future, callback)

    def handle_last(self, last, future):
        if self.visitor_left():  # render nothing
            return
        response = future.result()
        # The third link's check.
        if response.error:
            self.failed(last, response.error)
        else:
            self.succeeded(last, response)
        self.finish_chain()

    def finish_chain(self):
        self.render_chain()
        self.done.set_result(None)

    def on_connection_close(self):
        # Without this, a request whose visitor left would stay in the
        # globals for good, and its callbacks would go on down the chain.
        if hasattr(self, "done") and not self.done.done():
            remaining.pop(self.request_id, None)
            results.pop(self.request_id, None)
            self.done.set_result(None)
