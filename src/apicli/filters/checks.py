"""--assert and --capture: jq expressions over the answer, all run as one program.

Every assert and capture of a run is compiled into a single jq program, once, before anything
is sent (a syntax error is a usage error): ten asserts cost about what one does. It runs on the
body as one JSON document, with the response's facts as $status & co. (jqvars.py); a body that
is not one JSON document (empty, text, several values) is `null` to it, so status, header and
time asserts still work.

An assert holds when it produces at least one result and none is false or null (jq -e's rule,
applied to every result rather than only the last). A capture keeps its first result: a string
as itself, anything else as compact JSON, numbers as jq writes them.
"""

from __future__ import annotations

import json
import re
from typing import NamedTuple

from ..errors import ApicliError, ResponseFormatError, UsageError
from .jqfilter import JqProgram, JqResults, compile_jq
from .jqsides import comparison_sides, split_message

_CAPTURE_NAME = re.compile(r"[A-Za-z_][A-Za-z0-9_-]*")
_SHOWN_VALUE = 200  # characters of a side's value in a failure message
_SHOWN_VALUES = 3  # values of a side that produced several


class Assertion(NamedTuple):
    text: str  # as given: its name in reports
    expression: str  # without its message
    message: str | None  # from a trailing `# comment`


class Capture(NamedTuple):
    name: str
    expression: str
    secret: bool = False


class AssertOutcome(NamedTuple):
    assertion: Assertion
    passed: bool
    failure: str | None  # the line that says why, without "apicli: "


class CaptureOutcome(NamedTuple):
    capture: Capture
    value: str | None  # None: the expression produced nothing, or failed
    failure: str | None


def parse_assertion(text: str) -> Assertion:
    if not text.strip():
        raise UsageError("--assert: the expression is empty", hint="--assert '$status == 200' or --assert '.id > 0'")
    expression, message = split_message(text)
    return Assertion(text, expression, message)


def parse_capture(text: str, *, secret: bool = False) -> Capture:
    """`NAME=EXPR`; the name's form is checked here only loosely (the capture file's rules come later)."""
    flag = "--capture-secret" if secret else "--capture"
    name, equals, expression = text.partition("=")
    name = name.strip()
    if not equals or not expression.strip():
        raise UsageError(f"{flag}: {text!r} is not NAME=EXPR", hint=f"{flag} 'id=.id' keeps the body's id as id")
    if not _CAPTURE_NAME.fullmatch(name):
        raise UsageError(
            f"{flag}: {name!r} is not a usable name",
            hint="a letter or _ first, then letters, digits, _ (and - for GitHub outputs)",
        )
    return Capture(name, expression, secret)


# Each assert gives the truth of each of its results (or its error), each capture its first result
# (a string as itself, anything else as jq's JSON text); Python reads the verdicts. Fewer builtins
# here compile faster: ten asserts cost about 1 ms of compiling more than one.
def _assert_term(expression: str) -> str:
    return f"(try [({expression}\n) | . != false and . != null] catch {{e: .}})"


def _capture_term(expression: str) -> str:
    return f'(try [limit(1; ({expression}\n)) | if type == "string" then . else tojson end] catch {{e: .}})'


class ChecksProgram:
    """The run's asserts and captures, compiled together."""

    def __init__(self, assertions: list[Assertion], captures: list[Capture], bindings: str = "") -> None:
        self.assertions = assertions
        self.captures = captures
        self.bindings = bindings  # jq's own arguments (jqargs.py)
        source = (
            "{a: ["
            + ", ".join(_assert_term(item.expression) for item in assertions)
            + "], c: ["
            + ", ".join(_capture_term(item.expression) for item in captures)
            + "]}"
        )
        try:
            expressions = [item.expression for item in assertions] + [item.expression for item in captures]
            self.program = compile_jq(source, fork_now=False, brief_here=True, bindings=bindings, judged=expressions)
        except UsageError:
            _name_the_invalid_one(assertions, captures, bindings)
            raise

    def evaluate(self, facts: bytes, body: bytes) -> tuple[list[AssertOutcome], list[CaptureOutcome]]:
        """Run every assert and capture on `body`, with the response's `facts` (a JSON object's text)."""
        self.program.with_facts(facts)
        answer = _run_on_document(self.program, body)
        assert_results = answer.get("a", [])
        capture_results = answer.get("c", [])
        asserts = [
            _assert_outcome(item, result, facts, body, self.bindings)
            for item, result in zip(self.assertions, assert_results, strict=False)
        ]
        captures = [
            _capture_outcome(item, result) for item, result in zip(self.captures, capture_results, strict=False)
        ]
        return asserts, captures


def _run_on_document(program: JqProgram, body: bytes) -> dict[str, list[object]]:
    """The program's one result on `body` as a JSON document, or on null when it is not one."""
    text = _document_text(body)
    results = _results_or_none(program, text) if text is not None else None
    if results is None or len(results) != 1 or results.halt is not None:
        results = program.results("null")
    if results.halt is not None or len(results) != 1:
        raise ApicliError("--assert: the checks were stopped by halt or halt_error", hint="asserts cannot halt")
    loaded = json.loads(results[0])
    return loaded if isinstance(loaded, dict) else {}


def _document_text(body: bytes) -> str | None:
    if not body.strip() or b"\x00" in body:
        return None
    try:
        return body.decode("utf-8")
    except UnicodeDecodeError:
        return None


def _results_or_none(program: JqProgram, text: str) -> JqResults | None:
    """Results of `program` on `text`, or None when `text` does not parse as JSON (a jq error still raises)."""
    try:
        return program.results(text)
    except ResponseFormatError as exc:
        if "is not JSON" not in exc.message:
            raise
    return None


def _assert_outcome(item: Assertion, result: object, facts: bytes, body: bytes, bindings: str) -> AssertOutcome:
    if isinstance(result, list) and result and all(verdict is True for verdict in result):
        return AssertOutcome(item, True, None)
    label = f"{item.message}: " if item.message else ""
    if isinstance(result, dict) and "e" in result:
        return AssertOutcome(item, False, f"assertion error: {label}{item.expression}: {_error_text(result['e'])}")
    if not result:
        return AssertOutcome(item, False, f"assertion failed: {label}{item.expression} (no output)")
    why = _side_values(item.expression, facts, body, bindings)
    return AssertOutcome(item, False, f"assertion failed: {label}{item.expression}{f' ({why})' if why else ''}")


def _capture_outcome(item: Capture, result: object) -> CaptureOutcome:
    flag = "--capture-secret" if item.secret else "--capture"
    if isinstance(result, list) and result and isinstance(result[0], str):
        return CaptureOutcome(item, result[0], None)
    if isinstance(result, dict) and "e" in result:
        return CaptureOutcome(item, None, f"{flag} {item.name}: jq error: {_error_text(result['e'])}")
    return CaptureOutcome(item, None, f"{flag} {item.name}: {item.expression} produced no value")


def _error_text(error: object) -> str:
    """A jq error's message: a string as itself, any other value as JSON (as jq prints it)."""
    return _shown(error if isinstance(error, str) else json.dumps(error, ensure_ascii=False))


def _side_values(expression: str, facts: bytes, body: bytes, bindings: str) -> str | None:
    """`.count is 2` (and the other side's, when it is not a literal), or None when the shape is unsure."""
    sides = comparison_sides(expression)
    if sides is None:
        return None
    shown = [side for side in (sides.left, sides.right) if not _is_literal(side)]
    if not shown:
        return None
    pairs = ", ".join(f"[limit({_SHOWN_VALUES + 1}; ({side}\n)) | tojson]" for side in shown)
    source = f"{sides.prefix} | [{pairs}]" if sides.prefix else f"[{pairs}]"
    try:
        judged = [sides.prefix, *shown] if sides.prefix else shown
        program = compile_jq(source, fork_now=False, brief_here=True, bindings=bindings, judged=judged)
        program.with_facts(facts)
        text = _document_text(body)
        results = _results_or_none(program, text) if text is not None else None
        if results is None:
            results = program.results("null")
    except ApicliError:
        return None
    if len(results) != 1:
        return None
    values = json.loads(results[0])
    return "; ".join(f"{side} is {_values_text(side_values)}" for side, side_values in zip(shown, values, strict=False))


def _values_text(values: list[str]) -> str:
    if not values:
        return "empty"
    shown = [_shown(value) for value in values[:_SHOWN_VALUES]]
    return ", ".join(shown) + (", …" if len(values) > _SHOWN_VALUES else "")


def _shown(text: str) -> str:
    text = text.replace("\r", "\\r").replace("\n", "\\n")
    return text if len(text) <= _SHOWN_VALUE else text[:_SHOWN_VALUE] + "…"


def _is_literal(side: str) -> bool:
    """A number, string without interpolation, true, false or null: its value is its text."""
    try:
        json.loads(side)
    except ValueError:
        return False
    return True


def _name_the_invalid_one(assertions: list[Assertion], captures: list[Capture], bindings: str) -> None:
    """The combined program did not compile: a usage error naming the assert or capture at fault."""
    for assertion in assertions:
        _compiles(assertion.expression, f"--assert {assertion.text!r}", bindings)
    for capture in captures:
        _compiles(capture.expression, f"--capture {capture.name}", bindings)


def _compiles(expression: str, where: str, bindings: str) -> None:
    try:
        compile_jq(expression, fork_now=False, bindings=bindings)
    except UsageError as exc:
        exc.message = exc.message.replace("--jq", where, 1)
        raise
