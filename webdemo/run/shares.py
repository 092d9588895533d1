"""Fair shares: the server's slots of each kind (the shared Tornado client's fetches,
the pool's threads, the greenlet worker's fetches) are a Shares: many visitors' runs
draw on them at once, and a fetch of the demo's "hangs" holds its slot for the whole
timeout, up to 25 s. A first-come line would let one visitor's 200 hangs, or a greedy
script's many runs, hold every slot while a seed run of 0.3 s waits 25 s. So:
- a cap on what one run holds and on what one address holds, each half the slots:
  whatever one visitor asks, half is left for everyone else. Half, not less, because a
  class behind one school address is many visitors on one address: it still gets half
  the server, and within it each student's run takes its turn (below);
- round-robin, not first come: when a slot frees, it goes to the next address with a
  fetch waiting and under its cap, and within that address to its next run waiting;
  so a small run is never behind a large one's whole line, only behind one fetch of
  each other run;
- capacity where it is cheap: a waiting fetch costs a socket or a sleeping thread, so
  the slots are sized from the open-file limit at start (webdemo/run/capacity.py).
Fairness rests on runs as much as on addresses: an address cannot tell the students
of one school apart, and a cookie is whatever the visitor sends. A run waiting only
for its own limit is in no line of the Shares: the fast path, with nobody waiting,
is a lock and a few counts.
"""

import collections
import concurrent.futures
import functools
import threading
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from typing import Any


class Account:
    """What one run holds of a Shares, and its fetches waiting for a slot."""

    __slots__ = ("address", "asked", "limit", "held", "waiting")

    def __init__(self, address: str | None, asked: int, limit: int) -> None:
        self.address = address
        self.asked = asked  # the run's own limit
        self.limit = limit  # that, within the run's share
        self.held = 0
        self.waiting = collections.deque()  # Futures, set_result(None) when their turn comes


class Shares:
    """Slots of one kind, shared fairly between runs and addresses (see above).

    Safe from any thread; a waiter is anything with set_result(None), called under the
    lock when its turn comes: a Future on the loop, a concurrent one in a thread.
    """

    def __init__(self, capacity: int) -> None:
        self.capacity = capacity
        self.share = max(1, capacity // 2)  # of a run, and of an address
        self.held = 0
        self.held_by_address = {}
        # Address -> {Account: None}: runs with a fetch that waits for the Shares, not
        # for their own limit, each in its turn; dicts keep the round-robin's order.
        self.ready = {}
        self.lock = threading.Lock()

    def account(self, address: str | None, asked: int) -> Account:
        """A run's account; address None shares nothing (the bench: one run, alone)."""
        return Account(address, asked, asked if address is None else min(asked, self.share))

    def take(self, account: Account) -> bool:
        """Takes a slot now if nobody waits and every cap allows it."""
        with self.lock:  # on every fetch: hold() inline
            address = account.address
            if (self.ready or account.held >= account.limit or self.held >= self.capacity
                    or (address is not None
                        and self.held_by_address.get(address, 0) >= self.share)):
                return False
            account.held += 1
            self.held += 1
            if address is not None:
                self.held_by_address[address] = self.held_by_address.get(address, 0) + 1
            return True

    def hold(self, account: Account) -> None:
        account.held += 1
        self.held += 1
        if account.address is not None:
            self.held_by_address[account.address] = (
                self.held_by_address.get(account.address, 0) + 1)

    def enqueue(self, account: Account, waiter: Any) -> str | None:
        """Puts a waiter in line; answers what it waits for: "queued" (the run's own
        limit) or "shared" (the server's slots), or None if its turn came at once."""
        with self.lock:
            account.waiting.append(waiter)
            self.make_ready(account)
            self.grant()
            if account.waiting and account.waiting[-1] is waiter:
                return "queued" if account.held >= account.asked else "shared"
            return None

    def make_ready(self, account: Account) -> None:
        if account.waiting and account.held < account.limit:
            self.ready.setdefault(account.address, {})[account] = None

    def withdraw(self, account: Account, waiter: Any) -> bool:
        """Takes a waiter out of line; False if its turn has come meanwhile."""
        with self.lock:
            try:
                account.waiting.remove(waiter)
            except ValueError:
                return False
            if not account.waiting:
                runs = self.ready.get(account.address, {})
                runs.pop(account, None)
                if not runs:
                    self.ready.pop(account.address, None)
            return True

    def release(self, account: Account) -> None:
        with self.lock:
            account.held -= 1
            self.held -= 1
            address = account.address
            if address is not None:
                if self.held_by_address[address] == 1:
                    del self.held_by_address[address]
                else:
                    self.held_by_address[address] -= 1
            if account.waiting:
                self.make_ready(account)
            if self.ready:
                self.grant()

    def grant(self) -> None:
        """Gives the free slots out, round-robin over addresses, then over their runs."""
        while self.ready and self.held < self.capacity:
            for address in self.ready:
                if address is None or self.held_by_address.get(address, 0) < self.share:
                    runs = self.ready[address]
                    break
            else:  # every address waiting holds its share
                return
            account = next(iter(runs))
            self.hold(account)
            waiter = account.waiting.popleft()
            # Both go to the back of their lines.
            del runs[account], self.ready[address]
            if account.waiting and account.held < account.limit:
                runs[account] = None
            if runs:
                self.ready[address] = runs
            waiter.set_result(None)


class FairPool:
    """The app's threads, lent to runs through a Shares: run_in_executor(pool.lane(...))."""

    def __init__(self, threads: int) -> None:
        self.executor = ThreadPoolExecutor(max_workers=threads, thread_name_prefix="fetch")
        self.shares = Shares(threads)

    def lane(self, address: str | None, waiting: Callable[[], Any]) -> "Lane":
        """A run's way in; waiting() is called when a task of it waits for a thread."""
        return Lane(self, self.shares.account(address, self.shares.capacity), waiting)

    def shutdown(self) -> None:
        # Fetches under way in threads end by themselves, within the timeout.
        self.executor.shutdown(wait=False, cancel_futures=True)


class Lane:
    """A run's tasks for the pool, an Executor as run_in_executor() takes one."""

    def __init__(self, pool: FairPool, account: Account, waiting: Callable[[], Any]) -> None:
        self.pool = pool
        self.account = account
        self.waiting = waiting

    def submit(self, fn: Callable, *args: Any) -> concurrent.futures.Future:
        task = QueuedCall(self, functools.partial(fn, *args))
        if self.pool.shares.take(self.account):
            task.set_result(None)
        elif self.pool.shares.enqueue(self.account, task) is not None:
            self.waiting()
        return task.future


class QueuedCall:
    """A call waiting for a thread of the pool (not an asyncio Task): a Shares waiter,
    whose set_result() is the Shares saying go, and submits the call."""

    def __init__(self, lane: Lane, call: Callable) -> None:
        self.lane = lane
        self.call = call
        self.future = concurrent.futures.Future()

    def set_result(self, _: None) -> None:
        self.lane.pool.executor.submit(self.run)

    def run(self) -> None:
        try:
            if self.future.set_running_or_notify_cancel():
                try:
                    result = self.call()
                except BaseException as error:
                    self.future.set_exception(error)
                else:
                    self.future.set_result(result)
        finally:
            self.lane.pool.shares.release(self.lane.account)
