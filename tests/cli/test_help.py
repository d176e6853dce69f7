"""Help text and docs: every command and option explains itself, and every command has a docs page."""

from __future__ import annotations

import re
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import typer

from apicli import __version__
from apicli.cli import app
from apicli.errors import ExitCode
from tests.conftest import Invoke

DOCS = Path(__file__).resolve().parents[2] / "docs"


def _commands(command: Any, path: tuple[str, ...] = ()) -> Iterator[tuple[tuple[str, ...], Any]]:
    """Every leaf command of the click tree, with its path (`config show` -> ("config", "show"))."""
    subcommands = getattr(command, "commands", None)
    if subcommands is None:
        yield path, command
        return
    for name, sub in sorted(subcommands.items()):
        if path == () or not getattr(sub, "hidden", False):
            yield from _commands(sub, (*path, name))


ROOT = typer.main.get_command(app)
COMMANDS = list(_commands(ROOT))


def test_the_tree_has_every_command() -> None:
    names = {" ".join(path) for path, _ in COMMANDS}
    expected = {"get", "post", "put", "patch", "delete", "head", "request", "paginate", "download"}
    assert expected | {"config path", "config show"} <= names


@pytest.mark.parametrize(("path", "command"), COMMANDS, ids=[" ".join(p) for p, _ in COMMANDS])
def test_command_and_every_option_have_help(path: tuple[str, ...], command: Any) -> None:
    summary = (command.help or "").strip()
    assert summary, f"{' '.join(path)} has no description"
    examples = re.findall(r"^\s*\$ .*\bapicli ", summary, flags=re.MULTILINE)
    assert len(examples) >= 2, f"{' '.join(path)}: give two or three examples in its help"
    missing = [param.name for param in command.params if not (getattr(param, "help", None) or "").strip()]
    assert not missing, f"{' '.join(path)}: no help for {missing}"


def test_groups_have_help() -> None:
    assert (ROOT.help or "").strip()
    config = ROOT.commands["config"]  # type: ignore[attr-defined]
    assert "$ apicli config" in (config.help or "")


def test_help_shows_the_defaults_a_profile_can_change(invoke: Invoke) -> None:
    result = invoke("get", "--help", env={"COLUMNS": "200"})
    assert result.code == 0
    assert "Read timeout in seconds (default: the profile's, else 30)." in result.text
    assert "default: the profile's, else 3" in result.text


def test_every_command_has_a_docs_page() -> None:
    for path, _ in COMMANDS:
        page = DOCS / f"{path[0]}.md"
        assert page.is_file(), f"docs/{path[0]}.md is missing"
        assert f"apicli {' '.join(path)}" in page.read_text(), f"{page.name} does not show 'apicli {' '.join(path)}'"


def test_docs_cover_every_exit_code_and_environment_variable() -> None:
    exit_codes = (DOCS / "exit-codes.md").read_text()
    for code in ExitCode:
        assert re.search(rf"^\| {int(code)} \|", exit_codes, flags=re.MULTILINE), f"exit code {int(code)}"
    environment = (DOCS / "environment.md").read_text()
    for variable in ("APICLI_CONFIG", "APICLI_PROFILE", "XDG_CONFIG_HOME", "NO_COLOR", "FORCE_COLOR", "APICLI_DEBUG"):
        assert f"`{variable}`" in environment, variable


def test_version_flag_and_python_dash_m(invoke: Invoke) -> None:
    assert (invoke("--version").text, invoke("--version").code) == (f"apicli {__version__}\n", 0)
    result = subprocess.run([sys.executable, "-m", "apicli", "--version"], capture_output=True, timeout=30)
    assert (result.returncode, result.stdout, result.stderr) == (0, f"apicli {__version__}\n".encode(), b"")
    helped = subprocess.run([sys.executable, "-m", "apicli", "--help"], capture_output=True, timeout=30)
    assert helped.returncode == 0 and b"paginate" in helped.stdout


@pytest.mark.parametrize(
    ("typed", "same_as"),
    [
        (["help", "get"], ["get", "--help"]),
        (["help", "DELETE"], ["delete", "--help"]),
        (["help", "help"], ["help", "--help"]),
    ],
)
def test_help_command_shows_that_commands_help(invoke: Invoke, typed: list[str], same_as: list[str]) -> None:
    shown = invoke(*typed, env={"COLUMNS": "100"})
    expected = invoke(*same_as, env={"COLUMNS": "100"})
    assert (shown.code, shown.stdout, shown.stderr) == (0, expected.stdout, "")
    assert shown.stdout.startswith(f"Usage: apicli {same_as[0]} ".encode())


def test_help_topics_win_over_commands_and_name_the_command_form(invoke: Invoke) -> None:
    assert invoke("help", "config").stdout.startswith(b"CONFIG FILE AND PROFILES\n")
    listing = invoke("help").stdout.decode()
    assert listing.endswith("Every command also explains itself: apicli help COMMAND, or COMMAND --help\n")
    refused = invoke("help", "nope")
    assert (refused.code, refused.stderr.splitlines()[1]) == (
        ExitCode.USAGE,
        "hint: name a topic, or a command for its help: apicli help get",
    )
