"""The package as pip installs it: every package of the source tree goes with it.

A package missing from setup.cfg still imports from a checkout (the current folder is on
the path), so only an install run from another folder would find it gone.
"""

import configparser
from pathlib import Path

ROOT = Path(__file__).parent.parent


def test_every_package_of_the_tree_is_installed():
    setup = configparser.ConfigParser()
    setup.read(ROOT / "setup.cfg")
    listed = set(setup["options"]["packages"].split())
    in_tree = {".".join(init.parent.relative_to(ROOT).parts)
               for init in (ROOT / "webdemo").rglob("__init__.py")}
    assert in_tree <= listed, f"setup.cfg's packages should list {sorted(in_tree - listed)}"
