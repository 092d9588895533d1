"""How many fetches at once this process can afford: its open-file limit, raised at start.

A fetch in flight costs descriptors, not CPU: the client's socket, and when the target
is this server's own simulator, the simulator's end of it; a visitor's connection or
live stream costs one more. A hang holds them for the whole timeout. So the slots that
visitors share (webdemo/run/shares.py) are sized from what the limit allows.
"""

import resource

# The most fetches at once that --max-clients gives the HTTP client, in the server and the
# bench alike.
MAX_CLIENTS = 1000
# Per fetch in flight: the client's socket, the simulator's, one for the visitor.
FILES_PER_FETCH = 3
# For everything else: listening sockets, the worker's pipe, log files, imports.
FILES_RESERVED = 256


def raise_open_file_limit() -> int:
    """Raises the soft open-file limit to the hard one; answers the soft limit now.

    The soft limit is often 1024 while the hard one is far higher: an unprivileged
    process may raise its own soft limit up to the hard one.
    """
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    wanted = hard if hard != resource.RLIM_INFINITY else max(soft, 1 << 20)
    if soft == resource.RLIM_INFINITY or soft >= wanted:
        return soft
    try:
        resource.setrlimit(resource.RLIMIT_NOFILE, (wanted, hard))
    except (ValueError, OSError):  # a platform that refuses: keep what there is
        return soft
    return wanted


def affordable_fetches(open_files: int, most: int) -> int:
    """Fetches at once that `open_files` descriptors can carry, at most `most`."""
    return max(1, min(most, (open_files - FILES_RESERVED) // FILES_PER_FETCH))
