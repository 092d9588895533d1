"""Worker processes: how a style that must not run in the Tornado server runs beside it.

gevent's monkey.patch_all() changes the whole process it runs in, Tornado's own
sockets included, so the greenlet style runs in a worker process of its own. The
server talks to it over a socket pair, one JSON object a line:

    server -> worker  {"job": 7, "targets": [url, ...], "max_body": bytes}
                      or  {"job": 8, "usage": true}
    worker -> server  {"kind": "ready"}                    once, when it has started
                      {"job": 7, "kind": "fetch-start", "index": 0}
                      {"job": 7, "kind": "row", "index": 0, "status": 200, "bytes": 14336,
                       "error": null}
                      {"job": 7, "kind": "done"}           ("usage": {...} for a usage job)

A worker starts on first use and again after it died. If it dies or stops answering,
the rows it still owed fail with a row that says so, within the fetch timeout and a
grace: never a hung page. It stops with the app (close_app), and by itself when the
server process goes, since it then reads the end of its socket.
"""

import asyncio
import itertools
import json
import os
import resource
import signal
import socket
import subprocess
import sys
import threading
import time

from tornado.ioloop import IOLoop
from tornado.iostream import IOStream, StreamClosedError

from webdemo.aggregate import AggregateHandler, blocking_fetch, counted_in_flight, outcome

START_SECONDS = 15  # to import gevent and Tornado, on a busy machine
GRACE_SECONDS = 2  # past the fetch timeout, for a job's last rows to arrive
MAX_LINE_BYTES = 1024 * 1024


def count_threads():
    try:
        return len(os.listdir("/proc/self/task"))  # every thread, not only Python's
    except OSError:
        return threading.active_count()


def usage():
    """This process's costs so far (resource.getrusage), and its threads now.

    A worker answers a usage job with its own: the bench adds them to the server's.
    """
    used = resource.getrusage(resource.RUSAGE_SELF)
    return {
        "cpu_s": used.ru_utime + used.ru_stime,
        "peak_rss_kb": used.ru_maxrss,  # kilobytes on Linux
        "voluntary_switches": used.ru_nvcsw,
        "involuntary_switches": used.ru_nivcsw,
        "threads": count_threads(),
    }


class WorkerError(Exception):
    """The worker process died or stopped answering."""


def how_it_ended(process):
    if process.returncode < 0:
        return f"killed by {signal.Signals(-process.returncode).name}"
    return f"exit status {process.returncode}"


class WorkerProcess:
    def __init__(self, name, module, timeout):
        self.name = name
        self.timeout = timeout
        ours, theirs = socket.socketpair()
        with theirs:
            self.process = subprocess.Popen(
                [sys.executable, "-m", module, str(theirs.fileno()), str(timeout)],
                pass_fds=[theirs.fileno()], stdin=subprocess.DEVNULL)
        self.stream = IOStream(ours)
        self.jobs = {}  # job id -> the Queue of its messages
        self.job_ids = itertools.count()
        self.ready = asyncio.get_running_loop().create_future()
        self.stopped = False
        self.last_heard = time.monotonic()
        self.unfinished = b""  # the start of a line still arriving
        self.read_messages()

    def alive(self):
        return not (self.stopped or self.stream.closed())

    # A chain of callbacks rather than a reading Task: a Task still pending when the
    # app closes (its loop with it) would be reported as destroyed. Each read takes
    # all that has arrived: one line a read would take one turn of the busy loop per
    # message, and under load the rows would queue behind everyone else's work.
    def read_messages(self):
        reading = self.stream.read_bytes(MAX_LINE_BYTES, partial=True)
        IOLoop.current().add_future(reading, self.on_bytes)

    def on_bytes(self, reading):
        if reading.exception():  # it exited, or was stopped
            if not self.stopped:
                self.stop()
            return
        self.last_heard = time.monotonic()
        *lines, self.unfinished = (self.unfinished + reading.result()).split(b"\n")
        for line in lines:
            self.take(json.loads(line))
        if len(self.unfinished) > MAX_LINE_BYTES:
            self.stop(f"the {self.name} worker process sent a line over "
                      f"{MAX_LINE_BYTES} bytes")
        if not self.stopped:  # a job that timed out may have stopped it meanwhile
            self.read_messages()

    def take(self, message):
        if message["kind"] == "ready":
            self.ready.set_result(None)
        elif job := self.jobs.get(message["job"]):  # not one that was given up on
            on_message, finished = job
            if message["kind"] == "done":
                finished.set_result(message)
            elif on_message:
                on_message(message)

    def stop(self, reason=None):
        """Ends the process; whatever it still owed fails with the reason."""
        self.stopped = True
        self.stream.close()
        try:
            self.process.wait(timeout=1)  # it exits by itself at the end of its socket
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait()
        error = WorkerError(reason or f"the {self.name} worker process stopped: "
                                      f"{how_it_ended(self.process)}")
        if not self.ready.done():
            self.ready.set_exception(error)
            self.ready.exception()  # seen here, if no job is waiting for it
        for _, finished in self.jobs.values():
            if not finished.done():  # the job that timed out, and stopped it, is
                finished.set_exception(error)

    async def run(self, request, on_message=None):
        """Sends a job; hands each message of it to on_message; returns its "done"."""
        job = next(self.job_ids)
        # Its messages go to on_message as they are read, in the same turn of the loop;
        # finished gets its "done", or the WorkerError that ends it.
        finished = asyncio.get_running_loop().create_future()
        self.jobs[job] = (on_message, finished)
        try:
            await self.wait(asyncio.shield(self.ready), START_SECONDS, "start")
            await self.stream.write(json.dumps({"job": job} | request).encode() + b"\n")
            return await self.wait(finished, self.timeout + GRACE_SECONDS, "answer")
        except StreamClosedError:  # died as the job was sent: stop() fails it, saying how
            return await finished
        finally:
            del self.jobs[job]

    async def wait(self, awaitable, seconds, what):
        try:
            return await asyncio.wait_for(awaitable, seconds)
        except TimeoutError:
            reason = f"the {self.name} worker process did not {what} within {seconds:g} s"
            # Silent all that time, for every job: stuck, and the next request starts a
            # new one. Still talking, it is only busy: this job fails, the others go on.
            if time.monotonic() - self.last_heard >= seconds:
                self.stop(reason)
            raise WorkerError(reason) from None


class Workers:
    """The app's worker processes, one per style that needs one."""

    def __init__(self, timeout):
        self.timeout = timeout
        self.running = {}

    def get(self, name, module):
        worker = self.running.get(name)
        if worker is None or not worker.alive():
            worker = self.running[name] = WorkerProcess(name, module, self.timeout)
        return worker

    def close(self):
        for worker in self.running.values():
            if worker.alive():
                worker.stop(f"the {worker.name} worker process was stopped with the server")


class WorkerHandler(AggregateHandler):
    """The Tornado side of a style that runs in a worker process.

    It forwards the targets, and makes the rows of what the worker sends back as it
    comes, on this server's clock: so its rows and events are those of any style.
    """

    worker_module = None  # what the worker process runs: python -m worker_module

    async def get(self):
        self.rows = [None] * len(self.targets)
        worker = self.settings["workers"].get(self.style, self.worker_module)
        try:
            with counted_in_flight():  # the whole job, in /stats: its fetches are not ours
                await worker.run({"targets": [target.url for target in self.targets],
                                  "max_body": self.settings["config"].max_body_bytes},
                                 self.take_message)
        except WorkerError as error:
            for index, row in enumerate(self.rows):
                if row is None:
                    self.rows[index] = self.failed(index, error)
        self.render_results(self.rows)

    def take_message(self, message):
        index = message["index"]
        if message["kind"] == "fetch-start":
            self.fetch_started(index)
        else:
            self.rows[index] = self.row(index, message["status"], message["bytes"],
                                        message["error"])


class WorkerJob:
    """One aggregate in the worker process, with the names a handler has for its steps.

    fetch(), failed(), succeeded() and render_results() send each step to the
    server as it happens; the server makes the rows.
    """

    def __init__(self, send, job, targets, timeout, max_body):
        self.send = send
        self.job = job
        self.targets = targets  # URLs
        self.timeout = timeout
        self.max_body = max_body

    def tell(self, kind, **details):
        self.send({"job": self.job, "kind": kind} | details)

    def fetch(self, index):
        self.tell("fetch-start", index=index)
        return blocking_fetch(self.targets[index], self.timeout, self.max_body)

    def succeeded(self, index, response):
        return self.row(index, outcome(response))

    def failed(self, index, error):
        return self.row(index, outcome(None, error, self.max_body))

    def row(self, index, fetched):
        status, size, error = fetched
        self.tell("row", index=index, status=status, bytes=size, error=error)
        return fetched

    def render_results(self, rows):
        # The rows went to the server as they came: this says that all are in.
        self.tell("done")
