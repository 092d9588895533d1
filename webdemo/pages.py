"""The side-by-side page: each style's real source, highlighted, beside its results."""

import functools
import inspect

from pygments import highlight
from pygments.formatters import HtmlFormatter
from pygments.lexers import PythonLexer

from webdemo.base import BaseHandler
from webdemo.catalog import SCENARIOS, BadInput
from webdemo.styles import STYLES

HIGHLIGHT_STYLE = "default"
DEFAULT_PAIR = ("callbacks", "coroutines")


@functools.cache
def highlighted_source(name):
    """The style's module as it runs, as HTML; each line a span with an id, to point at."""
    formatter = HtmlFormatter(style=HIGHLIGHT_STYLE, cssclass="source", linenos="inline",
                              linespans=f"{name}-line")
    return highlight(inspect.getsource(STYLES[name].module), PythonLexer(), formatter)


class IndexHandler(BaseHandler):
    def get(self):
        # ?left=STYLE&right=STYLE: which two to compare, so a comparison can be shared.
        left, right = (self.chosen_style(side, default)
                       for side, default in zip(("left", "right"), DEFAULT_PAIR, strict=True))
        if left is right:
            raise BadInput(f"left and right are both {left.name}: choose two different styles")
        self.render("index.html", styles=[left, right], all_styles=STYLES.values(),
                    scenarios=SCENARIOS, source=highlighted_source,
                    config=self.settings["config"])

    def chosen_style(self, side, default):
        names = self.get_query_arguments(side)
        if len(names) > 1:
            raise BadInput(f"{side} is given {len(names)} times: give it once")
        name = names[0] if names else default
        if name not in STYLES:
            raise BadInput(f"unknown style {name[:40]!r} for {side}: use {', '.join(STYLES)}")
        return STYLES[name]


class HighlightStyleHandler(BaseHandler):
    css = HtmlFormatter(style=HIGHLIGHT_STYLE).get_style_defs(".source")

    def get(self):
        self.set_header("Content-Type", "text/css; charset=utf-8")
        self.set_header("Cache-Control", "public, max-age=3600")
        self.finish(self.css)
