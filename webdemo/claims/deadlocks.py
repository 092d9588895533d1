"""Deadlocks: two workers take two locks in opposite order, with I/O between.

Worker 1 takes A, then B; worker 2 takes B, then A. Each takes its first lock at once,
fetches a page (real I/O, during which the other takes its first lock), then waits
for its second: held by the other, who waits for ours. Unbounded, that wait never ends;
here it ends after WAIT_SECONDS, which is how the deadlock is seen, and each lock is
released on the way out, so nothing stays held or blocked.
"""

import asyncio
import threading
import time

WAIT_SECONDS = 1.5  # the longest any acquisition waits
ORDER = [("A", "B"), ("B", "A")]  # each worker's first and second lock


# --- the variants: one worker each; the page shows these -------------------------------


def threads(first, second, fetch_blocking):
    with first:
        fetch_blocking()  # meanwhile the other thread takes its first lock: our second
        got_it = second.acquire(timeout=WAIT_SECONDS)  # unbounded, it would wait forever
        if got_it:
            second.release()
        return got_it


async def coroutines(first, second, fetch):
    async with first:
        await fetch()  # meanwhile the other task takes its first lock: our second
        try:  # unbounded, it would wait forever
            await asyncio.wait_for(second.acquire(), WAIT_SECONDS)
        except TimeoutError:
            return False
        second.release()
        return True


async def coroutines_no_await_between(first, second, fetch):
    await fetch()  # the I/O first, holding nothing
    # Both taken with nothing awaited between: a free asyncio.Lock is taken without
    # giving up the loop, so no other task runs until both are released.
    async with first, second:
        return True


def self_deadlock(loop, coroutine):
    """Shown, never run here: called on the loop's own thread, it stops the server."""
    future = asyncio.run_coroutine_threadsafe(coroutine, loop)  # scheduled on the loop...
    return future.result()  # ...which this call blocks: the coroutine can never run


# --- how a run of two is made -----------------------------------------------------------


def report(locks, order, results, still_running, started):
    """What happened: who held what and got what, and what is left held or running."""
    return {"workers": [{"took": first, "wanted": second, "got_it": got_it}
                        for (first, second), got_it in zip(order, results, strict=True)],
            "locks_held_after": [name for name, lock in locks.items() if lock.locked()],
            "running_after": still_running,
            "ran_ms": round((time.perf_counter() - started) * 1000, 1)}


async def in_threads(worker, fetch_blocking, pool, **_):
    started = time.perf_counter()
    locks = {"A": threading.Lock(), "B": threading.Lock()}
    loop = asyncio.get_running_loop()
    runs = [loop.run_in_executor(pool, worker, locks[first], locks[second], fetch_blocking)
            for first, second in ORDER]
    results = await asyncio.gather(*runs)
    return report(locks, ORDER, results, sum(not run.done() for run in runs), started)


async def on_the_loop(worker, fetch, **_):
    started = time.perf_counter()
    locks = {"A": asyncio.Lock(), "B": asyncio.Lock()}
    tasks = [asyncio.ensure_future(worker(locks[first], locks[second], fetch))
             for first, second in ORDER]
    results = await asyncio.gather(*tasks)
    return report(locks, ORDER, results, sum(not task.done() for task in tasks), started)
