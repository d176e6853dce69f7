"""Print pip constraints that pin every direct dependency to the lowest version pyproject.toml allows.

A floor in pyproject.toml is a promise; `make test-floors` installs these pins and runs the suite
on them, so a floor that the code has outgrown fails CI instead of a user's install.

Usage: floors.py PYPROJECT [EXTRA ...]. The floor of a requirement is its first `>=` (or `~=`)
version; a requirement without one (`types-requests`) is left to the resolver, and the project's
own name (`apicli[all]` in an extra) is skipped. Environment markers are kept on the pin.
"""

from __future__ import annotations

import re
import sys
import tomllib
from pathlib import Path
from typing import NamedTuple

# PEP 508: a name, optional [extras], then specifiers (optionally in parentheses), then `; marker`.
_NAME = re.compile(r"\s*([A-Za-z0-9](?:[A-Za-z0-9._-]*[A-Za-z0-9])?)\s*(?:\[[^\]]*\])?")
_FLOOR = re.compile(r"(?:>=|~=)\s*([0-9][^,;\s)]*)")


class Floor(NamedTuple):
    name: str
    version: str
    marker: str  # "" or "; ..." as written

    def pin(self) -> str:
        return f"{self.name}=={self.version}{self.marker}"


def normalize(name: str) -> str:
    """PEP 503: PySocks, pysocks and py_socks are one project."""
    return re.sub(r"[-_.]+", "-", name).lower()


def parse(requirement: str) -> Floor | None:
    """The floor of one requirement string, or None when it names no lower bound."""
    match = _NAME.match(requirement)
    if match is None:
        raise ValueError(f"not a requirement: {requirement!r}")
    rest = requirement[match.end() :]
    specifiers, semicolon, marker = rest.partition(";")
    if "@" in specifiers:
        return None  # a direct URL reference has no version to pin
    floor = _FLOOR.search(specifiers)
    if floor is None:
        return None
    return Floor(match.group(1), floor.group(1), f";{marker}" if semicolon else "")


def floors(pyproject: Path, extras: list[str]) -> list[str]:
    project = tomllib.loads(pyproject.read_text(encoding="utf-8"))["project"]
    requirements = list(project["dependencies"])
    optional = project.get("optional-dependencies", {})
    for extra in extras:
        if extra not in optional:
            raise SystemExit(f"floors.py: {pyproject} has no extra {extra!r}")
        requirements += optional[extra]
    pins: dict[str, Floor] = {}
    for requirement in requirements:
        floor = parse(requirement)
        if floor is None or normalize(floor.name) == normalize(project["name"]):
            continue
        key = normalize(floor.name)
        if key in pins and pins[key].version != floor.version:
            raise SystemExit(f"floors.py: {floor.name} has two floors, {pins[key].version} and {floor.version}")
        pins[key] = floor
    return sorted(floor.pin() for floor in pins.values())


if __name__ == "__main__":
    if len(sys.argv) < 2:
        raise SystemExit(__doc__)
    print("\n".join(floors(Path(sys.argv[1]), sys.argv[2:])))
