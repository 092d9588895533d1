"""Greenlets, the chain: plain blocking code, each step's fetches at once.

get() is the chain as blocking code, urllib's, in a process that gevent
has patched: step 2's fetches each run in a greenlet of their own, and
joinall() waits for them. Between steps the state is local variables, as
in the coroutines' chain, and a failure is an exception caught in one place.

The patch changes the whole process, so this code runs in the greenlet
style's worker process (webdemo/workers/gevent_main.py). The links it
reads are the server's to pass or refuse: links() and choose_last() ask it,
and wait (ChainJob, in webdemo/run/job.py).
"""

import gevent

from webdemo.run.job import ChainJob


class GreenletsChainJob(ChainJob):
    def get(self):
        start = self.fetch_one(self.start)
        if start.error is None:
            greenlets = [gevent.spawn(self.fetch_one, link)
                         for link in self.links(start)]
            gevent.joinall(greenlets)
            last = self.choose_last([greenlet.value for greenlet in greenlets])
            if last is not None:
                self.fetch_one(last)
        self.render_chain()

    def fetch_one(self, index):
        try:
            response = self.fetch_blocking(index)
        # A failure raises where the blocking call was made, at every step
        # alike.
        except Exception as error:
            return self.failed(index, error)
        return self.succeeded(index, response)
