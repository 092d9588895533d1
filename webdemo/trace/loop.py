"""Watches the event loop turn by turn, while a run that asked for trace=turns is under way.

asyncio has no public hook for a turn of its loop, nor for each callback it runs. So
while at least one traced run is under way, the running loop's turn (one turn: wait for
I/O, then run every callback that was ready) is wrapped on the instance, and each
callback's run (a task step or I/O readiness) on the class; both are put back when the
last traced run ends (webdemo/trace/internals.py does both, and says on which versions
they were checked). An ordinary run finds asyncio as it ships. uvloop's loop is written
in Cython and has neither: on it, nothing can be traced.

Which run a callback works for is read first from its context: a traced run sets RUN
in its request's Task, and asyncio hands a copy of the context to every callback
scheduled from there. The HTTP client's sockets and timers serve every run, and a
thread's result arrives from a thread's context: those are matched by the fetch they
carry (webdemo/trace/turns.py).
"""

import asyncio
import contextvars
import time

from tornado.log import app_log

from webdemo.trace import internals

# The id of the traced run whose code scheduled a callback; an id, not the recorder,
# since a context can outlive its run.
RUN = contextvars.ContextVar("webdemo_traced_run", default=None)


class LoopTracer:
    """The one process-wide watcher: the traced runs under way, and the turn under way."""

    def __init__(self) -> None:
        self.loop = None
        self.runs = {}  # run id -> its recorder (turns.Turns)
        self.next_id = 0
        self.turn_start = None  # perf_counter() when the turn's first callback began
        self.turn_end = None  # ... and when its last one ended
        self.running = None  # [handle, its recorder or None, its note] while it runs

    def add(self, recorder) -> int:
        """Watches the loop for `recorder` until discard(); answers the run's id."""
        if not self.runs:
            self.install(asyncio.get_running_loop())
        if self.turn_start is None:  # installed in the middle of a turn: it counts from now
            self.turn_start = time.perf_counter()
        self.next_id += 1
        self.runs[self.next_id] = recorder
        RUN.set(self.next_id)
        return self.next_id

    def discard(self, run_id: int) -> None:
        if self.runs.pop(run_id, None) is not None and not self.runs:
            self.uninstall()

    def install(self, loop: asyncio.AbstractEventLoop) -> None:
        self.loop = loop

        def around(run_once):
            def traced_run_once():
                self.turn_over()
                try:
                    run_once()
                finally:
                    self.turn_over()
            return traced_run_once

        internals.wrap_turns(loop, around)
        internals.wrap_callbacks(traced_handle_run)

    def uninstall(self) -> None:
        self.turn_over()
        internals.unwrap_turns(self.loop)
        internals.unwrap_callbacks()
        self.loop = None

    def turn_over(self) -> None:
        """Ends the turn under way, if any callback ran in it."""
        if self.turn_start is not None:
            end = self.turn_end or time.perf_counter()
            for recorder in list(self.runs.values()):
                recorder.turn_ended(self.turn_start, end)
        self.turn_start = self.turn_end = None

    def run(self, handle: asyncio.Handle) -> None:
        started = time.perf_counter()
        if self.turn_start is None:
            self.turn_start = started
        try:
            recorder, note = self.owner(handle)
        except Exception:  # a slip of the recorder's must never stop the server
            app_log.exception("trace=turns: could not tell what %r runs", handle)
            recorder = note = None
        self.running = running = [handle, recorder, note]
        try:
            internals.RUN_HANDLE(handle)
        finally:
            self.running = None
            self.turn_end = time.perf_counter()
            handle, recorder, note = running
            try:
                if recorder is not None:
                    recorder.after(note, self.turn_end - started)
                else:  # the client's socket or timer: did it end a traced run's fetch?
                    for candidate in list(self.runs.values()):
                        candidate.unclaimed(handle)
            except Exception:
                app_log.exception("trace=turns: could not record what %r ran", handle)

    def owner(self, handle: asyncio.Handle) -> tuple:
        """The recorder of the run that `handle` works for, and its note; or Nones."""
        recorder = self.runs.get(internals.context_of(handle).get(RUN))
        note = recorder.before(handle, claimed=True) if recorder else None
        if note is None:  # not by its context: the client's socket, a thread's result
            recorder = next((candidate for candidate in self.runs.values()
                             if (note := candidate.before(handle, claimed=False))), None)
        return recorder, note

    def claim(self, recorder) -> list | None:
        """The callback running now, for `recorder` if no run has it yet: [handle,
        recorder, note], or None when it belongs to another run or nothing runs."""
        running = self.running
        if running is None or running[1] not in (None, recorder):
            return None
        if running[1] is None:
            running[1:] = [recorder, recorder.before(running[0], claimed=True)]
        return running


def traced_handle_run(handle: asyncio.Handle) -> None:
    if internals.loop_of(handle) is not TRACER.loop:  # another loop (a test's client)
        return internals.RUN_HANDLE(handle)
    return TRACER.run(handle)


TRACER = LoopTracer()
