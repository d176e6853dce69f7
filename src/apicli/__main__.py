"""`python -m apicli` and the `apicli` console script."""

from __future__ import annotations

import contextlib
import sys


def main() -> None:
    from .startup import pause_collector

    pause_collector()
    from .cli import run

    code = run()
    with contextlib.suppress(OSError, ValueError):
        sys.stdout.flush()
    sys.exit(code)


if __name__ == "__main__":
    main()
