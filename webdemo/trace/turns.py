"""One run's turns of the event loop, as they happen, in its style's terms: trace=turns.

For each turn that did work for the run, when it began, how long it took, and what
ran in it, in order: a task step, a callback, I/O readiness, a timer, a thread's start
and return (off the loop) and the loop learning of it (docs/http.md has the JSON); which
entry ended a fetch ("ended"), and how many of the run's events had been logged once an
entry had logged its own ("logged"), so that a step can show what had happened by then.
What the loop cannot see is not guessed: a greenlet's lines are its worker's, and stay null.
The loop is watched by webdemo/trace/loop.py, only while a traced run is under way.
"""

import asyncio
import inspect
import sys
import threading
import time
from concurrent.futures import Future as ThreadFuture
from dataclasses import dataclass, field

from tornado import gen

from webdemo.query import BadInput, one
from webdemo.trace import internals
from webdemo.trace.callables import (
    awaited_frames,
    coroutine_of,
    def_line,
    io_what,
    is_finished,
    request_on_socket,
    unwrap,
)
from webdemo.trace.loop import RUN, TRACER
from webdemo.trace.machinery import SAID

# A run records at most this many entries; the rest is cut, and the answer says so.
MAX_ENTRIES = 3000
# Traced runs at once, in all and from one visitor's address. While any is under way,
# every callback of the loop goes through the recorder, everyone's runs included (a dozen
# traced fan-outs of 100 doubled others' seed runs, 0.46 to 0.99 s): no more than that
# at once, and one address may hold half, what one press of "Step through the turns" on
# the page of all six styles takes.
MAX_TRACED_RUNS = 12
MAX_TRACED_PER_VISITOR = 6


def unavailable() -> BadInput | None:
    """Why this server cannot trace, as the answer to a visitor who asks; None if it can."""
    if internals.PROBLEM:
        return internals.probe()  # a new answer each time: an exception raised keeps its stack
    if not internals.has_turns(asyncio.get_running_loop()):
        return BadInput("trace=turns needs the asyncio loop (--loop asyncio): uvloop has no "
                        "hook for each turn of its loop")
    return None


def admit(visitor: str | None) -> None:
    """Refuses a traced run beyond the bounds, in the visitor's language."""
    if len(TRACER.runs) >= MAX_TRACED_RUNS:
        raise BadInput("%(count)s traced runs are under way: try again shortly",
                       status_code=503, count=MAX_TRACED_RUNS)
    if visitor is not None and sum(recorder.handler.visitor == visitor
                                   for recorder in TRACER.runs.values()) \
            >= MAX_TRACED_PER_VISITOR:
        raise BadInput("%(count)s traced runs from your address are under way: try again "
                       "when one has ended", status_code=503, count=MAX_TRACED_PER_VISITOR)


def asked(arguments: dict) -> bool:
    """Whether the query asks for trace=turns, and the loop can give it."""
    trace = one(arguments, "trace")
    if trace is None:
        return False
    if trace != "turns":
        raise BadInput("trace must be turns, not %(trace)r", trace=trace[:40])
    if why := unavailable():
        raise why
    return True


@dataclass(slots=True)
class Note:
    """What one callback of the loop runs, as seen before it ran; completed after."""
    entry: dict
    task: object = None  # an asyncio Task or a generator: where it waits is read after
    extra: list = field(default_factory=list)  # greenlets' steps learnt in it


class Turns:
    def __init__(self, handler) -> None:
        admit(handler.visitor)
        self.handler = handler
        # The file of the class that says how results re-enter the style's code: the
        # style's own handler, whatever a break-it demo mixes into it.
        owner = next(cls for cls in type(handler).__mro__ if "resume_event" in vars(cls))
        self.style_file = sys.modules[owner.__module__].__file__
        self.blocking = handler.resume_event == "returned"  # a blocking call returned
        self.loop_thread = threading.get_ident()
        self.turns = []
        self.ran = []  # the turn under way
        self.entries = 0
        self.cut = False
        self.requests = {}  # id(HTTPRequest) -> its fetch's index
        self.pending = {}  # fetch index -> the Future of a fetch in flight
        self.sockets = {}  # socket -> the curl handle last seen on it
        self.closed = False
        get = getattr(type(handler).get, "__wrapped__", type(handler).get)
        # The callback running now is the request's first step: it calls get() next.
        first = Note(self.entry("task", "get", self.line_of(get.__code__)),
                     asyncio.current_task())
        self.first = None
        self.run_id = TRACER.add(self)
        running = TRACER.claim(self)  # the tracer sees it if another traced run is on
        if running:
            running[2] = first
        else:
            self.first = first

    def ms(self, perf_s: float) -> float:
        return round((perf_s - self.handler.started) * 1000, 1)

    def line_of(self, code) -> int | None:
        return def_line(code) if code.co_filename == self.style_file else None

    def entry(self, kind: str, what: str, line: int | None = None,
              index: int | None = None, **more) -> dict:
        return {"kind": kind, "what": what, "line": line, "index": index} | more

    def add(self, ran: list, entry: dict) -> None:
        self.entries += 1  # threads add too: the bound may be passed by a few, no more
        if self.entries > MAX_ENTRIES:
            self.cut = True
        else:
            ran.append(entry)

    def style_frame(self, frames):
        """The innermost of `frames` in the style's file, or None."""
        found = None
        for frame in frames:
            if frame.f_code.co_filename == self.style_file:
                found = frame
        return found

    # -- the loop's side, called by the tracer ---------------------------------------

    def before(self, handle: asyncio.Handle, claimed: bool) -> Note | None:
        """What `handle` runs, if it works for this run (`claimed`: its context says
        so); None if not."""
        callback, args = unwrap(*internals.callback_of(handle))
        if internals.is_socket_handler(callback):
            request = request_on_socket(callback.__self__, args[0], self.sockets)
            index = self.requests.get(id(request))
            return None if index is None else Note(self.entry("io", io_what(args), None, index))
        if internals.is_thread_result(callback, args) and isinstance(args[1], ThreadFuture):
            return self.learnt(*args)
        if not claimed:
            return None
        owner = getattr(callback, "__self__", None)
        if isinstance(owner, asyncio.Task | gen.Runner):
            task = owner if isinstance(owner, asyncio.Task) else internals.generator_of(owner)
            frame = self.style_frame(awaited_frames(coroutine_of(task)))
            if frame is None:
                return Note(self.machinery("task", coroutine_of(task).__qualname__), task)
            code = frame.f_code
            index = frame.f_locals.get("index") if "index" in code.co_varnames else None
            return Note(self.entry("task", code.co_name, frame.f_lineno, index), task)
        code = getattr(callback, "__code__", None)
        if owner is self.handler and code:  # a method of the style's, e.g. handle_response
            index = args[0] if code.co_varnames[1:2] == ("index",) else None
            return Note(self.entry("callback", callback.__name__, self.line_of(code), index))
        kind = "timer" if isinstance(handle, asyncio.TimerHandle) else "callback"
        return Note(self.machinery(kind, getattr(callback, "__qualname__", repr(callback)[:80])))

    def machinery(self, kind: str, what: str) -> dict:
        """An entry of asyncio's, Tornado's or the run engine's, with what it did in plain
        words when they are known."""
        said = SAID.get(what)
        return self.entry(kind, what, **({"said": said} if said else {}))

    def learnt(self, future: asyncio.Future, result: ThreadFuture) -> Note | None:
        """A thread's result set on the loop's Future: ours if one of our callbacks waits
        on that Future."""
        if not any(context.get(RUN) == self.run_id
                   for context in internals.waiting_contexts(future)):
            return None
        row = result.result() if result.done() and not result.exception() else None
        index = next((index for index, (target, times) in
                      enumerate(zip(self.handler.targets, self.handler.times, strict=True))
                      if target.name == getattr(row, "target", None)
                      and times.start_ms == row.start_ms), None)
        return Note(self.entry("thread", "_set_state", None, index, step="learnt"))

    def after(self, note: Note | None, seconds: float) -> None:
        if self.closed or note is None:
            return
        if note.task is not None and "until" not in note.entry:
            frame = None if is_finished(note.task) else self.style_frame(
                awaited_frames(coroutine_of(note.task)))
            note.entry["until"] = frame.f_lineno if frame else None
        if seconds >= 0.001:
            note.entry["ms"] = round(seconds * 1000, 1)
        self.add(self.ran, note.entry)
        for entry in note.extra:
            self.add(self.ran, entry)
        if note.entry["kind"] == "io":
            self.unclaimed(None, known=note.entry)

    def unclaimed(self, handle: asyncio.Handle | None, known: dict | None = None) -> None:
        """A callback that no run claimed, such as the client's socket or timer, or the
        entry `known` of our fetch's socket: the fetches of ours that it ended are ours,
        each marked "ended" (a socket is read more than once for a long answer)."""
        if self.closed:
            return
        for index, fetched in list(self.pending.items()):
            if fetched.done():
                del self.pending[index]
                if known is not None and index == known["index"]:
                    known["ended"] = True
                else:
                    kind = "timer" if isinstance(handle, asyncio.TimerHandle) else "io"
                    self.add(self.ran, self.entry(kind, "fetch ended", None, index, ended=True))

    def turn_ended(self, start: float, end: float) -> None:
        if self.handler.visitor_left():  # nobody will read the turns: the loop is let go
            self.stop()
            return
        if self.first is not None:
            self.after(self.first, 0.0)
            self.first = None
        if self.ran and not self.closed:
            start = max(start, self.handler.started)  # of the first, the part in the run
            self.turns.append({"t_ms": self.ms(start), "ms": round((end - start) * 1000, 1),
                               "ran": self.ran})
        self.ran = []

    # -- the run's side, called by AggregateHandler ----------------------------------

    def sent(self, index: int, request, fetched: asyncio.Future) -> None:
        self.requests[id(request)] = index
        self.pending[index] = fetched

    def event(self, kind: str, index: int | None, details: dict) -> None:
        """An event the run logged: it tells what the running callback did, or what a
        thread did off the loop."""
        if self.closed:
            return
        thread = self.blocking and kind in ("fetch-start", "returned")
        step = "start" if kind == "fetch-start" else "return"
        if threading.get_ident() != self.loop_thread:
            if thread:
                frame = self.style_frame(reversed(stack()))
                entry = self.entry("thread", frame.f_code.co_name if frame else "thread",
                                   frame and frame.f_lineno, index, step=step,
                                   logged=len(self.handler.record.events))
                turn = {"t_ms": self.handler.elapsed_ms(), "ms": None,
                        "thread": threading.current_thread().name, "ran": []}
                self.add(turn["ran"], entry)
                self.turns.append(turn)  # a list's append is atomic
            return
        running = TRACER.claim(self)
        note = running[2] if running else self.first
        if note is None:
            return
        if thread:  # a greenlet's step, told by its worker process in this callback
            note.extra.append(self.entry("thread", "greenlet", None, index, step=step))
        events = note.entry.setdefault("events", [])
        if kind not in events:
            events.append(kind)
        # How many of the run's events there were once it had logged this one: a step
        # through the turns shows the event log up to there, no further.
        note.entry["logged"] = len(self.handler.record.events)
        if "remaining" in details:
            note.entry["remaining"] = details["remaining"]

    def finish(self) -> dict:
        """The turns so far, the one under way included: the run renders in it."""
        running = TRACER.claim(self)
        note = running and running[2]
        if note is not None:
            if note.task is not None:  # it runs now: where, the stack says
                frame = self.style_frame(reversed(stack()))
                note.entry["until"] = frame.f_lineno if frame else None
            self.after(note, 0.0)
            running[2] = None
        now = time.perf_counter()
        self.turn_ended(TRACER.turn_start or now, now)
        self.stop()
        return {"turns": sorted(self.turns, key=lambda turn: turn["t_ms"]),
                "turns_cut": self.cut}

    def stop(self) -> None:
        if not self.closed:
            self.closed = True
            TRACER.discard(self.run_id)


def stack() -> list:
    """The frames of the calls under way, innermost first."""
    frames, frame = [], inspect.currentframe().f_back.f_back
    while frame is not None:
        frames.append(frame)
        frame = frame.f_back
    return frames
