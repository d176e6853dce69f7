"""Every option of every command comes from the flag table; a command offers only the flags it uses."""

from __future__ import annotations

import inspect
import re
from collections.abc import Iterator
from typing import Any

import pytest
import typer
from hypothesis import given
from hypothesis import strategies as st
from pytest_httpserver import HTTPServer

from apicli.cli.application import load_commands
from apicli.cli.options import table_parameters, typer_default, with_flags
from apicli.errors import ExitCode
from apicli.flagtable import FLAGS, REFUSALS, ROOT, Flag, FlagValues, flags_of

TYPERS_OWN = {"install_completion", "show_completion"}  # added by Typer itself (add_completion=True)


def _commands(command: Any, path: str) -> Iterator[tuple[str, Any]]:
    yield path, command
    for name, sub in sorted(getattr(command, "commands", {}).items()):
        yield from _commands(sub, f"{path} {name}".removeprefix(f"{ROOT} "))


COMMANDS = list(_commands(typer.main.get_command(load_commands()), ROOT))


@pytest.mark.parametrize(("name", "command"), COMMANDS, ids=[name for name, _ in COMMANDS])
def test_every_option_of_a_command_is_its_table_entry(name: str, command: Any) -> None:
    table = {flag.name: flag for flag in flags_of(name)}
    options = [param for param in command.params if param.param_type_name == "option"]
    offered = [option.name for option in options if option.name not in TYPERS_OWN]
    assert offered == list(table), f"{name}: the options are not the table's, in its order"
    for option in options:
        if option.name in TYPERS_OWN:
            continue
        flag = table[option.name]
        assert tuple(option.opts + option.secondary_opts) == flag.spellings
        assert (option.help, option.metavar, option.hidden) == (flag.help, flag.metavar, flag.hidden)
        assert getattr(option, "rich_help_panel", None) == flag.panel
        assert option.default == typer_default(flag) or (flag.repeatable and option.default in (None, ()))
        assert (option.multiple, option.nargs) == (flag.repeatable, flag.nargs)


def test_every_command_named_in_the_table_exists() -> None:
    names = {name for name, _ in COMMANDS}
    assert {command for flag in FLAGS for command in flag.commands} <= names


NOWHERE_REFUSED = [(spelling, value) for spelling, value in [
    ("--json", "{}"), ("--data", "x"), ("--form", None), ("--pretty", None),
    ("--ignore-status", None), ("--jq", "."), ("--schema", "s.json"),
]]  # fmt: skip


@pytest.mark.parametrize(("spelling", "value"), NOWHERE_REFUSED, ids=[spelling for spelling, _ in NOWHERE_REFUSED])
def test_download_does_not_take_the_flags_it_refused_and_says_why(
    httpserver: HTTPServer, run_process: Any, spelling: str, value: str | None
) -> None:
    httpserver.expect_request("/f.bin").respond_with_data(b"data")
    url = httpserver.url_for("/f.bin")
    result = run_process("download", url, spelling, *([value] if value else []), "-o", "-")
    assert result.returncode == ExitCode.USAGE
    assert result.stdout == b""
    assert result.stderr.decode().splitlines() == [
        f"apicli: download does not take {spelling}",
        f"hint: {REFUSALS['download']}",
    ]
    assert httpserver.log == []
    listed = re.compile(rf"^ +(-\w, )?{re.escape(spelling)}( |$)", re.MULTILINE)  # a row of the options table
    assert listed.search(run_process("get", "--help").stdout.decode())
    assert not listed.search(run_process("download", "--help").stdout.decode())


def test_a_verb_flag_on_download_still_names_the_commands_that_take_it(run_process: Any) -> None:
    result = run_process("download", "http://127.0.0.1:9/x", "--until", ".ok")
    assert result.returncode == ExitCode.USAGE
    lines = result.stderr.decode().splitlines()
    assert lines[0] == "apicli: no such option for apicli download: --until"
    assert lines[1].startswith("hint: --until is an option of apicli get and apicli post")


# --- a repeatable option of two values (jq's --arg NAME VALUE), from a table entry ---------------

ARG = Flag(
    "jq_args",
    ("--arg",),
    list[tuple[str, str]],
    None,
    "Bind $NAME to VALUE in the jq program (repeatable).",
    ("probe",),
    group="probe",
    metavar="NAME VALUE",
    show_default=False,
    nargs=2,
    repeatable=True,
)


class ProbeFlags(FlagValues, group="probe", flags=(ARG,)):
    jq_args: list[tuple[str, str]]


def _probe() -> tuple[Any, list[ProbeFlags]]:
    """A throwaway command whose one option is ARG, and the flags objects it received."""
    received: list[ProbeFlags] = []

    @with_flags("probe", table=(ARG,))
    def probe(*, flags: ProbeFlags) -> None:
        received.append(flags)

    app = typer.Typer()
    app.command()(probe)
    app.command("other")(lambda: None)  # two commands, so that `probe` is named on the command line
    return typer.main.get_command(app), received


def _run(args: list[str]) -> list[tuple[str, str]]:
    command, received = _probe()
    command.main(args=["probe", *args], standalone_mode=False)
    return received[0].jq_args


def test_a_two_value_option_repeats_and_keeps_its_pairs_in_order() -> None:
    assert _run(["--arg", "user", "ann", "--arg", "n", "2"]) == [("user", "ann"), ("n", "2")]
    assert _run([]) == []
    option = next(param for param in _probe()[0].commands["probe"].params if param.name == "jq_args")
    assert (option.nargs, option.multiple, option.metavar) == (2, True, "NAME VALUE")
    assert [p.name for p in table_parameters((ARG,))] == ["jq_args"]
    assert list(inspect.signature(_probe()[0].commands["probe"].callback).parameters) == ["jq_args"]


def test_a_two_value_option_with_one_value_is_a_usage_error() -> None:
    command, received = _probe()
    with pytest.raises(Exception, match="requires 2 arguments") as caught:
        command.main(args=["probe", "--arg", "user"], standalone_mode=False)
    assert type(caught.value).__name__ == "BadOptionUsage"
    assert received == []


# Values as a shell passes them: anything but an option-like word (click reads those as options).
_WORD = st.text(st.characters(blacklist_categories=("Cs",), blacklist_characters="\x00"), max_size=12).filter(
    lambda word: not word.startswith("-")
)


@given(st.lists(st.tuples(_WORD, _WORD), max_size=5))
def test_any_pairs_come_back_as_given(pairs: list[tuple[str, str]]) -> None:
    args = [word for name, value in pairs for word in ("--arg", name, value)]
    assert _run(args) == pairs
