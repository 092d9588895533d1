"""Fair shares: the server's slots of each kind (the shared Tornado client's fetches,
the pool's threads, the greenlet worker's fetches) are a Shares: many visitors' runs
draw on them at once, and a fetch of the demo's "hangs" holds its slot for the whole
timeout, up to 25 s. A slot given cannot be taken back, so a share is decided when a
slot is granted, never later. A first-come line would let one visitor's 200 hangs, or
a greedy script's many runs, hold every slot while a seed run of 0.3 s waits 25 s; a
cap of half per address leaves nothing once two addresses take their halves. So:
- a cap per address that shrinks as more addresses are active (holding or waiting):
  of the slots open to all, each address may hold 1/N when N are active, and never
  more than half, so that an address arriving late finds room even when the first
  one's hangs cannot be taken back (max-min fairness, decided at each grant). An
  address over its cap, because others arrived after it took its slots, gets nothing
  until its own fetches end and it is under again;
- a reserve of slots, the last RESERVE_PART of them, that only a light address may
  take: one that holds no more than `light` units with the fetch it asks for, whatever
  its runs ask. A visitor's seed run (three fetches) finds a slot at once, whatever up
  to five greedy addresses hold, since each of them can take at most `light` of the
  reserve, and a fetch heavier than `light` only ever takes from the open slots;
- round-robin, not first come: when a slot frees, it goes to the next address with a
  fetch waiting that may take it, and within that address to its next run waiting;
  so a small run is never behind a large one's whole line, only behind one fetch of
  each other run. A class behind one school address is many visitors on one address:
  it gets an address's share, and within it each student's run takes its turn;
- capacity where it is cheap: a waiting fetch costs a socket or a sleeping thread, so
  the slots are sized from the open-file limit at start (webdemo/run/capacity.py);
- a fetch weighs what it carries: it holds one unit, and one more for each 256 KiB its
  page is expected to bring (webdemo/catalog.py, UNIT_BYTES), so that a run of 10 MB
  pages holds 39 times what a seed page's fetch holds: the loop's time and the memory
  its bytes take count in its share, not only its number of fetches. Every count and
  cap below is in units, and a fetch weighs at most an address's share alone (half
  the open slots, so that it fits beside a few light fetches). An address's cap is
  checked before a grant: a fetch goes when its address is under its cap, even if it
  then holds a little more (by one fetch), and every address may hold one fetch,
  however many are active. A fetch that is not light never takes past the open slots,
  so a big page waits for room there; while it waits, no fetch after it in the round
  goes unless it is light, so heavier ones cannot pass it for good. Light fetches still
  go wherever there is room: the reserve is kept for them, and the units are counted
  as one, not by part. So a big page waits while light fetches keep the server full,
  to its run's deadline at most (then it fails unsent, and says so); a waiter that
  leaves the line opens the round again at once.
Fairness rests on runs as much as on addresses: an address cannot tell the students
of one school apart, and a cookie is whatever the visitor sends. A run waiting only
for its own limit is in no line of the Shares: the fast path, with nobody waiting,
is a lock and a few counts.
"""

import asyncio
import collections
import concurrent.futures
import functools
import math
import threading
import time
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from typing import Any

# The last 1/RESERVE_PART of the units are kept for light addresses.
RESERVE_PART = 4
# An address is light while it holds no more than reserve // LIGHT_PART units with the
# fetch it asks for: enough for a seed run, and five greedy addresses can take no more
# than 5/8 of the reserve.
LIGHT_PART = 8
# What may_take() answers: the fetch may go; its caps stop it; or only the room left in
# the open units does (it is heavier than what is free there).
GO, WAIT, ROOM = "go", "wait", "room"


class Account:
    """What one run holds of a Shares, and its fetches waiting for a slot."""

    __slots__ = ("address", "asked", "held", "waiting")

    def __init__(self, address: str | None, asked: int) -> None:
        self.address = address
        self.asked = asked  # the run's own limit, in fetches
        self.held = 0  # fetches, whatever their weight
        # (waiter, units): Futures, set_result(None) when their turn comes.
        self.waiting = collections.deque()


class Shares:
    """Slots of one kind, shared fairly between runs and addresses (see above).

    Safe from any thread; a waiter is anything with set_result(None), called under the
    lock when its turn comes: a Future on the loop, a concurrent one in a thread.
    """

    def __init__(self, capacity: int, per_address: int | None = None) -> None:
        self.capacity = capacity
        self.per_address = per_address  # a bound of its own on an address, whatever is free
        reserve = capacity // RESERVE_PART
        self.open = capacity - reserve  # the slots every address may take
        self.light = max(1, reserve // LIGHT_PART)
        self.held = 0
        self.held_by_address = {}
        # Address -> {Account: None}: runs with a fetch that waits for the Shares, not
        # for their own limit, each in its turn; dicts keep the round-robin's order.
        self.ready = {}
        self.lock = threading.Lock()

    def account(self, address: str | None, asked: int) -> Account:
        """A run's account; address None shares nothing (the bench: one run, alone)."""
        return Account(address, asked)

    def weight(self, units: int) -> int:
        """What a fetch of `units` holds here: no more than an address's share when it is
        alone (half the open units), so that it goes beside a few light fetches, on a
        server of few slots (--max-clients) too."""
        return min(units, max(1, self.open // 2))

    def may_take(self, address: str | None, active: int, units: int, open_to_all: bool) -> str:
        """GO if `address` may take `units` now, with `active` addresses holding or
        waiting (itself among them); WAIT if a cap stops it, or the open units are kept
        for a heavier fetch before it (not `open_to_all`); ROOM if only the room left
        in the open units does."""
        total = self.held + units
        if address is None:
            return GO if total <= self.capacity else WAIT
        held = self.held_by_address.get(address, 0)
        if self.per_address is not None and held + units > self.per_address:
            return WAIT
        if held + units <= self.light:  # from anywhere, the reserve included
            return GO if total <= self.capacity else WAIT
        # Each address may hold one fetch at least, however many are active.
        if not open_to_all or held >= max(1, self.open // max(2, active)):
            return WAIT
        return GO if total <= self.open else ROOM

    def take(self, account: Account, units: int = 1) -> bool:
        """Takes `units` now if nobody waits and every cap allows it: what a grant would
        decide, with this address counted among the active."""
        with self.lock:
            if self.ready or account.held >= account.asked:
                return False
            units = self.weight(units)
            active = len(self.held_by_address) + (account.address not in self.held_by_address)
            if self.may_take(account.address, active, units, open_to_all=True) != GO:
                return False
            self.hold(account, units)
            return True

    def hold(self, account: Account, units: int) -> None:
        account.held += 1
        self.held += units
        if account.address is not None:
            self.held_by_address[account.address] = (
                self.held_by_address.get(account.address, 0) + units)

    def enqueue(self, account: Account, waiter: Any, units: int = 1) -> str | None:
        """Puts a waiter of `units` in line; answers what it waits for: "queued" (the
        run's own limit) or "shared" (the server's slots), or None if its turn came at
        once."""
        with self.lock:
            account.waiting.append((waiter, units))
            self.make_ready(account)
            self.grant()
            if account.waiting and account.waiting[-1][0] is waiter:
                return "queued" if account.held >= account.asked else "shared"
            return None

    def make_ready(self, account: Account) -> None:
        if account.waiting and account.held < account.asked:
            self.ready.setdefault(account.address, {})[account] = None

    def withdraw(self, account: Account, waiter: Any) -> bool:
        """Takes a waiter out of line; False if its turn has come meanwhile."""
        with self.lock:
            waiting = next((each for each in account.waiting if each[0] is waiter), None)
            if waiting is None:
                return False
            account.waiting.remove(waiting)
            self.left_line(account)
            return True

    def withdraw_all(self, account: Account) -> list:
        """Takes every waiter of a run out of line at once (none of them may be granted
        after another is withdrawn); answers them."""
        with self.lock:
            waiters = [waiter for waiter, _ in account.waiting]
            account.waiting.clear()
            self.left_line(account)
            return waiters

    def left_line(self, account: Account) -> None:
        """After waiters left: a run with none is out of the round, and what a waiter
        kept from others (the open units, while it waited for room) is theirs again."""
        if not account.waiting:
            runs = self.ready.get(account.address, {})
            runs.pop(account, None)
            if not runs:
                self.ready.pop(account.address, None)
        if self.ready:
            self.grant()

    def release(self, account: Account, units: int) -> None:
        """Gives back a fetch's slot: `units` as it was taken with."""
        units = self.weight(units)
        with self.lock:
            account.held -= 1
            self.held -= units
            address = account.address
            if address is not None:
                if self.held_by_address[address] == units:
                    del self.held_by_address[address]
                else:
                    self.held_by_address[address] -= units
            if account.waiting:
                self.make_ready(account)
            if self.ready:
                self.grant()

    def grant(self) -> None:
        """Gives the free slots out, round-robin over addresses, then over their runs."""
        while self.ready:
            active = len(self.held_by_address) + sum(
                address not in self.held_by_address for address in self.ready)
            open_to_all = True  # no heavier fetch before, waiting for room in the open units
            for address, runs in self.ready.items():
                account = next(iter(runs))
                units = self.weight(account.waiting[0][1])
                verdict = self.may_take(address, active, units, open_to_all)
                if verdict == GO:
                    break
                open_to_all = open_to_all and verdict != ROOM
            else:  # every address waiting holds its share, or waits for room
                return
            waiter, _ = account.waiting.popleft()
            self.hold(account, units)
            # Both go to the back of their lines.
            del runs[account], self.ready[address]
            if account.waiting and account.held < account.asked:
                runs[account] = None
            if runs:
                self.ready[address] = runs
            waiter.set_result(None)


class Full(Exception):
    """No turn came in time: `seconds`, about how long until one may, and whether the
    visitor's own runs hold their share (`own`) or everyone's runs hold all."""

    def __init__(self, seconds: int, own: bool) -> None:
        super().__init__(seconds, own)
        self.seconds, self.own = seconds, own


class Admission:
    """Runs of one kind at once (claims demos, live streams, blocking demos), admitted as
    slots are granted: each run holds one slot of a Shares while it lasts, and for
    `cooldown_seconds` after it. A run with no slot free waits in line, its address's
    turn among the others', at most `wait_seconds`; then it is refused with Full."""

    def __init__(self, capacity: int, per_address: int | None = None,
                 wait_seconds: float = 0.0, cooldown_seconds: float = 0.0,
                 typical_seconds: float = 1.0) -> None:
        self.shares = Shares(capacity, per_address)
        self.wait_seconds = wait_seconds
        self.cooldown_seconds = cooldown_seconds
        self.typical_seconds = typical_seconds  # how long a run lasts, learnt as they end
        self.started = {}  # Account -> when it was admitted (monotonic)
        self.ends = {}  # Account -> when its slot is likely free again

    def try_enter(self, address: str | None) -> Account:
        """A slot now, or Full: for what cannot wait, as a stream about to open."""
        account = self.shares.account(address, 1)
        if not self.shares.take(account):
            raise self.full(address)
        return self.admitted(account)

    async def enter(self, address: str | None) -> Account:
        """A slot, within wait_seconds, or Full."""
        account = self.shares.account(address, 1)
        if self.shares.take(account):
            return self.admitted(account)
        slot = asyncio.get_running_loop().create_future()
        if self.shares.enqueue(account, slot) is not None:
            try:
                await asyncio.wait_for(asyncio.shield(slot), self.wait_seconds)
            except TimeoutError:
                if self.shares.withdraw(account, slot):
                    raise self.full(address) from None
        return self.admitted(account)

    def admitted(self, account: Account) -> Account:
        self.started[account] = time.monotonic()
        self.ends[account] = self.started[account] + self.typical_seconds
        return account

    def leave(self, account: Account) -> None:
        lasted = time.monotonic() - self.started.pop(account)
        self.typical_seconds = (3 * self.typical_seconds + lasted) / 4
        if self.cooldown_seconds:
            self.ends[account] = time.monotonic() + self.cooldown_seconds
            asyncio.get_running_loop().call_later(self.cooldown_seconds, self.release, account)
        else:
            self.release(account)

    def release(self, account: Account) -> None:
        del self.ends[account]
        self.shares.release(account, 1)

    def full(self, address: str | None) -> Full:
        # Its own share is what it waits for, unless every slot is taken.
        own = address is not None and self.shares.held < self.shares.capacity
        ends = [end for account, end in self.ends.items()
                if not own or account.address == address]
        soonest = min(ends, default=time.monotonic()) - time.monotonic()
        return Full(max(1, math.ceil(soonest)), own=own)


class FairPool:
    """The app's threads, lent to runs through a Shares: run_in_executor(pool.lane(...))."""

    def __init__(self, threads: int) -> None:
        self.executor = ThreadPoolExecutor(max_workers=threads, thread_name_prefix="fetch")
        self.shares = Shares(threads)

    def lane(self, address: str | None, waiting: Callable[[], Any],
             weigh: Callable[..., int] = lambda *args: 1) -> "Lane":
        """A run's way in; waiting() is called when a task of it waits for a thread, and
        weigh(*args) says what a task called with `args` weighs (one unit if not told)."""
        return Lane(self, self.shares.account(address, self.shares.capacity), waiting, weigh)

    def shutdown(self) -> None:
        # Fetches under way in threads end by themselves, within the timeout.
        self.executor.shutdown(wait=False, cancel_futures=True)


class Lane:
    """A run's tasks for the pool, an Executor as run_in_executor() takes one."""

    def __init__(self, pool: FairPool, account: Account, waiting: Callable[[], Any],
                 weigh: Callable[..., int]) -> None:
        self.pool = pool
        self.account = account
        self.waiting = waiting
        self.weigh = weigh

    def submit(self, fn: Callable, *args: Any) -> concurrent.futures.Future:
        task = QueuedCall(self, functools.partial(fn, *args), self.weigh(*args))
        if self.pool.shares.take(self.account, task.units):
            task.set_result(None)
        elif self.pool.shares.enqueue(self.account, task, task.units) is not None:
            self.waiting()
        return task.future


class QueuedCall:
    """A call waiting for a thread of the pool (not an asyncio Task): a Shares waiter,
    whose set_result() is the Shares saying go, and submits the call."""

    def __init__(self, lane: Lane, call: Callable, units: int) -> None:
        self.lane = lane
        self.call = call
        self.units = units
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
            self.lane.pool.shares.release(self.lane.account, self.units)
