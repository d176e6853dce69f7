"""Pure helpers behind profiles and --jq: finding a TOML key's line, and re-indenting jq's JSON text."""

from __future__ import annotations

import json
from typing import Any

from hypothesis import given
from hypothesis import strategies as st

from apicli.config.config_lines import find_key_line
from apicli.filters.schema import json_path
from apicli.output.prettystream import pretty_json

TOML = """# comment = not a key
[profiles.default]
base_url = "http://x"
timeout = 5

[profiles."odd.name"]
headers = { A = "1" }
auth.type = "bearer"

[profiles.other.auth]
type = "basic"
'user' = "u"
"""


def test_find_key_line() -> None:
    assert find_key_line(TOML, ("profiles", "default", "timeout")) == 4
    assert find_key_line(TOML, ("profiles", "default", "missing")) == 2  # falls back to the table
    assert find_key_line(TOML, ("profiles", "odd.name", "headers", "A")) == 7  # inside an inline table
    assert find_key_line(TOML, ("profiles", "odd.name", "auth", "type")) == 8  # a dotted key
    assert find_key_line(TOML, ("profiles", "other", "auth", "user")) == 12  # a literal-quoted key
    assert find_key_line(TOML, ("nothing",)) is None


json_values = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False, allow_infinity=False) | st.text(),
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=5), inner, max_size=4),
    max_leaves=20,
)


@given(json_values)
def test_reindented_text_is_the_same_json(value: Any) -> None:
    # As jq writes it: json.dumps's text, but with DEL escaped.
    compact = json.dumps(value, separators=(",", ":"), ensure_ascii=False).replace("\x7f", "\\u007f")
    pretty = _reindented(compact)
    assert json.loads(pretty) == value
    # jq's layout is json.dumps(indent=2)'s
    assert pretty == json.dumps(value, indent=2, ensure_ascii=False).replace("\x7f", "\\u007f")


def test_reindenting_keeps_number_text() -> None:
    assert _reindented("[1.000000000000000000001,1E+1000]") == "[\n  1.000000000000000000001,\n  1E+1000\n]"


def _reindented(compact: str) -> str:
    """jq's compact text indented as --jq shows it, numbers kept as written."""
    return pretty_json(compact.encode(), color=False, exact=True).decode().removesuffix("\n")


def test_json_path() -> None:
    assert json_path(["items", 2, "id"]) == "$.items[2].id"
    assert json_path(["odd key", "a-b"], root="$[0]") == '$[0]["odd key"]["a-b"]'
    assert json_path([]) == "$"
