"""`python -m apicli` and the `apicli` console script."""

from __future__ import annotations


def main() -> None:
    from .startup import leave, pause_collector, skip_charset_detection

    pause_collector()
    skip_charset_detection()
    from .cli import run

    leave(run())


if __name__ == "__main__":
    main()
