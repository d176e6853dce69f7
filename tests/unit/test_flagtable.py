"""The flag table is the one declaration of each flag: the flags objects and the rest of the source agree with it."""

from __future__ import annotations

import ast
import typing
from pathlib import Path
from typing import Any

import pytest

from apicli import flagtable
from apicli.commands.flags import CommonFlags
from apicli.flag_groups import CheckFlags, ConfigShowFlags, DownloadFlags, PaginationFlags, PollFlags
from apicli.flagtable import FLAGS, Flag, FlagValues, find_flag, flags_of, group_flags, listing, refusal

SOURCE = Path(flagtable.__file__).parent
FLAGS_OBJECTS: list[type[FlagValues]] = [
    CommonFlags,
    PollFlags,
    CheckFlags,
    PaginationFlags,
    DownloadFlags,
    ConfigShowFlags,
]
TABLE_MODULES = {"flagtable.py", "flagspec.py", "flagrows.py"}  # the table, its parts and its command rows
NOT_FLAGS = {"clock", "jq_prefix"}  # CommonFlags' attributes the CLI layer sets, not the command line


@pytest.mark.parametrize("kind", FLAGS_OBJECTS, ids=lambda kind: kind.__name__)
def test_each_annotation_of_a_flags_object_is_the_tables_type(kind: type[FlagValues]) -> None:
    hints = {name: hint for name, hint in typing.get_type_hints(kind).items() if not name.startswith("_")}
    hints = {name: hint for name, hint in hints.items() if name not in NOT_FLAGS and name != "group"}
    table = {flag.name: flag.type for flag in group_flags(kind.group)}
    assert hints == table


@pytest.mark.parametrize("kind", FLAGS_OBJECTS, ids=lambda kind: kind.__name__)
def test_a_flags_object_starts_at_the_tables_defaults(kind: type[FlagValues]) -> None:
    values = kind()
    for flag in group_flags(kind.group):
        assert getattr(values, flag.name) == flag.initial(), flag.name
        assert flag.name not in vars(kind), f"{kind.__name__}.{flag.name} has a default of its own"
    lists = [flag.name for flag in group_flags(kind.group) if flag.repeatable]
    for name in lists:  # a repeatable flag's list is the object's own, never shared
        getattr(values, name).append("x")
        assert getattr(kind(), name) == []


def test_a_flags_object_refuses_a_name_the_table_lacks() -> None:
    with pytest.raises(TypeError, match="unknown flag 'intervals'"):
        PollFlags(intervals=1.0)
    assert PollFlags(interval=0.5).interval == 0.5


def test_names_and_spellings_are_unique_on_each_command() -> None:
    commands = {command for flag in FLAGS for command in flag.commands}
    assert {"apicli", "get", "request", "paginate", "download", "config show"} <= commands
    for command in commands:
        flags = flags_of(command)
        names = [flag.name for flag in flags]
        spellings = [spelling for flag in flags for spelling in flag.spellings]
        assert len(names) == len(set(names)), command
        assert len(spellings) == len(set(spellings)), command
    for flag in FLAGS:
        assert flag.help.strip() and flag.spellings and flag.commands, flag.name
        assert all(spelling.startswith("-") for spelling in flag.spellings), flag.name
        assert find_flag(flag.group, flag.name) is flag


def test_download_takes_every_shared_flag_but_the_bodys_and_the_filters() -> None:
    shared = {flag.name for flag in group_flags("request")}
    taken = {flag.name for flag in flags_of("download") if flag.group == "request"}
    refused = shared - taken
    jq_arguments = {"jq_arg", "jq_argjson", "jq_slurpfile", "jq_rawfile"}
    assert refused == {"json_body", "data", "form", "pretty", "ignore_status", "jq", "schema", *jq_arguments}
    assert refusal("download", "--json") == ("download does not take --json", flagtable.REFUSALS["download"])
    assert refusal("download", "--until") is None  # a verb's own flag: not a shared flag download refuses
    assert refusal("download", "--header") is None
    assert refusal("get", "--dir") is None


def test_the_listing_has_one_line_per_flag() -> None:
    lines = listing()
    assert len(lines) == len(FLAGS) + 1
    interval = next(line for line in lines if line.startswith("interval "))
    assert interval.split() == ["interval", "--interval", "2.0", "verbs"]
    timeout = next(line for line in lines if line.startswith("timeout "))
    assert "- (else 30.0)" in timeout


# --- no second declaration of a default anywhere else -----------------------------------------

_NAMES = {flag.name for flag in FLAGS}
_TABLE_CONSTANTS = {name for name in vars(flagtable) if name.startswith(("DEFAULT_", "MAX_"))}


def _values_of(name: str) -> set[Any]:
    """The defaults and fallbacks a flag called `name` has (None and booleans mean "not given" and "off")."""
    found = set()
    for flag in FLAGS:
        if flag.name == name:
            found |= {flag.default, flag.fallback}
    return {value for value in found if value is not None and not isinstance(value, bool)}


def _literal(node: ast.expr | None) -> Any:
    if isinstance(node, ast.Constant) and node.value is not None and not isinstance(node.value, bool):
        return node.value
    return None


def _second_declarations(text: str, where: str, *, cli_layer: bool) -> list[str]:
    """What in one module's `text` repeats a flag's default, or declares an option outside the table."""
    tree = ast.parse(text)
    found = []
    for node in tree.body:
        if isinstance(node, ast.Assign) and len(node.targets) == 1 and isinstance(node.targets[0], ast.Name):
            name, value = node.targets[0].id, _literal(node.value)
            if name in _TABLE_CONSTANTS:
                found.append(f"{where}:{node.lineno}: {name} is the table's; import it from apicli.flagtable")
            elif name.startswith("DEFAULT_") and value is not None:
                flag = name.removeprefix("DEFAULT_").lower()
                if any(value in _values_of(known) for known in _NAMES if flag.endswith(known)):
                    found.append(f"{where}:{node.lineno}: {name} = {value!r} repeats a flag's default")
    for node in ast.walk(tree):
        pairs: list[tuple[str, ast.expr | None, int]] = []
        if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef):
            arguments = node.args
            positional = arguments.posonlyargs + arguments.args
            defaults = zip(positional[len(positional) - len(arguments.defaults) :], arguments.defaults, strict=True)
            pairs += [(argument.arg, default, argument.lineno) for argument, default in defaults]
            keyword = zip(arguments.kwonlyargs, arguments.kw_defaults, strict=True)
            pairs += [(argument.arg, default, argument.lineno) for argument, default in keyword]
        elif isinstance(node, ast.ClassDef):
            for item in node.body:
                if isinstance(item, ast.AnnAssign) and isinstance(item.target, ast.Name):
                    pairs.append((item.target.id, item.value, item.lineno))
        for name, default, line in pairs:
            value = _literal(default)
            if name in _NAMES and value is not None and value in _values_of(name):
                found.append(f"{where}:{line}: {name} = {value!r} repeats the flag's default")
        option_call = isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute) and node.func.attr == "Option"
        if option_call and cli_layer:
            found.append(f"{where}:{node.lineno}: a Typer option declared outside the table")
    return found


def test_no_flag_default_is_declared_outside_the_table() -> None:
    found = []
    for path in sorted(SOURCE.rglob("*.py")):
        if path.name not in TABLE_MODULES:
            cli_layer = path.parent.name == "cli" and path.name != "options.py"
            where = str(path.relative_to(SOURCE.parent))
            found += _second_declarations(path.read_text(encoding="utf-8"), where, cli_layer=cli_layer)
    assert found == []


def test_the_scan_finds_a_second_declaration() -> None:
    """The check above can fail: each kind of second declaration it knows is found."""
    source = (
        "import typer\n"
        "DEFAULT_TIMEOUT = 30.0\n"
        "DEFAULT_PARALLEL = 4\n"
        "def poll(interval: float = 2.0, *, cursor_param: str = 'cursor') -> None: ...\n"
        "class Settings:\n    parallel: int = 1\n"
        "Until = typer.Option('--until')\n"
    )
    found = _second_declarations(source, "probe.py", cli_layer=True)
    assert len(found) == 6, found
    assert any("DEFAULT_TIMEOUT is the table's" in line for line in found)
    assert any("a Typer option declared outside the table" in line for line in found)


def test_flags_records_are_data() -> None:
    flag = Flag("x", ("--x",), int, 3, "X.", ("get",), group="test")
    assert flag.initial() == 3 and flag.long == "--x"
    assert Flag("y", ("-y", "--why"), list[str], None, "Y.", ("get",), group="test", repeatable=True).initial() == []
