"""One process's side of the classes: it calls the store off the event loop, and keeps
the class pages open here told of every change, whichever process made it.

Why polling, and not a notification between processes: SQLite has none, and a scheme
of our own (a pipe or socket between the processes of --processes) would not cross a
restart or a second copy started by hand on the same data directory. Instead each
process reads the two counters of every class open on its pages, in one indexed query,
every POLL_SECONDS (a few microseconds for a hundred classes), and reads a class's
state once, whatever the number of its pages, only when a counter has moved. A change
made in this process is told at once (wake()); one made in another, within POLL_SECONDS.
"""

import asyncio
import contextlib
import json
import logging
import secrets
import time
from concurrent.futures import ThreadPoolExecutor

from tornado.httpclient import HTTPRequest

from webdemo.base import event_text
from webdemo.catalog import MAX_TIMEOUT, RUN_SECONDS
from webdemo.classes.store import Store
from webdemo.learn.lessons import sharing_one_loop

LOG = logging.getLogger("webdemo.classes")
POLL_SECONDS = 0.2
SWEEP_SECONDS = 60  # how often expired classes are deleted
HEARTBEAT_SECONDS = 20  # a comment down each stream, so that no proxy thinks it idle
# A class's own runs name their class in this header, with this process's secret (made
# before --processes forks, so every child knows it): the server lets them through while
# it drains, and counts each class as a visitor of its own (App.class_of()).
CLASS_RUN_HEADER = "X-Webdemo-Class-Run"
CLASS_RUN_SECRET = secrets.token_urlsafe(24)
MAX_RUN_ROWS = 50  # rows of a run kept for the pages: a lesson's runs have a few


class Hub:
    def __init__(self, app):
        self.app = app  # its config, HTTP client, and whether it is stopping
        self.store = Store(app.config.data_dir / "classes.sqlite3")
        self.hours = app.config.class_hours
        self.executor = ThreadPoolExecutor(1, thread_name_prefix="classes")
        self.streams = {}  # code -> the pages of that class open on this process
        self.seen = {}  # code -> (version, tally) last told
        self.reading = {}  # code -> the read of its state under way, for pages connecting
        self.woken = asyncio.Event()
        self.poller = None

    async def call(self, method, *args):
        """store.method(*args), in the store's thread."""
        if self.poller is None:
            self.poller = asyncio.ensure_future(self.poll())
        return await asyncio.get_running_loop().run_in_executor(
            self.executor, getattr(self.store, method), *args)

    def wake(self) -> None:
        """Something changed here: tell the pages now, not at the next poll."""
        self.woken.set()

    async def listen(self, code, stream, own=None) -> None:
        """Adds a page of the class, and tells it where the class is now, with `own`:
        a student's own answer (after a reload, the page would not know it)."""
        if not self.streams:
            self.wake()  # the poller, asleep while no class page was open
        self.streams.setdefault(code, set()).add(stream)
        # A class of 200 whose pages connect at once (a restart) reads its state once.
        if code not in self.reading:
            self.reading[code] = asyncio.ensure_future(self.call("state", code))
            self.reading[code].add_done_callback(lambda _: self.reading.pop(code, None))
        state = await asyncio.shield(self.reading[code])
        if state is not None:
            # Told now: the next poll tells it only what has changed since.
            self.seen.setdefault(code, (state["version"], state["tally"]))
            stream.send(message(state | (own or {}), stream.teacher))

    def forget(self, code, stream) -> None:
        streams = self.streams.get(code, set())
        streams.discard(stream)
        if not streams:
            self.streams.pop(code, None)
            self.seen.pop(code, None)

    async def poll(self) -> None:
        swept = heartbeat = 0
        while True:
            if self.app.stopping:  # their pages reconnect, to another process or later
                for streams in list(self.streams.values()):
                    for stream in list(streams):
                        stream.end()
            now = time.monotonic()
            try:
                if now - swept > SWEEP_SECONDS:
                    swept = now
                    await self.call("delete_expired")
                if self.streams:
                    await self.tell(await self.call("versions", list(self.streams)))
                if now - heartbeat > HEARTBEAT_SECONDS:
                    heartbeat = now
                    for streams in self.streams.values():
                        for stream in streams:
                            stream.send(": still here\n\n")
            except Exception:  # a locked or full disk: logged, and tried again
                LOG.exception("the classes' store failed")
            # With no class page open there is nothing to tell: it sleeps until a page opens
            # (listen() wakes it) or the next sweep.
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self.woken.wait(),
                                       POLL_SECONDS if self.streams else SWEEP_SECONDS)
            self.woken.clear()

    async def tell(self, versions: dict) -> None:
        for code in [code for code in self.streams if code not in versions]:
            for stream in list(self.streams[code]):  # expired: its pages end
                stream.end()
        moved = [code for code in self.streams
                 if code in versions and versions[code] != self.seen.get(code)]
        # Every class that moved, read in one call: one trip to the store's thread.
        states = await self.call("states", moved) if moved else {}
        for code, state in states.items():
            if code not in self.streams:  # its last page left during the read
                continue
            seen, self.seen[code] = self.seen.get(code), versions[code]
            # A join or an answer is news to the teacher; to the students only once
            # the spread is shown to them.
            students_told = (seen is None or versions[code][0] != seen[0]
                             or spread_shown(state))
            # Each text is made once, whatever the number of pages it goes to.
            texts = {}
            for stream in list(self.streams.get(code, ())):
                if stream.teacher or students_told:
                    if stream.teacher not in texts:
                        texts[stream.teacher] = message(state, stream.teacher)
                    stream.send(texts[stream.teacher])

    def start_run(self, code, lesson) -> None:
        """Runs the lesson for the class (run_lesson()), kept while it runs: a stop waits
        for it (serving.awaited())."""
        run = asyncio.ensure_future(self.run_lesson(code, lesson))
        self.app.runs_of_classes.add(run)
        run.add_done_callback(self.ran)

    def ran(self, run) -> None:
        self.app.runs_of_classes.discard(run)
        if not run.cancelled() and run.exception() is not None:  # the store's: said once
            LOG.error("a class's run could not be kept", exc_info=run.exception())

    async def run_lesson(self, code, lesson) -> None:
        """Runs the lesson's runs once for the class, unless it has run or is running,
        and keeps what they answered, with the right answer read from them."""
        if not await self.call("claim_run", code, lesson.number):
            return
        self.wake()
        try:
            # All at once, as the learner's page runs them: lesson 8's callbacks page
            # runs while the other sleeps, on the blocking demo's loop of their own.
            paths = sharing_one_loop(lesson.runs, secrets.token_urlsafe(12))
            results = await asyncio.gather(*(self.fetch(code, path) for path in paths))
            run = {"results": [digest(result) for result in results],
                   "right_answer": lesson.right_answer(results)}
        except Exception as error:  # said to the class; the teacher may run it again
            LOG.warning("a class's run of lesson %s failed: %r", lesson.number, error)
            run = {"results": [], "error": str(error)[:200]}
        await self.call("end_run", code, lesson.number, run)
        self.wake()

    async def fetch(self, code, path) -> dict:
        response = await self.app.http_client.fetch(HTTPRequest(
            self.app.config.url + path.lstrip("/"),
            headers={"Accept": "application/json",
                     CLASS_RUN_HEADER: f"{code} {CLASS_RUN_SECRET}"},
            # As long as any run can take: its fetches all sent within RUN_SECONDS, each
            # within the longest timeout.
            request_timeout=RUN_SECONDS + MAX_TIMEOUT), raise_error=False)
        if response.code != 200:
            raise RuntimeError(f"{path} answered {response.code}")
        return json.loads(response.body)

    def close(self) -> None:
        if self.poller is not None:
            self.poller.cancel()
        self.executor.submit(self.store.close)
        self.executor.shutdown(wait=True)


def digest(result: dict) -> dict:
    """What the pages show of one run's JSON: its numbers and words, and its rows' times
    (not its events: a page of 200 students would get them 200 times)."""
    kept = {name: value for name, value in result.items()
            if isinstance(value, (str, int, float, bool)) or value is None}
    rows = result.get("results")
    if isinstance(rows, list):
        kept["results"] = [{name: row.get(name) for name in
                            ("target", "status", "error", "start_ms", "end_ms")}
                           for row in rows[:MAX_RUN_ROWS] if isinstance(row, dict)]
    return kept


def message(state: dict, teacher: bool) -> str:
    """The server-sent event telling a page where the class is. A student's leaves out
    the others' nicknames, and the spread until the teacher shows it."""
    step = state["step"]
    shown = dict(state)
    if not teacher:
        for name in ("nicknames", "joined", "answered", "tally"):
            del shown[name]
        if not spread_shown(state):
            shown["spread"] = None
        if step == "predict":
            shown["run"] = None
        elif step == "run" and shown["run"]:
            shown["run"] = {name: value for name, value in shown["run"].items()
                            if name != "right_answer"}
    return event_text("class", shown)


def spread_shown(state: dict) -> bool:
    return state["spread_shown"] or state["step"] in ("reveal", "change")
