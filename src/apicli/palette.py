"""apicli's JSON colours, shared by the body colouriser and --jq output.

A top-level module: the body colouriser (output/) and libjq's palette for --jq (filters/) both use it,
without importing orjson.
"""

from __future__ import annotations

# jq-like SGR colours that read well on dark and light backgrounds; numbers and punctuation
# keep the terminal's default colour.
KEY_COLOR = b"\x1b[1;34m"
STRING_COLOR = b"\x1b[32m"
BOOL_COLOR = b"\x1b[33m"
NULL_COLOR = b"\x1b[90m"
RESET = b"\x1b[0m"
