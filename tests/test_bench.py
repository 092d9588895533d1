"""python -m webdemo bench, on a tiny size: every style runs, every figure is there."""

import json
import subprocess
import sys

import pytest

from webdemo.bench.main import table
from webdemo.costs.results import load_results
from webdemo.styles import STYLES

FIGURES = {"wall_ms", "cpu_ms", "peak_rss_mb", "rss_before_mb", "voluntary_switches",
           "involuntary_switches", "threads", "processes"}


@pytest.fixture(scope="module")
def tiny_bench(tmp_path_factory):
    """One bench of every style at N=3, fast pages; its stdout, stderr and results file."""
    path = tmp_path_factory.mktemp("bench") / "results.json"
    done = subprocess.run(
        [sys.executable, "-m", "webdemo", "bench", "--json", "--sizes", "3",
         "--delay-ms", "20", "--results", str(path)],
        capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr
    return done, path


def test_its_json_has_every_figure_of_every_style(tiny_bench):
    done, _ = tiny_bench
    results = json.loads(done.stdout)  # one document, nothing else on stdout
    assert results["skipped"] == results["failed"] == []
    assert [(run["style"], run["fetches"]) for run in results["runs"]] == \
        [(name, 3) for name in STYLES]
    for run in results["runs"]:
        assert set(run) == FIGURES | {"style", "fetches"}
        # A run may go without being preempted: involuntary switches can be none.
        assert run["involuntary_switches"] >= 0
        for figure in FIGURES - {"involuntary_switches"}:
            assert isinstance(run[figure], int | float) and run[figure] > 0, (run, figure)
        assert run["peak_rss_mb"] >= run["rss_before_mb"]
    by_style = {run["style"]: run for run in results["runs"]}
    assert by_style["greenlets"]["processes"] == 2  # the worker counted in
    assert by_style["sequential"]["wall_ms"] >= 3 * 20
    assert results["settings"] | {"sizes": [3], "delay_ms": 20} == results["settings"]


def test_progress_goes_to_stderr_one_step_a_line(tiny_bench):
    done, _ = tiny_bench
    steps = [line for line in done.stderr.splitlines() if line.startswith("bench: ")]
    assert steps[0] == f"bench: 0/{len(STYLES)} callbacks N=3"
    assert steps[-1] == f"bench: {len(STYLES)}/{len(STYLES)} done"


def test_it_saves_what_it_printed_and_tabulates_it(tiny_bench):
    done, path = tiny_bench
    saved = load_results(path)
    assert saved == json.loads(done.stdout)
    lines = table(saved).splitlines()
    assert lines[0].split()[:3] == ["style", "N", "wall"]
    assert [line.split()[0] for line in lines[1:1 + len(STYLES)]] == list(STYLES)


def test_a_run_that_would_take_too_long_is_skipped_and_says_why(tmp_path):
    done = subprocess.run(
        [sys.executable, "-m", "webdemo", "bench", "--styles", "sequential", "--sizes", "50",
         "--delay-ms", "100", "--max-run-seconds", "2", "--results", str(tmp_path / "r.json")],
        capture_output=True, text=True, timeout=60)
    assert done.returncode == 0, done.stderr
    assert "sequential     50  skipped: would take at least 5 s, one fetch after another; " \
           "--max-run-seconds is 2" in done.stdout


@pytest.mark.parametrize("flags, message", [
    (["--styles", "fibers"], "unknown style 'fibers'"),
    (["--sizes", "1001"], "--sizes: 1001 is not from 1 to 1000"),
    (["--delay-ms", "-1"], "--delay-ms: -1 is not from 0 to 2000"),
    # Past the app's own bounds, which would cut the fetch or the run short unsaid.
    (["--timeout", "30"], "--timeout: 30 is not from 1 to 25"),
    (["--max-run-seconds", "61"], "--max-run-seconds: 61 is not from 1 to 60"),
])
def test_a_bad_flag_is_one_line_and_status_2(flags, message):
    done = subprocess.run([sys.executable, "-m", "webdemo", "bench", *flags],
                          capture_output=True, text=True, timeout=30)
    assert done.returncode == 2
    assert message in done.stderr and len(done.stderr.strip().splitlines()) == 1
