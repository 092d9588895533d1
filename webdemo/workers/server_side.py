"""The server's side of the styles that run in a worker process: WorkerHandler, the Tornado
handler of an aggregate there, and ChainWorkerHandler, of a chain.

The registry routes to these; the style's own code, which the worker runs, is the job in
its style file (webdemo/styles/greenlets.py, webdemo/chains/greenlets.py), never imported
here: it imports gevent, and the server must not.
"""

import time

from webdemo.run.aggregate import AggregateHandler
from webdemo.run.chain import ChainHandler
from webdemo.scenarios import MAX_LINKS
from webdemo.workers.supervisor import WorkerError


class WorkerHandler(AggregateHandler):
    """Forwards the targets to the style's worker process, and makes the rows of what
    it sends back as it comes, on this server's clock: so its rows and events are those
    of any style."""

    # The job's code is blocking code: each fetch's result comes back as its call returns.
    resume_event = "returned"

    async def get(self):
        worker = self.application.workers.get(self.style)
        try:
            # The whole job counts as one in /stats: its fetches are not this process's.
            with self.application.in_flight.counted():
                await worker.run(self.job_request(), self.take_message)
        except WorkerError as error:
            self.fail_the_rest(error)
        self.render_results([self.rows[index] for index in range(len(self.targets))])

    def fail_the_rest(self, error: WorkerError) -> None:
        """The rows the worker still owed, failed with why."""
        for index in range(len(self.targets)):
            if index not in self.rows:
                self.failed(index, error)

    def job_request(self) -> dict:
        """What the worker is sent: the targets' URLs, and the run's limits."""
        slots = self.thread_slots  # the worker keeps the run's limit and deadline
        return {"targets": [target.url for target in self.targets],
                "units": [target.units for target in self.targets],
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
            self.row(index, message["status"], message["bytes"], message["error"],
                     failure=failure if failure and self.record.may_show_failure() else None)


class ChainWorkerHandler(ChainHandler, WorkerHandler):
    """The server's side of a chain that runs in a worker process.

    A link read from a page must pass the gate, and the gate is the server's: so the
    job there sends each page's links here, and asks which pages to fetch next, as the
    other styles ask their handler (webdemo/run/job.py, ChainJob).
    """

    async def get(self):
        self.worker = self.application.workers.get(self.style)
        try:
            with self.application.in_flight.counted():
                await self.worker.run(self.job_request() | {"chain": True}, self.take_message)
        except WorkerError as error:
            self.fail_the_rest(error)
        self.render_chain()

    def take_message(self, message):
        if message["kind"] == "links":
            self.links_read[message["index"]] = message["links"][:MAX_LINKS + 1]
        elif message["kind"] == "ask":
            self.worker.answer(message["job"], message["question_id"], self.answer(message))
        else:
            super().take_message(message)

    def answer(self, question: dict) -> list[list]:
        """The (index, URL, units) of each page to fetch next: the handler's own choice."""
        if question["question"] == "links":
            indices = self.links(self.rows[question["index"]])
        else:
            last = self.choose_last([self.rows[index] for index in question["pages"]])
            indices = [] if last is None else [last]
        return [[index, self.targets[index].url, self.targets[index].units]
                for index in indices]
