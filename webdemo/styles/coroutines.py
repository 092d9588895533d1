"""Coroutines: async/await, the same page read top to bottom.

get() awaits every fetch at once and resumes when all have answered. Each
fetch's result comes back as the value of an await, a failure as an
exception. State lives in local variables; nothing outlives the request.
"""

import asyncio

from webdemo.run.aggregate import AggregateHandler


class CoroutinesHandler(AggregateHandler):
    resume_event = "resumed"

    async def get(self):
        # gather() waits for all of them, and keeps the order asked for,
        # whatever order they finish in.
        rows = await asyncio.gather(*(
            self.fetch_one(index) for index in range(len(self.targets))
        ))
        self.render_results(rows)

    async def fetch_one(self, index):
        try:
            response = await self.fetch(index)
        # A failure raises where it is awaited: an HTTP error status,
        # a refused connection and a timeout alike.
        except Exception as error:
            return self.failed(index, error)
        return self.succeeded(index, response)
