"""The registry of styles: URL name -> handler, title, blurb, how it runs."""

from dataclasses import dataclass

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
    concurrent: bool = True  # do its fetches wait together, or in turn?
    # Does its code run off the event loop's thread (urllib, in threads or
    # a worker process)?
    off_loop: bool = False
    # What its worker process runs (python -m worker_module), if it has one.
    worker_module: str | None = None


STYLES = {
    style.name: style
    for style in [
        Style("callbacks", "Callbacks",
              "Chained callbacks with global counters: "
              "the flow is torn across functions.",
              callbacks, callbacks.CallbacksHandler),
        Style("coroutines", "Coroutines",
              "async/await: the same page, read top to bottom.",
              coroutines, coroutines.CoroutinesHandler),
        Style("generators", "Generators",
              "tornado.gen.coroutine with yield: coroutines before "
              "async/await. The essay's @asyncio.coroutine with yield from "
              "was this; Python 3.11 removed it.",
              generators, generators.GeneratorsHandler),
        Style("threads", "Threads",
              "Blocking urllib fetches, a pool thread each: plain code, "
              "paid for in threads.",
              threads, threads.ThreadsHandler, off_loop=True),
        Style("greenlets", "Greenlets",
              "gevent with monkey.patch_all(): blocking code that switches "
              "wherever the patched library would block. The patch changes "
              "the whole process, so this style runs in a worker process of "
              "its own.",
              greenlets, greenlets.GreenletsHandler, off_loop=True,
              # which runs greenlets.GreenletsJob
              worker_module="webdemo.workers.gevent_main"),
        Style("sequential", "Sequential",
              "One blocking fetch after another, off the event loop: "
              "the baseline, as slow as all the fetches added up.",
              sequential, sequential.SequentialHandler, concurrent=False,
              off_loop=True),
    ]
}
