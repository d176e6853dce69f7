"""Typer declarations of the flags every request-sending command shares.

`request_options` appends them to a command's signature (as sqlite-utils does
with its output options) and hands the command one `CommonFlags` object.
"""

from __future__ import annotations

import functools
import inspect
import time
from collections.abc import Callable
from typing import TYPE_CHECKING, Annotated, Any, NamedTuple

import typer

from ..errors import Interrupted
from ..flags import CommonFlags, Invocation, build_invocation
from ..output import OutputPlan, StdoutSink, build_output_plan
from ..output.printer import Printer
from ..report import Reporter
from ..session import redactor_for
from ..signals import deadline_alarm
from ..startup import resume_collector
from .options import COMMON_NAMES, COMMON_OPTIONS

if TYPE_CHECKING:
    from ..client import Client
    from ..polling import UntilCondition

# Replaced in tests so that retries never sleep for real.
sleep_function: Callable[[float], None] = time.sleep


@functools.cache
def _shared_parameters(taken: frozenset[str]) -> tuple[inspect.Parameter, ...]:
    """The shared flags as keyword-only parameters, less those a command declares itself.

    Built once per process: the seven request verbs all ask for the same list.
    """
    return tuple(
        inspect.Parameter(name, inspect.Parameter.KEYWORD_ONLY, default=default, annotation=Annotated[kind, option])
        for name, kind, default, option in COMMON_OPTIONS
        if name not in taken
    )


def _max_time(given: float | None, own: dict[str, Any]) -> float | None:
    """--max-time, else the bound that --until always has: it never waits forever."""
    if given is None and (own.get("until") is not None or own.get("until_status") is not None):
        from ..polling import DEFAULT_UNTIL_MAX_TIME

        return DEFAULT_UNTIL_MAX_TIME
    return given


def request_options(command: Callable[..., Any]) -> Callable[..., Any]:
    """Extend `command`'s signature with the shared flags; it receives them as `flags`."""
    signature = inspect.signature(command, eval_str=True)
    own = [p for p in signature.parameters.values() if p.name != "flags"]
    params = own + list(_shared_parameters(frozenset(p.name for p in own)))

    @functools.wraps(command)
    def wrapper(**kwargs: Any) -> Any:
        resume_collector()
        values = {name: kwargs.pop(name) for name in COMMON_NAMES if name in kwargs}
        values["header"] = values.get("header") or []
        values["query"] = values.get("query") or []
        values["cookie"] = values.get("cookie") or []
        try:
            # The --max-time deadline and its alarm are set up here, once, for every command.
            with deadline_alarm(_max_time(values.get("max_time"), kwargs)) as deadline:
                result = command(**kwargs, flags=CommonFlags(**values, deadline=deadline))
        except KeyboardInterrupt:  # Ctrl-C or SIGTERM; click would print a blank line and raise Abort
            _finish_clients(failed=True)
            raise Interrupted("interrupted") from None
        except BaseException:
            _finish_clients(failed=True)
            raise
        _finish_clients(failed=False)
        return result

    wrapper.__signature__ = signature.replace(parameters=params)  # type: ignore[attr-defined]
    wrapper.__annotations__ = {p.name: p.annotation for p in params}
    return wrapper


# The clients a command opened: their cookie jars are saved when it ends, whatever the outcome.
_open_clients: list[Client] = []


def _finish_clients(*, failed: bool) -> None:
    """Save each client's cookie jar; after a failure, a jar that cannot be saved is a note, not the error."""
    from ..errors import ApicliError

    clients = list(_open_clients)
    _open_clients.clear()
    for client in clients:
        try:
            client.save_cookies()
        except ApicliError as exc:
            if not failed:
                raise
            client.reporter.note(f"apicli: {exc.message}")


class Run(NamedTuple):
    """What a command needs once its flags are read: the core objects, the reporter and the output plan."""

    invocation: Invocation
    reporter: Reporter
    plan: OutputPlan
    stdout: StdoutSink
    printer: Printer  # every output sink of the run


def prepare_run(
    method: str, url: str, items: list[str] | None, flags: CommonFlags, *, until: UntilCondition | None = None
) -> Run:
    """Flags -> core objects, the reporter and the output plan; also arms secret redaction for error messages."""
    import os
    import sys

    from ..output.plan import is_terminal
    from .application import ErrorContext

    invocation = build_invocation(
        method,
        url,
        list(items or []),
        flags,
        environ=os.environ,
        stdin=sys.stdin.buffer,
        stdin_is_terminal=is_terminal(sys.stdin),
        sleep=lambda seconds: sleep_function(seconds),
    )
    plan = build_output_plan(invocation.output, os.environ)
    spec = invocation.spec
    proxies = [value for name, value in os.environ.items() if name.lower().endswith("_proxy") and "@" in value]
    if invocation.session.proxy is not None:
        proxies.append(invocation.session.proxy)
    redactor = redactor_for(spec.credentials, headers=spec.headers, url=spec.url, query=spec.query, proxies=proxies)
    ErrorContext.redactor = redactor
    reporter = Reporter(
        sys.stderr, verbose=flags.verbose, quiet=flags.quiet, redactor=redactor, color=plan.stderr_color
    )
    for notice in invocation.notices:
        reporter.note(notice)
    stdout = StdoutSink(sys.stdout.buffer)
    if invocation.preview is not None:
        # Handled here, for every command, so that a preview can never send anything.
        from ..curl import write_preview

        write_preview(invocation, reporter, stdout)
        if until is not None:
            reporter.note(
                f"apicli: --until: this request would be repeated every {until.interval:g} s until {until.describe()}"
            )
        raise typer.Exit()
    return Run(invocation, reporter, plan, stdout, Printer(plan, stdout, reporter))


def open_run_client(run: Run, *, pool_size: int = 10) -> Client:
    """The one retrying client a command's requests share."""
    from ..client import open_client

    invocation = run.invocation
    client = open_client(
        invocation.spec,
        invocation.retry,
        invocation.network,
        run.reporter,
        unsafe_retries=invocation.unsafe_retries,
        pool_size=pool_size,
        timed=invocation.write_out is not None,
        session_options=invocation.session,
    )
    _open_clients.append(client)
    return client
