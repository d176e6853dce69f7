"""The command line of apicli's file generators (completion scripts, docs and man page).

`python -m apicli.cli.X DIR` writes the files; `--check DIR` exits 1 naming each file that is
out of date, so a test (or CI) can tell that someone forgot to regenerate.
"""

from __future__ import annotations

import sys
from collections.abc import Callable, Sequence
from pathlib import Path


def run_generator(
    argv: Sequence[str] | None,
    *,
    module: str,
    target: str,
    stale: Callable[[Path], list[Path]],
    write: Callable[[Path], list[Path]],
    make_target: str,
) -> int:
    args = list(sys.argv[1:] if argv is None else argv)
    check = "--check" in args
    rest = [arg for arg in args if arg != "--check"]
    if len(rest) != 1 or rest[0].startswith("-"):
        sys.stderr.write(f"usage: python -m {module} [--check] {target}\n")
        return 2
    where = Path(rest[0])
    if check:
        out_of_date = stale(where)
        for path in out_of_date:
            sys.stderr.write(f"{path} is out of date; run: make {make_target}\n")
        return 1 if out_of_date else 0
    for path in write(where):
        sys.stdout.write(f"wrote {path}\n")
    return 0
