"""/costs, the bench results against the essay's claims; /costs/bench, the live bench."""

from tornado.escape import xhtml_escape

from webdemo.base import BaseHandler
from webdemo.costs.chart import BAR_X, chart
from webdemo.costs.live_bench import LIVE_SIZES
from webdemo.costs.results import SKIPPED, load_results
from webdemo.costs.verdicts import VERDICTS, client
from webdemo.registry import STYLES

# The cookie of the visitor who started the live bench: they alone see its figures.
OWNER_COOKIE = "bench"
# Why a live bench failed, in English, to be translated.
BENCH_FAILED = {"stopped": "the bench failed: it took too long",
                "exited": "the bench failed: exit status %(status)s"}


def with_markup(message, **parts):
    """A translated message filled in as HTML: each part escaped, and a (tag, text) part
    wrapped in that tag, so that the translation places the markup with its words."""
    def html(part):
        if isinstance(part, tuple):
            tag, text = part
            return f"<{tag}>{xhtml_escape(str(text))}</{tag}>"
        return xhtml_escape(str(part))
    return message % {name: html(part) for name, part in parts.items()}


def measured(results):
    """The figures that the page's "Measured ..." sentence names."""
    machine, settings = results["machine"], results["settings"]
    return {"finished": results.get("finished", ""), "cpus": machine["cpus"],
            "python": machine["python"], "bytes": settings["bytes"],
            "delay_ms": settings["delay_ms"], "max_clients": settings["max_clients"]}


class CostsHandler(BaseHandler):
    def get(self):
        path = self.application.config.bench_results
        live_bench = self.application.live_bench
        own = live_bench.results_of(self.get_cookie(OWNER_COOKIE))
        results = load_results(own or path)
        if own:  # this visitor's alone
            self.set_header("Cache-Control", "private, no-store")
        self.render("costs.html", results=results, results_path=path, own=bool(results and own),
                    live_allowed=live_bench.allowed,
                    measured=measured(results) if results else {},
                    charts=[chart(claim, results) for claim in VERDICTS] if results else [],
                    bar_x=BAR_X, with_markup=with_markup,
                    live=self.application.live_bench.progress, live_sizes=LIVE_SIZES,
                    messages=self.script_translations("costs.js"),
                    skipped_because=self.skipped_because, client_of=client,
                    style_titles={name: style.title for name, style in STYLES.items()})

    def skipped_because(self, run):
        """Why the bench skipped run, in the visitor's language; from an older bench, as it
        said."""
        try:
            return self.locale.translate(SKIPPED) % run
        except (KeyError, TypeError, ValueError):
            return run["reason"]


class LiveBenchHandler(BaseHandler):
    """POST starts the small bench (or joins the one running); GET says how far it is."""

    def post(self):  # xsrf_cookies: only the costs page, with its token, gets here
        progress, owner = self.application.live_bench.start(self.get_cookie(OWNER_COOKIE))
        if owner:
            self.set_cookie(OWNER_COOKIE, owner, httponly=True, samesite="Strict")
        self.set_status(202)
        self.finish(self.in_language(progress))

    def get(self):
        self.set_header("Cache-Control", "no-store")
        self.finish(self.in_language(self.application.live_bench.progress))

    def in_language(self, progress):
        """The progress as the visitor reads it: why a bench failed, in their language."""
        if progress["state"] != "failed":
            return progress
        why = self.locale.translate(BENCH_FAILED[progress["why"]]) % progress
        return {"state": "failed", "error": why}
