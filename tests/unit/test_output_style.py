"""The output plan: indentation, colour and destination, decided once for every command."""

from __future__ import annotations

from pathlib import Path

import pytest

from apicli.output import build_output_plan, output_style
from apicli.spec import OutputOptions


@pytest.mark.parametrize(
    ("pretty", "color", "environ", "on_terminal", "expected"),
    [
        (None, None, {}, False, (False, False)),  # a pipe: the raw body
        (None, True, {"FORCE_COLOR": "1"}, False, (False, False)),  # colour never reaches a raw body
        (None, None, {}, True, (True, True)),
        (None, None, {"TERM": "dumb"}, True, (True, False)),
        (None, None, {"TERM": "dumb", "FORCE_COLOR": "1"}, True, (True, True)),
        (None, None, {"NO_COLOR": "1", "FORCE_COLOR": "1"}, True, (True, False)),
        (None, True, {"NO_COLOR": "1"}, True, (True, True)),  # the flag wins over the environment
        (False, None, {}, True, (False, False)),  # --raw on a terminal
        (True, None, {}, False, (True, True)),  # --pretty into a pipe
        (True, None, {"NO_COLOR": "1"}, False, (True, False)),
        (True, False, {}, False, (True, False)),
        (True, None, {"FORCE_COLOR": "0"}, False, (True, True)),
        (None, None, {"FORCE_COLOR": "0", "TERM": "dumb"}, True, (True, False)),
    ],
)
def test_output_style(
    pretty: bool | None, color: bool | None, environ: dict[str, str], on_terminal: bool, expected: tuple[bool, bool]
) -> None:
    assert output_style(pretty, color, environ, on_terminal=on_terminal) == expected


@pytest.mark.parametrize(
    ("options", "stdout_terminal", "stderr_terminal", "environ", "expected"),
    [
        # -o FILE: raw unless --pretty; never coloured unless --color is explicit.
        (OutputOptions(output=Path("f")), True, True, {}, (Path("f"), False, False, False, True)),
        (OutputOptions(output=Path("f"), pretty=True), False, False, {}, (Path("f"), True, False, False, False)),
        (
            OutputOptions(output=Path("f"), pretty=True, color=True), False, False, {},
            (Path("f"), True, True, False, True),
        ),
        (OutputOptions(), True, True, {}, (None, True, True, True, True)),
        (OutputOptions(), False, True, {}, (None, False, False, False, True)),
        (OutputOptions(), True, False, {"FORCE_COLOR": "1"}, (None, True, True, True, True)),
        (OutputOptions(), True, True, {"NO_COLOR": "1"}, (None, True, False, True, False)),
        (OutputOptions(color=False), True, True, {}, (None, True, False, True, False)),
        (OutputOptions(), True, True, {"TERM": "dumb"}, (None, True, False, True, False)),
    ],
)
def test_output_plan(
    options: OutputOptions,
    stdout_terminal: bool,
    stderr_terminal: bool,
    environ: dict[str, str],
    expected: tuple[object, ...],
) -> None:
    plan = build_output_plan(options, environ, stdout_terminal=stdout_terminal, stderr_terminal=stderr_terminal)
    assert (plan.destination, plan.indent, plan.color, plan.to_terminal, plan.stderr_color) == expected
