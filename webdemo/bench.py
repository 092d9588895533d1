"""python -m webdemo bench: what each style costs, measured."""

import os
import resource
import threading


def count_threads():
    try:
        return len(os.listdir("/proc/self/task"))  # every thread, not only Python's
    except OSError:
        return threading.active_count()


def usage():
    """This process's costs so far (resource.getrusage), and its threads now."""
    used = resource.getrusage(resource.RUSAGE_SELF)
    return {
        "cpu_s": used.ru_utime + used.ru_stime,
        "peak_rss_kb": used.ru_maxrss,  # kilobytes on Linux
        "voluntary_switches": used.ru_nvcsw,
        "involuntary_switches": used.ru_nivcsw,
        "threads": count_threads(),
    }
