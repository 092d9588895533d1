"""The event loops the server can run on: asyncio's own, and uvloop where it installs."""

try:  # libuv's loop, written in Cython: the README's speed figures say what it gives
    import uvloop
except ImportError:  # not installed, or no wheel for this platform: asyncio's loop serves
    uvloop = None

# The loops this machine can run, the default first.
LOOPS = ["uvloop", "asyncio"] if uvloop else ["asyncio"]


def loop_factory(name: str):
    """asyncio.Runner's loop_factory for a loop in LOOPS; None is asyncio's own."""
    return uvloop.new_event_loop if name == "uvloop" else None
