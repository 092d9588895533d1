"""The registry of styles: URL name -> handler, title and a one-line blurb."""

from dataclasses import dataclass

from webdemo.styles import callbacks, coroutines


@dataclass(frozen=True)
class Style:
    name: str
    title: str
    blurb: str
    module: object
    handler: type


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
    ]
}
