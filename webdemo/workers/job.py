"""WorkerJob: one aggregate inside a worker process, told to the server step by step."""

from webdemo.outcomes import outcome, seen_as
from webdemo.slots import ThreadSlots


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
