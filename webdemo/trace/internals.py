"""Every read of asyncio's, Tornado's and pycurl's internals, in one place: trace=turns's.

Neither asyncio nor Tornado has a public hook for a turn of the loop, for each callback it
runs, or for what a callback wraps; the recorder reads their internals instead, and only
here. Each use says why, and the versions whose source it was checked against: CPython
3.11, 3.12 and 3.13 (Lib/asyncio) and Tornado 6.5 and 6.6 (pycurl through Tornado's curl
client, which sets what it reads). Any of them can change with a release: PROBLEM, found
at import, says why tracing is not available on the Python and Tornado running, as the
answer to a visitor who asks for it (translated by locale/ko.csv), or is None. Tracing
is then refused, the page's button says why, and nothing else reads this module.
"""

import asyncio
import sys
from asyncio import events, futures

import tornado
from tornado import gen
from tornado.ioloop import IOLoop
from tornado.platform.asyncio import BaseAsyncIOLoop

from webdemo.query import BadInput

try:
    import pycurl
    from tornado.curl_httpclient import CurlAsyncHTTPClient
except ImportError:  # no pycurl: Tornado's simple client, whose sockets are matched otherwise
    CurlAsyncHTTPClient = None

PYTHONS = ((3, 11), (3, 13))  # checked from, to (minor versions)
TORNADOS = ((6, 5), (6, 6))  # checked on these; any later 6.x is taken (Tornado 6 keeps them)
def dotted(version: tuple) -> str:
    return ".".join(map(str, version))


def uses(function, *names: str) -> bool:
    """Whether `function`'s code (or a function defined in it) reads or sets `names`:
    how the probe learns that an attribute set at run time is still there."""
    codes = [function.__code__]
    codes += [const for const in function.__code__.co_consts if hasattr(const, "co_names")]
    found = {name for code in codes
             for name in code.co_names + code.co_varnames + code.co_cellvars + code.co_freevars}
    return set(names) <= found


# Each piece read below: (its name for the visitor, its package, whether it is there).
PIECES = (
    # One turn of the loop: wait for I/O, then run every callback ready (3.11-3.13 alike).
    ("asyncio's BaseEventLoop._run_once", "Python",
     lambda: callable(getattr(asyncio.BaseEventLoop, "_run_once", None))),
    # Running one callback, task step or I/O readiness (3.11-3.13: Handle._run()).
    ("asyncio's Handle._run", "Python", lambda: callable(getattr(events.Handle, "_run", None))),
    # A Handle's callable, arguments, context and loop (its __slots__, 3.11-3.13).
    ("asyncio's Handle slots", "Python", lambda: {"_callback", "_args", "_context", "_loop"}
     <= set(events.Handle.__slots__)),
    # A Future's done-callbacks with their contexts (C and Python Future alike, 3.11-3.13).
    ("asyncio's Future._callbacks", "Python", lambda: hasattr(asyncio.Future, "_callbacks")),
    # wrap_future's callback that sets a thread's result on the loop (3.11-3.13: a function
    # nested in futures._chain_future).
    ("asyncio's _set_state", "Python", lambda: uses(futures._chain_future, "_set_state")),
    # add_future wraps its callback in a lambda calling _run_callback (6.5-6.6).
    ("Tornado's IOLoop._run_callback", "Tornado",
     lambda: uses(IOLoop.add_future, "_run_callback", "callback", "self")),
    # A generator coroutine's Runner: its generator, and the `inner` callback that resumes it.
    ("Tornado's gen.Runner.gen", "Tornado",
     lambda: uses(gen.Runner.run, "gen") and uses(gen.Runner.handle_yield, "inner", "self")),
    # Which callback serves a socket: the loop's handlers, run by _handle_events (6.5-6.6).
    ("Tornado's BaseAsyncIOLoop._handle_events", "Tornado",
     lambda: callable(getattr(BaseAsyncIOLoop, "_handle_events", None))
     and uses(BaseAsyncIOLoop.initialize, "handlers")),
    # The curl client's handles, and the request of each transfer (6.5-6.6).
    ("Tornado's CurlAsyncHTTPClient._curls", "Tornado",
     lambda: CurlAsyncHTTPClient is None or (uses(CurlAsyncHTTPClient.initialize, "_curls")
                                             and uses(CurlAsyncHTTPClient._process_queue,
                                                      "info", "request"))),
)


def probe(python: tuple = sys.version_info[:2],
          tornado_version: tuple = tornado.version_info[:2]) -> BadInput | None:
    """Why tracing is not available here, as the answer to a visitor who asks for it
    (a new one at each call); None when it is."""
    if not PYTHONS[0] <= python <= PYTHONS[1]:
        return BadInput("trace=turns is not available on this server: it was checked on "
                        "Python %(low)s to %(high)s, and this server runs Python %(version)s",
                        low=dotted(PYTHONS[0]), high=dotted(PYTHONS[1]), version=dotted(python))
    if not (TORNADOS[0] <= tornado_version and tornado_version[0] == TORNADOS[0][0]):
        return BadInput("trace=turns is not available on this server: it was checked on "
                        "Tornado %(low)s to 6.x, and this server runs Tornado %(version)s",
                        low=dotted(TORNADOS[0]), version=dotted(tornado_version))
    for name, package, present in PIECES:
        try:
            if present():
                continue
        except (AttributeError, TypeError):
            pass
        return BadInput("trace=turns is not available on this server: %(name)s, which it "
                        "reads, is not in this version of %(package)s",
                        name=name, package=package)
    return None


PROBLEM = probe()
RUN_HANDLE = None if PROBLEM else events.Handle._run  # asyncio's own, put back after


# -- the loop: its turns and its callbacks ---------------------------------------------

def has_turns(loop: asyncio.AbstractEventLoop) -> bool:
    """Whether `loop` is asyncio's own (uvloop's, in Cython, has no _run_once)."""
    return hasattr(loop, "_run_once")


def wrap_turns(loop: asyncio.AbstractEventLoop, around) -> None:
    """Each turn of `loop` runs inside around(run_once): set on the instance, so that
    other loops and an untraced run's stay as asyncio ships them."""
    loop._run_once = around(loop._run_once)


def unwrap_turns(loop: asyncio.AbstractEventLoop) -> None:
    vars(loop).pop("_run_once", None)


def wrap_callbacks(run) -> None:
    """Every Handle of the process runs through run(handle), which calls RUN_HANDLE: the
    class's, since a Handle has __slots__ and the loop makes one per callback."""
    events.Handle._run = run


def unwrap_callbacks() -> None:
    events.Handle._run = RUN_HANDLE


def is_wrapped(loop: asyncio.AbstractEventLoop) -> bool:
    return "_run_once" in vars(loop) or events.Handle._run is not RUN_HANDLE


def callback_of(handle: asyncio.Handle) -> tuple:
    """What a Handle calls, and with which arguments."""
    return handle._callback, handle._args


def context_of(handle: asyncio.Handle):
    """The contextvars.Context a Handle's callback runs in."""
    return handle._context


def loop_of(handle: asyncio.Handle):
    return handle._loop


def waiting_contexts(future: asyncio.Future) -> list:
    """The contexts of the callbacks waiting on `future` (list of (callback, context))."""
    return [context for _, context in future._callbacks or ()]


def is_thread_result(callback, args: tuple) -> bool:
    """Whether it is wrap_future's _set_state(loop's Future, thread's Future)."""
    return getattr(callback, "__name__", None) == "_set_state" and len(args) == 2


# -- Tornado's wrappers, its loop's sockets, its curl client ----------------------------

def peel_tornado(callback, args: tuple) -> tuple | None:
    """One of Tornado's wrappers peeled: (what it calls, its arguments); a generator
    coroutine's resumption as (its Runner's run, ()); None if `callback` is none of them."""
    if getattr(callback, "__name__", None) == "_run_callback" and args:
        return args[0], ()  # IOLoop.add_callback's: _run_callback(callback)
    code = getattr(callback, "__code__", None)
    if code is None or not callback.__closure__:
        return None
    cells = dict(zip(code.co_freevars, callback.__closure__, strict=True))
    if "callback" in cells:  # add_future's lambda f: self._run_callback(partial(callback, f))
        return cells["callback"].cell_contents, args
    runner = cells["self"].cell_contents if "self" in cells else None
    if isinstance(runner, gen.Runner):  # Runner.handle_yield's inner(f): self.run()
        return runner.run, ()
    return None


def generator_of(runner: gen.Runner):
    """The generator a gen.coroutine's Runner drives."""
    return runner.gen


def is_socket_handler(callback) -> bool:
    """Whether it is Tornado's I/O readiness callback: _handle_events(fd, events)."""
    return (getattr(callback, "__name__", None) == "_handle_events"
            and isinstance(getattr(callback, "__self__", None), BaseAsyncIOLoop))


def socket_owner(loop: BaseAsyncIOLoop, fd: int):
    """The object whose method serves socket `fd` on Tornado's loop, or None."""
    return getattr(loop.handlers.get(fd, (None, None))[1], "__self__", None)


def curl_handles(client) -> list:
    """The curl client's pycurl handles, or [] for any other owner of a socket."""
    if CurlAsyncHTTPClient is None or not isinstance(client, CurlAsyncHTTPClient):
        return []
    return client._curls


def transfer_of(curl):
    """The HTTPRequest a curl handle is transferring, or None when it is idle. Tornado's
    client sets curl.info while a transfer is under way, and pycurl raises for an
    attribute never set."""
    info = getattr(curl, "info", None)
    return None if info is None else info["request"].request


def socket_of(curl) -> int:
    """The socket of a curl handle's transfer (pycurl's public getinfo)."""
    return curl.getinfo(pycurl.ACTIVESOCKET)
