"""Threads, the chain: plain blocking fetches, a pool thread each.

fetch_one() blocks, in a pool thread. get() runs on the event loop and
hands each step's fetches to threads, the pages of step 2 all at once,
waiting for each step without blocking the loop: a thread that waited
for other threads would hold a pool thread that they may need.
"""

import asyncio

from tornado.ioloop import IOLoop

from webdemo.run.chain import ChainHandler


class ThreadsChainHandler(ChainHandler):
    resume_event = "returned"

    async def get(self):
        start = await self.in_thread(self.start)
        if start.error is None:
            pages = await asyncio.gather(
                *(self.in_thread(link) for link in self.links(start))
            )
            last = self.choose_last(pages)
            if last is not None:
                await self.in_thread(last)
        self.render_chain()

    def in_thread(self, index):
        pool = self.thread_pool  # this run's share of the app's threads
        return IOLoop.current().run_in_executor(pool, self.fetch_one, index)

    def fetch_one(self, index):
        # In a pool thread: blocking here stops no one else.
        try:
            response = self.fetch_blocking(index)
        # A failure raises where the blocking call was made, at every step
        # alike.
        except Exception as error:
            return self.failed(index, error)
        return self.succeeded(index, response)
