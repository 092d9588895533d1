"""The app: Config, what the command line sets; App, the routes and what the app owns."""

import hmac
import logging
from dataclasses import dataclass, field
from pathlib import Path

from tornado.simple_httpclient import SimpleAsyncHTTPClient
from tornado.web import Application

from webdemo.base import (
    ForeignHostHandler,
    NotFoundHandler,
    PageCompression,
    StaticHandler,
    StoppingHandler,
    is_loopback,
    load_translations,
    resource_dir,
)
from webdemo.catalog import MAX_FETCHES, MAX_TIMEOUT, RUN_SECONDS, Catalog
from webdemo.claims import handlers as claims
from webdemo.classes import codes
from webdemo.classes.handlers import routes as class_routes
from webdemo.classes.hub import CLASS_RUN_HEADER, CLASS_RUN_SECRET, Hub
from webdemo.classes.store import default_data_dir
from webdemo.costs.handlers import CostsHandler, LiveBenchHandler
from webdemo.costs.live_bench import LiveBench
from webdemo.costs.results import default_results_path
from webdemo.learn.handlers import ROUTES as LEARN_ROUTES
from webdemo.loops import LOOPS
from webdemo.pages import breakit
from webdemo.pages.side_by_side import AllHandler, HighlightStyleHandler, IndexHandler
from webdemo.pages.stats import StatsHandler
from webdemo.registry import STYLES
from webdemo.run import live
from webdemo.run.blocking import MAX_BODY_BYTES
from webdemo.run.metrics import InFlight
from webdemo.run.shares import FairPool, Shares
from webdemo.upstream import UpstreamHandler
from webdemo.workers.supervisor import GRACE_SECONDS, Workers

# The app connects to its own simulator once per fetch, up to 200 at once per visitor:
# Tornado's default listen backlog of 128 would drop connections past it.
LISTEN_BACKLOG = 2048

try:  # libcurl reuses connections: the same fan-out costs about a third less CPU
    from tornado.curl_httpclient import CurlAsyncHTTPClient
except ImportError:  # pycurl is not installed
    CurlAsyncHTTPClient = None

HTTP_CLIENTS = {"simple": SimpleAsyncHTTPClient, "curl": CurlAsyncHTTPClient}


@dataclass(frozen=True)
class Config:
    host: str = "127.0.0.1"
    port: int = 8888
    timeout: float = 3.0  # seconds per fetch, connecting included
    max_clients: int = 200  # fetches at once, across all requests
    http_client: str = "curl" if CurlAsyncHTTPClient else "simple"
    loop: str = LOOPS[0]  # the event loop, by its name in webdemo.loops
    processes: int = 1
    targets: dict = field(default_factory=dict)  # the operator's --target NAME=URL
    # The simulator serves up to 10,000,000 bytes; a larger answer is refused mid-body.
    max_body_bytes: int = MAX_BODY_BYTES
    debug: bool = False
    max_fetches: int = MAX_FETCHES  # per aggregate; only the bench asks for more
    bench_results: Path = field(default_factory=default_results_path)  # the costs page's
    # Behind a reverse proxy: the public names it answers to while bound to loopback,
    # and whether to trust the proxy's X-Forwarded-For, X-Real-IP, X-Forwarded-Proto.
    allowed_hosts: tuple = ()
    xheaders: bool = False
    # Whether this process is a blocking demo's own loop (webdemo/blocking_loop.py).
    own_loop: bool = False
    # Whether visitors may run the live bench on /costs on a shared site (see shared).
    live_bench: bool = False
    # Whether runs share the slots fairly (webdemo/run/shares.py); the bench's lone run
    # takes them all, so that it measures the style.
    fair_shares: bool = True
    # On a stop, how long the runs under way may take to finish: by default as long as
    # any run can take, all its fetches sent within RUN_SECONDS, each within the timeout.
    drain_seconds: float = RUN_SECONDS + MAX_TIMEOUT
    # Class mode's store (webdemo/classes/), and how long a class lasts before it is deleted.
    data_dir: Path = field(default_factory=default_data_dir)
    class_hours: float = 12.0
    # Past the fetch timeout, how long a worker process's job may say nothing before it
    # fails (webdemo/workers/supervisor.py).
    worker_grace_seconds: float = GRACE_SECONDS

    @property
    def shared(self):
        """Whether visitors from elsewhere reach it: bound beyond loopback, or behind a proxy."""
        return not is_loopback(self.host) or bool(self.allowed_hosts)

    @property
    def url(self):
        """The address to open, and the base of the simulator URLs the app fetches."""
        host = {"": "127.0.0.1", "0.0.0.0": "127.0.0.1", "::": "::1"}.get(self.host, self.host)
        return f"http://{f'[{host}]' if ':' in host else host}:{self.port}/"


ACCESS_LOG = logging.getLogger("tornado.access")


def log_request(handler):
    # The simulator answers 500 on purpose when asked to: not an error of this server.
    if isinstance(handler, UpstreamHandler):
        level = logging.DEBUG
    else:
        status = handler.get_status()
        # A 503 is this server turning a request away by design: too many live runs,
        # or a break-it demo asked for again too soon.
        level = (logging.INFO if status < 400 else
                 logging.WARNING if status < 500 or status == 503 else logging.ERROR)
    if ACCESS_LOG.isEnabledFor(level):  # on the hot path: format only what is logged
        refusal = getattr(handler, "refusal", None)  # a handler of Tornado's has none
        request = handler.request  # as Tornado's own line says it (_request_summary())
        ACCESS_LOG.log(level, "%d %s %s (%s) %.2fms%s", handler.get_status(), request.method,
                       codes.masked(request.uri), request.remote_ip, 1000 * request.request_time(),
                       f": {refusal}" if refusal else "")


class App(Application):
    """The routes, the settings, and what the app owns, as attributes: its config, its
    catalog, its HTTP client and the shares of its slots, its thread pool, its worker
    processes, the live bench, the live streams and who may open one (live_admission), the
    requests and runs a stop lets finish and whether it is stopping, what it has in flight,
    the blocking demos' own loops, who may run a claims demo (claims_admission), and class
    mode's: its hub (classes), the budgets of wrong class codes, of classes opened and of
    joins (class_guesses, class_openings, class_joins), and the class runs under way
    (runs_of_classes)."""

    def __init__(self, config: Config) -> None:
        load_translations()
        self.config = config
        self.catalog = Catalog(config.url, config.targets, config.timeout, config.max_fetches)
        # The app owns its client: Tornado's shared one runs 10 fetches at once, so a
        # fan-out of 100 would wait in line, and so would any other client in the process.
        # Every style fetches through this one client, so that a comparison stays fair.
        self.http_client = HTTP_CLIENTS[config.http_client](
            force_instance=True,
            max_clients=config.max_clients,
            max_body_size=config.max_body_bytes,
            defaults=dict(connect_timeout=config.timeout, request_timeout=config.timeout,
                          follow_redirects=False),
        )
        # Its slots, shared fairly between runs and visitors' addresses.
        self.client_shares = Shares(config.max_clients)
        # The off-loop styles' threads: one per fetch, as many at once as the client's.
        self.thread_pool = FairPool(config.max_clients)
        self.workers = Workers(config.timeout, config.max_clients,
                               {name: style.worker_module for name, style in STYLES.items()
                                if style.worker_module},
                               config.worker_grace_seconds)
        self.live_bench = LiveBench(config.bench_results,
                                    allowed=config.live_bench or not config.shared)
        self.live_streams = set()  # the handlers streaming a live run now
        self.live_admission = live.admission()  # who may open one now
        # What a stop lets finish (webdemo/serving.py): every request under way, and
        # every run until its answer has gone out.
        self.requests = set()
        self.runs = set()
        self.stopping = False
        self.in_flight = InFlight(config.max_clients)
        self.own_loops = breakit.OwnLoops(config.timeout)  # the blocking demos'
        self.claims_admission = claims.admission()  # who may run a claims demo now
        self.classes = Hub(self)  # class mode: its store, and this process's class pages
        self.class_guesses, self.class_openings = codes.wrong_codes(), codes.openings()
        self.class_joins = codes.joins()
        self.runs_of_classes = set()  # a task is kept while it runs
        self.closed = False
        # Tornado tries the routes in order: first the simulator's and the styles', the
        # requests every run makes (each fetch of a simulated page, each aggregate).
        routes = [(r"/upstream/([^/]*)", UpstreamHandler)]
        routes += [(rf"/{name}", style.aggregate_handler, {"style": name})
                   for name, style in STYLES.items()]
        routes += [
            (r"/", IndexHandler),
            (r"/all", AllHandler),
            (r"/highlight\.css", HighlightStyleHandler),
            (r"/costs", CostsHandler),
            (r"/costs/bench", LiveBenchHandler),
            (r"/stats", StatsHandler),
        ]
        routes += [(rf"/chain/{name}", style.chain_handler, {"style": name})
                   for name, style in STYLES.items()]
        routes += breakit.OWN_LOOP_ROUTES if config.own_loop else breakit.ROUTES
        routes += claims.routes(self.claims_admission)
        routes += LEARN_ROUTES
        routes += class_routes()
        super().__init__(
            routes,
            transforms=[PageCompression],
            template_path=resource_dir("templates"),
            static_path=resource_dir("static"),
            static_handler_class=StaticHandler,
            loopback_only=is_loopback(config.host),
            xsrf_cookies=True,  # the costs page posts its live bench: a form from elsewhere cannot
            default_handler_class=NotFoundHandler,
            log_function=log_request,
            debug=config.debug,
        )

    def find_handler(self, request, **kwargs):
        # DNS rebinding: a page from evil.example, whose name its owner then points at
        # 127.0.0.1, could read this server as its own origin. Its requests still carry
        # Host: evil.example, so a server only this machine can reach answers only to
        # this machine's names. Checked here, it covers every route, 404s and static files.
        # A reverse proxy on this machine passes the public names (--allowed-host).
        if (self.settings["loopback_only"] and not is_loopback(request.host_name)
                and request.host_name not in self.config.allowed_hosts):
            return self.get_handler_delegate(request, ForeignHostHandler)
        # Stopping, it still serves its simulator: the runs under way fetch it, through
        # this same port, from this process or another of --processes.
        # So are a class's own runs, which the stop waits for (serving.awaited()).
        if (self.stopping and not request.path.startswith("/upstream/")
                and self.class_of(request) is None):
            return self.get_handler_delegate(request, StoppingHandler)
        self.requests.add(request)
        return super().find_handler(request, **kwargs)

    def log_request(self, handler) -> None:
        self.requests.discard(handler.request)  # called once it has answered
        super().log_request(handler)

    def start_workers(self) -> None:
        """Starts the styles' worker processes now, so that no visitor waits for one to start.

        Without this, each starts on first use.
        """
        for name in self.workers.modules:
            self.workers.get(name)

    def visitor(self, request) -> str | None:
        """Whose share a run draws on: the visitor's address (the proxy's word for it
        with --xheaders), or a class's own run, its class; None, no share, when fairness
        is off."""
        if not self.config.fair_shares:
            return None
        code = self.class_of(request)
        return request.remote_ip if code is None else f"class {code}"

    @staticmethod
    def class_of(request) -> str | None:
        """The class a request runs for, if class mode sent it (classes/hub.py): from this
        machine, with this server's secret. Every other request: None."""
        said = request.headers.get(CLASS_RUN_HEADER)
        if said is None or not is_loopback(request.remote_ip):
            return None
        code, _, secret = said.partition(" ")
        return code if hmac.compare_digest(secret.encode(), CLASS_RUN_SECRET.encode()) else None

    def close(self) -> None:
        """Lets go of all it owns, once: a test may close its app, then its fixture again."""
        if self.closed:
            return
        self.closed = True
        self.http_client.close()
        self.thread_pool.shutdown()
        self.workers.close()
        self.live_bench.close()
        self.own_loops.close()
        self.catalog.close()
        self.classes.close()
