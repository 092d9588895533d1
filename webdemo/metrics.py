"""What this process costs: CPU, memory, context switches and threads.

The server reports some of it at GET /stats; the bench reads all of it around a run,
and the greenlet worker process answers a usage job with its own.
"""

import os
import resource
import threading


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
