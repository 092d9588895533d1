"""Runs a greenlet variant (greenlets.py) in a short-lived process of its own, bounded.

The greenlets style's worker process (webdemo/workers/) serves aggregates; these runs
need a patched process too, and one that lives only as long as a run does.
"""

import asyncio
import json
import sys

from webdemo.claims.deadlocks import WAIT_SECONDS

START_SECONDS = 10  # to import gevent and Tornado, on a busy machine


class ProcessFailed(Exception):
    """The greenlet process ran past its bound, or ended without its result."""


async def run_greenlets(kind, url, timeout, *rest, seconds):
    """Runs `python -m webdemo.claims.greenlets KIND URL TIMEOUT ...`; answers its result.

    Killed once it has run START_SECONDS and `seconds` more, so nothing is left running.
    """
    process = await asyncio.create_subprocess_exec(
        sys.executable, "-m", "webdemo.claims.greenlets", kind, url, str(timeout),
        *map(str, rest), stdin=asyncio.subprocess.DEVNULL, stdout=asyncio.subprocess.PIPE)
    try:
        output, _ = await asyncio.wait_for(process.communicate(), START_SECONDS + seconds)
    except TimeoutError:
        raise ProcessFailed("the greenlet process did not finish in time") from None
    finally:
        if process.returncode is None:
            process.kill()
            await process.wait()
    try:
        return json.loads(output)
    except ValueError:
        raise ProcessFailed(f"the greenlet process ended with exit status "
                            f"{process.returncode} and no result") from None


async def race(_, n, url, timeout, **__):
    return (await run_greenlets("race", url, timeout, n, seconds=timeout))["counted"]


async def deadlock(_, url, timeout, **__):
    return await run_greenlets("deadlock", url, timeout, seconds=2 * (timeout + WAIT_SECONDS))
