"""The indent/colour decision shared by get, paginate and the --jq/--schema path."""

from __future__ import annotations

import pytest

from apicli.output import output_style


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
