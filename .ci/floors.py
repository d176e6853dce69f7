"""Print pip constraints that pin every direct dependency to the lowest version pyproject.toml allows.

A floor in pyproject.toml is a promise; `make test-floors` installs these pins and runs the suite
on them, so a floor that the code has outgrown fails CI instead of a user's install.
"""

from __future__ import annotations

import re
import sys
import tomllib
from pathlib import Path

# name, optional [extras], then the floor: the first ">=" in the specifier.
_REQUIREMENT = re.compile(r"^\s*([A-Za-z0-9_.-]+)\s*(?:\[[^\]]*\])?\s*(?:[^;]*?>=\s*([0-9][^,;\s]*))?[^;]*(;.*)?$")


def floors(pyproject: Path, extras: list[str]) -> list[str]:
    project = tomllib.loads(pyproject.read_text(encoding="utf-8"))["project"]
    requirements = list(project["dependencies"])
    optional = project.get("optional-dependencies", {})
    for extra in extras:
        requirements += optional.get(extra, [])
    pins: dict[str, str] = {}
    for requirement in requirements:
        match = _REQUIREMENT.match(requirement)
        if match is None or match.group(1).lower() == project["name"] or match.group(2) is None:
            continue
        marker = match.group(3) or ""
        pins[match.group(1).lower()] = f"{match.group(1)}=={match.group(2)}{marker}"
    return sorted(pins.values())


if __name__ == "__main__":
    print("\n".join(floors(Path(sys.argv[1]), sys.argv[2:])))
