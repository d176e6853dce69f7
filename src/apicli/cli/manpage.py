"""apicli.1: the man page, built from what --help shows (help_sections) and the reference topics.

`make docs` writes it to man/apicli.1; the wheel installs it as share/man/man1/apicli.1, where
`man apicli` finds it next to the venv's or the system's bin directory.
"""

from __future__ import annotations

from typing import Any

import typer

from .. import __version__
from ..commands.reference import TOPICS, Table, Topic
from .application import load_commands
from .helpformat import HelpSections, help_sections, polish


def _escape(text: str) -> str:
    """Text safe in a troff line: backslashes escaped, hyphens as minus signs, no leading control dot."""
    text = text.replace("\\", "\\e").replace("-", "\\-")
    # troff reads ASCII; anything else (an ellipsis, an arrow) goes as a named Unicode glyph.
    text = "".join(char if ord(char) < 128 else f"\\[u{ord(char):04X}]" for char in text)
    return "\\&" + text if text.startswith((".", "'")) else text


def _plain(text: str) -> str:
    return _escape(text.replace("`", ""))


def _paragraphs(paragraphs: tuple[str, ...]) -> list[str]:
    lines: list[str] = []
    for paragraph in paragraphs:
        if "\n" in paragraph or paragraph.startswith(" "):  # examples: as they are, one a line
            lines += [".PP", ".nf", ".RS 2", *(_escape(line.strip()) for line in paragraph.splitlines()), ".RE", ".fi"]
        else:
            lines += [".PP", _escape(paragraph)]
    return lines


def _sections(sections: HelpSections, *, skip: tuple[str, ...] = ()) -> list[str]:
    lines = _paragraphs(sections.paragraphs)
    for heading, rows in sections.tables:
        if not rows or heading in skip:
            continue
        lines += [".PP", f"\\fB{_escape(heading)}:\\fR"]
        for row in rows:
            lines += [".TP", f"\\fB{_escape(row.term)}\\fR", _escape(row.text)]
    return lines


def _topic(topic: Topic) -> list[str]:
    lines = [f".SH {_escape(topic.title.upper())}"]
    for block in topic.blocks:
        if isinstance(block, Table):
            for row in block.rows:
                term = " ".join(_plain(cell) for cell in row[:-1])
                lines += [".TP", f"\\fB{term}\\fR", _plain(row[-1])]
        else:
            lines += [".PP", _plain(block)]
    return lines


def _context(command: Any, name: str, parent: Any = None) -> Any:
    return command.make_context(name, [], parent=parent, resilient_parsing=True)


def render_man_page() -> str:
    """The whole man page as troff text; deterministic (no date), so a test can spot a stale copy."""
    root = polish(typer.main.get_command(load_commands()))
    root_ctx = _context(root, "apicli")
    root_sections = help_sections(root, root_ctx)
    summary, *rest = root_sections.paragraphs
    lines = [
        f'.TH APICLI 1 "" "apicli {__version__}" "User Commands"',
        ".nh",  # no hyphenation: flags and URLs must stay whole
        ".ad l",
        ".SH NAME",
        f"apicli \\- {_escape(summary[0].lower() + summary[1:].rstrip('.'))}",
        ".SH SYNOPSIS",
        "\\fBapicli\\fR \\fICOMMAND\\fR [\\fIOPTIONS\\fR] [\\fIARGS\\fR]...",
        ".SH DESCRIPTION",
        *_sections(HelpSections(root_sections.usage, tuple(rest), root_sections.tables), skip=("Commands",)),
        ".SH COMMANDS",
    ]
    for name in root.list_commands(root_ctx):
        command = root.commands[name]
        if command.hidden:
            continue
        ctx = _context(command, name, root_ctx)
        subcommands = getattr(command, "commands", None)
        for sub_name in (command.list_commands(ctx) if subcommands else [None]):
            target, target_ctx = (command, ctx) if sub_name is None else (
                subcommands[sub_name], _context(subcommands[sub_name], sub_name, ctx)  # type: ignore[index]
            )
            sections = help_sections(target, target_ctx)
            lines += [f'.SS "{_escape(sections.usage)}"', *_sections(sections)]
    for topic in TOPICS.values():
        lines += _topic(topic)
    lines += [
        ".SH SEE ALSO",
        "\\fBcurl\\fR(1), \\fBjq\\fR(1); \\fBapicli help\\fR \\fITOPIC\\fR prints the reference sections above.",
    ]
    return "\n".join(lines) + "\n"
