"""Generators: tornado.gen.coroutine and yield, coroutines before async/await.

get() yields every fetch at once and resumes when all have answered. Each
yield hands a Future to the decorator, which resumes the generator with its
result, or throws its exception in. State lives in local variables, as in
a coroutine: a coroutine used to be a generator. The essay's
@asyncio.coroutine with yield from worked the same way; Python 3.11
removed it, and this is the form of it that still runs.
"""

from tornado import gen

from webdemo.run.aggregate import AggregateHandler


class GeneratorsHandler(AggregateHandler):
    resume_event = "resumed"

    @gen.coroutine
    def get(self):
        # Yielding a list waits for all of them, and keeps the order asked
        # for, whatever order they finish in.
        rows = yield [
            self.fetch_one(index) for index in range(len(self.targets))
        ]
        self.render_results(rows)

    @gen.coroutine
    def fetch_one(self, index):
        try:
            response = yield self.fetch(index)
        # The decorator throws a failure in where the generator yielded:
        # an HTTP error status, a refused connection and a timeout alike.
        except Exception as error:
            # return in a generator is Python 3.3's; before, a generator
            # coroutine had to raise gen.Return(row) to give its value.
            return self.failed(index, error)
        return self.succeeded(index, response)
