"""Who may fetch now: a run's limit on its fetches in flight, and what the server has
in flight across all runs.

A run sends at most `limit` fetches at once; the others wait in line, in order, and a
fetch still in line when the run's time to send is up fails unsent with NotSent. Both
kinds of fetch take their turn with the same call, submit(send, queued, sent, units): on the
event loop (LoopSlots), where send() answers a Future and so does submit(); and in a
thread or a greenlet (ThreadSlots), where send() blocks and so does submit().

The server's slots of each kind are shared fairly between runs and visitors: see
webdemo/run/shares.py, where that design lives and says why.
"""

import concurrent.futures
import functools
import time
from collections.abc import Callable
from typing import Any

from tornado.concurrent import Future, chain_future
from tornado.ioloop import IOLoop

from webdemo.run.outcomes import NOT_SENT_LEFT, not_sent_in_time
from webdemo.run.shares import Shares


class NotSent(Exception):
    """A fetch never sent: it was still in the run's line of waiting fetches."""


class LoopSlots:
    """A run's line on the event loop: submit() answers the Future of send()'s Future.

    A fetch still in line after `seconds`, or once the visitor has left, fails unsent.
    A slot is a Future that the Shares resolves when the fetch's turn comes; what
    follows is added to it as a done-callback, never awaited in a coroutine, so that
    the callback style stays callbacks all the way down.
    """

    def __init__(self, size: int, seconds: float, gone: Callable[[], bool], shares: Shares,
                 address: str | None) -> None:
        self.shares = shares
        self.account = shares.account(address, size)
        self.seconds = seconds
        self.gone = gone
        self.deadline = IOLoop.current().time() + seconds
        self.timer = None  # at the deadline, what still waits fails unsent

    def submit(self, send: Callable[[], Future], queued: Callable[[str], Any],
               sent: Callable[[], Any], units: int = 1) -> Future:
        """Calls send() in a slot of `units` (its weight: webdemo/run/shares.py); with
        none free, calls queued(why), then sent() once in."""
        if self.shares.take(self.account, units):  # free: no line, and no extra Future
            return self.start(send, units)
        slot = Future()
        why = self.shares.enqueue(self.account, slot, units)
        if why is None:
            return self.start(send, units)
        queued(why)
        if self.timer is None:
            self.timer = IOLoop.current().call_at(self.deadline, self.fail_waiting,
                                                  not_sent_in_time(self.seconds))
        result = Future()
        slot.add_done_callback(functools.partial(self.slot_came, send, sent, units, result))
        return result

    def slot_came(self, send: Callable[[], Future], sent: Callable[[], Any], units: int,
                  result: Future, slot: Future) -> None:
        error = slot.exception()
        if error is not None:
            if not result.done():  # else the style stopped waiting: cancelled at a stop
                result.set_exception(error)
        else:
            sent()
            chain_future(self.start(send, units), result)

    def start(self, send: Callable[[], Future], units: int) -> Future:
        try:
            fetched = send()
        except BaseException:  # a client closed at a stop raises at once: free the slot
            self.shares.release(self.account, units)
            raise
        fetched.add_done_callback(functools.partial(self.release, units))
        return fetched

    def fail_waiting(self, why: str) -> None:
        for slot in self.shares.withdraw_all(self.account):
            slot.set_exception(NotSent(why))

    def release(self, units: int, fetched: Future) -> None:
        if self.gone():  # nobody will read what the fetches still in line would fetch
            self.fail_waiting(NOT_SENT_LEFT)
        self.shares.release(self.account, units)


class ThreadSlots:
    """A run's line for fetches that block: submit() blocks, and answers what send() does.

    A fetch not sent `seconds` after the run began fails unsent, whether it waited in
    line or came late (one fetch after another, or a thread that started late). In the
    greenlet worker, gevent has patched threading: a greenlet in line lets the others
    run, and the worker's fetches are a Shares of their own across its jobs.
    """

    def __init__(self, size: int, seconds: float, seconds_to_deadline: float | None = None,
                 shares: Shares | None = None, address: str | None = None) -> None:
        # Without shares, a line of the run's own, its capacity the run's limit.
        self.shared = shares is not None
        self.shares = shares or Shares(size)
        self.account = self.shares.account(address if shares else None, size)
        self.seconds = seconds
        # A worker process is told how long the run it serves has to go.
        self.deadline = time.monotonic() + (
            seconds if seconds_to_deadline is None else seconds_to_deadline)

    def submit(self, send: Callable[[], Any], queued: Callable[[str], Any],
               sent: Callable[[], Any], units: int = 1) -> Any:
        """Calls send() in a slot of `units`; with none free, calls queued(why), then
        sent() once in. A fetch's weight is counted where it is shared: a run's own line
        counts fetches (in a thread of the app's pool, the pool has weighed it)."""
        if time.monotonic() >= self.deadline:
            raise NotSent(not_sent_in_time(self.seconds))
        if not self.shared:
            units = 1
        if not self.shares.take(self.account, units):
            slot = concurrent.futures.Future()
            why = self.shares.enqueue(self.account, slot, units)
            if why is not None:
                queued(why)
                try:
                    slot.result(timeout=max(0.0, self.deadline - time.monotonic()))
                except TimeoutError:
                    if self.shares.withdraw(self.account, slot):
                        raise NotSent(not_sent_in_time(self.seconds)) from None
                sent()
        try:
            return send()
        finally:
            self.shares.release(self.account, units)
