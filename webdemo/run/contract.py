"""What a style's code may call on `self`: the contract between a style file and its run.

A style file (webdemo/styles/, webdemo/chains/) holds only its style; everything else
it asks of its run, by these names and no others (tests/test_styles.py reads the files
to check). The loop's handlers implement them (webdemo/run/aggregate.py, chain.py), and
so do the greenlet worker's jobs (webdemo/run/job.py), which have no loop.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING, Protocol

if TYPE_CHECKING:  # only named here: this module stays light for the worker
    from concurrent.futures import Executor

    from tornado.concurrent import Future
    from tornado.httpclient import HTTPResponse

    from webdemo.run.record import Row

START = 0  # the start page is a chain's first fetch: its index, in every style


class Run(Protocol):
    """A run of fetches, wherever it runs; a fetch is named by its index."""

    targets: Sequence  # what the run fetches: the style counts them, and no more

    def fetch_blocking(self, index: int) -> HTTPResponse:
        """Fetches and returns the response, blocking till then; raises its failure."""

    def succeeded(self, index: int, response: HTTPResponse) -> Row:
        """The row of a fetch that answered."""

    def failed(self, index: int, error: BaseException) -> Row:
        """The row of a fetch that failed, with how its failure reached the style."""

    def render_results(self, rows: list[Row]) -> None:
        """Answers the rows, in the order asked for, with their totals."""

    def visitor_left(self) -> bool:
        """Whether the visitor has gone: nobody waits for the rest of the run."""


class LoopRun(Run, Protocol):
    """A run on the event loop (a handler) has the loop's ways as well."""

    thread_pool: Executor  # this run's fair share of the app's threads

    def fetch(self, index: int, raise_error: bool = True) -> Future:
        """Starts a fetch; answers the Future of its response."""

    def log_event(self, kind: str, index: int | None = None, **details) -> None:
        """Logs a step of the style's own (a counter, say) among the run's events."""


class Chain(Run, Protocol):
    """A chain: three steps, each decided by the one before (webdemo/run/chain.py)."""

    start: int  # the start page's index: START

    def links(self, start: Row) -> list[int]:
        """The indices of the pages the start page links to, that the gate let through."""

    def choose_last(self, pages: list[Row]) -> int | None:
        """The index of the last page, chosen from the linked pages' rows; or None."""

    def render_chain(self) -> None:
        """Answers every row of the chain, step by step."""
