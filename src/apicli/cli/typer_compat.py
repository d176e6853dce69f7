"""Every reach into typer's private internals and the click it vendors, in one place.

The Typer layer's counterpart of apicli/compat.py (which the core uses): each function says why
no public API serves, and tests/unit/test_compat.py checks each against the installed typer.
"""

from __future__ import annotations

import importlib
from collections.abc import Callable
from types import ModuleType
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from pathlib import Path


def click_module(name: str) -> ModuleType:
    """A module of the click typer runs on: typer vendors it as typer._click, with no public alias."""
    return importlib.import_module(f"typer._click.{name}")


_TYPER_SHELL_CLASSES = {"bash": "BashComplete", "zsh": "ZshComplete", "fish": "FishComplete"}


def typer_completion_class(shell: str, answers: type, source_template: str) -> type:
    """A subclass of typer's completion class for `shell` (typer._completion_classes), `answers` first.

    typer's classes read the command line as apicli's scripts pass it (_TYPER_COMPLETE_ARGS)."""
    base = getattr(importlib.import_module("typer._completion_classes"), _TYPER_SHELL_CLASSES[shell])
    return type(f"{answers.__name__}{base.__name__}", (answers, base), {"source_template": source_template})


def set_typer_completion_script(shell: str, template: str) -> None:
    """The script template typer's --show/--install-completion use: its private table is the only setting."""
    importlib.import_module("typer._completion_shared")._completion_scripts[shell] = template


def typer_completion_script(*, prog_name: str, complete_var: str, shell: str) -> str:
    """The completion script typer would install, from the template `set_typer_completion_script` set."""
    script: str = importlib.import_module("typer._completion_shared").get_completion_script(
        prog_name=prog_name, complete_var=complete_var, shell=shell
    )
    return script


def install_typer_completion(*, prog_name: str, complete_var: str, shell: str) -> tuple[str, Path]:
    """Write the completion script where `shell` reads it, as typer's --install-completion does; (shell, path)."""
    installed: tuple[str, Path] = importlib.import_module("typer._completion_shared").install(
        shell=shell, prog_name=prog_name, complete_var=complete_var
    )
    return installed


def set_shell_complete(param: Any, complete: Callable[..., list[Any]]) -> None:
    """A built click parameter's completion function: click takes it in the constructor, then keeps it private."""
    param._custom_shell_complete = complete
