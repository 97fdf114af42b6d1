"""Reproducible installs: requirements.lock pins every dependency pyproject.toml names (the
package, its dev and postgres extras), and scripts/setup.sh installs with it."""

from __future__ import annotations

import re
import tomllib
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]


def _name(requirement: str) -> str:
    return re.split(r"[<>=!~\[; ]", requirement.strip(), maxsplit=1)[0].lower().replace("_", "-")


def test_the_lock_pins_every_dependency():
    project = tomllib.loads((REPO / "pyproject.toml").read_text())["project"]
    wanted = {_name(r) for r in project["dependencies"]}
    for extra in ("dev", "postgres"):
        wanted |= {_name(r) for r in project["optional-dependencies"][extra]}
    pinned = {}
    for line in (REPO / "requirements.lock").read_text().splitlines():
        m = re.match(r"^([A-Za-z0-9_.\-]+)==(\S+)", line)
        if m:
            pinned[m.group(1).lower().replace("_", "-")] = m.group(2)
    assert wanted - set(pinned) == set(), sorted(wanted - set(pinned))


def test_setup_installs_with_the_lock():
    setup = (REPO / "scripts" / "setup.sh").read_text()
    installs = [line for line in setup.splitlines() if "pip install" in line
                and not line.lstrip().startswith("#")]
    assert installs and all("-c requirements.lock" in line for line in installs), installs
