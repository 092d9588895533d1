"""The command line: a real `python -m webdemo` process."""

import json
import os
import re
import selectors
import signal
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import pytest
from helpers import aggregate

from webdemo.app import Config
from webdemo.loops import LOOPS
from webdemo.registry import STYLES

ADDRESS = re.compile(rb"webdemo: open (http://127\.0\.0\.1:(\d+)/)")


def start(command, cwd, **popen):
    """Starts the server; returns the process and the address it printed."""
    process = subprocess.Popen(command, cwd=cwd, stdout=subprocess.PIPE,
                               stderr=subprocess.PIPE, **popen)
    with selectors.DefaultSelector() as selector:
        selector.register(process.stdout, selectors.EVENT_READ)
        if not selector.select(timeout=15):
            process.kill()
            pytest.fail("the server printed no address within 15 s")
    line = process.stdout.readline()
    match = ADDRESS.match(line)
    if not match:
        process.kill()
        pytest.fail(f"unexpected first line: {line!r}; stderr: {process.stderr.read()!r}")
    return process, match.group(1).decode()


def stop(process):
    process.terminate()
    try:
        process.wait(timeout=5)
    except subprocess.TimeoutExpired:
        process.kill()
        process.wait()
    process.stdout.close()
    process.stderr.close()


def get(url):
    with urllib.request.urlopen(url, timeout=10) as response:
        return response.status, response.read()


@pytest.mark.parametrize("command", [
    [sys.executable, "-m", "webdemo", "--port", "0"],
    [str(Path(sys.executable).with_name("webdemo")), "--port", "0"],
], ids=["python -m webdemo", "webdemo script"])
def test_serves_every_page_from_any_folder(tmp_path, command):
    process, url = start(command, cwd=tmp_path)
    try:
        status, page = get(url)
        assert status == 200
        assert b"handle_response" in page and b"fetch_one" in page  # both sources
        for asset in re.findall(rb'(?:href|src)="(/[^"]+)"', page):
            assert get(url + asset.decode().lstrip("/"))[0] == 200
        status, body = get(url + "coroutines?format=json")
        assert [row["status"] for row in json.loads(body)["results"]] == [200, 200, 200]
    finally:
        stop(process)


def test_help_explains_every_flag():
    result = subprocess.run([sys.executable, "-m", "webdemo", "--help"],
                            capture_output=True, text=True, timeout=30)
    assert result.returncode == 0
    for flag in ("--host", "--port", "--timeout", "--max-clients", "--target", "--debug"):
        assert flag in result.stdout
    assert "webdemo bench --help" in result.stdout  # the subcommand, and where it is explained


@pytest.mark.parametrize("flags, message", [
    (["--port", "-1"], "--port: -1 is not from 0 to 65535"),
    (["--port", "http"], "--port: 'http' is not a number"),
    (["--timeout", "0"], "--timeout: 0 is not from 0.1 to 25"),
    (["--timeout", "nan"], "--timeout: nan is not from 0.1 to 25"),
    (["--max-clients", "0"], "--max-clients: 0 is not from 1 to 1000"),
    (["--target", "files=file:///etc/passwd"], "is not an http or https URL"),
    (["--target", "ftp=ftp://example.com/"], "is not an http or https URL"),
    (["--target", "secret=http://user:pw@example.com/"], "credentials in the URL"),
    (["--target", "python.org=http://example.com/"], "is built in"),
    (["--target", "example.com"], "expected NAME=URL"),
    (["--target", "a=http://example.com/", "--target", "a=http://example.org/"],
     "'a' is given twice"),
    (["--colour"], "unrecognized arguments: --colour"),
    (["--loop", "trio"], "--loop: invalid choice: 'trio'"),
])
def test_a_bad_flag_is_one_line_and_status_2(flags, message):
    result = subprocess.run([sys.executable, "-m", "webdemo", *flags],
                            capture_output=True, text=True, timeout=30)
    assert result.returncode == 2
    assert message in result.stderr
    assert len(result.stderr.strip().splitlines()) == 1
    assert "Traceback" not in result.stderr


@pytest.mark.parametrize("target", ["example.com", "files=file:///etc/passwd",
                                    "python.org=http://example.com/",
                                    "secret=http://user:pw@example.com/"])
def test_a_target_error_names_the_flag_once(target):
    result = subprocess.run([sys.executable, "-m", "webdemo", "--target", target],
                            capture_output=True, text=True, timeout=30)
    assert result.returncode == 2 and result.stderr.count("--target") == 1, result.stderr


def help_of(*command):
    """The --help of webdemo (or of a subcommand), its lines joined: words wrap anywhere."""
    result = subprocess.run([sys.executable, "-m", "webdemo", *command, "--help"],
                            capture_output=True, text=True, timeout=30)
    assert result.returncode == 0
    return " ".join(result.stdout.split())


def test_help_shows_the_bench_in_its_usage():
    usage = help_of().split(" Serve the same ")[0]
    assert usage.startswith("usage: webdemo [-h] [--host HOST]")
    assert "webdemo bench [-h] [--styles A,B] [--sizes N,N]" in usage


@pytest.mark.parametrize("command, flag", [
    *(([], flag) for flag in ("--port", "--timeout", "--max-clients", "--processes")),
    *((["bench"], flag) for flag in ("--sizes", "--delay-ms", "--bytes", "--max-clients",
                                     "--timeout", "--max-run-seconds")),
])
def test_help_gives_each_bounded_flag_the_range_its_error_gives(command, flag):
    refused = subprocess.run([sys.executable, "-m", "webdemo", *command, flag, "-1"],
                             capture_output=True, text=True, timeout=30)
    bounds = re.search(r"is not from (\S+ to \S+) \(see --help\)", refused.stderr).group(1)
    explained = help_of(*command).split("options:")[1].split(f" {flag} ", 1)[1]
    assert f"({bounds}" in explained.split("default:")[0]


def test_help_gives_the_loops_this_machine_can_run():
    assert f"--loop {{{','.join(LOOPS)}}}" in help_of()
    explained = help_of().split("options:")[1].split(" --loop ", 1)[1]
    assert f"(default: {LOOPS[0]})" in explained.split(" --")[0]


@pytest.mark.parametrize("loop", LOOPS)
def test_every_style_runs_on_each_loop_and_the_page_says_which(tmp_path, loop):
    # The curl client, the threads' executor, the greenlet worker's socket and Ctrl-C,
    # each on the loop asked for.
    process, url = start([sys.executable, "-m", "webdemo", "--port", "0", "--loop", loop],
                         cwd=tmp_path, process_group=0,
                         preexec_fn=lambda: signal.signal(signal.SIGINT, signal.SIG_DFL))
    try:
        page = get(url)[1].decode()
        assert f"runs on the <code>{loop}</code> event loop" in page
        for style in STYLES:
            status, body = get(url + f"{style}?format=json")
            assert status == 200 and json.loads(body)["ok"] == 3, style
        os.killpg(process.pid, signal.SIGINT)
        assert process.wait(timeout=10) == 0
        assert process.stderr.read() == b""
    finally:
        stop(process)


def test_a_port_in_use_is_a_clear_error(tmp_path):
    process, url = start([sys.executable, "-m", "webdemo", "--port", "0"], cwd=tmp_path)
    try:
        port = url.rsplit(":", 1)[1].strip("/")
        result = subprocess.run([sys.executable, "-m", "webdemo", "--port", port],
                                capture_output=True, text=True, timeout=30)
    finally:
        stop(process)
    assert result.returncode == 1
    assert f"cannot listen on 127.0.0.1:{port}" in result.stderr
    assert "Traceback" not in result.stderr


@pytest.fixture
def config(http_port):
    # An operator target, here this same test server's simulator under another name.
    mine = f"http://127.0.0.1:{http_port}/upstream/mine?bytes=321"
    return Config(port=http_port, timeout=1.0, targets={"mine": mine})


@pytest.mark.gen_test
@pytest.mark.parametrize("style", ["callbacks", "coroutines"])
async def test_an_operator_target_can_be_fetched_by_its_name(http_client, base_url, style):
    result = await aggregate(http_client, base_url, style, fetch=["mine", "python.org"])
    assert [(row["target"], row["bytes"]) for row in result["results"]] == \
        [("mine", 321), ("python.org", 20480)]


def children_of(pid):
    return [int(child) for child in
            Path(f"/proc/{pid}/task/{pid}/children").read_text().split()]


@pytest.mark.skipif(not Path("/proc/self/task").exists(), reason="reads /proc (Linux)")
def test_processes_share_the_port_and_stop_with_their_supervisor(tmp_path):
    process, url = start([sys.executable, "-m", "webdemo", "--port", "0", "--processes", "2"],
                         cwd=tmp_path)
    try:
        status, body = get(url + "callbacks?format=json")
        assert status == 200 and json.loads(body)["ok"] == 3
        workers = children_of(process.pid)
        assert len(workers) == 2
    finally:
        stop(process)
    assert_all_end(workers, "workers outlived their supervisor")


def test_ctrl_c_stops_the_server_and_its_worker_quietly(tmp_path):
    # Ctrl-C signals the terminal's whole process group: the server and its worker.
    process, url = start([sys.executable, "-m", "webdemo", "--port", "0"], cwd=tmp_path,
                         process_group=0,
                         preexec_fn=lambda: signal.signal(signal.SIGINT, signal.SIG_DFL))
    try:
        status, body = get(url + "greenlets?format=json")  # the worker is up and answering
        assert status == 200 and json.loads(body)["ok"] == 3
        workers = children_of(process.pid)
        os.killpg(process.pid, signal.SIGINT)
        assert process.wait(timeout=10) == 0
        assert process.stderr.read() == b""  # no traceback from either process
    finally:
        stop(process)
    assert_all_end(workers, "the worker outlived the server")


def assert_all_end(pids, failure):
    """Waits up to 10 s for every process in pids to end."""
    deadline = time.monotonic() + 10
    while any(map(alive, pids)):
        assert time.monotonic() < deadline, failure
        time.sleep(0.05)


def alive(pid):
    try:
        state = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
    except FileNotFoundError:
        return False
    return state != "Z"  # a zombie has exited, and waits only to be reaped


@pytest.mark.gen_test
async def test_the_page_says_which_client_runs(http_client, base_url, config):
    page = (await http_client.fetch(base_url + "/")).body.decode()
    assert f"<code>{config.http_client}</code>" in page
