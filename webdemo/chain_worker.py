"""The chain in a worker process: the job there asks, the handler here answers.

A link read from a page must pass the gate, and the gate is the server's: so a chain
that runs in a worker process (the greenlets') sends each page's links to the server
and asks it which pages to fetch next, as the other styles ask their handler. The
server makes every row, as it does for the aggregate (webdemo/worker.py).
"""

import queue
from collections import namedtuple

from webdemo.aggregate import counted_in_flight
from webdemo.catalog import MAX_LINKS
from webdemo.chain import START, ChainHandler, read_links
from webdemo.worker import WorkerError, WorkerHandler, WorkerJob


class ChainWorkerHandler(ChainHandler, WorkerHandler):
    """The server's side of a chain that runs in a worker process."""

    async def get(self):
        self.worker = self.settings["workers"].get(self.style, self.worker_module)
        try:
            with counted_in_flight():
                await self.worker.run(self.job_request() | {"chain": True}, self.take_message)
        except WorkerError as error:
            for index in range(len(self.targets)):
                if index not in self.rows:
                    self.failed(index, error)
        self.render_chain()

    def take_message(self, message):
        if message["kind"] == "links":
            self.links_read[message["index"]] = message["links"][:MAX_LINKS + 1]
        elif message["kind"] == "ask":
            self.worker.answer(message["job"], self.answer(message))
        else:
            super().take_message(message)

    def answer(self, question: dict) -> list[list]:
        """The (index, URL) of each page to fetch next: the handler's own choice."""
        if question["question"] == "links":
            indices = self.links(self.rows[question["index"]])
        else:
            last = self.choose_last([self.rows[index] for index in question["pages"]])
            indices = [] if last is None else [last]
        return [[index, self.targets[index].url] for index in indices]


# A row as the job's code sees it; the server keeps the real one.
Page = namedtuple("Page", "index status bytes error")


class ChainJob(WorkerJob):
    """A chain in the worker process, with the names a chain handler has for its steps."""

    start = START

    def __init__(self, send, request, client_slots, fetch_url):
        super().__init__(send, request, client_slots, fetch_url)
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
