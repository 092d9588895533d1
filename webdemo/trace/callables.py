"""What a callback of the event loop runs, read from the callback itself.

asyncio runs a task step, a Future's done-callback, an I/O readiness and a timer
alike, as a Handle of a callable and its arguments; Tornado and functools wrap the
style's own function in partials and lambdas. These functions look through the
wrappers and the await chains to the style's code: which function, at which line.
"""

import asyncio
import linecache

from tornado.ioloop import IOLoop

from webdemo.trace import internals

MAX_DEPTH = 8  # how far along an await chain, or into a callback's wrappers, to look


def unwrap(callback, args: tuple) -> tuple:
    """Peels off what wraps a callback: functools.partial, IOLoop's _run_callback and
    add_future's lambda, a generator coroutine's `inner` (its Runner's run()).
    Answers what it calls, and with which arguments."""
    for _ in range(MAX_DEPTH):
        if hasattr(callback, "func") and hasattr(callback, "args"):
            callback, args = callback.func, callback.args + tuple(args)
            continue
        peeled = internals.peel_tornado(callback, args)
        if peeled is None:
            break
        callback, args = peeled
    return callback, args


def io_what(args: tuple) -> str:
    return "socket writable" if len(args) > 1 and args[1] & IOLoop.WRITE else "socket readable"


def request_on_socket(loop, fd: int, sockets: dict):
    """The HTTPRequest of the curl client's transfer on socket `fd`, if it is one.

    `sockets` remembers which of the client's handles was on which socket: asking each
    of its handles at every readiness would cost a fan-out of 100 a hundred asks each.
    """
    curls = internals.curl_handles(internals.socket_owner(loop, fd))
    if not curls:
        return None
    if not is_on(sockets.get(fd), fd):
        sockets.clear()
        for curl in curls:
            if is_on(curl):
                sockets[internals.socket_of(curl)] = curl
    curl = sockets.get(fd)
    return internals.transfer_of(curl) if is_on(curl, fd) else None  # the request sent


def is_on(curl, fd: int | None = None) -> bool:
    """Whether a curl handle has a transfer under way (on socket `fd`, if given)."""
    if curl is None or internals.transfer_of(curl) is None:
        return False
    return fd is None or internals.socket_of(curl) == fd


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
