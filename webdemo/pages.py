"""The side-by-side page: each style's real source, highlighted, beside its results."""

import functools
import inspect

from pygments import highlight
from pygments.formatters import HtmlFormatter
from pygments.lexers import PythonLexer

from webdemo.base import BaseHandler
from webdemo.catalog import SCENARIOS
from webdemo.styles import STYLES

HIGHLIGHT_STYLE = "default"


@functools.cache
def highlighted_source(name):
    """The style's module as it runs, as HTML; each line a span with an id, to point at."""
    formatter = HtmlFormatter(style=HIGHLIGHT_STYLE, cssclass="source", linenos="inline",
                              linespans=f"{name}-line")
    return highlight(inspect.getsource(STYLES[name].module), PythonLexer(), formatter)


class IndexHandler(BaseHandler):
    def get(self):
        self.render("index.html", styles=STYLES.values(), scenarios=SCENARIOS,
                    source=highlighted_source, config=self.settings["config"])


class HighlightStyleHandler(BaseHandler):
    css = HtmlFormatter(style=HIGHLIGHT_STYLE).get_style_defs(".source")

    def get(self):
        self.set_header("Content-Type", "text/css; charset=utf-8")
        self.set_header("Cache-Control", "public, max-age=3600")
        self.finish(self.css)
