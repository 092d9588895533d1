"""Greenlets: gevent, blocking code that takes turns by itself.

get() spawns a greenlet per fetch and joins them all. gevent's
monkey.patch_all() swaps the blocking parts of the standard library
(socket, ssl, sleep, locks, threads) for versions that, where they would
block, switch to another greenlet until they can go on. So fetch_one()
below is plain blocking code, urllib's, and still every fetch runs at once,
in one thread: a greenlet is switched only where the patched library waits.
State lives in each greenlet's local variables, and its value.

The patch changes the whole process, Tornado's own sockets included. So
this code runs in a worker process of its own, patched before anything else
(webdemo/workers/gevent_main.py); the server's handler forwards the targets
to it and makes the rows of what it sends back (webdemo/workers/server_side.py).
"""

import gevent

from webdemo.run.job import WorkerJob


class GreenletsJob(WorkerJob):
    def get(self):
        # One greenlet per fetch; joinall() waits for all of them, and
        # each keeps its value in the order asked for.
        greenlets = [
            gevent.spawn(self.fetch_one, index)
            for index in range(len(self.targets))
        ]
        gevent.joinall(greenlets)
        self.render_results([greenlet.value for greenlet in greenlets])

    def fetch_one(self, index):
        # The fetch blocks this greenlet only: while it waits on its
        # socket, the patched socket switches to the others.
        try:
            response = self.fetch_blocking(index)
        # A failure raises where the blocking call was made: an HTTP error
        # status, a refused connection and a timeout alike.
        except Exception as error:
            return self.failed(index, error)
        return self.succeeded(index, response)
