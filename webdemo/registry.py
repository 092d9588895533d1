"""The registry of styles: URL name -> handlers (aggregate, chain), title,
blurb, how it runs.

A style's code is webdemo/styles/NAME.py (the aggregate) and webdemo/chains/NAME.py
(the chain). The greenlet style's runs in its worker process, so the server routes
to the worker's handlers (webdemo/workers/server_side.py) and never imports it.
"""

import importlib.util
from dataclasses import dataclass
from pathlib import Path

from webdemo.chains.callbacks import CallbacksChainHandler
from webdemo.chains.coroutines import CoroutinesChainHandler
from webdemo.chains.generators import GeneratorsChainHandler
from webdemo.chains.sequential import SequentialChainHandler
from webdemo.chains.threads import ThreadsChainHandler
from webdemo.styles.callbacks import CallbacksHandler
from webdemo.styles.coroutines import CoroutinesHandler
from webdemo.styles.generators import GeneratorsHandler
from webdemo.styles.sequential import SequentialHandler
from webdemo.styles.threads import ThreadsHandler
from webdemo.workers.server_side import ChainWorkerHandler, WorkerHandler

# The jobs every style does, and the prefix of their addresses: /coroutines
# is the aggregate, /chain/coroutines the chain.
JOBS = {"aggregate": "", "chain": "/chain"}
# Where each job's style files are: webdemo/styles/NAME.py, webdemo/chains/NAME.py.
PACKAGES = {"aggregate": "webdemo.styles", "chain": "webdemo.chains"}


@dataclass(frozen=True)
class Style:
    name: str
    title: str
    blurb: str
    aggregate_handler: type
    chain_handler: type
    concurrent: bool = True  # do its fetches wait together, or in turn?
    # Does its code run off the event loop's thread (urllib, in threads or
    # a worker process)?
    off_loop: bool = False
    # What its worker process runs (python -m worker_module), if it has one.
    worker_module: str | None = None

    def path(self, job: str) -> str:
        """The address of this style's handler of `job`."""
        return f"{JOBS[job]}/{self.name}"

    def source_module(self, job: str) -> str:
        """The name of the module of this style's code of `job`."""
        return f"{PACKAGES[job]}.{self.name}"

    def source_file(self, job: str) -> str:
        """Its file, as the page names it: webdemo/styles/NAME.py."""
        return self.source_module(job).replace(".", "/") + ".py"

    def source(self, job: str) -> str:
        """The source to show, read without importing the module (gevent, for one)."""
        return Path(importlib.util.find_spec(self.source_module(job)).origin).read_text()


STYLES = {
    style.name: style
    for style in [
        Style("callbacks", "Callbacks",
              "Chained callbacks with global counters: "
              "the flow is torn across functions.",
              CallbacksHandler, CallbacksChainHandler),
        Style("coroutines", "Coroutines",
              "async/await: the same page, read top to bottom.",
              CoroutinesHandler, CoroutinesChainHandler),
        Style("generators", "Generators",
              "tornado.gen.coroutine with yield: coroutines before "
              "async/await. The essay's @asyncio.coroutine with yield from "
              "was this; Python 3.11 removed it.",
              GeneratorsHandler, GeneratorsChainHandler),
        Style("threads", "Threads",
              "Blocking urllib fetches, a pool thread each: plain code, "
              "paid for in threads.",
              ThreadsHandler, ThreadsChainHandler,
              off_loop=True),
        Style("greenlets", "Greenlets",
              "gevent with monkey.patch_all(): blocking code that switches "
              "wherever the patched library would block. The patch changes "
              "the whole process, so this style runs in a worker process of "
              "its own.",
              WorkerHandler, ChainWorkerHandler, off_loop=True,
              # which runs the styles' GreenletsJob, and the chains' GreenletsChainJob
              worker_module="webdemo.workers.gevent_main"),
        Style("sequential", "Sequential",
              "One blocking fetch after another, off the event loop: "
              "the baseline, as slow as all the fetches added up.",
              SequentialHandler, SequentialChainHandler,
              concurrent=False, off_loop=True),
    ]
}
