"""`apicli help TOPIC`: the reference tables from `apicli.commands.reference`, for users without the source tree."""

from __future__ import annotations

import shutil
import sys
from enum import StrEnum
from typing import Annotated

import typer

from ..commands.reference import TOPICS, format_topic_text
from .application import app


class HelpTopic(StrEnum):
    """The names of `apicli.commands.reference.TOPICS`, as a choice Typer can check and complete."""

    EXIT_CODES = "exit-codes"
    ITEMS = "items"
    CONFIG = "config"
    LIMITS = "limits"
    BATCH = "batch"


TopicArgument = Annotated[
    HelpTopic | None,
    typer.Argument(
        metavar="TOPIC",
        help=f"One of: {', '.join(TOPICS)}; or a command, for its --help (apicli help get).",
        show_default=False,
    ),
]


@app.command(name="help")
def help_command(topic: TopicArgument = None) -> None:
    """Print a reference table: exit codes, request items, the config file, memory limits or batches.

    A command name shows that command's help, as COMMAND --help does (`apicli help config`
    is the config file's topic; `apicli config --help` is the command's).

    Examples:

      $ apicli help exit-codes

      $ apicli help post

      $ apicli help items | less
    """
    if topic is None:
        typer.echo("Reference topics (apicli help TOPIC):\n")
        for topic_data in TOPICS.values():
            typer.echo(f"  {topic_data.name:<12}{topic_data.title}")
        typer.echo("\nEvery command also explains itself: apicli help COMMAND, or COMMAND --help")
        return
    # A terminal's width, else 80 (also in a pipe, so `| less` gets readable lines).
    width = shutil.get_terminal_size((80, 24)).columns if sys.stdout.isatty() else 80
    typer.echo(format_topic_text(TOPICS[topic.value], min(width, 100)), nl=False)
