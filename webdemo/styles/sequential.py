"""Sequential: one blocking fetch after another, the baseline.

get() hands fetch_all() to one pool thread, so the event loop stays free
for other visitors; it is this page that waits. fetch_all() fetches the
targets in turn, each after the one before it has answered: the page takes
the sum of their times, where the other styles take about the longest of
them. State lives in local variables of the one thread.
"""

from tornado.ioloop import IOLoop

from webdemo.run.aggregate import AggregateHandler


class SequentialHandler(AggregateHandler):
    resume_event = "returned"

    async def get(self):
        pool = self.thread_pool  # this run's share of the app's threads
        rows = await IOLoop.current().run_in_executor(pool, self.fetch_all)
        self.render_results(rows)

    def fetch_all(self):
        return [self.fetch_one(index) for index in range(len(self.targets))]

    def fetch_one(self, index):
        # Nothing else runs in this thread: a slow answer or a timeout
        # holds up every fetch after it.
        try:
            response = self.fetch_blocking(index)
        # A failure raises where the blocking call was made: an HTTP error
        # status, a refused connection and a timeout alike.
        except Exception as error:
            return self.failed(index, error)
        return self.succeeded(index, response)
