"""libjq on its own: a local JSON file fed to it in 64 KiB pieces, results written to stdout.

The floor under `apicli get --jq PROGRAM`: the same libjq (the one the jq package ships) through
the same C interface, with no HTTP, no child process and no pipes.

    .venv/bin/python benchmarks/libjq_alone.py PROGRAM FILE
"""

from __future__ import annotations

import sys

from apicli.filters.libjq import ResultFile, StreamingFilter, load


def main(program: str, path: str) -> None:
    library = load()
    if library is None:
        raise SystemExit("libjq's C interface is not reachable through the jq package")
    out = ResultFile(1)
    engine = StreamingFilter(library, program, out)
    with open(path, "rb") as document:
        while chunk := document.read(64 * 1024):
            engine.feed(chunk)
    engine.finish()
    out.flush()


if __name__ == "__main__":
    main(sys.argv[1], sys.argv[2])
