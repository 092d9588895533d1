"""The only place where what a visitor sends becomes URLs to fetch.

A visitor names targets; they never give a URL. A target is a catalog name (the
built-in simulated sites, and the operator's --target entries) or a path to this
server's own simulator, which is parsed, checked and rebuilt here, so nothing a
visitor typed reaches the HTTP client verbatim.
"""

import functools
import re
import socket
from dataclasses import dataclass
from urllib.parse import parse_qs, urlencode, urlsplit

from webdemo.query import BadInput, one, parse_int
from webdemo.scenarios import (
    BUILT_IN,
    CHAIN_PAGES,
    CHAIN_SCENARIOS,
    FAN_OUT_SIZE,
    MAX_LINKS,
    REFUSED,
    SCENARIOS,
    SEED,
)

MAX_FETCHES = 200
MAX_SPEC_LENGTH = 300
MAX_TIMEOUT = 25  # seconds: the longest --timeout, and so the longest any fetch waits
# A run's fetches must all have been sent within this long; any still waiting for a
# free slot then fail unsent. With each fetch bounded by its timeout, a run ends by
# RUN_SECONDS + MAX_TIMEOUT whatever the knobs.
RUN_SECONDS = 60

NAME = re.compile(r"[A-Za-z0-9][A-Za-z0-9._-]{0,63}")
SIMULATOR_PATH = re.compile(r"/upstream/([^/?#]*)")

# The simulator's knobs and their bounds: name -> (lowest, highest, default).
SIMULATOR_LIMITS = {
    "delay_ms": (0, 30_000, 0),
    "bytes": (0, 10_000_000, 1024),
    # A 1xx announces another answer, which never comes: a broken upstream, on demand.
    "status": (100, 599, 200),
}
# The run's knobs: name -> (lowest, highest, default); None means "as many as there are".
RUN_LIMITS = {
    "n": (1, FAN_OUT_SIZE, FAN_OUT_SIZE),  # how many fetches a fan-out makes
    "limit": (1, MAX_FETCHES, None),  # fetches of one run in flight at once
    "slow": (1, 10, 1),  # slow motion: simulated delays and the timeout times this
}


# What a fetch weighs in the server's fair shares (webdemo/run/shares.py): one unit, and
# one more for each UNIT_BYTES its page is expected to bring. A 10 MB page holds 39
# units where a seed page holds one, so a run of big pages cannot hold the loop's time
# and the server's memory that its count of fetches alone would allow it.
UNIT_BYTES = 256 * 1024


@dataclass(frozen=True)
class Target:
    name: str
    url: str
    # Its weight in units. An operator's target says nothing of its size before it
    # answers: it weighs one, as the operator chose it.
    units: int = 1


def check_name(name):
    """A simulator's name, checked."""
    if not NAME.fullmatch(name):
        raise BadInput("simulator name %(name)r is not allowed: use 1 to 64 letters, digits, "
                       "'.', '_' or '-'", name=name[:80])
    return name


def simulator_params(arguments):
    """Checks the simulator's query arguments ({name: [values]}); returns {name: int}
    and, when given, "links": [name, ...]."""
    known = [*SIMULATOR_LIMITS, "links"]
    unknown = sorted(set(arguments) - set(known))
    if unknown:
        raise BadInput("unknown simulator parameter %(name)r: use %(names)s",
                       name=unknown[0][:40], names=", ".join(known))
    params = {}
    for name, (_, _, default) in SIMULATOR_LIMITS.items():
        value = one(arguments, name)
        params[name] = default if value is None else parse_int(name, value, SIMULATOR_LIMITS)
    links = one(arguments, "links")
    if links:  # only when given: the pages that link nowhere keep their URLs
        params["links"] = link_names(links)
    return params


def link_names(text):
    """The names a simulated page links to, from links=a,b,c."""
    if text.count(",") >= MAX_LINKS:
        raise BadInput("a page links to at most %(most)s pages", most=MAX_LINKS)
    return [check_name(name) for name in text.split(",")]


def parse_operator_target(text):
    """Parses a --target NAME=URL given on the command line; raises ValueError."""
    name, sep, url = text.partition("=")
    if not sep:
        raise ValueError(f"{text!r}: expected NAME=URL")
    if not NAME.fullmatch(name):
        raise ValueError(f"name {name!r}: use letters, digits, '.', '_' or '-'")
    if name in BUILT_IN or name in CHAIN_PAGES or name == REFUSED:
        raise ValueError(f"name {name!r} is built in: choose another")
    parts = urlsplit(url)
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise ValueError(f"{name}: {url!r} is not an http or https URL")
    if parts.username is not None or parts.password is not None:
        raise ValueError(f"{name}: credentials in the URL are not allowed")
    return name, url


def hold_closed_port():
    """A socket bound to a loopback port but never listening: connecting is refused.

    Holding it keeps any other program from taking the port, so "refused" stays true.
    """
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    sock.bind(("127.0.0.1", 0))
    return sock


@dataclass(frozen=True)
class Plan:
    """One run: what to fetch, how many fetches at once, how long each may take."""
    targets: list
    limit: int
    timeout: float  # seconds, slow motion included
    slow: int


def chosen_scenario(arguments, scenarios=SCENARIOS):
    """The scenario named, given at most once and known, or None."""
    scenario = one(arguments, "scenario")
    if scenario is not None and scenario not in scenarios:
        raise BadInput("unknown scenario %(scenario)r: use %(scenarios)s",
                       scenario=scenario[:40], scenarios=", ".join(scenarios))
    return scenario


def run_knob(arguments, name, limits=RUN_LIMITS):
    """A whole number given at most once, within limits[name] = (lowest, highest, default)."""
    text = one(arguments, name)
    if not text:  # the page's form sends an empty field for "as many as there are"
        return limits[name][2]
    return parse_int(name, text, limits)


class Catalog:
    def __init__(self, self_url, operator_targets, timeout, max_fetches):
        self.self_url = self_url.rstrip("/")
        self.timeout = timeout
        self.max_fetches = max_fetches
        self._closed = hold_closed_port()
        # Every name and its URL; the built-in sites' are simulator paths, which a run in
        # slow motion stretches (simulated()).
        self.names = {name: self.self_url + path for name, path in BUILT_IN.items()}
        self.names[REFUSED] = f"http://127.0.0.1:{self._closed.getsockname()[1]}/"
        self.names.update(operator_targets)
        # A simulator path is checked and rebuilt once: the same paths come back run after
        # run, and rebuilding them took 3% of a 5-fetch aggregate's CPU. Bounded, as the
        # paths are the visitors'; a refused one raises, and is not kept.
        self.simulated = functools.lru_cache(maxsize=4096)(self.simulated)

    def close(self):
        self._closed.close()

    def plan(self, arguments):
        """Turns the query arguments ({name: [values]}) into the Plan of a run."""
        knobs = {name: run_knob(arguments, name) for name in RUN_LIMITS}
        delays = [parse_int("delay_ms", text, SIMULATOR_LIMITS)
                  for text in arguments.get("delay_ms", [])]
        scenario = chosen_scenario(arguments)
        specs = arguments.get("fetch", [])
        if specs and scenario is not None:
            raise BadInput("give fetch=... or scenario=..., not both")
        if scenario == "custom" and len(delays) != len(SEED):
            raise BadInput("the custom scenario needs delay_ms given %(count)s times, "
                           "one per site: %(sites)s", count=len(SEED), sites=", ".join(SEED))
        if scenario == "fan-out":
            specs = SCENARIOS[scenario][:knobs["n"]]
        elif scenario is not None:
            specs = SCENARIOS[scenario]
        if not specs:
            specs = SEED
        if len(specs) > self.max_fetches:
            raise BadInput("%(count)s fetches asked for: at most %(most)s",
                           count=len(specs), most=self.max_fetches)
        slow = knobs["slow"]
        if scenario == "custom":
            targets = [self.simulated(BUILT_IN[name], slow, delay)
                       for name, delay in zip(SEED, delays, strict=True)]
        else:
            targets = [self.target(spec, slow) for spec in specs]
        return Plan(targets, min(knobs["limit"] or len(targets), len(targets)),
                    self.fetch_timeout(slow), slow)

    def fetch_timeout(self, slow):
        """Seconds each fetch of a run may take, slow motion included."""
        return min(self.timeout * slow, MAX_TIMEOUT)

    def chain_plan(self, arguments):
        """The Plan of a chain: its start page alone, from scenario=NAME or start=SPEC;
        the pages it links to become targets as the chain reads them."""
        knobs = {name: run_knob(arguments, name) for name in ("limit", "slow")}
        scenario = chosen_scenario(arguments, CHAIN_SCENARIOS)
        start = one(arguments, "start") or None  # a form's empty field: the scenario's
        if start is not None and scenario is not None:
            raise BadInput("give start=... or scenario=..., not both")
        spec = CHAIN_SCENARIOS[scenario or "chain"] if start is None else start
        target = self.target(spec, knobs["slow"])
        # At most MAX_LINKS fetches are ever in flight: those of the middle step.
        return Plan([target], min(knobs["limit"] or MAX_LINKS, MAX_LINKS),
                    self.fetch_timeout(knobs["slow"]), knobs["slow"])

    def target(self, spec, slow):
        """The Target of a fetch= spec, a start= spec, or a link read from an upstream's
        page: an upstream is no more trusted than a visitor."""
        if spec in BUILT_IN:
            return self.simulated(BUILT_IN[spec], slow)
        if spec in CHAIN_PAGES:
            return self.simulated(CHAIN_PAGES[spec], slow)
        if spec in self.names:
            return Target(spec, self.names[spec])
        if len(spec) > MAX_SPEC_LENGTH:
            raise BadInput("a fetch spec is longer than %(most)s characters",
                           most=MAX_SPEC_LENGTH)
        return self.simulated(spec, slow)

    def simulated(self, spec, slow, delay_ms=None):
        """A simulator path, checked and rebuilt; slow motion stretches its delay."""
        path = SIMULATOR_PATH.fullmatch(spec.split("?", 1)[0])
        if not path:
            raise BadInput("unknown target %(spec)r: use one of %(names)s, or a simulator "
                           "path /upstream/NAME?delay_ms=D&bytes=B&status=S",
                           spec=spec[:80], names=", ".join(self.names))
        name = check_name(path.group(1))
        try:
            arguments = parse_qs(urlsplit(spec).query, keep_blank_values=True,
                                 strict_parsing=False, max_num_fields=10)
        except ValueError:
            raise BadInput("a simulator path has too many parameters") from None
        params = simulator_params(arguments)
        if delay_ms is not None:
            params["delay_ms"] = delay_ms
        # Capped at the simulator's longest delay, which outlasts MAX_TIMEOUT: a fetch
        # that hangs at normal speed still hangs in slow motion.
        params["delay_ms"] = min(params["delay_ms"] * slow, SIMULATOR_LIMITS["delay_ms"][1])
        if "links" in params:
            params["links"] = ",".join(params["links"])
        return Target(name, f"{self.self_url}/upstream/{name}?{urlencode(params, safe=',')}",
                      1 + params["bytes"] // UNIT_BYTES)
