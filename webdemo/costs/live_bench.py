"""The small bench a visitor starts from the costs page: `webdemo bench` with small sizes,
one at a time, in a subprocess that is stopped after LIVE_BENCH_SECONDS. Its figures are
merged into the results file when it finishes, as any bench's are."""

import logging
import os
import signal
import subprocess
import sys
from pathlib import Path

from tornado.ioloop import IOLoop
from tornado.iostream import PipeIOStream

from webdemo.costs.results import read_progress

LIVE_SIZES = "10,100"
LIVE_BENCH = ["--sizes", LIVE_SIZES, "--max-run-seconds", "5"]
LIVE_BENCH_SECONDS = 180
log = logging.getLogger(__name__)


class LiveBench:
    """One small bench at a time, in a subprocess; its progress read from its stderr."""

    def __init__(self, results_path: Path):
        self.results_path = results_path
        self.process = None
        self.progress = {"state": "idle"}

    def start(self) -> dict:
        if self.progress["state"] == "running":
            return self.progress
        reading, writing = os.pipe()
        # A session of its own: stopping it stops the processes it started too.
        self.process = subprocess.Popen(
            [sys.executable, "-m", "webdemo", "bench", *LIVE_BENCH,
             "--results", str(self.results_path)],
            stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL, stderr=writing,
            start_new_session=True)
        os.close(writing)
        self.stream = PipeIOStream(reading)
        self.progress = {"state": "running", "done": 0, "steps": 0, "step": "starting"}
        self.deadline = IOLoop.current().call_later(LIVE_BENCH_SECONDS, self.stop)
        self.read_line()
        return self.progress

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
