"""WorkerJob: one aggregate inside a worker process, told to the server step by step;
ChainJob: one chain there, which asks the server which links to follow."""

import queue
from collections import namedtuple

from webdemo.run.chain import START, read_links
from webdemo.run.outcomes import outcome, seen_as
from webdemo.run.slots import ThreadSlots


class WorkerJob:
    """One aggregate in the worker process, with the names a handler has for its steps.

    fetch_blocking(), failed(), succeeded() and render_results() send each step to the
    server as it happens; the server makes the rows (webdemo/workers/handler.py).
    """

    def __init__(self, send, request, client_shares, fetch_url):
        self.send = send
        self.fetch_url = fetch_url  # blocking_fetch(), as the worker process keeps its deadline
        self.job = request["job"]
        self.targets = request["targets"]  # URLs
        self.timeout = request["timeout"]
        self.max_body = request["max_body"]
        # At most `limit` fetches at once, as in every style, within the visitor's fair
        # share of the worker's --max-clients across its jobs; the others wait in line.
        self.slots = ThreadSlots(request["limit"], request["run_seconds"],
                                 request["seconds_to_deadline"], client_shares,
                                 request.get("visitor"))

    def tell(self, kind, **details):
        self.send({"job": self.job, "kind": kind} | details)

    def fetch_blocking(self, index):
        self.tell("fetch-start", index=index)
        return self.slots.submit(lambda: self.send_blocking(index),
                                 lambda why: self.tell(why, index=index),
                                 lambda: self.tell("sent", index=index))

    def send_blocking(self, index):
        return self.fetch_url(self.targets[index], self.timeout, self.max_body)

    def succeeded(self, index, response):
        return self.row(index, outcome(response))

    def failed(self, index, error):
        return self.row(index, outcome(None, error, self.max_body), seen_as(error))

    def row(self, index, fetched, failure=None):
        status, size, error = fetched
        self.tell("row", index=index, status=status, bytes=size, error=error, failure=failure)
        return fetched

    def render_results(self, rows):
        # The rows went to the server as they came: this says that all are in.
        self.tell("done")


# A row as the job's code sees it; the server keeps the real one.
Page = namedtuple("Page", "index status bytes error")


class ChainJob(WorkerJob):
    """A chain in the worker process, with the names a chain handler has for its steps."""

    start = START

    def __init__(self, send, request, client_shares, fetch_url):
        super().__init__(send, request, client_shares, fetch_url)
        self.targets = dict(enumerate(self.targets))  # index -> URL; answers add to it
        # gevent's, once patched: a greenlet that waits for its answer lets others run.
        self.answers = queue.SimpleQueue()
        self.answer_seconds = request["run_seconds"]

    def succeeded(self, index, response):
        self.tell("links", index=index, links=read_links(response.body))
        return super().succeeded(index, response)

    def row(self, index, fetched, failure=None):
        return Page(index, *super().row(index, fetched, failure))

    def links(self, start: Page) -> list[int]:
        return self.ask("links", index=start.index)

    def choose_last(self, pages: list[Page]) -> int | None:
        last = self.ask("last", pages=[page.index for page in pages])
        return last[0] if last else None

    def ask(self, question: str, **details) -> list[int]:
        """The indices the server answers, their URLs kept; none if it has given up."""
        self.tell("ask", question=question, **details)
        try:
            answer = self.answers.get(timeout=self.answer_seconds)
        except queue.Empty:
            return []
        self.targets.update(answer)
        return [index for index, _ in answer]

    def render_chain(self) -> None:
        self.tell("done")
