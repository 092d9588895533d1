"""Runs a greenlet variant (greenlets.py) in a short-lived process of its own, bounded.

The greenlets style's worker process (webdemo/workers/) serves aggregates; these runs
need a patched process too, and one that lives only as long as a run does: both are
started by webdemo/workers/launcher.py.
"""

from webdemo.claims.deadlocks import WAIT_SECONDS
from webdemo.workers import launcher


async def run_greenlets(kind, url, timeout, *rest, seconds):
    """Runs `python -m webdemo.claims.greenlets KIND URL TIMEOUT ...`; answers its result."""
    return await launcher.run("greenlet", "webdemo.claims.greenlets", kind, url, timeout,
                              *rest, seconds=seconds)


async def race(_, n, url, timeout, **__):
    return (await run_greenlets("race", url, timeout, n, seconds=timeout))["counted"]


async def deadlock(_, url, timeout, **__):
    return await run_greenlets("deadlock", url, timeout, seconds=2 * (timeout + WAIT_SECONDS))
