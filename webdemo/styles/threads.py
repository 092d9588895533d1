"""Threads: blocking code, run in many threads at once.

get() hands every fetch to a pool thread and waits for all of them without
blocking the event loop. fetch_one() is plain blocking code, written as if
no other fetch existed. CPython's GIL lets one thread run Python at a time,
and passes it on between two bytecodes: when the thread blocks on I/O, as
in the fetch, or when its switch interval runs out
(sys.getswitchinterval(), 5 ms). So another thread may run between any two
bytecodes, and a race on what they share is real. Each thread costs a stack
of memory and a trip through the kernel every time it waits or is switched;
the pool caps them at the server's --max-clients, shared fairly between
runs, and the rest wait in line. State lives in each thread's local
variables; what the threads share is locked.
"""

import asyncio

from tornado.ioloop import IOLoop

from webdemo.run.aggregate import AggregateHandler


class ThreadsHandler(AggregateHandler):
    resume_event = "returned"

    async def get(self):
        pool = self.thread_pool  # this run's share of the app's threads
        # Each call gives the loop a Future, resolved when its thread
        # returns; gather() waits for all of them, and keeps the order
        # asked for.
        rows = await asyncio.gather(*(
            IOLoop.current().run_in_executor(pool, self.fetch_one, index)
            for index in range(len(self.targets))
        ))
        self.render_results(rows)

    def fetch_one(self, index):
        # This runs in a pool thread, so blocking here stops no one else.
        # Any thread may be stopped between two bytecodes for another, so
        # whatever the threads share is locked: here, the handler's event
        # log and its count of failures.
        try:
            response = self.fetch_blocking(index)
        # A failure raises where the blocking call was made: an HTTP error
        # status, a refused connection and a timeout alike.
        except Exception as error:
            return self.failed(index, error)
        return self.succeeded(index, response)
