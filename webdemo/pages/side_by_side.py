"""The side-by-side page: each style's real source, highlighted and marked with the
points of comparison, beside its live timeline, event log and results."""

import functools
import hashlib
import inspect
from urllib.parse import parse_qs, urlencode, urlsplit

from pygments import highlight
from pygments.formatters import HtmlFormatter
from pygments.lexers import PythonLexer
from tornado.escape import json_encode, xhtml_escape

from webdemo.base import BaseHandler
from webdemo.catalog import MAX_TIMEOUT, RUN_LIMITS, SIMULATOR_LIMITS, chosen_scenario
from webdemo.pages import breakit
from webdemo.pages.differences import POINTS, callback_traceback, marked_lines
from webdemo.query import BadInput, one
from webdemo.registry import JOBS, STYLES
from webdemo.run.aggregate import EVENT_LABELS
from webdemo.run.chain import PATTERN_TEXTS, SKIPPED_TEXTS
from webdemo.run.outcomes import ERROR_TEXTS, message_pattern
from webdemo.scenarios import BUILT_IN, CHAIN_SCENARIOS, SCENARIOS, SEED
from webdemo.trace.machinery import SAID
from webdemo.trace.turns import unavailable

HIGHLIGHT_STYLE = "default"
DEFAULT_PAIR = ("callbacks", "coroutines")

# What the scenario picker says for each scenario, in the page's language.
SCENARIO_LABELS = {
    "seed": "The essay's three sites",
    "one-fails": "One fails (500)",
    "one-hangs": "One hangs past the timeout",
    "one-refused": "One refuses connections",
    "fan-out": "A fan-out of N",
    "custom": "The three sites, delays of your choosing",
    "chain": "A start page, the three sites it links to, one more",
    "chain-start-fails": "The start page fails",
    "chain-link-fails": "A linked page fails",
    "chain-last-hangs": "The last page hangs",
}
# Each job's scenarios, and what the job picker says of it.
JOB_SCENARIOS = {"aggregate": SCENARIOS, "chain": CHAIN_SCENARIOS}
JOB_LABELS = {"aggregate": "Aggregate: all pages at once",
              "chain": "Chain: each step decides the next"}
SLOW_MOTION = (1, 2, 5, 10)
# The setup line: how the two columns fetch. HTML: %(timeout)s is a span the script
# stretches with slow motion.
BOTH_ON_CLIENT = ("Both fetch through one shared Tornado HTTP client: %(client)s, at most "
                  "%(max_clients)s fetches at once, each given %(timeout)s s.")
BOTH_BLOCKING = ("Both fetch the blocking way, with urllib: at most %(max_clients)s fetches "
                 "at once, each given %(timeout)s s.")
ONE_OF_EACH = ("%(tornado)s fetches through the app's shared Tornado HTTP client (%(client)s), "
               "%(blocking)s the blocking way with urllib: at most %(max_clients)s fetches at "
               "once, each given %(timeout)s s.")
SETUP_SENTENCES = (BOTH_ON_CLIENT, BOTH_BLOCKING, ONE_OF_EACH)


def highlighted(code, name, labelled_by=None, **options):
    """Python as HTML, in a box that scrolls sideways: one a keyboard can reach, its id
    `name`, named by the elements whose ids are labelled_by (by default `name`-title)."""
    formatter = HtmlFormatter(style=HIGHLIGHT_STYLE, cssclass="source", **options)
    return highlight(code, PythonLexer(), formatter).replace(
        '<div class="source">', f'<div class="source" id="{name}" tabindex="0" role="region" '
                                f'aria-labelledby="{labelled_by or name + "-title"}">', 1)


@functools.cache
def highlighted_source(name, job="aggregate"):
    """The style's module of `job` as it runs, as HTML; each line a span with an id.

    Lines that show a point of comparison carry its names, for their marks and for the
    script that lights them up.
    """
    html = highlighted(STYLES[name].source(job), f"{name}-source",
                       linenos="inline", linespans=f"{name}-line")
    for line, points in marked_lines(name, job).items():
        span = f'<span id="{name}-line-{line}">'
        assert html.count(span) == 1
        html = html.replace(span, f'<span id="{name}-line-{line}" class="marked" '
                                  f'data-points="{" ".join(points)}">')
    return html


@functools.cache
def snippet(demo_name, function):
    """The code a break-it demo changes, highlighted, to show beside its button."""
    return highlighted(inspect.cleandoc("\n" + inspect.getsource(function)),
                       f"demo-{demo_name}-source")


def seed_delays():
    """The essay's sites with their usual delays: where the custom delays start."""
    return [(name, int(parse_qs(urlsplit(BUILT_IN[name]).query)["delay_ms"][0]))
            for name in SEED]


class PageHandler(BaseHandler):
    """A page that runs styles live: the scenario controls, and the script's words."""

    def render_page(self, template, script, **kwargs):
        kinds = {kind: self.locale.translate(label)
                 for kind, label in EVENT_LABELS.items()}
        errors = {text: self.locale.translate(text) for text in ERROR_TEXTS + SKIPPED_TEXTS}
        # As JavaScript writes a named group.
        patterns = [["^" + message_pattern(text).replace("(?P<", "(?<") + "$",
                     self.locale.translate(text)] for text in PATTERN_TEXTS]
        # ?job=chain&scenario=NAME: the job and scenario chosen, so that a comparison
        # can be shared. Only the arguments read are decoded: a page ignores the rest,
        # ?lang=%ff included.
        job = self.job
        scenario = chosen_scenario(
            {"scenario": self.get_query_arguments("scenario", strip=False)}, JOB_SCENARIOS[job])
        # Why "Step through the turns" cannot run here, said beside the button; or None.
        why = unavailable()
        turns_unavailable = why and why.translated(self.locale)
        self.render(template, scenarios=JOB_SCENARIOS[job], scenario=scenario,
                    scenario_labels=SCENARIO_LABELS, job=job, job_labels=JOB_LABELS,
                    seed_delays=seed_delays(), delay_limits=SIMULATOR_LIMITS["delay_ms"],
                    limits=RUN_LIMITS, slow_motion=SLOW_MOTION,
                    messages=self.script_translations(script, SAID.values()),
                    kinds=json_encode(kinds), errors=json_encode(errors),
                    patterns=json_encode(patterns),
                    config=self.application.config, turns_unavailable=turns_unavailable,
                    **kwargs)


    @functools.cached_property
    def job(self):
        job = one({"job": self.get_query_arguments("job", strip=False)}, "job", "aggregate")
        if job not in JOBS:
            raise BadInput("unknown job %(job)r: use %(jobs)s", job=job[:40],
                           jobs=", ".join(JOBS))
        return job


class IndexHandler(PageHandler):
    def get(self):
        # ?left=STYLE&right=STYLE: which two to compare, so a comparison can be shared.
        left, right = (self.chosen_style(side, default)
                       for side, default in zip(("left", "right"), DEFAULT_PAIR, strict=True))
        if left is right:
            raise BadInput("left and right are both %(style)s: choose two different styles",
                           style=left.name)
        # The points of comparison that both columns' sources show.
        points = [point for point in POINTS
                  if {left.name, right.name} <= set(point.patterns_of(self.job))]
        self.render_page("index.html", "index.js", styles=[left, right], all_styles=STYLES.values(),
                         points=points,
                         callback_traceback=callback_traceback() if points else "",
                         points_pair_url=self.pair_url(*DEFAULT_PAIR),
                         source=functools.partial(highlighted_source, job=self.job),
                         highlight_css=HighlightStyleHandler.url,
                         setup=self.setup_sentence(left, right),
                         demos=[self.demo_shown(demo, [left, right])
                                for demo in breakit.BREAK_IT_DEMOS if self.job in demo.jobs])

    def pair_url(self, left, right):
        """This page's address with another pair: the rest of the view kept."""
        # As sent, undecoded: a page ignores what it does not read, ?lang=%ff included.
        query = self.request.query_arguments | {"left": [left], "right": [right]}
        query.pop("point", None)
        return "/?" + urlencode([(name, value) for name, values in query.items()
                                 for value in values])

    def setup_sentence(self, left, right):
        """How the two columns fetch, and the timeout each fetch has, as HTML."""
        config = self.application.config
        translate = self.locale.translate
        timeout = (f'<span id="setup-timeout" data-seconds="{json_encode(config.timeout)}" '
                   f'data-most="{json_encode(MAX_TIMEOUT)}">{config.timeout}</span>')
        values = {"client": f"<code>{xhtml_escape(config.http_client)}</code>",
                  "max_clients": config.max_clients, "timeout": timeout}
        on_client = [style for style in (left, right) if not style.off_loop]
        off_loop = [style for style in (left, right) if style.off_loop]
        if not off_loop:
            return translate(BOTH_ON_CLIENT) % values
        if not on_client:
            return translate(BOTH_BLOCKING) % values
        return translate(ONE_OF_EACH) % (values | {
            "tornado": xhtml_escape(translate(on_client[0].title)),
            "blocking": xhtml_escape(translate(off_loop[0].title))})

    @staticmethod
    def demo_shown(demo, styles):
        """A break-it demo as its article shows it with these columns. Its button's data
        attributes: strings as they are, numbers and booleans as JSON, for the script."""
        setup = demo.setup(styles)
        data = {} if setup is None else {
            name: value if isinstance(value, str) else json_encode(value)
            for name, value in setup["data"].items()}
        return {"demo": demo, "snippet": snippet(demo.name, demo.changed), "data": data,
                "page": setup and setup["page"]}

    def chosen_style(self, side, default):
        name = one({side: self.get_query_arguments(side, strip=False)}, side, default)
        if name not in STYLES:
            raise BadInput("unknown style %(style)r for %(side)s: use %(styles)s",
                           style=name[:40], side=side, styles=", ".join(STYLES))
        return STYLES[name]


class AllHandler(PageHandler):
    """Every style's timeline, stacked on one time axis: who waits together, who in turn."""

    def get(self):
        self.render_page("all.html", "all.js", styles=list(STYLES.values()))


class HighlightStyleHandler(BaseHandler):
    """The sources' colours. Its address carries a hash of it, as static_url() gives
    static files: asked with the current one, it may be cached for good."""

    css = HtmlFormatter(style=HIGHLIGHT_STYLE).get_style_defs(".source")
    version = hashlib.sha256(css.encode()).hexdigest()[:16]
    url = f"/highlight.css?v={version}"
    CACHE_SECONDS = 365 * 24 * 3600

    def get(self):
        self.set_header("Content-Type", "text/css; charset=utf-8")
        if self.get_query_argument("v", None) == self.version:
            self.set_header("Cache-Control", f"public, max-age={self.CACHE_SECONDS}, immutable")
        else:  # an old address, or none: ask again each time (its ETag saves the body)
            self.set_header("Cache-Control", "no-cache")
        self.finish(self.css)
