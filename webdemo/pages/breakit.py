"""Break it on purpose: three mistakes, each run for real, opt-in and bounded in time.

BREAK_IT_DEMOS is their registry, read by the routes, the side-by-side page and its script.
They live here so that the style files stay models of their styles:

- ForgottenCheckHandler: the callbacks handler with its response.error check left out;
  ForgottenChainCheckHandler: the same, in the callbacks chain.
- EssayCallHandler: the essay's 2016 call, fetch(url, handle_response), on Tornado 6.
- blocking(): a style's handler that calls time.sleep() on the event loop's thread.
"""

import asyncio
import inspect
import math
import time
from collections.abc import Callable
from dataclasses import dataclass

from tornado.concurrent import Future
from tornado.httpclient import AsyncHTTPClient
from tornado.ioloop import IOLoop

from webdemo.base import BaseHandler
from webdemo.catalog import run_knob
from webdemo.chains.callbacks import CallbacksChainHandler
from webdemo.query import BadInput
from webdemo.registry import STYLES
from webdemo.run.outcomes import outcome
from webdemo.styles.callbacks import CallbacksHandler

# How long the blocking demo sleeps, in ms: (lowest, highest, default).
BLOCK_LIMITS = {"block_ms": (1, 2000, 1500)}
# Each blocking demo stops the whole process: at most one per this many seconds.
BLOCK_EVERY_SECONDS = 5.0
# How long the essay's call waits for its callback once the fetch is done.
CALLBACK_GRACE_SECONDS = 0.5
# The styles whose code runs on the event loop's thread: a sleep there stops them all.
# (The threads and sequential styles fetch in pool threads, greenlets in a process.)
ON_THE_LOOP = tuple(name for name, style in STYLES.items() if not style.off_loop)


class ForgottenCheckHandler(CallbacksHandler):
    """callbacks.py's handle_response(), with its error check forgotten."""

    def handle_response(self, index, future):
        response = future.result()
        row = self.succeeded(index, response)
        self.count_response(index, row)


class ForgottenChainCheckHandler(CallbacksChainHandler):
    """chains/callbacks.py's handle_page(), with its error check forgotten."""

    def handle_page(self, position, index, future):
        response = future.result()
        row = self.succeeded(index, response)
        self.count_page(position, row)


def simple_signature(function):
    """fetch(self, request, raise_error=True, **kwargs): the names, without the annotations."""
    signature = inspect.signature(function)
    plain = [parameter.replace(annotation=inspect.Parameter.empty)
             for parameter in signature.parameters.values()]
    plain = signature.replace(parameters=plain, return_annotation=inspect.Signature.empty)
    return f"{function.__name__}{plain}"


class EssayCallHandler(BaseHandler):
    """The essay's 2016 call, run on Tornado 6: the callback never runs."""

    def prepare(self):
        self.target = self.application.catalog.plan(self.query_arguments()).targets[0]

    def get(self):
        self.started = time.perf_counter()
        self.callback_ran = False
        self.done = Future()
        http_client = self.application.http_client
        # As the essay wrote it. Tornado 6 has no callback= argument: handle_response
        # binds to raise_error, a true value, and nothing ever calls it.
        future = http_client.fetch(self.target.url, self.handle_response)
        future.add_done_callback(self.fetch_finished)
        return self.done

    def handle_response(self, response):
        self.callback_ran = True

    def fetch_finished(self, future):
        self.fetch_ms = self.elapsed_ms()
        self.future = future
        # Give the callback its chance, bounded, before saying it never ran.
        IOLoop.current().call_later(CALLBACK_GRACE_SECONDS, self.report)

    def report(self):
        error = self.future.exception()
        status, size, words = outcome(None if error else self.future.result(), error)
        result = {
            "demo": "essay-2016",
            "call": "http_client.fetch(url, handle_response)",
            "signature": simple_signature(AsyncHTTPClient.fetch),
            "raise_error": repr(self.handle_response)[:200],
            "target": self.target.name,
            "fetch": {"status": status, "bytes": size, "error": words, "ms": self.fetch_ms},
            "callback_ran": self.callback_ran,
            "waited_ms": self.elapsed_ms(),
        }
        if self.wants_json():
            self.finish(result)
        else:
            self.render("essay_call.html", **result)
        self.done.set_result(None)


class Gate:
    """Lets a blocking demo through at most once per BLOCK_EVERY_SECONDS."""

    def __init__(self):
        self.last = -math.inf

    def check(self):
        if time.monotonic() - self.last < BLOCK_EVERY_SECONDS:
            raise BadInput("a blocking demo ran less than %(seconds)s s ago, and each one "
                           "stops the whole server: try again in a few seconds",
                           status_code=503, seconds=f"{BLOCK_EVERY_SECONDS:g}")

    def enter(self):
        self.check()
        self.last = time.monotonic()

    async def take_turn(self):
        """Waits for the next free turn and takes it: a class's run (classes/hub.py), whose
        request then passes (Blocking.prepare()), waits where a visitor would be refused."""
        while (wait := self.last + BLOCK_EVERY_SECONDS - time.monotonic()) > 0:
            await asyncio.sleep(wait)
        self.last = time.monotonic()


class Blocking:
    """Mixed into a style's handler: the first success sleeps on the loop's thread."""

    def prepare(self):
        self.block_ms = run_knob(self.query_arguments(), "block_ms", BLOCK_LIMITS)
        # A class's own run took its turn before it asked (Gate.take_turn()).
        gate = None if self.application.class_of(self.request) else self.application.blocking_gate
        if gate:
            gate.check()  # now, while a 503 can still be answered: a live stream opens next
        self.blocked = False
        super().prepare()
        if gate:
            gate.enter()  # only once the query is found good: a refused one ran nothing

    def succeeded(self, index, response):
        if not self.blocked:
            self.blocked = True
            self.log_event("blocked", index, ms=self.block_ms)
            time.sleep(self.block_ms / 1000)  # the mistake: nothing else runs meanwhile
        return super().succeeded(index, response)


def blocking(handler):
    return type(f"Blocking{handler.__name__}", (Blocking, handler), {})


def blocking_setup(styles):
    """It sleeps in the first column whose code runs on the loop's thread; None: neither does."""
    sleeper = next((style.name for style in styles if style.name in ON_THE_LOOP), None)
    if sleeper is None:
        return None
    # The other column's pause needs a word when its code does not run on the loop.
    return {"page": f"/break/blocking/{sleeper}",
            "data": {"style": sleeper, "block-ms": BLOCK_LIMITS["block_ms"][2],
                     "other-off-loop": any(style.name not in ON_THE_LOOP for style in styles)}}


@dataclass(frozen=True)
class BreakItDemo:
    """A demo: its routes, and what the side-by-side page shows of it and gives its script."""

    name: str  # the article's id, its button's data-demo, the script's key
    title: str
    explanation: str
    changed: Callable  # the code it changes, shown beside its button
    routes: list
    # For the page's two columns: {"page": its address, "data": what its button carries
    # for the script}, or None when it cannot run there.
    setup: Callable[[list], dict | None]
    try_it: str = "Try it"
    cannot_run: str = ""  # said instead of the button when setup() is None
    jobs: tuple = ("aggregate",)  # the jobs of the pages that show it


BREAK_IT_DEMOS = [
    BreakItDemo("forgotten-check", "Forget the error check",
         "The callbacks handler without its if response.error: check. Nothing is raised, "
         "so nothing complains: a failed fetch is counted as a success.",
         ForgottenCheckHandler.handle_response,
         [(r"/break/forgotten-check", ForgottenCheckHandler, {"style": "forgotten-check"})],
         lambda styles: {"page": "/break/forgotten-check?scenario=one-fails", "data": {}}),
    BreakItDemo("forgotten-check-chain", "Forget the error check, in the chain",
         "The callbacks chain without the if response.error: check of its middle step. "
         "The failure flows on as if it were data: counted as a success, and a page the "
         "last step may choose from.",
         ForgottenChainCheckHandler.handle_page,
         [(r"/break/forgotten-check-chain", ForgottenChainCheckHandler,
           {"style": "forgotten-check-chain"})],
         lambda styles: {"page": "/break/forgotten-check-chain?scenario=chain-link-fails",
                         "data": {}},
         jobs=("chain",)),
    BreakItDemo("essay-2016", "The essay's 2016 call",
         "http_client.fetch(url, handle_response) on Tornado 6, which removed callback=: "
         "handle_response binds to raise_error, the fetch succeeds, and the callback never "
         "runs.",
         EssayCallHandler.get,
         [(r"/break/essay-2016", EssayCallHandler)],
         lambda styles: {"page": "/break/essay-2016", "data": {}}, jobs=("aggregate", "chain")),
    BreakItDemo("blocking", "Block the loop",
         "time.sleep() in a handler whose code runs on the event loop's thread, as its "
         "first fetch succeeds. Every handler of the loop stops with it: the other column "
         "too.",
         Blocking.succeeded,
         [(rf"/break/blocking/{name}", blocking(STYLES[name].aggregate_handler), {"style": name})
          for name in ON_THE_LOOP],
         blocking_setup,
         try_it="Try it in both columns",
         cannot_run="Neither column's code runs on the event loop's thread: compare with "
                    "callbacks, coroutines or generators to try it."),
]

ROUTES = [route for demo in BREAK_IT_DEMOS for route in demo.routes]
