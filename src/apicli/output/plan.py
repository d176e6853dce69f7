"""The output plan: where the body goes and how it looks, decided once per run.

`guard_standard_streams` runs first of all. A program may be started with stdin, stdout or
stderr closed (a CI runner, a daemon): the descriptor is then held open on /dev/null, so a
file opened later can never take its number, and the Python stream is replaced by a
`ClosedStream` that says so when written to (stdout) or read (stdin), or swallows writes
(stderr, so that a closed stderr never changes the exit code).

`build_output_plan` then decides, from the flags, the environment (NO_COLOR, FORCE_COLOR,
TERM) and which streams are terminals: the destination, indentation and colour of the body,
and whether stderr may be coloured. Nothing else in apicli looks at isatty or those flags.
"""

from __future__ import annotations

import errno
import os
import sys
from collections.abc import Mapping
from pathlib import Path
from typing import Any, NamedTuple

from ..spec import OutputOptions


class StreamClosedError(OSError):
    """A write to (or read from) a standard stream that the process was started without."""

    def __init__(self, name: str) -> None:
        super().__init__(errno.EBADF, f"{name} is closed")
        self.stream_name = name


class ClosedStream:
    """Stands in for a standard stream that was closed when apicli started."""

    def __init__(self, name: str, fd: int, *, discard: bool = False) -> None:
        self.name = name
        self.fd = fd
        self.discard = discard  # stderr: nothing to tell, and nowhere to tell it

    @property
    def buffer(self) -> ClosedStream:
        return self

    def write(self, data: Any) -> int:
        if self.discard:
            return len(data)
        raise StreamClosedError(self.name)

    def read(self, size: int = -1) -> Any:
        raise StreamClosedError(self.name)

    readline = read

    def flush(self) -> None:
        return None

    def isatty(self) -> bool:
        return False

    def fileno(self) -> int:
        return self.fd

    def close(self) -> None:
        return None

    @property
    def closed(self) -> bool:
        return False


_STANDARD = (("stdin", 0, "standard input"), ("stdout", 1, "standard output"), ("stderr", 2, "standard error"))


def guard_standard_streams() -> None:
    """Replace each standard stream the process started without (see the module docstring)."""
    for attribute, fd, name in _STANDARD:
        if getattr(sys, attribute) is not None:
            continue
        try:
            os.fstat(fd)
        except OSError:
            placeholder = os.open(os.devnull, os.O_RDWR)
            if placeholder != fd:
                os.dup2(placeholder, fd)
                os.close(placeholder)
        setattr(sys, attribute, ClosedStream(name, fd, discard=attribute == "stderr"))


def is_closed(stream: Any) -> bool:
    return stream is None or isinstance(stream, ClosedStream)


def is_terminal(stream: Any) -> bool:
    try:
        return bool(stream.isatty())
    except (AttributeError, ValueError, OSError):
        return False


def _forced(environ: Mapping[str, str]) -> bool:
    force = environ.get("FORCE_COLOR")
    return force is not None and force not in ("", "0", "false")


def output_style(
    pretty: bool | None, color: bool | None, environ: Mapping[str, str], *, on_terminal: bool
) -> tuple[bool, bool]:
    """(indent, colour) for a body on stdout, from --pretty/--raw and --color/--no-color (None: not given).

    Indentation: --pretty or --raw, else whether stdout is a terminal. Colour, only for indented
    output: --color/--no-color; NO_COLOR; FORCE_COLOR; --pretty, which colours a pipe too; and on
    a terminal, any TERM but "dumb". So a raw body in a pipe is never coloured.
    """
    indent = pretty if pretty is not None else on_terminal
    if not indent:
        return False, False
    if color is not None:
        return True, color
    if environ.get("NO_COLOR"):
        return True, False
    if _forced(environ) or pretty is True:
        return True, True
    return True, on_terminal and environ.get("TERM") != "dumb"


def diagnostics_color(color: bool | None, environ: Mapping[str, str], *, on_terminal: bool) -> bool:
    """Colour for -i/-v heads on stderr: --color/--no-color, NO_COLOR, FORCE_COLOR, else a terminal not dumb."""
    if color is not None:
        return color
    if environ.get("NO_COLOR"):
        return False
    if _forced(environ):
        return True
    return on_terminal and environ.get("TERM") != "dumb"


class OutputPlan(NamedTuple):
    """How this run shows what it got; built once by `build_output_plan`."""

    destination: Path | None = None  # -o FILE; None is stdout
    indent: bool = False  # pretty-print JSON
    color: bool = False  # colour the body (only when indented)
    to_terminal: bool = False  # the body lands on a terminal: binary is withheld, text made safe
    stderr_color: bool = False
    stderr_terminal: bool = False
    stdout_terminal: bool = False  # stdout is a terminal, whether or not the body goes there (-w writes to it)


def build_output_plan(
    options: OutputOptions,
    environ: Mapping[str, str],
    *,
    stdout_terminal: bool | None = None,
    stderr_terminal: bool | None = None,
) -> OutputPlan:
    """The plan for this run; terminal states default to those of sys.stdout and sys.stderr."""
    if stdout_terminal is None:
        stdout_terminal = is_terminal(sys.stdout)
    if stderr_terminal is None:
        stderr_terminal = is_terminal(sys.stderr)
    if options.output is not None:
        # A file gets the bytes as they came unless --pretty (or --color) is asked for explicitly.
        indent = options.pretty is True
        color = indent and options.color is True
        to_terminal = False
    else:
        to_terminal = stdout_terminal
        indent, color = output_style(options.pretty, options.color, environ, on_terminal=to_terminal)
    return OutputPlan(
        destination=options.output,
        indent=indent,
        color=color,
        to_terminal=to_terminal,
        stderr_color=diagnostics_color(options.color, environ, on_terminal=stderr_terminal),
        stderr_terminal=stderr_terminal,
        stdout_terminal=stdout_terminal,
    )
