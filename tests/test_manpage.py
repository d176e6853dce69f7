"""man/apicli.1 is generated from the help screens and reference topics, current, and valid troff."""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

import pytest
import typer

from apicli.cli.application import load_commands
from apicli.cli.helpformat import help_sections, polish
from apicli.cli.manpage import _escape, render_man_page
from apicli.commands.reference import TOPICS

ROOT = Path(__file__).resolve().parents[1]
MAN = ROOT / "man" / "apicli.1"


def test_the_checked_in_man_page_is_current() -> None:
    assert MAN.read_text(encoding="utf-8") == render_man_page(), "man/apicli.1 is stale: run `make docs`"


def test_it_says_what_help_says() -> None:
    page = render_man_page()
    root = polish(typer.main.get_command(load_commands()))
    root_ctx = root.make_context("apicli", [], resilient_parsing=True)
    for name in root.list_commands(root_ctx):
        command = root.commands[name]  # type: ignore[attr-defined]
        if getattr(command, "commands", None):
            continue
        sections = help_sections(command, command.make_context(name, [], parent=root_ctx, resilient_parsing=True))
        assert f'.SS "{_escape(sections.usage)}"' in page
        for _, rows in sections.tables:
            for row in rows:
                assert f"\\fB{_escape(row.term)}\\fR\n{_escape(row.text)}\n" in page, (name, row.term)
    for topic in TOPICS.values():
        assert f".SH {topic.title.upper()}" in page


@pytest.mark.skipif(shutil.which("groff") is None, reason="groff is not installed")
def test_troff_renders_it_without_warnings() -> None:
    rendered = subprocess.run(
        ["groff", "-man", "-Tutf8", "-P-cbou", "-ww", str(MAN)], capture_output=True, text=True, timeout=60
    )
    assert rendered.returncode == 0 and rendered.stderr == ""
    assert "apicli get [OPTIONS] URL [ITEM]..." in rendered.stdout
    assert "EXIT CODES" in rendered.stdout
