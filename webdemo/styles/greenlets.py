"""Greenlets: gevent, blocking code that takes turns by itself.

gevent's monkey.patch_all() swaps the blocking parts of the standard
library (socket, ssl, sleep, locks, threads) for versions that, where they
would block, switch to another greenlet until they can go on. So
fetch_one() below is plain blocking code, urllib's, and still every fetch
runs at once, in one thread: a greenlet is switched only where the patched
library waits.

The patch changes the whole process, Tornado's own sockets included. So
this code runs in a worker process of its own, patched before anything else
(webdemo/gevent_worker.py); the Tornado handler forwards the targets to it
and renders the rows it sends back (webdemo/worker.py).
"""

import gevent

from webdemo.worker import WorkerHandler, WorkerJob


class GreenletsHandler(WorkerHandler):
    resume_event = "returned"
    worker_module = "webdemo.gevent_worker"  # which runs GreenletsJob


class GreenletsJob(WorkerJob):
    def get(self):
        # One greenlet per fetch; joinall() waits until every one is done.
        greenlets = [gevent.spawn(self.fetch_one, index)
                     for index in range(len(self.targets))]
        gevent.joinall(greenlets)
        self.render_results([greenlet.value for greenlet in greenlets])

    def fetch_one(self, index):
        # The fetch blocks this greenlet only: while it waits on its
        # socket, the patched socket switches to the others.
        try:
            response = self.fetch_blocking(index)
        except Exception as error:
            return self.failed(index, error)
        return self.succeeded(index, response)
