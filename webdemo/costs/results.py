"""The bench results file, written by `webdemo bench` and charted by the costs page, and the
progress line the bench writes on stderr and the live bench reads back.

By default the file is ~/.cache/webdemo/bench.json ($XDG_CACHE_HOME/webdemo/bench.json), or
the path given to both commands (webdemo --bench-results PATH, webdemo bench --results PATH).
"""

import json
import os
import re
from pathlib import Path

from webdemo.registry import STYLES

# Why the bench skipped a run, in English; the costs page shows it in the visitor's language.
SKIPPED = ("would take at least %(at_least)g s, one fetch after another; "
           "--max-run-seconds is %(max_run_seconds)g")
# Runs measured with other values of these are not charted together.
COMPARABLE = ("delay_ms", "bytes", "max_clients", "timeout")
OUTCOMES = ("runs", "skipped", "failed")


def default_results_path() -> Path:
    cache = os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache"
    return Path(cache) / "webdemo" / "bench.json"


def load_results(path: Path) -> dict | None:
    """The results saved at path, or None if there are none yet (or none readable)."""
    try:
        results = json.loads(Path(path).read_text())
    except (OSError, ValueError):
        return None
    return results if isinstance(results, dict) and "runs" in results else None


def save_results(path: Path, results: dict) -> None:
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    partial = path.with_suffix(".partial")
    partial.write_text(json.dumps(results, indent=1))
    partial.replace(path)  # whole or not at all, for the page that reads it


def comparable(earlier: dict, latest: dict) -> bool:
    """Whether two benches measured alike: the same machine, the same pages and limits."""
    return (earlier.get("machine") == latest["machine"]
            and all(earlier.get("settings", {}).get(name) == latest["settings"][name]
                    for name in COMPARABLE))


def merged(earlier: dict | None, latest: dict) -> dict:
    """latest, with earlier's outcomes for the styles and sizes latest did not measure.

    A bench of a few styles or sizes then refreshes those and keeps the rest of the chart;
    a skip measures nothing, so it keeps an earlier run of its style and N. A bench measured
    otherwise (another machine, other pages) replaces earlier whole.
    """
    if earlier is None or not comparable(earlier, latest):
        return latest

    def key(run):
        return run["style"], run["fetches"]

    def keys(results, *outcomes):
        return {key(run) for outcome in outcomes for run in results.get(outcome, [])}

    latest_keys = keys(latest, "runs", "failed") | (keys(latest, "skipped")
                                                     - keys(earlier, "runs"))
    rank = {name: number for number, name in enumerate(STYLES)}

    def order(run):
        return run["fetches"], rank.get(run["style"], len(rank))

    both = {outcome: sorted([run for run in earlier.get(outcome, [])
                             if key(run) not in latest_keys]
                            + [run for run in latest[outcome] if key(run) in latest_keys],
                            key=order)
            for outcome in OUTCOMES}
    runs = [run for outcome in OUTCOMES for run in both[outcome]]
    settings = latest["settings"] | {
        "styles": sorted({run["style"] for run in runs}, key=lambda name: rank.get(name, 0)),
        "sizes": sorted({run["fetches"] for run in runs})}
    return latest | both | {"settings": settings}


# --- the progress line: one per step, where stderr is not a terminal ----------------------

PROGRESS = re.compile(r"bench: (\d+)/(\d+) (.*)")


def progress_line(done: int, steps: int, step: str) -> str:
    return f"bench: {done}/{steps} {step}"


def read_progress(line: str) -> dict | None:
    """{"done", "steps", "step"} from a progress line; None for any other line."""
    found = PROGRESS.fullmatch(line)
    if not found:
        return None
    done, steps, step = found.groups()
    return {"done": int(done), "steps": int(steps), "step": step}
