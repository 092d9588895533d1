"""The registry of styles: URL name -> handlers (aggregate, chain), title
and a one-line blurb."""

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


@dataclass(frozen=True)
class Style:
    name: str
    title: str
    blurb: str
    module: object
    handler: type
    chain: type  # the chain's handler: webdemo/chains/
    concurrent: bool = True  # do its fetches wait together, or in turn?
    blocking: bool = False  # urllib, blocking, not the app's Tornado client?


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
              blocking=True),
        Style("greenlets", "Greenlets",
              "gevent with monkey.patch_all(): blocking code that switches "
              "wherever the patched library would block. The patch changes "
              "the whole process, so this style runs in a worker process of "
              "its own.",
              greenlets, greenlets.GreenletsHandler, GreenletsChainHandler,
              blocking=True),
        Style("sequential", "Sequential",
              "One blocking fetch after another, off the event loop: "
              "the baseline, as slow as all the fetches added up.",
              sequential, sequential.SequentialHandler, SequentialChainHandler,
              concurrent=False, blocking=True),
    ]
}
