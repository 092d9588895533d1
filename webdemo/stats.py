"""GET /stats: what the server holds right now, to watch it from outside under load.

Read-only and cheap: two counts, a clock and one small file read. After every client
has gone and every fetch has ended, both counts are back to zero.
"""

import os
import time

from webdemo.aggregate import in_flight
from webdemo.base import BaseHandler
from webdemo.chains import callbacks as chain_callbacks
from webdemo.styles import callbacks


def rss_bytes():
    """The server's resident memory now (Linux), or None where that is not known."""
    try:
        with open("/proc/self/statm") as statm:
            return int(statm.read().split()[1]) * os.sysconf("SC_PAGE_SIZE")
    except (OSError, ValueError):
        return None


class StatsHandler(BaseHandler):
    def get(self):
        self.set_header("Cache-Control", "no-store")
        self.finish({
            # Requests the callback style is still counting for: its global dicts, the
            # aggregate's and the chain's.
            "callbacks_in_flight": len(callbacks.remaining) + len(chain_callbacks.remaining),
            # Fetches started by any style and not yet answered, failed or timed out.
            "fetches_in_flight": len(in_flight),
            "rss_bytes": rss_bytes(),
            # CPU time the server has used: two readings a second apart give its load.
            "cpu_seconds": round(time.process_time(), 3),
        })
