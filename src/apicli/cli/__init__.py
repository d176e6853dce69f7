"""The command-line layer: Typer declarations over the plain-Python core.

`run` imports only the module of the command being run. `app`, asked for by name, is the
application with every command registered (for help, completion scripts and tests).
"""

from typing import Any

from .application import load_commands, run

__all__ = ["app", "run"]


def __getattr__(name: str) -> Any:
    if name == "app":
        return load_commands()
    raise AttributeError(name)
