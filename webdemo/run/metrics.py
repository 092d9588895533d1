"""What this process costs: CPU, memory, context switches and threads; and InFlight,
the fetches under way.

The server reports some of it at GET /stats; the bench reads all of it around a run,
and the greenlet worker process answers a usage job with its own.
"""

import contextlib
import os
import resource
import threading
from collections.abc import Iterator

from tornado.concurrent import Future


def count_threads() -> int:
    try:
        return len(os.listdir("/proc/self/task"))  # every thread, not only Python's
    except OSError:
        return threading.active_count()


def usage() -> dict:
    """This process's costs so far (resource.getrusage), and its threads now."""
    used = resource.getrusage(resource.RUSAGE_SELF)
    return {
        "cpu_s": used.ru_utime + used.ru_stime,
        "peak_rss_kb": used.ru_maxrss,  # kilobytes on Linux
        "voluntary_switches": used.ru_nvcsw,
        "involuntary_switches": used.ru_nivcsw,
        "threads": count_threads(),
    }


def rss_bytes() -> int | None:
    """The resident memory now (Linux), or None where that is not known."""
    try:
        with open("/proc/self/statm") as statm:
            return int(statm.read().split()[1]) * os.sysconf("SC_PAGE_SIZE")
    except (OSError, ValueError):
        return None


class InFlight:
    """Fetches started and not yet ended, across all runs and styles: GET /stats.

    Of them, it knows those in the app's HTTP client, which holds any past its
    max_clients in a line of its own.
    """

    def __init__(self, max_clients: int) -> None:
        self.max_clients = max_clients
        self.fetches = set()
        self.client_fetches = set()

    def __len__(self) -> int:
        return len(self.fetches)

    def client_is_full(self) -> bool:
        """Whether a fetch handed to the HTTP client now would wait in its line."""
        return len(self.client_fetches) >= self.max_clients

    def add_client_fetch(self, fetched: Future) -> None:
        self.fetches.add(fetched)
        self.client_fetches.add(fetched)
        # One callback, not one per set: each is a turn's callback of the loop, per fetch.
        fetched.add_done_callback(self.client_fetch_ended)

    def client_fetch_ended(self, fetched: Future) -> None:
        self.fetches.discard(fetched)
        self.client_fetches.discard(fetched)

    @contextlib.contextmanager
    def counted(self) -> Iterator[None]:
        """Counts a fetch that has no Future (a blocking one, a worker's job) while it runs."""
        token = object()
        self.fetches.add(token)  # a set's add and discard are atomic: threads may call them
        try:
            yield
        finally:
            self.fetches.discard(token)
