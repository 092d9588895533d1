"""benchmarks/load.py still runs and judges: a short, small run of the real thing."""

import subprocess
import sys
from pathlib import Path

LOAD = Path(__file__).resolve().parents[1] / "benchmarks" / "load.py"


def test_a_short_load_run_finds_nothing_wrong():
    run = subprocess.run([sys.executable, str(LOAD), "--clients", "10", "--seconds", "1",
                          "--warmup", "0.5"], capture_output=True, text=True, timeout=60)
    lines = {line.split()[0]: line for line in run.stdout.splitlines() if line.strip()}
    assert lines["errors"].split()[1] == "0", run.stdout
    assert lines["mixed"].split()[1] == "0", run.stdout
    assert "0 callback counters, 0 fetches in flight" in lines["drained"], run.stdout
    assert "0 tracebacks, 0 lines at ERROR" in lines["stderr"], run.stdout
    assert int(lines["requests"].split()[1]) > 0, run.stdout
