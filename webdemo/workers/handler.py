"""WorkerHandler: the Tornado side of a style that runs in a worker process; ChainWorkerHandler,
of a chain there."""

import time

from webdemo.run.aggregate import AggregateHandler
from webdemo.run.chain import ChainHandler
from webdemo.scenarios import MAX_LINKS
from webdemo.workers.supervisor import WorkerError


class WorkerHandler(AggregateHandler):
    """Forwards the targets to the style's worker process, and makes the rows of what
    it sends back as it comes, on this server's clock: so its rows and events are those
    of any style."""

    async def get(self):
        self.rows = [None] * len(self.targets)
        worker = self.application.workers.get(self.style)
        try:
            # The whole job counts as one in /stats: its fetches are not this process's.
            with self.application.in_flight.counted():
                await worker.run(self.job_request(), self.take_message)
        except WorkerError as error:
            for index, row in enumerate(self.rows):
                if row is None:
                    self.rows[index] = self.failed(index, error)
        self.render_results(self.rows)

    def job_request(self) -> dict:
        """What the worker is sent: the targets' URLs, and the run's limits."""
        slots = self.thread_slots  # the worker keeps the run's limit and deadline
        return {"targets": [target.url for target in self.targets],
                "timeout": self.plan.timeout, "limit": self.plan.limit,
                "run_seconds": slots.seconds,
                "seconds_to_deadline": slots.deadline - time.monotonic(),
                "max_body": self.application.config.max_body_bytes,
                "visitor": self.visitor}  # whose share of the worker's fetches

    def take_message(self, message):
        index = message["index"]
        if message["kind"] == "fetch-start":
            self.fetch_started(index)
        elif message["kind"] in ("queued", "shared"):
            self.fetch_queued(index, message["kind"])
        elif message["kind"] == "sent":
            self.fetch_sent(index)
        else:
            failure = message.get("failure")  # from the worker, which met the error
            self.rows[index] = self.row(
                index, message["status"], message["bytes"], message["error"],
                failure=failure if failure and self.may_show_failure() else None)


class ChainWorkerHandler(ChainHandler, WorkerHandler):
    """The server's side of a chain that runs in a worker process.

    A link read from a page must pass the gate, and the gate is the server's: so the
    job there sends each page's links here, and asks which pages to fetch next, as the
    other styles ask their handler (workers/job.py, ChainJob).
    """

    async def get(self):
        self.worker = self.application.workers.get(self.style)
        try:
            with self.application.in_flight.counted():
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
