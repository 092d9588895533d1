"""The worker processes' supervisor: starts them, talks to them, restarts and stops them.

A style that must not run in the Tornado server runs beside it, in a process of its own.

gevent's monkey.patch_all() changes the whole process it runs in, Tornado's own
sockets included, so the greenlet style runs in a worker process of its own. The
server talks to it over a socket pair, one JSON object a line:

    server -> worker  {"job": 7, "targets": [url, ...], "units": [n, ...] (each one's
                       weight in the worker's fair shares), "timeout": s, "limit": n,
                       "run_seconds": s, "seconds_to_deadline": s, "max_body": bytes,
                       "visitor": address}   (whose fair share: webdemo/run/shares.py)
                      or  {"job": 8, "usage": true}
    worker -> server  {"kind": "ready"}                    once, when it has started
                      {"job": 7, "kind": "fetch-start", "index": 0}
                      {"job": 7, "kind": "queued", "index": 1}   no free slot (limit)
                      {"job": 7, "kind": "shared", "index": 1}   nor in its fair share of the worker
                      {"job": 7, "kind": "sent", "index": 1}     a slot came free
                      {"job": 7, "kind": "row", "index": 0, "status": 200, "bytes": 14336,
                       "error": null, "failure": null}   (see outcomes.seen_as())
                      {"job": 7, "kind": "done"}   ("usage": metrics.usage() for a usage job)

A chain ("chain": true in its job) asks the server which links to follow, and waits:

    worker -> server  {"job": 7, "kind": "links", "index": 0, "links": [href, ...]}
                      {"job": 7, "kind": "ask", "question": "links", "index": 0}
                      {"job": 7, "kind": "ask", "question": "last", "pages": [1, 2]}
                      ("question_id": n on each ask, numbered in its job)
    server -> worker  {"job": 7, "question_id": 0, "answer": [[1, url, 1], [2, url, 1]]}
                      (index, URL, units) to fetch; a late answer, to a question given up on,
                      is known by its id and ignored

A worker starts on first use and again after it died. If it dies, or a job of it says
nothing for the fetch timeout and a grace, the rows it still owed fail with a row that
says so: never a hung page. It stops with the app (App.close()), and by itself when the
server process goes, since it then reads the end of its socket.
"""

import asyncio
import itertools
import json
import signal
import socket
import time

from tornado.ioloop import IOLoop
from tornado.iostream import IOStream, StreamClosedError

from webdemo.workers import launcher

GRACE_SECONDS = 2  # past the fetch timeout, for a job's next message to arrive
MAX_LINE_BYTES = 1024 * 1024
# A worker that closed its end exits by itself: it is waited for this long, then killed.
EXIT_SECONDS = 1
EXIT_POLL_SECONDS = 0.01


class WorkerError(Exception):
    """The worker process died or stopped answering."""


def how_it_ended(process):
    if process.returncode < 0:
        return f"killed by {signal.Signals(-process.returncode).name}"
    return f"exit status {process.returncode}"


class WorkerProcess:
    def __init__(self, name, module, timeout, max_clients, grace_seconds=GRACE_SECONDS):
        self.name = name
        self.timeout = timeout
        self.grace_seconds = grace_seconds
        ours, theirs = socket.socketpair()
        with theirs:
            self.process = launcher.start(module, theirs.fileno(), max_clients,
                                          pass_fds=(theirs.fileno(),))
        self.stream = IOStream(ours)
        self.jobs = {}  # job id -> its Job, from when it is sent until it ends
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
        if self.stopped:  # what was read as it stopped is for nobody: its jobs have failed
            return
        if reading.exception():  # it exited
            self.stop()
            return
        self.last_heard = time.monotonic()
        *lines, self.unfinished = (self.unfinished + reading.result()).split(b"\n")
        try:
            messages = [json.loads(line) for line in lines]
        except ValueError:
            self.stop(f"the {self.name} worker process sent a line that is not JSON")
            return
        if len(self.unfinished) > MAX_LINE_BYTES:
            self.stop(f"the {self.name} worker process sent a line over "
                      f"{MAX_LINE_BYTES} bytes")
            return
        for message in messages:
            self.take(message)
        self.read_messages()

    def take(self, message):
        if message["kind"] == "ready":
            self.ready.set_result(None)
            return
        job = self.jobs.get(message["job"])
        if job is None or job.finished.done():  # given up on, or failed
            return
        job.last_heard = self.last_heard
        if message["kind"] in ("queued", "shared"):
            job.waiting.add(message["index"])
        elif "index" in message:  # sent, or its row: not waiting any more
            job.waiting.discard(message["index"])
        if message["kind"] == "done":
            job.finished.set_result(message)
        elif job.on_message:
            try:
                job.on_message(message)
            except Exception as error:  # a bug of the handler's: its request fails, not all
                job.finished.set_exception(error)

    def stop(self, reason=None):
        """Ends the process; whatever it still owed fails with the reason.

        With no reason it has closed its end, and is exiting: what it owed fails once
        it has, saying how it ended. Never waits on the loop.
        """
        self.stopped = True
        self.stream.close()
        if reason is None:
            self.when_exited(time.monotonic() + EXIT_SECONDS)
            return
        # Stuck, misbehaving, or stopped with the server: a kill ends it at once.
        self.process.kill()
        self.process.wait()
        self.fail_jobs(reason)

    def when_exited(self, deadline):
        if self.process.poll() is None and time.monotonic() < deadline:
            IOLoop.current().call_later(EXIT_POLL_SECONDS, self.when_exited, deadline)
            return
        if self.process.poll() is None:  # it closed its end, but does not exit
            self.process.kill()
            self.process.wait()
        self.fail_jobs(f"the {self.name} worker process stopped: "
                       f"{how_it_ended(self.process)}")

    def fail_jobs(self, reason):
        error = WorkerError(reason)
        if not self.ready.done():
            self.ready.set_exception(error)
            self.ready.exception()  # seen here, if no job is waiting for it
        for job in self.jobs.values():
            if not job.finished.done():
                job.finished.set_exception(error)

    async def run(self, request, on_message=None):
        """Sends a job; hands each message of it to on_message; returns its "done".

        The job may take as long as it keeps talking, but fails once it has said nothing
        for its fetch timeout (the request's, or the server's) and a grace. Waiting is
        not failing: while a fetch of it waits in line (it said "queued" or "shared"),
        it may say nothing until the run's deadline (seconds_to_deadline), when the
        fetches still in line fail unsent, and a grace.
        """
        await self.wait(asyncio.shield(self.ready), launcher.START_SECONDS, "start")
        job = Job(on_message)
        job_id = next(self.job_ids)
        self.jobs[job_id] = job
        try:
            await self.stream.write(json.dumps({"job": job_id} | request).encode() + b"\n")
            fetching = request.get("timeout", self.timeout) + self.grace_seconds
            job.last_heard = time.monotonic()
            deadline = job.last_heard + request.get("seconds_to_deadline", 0) + GRACE_SECONDS
            while not job.finished.done():
                quiet = time.monotonic() - job.last_heard
                allowed = fetching
                if job.waiting:
                    allowed = max(allowed, deadline - job.last_heard)
                if quiet < allowed:
                    await asyncio.wait([job.finished], timeout=allowed - quiet)
                else:
                    error = self.overdue("answer", allowed)
                    if not job.finished.done():  # unless stop() has failed it already
                        job.finished.set_exception(error)
            return job.finished.result()
        except StreamClosedError:  # died as the job was sent: stop() fails it, saying how
            return await job.finished
        finally:
            del self.jobs[job_id]
            if job.finished.done() and not job.finished.cancelled():
                job.finished.exception()  # seen, if this request was cancelled meanwhile

    def answer(self, job_id, question_id, answer):
        """Answers a job's question while it runs: a chain asks which links to follow."""
        line = json.dumps({"job": job_id, "question_id": question_id, "answer": answer})
        try:
            written = self.stream.write(line.encode() + b"\n")
        except StreamClosedError:  # gone: the reading side fails its jobs, saying how
            return
        # The same, if it goes while the line is being written.
        written.add_done_callback(lambda written: written.exception())

    async def wait(self, awaitable, seconds, what):
        try:
            return await asyncio.wait_for(awaitable, seconds)
        except TimeoutError:
            raise self.overdue(what, seconds) from None

    def overdue(self, what, seconds):
        """The error of what did not happen within `seconds`; stops the worker if stuck."""
        reason = f"the {self.name} worker process did not {what} within {seconds:g} s"
        # Silent all that time, for every job: stuck, and the next request starts a
        # new one. Still talking, it is only busy: only what waited fails.
        if time.monotonic() - self.last_heard >= seconds:
            self.stop(reason)
        return WorkerError(reason)


class Job:
    """A job sent to a worker: where its messages go, and when it last sent one."""

    def __init__(self, on_message):
        self.on_message = on_message
        self.finished = asyncio.get_running_loop().create_future()  # "done", or an error
        self.last_heard = time.monotonic()
        self.waiting = set()  # the indices of its fetches waiting in line


class Workers:
    """The app's worker processes, one per style that needs one, started on first use."""

    def __init__(self, timeout, max_clients, modules, grace_seconds=GRACE_SECONDS):
        self.timeout = timeout
        self.grace_seconds = grace_seconds  # past the fetch timeout: see WorkerProcess.run()
        self.max_clients = max_clients  # fetches at once in each worker, across its jobs
        self.modules = modules  # style name -> what its process runs: python -m module
        self.running = {}

    def get(self, name):
        """The style's worker process, started if it is not running."""
        worker = self.running.get(name)
        if worker is None or not worker.alive():
            worker = self.running[name] = WorkerProcess(name, self.modules[name],
                                                        self.timeout, self.max_clients,
                                                        self.grace_seconds)
        return worker

    def close(self):
        for worker in self.running.values():
            if worker.alive():
                worker.stop(f"the {worker.name} worker process was stopped with the server")
