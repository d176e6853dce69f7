"""Help screens that read well: usage names arguments as users write them, no range noise, no orphan words.

Typer prints a required argument as `{url}`, appends `[x>=0.001]` to numeric options and keeps
every line break of a docstring; its rich panels wrap help at whatever width is left, leaving
single words alone on a line. `polish` fixes the built click tree in place and gives every
command a plain two-column help screen (as git and curl print) built by `help_sections`, which
the man page generator reads too, so --help and apicli.1 come from one source.
"""

from __future__ import annotations

import inspect
import os
import shutil
import types as pytypes
from dataclasses import dataclass
from typing import Any

from typer.core import TyperArgument

from ..commands.reference import wrap
from .typer_compat import click_module


def click_types() -> Any:
    """click's types module, from the click typer runs on."""
    return click_module("types")


class ReadableArgument(TyperArgument):
    """`URL`, `URL...` and `[ITEM]...` in usage lines, as man pages and HTTPie write them."""

    def make_metavar(self, ctx: Any, *, usage: bool = False) -> str:
        name = (self.metavar or (self.name or "").upper()).removesuffix("...")
        repeated = self.nargs != 1
        if self.required:
            return name + ("..." if repeated else "")
        return f"[{name}]" + ("..." if repeated else "")


def _quiet_range(range_type: Any) -> Any:
    """A type that checks like `range_type` (same rejection message) but shows no range in help."""
    class QuietRange(click_types().ParamType):  # type: ignore[misc]
        name = range_type.name

        def convert(self, value: Any, param: Any, ctx: Any) -> Any:
            return range_type.convert(value, param, ctx)

        def get_metavar(self, *args: Any, **kwargs: Any) -> str | None:
            return None

        def shell_complete(self, ctx: Any, param: Any, incomplete: str) -> list[Any]:
            return []

    return QuietRange()


def _is_example(paragraph: str) -> bool:
    return all(line.lstrip().startswith("$ ") for line in paragraph.splitlines())


def unwrap_paragraphs(text: str) -> str:
    """Join the lines of each prose paragraph; keep examples, lists and indented blocks line by line.

    Examples given one per paragraph become one block, one example a line, as in the root help.
    """
    kept: list[str] = []
    for paragraph in inspect.cleandoc(text).split("\n\n"):
        lines = paragraph.splitlines()
        if _is_example(paragraph) and kept and _is_example(kept[-1]):
            kept[-1] += "\n" + "\n".join("  " + line.lstrip() for line in lines)
        elif _is_example(paragraph):
            kept.append("\n".join("  " + line.lstrip() for line in lines))
        elif any(line.startswith(("$", " ", "- ", "|", "\b")) for line in lines):
            kept.append(paragraph)
        else:
            kept.append(" ".join(line.strip() for line in lines))
    return "\n\n".join(kept)


@dataclass(frozen=True)
class Entry:
    """One row of a help table: the flag or argument as typed, and what it does."""

    term: str
    text: str


@dataclass(frozen=True)
class HelpSections:
    """What a help screen says, before layout: the man page lays out the same data."""

    usage: str
    paragraphs: tuple[str, ...]  # prose and example blocks, in order
    tables: tuple[tuple[str, tuple[Entry, ...]], ...]  # (heading, rows)


def _entry(param: Any, ctx: Any) -> Entry | None:
    record = param.get_help_record(ctx)
    if record is None:
        return None
    term, text = record
    if isinstance(param, TyperArgument):
        term = param.make_metavar(ctx)
        text = (param.help or "") + (" [required]" if param.required else "")
    return Entry(term, " ".join(text.split()))


def help_sections(command: Any, ctx: Any) -> HelpSections:
    """The usage line, description paragraphs and grouped option tables of `command`."""
    pieces = " ".join(command.collect_usage_pieces(ctx))
    usage = f"{ctx.command_path} {pieces}".rstrip()
    paragraphs = tuple(unwrap_paragraphs(command.help or "").split("\n\n"))
    tables: dict[str, list[Entry]] = {}
    for param in command.get_params(ctx):
        entry = _entry(param, ctx)
        if entry is None:
            continue
        default_panel = "Arguments" if isinstance(param, TyperArgument) else "Options"
        tables.setdefault(getattr(param, "rich_help_panel", None) or default_panel, []).append(entry)
    subcommands = getattr(command, "commands", None)
    if subcommands:
        rows = []
        for name in command.list_commands(ctx):
            sub = subcommands[name]
            if not sub.hidden:
                rows.append(Entry(name, unwrap_paragraphs(sub.help or "").split("\n\n")[0]))
        tables["Commands"] = rows
    order = ["Arguments", "Commands"]
    ordered = sorted(tables.items(), key=lambda item: order.index(item[0]) if item[0] in order else len(order))
    return HelpSections(usage, paragraphs, tuple((name, tuple(rows)) for name, rows in ordered))


def _table_lines(rows: tuple[Entry, ...], width: int) -> list[str]:
    column = min(max(len(row.term) for row in rows), 26) + 4
    lines: list[str] = []
    for row in rows:
        text = wrap(row.text, width - column) or [""]
        if len(row.term) + 4 > column:  # too long for the column: the text starts below it
            lines.append(f"  {row.term}")
            lines.extend(" " * column + line for line in text)
        else:
            lines.append(f"  {row.term}".ljust(column) + text[0])
            lines.extend(" " * column + line for line in text[1:])
    return [line.rstrip() for line in lines]


def format_help_text(sections: HelpSections, width: int) -> str:
    """The help screen as plain text for `width` columns."""
    width = max(50, width)
    lines = [*wrap(f"Usage: {sections.usage}", width), ""]
    for paragraph in sections.paragraphs:
        literal = "\n" in paragraph or paragraph.startswith(" ")
        lines.extend(paragraph.splitlines() if literal else wrap(paragraph, width))
        lines.append("")
    for heading, rows in sections.tables:
        if rows:
            lines.extend([f"{heading}:", *_table_lines(rows, width), ""])
    return "\n".join(lines)


def _terminal_width() -> int:
    """$COLUMNS, else the terminal's width, else 80; at most 100 so lines stay readable."""
    columns = os.environ.get("COLUMNS", "")
    width = int(columns) if columns.isdigit() else shutil.get_terminal_size((80, 24)).columns
    return min(width, 100)


def _format_help(self: Any, ctx: Any, formatter: Any) -> None:
    formatter.write(format_help_text(help_sections(self, ctx), _terminal_width()))


def polish(command: Any) -> Any:
    """Apply the readable usage, quiet ranges and unwrapped paragraphs to `command` and its subcommands."""
    types = click_types()
    if command.help:
        command.help = unwrap_paragraphs(command.help)
    for param in command.params:
        if isinstance(param, TyperArgument) and not isinstance(param, ReadableArgument):
            param.__class__ = ReadableArgument
        if isinstance(param.type, types.IntRange | types.FloatRange):
            param.type = _quiet_range(param.type)
    command.format_help = pytypes.MethodType(_format_help, command)
    for sub in getattr(command, "commands", {}).values():
        polish(sub)
    return command
