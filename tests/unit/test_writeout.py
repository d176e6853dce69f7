"""The -w/--write-out format language: parsing (a property test) and rendering in curl's units."""

from __future__ import annotations

import json

import pytest
from hypothesis import given
from hypothesis import strategies as st

from apicli.errors import UsageError
from apicli.inputs.writeout import VARIABLES, Shown, TransferReport, parse_write_out, render_write_out
from apicli.output.terminal import visible, visible_json


def _report(**overrides: object) -> TransferReport:
    values: dict[str, object] = dict.fromkeys(VARIABLES, 0)
    values.update(url="http://127.0.0.1:1/x", content_type=None, errormsg=None)
    values.update(overrides)
    return TransferReport(values, (("Content-Type", "application/json"), ("X-Multi", "a"), ("x-multi", "b")))


def test_text_escapes_and_percent() -> None:
    pieces = render_write_out(parse_write_out(r"a\tb\nc\rd\\e %% \q"), _report())
    assert pieces == [("stdout", "a\tb\nc\rd\\e % \\q")]


def test_codes_are_three_digits_and_times_have_microseconds() -> None:
    pieces = render_write_out(parse_write_out("%{http_code} %{time_total} %{size_download}"), _report(time_total=0.25))
    assert pieces == [("stdout", "000 0.250000 0")]


def test_stderr_and_stdout_switch_mid_format() -> None:
    pieces = render_write_out(parse_write_out("a%{stderr}b%{http_code}%{stdout}c"), _report(http_code=204))
    assert pieces == [("stdout", "a"), ("stderr", "b204"), ("stdout", "c")]


def test_headers_by_name_and_as_json() -> None:
    pieces = render_write_out(parse_write_out("%header{content-type}|%header{X-MULTI}|%{header_json}"), _report())
    first, second, grouped = pieces[0][1].split("|")
    assert (first, second) == ("application/json", "a")  # curl shows the first of repeated values
    assert json.loads(grouped) == {"content-type": ["application/json"], "x-multi": ["a", "b"]}


def test_json_lists_every_variable_with_missing_strings_as_null() -> None:
    text = render_write_out(parse_write_out("%{json}"), _report(time_total=1.5))[0][1]
    document = json.loads(text)
    assert set(document) == VARIABLES
    assert document["errormsg"] is None and document["time_total"] == 1.5
    assert '"time_total":1.500000' in text


@pytest.mark.parametrize("format_text", ["%{nope}", "%{http_code}%{Http_Code}", "%{}", "x %{header_json2}"])
def test_an_unknown_variable_is_a_usage_error_naming_it(format_text: str) -> None:
    with pytest.raises(UsageError, match="unknown variable"):
        parse_write_out(format_text)


_NAMES = sorted(VARIABLES | {"json", "header_json", "stdout", "stderr"})


@given(
    st.lists(
        st.one_of(
            st.text(alphabet=st.characters(blacklist_characters="%\\"), min_size=1),
            st.sampled_from([f"%{{{name}}}" for name in _NAMES]),
            st.sampled_from(["%%", "\\n", "\\t", "\\r", "\\\\", "%header{X-A}"]),
        )
    )
)
def test_any_format_of_known_parts_parses_and_renders(parts: list[str]) -> None:
    segments = parse_write_out("".join(parts))
    pieces = render_write_out(segments, _report())
    assert all(destination in ("stdout", "stderr") for destination, _ in pieces)
    rendered = "".join(text for _, text in pieces)
    assert all(part in rendered for part in parts if part[0] not in "%\\")


@given(st.text())
def test_parsing_never_fails_but_with_a_usage_error(text: str) -> None:
    try:
        parse_write_out(text)
    except UsageError as exc:
        assert "unknown variable" in exc.message


_TERMINAL = {"stdout": Shown(visible, visible_json), "stderr": Shown(visible, visible_json)}
# What may reach a terminal from a server: no control but tab and newline (layout), no lone surrogate
# (it would be written as the raw byte it stands for).
_UNSAFE = {chr(code) for code in (*range(0x20), *range(0x7F, 0xA0), *range(0xD800, 0xE000))} - {"\t", "\n"}


@given(st.binary(max_size=40), st.text(max_size=20), st.sampled_from(["", "%{stderr}"]))
def test_values_filled_in_for_a_terminal_hold_no_control_character(raw: bytes, reason: str, switch: str) -> None:
    value = raw.decode("latin-1")  # as http.client hands a header value over
    report = _report(content_type=value, errormsg=reason, redirect_url=value)
    report = report._replace(headers=(("X-Evil", value),))
    segments = parse_write_out(switch + "%header{x-evil}%{content_type}%{errormsg}%{redirect_url}%{header_json}%{json}")
    text = "".join(piece for _, piece in render_write_out(segments, report, _TERMINAL))
    assert not _UNSAFE & set(text)
    json_text = render_write_out(parse_write_out("%{header_json}"), report, _TERMINAL)[0][1]
    assert json.loads(json_text)["x-evil"] == [raw.decode("utf-8", "surrogateescape")]


@given(st.binary(max_size=40))
def test_values_for_a_pipe_are_the_bytes_sent(raw: bytes) -> None:
    sent = b"<" + raw + b">"  # a value's own ends are kept (curl trims only the blanks around it)
    report = _report()._replace(headers=(("X-Evil", sent.decode("latin-1")),))
    text = render_write_out(parse_write_out("%header{x-evil}"), report)[0][1]
    assert text.encode("utf-8", "surrogateescape") == sent
