"""Which --jq programs stream (jqshape.find_selection): paths written any way jq allows, and anything else."""

from __future__ import annotations

import json

import jq
from hypothesis import given
from hypothesis import strategies as st

from apicli.filters.jqshape import Selection, find_selection

identifiers = st.from_regex(r"[A-Za-z_][A-Za-z0-9_]{0,6}", fullmatch=True)
keys = identifiers | st.text(alphabet=st.characters(codec="utf-8", exclude_categories=["Cs"]), max_size=6)
spaces = st.sampled_from(["", " ", "\n  "])


def _step(key: str, style: int, first: bool) -> str:
    quoted = json.dumps(key, ensure_ascii=style % 2 == 0)
    if style < 2 and key.isidentifier() and key.isascii():
        return f".{key}"
    if style < 4:
        return f".{quoted}"
    return f"{'.' if first else ''}[{quoted}]"


@given(st.lists(st.tuples(keys, st.integers(0, 5)), max_size=4), st.integers(0, 3), spaces, st.booleans())
def test_a_path_written_any_way_streams_with_its_keys(
    steps: list[tuple[str, int]], pipe_at: int, space: str, with_rest: bool
) -> None:
    terms = [_step(key, style, index == 0 or index == pipe_at) for index, (key, style) in enumerate(steps)]
    path = "".join(
        (f"{space}|{space}" if index == pipe_at and index else "") + term for index, term in enumerate(terms)
    )
    if not path.startswith("."):
        path = "." + path if not path.startswith(f"{space}|") else path
    program = (path or ".") + "[]" + (f"{space}|{space}.id" if with_rest else "")
    jq.compile(program)  # the program is jq, as written
    assert find_selection(program) == Selection(tuple(key for key, _ in steps), f"{space}.id" if with_rest else None)


@given(st.text(max_size=40))
def test_any_text_is_recognised_or_not_without_failing(text: str) -> None:
    selection = find_selection(text)
    if selection is not None:
        assert text.lstrip().startswith(".")
        assert selection.path_program().endswith("[]")


@given(st.sampled_from(["first(.items[])", "[.items[]]", ".items[]?", ".items[] as $x | $x", "(.items)[]"]), spaces)
def test_whole_document_shapes_never_stream(program: str, space: str) -> None:
    assert find_selection(space + program) is None
    assert find_selection(f".items[] |{space}input") is None
    assert find_selection(f".items[] |{space}[inputs]") is None
    assert find_selection(f".items[] |{space}$__loc__") is None
