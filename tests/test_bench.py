"""python -m webdemo bench, on a tiny size: every style runs, every figure is there."""

import json
import shutil
import subprocess
import sys

import pytest

from webdemo.costs.results import load_results, merged, read_progress, save_results
from webdemo.measure.main import table
from webdemo.registry import STYLES

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


def test_its_progress_reads_back_as_the_live_bench_reads_it(tiny_bench):
    done, _ = tiny_bench
    steps = [read_progress(line) for line in done.stderr.splitlines()]
    assert steps[0] == {"done": 0, "steps": len(STYLES), "step": "callbacks N=3"}
    assert steps[-1] == {"done": len(STYLES), "steps": len(STYLES), "step": "done"}


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


def test_a_bench_of_some_styles_and_sizes_keeps_the_other_results(tiny_bench, tmp_path):
    _, full = tiny_bench
    path = tmp_path / "results.json"
    shutil.copy(full, path)
    done = subprocess.run(
        [sys.executable, "-m", "webdemo", "bench", "--styles", "threads", "--sizes", "3,4",
         "--delay-ms", "20", "--results", str(path)],
        capture_output=True, text=True, timeout=60)
    assert done.returncode == 0, done.stderr
    assert f"Saved to {path}, with {len(STYLES) - 1} earlier runs of other styles or sizes" \
        in done.stdout
    earlier, saved = load_results(full), load_results(path)
    assert [(run["style"], run["fetches"]) for run in saved["runs"]] == \
        [(name, 3) for name in STYLES] + [("threads", 4)]
    assert [run for run in saved["runs"] if run["style"] != "threads"] == \
        [run for run in earlier["runs"] if run["style"] != "threads"]
    assert saved["settings"]["styles"] == list(STYLES) and saved["settings"]["sizes"] == [3, 4]


def results(delay_ms, *runs, failed=(), skipped=()):
    return {"machine": {"cpus": 2}, "settings": {"delay_ms": delay_ms, "bytes": 1024,
                                                 "max_clients": 1000, "timeout": 25,
                                                 "styles": [], "sizes": []},
            "runs": [{"style": style, "fetches": size} for style, size in runs],
            "skipped": [{"style": style, "fetches": size, "reason": "slow"}
                        for style, size in skipped],
            "failed": [{"style": style, "fetches": size, "error": "gone"}
                       for style, size in failed]}


def test_results_merge_only_when_measured_alike(tmp_path):
    earlier = results(100, ("threads", 10), ("callbacks", 100), failed=[("callbacks", 10)])
    latest = results(100, ("callbacks", 10))
    both = merged(earlier, latest)
    # Each style and N as last measured: the earlier failure is gone, runs in N then style order.
    assert [(run["style"], run["fetches"]) for run in both["runs"]] == \
        [("callbacks", 10), ("threads", 10), ("callbacks", 100)]
    assert both["failed"] == []
    assert both["settings"] | {"styles": ["callbacks", "threads"], "sizes": [10, 100]} == \
        both["settings"]
    # Other pages: the figures cannot share a chart, so the latest replace the earlier.
    assert merged(earlier, results(20, ("callbacks", 10))) == results(20, ("callbacks", 10))
    assert merged(None, latest) == latest
    # A skip measures nothing: an earlier run of its style and N stays; else it is said.
    live = merged(both, results(100, skipped=[("sequential", 100), ("threads", 10)]))
    assert [(run["style"], run["fetches"]) for run in live["skipped"]] == [("sequential", 100)]
    assert live["runs"] == both["runs"]
    save_results(tmp_path / "r.json", both)
    assert load_results(tmp_path / "r.json") == both
