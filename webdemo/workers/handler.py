"""WorkerHandler: the Tornado side of a style that runs in a worker process."""

import time

from webdemo.aggregate import AggregateHandler
from webdemo.workers.supervisor import WorkerError


class WorkerHandler(AggregateHandler):
    """Forwards the targets to the style's worker process, and makes the rows of what
    it sends back as it comes, on this server's clock: so its rows and events are those
    of any style."""

    async def get(self):
        self.rows = [None] * len(self.targets)
        worker = self.application.workers.get(self.style)
        slots = self.thread_slots  # the worker keeps the run's limit and deadline
        job = {"targets": [target.url for target in self.targets],
               "timeout": self.plan.timeout, "limit": self.plan.limit,
               "run_seconds": slots.seconds,
               "seconds_to_deadline": slots.deadline - time.monotonic(),
               "max_body": self.application.config.max_body_bytes,
               "visitor": self.visitor}  # whose share of the worker's fetches
        try:
            # The whole job counts as one in /stats: its fetches are not this process's.
            with self.application.in_flight.counted():
                await worker.run(job, self.take_message)
        except WorkerError as error:
            for index, row in enumerate(self.rows):
                if row is None:
                    self.rows[index] = self.failed(index, error)
        self.render_results(self.rows)

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
