"""Sending one line of a batch, on a worker thread, into its Result; nothing a worker meets escapes it.

Every worker shares the run's one client: its session and connection pool, its cookie jar and its
credentials. requests' Session may send from several threads at once, but preparing a request
reads the cookie jar while another thread's response may be adding to it, and the first request
may fetch a token: preparing is therefore done one request at a time, holding the jar's own lock
(sending, the slow part, is not).
"""

from __future__ import annotations

import threading
from contextlib import ExitStack
from typing import TYPE_CHECKING, Any

from ..compat import cookie_jar_lock
from ..errors import ApicliError
from ..formats.urls import add_query, redact_url
from ..limits import BATCH_BODY, read_bounded
from ..request.client import NO_BODY_STATUSES, Client
from .build import SpecBuilder
from .gate import Gate, allow_unsafe_retries
from .lines import LineRequest
from .results import Result, error_message, failure_kind

if TYPE_CHECKING:
    import requests

    from ..filters.schema import SchemaValidator
    from ..transport.timing import TransferClock

SHOWN_SCHEMA_ERRORS = 3  # a result's schema error names this many ways the body breaks the schema


class Sender:
    """Sends a line's request through the gate and records what came back."""

    def __init__(
        self,
        client: Client,
        builder: SpecBuilder,
        gate: Gate,
        *,
        ignore_status: bool = False,
        include: bool = False,
        timed: bool = False,
        expected: frozenset[int] | None = None,
        keep_facts: bool = False,
        schema: SchemaValidator | None = None,
    ) -> None:
        self.client = client
        self.schema = schema  # --schema: a successful answer's body must match it
        self.builder = builder
        self.gate = gate
        self.ignore_status = ignore_status
        self.include = include
        self.timed = timed  # -w: each transfer's phases are measured and reported
        self.expected = expected  # --expect-status: the statuses that succeed, instead of the 2xx rule
        self.keep_facts = keep_facts  # --assert: each result keeps the response's facts
        self._prepare_lock = threading.Lock()
        self._jar_lock = cookie_jar_lock(client.session.cookies)

    def send(self, request: LineRequest, result: Result) -> Result:
        """`request` sent, its outcome in `result`; never raises but for Ctrl-C in the main thread."""
        clock = self.client.clock
        started = clock.now()
        transfer: TransferClock | None = None
        response: requests.Response | None = None
        failure: ApicliError | None = None
        try:
            spec = self.builder.build(request)
            result.method = spec.method
            result.url = redact_url(add_query(spec.url, spec.query))
            allow_unsafe_retries(spec.header("Idempotency-Key") is not None)
            result.sent = False
            self.gate.enter()
            result.sent = True
            if self.timed:
                from ..transport.timing import start_clock

                transfer = start_clock()
            with ExitStack() as stack:
                with self._prepare_lock, self._jar_lock:
                    prepared = self.client.prepare(spec, stack)
                response = self.client.send(prepared)
                stack.callback(response.close)
                self._record(response, result, started)
        except ApicliError as exc:
            failure = exc
            result.fail(failure_kind(exc), error_message(exc))
            result.attempts = max(result.attempts, exc.attempts or 1)
        except Exception as exc:  # a worker must hand back a result whatever happens
            result.fail("error", error_message(exc))
            result.attempts = max(result.attempts, 1)
        result.seconds = clock.now() - started
        if self.timed and result.method is not None and result.url is not None:
            result.report = self._report(request, result, transfer, response, failure)
        return result

    def _record(self, response: requests.Response, result: Result, started: float) -> None:
        result.status = status = response.status_code
        retries = getattr(response.raw, "retries", None)
        result.attempts = len(getattr(retries, "history", ()) or ()) + 1
        self.client.show_response_head(response, self.include)
        body: bytes | None = None  # None: an answer without a body by definition (HEAD, 204, 304)
        if response.request.method != "HEAD" and status not in NO_BODY_STATUSES:
            body = read_bounded(self.client.body_chunks(response), BATCH_BODY, clock=self.client.clock)
            if body:
                result.set_body(body, response.headers.get("Content-Type"))
        if self.keep_facts:
            from ..output.facts import facts_text, response_facts

            result.facts = facts_text(response_facts(response, elapsed=self.client.clock.now() - started))
        if self.expected is not None:
            if status in self.expected:
                result.ok = True
            else:
                result.fail("http", f"HTTP {status} {response.reason or ''}".rstrip() + " is not an expected status")
        elif not self.ignore_status and status >= 300 and status != 304:
            why = "" if status >= 400 else ", redirect not followed"
            result.fail("http", f"HTTP {status} {response.reason or ''}".rstrip() + why)
        else:
            result.ok = True
        if result.ok and self.schema is not None and body is not None:
            self._check_schema(self.schema, body, result)

    @staticmethod
    def _check_schema(schema: SchemaValidator, body: bytes, result: Result) -> None:
        """--schema, as the request verbs check a body (the same errors), on the worker."""
        from ..filters.schema import schema_failure

        errors = schema.body_errors(body)
        if errors:
            failure = schema_failure(errors, SHOWN_SCHEMA_ERRORS)
            more = [line.removeprefix("apicli: ") for line in (failure.detail or "").splitlines()]
            result.fail("schema", "; ".join([failure.message, *more]))

    def _report(
        self,
        request: LineRequest,
        result: Result,
        transfer: TransferClock | None,
        response: requests.Response | None,
        failure: ApicliError | None,
    ) -> Any:
        from ..request.transferinfo import transfer_report

        body = response.request.body if response is not None else None
        spec = self.builder.build(request)
        return transfer_report(
            url=add_query(spec.url, spec.query),
            method=spec.method,
            clock=transfer,
            response=response,
            error=failure,
            size_upload=len(body) if isinstance(body, bytes | str) else 0,
        )
