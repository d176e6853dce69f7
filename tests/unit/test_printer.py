"""The Printer: one per run, the one place the body's sink is opened and each stream's terminal filter decided."""

from __future__ import annotations

import io
from pathlib import Path

import pytest

from apicli.errors import OutputError
from apicli.output.body import ResponseBody
from apicli.output.plan import OutputPlan
from apicli.output.printer import Printer


class Stdout(io.BytesIO):
    pass


def _notes() -> list[str]:
    return []


def test_a_body_goes_to_stdout_as_sent_when_nothing_else_is_asked() -> None:
    stdout = Stdout()
    Printer(OutputPlan(), stdout).body(ResponseBody(iter([b'{"a":', b"1}"]), "application/json"), note=print)
    assert stdout.getvalue() == b'{"a":1}'


def test_the_file_appears_whole_and_stdout_gets_nothing(tmp_path: Path) -> None:
    stdout, target = Stdout(), tmp_path / "out.json"
    printer = Printer(OutputPlan(destination=target, indent=True), stdout)
    printer.body(ResponseBody(iter([b'{"a":', b"[1]}"]), "application/json"), note=print)
    assert target.read_bytes() == b'{\n  "a": [\n    1\n  ]\n}\n'
    assert stdout.getvalue() == b""


def test_a_failure_while_writing_leaves_no_file(tmp_path: Path) -> None:
    target = tmp_path / "out"

    def broken() -> object:
        yield b"part"
        raise OutputError("the body broke")

    with pytest.raises(OutputError):
        Printer(OutputPlan(destination=target), Stdout()).body(ResponseBody(broken(), "text/plain"), note=print)  # type: ignore[arg-type]
    assert list(tmp_path.iterdir()) == []


def test_a_terminal_gets_control_characters_spelled_out_and_binary_withheld() -> None:
    stdout, notes = Stdout(), _notes()
    printer = Printer(OutputPlan(to_terminal=True, stdout_terminal=True), stdout)
    printer.body(ResponseBody(iter([b"hi\x1b]0;x\x07"]), "text/plain"), note=notes.append)
    assert stdout.getvalue() == b"hi\\x1b]0;x\\x07"
    printer.body(ResponseBody(iter([b"\x00\x01"]), "application/octet-stream", "2"), note=notes.append)
    assert stdout.getvalue() == b"hi\\x1b]0;x\\x07"
    assert notes == ["apicli: binary body not shown (application/octet-stream, 2 bytes); save it with -o FILE"]


@pytest.mark.parametrize(("stdout_terminal", "stderr_terminal"), [(False, False), (True, False), (False, True)])
def test_server_values_are_filtered_on_whichever_stream_is_a_terminal(
    tmp_path: Path, stdout_terminal: bool, stderr_terminal: bool
) -> None:
    # The body goes to a file: the filters follow the streams, not the body.
    plan = OutputPlan(destination=tmp_path / "x", stdout_terminal=stdout_terminal, stderr_terminal=stderr_terminal)
    filters = Printer(plan, Stdout()).shown_filters()
    assert sorted(filters) == [name for name, on in (("stderr", stderr_terminal), ("stdout", stdout_terminal)) if on]
    for shown in filters.values():
        assert shown.text("a\x1b[31m") == "a\\x1b[31m"


def test_a_head_is_coloured_as_the_body_would_be() -> None:
    stdout = Stdout()
    seen: list[bool] = []

    def lines(color: bool) -> list[str]:
        seen.append(color)
        return ["HTTP/1.1 200 OK", "a: b"]

    Printer(OutputPlan(indent=True, color=True), stdout).head(lines)
    assert seen == [True]
    assert stdout.getvalue() == b"HTTP/1.1 200 OK\na: b\n"


@pytest.mark.parametrize(
    ("stderr_terminal", "quiet", "kind"),
    [(True, False, "BarProgress"), (True, True, "LineProgress"), (False, False, "LineProgress")],
)
def test_a_downloads_progress_is_the_printers_stderr_decision(stderr_terminal: bool, quiet: bool, kind: str) -> None:
    from apicli.output.report import Reporter

    stderr = io.StringIO()
    printer = Printer(OutputPlan(stderr_terminal=stderr_terminal), Stdout(), Reporter(stderr, quiet=quiet))
    progress = printer.progress(files=1)
    assert type(progress).__name__ == kind
    progress.message("apicli: resuming a.bin from byte 3")
    progress.close()
    assert ("resuming" in stderr.getvalue()) is not quiet
