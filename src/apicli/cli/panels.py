"""The --help panels of the shared flags, and the one way they are declared."""

from __future__ import annotations

from typing import Any

import typer

REQUEST = "Request"
AUTH = "Authentication"
SESSION = "Cookies"
NETWORK = "Network"
RETRY = "Retries"
OUTPUT = "Output"
PREVIEW = "Preview (send nothing)"


def option(*names: str, help: str, panel: str, **kwargs: Any) -> Any:
    return typer.Option(
        *names, help=help, rich_help_panel=panel, show_default=kwargs.pop("show_default", True), **kwargs
    )
