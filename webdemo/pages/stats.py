"""GET /stats: what the server holds right now, to watch it from outside under load.

Read-only and cheap: a few counts, a clock, one small file read, and who asks. After every visitor
has gone and every fetch has ended, every count is back to zero.
"""

import time

from webdemo.base import BaseHandler
from webdemo.chains import callbacks as chain_callbacks
from webdemo.run.metrics import rss_bytes
from webdemo.run.shares import Shares
from webdemo.styles import callbacks


class StatsHandler(BaseHandler):
    def get(self):
        self.set_header("Cache-Control", "no-store")
        self.finish({
            # Requests the callback style is still counting for: its global dicts, the
            # aggregate's and the chain's.
            "callbacks_in_flight": len(callbacks.remaining) + len(chain_callbacks.remaining),
            # Fetches started by any style and not yet answered, failed or timed out.
            "fetches_in_flight": len(self.application.in_flight),
            # Class pages whose stream is open on this process (webdemo/classes/).
            "class_pages_open": sum(map(len, self.application.classes.streams.values())),
            # How the fair shares stand (webdemo/run/shares.py): to see from outside that
            # greedy addresses hold only their share, and how many wait for theirs.
            "shares": {name: held(shares) for name, shares in (
                ("client", self.application.client_shares),
                ("threads", self.application.thread_pool.shares),
                ("live_streams", self.application.live_admission.shares),
                ("claims", self.application.claims_admission.shares))},
            "rss_bytes": rss_bytes(),
            # CPU time the server has used: two readings a second apart give its load.
            "cpu_seconds": round(time.process_time(), 3),
            # Who the server takes the asker for: behind a reverse proxy, with --xheaders,
            # the visitor's address and scheme, which fair shares and the log go by.
            "your_address": self.request.remote_ip,
            "scheme": self.request.protocol,
        })


def held(shares: Shares) -> dict:
    """What a Shares holds (in units: a fetch weighs by its page) and how many addresses
    hold or wait for a share of it."""
    return {"held": shares.held, "capacity": shares.capacity,
            "addresses_holding": len(shares.held_by_address),
            "addresses_waiting": len(shares.ready)}
