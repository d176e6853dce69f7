"""The floor for `apicli paginate`: a plain requests.Session loop over Link rel="next".

It prints every item of every page as one compact JSON line (NDJSON), which is what
`apicli paginate` produces, with nothing else: no options, no retries, no guards.

    python benchmarks/bare_paginate.py URL
"""

from __future__ import annotations

import json
import sys

import requests


def main(url: str | None) -> None:
    write = sys.stdout.write
    with requests.Session() as session:
        while url:
            response = session.get(url)
            response.raise_for_status()
            for item in response.json():
                write(json.dumps(item, ensure_ascii=False, separators=(",", ":")))
                write("\n")
            url = response.links.get("next", {}).get("url")


if __name__ == "__main__":
    main(sys.argv[1])
