"""WorkerJob: one aggregate inside a worker process, told to the server step by step;
ChainJob: one chain there, which asks the server which links to follow.

Each implements the contract a style's code calls (webdemo/run/contract.py), keeping
its run in a RunRecord as the server's handlers do. Light on purpose: the worker
process imports this, and never the server's handlers or its registry.
"""

import itertools
import queue
import time

from webdemo.run.contract import START
from webdemo.run.links import read_links
from webdemo.run.outcomes import outcome, seen_as
from webdemo.run.record import Row, RunRecord
from webdemo.run.slots import ThreadSlots


class WorkerJob:
    """One aggregate in the worker process, with the names a handler has for its steps.

    fetch_blocking(), failed(), succeeded() and render_results() send each step to the
    server as it happens; the server makes the rows it answers, on its own clock
    (webdemo/workers/server_side.py).
    """

    def __init__(self, send, request, client_shares, fetch_url):
        self.send = send
        self.fetch_url = fetch_url  # blocking_fetch(), as the worker process keeps its deadline
        self.job = request["job"]
        self.targets = request["targets"]  # URLs
        self.units = request["units"]  # what each fetch weighs in the worker's shares
        self.timeout = request["timeout"]
        self.max_body = request["max_body"]
        self.record = RunRecord(len(self.targets))
        # At most `limit` fetches at once, as in every style, within the visitor's fair
        # share of the worker's --max-clients across its jobs; the others wait in line.
        self.slots = ThreadSlots(request["limit"], request["run_seconds"],
                                 request["seconds_to_deadline"], client_shares,
                                 request.get("visitor"))

    def tell(self, kind, **details):
        self.send({"job": self.job, "kind": kind} | details)

    def fetch_blocking(self, index):
        self.record.started_fetch(index)
        self.tell("fetch-start", index=index)
        return self.slots.submit(lambda: self.send_blocking(index),
                                 lambda why: self.queued(index, why),
                                 lambda: self.sent(index), self.units[index])

    def queued(self, index, why):
        self.record.queued(index)
        self.tell(why, index=index)

    def sent(self, index):
        self.record.sent(index)
        self.tell("sent", index=index)

    def send_blocking(self, index):
        return self.fetch_url(self.targets[index], self.timeout, self.max_body)

    def succeeded(self, index, response):
        return self.row(index, *outcome(response), began=response.start_time)

    def failed(self, index, error):
        # Only the run's first failures show how they looked: the rest are not formatted.
        failure = seen_as(error) if self.record.may_show_failure() else None
        return self.row(index, *outcome(None, error, self.max_body), failure=failure)

    def row(self, index, status, size, error, failure=None, began=None) -> Row:
        self.tell("row", index=index, status=status, bytes=size, error=error, failure=failure)
        url = self.targets[index]
        return self.record.row(index, url, url, status, size, error, failure, began)

    def visitor_left(self):
        # Only the server can tell; a chain's next step, which it decides, is then
        # none (ChainHandler.follow()).
        return False

    def render_results(self, rows):
        # The rows went to the server as they came: this says that all are in.
        self.tell("done")


class ChainJob(WorkerJob):
    """A chain in the worker process, with the names a chain handler has for its steps."""

    start = START

    def __init__(self, send, request, client_shares, fetch_url):
        super().__init__(send, request, client_shares, fetch_url)
        self.targets = dict(enumerate(self.targets))  # index -> URL; answers add to it
        self.units = dict(enumerate(self.units))
        # gevent's, once patched: a greenlet that waits for its answer lets others run.
        self.answers = queue.SimpleQueue()  # (question id, answer), as the server sends them
        self.question_ids = itertools.count()
        self.answer_seconds = request["run_seconds"]

    def succeeded(self, index, response):
        self.tell("links", index=index, links=read_links(response.body))
        return super().succeeded(index, response)

    def links(self, start: Row) -> list[int]:
        return self.ask("links", index=self.index_of(start))

    def choose_last(self, pages: list[Row]) -> int | None:
        last = self.ask("last", pages=[self.index_of(page) for page in pages])
        return last[0] if last else None

    def index_of(self, row: Row) -> int:
        """The index of one of this run's rows: the server knows its rows by index."""
        return next(index for index, kept in self.record.rows.items() if kept is row)

    def ask(self, question: str, **details) -> list[int]:
        """The indices the server answers, their URLs kept; none if it has given up."""
        question_id = next(self.question_ids)
        self.tell("ask", question=question, question_id=question_id, **details)
        deadline = time.monotonic() + self.answer_seconds
        while True:
            try:
                answered, answer = self.answers.get(
                    timeout=max(0.0, deadline - time.monotonic()))
            except queue.Empty:
                return []
            if answered == question_id:  # not a late answer, to a question given up on
                for index, url, units in answer:  # numbered by the server, refused too
                    self.targets[index], self.units[index] = url, units
                    self.record.add_fetch(index)
                return [index for index, _, _ in answer]

    def render_chain(self) -> None:
        self.tell("done")
