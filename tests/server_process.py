"""The app as a user runs it: `python -m webdemo --port 0 ...` in a subprocess of its own."""

import contextlib
import http.client
import json
import os
import queue
import re
import signal
import subprocess
import sys
import threading
import time
import zlib
from pathlib import Path
from urllib.parse import urlsplit

REPO = Path(__file__).resolve().parents[1]
START_SECONDS = 20  # to import Tornado and start the greenlet worker, on a busy machine
STOP_SECONDS = 10
ADDRESS_LINE = re.compile(r"webdemo: open (http://127\.0\.0\.1:(\d+)/) \(Ctrl-C to stop\)\n")


class Server:
    """A running server: its process, its port, and its stderr, in a file."""

    def __init__(self, log_path, *args):
        self.command = [sys.executable, "-m", "webdemo", "--port", "0", *args]
        self.log_path = log_path
        with open(log_path, "wb") as log:
            # A process group of its own, as a service or a terminal's job has.
            self.process = subprocess.Popen(self.command, cwd=REPO, stdout=subprocess.PIPE,
                                            stderr=log, text=True, start_new_session=True)
        lines = queue.Queue()
        threading.Thread(target=lambda: lines.put(self.process.stdout.readline()),
                         daemon=True).start()
        try:
            line = lines.get(timeout=START_SECONDS)
        except queue.Empty:
            line = None
        match = ADDRESS_LINE.fullmatch(line or "")
        if not match:
            self.stop()
            raise AssertionError(f"{' '.join(self.command)} printed {line!r}, not its "
                                 f"address; stderr: {self.log()}")
        self.url, self.port = match.group(1), int(match.group(2))

    def log(self):
        return self.log_path.read_text(errors="replace")

    def signal(self, signum=signal.SIGTERM, group=False):
        """Signals the server; with group, every process of it, as Ctrl-C in a terminal
        or a service manager's stop does."""
        if group:
            os.killpg(self.process.pid, signum)
        else:
            self.process.send_signal(signum)

    def wait(self, seconds=STOP_SECONDS):
        """The exit status, once it has exited: within `seconds`, or the test fails."""
        try:
            return self.process.wait(timeout=seconds)
        except subprocess.TimeoutExpired:
            raise AssertionError(f"still running {seconds} s later") from None

    def stop(self):
        if self.process.poll() is None:
            self.process.kill()
            self.process.wait(timeout=STOP_SECONDS)
        self.process.stdout.close()


@contextlib.contextmanager
def running(tmp_path, *args):
    server = Server(tmp_path / "stderr.log", *args)
    try:
        yield server
    finally:
        server.stop()


def get(url, headers=None, source=None, timeout=30):
    """(status, headers, body) of a GET; source is the address to connect from."""
    parts = urlsplit(url)
    connection = http.client.HTTPConnection(parts.hostname, parts.port, timeout=timeout,
                                            source_address=(source, 0) if source else None)
    try:
        connection.request("GET", f"{parts.path}?{parts.query}" if parts.query else parts.path,
                           headers=headers or {})
        response = connection.getresponse()
        return response.status, response.headers, response.read()
    finally:
        connection.close()


def get_json_blocking(url, headers=None, **options):
    status, _, body = get(url, headers={"Accept": "application/json"} | (headers or {}),
                          **options)
    return status, json.loads(body)


class EventStream:
    """A live run, read event by event as they arrive (gzipped, if the server chose)."""

    def __init__(self, url, headers=None, timeout=30):
        parts = urlsplit(url)
        self.connection = http.client.HTTPConnection(parts.hostname, parts.port,
                                                     timeout=timeout)
        self.connection.request("GET", f"{parts.path}?{parts.query}", headers=headers or {})
        self.response = self.connection.getresponse()
        self.gzipped = self.response.headers.get("Content-Encoding") == "gzip"
        self.unzip = zlib.decompressobj(16 + zlib.MAX_WBITS)
        self.buffer = ""

    def next(self):
        """The next (name, data, arrived monotonic s), or None at the end of the stream."""
        while "\n\n" not in self.buffer:
            chunk = self.response.read1(65536)  # what has arrived, as soon as it has
            if not chunk:
                return None
            self.buffer += (self.unzip.decompress(chunk) if self.gzipped else chunk).decode()
        block, self.buffer = self.buffer.split("\n\n", 1)
        fields = dict(line.split(": ", 1) for line in block.splitlines())
        return fields["event"], json.loads(fields["data"]), time.monotonic()

    def rest(self):
        events = []
        while (event := self.next()) is not None:
            events.append(event)
        return events

    def close(self):
        self.connection.close()


def refused(url):
    """Whether connecting to url's port is refused now."""
    parts = urlsplit(url)
    try:
        http.client.HTTPConnection(parts.hostname, parts.port, timeout=2).connect()
    except ConnectionRefusedError:
        return True
    return False


def until_blocking(condition, seconds=10.0, what="the condition"):
    """Waits, bounded, for something the server does on its own; blocks this thread
    (helpers.until() is the same, awaited on the loop)."""
    deadline = time.monotonic() + seconds
    while not condition():
        assert time.monotonic() < deadline, f"{what} did not come true within {seconds} s"
        time.sleep(0.02)
