"""What a callback of the event loop runs, read from the callback itself.

asyncio runs a task step, a Future's done-callback, an I/O readiness and a timer
alike, as a Handle of a callable and its arguments; Tornado and functools wrap the
style's own function in partials and lambdas. These functions look through the
wrappers and the await chains to the style's code: which function, at which line.
"""

import asyncio
import linecache

from tornado import gen
from tornado.platform.asyncio import BaseAsyncIOLoop

try:
    import pycurl
except ImportError:  # the simple client then: its sockets are matched by what they end
    pycurl = None

MAX_DEPTH = 8  # how far along an await chain, or into a callback's wrappers, to look
WRITE = 4  # tornado.ioloop.IOLoop.WRITE


def unwrap(callback, args: tuple) -> tuple:
    """Peels off what wraps a callback: functools.partial, IOLoop's _run_callback and
    add_future's lambda, a generator coroutine's `inner` (its Runner's run()).
    Answers what it calls, and with which arguments."""
    for _ in range(MAX_DEPTH):
        code = getattr(callback, "__code__", None)
        cells = dict(zip(code.co_freevars, callback.__closure__, strict=True)) if (
            code and callback.__closure__) else {}
        runner = cells["self"].cell_contents if "self" in cells else None
        if hasattr(callback, "func") and hasattr(callback, "args"):
            callback, args = callback.func, callback.args + tuple(args)
        elif getattr(callback, "__name__", None) == "_run_callback" and args:
            callback, args = args[0], ()
        elif "callback" in cells:
            callback = cells["callback"].cell_contents
        elif isinstance(runner, gen.Runner):
            return runner.run, ()
        else:
            break
    return callback, args


def is_socket_handler(callback) -> bool:
    """Whether it is Tornado's I/O readiness callback: _handle_events(fd, events)."""
    return (getattr(callback, "__name__", None) == "_handle_events"
            and isinstance(getattr(callback, "__self__", None), BaseAsyncIOLoop))


def io_what(args: tuple) -> str:
    return "socket writable" if len(args) > 1 and args[1] & WRITE else "socket readable"


def request_on_socket(loop: BaseAsyncIOLoop, fd: int, sockets: dict):
    """The HTTPRequest of the curl client's transfer on socket `fd`, if it is one.

    `sockets` remembers which of the client's handles was on which socket: asking each
    of its handles at every readiness would cost a fan-out of 100 a hundred asks each.
    """
    client = getattr(loop.handlers.get(fd, (None, None))[1], "__self__", None)
    if pycurl is None or not hasattr(client, "_curls"):
        return None
    if not is_on(sockets.get(fd), fd):
        sockets.clear()
        for curl in client._curls:
            if is_on(curl):
                sockets[curl.getinfo(pycurl.ACTIVESOCKET)] = curl
    curl = sockets.get(fd)
    return curl.info["request"].request if is_on(curl, fd) else None  # the request sent


def is_on(curl, fd: int | None = None) -> bool:
    """Whether a curl handle has a transfer under way (on socket `fd`, if given)."""
    if getattr(curl, "info", None) is None:  # pycurl raises for an attribute never set
        return False
    return fd is None or curl.getinfo(pycurl.ACTIVESOCKET) == fd


def awaited_frames(awaitable):
    """The frames along an await (or yield from) chain, outermost first. A running
    coroutine awaits nothing: its chain stops at it."""
    for _ in range(MAX_DEPTH):
        frame = getattr(awaitable, "cr_frame", None) or getattr(awaitable, "gi_frame", None)
        if frame is None:
            return
        yield frame
        awaitable = getattr(awaitable, "cr_await", None) or \
            getattr(awaitable, "gi_yieldfrom", None)


def coroutine_of(task):
    """What a task entry watches: an asyncio Task's coroutine, or a generator."""
    return task.get_coro() if isinstance(task, asyncio.Task) else task


def is_finished(task) -> bool:
    return task.done() if isinstance(task, asyncio.Task) else task.gi_frame is None


def def_line(code) -> int:
    """The line of a function's `def`, below its decorators."""
    for line in range(code.co_firstlineno, code.co_firstlineno + MAX_DEPTH):
        if linecache.getline(code.co_filename, line).lstrip().startswith(("def ", "async def ")):
            return line
    return code.co_firstlineno
