"""The event loops the server can run on: asyncio's own, and uvloop where it installs."""

import asyncio

try:  # libuv's loop, written in Cython
    import uvloop
except ImportError:  # not installed, or no wheel for this platform
    uvloop = None

# The loops this machine can run, the default first. asyncio's is the default: on two
# cores, uvloop ran 11% fewer instructions per aggregate but gave no more requests per
# second, in webdemo or in the least Tornado server (paired rounds: 1.00 and 0.97 times).
LOOPS = ["asyncio", "uvloop"] if uvloop else ["asyncio"]


def run(coroutine, name: str):
    """asyncio.run(coroutine) on the loop called name, one of LOOPS."""
    with asyncio.Runner(loop_factory=uvloop.new_event_loop if name == "uvloop" else None) \
            as runner:
        return runner.run(coroutine)
