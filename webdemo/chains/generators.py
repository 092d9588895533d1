"""Generators, the chain: each step yields to the one before.

The same chain as the coroutines', with yield for await: the decorator
resumes get() when each step's Futures are done. Between steps the state
is local variables; each fetch's failure is thrown in where it yielded.
"""

from tornado import gen

from webdemo.run.chain import ChainHandler


class GeneratorsChainHandler(ChainHandler):
    resume_event = "resumed"

    @gen.coroutine
    def get(self):
        start = yield self.fetch_one(self.start)
        if start.error is None:
            # Yielding a list waits for all of them, in the order asked for.
            pages = yield [self.fetch_one(link)
                           for link in self.links(start)]
            last = self.choose_last(pages)
            if last is not None:
                yield self.fetch_one(last)
        self.render_chain()

    @gen.coroutine
    def fetch_one(self, index):
        try:
            response = yield self.fetch(index)
        # The decorator throws a failure in where the generator yielded,
        # at every step alike.
        except Exception as error:
            return self.failed(index, error)
        return self.succeeded(index, response)
