"""Sequential, the chain: one blocking fetch after another, step after step.

fetch_chain() is the chain as plain blocking code: each line waits for its
fetch before the next runs, the pages of step 2 too. It runs in one pool
thread, so the event loop stays free for other visitors.
"""

from tornado.ioloop import IOLoop

from webdemo.run.chain import ChainHandler


class SequentialChainHandler(ChainHandler):
    resume_event = "returned"

    async def get(self):
        pool = self.thread_pool  # this run's share of the app's threads
        await IOLoop.current().run_in_executor(pool, self.fetch_chain)
        self.render_chain()

    def fetch_chain(self):
        start = self.fetch_one(self.start)
        if start.error is None:
            pages = [self.fetch_one(link) for link in self.links(start)]
            last = self.choose_last(pages)
            if last is not None:
                self.fetch_one(last)

    def fetch_one(self, index):
        try:
            response = self.fetch_blocking(index)
        # A failure raises where the blocking call was made, at every step
        # alike.
        except Exception as error:
            return self.failed(index, error)
        return self.succeeded(index, response)
