"""Lighthouse's four scores for each page, as a web developer would check them.

Starts `python -m webdemo --port 0` on loopback and runs Lighthouse (from npm, on
Node 20: `npx lighthouse@12.2.3`, fetched on first use) against each page with the
system Chromium, on its mobile settings (a phone, throttled) and on desktop. Prints
performance, accessibility, best practices and SEO out of 100, and each scored audit
that did not fully pass.

    python benchmarks/lighthouse.py [--pages / /all ...] [--chromium /usr/bin/chromium]
"""

import argparse
import json
import os
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

from fanout import add_webdemo_args, start_webdemo, stop

LIGHTHOUSE = "lighthouse@12.2.3"
PAGES = ["/", "/all", "/costs", "/?lang=ko", "/callbacks"]
CATEGORIES = {"performance": "perf", "accessibility": "a11y",
              "best-practices": "best", "seo": "seo"}
# The flags Chromium needs here: as root, with no GPU, and no calls home on a closed network.
CHROME_FLAGS = ("--headless=new --no-sandbox --disable-gpu --no-first-run "
                "--disable-background-networking --disable-component-update --disable-sync")
RUN_SECONDS = 180


def lighthouse(url, chromium, preset, report):
    command = ["npx", "--yes", LIGHTHOUSE, url, "--quiet", "--output=json",
               f"--output-path={report}", f"--chrome-flags={CHROME_FLAGS}",
               "--only-categories=" + ",".join(CATEGORIES)]
    if preset == "desktop":
        command.append("--preset=desktop")
    subprocess.run(command, check=True, timeout=RUN_SECONDS,
                   env=os.environ | {"CHROME_PATH": chromium})
    return json.loads(Path(report).read_text())


def failed_audits(result):
    """The scored audits of the four categories that did not fully pass, by id."""
    ids = {ref["id"] for category in result["categories"].values()
           for ref in category["auditRefs"] if ref.get("weight")}
    return sorted(audit_id for audit_id in ids
                  if (score := result["audits"][audit_id]["score"]) is not None and score < 1)


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--pages", nargs="+", default=PAGES, metavar="PATH",
                        help=f"paths to check (default: {' '.join(PAGES)})")
    parser.add_argument("--chromium", default="/usr/bin/chromium",
                        help="the Chromium to drive (default: %(default)s)")
    add_webdemo_args(parser)
    args = parser.parse_args()
    if not shutil.which("npx"):
        sys.exit("lighthouse.py needs Node.js and npm (npx): apt-get install -y nodejs npm")
    if not shutil.which(args.chromium):
        sys.exit(f"no Chromium at {args.chromium}: apt-get install -y chromium")

    process, base = start_webdemo(args)
    try:
        print(f"{'page':<14}{'preset':<9}" + "".join(f"{name:>6}" for name in CATEGORIES.values())
              + "  audits not passed")
        with tempfile.TemporaryDirectory() as folder:
            for path in args.pages:
                for preset in ("mobile", "desktop"):
                    result = lighthouse(base + path.lstrip("/"), args.chromium, preset,
                                        Path(folder) / "report.json")
                    scores = "".join(
                        f"{round(100 * result['categories'][category]['score']):>6}"
                        for category in CATEGORIES)
                    print(f"{path:<14}{preset:<9}{scores}  {' '.join(failed_audits(result))}",
                          flush=True)
    finally:
        stop(process)


if __name__ == "__main__":
    main()
