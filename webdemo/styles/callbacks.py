"""Callbacks: each fetch's result is delivered to a function of its own.

get() starts every fetch and returns at once. Each response arrives later,
on the same thread, in handle_response(), in whatever order the upstreams
answer. No function returns a result to another: what they share lives in
the globals below.
"""

import functools
import itertools

from tornado.concurrent import Future
from tornado.ioloop import IOLoop

from webdemo.run.aggregate import AggregateHandler

# The global bookkeeping, one entry per request in flight: how many fetches
# are still out, and the rows that came back so far. A callback cannot
# return its row to get(): this is how it learns whether it is the last.
remaining = {}
results = {}
request_ids = itertools.count()


class CallbacksHandler(AggregateHandler):
    resume_event = "callback"

    def get(self):
        self.request_id = next(request_ids)
        remaining[self.request_id] = len(self.targets)
        results[self.request_id] = [None] * len(self.targets)
        # Tornado 6 has no @asynchronous: a returned Future says "later".
        self.done = Future()
        for index in range(len(self.targets)):
            # raise_error=False: a failure arrives as a response with .error
            future = self.fetch(index, raise_error=False)
            callback = functools.partial(self.handle_response, index)
            IOLoop.current().add_future(future, callback)
        return self.done

    def handle_response(self, index, future):
        response = future.result()
        # Nothing is raised: forget this check and a failure passes for
        # a success.
        if response.error:
            row = self.failed(index, response.error)
        else:
            row = self.succeeded(index, response)
        self.count_response(index, row)

    def count_response(self, index, row):
        if self.visitor_left():  # its entry is gone: see on_connection_close()
            return
        results[self.request_id][index] = row
        remaining[self.request_id] -= 1
        self.log_event("counter", remaining=remaining[self.request_id])
        if remaining[self.request_id] == 0:
            self.render_aggregate()

    def render_aggregate(self):
        del remaining[self.request_id]
        self.render_results(results.pop(self.request_id))
        self.done.set_result(None)

    def on_connection_close(self):
        # Without this, a request whose visitor left would stay in the
        # globals for good, its callbacks still counting down.
        if hasattr(self, "done") and not self.done.done():
            remaining.pop(self.request_id, None)
            results.pop(self.request_id, None)
            self.done.set_result(None)
