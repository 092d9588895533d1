"""The README and docs/ say what the code does: the numbers they quote are the code's
constants, the flags are --help's, every relative link leads to a file (and heading) that
exists, every path they name exists, and the README's commands are the ones CI runs.

When one of these fails after a change to the code, the text is what to update: the
message says which file and what it should now say.
"""

import configparser
import re
import shlex
from pathlib import Path

import pytest

from webdemo.app import LISTEN_BACKLOG, Config
from webdemo.base import STALL_SECONDS
from webdemo.catalog import (
    MAX_FETCHES,
    MAX_SPEC_LENGTH,
    MAX_TIMEOUT,
    RUN_LIMITS,
    RUN_SECONDS,
    SIMULATOR_LIMITS,
    UNIT_BYTES,
)
from webdemo.claims import one_fails, races
from webdemo.claims.handlers import MAX_RUNS
from webdemo.classes import codes
from webdemo.classes.handlers import MAX_CLASS_PAGES, MAX_CLASS_PAGES_PER_ADDRESS, MAX_MEMBERS
from webdemo.cli import bench_parser, serve_parser
from webdemo.pages.breakit import BLOCK_EVERY_SECONDS, BLOCK_LIMITS, CALLBACK_GRACE_SECONDS
from webdemo.run.blocking import MAX_BODY_BYTES
from webdemo.run.capacity import FILES_PER_FETCH, FILES_RESERVED, MAX_CLIENTS
from webdemo.run.links import MAX_READ_BYTES
from webdemo.run.live import MAX_LIVE_STREAMS, MAX_STREAMS_PER_ADDRESS
from webdemo.run.record import MAX_FAILURES_SHOWN
from webdemo.scenarios import MAX_LINKS
from webdemo.serving import MAX_RESTARTS
from webdemo.trace.turns import MAX_ENTRIES, MAX_TRACED_PER_VISITOR, MAX_TRACED_RUNS

REPO = Path(__file__).resolve().parents[1]
README = REPO / "README.md"
DOCS = sorted((REPO / "docs").glob("*.md"))
PAGES = [README, *DOCS]
LINK = re.compile(r"\[[^\]]*\]\(([^)\s]+)\)")
CODE_BLOCK = re.compile(r"^```(\w*)\n(.*?)^```", re.MULTILINE | re.DOTALL)
# A path of this checkout named in backticks: `webdemo/run/shares.py`, `tests/`.
NAMED_PATH = re.compile(r"`((?:webdemo|tests|benchmarks|templates|static|locale|docs|\.ci)"
                        r"/[^`\s]*)`")
LONGEST_RUN = RUN_SECONDS + MAX_TIMEOUT


def text(name):
    return (REPO / name).read_text()


def number(value):
    """A number as the docs write it: 10,000,000; 0.1; 3 for 3.0."""
    if isinstance(value, float) and value.is_integer():
        value = int(value)
    return f"{value:,}" if isinstance(value, int) else str(value)


def bounds(low, high):
    return f"{number(low)} to {number(high)}"


def says(name, phrase):
    """Checks that the doc `name` says `phrase`, whitespace and line breaks aside."""
    flat = " ".join(text(name).split())
    assert " ".join(phrase.split()) in flat, f"{name} should say: {phrase!r}"


def table(name, heading_cell):
    """{first cell: [cells]} of the Markdown table in `name` whose header starts with
    heading_cell."""
    rows, inside = {}, False
    for line in text(name).splitlines():
        if not line.startswith("|"):
            inside = False
            continue
        if re.fullmatch(r"[|\-: ]+", line.strip()):  # the line under the header
            continue
        cells = [cell.strip() for cell in line.strip()[1:-1].split("|")]
        if cells[0] == heading_cell:
            inside = True
        elif inside:
            rows[cells[0]] = cells
    assert rows, f"{name} has no table headed {heading_cell!r}"
    return rows


def slug(heading):
    """The anchor GitHub gives a heading."""
    heading = re.sub(r"[^\w\- ]", "", heading.strip().lower())
    return heading.replace(" ", "-")


def anchors(path):
    return {slug(line.lstrip("#")) for line in path.read_text().splitlines()
            if line.startswith("#") and not line.startswith("#!")}


# -- links and paths ---------------------------------------------------------------------

def test_the_readme_links_to_every_page_of_docs():
    links = set(LINK.findall(README.read_text()))
    assert DOCS, "docs/ has no pages"
    for page in DOCS:
        assert f"docs/{page.name}" in links, f"README.md does not link to docs/{page.name}"


@pytest.mark.parametrize("page", PAGES, ids=lambda page: page.name)
def test_every_relative_link_leads_to_a_file_and_heading_that_exist(page):
    for link in LINK.findall(page.read_text()):
        if re.match(r"[a-z]+:", link):  # http:, https:, mailto:
            continue
        target, _, anchor = link.partition("#")
        path = (page.parent / target).resolve() if target else page
        assert path.exists(), f"{page.name} links to {link}: there is no {target}"
        if anchor:
            assert path.suffix == ".md", f"{page.name}: {link} is an anchor in a non-page"
            assert anchor in anchors(path), f"{page.name} links to {link}: no such heading"


@pytest.mark.parametrize("page", PAGES, ids=lambda page: page.name)
def test_every_path_named_exists(page):
    for named in NAMED_PATH.findall(page.read_text()):
        if re.search(r"[A-Z]{2,}", named):  # a placeholder: tests/test_MODULE.py
            continue
        assert (REPO / named.rstrip("/")).exists(), f"{page.name} names {named}: not there"


def test_contributing_names_every_module_of_the_house():
    layout = text("docs/contributing.md")
    modules = sorted(path.relative_to(REPO).as_posix()
                     for path in (REPO / "webdemo").rglob("*.py")
                     if path.name != "__init__.py")
    missing = [module for module in modules if f"`{module}`" not in layout]
    assert not missing, f"docs/contributing.md's layout should have a line for {missing}"


def test_benchmarks_doc_names_every_script():
    doc = text("docs/benchmarks.md")
    missing = [path.name for path in sorted((REPO / "benchmarks").glob("*.py"))
               if f"benchmarks/{path.name}" not in doc]
    assert not missing, f"docs/benchmarks.md should say what these measure: {missing}"


# -- the two commands --------------------------------------------------------------------

def shell_lines(markdown):
    """The commands of a page's sh blocks, comments aside."""
    return [line.split("  #")[0].strip() for language, block in CODE_BLOCK.findall(markdown)
            if language == "sh" for line in block.splitlines() if line.strip()]


def test_the_readme_gives_the_two_commands():
    commands = shell_lines(README.read_text())
    assert commands == ["pip install . && python -m webdemo",
                        "pip install '.[test]' && python -m pytest"]


def test_the_readme_test_command_is_what_ci_runs():
    test_command = shell_lines(README.read_text())[1]
    ci = [line.strip() for line in text(".ci/run").splitlines()
          if line.strip() and not line.strip().startswith("#")]
    assert test_command in ci, ".ci/run no longer runs the README's test command"
    says("README.md", "`bash .ci/run`")
    # What the README says .ci/run installs, it installs.
    for package in ("chromium", "nginx-light", "fonts-nanum", "npm", "poppler-utils"):
        assert f"{package})" in text(".ci/run"), package
    assert "npm ci" in text(".ci/run")


def test_the_readme_names_the_pythons_that_ci_runs():
    setup = configparser.ConfigParser()
    setup.read(REPO / "setup.cfg")
    versions = re.findall(r"Python :: (3\.\d+)", setup["metadata"]["classifiers"])
    assert setup["options"]["python_requires"] == f">={versions[0]}"
    says("README.md", f"Python {versions[0]} to {versions[-1]}")
    says("README.md", f"on each of Python {' and '.join(versions[1:])} that the machine has")
    assert f"for version in {' '.join(versions[1:])}; do" in text(".ci/run")


def test_the_readme_gives_the_address_it_serves():
    says("README.md", f"<http://{Config.host}:{Config.port}/>")


# -- flags -------------------------------------------------------------------------------

RANGE = re.compile(r"\(([\d.]+) to ([\d.]+)(?: each)?; default: ")


def flags(parser):
    """(flag, range or None, default) of each of the parser's options but --help."""
    for action in parser._actions:
        if "-h" in action.option_strings:
            continue
        found = RANGE.search(action.help or "")
        yield (action.option_strings[0], found and f"{found[1]} to {found[2]}",
               action.default)


def default_cell(default):
    """What a flag's default cell says, for a default the docs can write."""
    if default is False:
        return "off"
    if default in ({}, [], None):
        return "none"
    if isinstance(default, list):
        return ",".join(map(str, default))
    if isinstance(default, float):
        return f"`{number(default)}`"
    return f"`{default}`"


@pytest.mark.parametrize("doc, parser", [("docs/serving.md", serve_parser()),
                                         ("docs/benchmarks.md", bench_parser())],
                         ids=["serve", "bench"])
def test_the_flags_tables_say_the_ranges_and_defaults_of_help(doc, parser):
    rows = {cells[0].strip("`").split()[0]: cells for cells in table(doc, "flag").values()}
    for flag, range_, default in flags(parser):
        assert flag in rows, f"{doc} has no row for {flag}"
        _, range_cell, default_text, _ = rows[flag]
        assert range_cell == (range_ or ""), f"{doc}: {flag} is {range_} in --help"
        if flag == "--max-clients" and parser.prog == "webdemo":  # what the machine affords
            assert "open-file limit" in default_text
        elif flag in ("--bench-results", "--results"):  # under the home directory
            assert "`~/.cache/webdemo/bench.json`" in default_text
        elif flag == "--data-dir":  # under the home directory too
            assert "`~/.local/share/webdemo`" in default_text
        elif flag == "--styles":
            assert default_text == "all six" and len(default) == 6
        elif flag == "--http-client":
            assert default_text.startswith(f"`{default}`")
        else:
            cell = default_cell(default)
            assert cell in default_text, f"{doc}: {flag}'s default is {cell}"
    assert set(rows) == {flag for flag, _, _ in flags(parser)}, f"{doc} has a row too many"


def test_the_open_file_arithmetic():
    says("docs/serving.md", f"(open files − {FILES_RESERVED}) / {FILES_PER_FETCH}, at most "
                            f"{MAX_CLIENTS}. So {MAX_CLIENTS} needs "
                            f"{number(MAX_CLIENTS * FILES_PER_FETCH + FILES_RESERVED)} "
                            "descriptors")


# -- the limits --------------------------------------------------------------------------

def knob(limits, name):
    low, high, default = limits[name]
    return bounds(low, high) + ("" if default is None else f", default {number(default)}")


def budget(limit):
    """A RateLimit as the docs write it."""
    (burst, seconds), (all_burst, all_seconds) = limit.limits
    return (f"{number(burst)} at once per address, then one per {number(seconds)} s; "
            f"{number(all_burst)} at once in all, then one per {number(all_seconds)} s")


def test_the_limits_table_is_the_code():
    rows = table("docs/http.md", "what")
    expected = {
        "fetches per aggregate (`fetch=`, or a scenario)": f"at most {MAX_FETCHES}",
        "`n` (fan-out size)": knob(RUN_LIMITS, "n"),
        "`limit` (a run's fetches in flight)": knob(RUN_LIMITS, "limit")
                                               + ", default all of them",
        "`slow` (slow motion)": knob(RUN_LIMITS, "slow"),
        "`delay_ms` (simulator)": knob(SIMULATOR_LIMITS, "delay_ms"),
        "`bytes` (simulator)": knob(SIMULATOR_LIMITS, "bytes"),
        "`status` (simulator)": knob(SIMULATOR_LIMITS, "status"),
        "`links` (simulator)": f"at most {MAX_LINKS} names",
        "a fetch spec": f"at most {MAX_SPEC_LENGTH} characters",
        "a fetch's weight in the fair shares":
            f"1 unit, and 1 per {number(UNIT_BYTES)} bytes of its page",
        "a fetch's timeout (`--timeout`, times `slow`)":
            f"default {number(Config.timeout)} s, at most {MAX_TIMEOUT} s",
        "a run's fetches all sent within": f"{RUN_SECONDS} s, so a run ends by {LONGEST_RUN} s",
        "a response body": f"at most {number(MAX_BODY_BYTES)} bytes",
        "a chain's links read from a page":
            f"its first {number(MAX_READ_BYTES)} bytes, at most {MAX_LINKS} links",
        "`trace=turns` entries per run": f"at most {MAX_ENTRIES}",
        "traced runs at once": f"{MAX_TRACED_RUNS} in all, {MAX_TRACED_PER_VISITOR} per address",
        "failures shown per run (`failure`)": f"the first {MAX_FAILURES_SHOWN}",
        "live runs at once (`format=events`)":
            f"{MAX_LIVE_STREAMS} in all, {MAX_STREAMS_PER_ADDRESS} per address",
        "an event stream's reader (live runs, class pages)":
            f"cut when it takes nothing of what waits for {STALL_SECONDS} s",
        "claims runs at once": f"{MAX_RUNS}",
        "race visits (`n` of `/claims/race`)": knob({"n": races.VISITS}, "n"),
        "`leave_ms` (`/claims/one-fails`)": knob({"leave_ms": one_fails.LEAVE_MS},
                                                 "leave_ms"),
        "`block_ms` (`/break/blocking`)": knob(BLOCK_LIMITS, "block_ms")
                                          + f"; one per {number(BLOCK_EVERY_SECONDS)} s",
        "members per class": f"at most {MAX_MEMBERS}",
        "class pages open (event streams)":
            f"{MAX_CLASS_PAGES} per process, {MAX_CLASS_PAGES_PER_ADDRESS} per address",
        "classes opened": budget(codes.openings()),
        "joins (new members)": budget(codes.joins()),
        "wrong join codes": budget(codes.wrong_codes()),
    }
    for what, bound in expected.items():
        assert what in rows, f"docs/http.md's limits table has no row {what!r}"
        assert rows[what][1] == bound, f"docs/http.md: {what} is {bound!r}"
    # Nothing in the table that the code does not say.
    assert set(rows) <= set(expected) | {""}, set(rows) - set(expected)


def test_the_sentences_quote_the_code():
    live, share = MAX_LIVE_STREAMS, MAX_STREAMS_PER_ADDRESS
    says("docs/http.md", f"At most {live} live runs are under way at once, and at most "
                         f"{share} from one address")
    says("docs/serving.md", f"live streams: {live} at once, {share} per address")
    says("docs/serving.md", f"cut when their reader takes nothing of what waits for "
                            f"{STALL_SECONDS} s")
    says("docs/http.md", f"A stream whose reader takes nothing of what waits for it in the "
                         f"server for {STALL_SECONDS} s is cut")
    says("docs/serving.md", f"the live-stream bound ({live} per process)")
    says("docs/serving.md", f"claims runs: {MAX_RUNS} at once")
    says("docs/serving.md", f"the blocking demo: one per {number(BLOCK_EVERY_SECONDS)} s")
    says("docs/serving.md", f"a listen backlog of {LISTEN_BACKLOG}")
    says("docs/serving.md", f"(at most {MAX_RESTARTS} times)")
    says("docs/serving.md", f"all its fetches sent within {RUN_SECONDS} s")
    says("docs/serving.md", f"at most {number(MAX_BODY_BYTES)} bytes")
    says("docs/serving.md", f"(`--timeout`, at most {MAX_TIMEOUT} s)")
    says("docs/serving.md", f"within `--drain` seconds (by default {number(Config.drain_seconds)}")
    says("docs/http.md", f"{RUN_SECONDS} s after its run began fails unsent, so a run ends "
                         f"within {RUN_SECONDS} s plus its fetch timeout")
    says("docs/http.md", f"for the first {MAX_FAILURES_SHOWN} failed rows of a run")
    says("docs/http.md", f"A run records at most {MAX_ENTRIES} entries")
    says("docs/http.md", f"At most {MAX_TRACED_RUNS} traced runs are under way at once, "
                         f"{MAX_TRACED_PER_VISITOR} per address")
    says("docs/http.md", f"from its first {MAX_READ_BYTES // 1024} KiB, at most {MAX_LINKS}")
    says("docs/http.md", f"Past a page's {MAX_LINKS}th link")
    says("docs/http.md", f"waits {number(CALLBACK_GRACE_SECONDS)} s past the fetch")
    says("docs/http.md", f"One such demo per {number(BLOCK_EVERY_SECONDS)} s per address")
    says("docs/http.md", f"At most {MAX_RUNS} claims runs are under way at once")
    says("docs/http.md", f"one more for each {UNIT_BYTES // 1024} KiB its page is asked to bring")
    says("docs/http.md", f"a fetch of a 10 MB page holds {1 + 10_000_000 // UNIT_BYTES}")
    says("docs/serving.md", f"one per {UNIT_BYTES // 1024} KiB of its page")


# -- serving: the tested nginx configuration, the unit ------------------------------------

def directives(config):
    """The directive lines of an nginx configuration, as written."""
    return [line.strip() for line in config.splitlines() if line.strip().endswith(";")]


def test_the_nginx_block_is_the_tested_one():
    blocks = [block for language, block in CODE_BLOCK.findall(text("docs/serving.md"))
              if language == "nginx"]
    assert len(blocks) == 2  # the server block, and the upstream of several machines
    tested = re.search(r'CONFIG = """\\\n(.*?)"""', text("tests/test_proxy.py"), re.DOTALL)[1]
    tested = tested.replace("{{", "{").replace("}}", "}").replace("{upstream}", "127.0.0.1:8888")

    def location(config):
        return directives(config[config.index("location / {"):])

    assert location(blocks[0]) == location(tested)
    served = set(directives(tested))
    shown = set(directives(blocks[0])) - {"listen 80;", "server_name demo.example;"}
    assert shown <= served, shown - served
    read_timeout = re.search(r"proxy_read_timeout (\d+)s;", blocks[0])[1]
    assert int(read_timeout) > LONGEST_RUN
    says("docs/serving.md", f"A run may take up to {LONGEST_RUN} s")
    says("docs/serving.md", f"{read_timeout} s, longer than the longest run ({LONGEST_RUN} s)")


def test_the_upstream_of_several_machines_is_the_tested_one():
    shown = CODE_BLOCK.findall(text("docs/serving.md"))
    shown = directives(next(block for language, block in shown if "upstream" in block))
    tested = re.search(r'UPSTREAMS = """\n(.*?)"""', text("tests/test_class_proxy.py"),
                       re.DOTALL)[1]
    tested = directives(tested.replace("%d", "8888"))
    assert [line for line in shown if not line.startswith("server ")] == \
        [line for line in tested if not line.startswith("server ")]


def test_the_systemd_unit_gives_the_drain_time_to_finish():
    unit = next(block for language, block in CODE_BLOCK.findall(text("docs/serving.md"))
                if language == "ini")
    assert int(re.search(r"TimeoutStopSec=(\d+)", unit)[1]) > Config.drain_seconds
    command = shlex.split(re.search(r"ExecStart=(.*?)\n#", unit, re.DOTALL)[1]
                          .replace("\\\n", " "))
    serve_parser().parse_args(command[3:])  # flags that --help knows
    assert command[1:3] == ["-m", "webdemo"]
