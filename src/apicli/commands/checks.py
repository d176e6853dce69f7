"""A request as a CI check: --expect-status, --schema, --assert, --capture and --report together.

When several checks fail at once, every failure is named on stderr and the exit code is the
first that applies, in this order (`apicli help exit-codes` has the table):

1. no answer (connection, timeout, interruption): that error's code, and nothing else is checked;
2. the status is not the expected one: 3, 4 or 5 by its class (10 for an unexpected 1xx or 2xx);
3. the body does not match --schema: 9;
4. an --assert failed or raised a jq error, or a --capture had no value: 10.

The body goes where it would have gone had no check been given: stdout (or -o FILE) for an
expected status, stderr's error report otherwise. Captures are written only when everything
passed; a report gets its case whatever happened.
"""

from __future__ import annotations

import time
from collections.abc import Mapping
from pathlib import Path
from typing import TYPE_CHECKING, Any, NamedTuple

from ..errors import ApicliError, AssertionFailed, HTTPStatusError, OutputError, SchemaValidationError

if TYPE_CHECKING:
    import requests

    from ..batch.results import Result
    from ..filters.checks import AssertOutcome, CaptureOutcome, ChecksProgram
    from ..flag_groups import CheckFlags
    from ..output.capturefile import CaptureTarget
    from ..output.printer import Printer
    from ..request.client import Client, ExchangeObserver
    from ..request.polling import StatusSet
    from ..spec import RequestSpec


class CheckResult(NamedTuple):
    """One named check of a request: its status, its schema, each assert and capture."""

    name: str
    passed: bool
    message: str | None


class Outcome(NamedTuple):
    """What the checks of one answer found; `error` is the one the run ends with (None: all passed)."""

    checks: list[CheckResult]
    error: ApicliError | None


class Checks:
    """The run's checks, compiled and validated before anything is sent."""

    def __init__(
        self,
        program: ChecksProgram | None,
        expected: StatusSet | None,
        expected_text: str | None,
        target: CaptureTarget | None,
        reports: list[tuple[str, Path]],
        *,
        mask_secrets: bool,
        argv: list[str],
    ) -> None:
        self.program = program
        self.expected = expected
        self.expected_text = expected_text
        self.target = target
        self.reports = reports
        self.mask_secrets = mask_secrets
        self.argv = argv  # the run's name in reports
        self.started = time.time()
        self.cases: list[Any] = []  # output.testreport.Case, imported only when a report is asked for

    @property
    def holds_body(self) -> bool:
        """Asserts and captures read the body whole (bounded) before it is delivered."""
        return self.program is not None

    def answers(self) -> frozenset[int]:
        """The statuses that are the answer, never retried."""
        return self.expected.members() if self.expected is not None else frozenset()

    def status_is_expected(self, status: int, ignore_status: bool) -> bool:
        if self.expected is not None:
            return status in self.expected
        return ignore_status or status < 300 or status == 304

    def unexpected_status(self, client: Client, response: requests.Response, body: bytes | None) -> ApicliError:
        """The error for a status outside --expect-status (or the default rule)."""
        status = response.status_code
        if status >= 300 and status != 304:
            try:
                client.check_status(response, held=body)
            except HTTPStatusError as exc:
                if self.expected is not None:
                    exc.hint = f"--expect-status {self.expected_text} was expected"
                return exc
        from ..formats.urls import redact_url

        return AssertionFailed(
            f"HTTP {status} {response.reason} is not an expected status "
            f"({response.request.method} {redact_url(response.url)})",
            hint=f"--expect-status {self.expected_text} was expected",
        )

    def judge(
        self,
        client: Client,
        response: requests.Response,
        body: bytes,
        facts: bytes,
        *,
        status_error: ApicliError | None,
        schema_error: ApicliError | None,
        schema_given: bool = False,
        printer: Printer,
    ) -> Outcome:
        """Run asserts and captures on the answer, tell each failure, and pick the error the run ends with."""
        status_text = self.expected_text or "2xx"
        checks = [
            CheckResult(
                f"status in {status_text}", status_error is None, status_error.message if status_error else None
            )
        ]
        if schema_given and status_error is None:  # the schema checks a body that was delivered
            checks.append(CheckResult("schema", schema_error is None, schema_error.message if schema_error else None))
        asserts: list[AssertOutcome] = []
        captures: list[CaptureOutcome] = []
        if self.program is not None:
            asserts, captures = self.program.evaluate(facts, body)
        reporter = client.reporter
        failed = [outcome.failure for outcome in asserts if outcome.failure is not None]
        failed += [outcome.failure for outcome in captures if outcome.failure is not None]
        secrets = [outcome.value for outcome in captures if outcome.capture.secret and outcome.value]
        for secret in secrets:
            reporter.redactor.add(secret)  # before any line that could show it
        checks += [CheckResult(outcome.assertion.text, outcome.passed, outcome.failure) for outcome in asserts]
        checks += [CheckResult(f"capture {item.capture.name}", item.failure is None, item.failure) for item in captures]
        for line in failed:
            reporter.failure(f"apicli: {line}")
        error = status_error or schema_error
        if error is None and failed:
            total = len(asserts) + len(captures)
            error = AssertionFailed(
                f"{len(failed)} of {total} check{'s' if total != 1 else ''} failed "
                f"({response.request.method} {_where(response)})",
                hint="each failure is named above; the body was written as usual",
            )
        if error is None and captures:
            self._keep(captures, printer, client)
        return Outcome(checks, error)

    def _keep(self, captures: list[CaptureOutcome], printer: Printer, client: Client) -> None:
        from ..output.capturefile import capture_lines, check_capture_value, mask_lines

        assert self.target is not None
        values = [(item.capture.name, item.value or "") for item in captures]
        for name, value in values:
            check_capture_value(name, value)
        if self.mask_secrets:
            for item in captures:
                if item.capture.secret and item.value:
                    for line in mask_lines(item.value):
                        client.reporter.workflow_command(line)
        printer.append(self.target.path, capture_lines(values, self.target))

    def record(
        self,
        spec: RequestSpec,
        response: requests.Response | None,
        elapsed: float,
        checks: list[CheckResult],
        error: ApicliError | None,
        kind: str = "request",
    ) -> None:
        """The case of one request (or page, or file), for the reports."""
        if not self.reports:
            return
        from ..formats.urls import redact_url

        method = response.request.method if response is not None else spec.method
        url = redact_url(response.url if response is not None else spec.url)
        retried = getattr(response.raw, "retries", None) if response is not None else None
        if response is not None:
            attempts = len(getattr(retried, "history", ()) or ()) + 1
        else:
            attempts = error.attempts if error is not None and error.attempts else 1
        # A failure a check already tells (status, schema, asserts) is not also the case's error.
        own_error = error if error is not None and not _is_check_failure(error, checks) else None
        status = response.status_code if response is not None else None
        message = own_error.message if own_error is not None else None
        self._add_case(kind, method or "GET", url, status, elapsed, attempts, checks, message)

    def _add_case(
        self,
        kind: str,
        method: str,
        url: str,
        status: int | None,
        elapsed: float,
        attempts: int,
        checks: list[CheckResult],
        error: str | None,
    ) -> None:
        from ..output.testreport import Case, Check

        named = [Check(check.name, check.passed, check.message) for check in checks]
        self.cases.append(Case(f"{method} {url}", kind, method, url, status, elapsed, attempts, named, error))

    def judge_result(self, result: Result, *, schema_given: bool = False) -> None:
        """batch's hook: check one result before it is written (it may fail it), and keep its case.

        `.` is the body as the result embeds it (JSON as sent; text as a string). The worker checked
        --schema already (a mismatch is the result's "schema" error); here it becomes the case's check.
        Captures go into the result when it and every check succeeded; one without a value fails it."""
        checks: list[CheckResult] = []
        if result.status is not None:
            status_failed = result.kind == "http"
            status_text = f"status in {self.expected_text or '2xx'}"
            checks.append(CheckResult(status_text, not status_failed, result.error if status_failed else None))
        if schema_given and result.status is not None and result.kind in (None, "schema"):
            schema_failed = result.kind == "schema"
            checks.append(CheckResult("schema", not schema_failed, result.error if schema_failed else None))
        if self.program is not None and result.ok:
            body = (result.body or "").encode("utf-8", "surrogatepass")
            asserts, captures = self.program.evaluate(result.facts or b"{}", body)
            captures = [_within_limit(item) for item in captures]
            checks += [CheckResult(outcome.assertion.text, outcome.passed, outcome.failure) for outcome in asserts]
            checks += [CheckResult(f"capture {item.capture.name}", item.failure is None, item.failure)
                       for item in captures]  # fmt: skip
            failed = [outcome.failure for outcome in asserts if outcome.failure is not None]
            missing = [item.failure for item in captures if item.failure is not None]
            if failed:
                result.fail("assertion", "; ".join(failed + missing))
            elif missing:
                result.fail("capture", "; ".join(missing))
            elif captures:
                result.captures = [(item.capture.name, item.value or "") for item in captures]
        if self.reports and result.method is not None:
            own_error = result.error if result.kind not in ("http", "assertion", "schema", "capture") else None
            url = result.url or ""
            self._add_case("request", result.method, url, result.status, result.seconds, result.attempts, checks,
                           own_error)  # fmt: skip

    def observer(self, kind: str) -> ExchangeObserver:
        """What paginate (kind "page") and download ("file") tell of each request: a case each."""

        def observe(
            spec: RequestSpec, response: requests.Response | None, elapsed: float, error: ApicliError | None
        ) -> None:
            checks = []
            if response is not None:
                status_failed = isinstance(error, HTTPStatusError)
                message = error.message if status_failed and error is not None else None
                checks.append(CheckResult(f"status in {self.expected_text or '2xx'}", not status_failed, message))
            if kind == "file":
                checks.append(CheckResult("saved and verified", error is None, error.message if error else None))
            self.record(spec, response, elapsed, checks, error, kind)

        return observe

    def write_reports(self, printer: Printer) -> None:
        if not self.reports:
            return
        import shlex

        from ..output.testreport import Run

        redact = printer.reporter.redactor.text if printer.reporter is not None else str
        run = Run(name=redact(shlex.join(self.argv)), started=self.started, cases=list(self.cases))
        for report_format, path in self.reports:
            printer.report(report_format, path, run)


def _is_check_failure(error: ApicliError, checks: list[CheckResult]) -> bool:
    """Whether `error` is already told by a failed check (status, schema, asserts), not a failure of its own."""
    if isinstance(error, (HTTPStatusError, SchemaValidationError, AssertionFailed)):
        return any(not check.passed for check in checks)
    return False


def _within_limit(item: CaptureOutcome) -> CaptureOutcome:
    """A batch capture past the limit a capture has anywhere (CAPTURE_VALUE) is a failed capture."""
    from ..output.capturefile import check_capture_size

    if item.value is None:
        return item
    try:
        check_capture_size(item.capture.name, item.value)
    except OutputError as exc:
        return item._replace(value=None, failure=exc.message)
    return item


def _where(response: requests.Response) -> str:
    from ..formats.urls import redact_url

    return redact_url(response.url)


def build_checks(
    flags: CheckFlags, environ: Mapping[str, str], argv: list[str], bindings: str = "", *, in_results: bool = False
) -> Checks | None:
    """The run's checks from its flags (None when none was given); every mistake is a usage error now.

    `in_results`: captures go into each result (batch), not to a --capture-file."""
    from ..errors import UsageError

    if not (flags.assert_ or flags.expect_status or flags.capture or flags.capture_secret or flags.report):
        if flags.capture_file is not None:
            raise UsageError("--capture-file needs --capture", hint="--capture 'id=.id' --capture-file vars.sh")
        return None
    program = None
    captures = []
    if flags.capture or flags.capture_secret:
        from ..filters.checks import parse_capture

        captures = [parse_capture(text) for text in flags.capture]
        captures += [parse_capture(text, secret=True) for text in flags.capture_secret]
    target = None
    if captures and not in_results:
        from ..output.capturefile import capture_target, check_capture_names

        if flags.capture_file is None:
            raise UsageError(
                "--capture needs --capture-file",
                hint="--capture-file vars.sh (then: . ./vars.sh), or --capture-file github in GitHub Actions",
            )
        target = capture_target(flags.capture_file, environ)
        check_capture_names([capture.name for capture in captures], target)
    elif flags.capture_file is not None:
        raise UsageError("--capture-file needs --capture", hint="--capture 'id=.id' --capture-file vars.sh")
    if flags.assert_ or captures:
        from ..filters.checks import ChecksProgram, parse_assertion

        program = ChecksProgram([parse_assertion(text) for text in flags.assert_], captures, bindings)
    expected = None
    if flags.expect_status is not None:
        from ..request.polling import parse_status_list

        expected = parse_status_list(flags.expect_status, "--expect-status")
    reports: list[tuple[str, Path]] = []
    if flags.report:
        from ..output.testreport import parse_report_target

        reports = [parse_report_target(text) for text in flags.report]
    in_github = environ.get("GITHUB_ACTIONS") == "true" or (target is not None and target.format == "github")
    return Checks(
        program,
        expected,
        flags.expect_status,
        target,
        reports,
        mask_secrets=in_github,
        argv=["apicli", *argv],
    )
