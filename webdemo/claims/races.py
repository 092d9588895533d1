"""Races: many visits at once, each reads a shared counter, fetches a page, writes it plus one.

The fetch is real I/O (a simulated page on this server); nothing sleeps to force a race.
Every visit of a run starts before any fetch can answer, so where a visit can be
interrupted between its read and its write, the others read the same old value.
"""

import asyncio
import functools
import threading

from tornado.ioloop import IOLoop

# How many visits a run makes: (lowest, highest, default).
VISITS = (2, 30, 20)


class Shared:
    """What every visit of one run shares: the counter, and a lock of each kind."""

    def __init__(self):
        self.counter = 0
        self.lock = asyncio.Lock()
        self.thread_lock = threading.Lock()


# --- the variants: one visit each; the page shows these -------------------------------


def threads(shared, fetch_blocking):
    seen = shared.counter
    fetch_blocking()  # the OS runs the other threads meanwhile: they read the same value
    shared.counter = seen + 1


def threads_locked(shared, fetch_blocking):
    with shared.thread_lock:  # one visit at a time, from the read to the write
        seen = shared.counter
        fetch_blocking()
        shared.counter = seen + 1


async def coroutines_await_inside(shared, fetch):
    seen = shared.counter
    await fetch()  # a switch point: every other task runs here, and reads the same value
    shared.counter = seen + 1


async def coroutines_no_await_inside(shared, fetch):
    await fetch()
    # No await from the read to the write: no other task can run between them.
    seen = shared.counter
    shared.counter = seen + 1


async def coroutines_locked(shared, fetch):
    async with shared.lock:  # the others wait at the lock, not between read and write
        seen = shared.counter
        await fetch()
        shared.counter = seen + 1


def callbacks(shared, fetch, done):
    seen = shared.counter  # read in this callback...
    IOLoop.current().add_future(fetch(), functools.partial(callbacks_write, shared, seen, done))


def callbacks_write(shared, seen, done, fetched):
    shared.counter = seen + 1  # ...written in the next, after every other visit's read
    done(fetched)


# --- how a run of them is made ----------------------------------------------------------


async def on_the_loop(visit, n, fetch, **_):
    shared = Shared()
    await asyncio.gather(*(visit(shared, fetch) for _ in range(n)))
    return shared.counter


async def in_threads(visit, n, fetch_blocking, pool, **_):
    shared = Shared()
    loop = asyncio.get_running_loop()
    await asyncio.gather(*(loop.run_in_executor(pool, visit, shared, fetch_blocking)
                           for _ in range(n)))
    return shared.counter


async def in_callbacks(visit, n, fetch, **_):
    shared = Shared()
    finished = asyncio.get_running_loop().create_future()
    left = [n]

    def done(fetched):
        left[0] -= 1
        if finished.done():
            return
        if fetched.exception():  # a visit whose fetch failed: the run says so, as the others'
            finished.set_exception(fetched.exception())
        elif left[0] == 0:
            finished.set_result(None)

    for _ in range(n):
        IOLoop.current().add_callback(visit, shared, fetch, done)
    await finished
    return shared.counter
