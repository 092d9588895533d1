"""The claims page, and the runs it asks for: /claims/DEMO/VARIANT?format=json."""

import asyncio
import contextlib
import functools
import inspect
import secrets
import time

from tornado.httpclient import HTTPClientError

from webdemo.base import BaseHandler
from webdemo.catalog import run_knob
from webdemo.claims import deadlocks, one_fails, races
from webdemo.claims.registry import CLAIM_DEMOS, SELF_DEADLOCK
from webdemo.pages.side_by_side import HighlightStyleHandler, highlighted
from webdemo.query import BadInput, one
from webdemo.run.blocking import blocking_fetch
from webdemo.run.outcomes import describe
from webdemo.run.shares import Admission, Full
from webdemo.workers.launcher import ProcessFailed

# Runs at once across the server, one of them a visitor's: a visitor's run waits for
# their own earlier one, not for everyone's (webdemo/run/shares.py, Admission). A run
# with no turn free waits in line WAIT_SECONDS at most, then is told when to come back.
# Each run is bounded in time, and in fetches and pool threads (30 at most, a race's).
MAX_RUNS = 4
WAIT_SECONDS = 5
# The claims' own knobs, bounded as the runs' (catalog.RUN_LIMITS) are.
CLAIM_KNOB_LIMITS = {"n": races.VISITS, "leave_ms": one_fails.LEAVE_MS}
RACE_PAGE = "/upstream/counter?delay_ms=50&bytes=64"
LEAVE_MS = 60  # the page's choice: before the first of the essay's sites answers
DEADLOCK_PAGE = "/upstream/lock-step?delay_ms=100&bytes=64"


@functools.cache
def source(demo, variant):
    """The variant's functions as they run, highlighted as on the side-by-side page."""
    code = CLAIM_DEMOS[demo].variants[variant].code if variant else (deadlocks.self_deadlock,)
    text = "\n\n".join(inspect.getsource(function) for function in code)
    name = f"{demo}-{variant or 'self'}-source"
    # Named by its demo and its variant: the same variant names recur across demos.
    return highlighted(text, name, labelled_by=f"{demo}-title {name}-title")


class ClaimsHandler(BaseHandler):
    def get(self):
        self.render("claims.html", demos=CLAIM_DEMOS.values(), source=source,
                    highlight_css=HighlightStyleHandler.url,
                    self_deadlock=SELF_DEADLOCK, visits=races.VISITS,
                    wait_seconds=deadlocks.WAIT_SECONDS, leave_ms=LEAVE_MS,
                    messages=self.script_translations("claims.js"))


class RunHandler(BaseHandler):
    """Runs one variant of one demo, bounded, and answers what it did as JSON."""

    def initialize(self, admission, runs):
        self.admission = admission
        self.runs = runs  # token -> the Watched of a run whose visitor leaves, see left()
        self.watched = None

    async def get(self, demo, name):
        if name not in CLAIM_DEMOS[demo].variants:
            raise BadInput("unknown variant %(variant)r of %(demo)s: use %(variants)s",
                           variant=name[:40], demo=demo,
                           variants=", ".join(CLAIM_DEMOS[demo].variants))
        if not self.wants_json():  # the page runs it and explains it
            self.redirect(f"/claims#{demo}-{name}")
            return
        n = run_knob(self.query_arguments(), "n", CLAIM_KNOB_LIMITS)
        variant = CLAIM_DEMOS[demo].variants[name]
        # The page of a run whose visitor leaves is part of that run: counted once. Only
        # a run under way can be named; any other run= is counted, and then refused.
        counted = not (demo == "one-fails"
                       and one(self.query_arguments(), "run") in self.runs)
        asked = time.perf_counter()
        turn = await self.take_turn() if counted else None
        try:
            self.started = time.perf_counter()
            result = await RUNS[demo](self, variant, n)
        except (ProcessFailed, TimeoutError, OSError, HTTPClientError) as error:
            raise BadInput("the run did not complete: %(error)s", status_code=503,
                           error=describe(error)) from None
        finally:
            if turn:
                self.admission.leave(turn)
        waited_ms = round(1000 * (self.started - asked), 1)
        self.finish({"demo": demo, "variant": name, "waited_ms": waited_ms} | result)

    async def take_turn(self):
        try:
            return await self.admission.enter(self.application.visitor(self.request))
        except Full as full:
            if full.own:
                raise BadInput("your earlier claims demo is still running: try again in "
                               "%(seconds)s s", status_code=503, seconds=full.seconds) from None
            raise BadInput("%(count)s claims demos are running already: try again in "
                           "%(seconds)s s", status_code=503, count=MAX_RUNS,
                           seconds=full.seconds) from None

    def resources(self, page):
        """What a variant may use: fetches of one simulated page, the pool, the timeout."""
        url = self.application.catalog.target(page, 1).url
        timeout = self.application.config.timeout
        return dict(fetch=functools.partial(self.application.http_client.fetch, url),
                    fetch_blocking=functools.partial(blocking_fetch, url, timeout),
                    pool=self.pool(), url=url, timeout=timeout)

    def pool(self):
        """The app's threads, as this visitor's fair share of them."""
        app = self.application
        return app.thread_pool.lane(app.visitor(self.request), lambda: None)

    async def race(self, variant, n):
        resources = self.resources(RACE_PAGE)
        counted = await asyncio.wait_for(variant.run(variant.code[0], n=n, **resources),
                                         n * resources["timeout"] + one_fails.GRACE_SECONDS)
        return {"increments": n, "counted": counted, "lost": n - counted,
                "elapsed_ms": self.elapsed_ms()}

    async def deadlock(self, variant, _):
        resources = self.resources(DEADLOCK_PAGE)
        bound = 2 * (resources["timeout"] + deadlocks.WAIT_SECONDS)
        ran = await asyncio.wait_for(variant.run(variant.code[0], **resources), bound)
        return {"deadlocked": not all(worker["got_it"] for worker in ran["workers"]),
                "wait_seconds": deadlocks.WAIT_SECONDS, "elapsed_ms": self.elapsed_ms()} | ran

    async def one_fails(self, variant, _):
        arguments = self.query_arguments()
        catalog, timeout = self.application.catalog, self.application.config.timeout
        resources = dict(http_client=self.application.http_client,
                         fetch_url=functools.partial(blocking_fetch, timeout=timeout),
                         pool=self.pool(),
                         seconds=timeout + one_fails.GRACE_SECONDS)
        run = one(arguments, "run")
        if run is not None:  # the page a visitor opens and leaves: see left()
            self.watched = self.runs.get(run)
            if self.watched is None:
                raise BadInput("unknown run %(run)r", run=run[:40])
            await one_fails.answer(variant.code[0], variant.run, self.watched, **resources)
            return {"answered_ms": self.watched.answered_ms}
        leave_ms = run_knob(arguments, "leave_ms", CLAIM_KNOB_LIMITS)
        targets = one_fails.TARGETS if leave_ms is None else one_fails.LEFT_TARGETS
        watched = one_fails.Watched([catalog.target(spec, 1) for spec in targets])
        if leave_ms is None:
            await one_fails.answer(variant.code[0], variant.run, watched, **resources)
        else:
            await self.left(variant, watched, leave_ms, resources["seconds"])
        await asyncio.wait_for(asyncio.shield(watched.all_ended), resources["seconds"])
        raised = watched.answered.result()
        # A TaskGroup raises a group: the page says so, and names the failures inside it.
        failures = raised.exceptions if isinstance(raised, ExceptionGroup) else [raised]
        return {"answered_ms": watched.answered_ms,
                "error": raised and self.locale.translate(describe(failures[0])),
                "raised": raised and type(raised).__name__,
                "group": [self.locale.translate(describe(error)) for error in failures]
                if isinstance(raised, ExceptionGroup) else None,
                "left_ms": watched.left_ms, "fetches": list(watched.fetches.values()),
                "elapsed_ms": self.elapsed_ms()}

    async def left(self, variant, watched, leave_ms, seconds):
        """The visitor leaves mid-run, for real: this server opens the run's page, and
        hangs up after leave_ms, as a browser does when its visitor goes elsewhere."""
        token = secrets.token_urlsafe(16)
        self.runs[token] = watched
        try:
            with contextlib.suppress(HTTPClientError):  # the timeout: the visitor has gone
                await self.application.http_client.fetch(
                    f"{self.application.catalog.self_url}{self.request.path}?format=json"
                    f"&run={token}", request_timeout=leave_ms / 1000)
            await asyncio.wait_for(asyncio.shield(watched.answered), seconds)
        finally:
            del self.runs[token]

    def on_connection_close(self):
        if self.watched:
            self.watched.visitor_left()


RUNS = {"race": RunHandler.race, "deadlock": RunHandler.deadlock,
        "one-fails": RunHandler.one_fails}


def admission():
    """Who may run a claims demo now: the app's, shared by its routes."""
    return Admission(MAX_RUNS, per_address=1, wait_seconds=WAIT_SECONDS, typical_seconds=2.0)


def routes(runs_admission):
    """The claims page's routes, to add to the app's; its runs share one Admission."""
    shared = {"admission": runs_admission, "runs": {}}
    return [(r"/claims", ClaimsHandler),
            (rf"/claims/({'|'.join(CLAIM_DEMOS)})/([^/]*)", RunHandler, shared)]
