"""Shared flags for cookies, the further auth kinds and the transports, in the same form as options.py's."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from .panels import SESSION, option

SESSION_OPTIONS: list[tuple[str, Any, Any, Any]] = [
    (
        "cookie_jar",
        Path | None,
        None,
        option(
            "--cookie-jar",
            help="Load cookies from FILE before the run and save them after it (Netscape format, as curl's -b/-c; "
            "created 0600).",
            panel=SESSION,
            metavar="FILE",
            show_default=False,
        ),
    ),
    (
        "cookie",
        list[str] | None,
        None,
        option(
            "--cookie",
            help="Send this cookie to the request's origin (repeatable); not saved in the jar.",
            panel=SESSION,
            metavar="NAME=VALUE",
            show_default=False,
        ),
    ),
]
