"""Starts a Python subprocess of the server's: the one way it runs code apart from itself.

gevent's monkey.patch_all() changes the whole process it runs in, so code that needs it
runs as `python -m MODULE ARGS...`, a module that patches before anything else: the
greenlet style's long-lived worker (supervisor.py), and the claims' short-lived
greenlet runs (webdemo/claims/gevent_process.py). The blocking demo's own event loop
(webdemo/blocking_loop.py) is started here too: it blocks its loop on purpose, which the
server's must never do.
"""

import asyncio
import json
import subprocess
import sys

START_SECONDS = 15  # to import gevent and Tornado, or start a server, on a busy machine


class ProcessFailed(Exception):
    """A run's process ran past its bound, or ended without its result."""


def command(module: str, *args) -> list[str]:
    return [sys.executable, "-m", module, *map(str, args)]


def start(module: str, *args, pass_fds: tuple[int, ...] = ()) -> subprocess.Popen:
    """A process that lives as long as it is wanted, talking over the fds it is passed."""
    return subprocess.Popen(command(module, *args), pass_fds=pass_fds,
                            stdin=subprocess.DEVNULL)


async def start_piped(module: str, *args) -> asyncio.subprocess.Process:
    """A process the server talks to over its stdin and stdout."""
    return await asyncio.create_subprocess_exec(
        *command(module, *args), stdin=asyncio.subprocess.PIPE, stdout=asyncio.subprocess.PIPE)


async def run(name: str, module: str, *args, seconds: float) -> object:
    """Runs a process to its end; answers the result it printed, one JSON line.

    Killed once it has run START_SECONDS and `seconds` more, so nothing is left running.
    """
    process = await asyncio.create_subprocess_exec(
        *command(module, *args), stdin=asyncio.subprocess.DEVNULL,
        stdout=asyncio.subprocess.PIPE)
    try:
        output, _ = await asyncio.wait_for(process.communicate(), START_SECONDS + seconds)
    except TimeoutError:
        raise ProcessFailed(f"the {name} process did not finish in time") from None
    finally:
        if process.returncode is None:
            process.kill()
            await process.wait()
    try:
        return json.loads(output)
    except ValueError:
        raise ProcessFailed(f"the {name} process ended with exit status "
                            f"{process.returncode} and no result") from None
