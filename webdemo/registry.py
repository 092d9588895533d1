"""The registry of styles: URL name -> handlers (aggregate, chain), title,
blurb, how it runs."""

import sys
from dataclasses import dataclass

from webdemo.chains.callbacks import CallbacksChainHandler
from webdemo.chains.coroutines import CoroutinesChainHandler
from webdemo.chains.generators import GeneratorsChainHandler
from webdemo.chains.greenlets import GreenletsChainHandler
from webdemo.chains.sequential import SequentialChainHandler
from webdemo.chains.threads import ThreadsChainHandler
from webdemo.styles import (
    callbacks,
    coroutines,
    generators,
    greenlets,
    sequential,
    threads,
)

# The jobs every style does, and the prefix of their addresses: /coroutines
# is the aggregate, /chain/coroutines the chain.
JOBS = {"aggregate": "", "chain": "/chain"}


@dataclass(frozen=True)
class Style:
    name: str
    title: str
    blurb: str
    module: object
    handler: type
    chain: type  # the chain's handler: webdemo/chains/
    concurrent: bool = True  # do its fetches wait together, or in turn?
    # Does its code run off the event loop's thread (urllib, in threads or
    # a worker process)?
    off_loop: bool = False
    # What its worker process runs (python -m worker_module), if it has one.
    worker_module: str | None = None

    def path(self, job: str) -> str:
        """The address of this style's handler of `job`."""
        return f"{JOBS[job]}/{self.name}"

    def source_module(self, job: str) -> object:
        """The module of this style's code of `job`: the source to show."""
        if job == "chain":
            return sys.modules[self.chain.__module__]
        return self.module


STYLES = {
    style.name: style
    for style in [
        Style("callbacks", "Callbacks",
              "Chained callbacks with global counters: "
              "the flow is torn across functions.",
              callbacks, callbacks.CallbacksHandler, CallbacksChainHandler),
        Style("coroutines", "Coroutines",
              "async/await: the same page, read top to bottom.",
              coroutines, coroutines.CoroutinesHandler, CoroutinesChainHandler),
        Style("generators", "Generators",
              "tornado.gen.coroutine with yield: coroutines before "
              "async/await. The essay's @asyncio.coroutine with yield from "
              "was this; Python 3.11 removed it.",
              generators, generators.GeneratorsHandler,
              GeneratorsChainHandler),
        Style("threads", "Threads",
              "Blocking urllib fetches, a pool thread each: plain code, "
              "paid for in threads.",
              threads, threads.ThreadsHandler, ThreadsChainHandler,
              off_loop=True),
        Style("greenlets", "Greenlets",
              "gevent with monkey.patch_all(): blocking code that switches "
              "wherever the patched library would block. The patch changes "
              "the whole process, so this style runs in a worker process of "
              "its own.",
              greenlets, greenlets.GreenletsHandler, GreenletsChainHandler,
              off_loop=True,
              # which runs greenlets.GreenletsJob, and GreenletsChainJob
              worker_module="webdemo.workers.gevent_main"),
        Style("sequential", "Sequential",
              "One blocking fetch after another, off the event loop: "
              "the baseline, as slow as all the fetches added up.",
              sequential, sequential.SequentialHandler, SequentialChainHandler,
              concurrent=False, off_loop=True),
    ]
}
