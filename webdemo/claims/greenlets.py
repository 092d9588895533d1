"""The greenlet variants of the races and deadlocks, in a short-lived process of their own.

python -m webdemo.claims.greenlets race URL TIMEOUT N
python -m webdemo.claims.greenlets deadlock URL TIMEOUT

gevent's monkey.patch_all() changes the whole process, so these never run in the
server: each run is a process, patched first, that prints its result as one JSON
line and exits; the server kills it if it outlives its bound (handlers.py).
"""

if __name__ == "__main__":  # first: the patch must come before anything imports socket
    from gevent import monkey

    monkey.patch_all()
    # Only here: the server imports this module for the variants' source, and must not
    # import gevent (the runs below, which need it, run only in this process).
    import gevent

import functools  # noqa: E402
import json  # noqa: E402
import sys  # noqa: E402
import threading  # noqa: E402
import time  # noqa: E402

from webdemo.claims.deadlocks import ORDER, WAIT_SECONDS, report  # noqa: E402
from webdemo.run.blocking import blocking_fetch  # noqa: E402


class Shared:
    def __init__(self):
        self.counter = 0


# --- the variants; the page shows these ---------------------------------------------------


def race(shared, fetch_blocking):
    seen = shared.counter
    fetch_blocking()  # the patched socket switches to the other greenlets: they read too
    shared.counter = seen + 1


def deadlock(first, second, fetch_blocking):
    with first:  # threading.Lock, patched: waiting for it lets the other greenlets run
        fetch_blocking()  # meanwhile the other greenlet takes its first lock: our second
        got_it = second.acquire(timeout=WAIT_SECONDS)  # unbounded, it would wait forever
        if got_it:
            second.release()
        return got_it


# --- the runs ---------------------------------------------------------------------------


def run_race(fetch_blocking, n):
    shared = Shared()
    gevent.joinall([gevent.spawn(race, shared, fetch_blocking) for _ in range(n)],
                   raise_error=True)
    return {"counted": shared.counter}


def run_deadlock(fetch_blocking):
    started = time.perf_counter()
    locks = {"A": threading.Lock(), "B": threading.Lock()}
    workers = [gevent.spawn(deadlock, locks[first], locks[second], fetch_blocking)
               for first, second in ORDER]
    gevent.joinall(workers, raise_error=True)
    return report(locks, ORDER, [worker.value for worker in workers],
                  sum(not worker.dead for worker in workers), started)


def main(kind, url, timeout, *rest):
    fetch_blocking = functools.partial(blocking_fetch, url, float(timeout))
    if kind == "race":
        result = run_race(fetch_blocking, int(rest[0]))
    else:
        result = run_deadlock(fetch_blocking)
    print(json.dumps(result), flush=True)


if __name__ == "__main__":
    main(*sys.argv[1:])
