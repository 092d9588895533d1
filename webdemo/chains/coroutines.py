"""Coroutines, the chain: each step awaits the one before, top to bottom.

get() reads as the chain does: the start page, then the pages it links
to, all at once, then the last page. Between steps the state is local
variables; each fetch's failure is an exception, caught in one place.
"""

import asyncio

from webdemo.run.chain import ChainHandler


class CoroutinesChainHandler(ChainHandler):
    resume_event = "resumed"

    async def get(self):
        start = await self.fetch_one(self.start)
        if start.error is None:
            pages = await asyncio.gather(
                *(self.fetch_one(link) for link in self.links(start))
            )
            last = self.choose_last(pages)
            if last is not None:
                await self.fetch_one(last)
        self.render_chain()

    async def fetch_one(self, index):
        try:
            response = await self.fetch(index)
        # A failure raises where it is awaited, at every step alike.
        except Exception as error:
            return self.failed(index, error)
        return self.succeeded(index, response)
