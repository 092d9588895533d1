"""The greenlet style's worker process: python -m webdemo.workers.gevent_main FD MAX_CLIENTS.

It runs the greenlet style's jobs, from its style files (webdemo/styles/greenlets.py,
webdemo/chains/greenlets.py), which import only what a job needs: never the server's
handlers, its registry or tornado.web.

gevent's monkey.patch_all() swaps socket, ssl, threading and time for the whole
process, and must come before anything imports them: so it is the first thing this
process does, and the Tornado server never does it. The supervisor starts this
process and talks to it over the socket FD, one JSON object a line.
"""

from gevent import monkey

monkey.patch_all()

# Imported once patched, on purpose.
import json  # noqa: E402
import os  # noqa: E402
import signal  # noqa: E402
import socket  # noqa: E402
import sys  # noqa: E402
import threading  # noqa: E402

import gevent  # noqa: E402
from tornado.simple_httpclient import HTTPTimeoutError  # noqa: E402

from webdemo.chains.greenlets import GreenletsChainJob  # noqa: E402
from webdemo.run.blocking import blocking_fetch  # noqa: E402
from webdemo.run.metrics import usage  # noqa: E402
from webdemo.run.shares import Shares  # noqa: E402
from webdemo.styles.greenlets import GreenletsJob  # noqa: E402


def fetch_within_the_deadline(url, timeout, max_body):
    """blocking_fetch(), its one deadline kept by gevent as well.

    A patched TLS socket waits up to its whole timeout for each piece of a TLS record,
    so an https upstream that trickles one could outlast the socket-level deadline.
    """
    with gevent.Timeout(timeout, HTTPTimeoutError("Timeout during request")):
        return blocking_fetch(url, timeout, max_body)


def main(fd, max_clients):
    # Ctrl-C in the terminal reaches this process too, and a service manager's SIGTERM
    # may: they are the server's to handle, which lets the jobs under way finish, then
    # closes its end of the socket, and this process ends with it.
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    signal.signal(signal.SIGTERM, signal.SIG_IGN)
    connection = socket.socket(fileno=fd)
    # At most this many fetches at once, across all jobs (the server's --max-clients),
    # shared fairly between them. Patched: a greenlet that waits lets the others run.
    client_shares = Shares(max_clients)
    # Patched: a greenlet that waits for the lock lets the others run.
    sending = threading.Lock()

    def send(message):
        with sending:
            try:
                connection.sendall(json.dumps(message).encode() + b"\n")
            except OSError:  # the server closed its end: nobody is there to answer
                os._exit(0)

    jobs = {}  # job id -> its job, while it runs: a chain waits for answers to its questions
    send({"kind": "ready"})
    with connection.makefile("rb") as lines:
        for line in lines:  # until the server goes, and its end of the socket with it
            request = json.loads(line)
            if request.get("usage"):
                send({"job": request["job"], "kind": "done", "usage": usage()})
            elif "answer" in request:
                if request["job"] in jobs:
                    jobs[request["job"]].answers.put((request["question_id"], request["answer"]))
            else:
                kind = GreenletsChainJob if request.get("chain") else GreenletsJob
                job = jobs[request["job"]] = kind(send, request, client_shares,
                                                  fetch_within_the_deadline)
                gevent.spawn(job.get).link(lambda _, job_id=request["job"]: jobs.pop(job_id))


if __name__ == "__main__":
    main(int(sys.argv[1]), int(sys.argv[2]))
