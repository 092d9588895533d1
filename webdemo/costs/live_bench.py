"""The small bench a visitor starts from the costs page: `webdemo bench` with small sizes,
in a subprocess that is stopped after LIVE_BENCH_SECONDS.

It loads the whole machine, so: one at a time per machine (a lock file beside the results,
which every process of the site shares), none for COOLDOWN_SECONDS after the last one
ended, and on a shared site (bound to anything but loopback, or behind a proxy with
--allowed-host) none at all unless the operator passes --live-bench. Its figures are the
visitor's, not the site's: merged into a copy of the saved results that only the visitor
who started it is shown (by a cookie of theirs), never into the file everyone sees.
"""

import fcntl
import logging
import os
import secrets
import shutil
import signal
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from tornado.ioloop import IOLoop
from tornado.iostream import PipeIOStream

from webdemo.costs.results import read_progress
from webdemo.query import BadInput

LIVE_SIZES = "10,100"
LIVE_BENCH = ["--sizes", LIVE_SIZES, "--max-run-seconds", "5"]
LIVE_BENCH_SECONDS = 180
COOLDOWN_SECONDS = 60
log = logging.getLogger(__name__)


class LiveBench:
    """One small bench at a time, in a subprocess; its progress read from its stderr."""

    def __init__(self, results_path: Path, allowed: bool = True):
        self.results_path = results_path
        self.allowed = allowed  # off on a shared site, unless the operator said otherwise
        self.lock_path = Path(results_path).parent / "live-bench.lock"
        self.lock = None  # the lock file, held open while a bench of this process runs
        self.process = None
        self.progress = {"state": "idle"}
        self.owner = None  # the cookie of the visitor who started the last bench
        self.own_results = None  # its results: a copy of the saved ones, merged into

    def start(self, owner: str | None) -> tuple[dict, str]:
        """Starts a bench, or joins the one running; answers its progress, and its owner's
        token (a new one for the visitor who started it)."""
        if not self.allowed:
            raise BadInput("the live bench is off on this shared site: its operator can "
                           "turn it on with --live-bench", status_code=403)
        if self.progress["state"] == "running":
            return self.progress, owner
        self.take_lock()
        self.forget()
        self.owner = secrets.token_urlsafe(16)
        self.own_results = Path(tempfile.mkdtemp(prefix="webdemo-bench-")) / "bench.json"
        if Path(self.results_path).exists():
            shutil.copyfile(self.results_path, self.own_results)
        reading, writing = os.pipe()
        # A session of its own: stopping it stops the processes it started too.
        self.process = subprocess.Popen(
            [sys.executable, "-m", "webdemo", "bench", *LIVE_BENCH,
             "--results", str(self.own_results)],
            stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL, stderr=writing,
            start_new_session=True)
        os.close(writing)
        self.stream = PipeIOStream(reading)
        self.progress = {"state": "running", "done": 0, "steps": 0, "step": "starting"}
        self.deadline = IOLoop.current().call_later(LIVE_BENCH_SECONDS, self.stop)
        self.read_line()
        return self.progress, self.owner

    def take_lock(self) -> None:
        """Takes the machine's bench lock, or says why not; its time is when the last ended."""
        self.lock_path.parent.mkdir(parents=True, exist_ok=True)
        lock = open(self.lock_path, "a+")  # noqa: SIM115 (held open while the bench runs)
        try:
            fcntl.flock(lock, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            lock.close()
            raise BadInput("a bench is running on this machine already: try again when it "
                           "has ended", status_code=503) from None
        ended = os.fstat(lock.fileno()).st_mtime
        wait = COOLDOWN_SECONDS - (time.time() - ended) if os.fstat(lock.fileno()).st_size else 0
        if wait > 0:
            lock.close()
            raise BadInput("a bench ended less than %(cooldown)s s ago: try again in "
                           "%(seconds)s s", status_code=503, cooldown=COOLDOWN_SECONDS,
                           seconds=int(wait) + 1)
        self.lock = lock

    def release_lock(self, ended: bool) -> None:
        if self.lock is None:
            return
        if ended:  # the lock's time says when the last bench ended, for the cooldown
            self.lock.truncate(0)
            self.lock.write("ended\n")
            self.lock.flush()
        self.lock.close()
        self.lock = None

    def results_of(self, owner: str | None) -> Path | None:
        """The results of the visitor with this cookie's bench, once it is done."""
        if owner and owner == self.owner and self.progress["state"] == "done":
            return self.own_results
        return None

    def forget(self) -> None:
        if self.own_results:
            shutil.rmtree(self.own_results.parent, ignore_errors=True)
        self.owner = self.own_results = None

    def read_line(self):
        IOLoop.current().add_future(self.stream.read_until(b"\n", max_bytes=64 * 1024),
                                    self.take_line)

    def take_line(self, reading):
        if reading.exception():  # the end of its stderr: it has exited, or is exiting
            self.finished()
            return
        line = reading.result().decode(errors="replace").strip()
        progress = read_progress(line)
        if progress:
            self.progress.update(progress)
        elif line:
            log.warning("live bench: %s", line)
        self.read_line()

    def finished(self):
        IOLoop.current().remove_timeout(self.deadline)
        self.stream.close()
        self.release_lock(ended=True)
        try:
            status = self.process.wait(timeout=5)
        except subprocess.TimeoutExpired:
            self.process.kill()
            status = self.process.wait()
        if status == 0:
            self.progress = {"state": "done"}
        else:  # why, in no language yet: each visitor reads it in theirs
            self.progress = {"state": "failed", "why": "stopped" if status < 0 else "exited",
                             "status": status}

    def stop(self) -> None:
        """Ends a bench still running; its end of stderr then reports it failed."""
        if self.process and self.process.poll() is None:
            os.killpg(self.process.pid, signal.SIGKILL)

    def close(self) -> None:
        """Stops a bench still running, and lets go of its visitor's results."""
        self.stop()
        if self.process:  # killed, or ended: reaped at once, its end of stderr closed
            self.process.wait()
            self.stream.close()
        self.release_lock(ended=False)
        self.forget()
