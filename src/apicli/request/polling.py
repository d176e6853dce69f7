"""--until and --until-status: repeat an idempotent request until its answer says the service is ready.

One attempt is one whole request, retries and backoff included. Until the condition holds,
anything counts as "not yet": a refused connection, a timeout, any status, a body that is not
JSON or that the expression fails on. The wait is bounded by --max-time (300 s by default),
and only the body that satisfied the condition ever reaches stdout.
"""

from __future__ import annotations

import math
import re
from collections.abc import Callable
from contextlib import ExitStack
from typing import TYPE_CHECKING

import requests

from ..errors import ApicliError, ConnectionFailed, HTTPStatusError, RequestTimeout, ResponseFormatError, UsageError
from ..flagtable import DEFAULT_INTERVAL as DEFAULT_INTERVAL
from ..flagtable import DEFAULT_UNTIL_MAX_TIME as DEFAULT_UNTIL_MAX_TIME
from ..output.body import PRETTY_LIMIT
from ..output.streams import read_limited
from ..spec import IDEMPOTENT_METHODS, RequestSpec

if TYPE_CHECKING:
    from ..filters.jqfilter import JqProgram
    from ..output.report import Reporter
    from .client import Client

QUIET_PROGRESS_EVERY = 10.0  # seconds between progress lines when stderr is not a terminal
# A timeout this close to the end of --max-time was the deadline's, not the attempt's own.
DEADLINE_SLACK = 0.01
_STATUS_ITEM = re.compile(r"^([1-5])(?:([0-9])([0-9])|xx)$")
_FALSY = ("false", "null")


class StatusSet:
    """Statuses such as `200`, `2xx` or `200,204`."""

    __slots__ = ("classes", "exact")

    def __init__(self, exact: frozenset[int], classes: frozenset[int]) -> None:
        self.exact = exact
        self.classes = classes  # 2 for 2xx

    def __contains__(self, status: int) -> bool:
        return status in self.exact or status // 100 in self.classes

    def members(self) -> frozenset[int]:
        """Every status from 100 to 599 in the set."""
        return frozenset(status for status in range(100, 600) if status in self)


def parse_status_list(text: str, flag: str = "--until-status") -> StatusSet:
    """`200`, `2xx`, `200,204`: statuses from 100 to 599 or whole classes; anything else is a usage error."""
    exact: set[int] = set()
    classes: set[int] = set()
    for item in text.split(","):
        item = item.strip().lower()
        match = _STATUS_ITEM.match(item)
        if match is None:
            raise UsageError(
                f"{flag}: {item!r} is not a status", hint="give statuses or classes: 200, 2xx, 200,204"
            )
        if match.group(2) is None:
            classes.add(int(match.group(1)))
        else:
            exact.add(int(item))
    return StatusSet(frozenset(exact), frozenset(classes))


class UntilCondition:
    # Plain classes here, not NamedTuples: each NamedTuple class costs start-up time on every --until run.
    __slots__ = ("expression", "interval", "statuses")

    def __init__(
        self,
        expression: JqProgram | None = None,
        statuses: StatusSet | None = None,
        interval: float = DEFAULT_INTERVAL,
    ) -> None:
        self.expression = expression
        self.statuses = statuses
        self.interval = interval

    def describe(self) -> str:
        parts = []
        if self.statuses is not None:
            parts.append("the status is in --until-status")
        if self.expression is not None:
            parts.append(f"{self.expression.expression!r} holds")
        return " and ".join(parts)


def check_until_method(method: str) -> None:
    if method not in IDEMPOTENT_METHODS:
        raise UsageError(
            f"--until repeats the request, and a {method} is not idempotent",
            hint="poll with a GET (or HEAD, PUT, DELETE, OPTIONS)",
        )


class Verdict:
    __slots__ = ("holds", "seen")

    def __init__(self, holds: bool, seen: str) -> None:
        self.holds = holds
        self.seen = seen  # what the attempt got, for progress and the final message


def status_wanted(condition: UntilCondition, status: int) -> bool:
    """Without --until-status, the status must be a success."""
    return status in condition.statuses if condition.statuses is not None else 200 <= status < 300


def judge(condition: UntilCondition, status: int, body: bytes, content_type: str | None) -> Verdict:
    """Whether one answer satisfies the condition."""
    seen = f"HTTP {status}"
    if not status_wanted(condition, status):
        return Verdict(False, f"{seen}, {excerpt(body)}")
    if condition.expression is None:
        return Verdict(True, seen)
    from ..filters.jqfilter import body_text

    try:
        holds = expression_holds(condition.expression, body_text(body, content_type))
    except (ResponseFormatError, UnicodeDecodeError):
        holds = False
    return Verdict(holds, seen if holds else f"{seen}, {excerpt(body)}")


def expression_holds(expression: JqProgram, text: str) -> bool:
    """As `jq -e` decides: the last result must be neither false nor null (ResponseFormatError if not JSON).

    `halt` ends the evaluation, and the results before it decide; `halt_error` ends the run
    (JqHaltError: exit 2, or 0 for halt_error(0)), as it does with --jq."""
    from ..filters.jqfilter import halt_error

    results = expression.results(text)
    stop = halt_error("--until", results.halt)
    if stop is not None:
        raise stop
    return bool(results) and results[-1] not in _FALSY


class StreamCondition:
    """--until on a stream: checked on each event (or record) as it is written; the first that
    satisfies it ends the stream. A stream that ends first has not met it."""

    def __init__(self, expression: JqProgram, unit: str = "event") -> None:
        self.expression = expression
        self.unit = unit  # what the stream is made of: "event" or "record"
        self.checked = 0
        self.met = False

    def holds(self, text: str) -> bool:
        self.checked += 1
        try:
            self.met = expression_holds(self.expression, text)
        except ResponseFormatError:  # a record or event that is not JSON: not yet
            self.met = False
        return self.met

    def check_met(self) -> None:
        if not self.met:
            count = f"{self.checked} {self.unit}{'s' if self.checked != 1 else ''}"
            raise RequestTimeout(
                f"--until: the stream ended after {count}; {self.expression.expression!r} never held",
                hint="check the condition against the events with --events",
            )


def excerpt(body: bytes, limit: int = 80) -> str:
    text = " ".join(body.decode("utf-8", "replace").split())
    return (text[:limit] + "…") if len(text) > limit else (text or "empty body")


class Answer:
    """The attempt that satisfied the condition: its response (still open) and its whole body
    (None for an event or record stream, which the condition checks as it is written)."""

    __slots__ = ("body", "response")

    def __init__(self, response: requests.Response, body: bytes | None) -> None:
        self.response = response
        self.body = body


class PollProgress:
    """Progress on stderr: one updating line on a terminal, else a line at most every 10 s; none with -s."""

    def __init__(self, reporter: Reporter, *, terminal: bool, clock: Callable[[], float]) -> None:
        self.reporter = reporter
        self.terminal = terminal
        self.clock = clock
        self.started = clock()
        self.last_line = -QUIET_PROGRESS_EVERY
        self.drawn = False

    def attempt(self, number: int, seen: str) -> None:
        if self.reporter.quiet:
            return
        elapsed = self.clock() - self.started
        line = f"apicli: waiting: attempt {number}, {elapsed:.1f} s, last: {seen}"
        if self.terminal:
            self.reporter.overwrite(line)
            self.drawn = True
        elif elapsed - self.last_line >= QUIET_PROGRESS_EVERY:
            self.reporter.note(line)
            self.last_line = elapsed

    def finish(self) -> None:
        if self.drawn:
            self.reporter.overwrite(None)


def poll(
    client: Client,
    spec: RequestSpec,
    condition: UntilCondition,
    stack: ExitStack,
    *,
    progress: PollProgress,
) -> Answer:
    """Send `spec` until the answer satisfies `condition`; RequestTimeout (exit 8) when the deadline passes.

    The wait between attempts is --interval, taken from the one backoff schedule (retry.py) as a
    base that does not grow, and through the client's clock."""
    from ..transport.retry import backoff_wait, no_jitter

    clock = client.clock
    started = clock.now()
    attempts = 0
    seen = "nothing yet"
    try:
        while True:
            attempts += 1
            attempt_started = clock.now()
            with ExitStack() as attempt:
                try:
                    prepared = client.prepare(spec, attempt)
                    response = client.send(prepared)
                    attempt.callback(response.close)
                    if _streams(response, condition):
                        # The stream is the answer: an expression is checked event by event as it is written.
                        stack.push(attempt.pop_all())
                        progress.finish()
                        return Answer(response, None)
                    body = read_limited(client.body_chunks(response), PRETTY_LIMIT, purpose="to check with --until")
                    if condition.expression is not None and condition.expression.facts is not None:
                        from ..output.facts import facts_text, response_facts

                        elapsed = clock.now() - attempt_started
                        condition.expression.with_facts(facts_text(response_facts(response, elapsed=elapsed)))
                    verdict = judge(condition, response.status_code, body, response.headers.get("Content-Type"))
                    seen = verdict.seen
                    if verdict.holds:
                        stack.push(attempt.pop_all())  # the caller closes the response once it is shown
                        progress.finish()
                        return Answer(response, body)
                except (ConnectionFailed, HTTPStatusError, ResponseFormatError) as exc:
                    seen = exc.message
                except RequestTimeout as exc:
                    if clock.expired(DEADLINE_SLACK):
                        raise
                    seen = exc.message
            progress.attempt(attempts, seen)
            wait = backoff_wait(
                attempts, backoff=condition.interval, max_wait=math.inf, growth=1.0, jitter=no_jitter, clock=clock
            )
            if wait.past_deadline:
                raise clock.expired_error()
            clock.sleep(wait.seconds)
    except RequestTimeout:
        progress.finish()
        raise RequestTimeout(
            f"--until: not met after {attempts} attempt{'s' if attempts != 1 else ''} in {clock.now() - started:.1f} s;"
            f" the last one got {seen}",
            hint="raise --max-time, or check the condition with --until and -v",
        ) from None
    except ApicliError:
        progress.finish()
        raise


def _streams(response: requests.Response, condition: UntilCondition) -> bool:
    """A server-sent-event or NDJSON answer with a wanted status."""
    from ..output.format import is_event_stream, is_record_stream

    content_type = response.headers.get("Content-Type")
    wanted = status_wanted(condition, response.status_code)
    return wanted and (is_event_stream(content_type) or is_record_stream(content_type))
