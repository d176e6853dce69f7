"""What every request-sending command does around its work: flags, the clock, the run's objects.

`request_options(COMMAND)` appends the command's flags from the table to its signature (as
sqlite-utils does with its output options) and hands the command one `CommonFlags` object,
plus one object for the command's own group of flags.
"""

from __future__ import annotations

import functools
from collections.abc import Callable
from typing import TYPE_CHECKING, Any, NamedTuple, TypeVar

import typer

from ..clock import Clock, run_time_source
from ..commands.flags import CommonFlags, Invocation, build_invocation
from ..errors import Interrupted
from ..output import OutputPlan, StdoutSink, build_output_plan
from ..output.printer import Printer
from ..output.report import Reporter
from ..signals import deadline_alarm
from ..startup import resume_collector
from ..transport.session import redactor_for
from .options import with_flags

if TYPE_CHECKING:
    from ..commands.checks import Checks
    from ..flag_groups import CheckFlags
    from ..request.client import Client
    from ..request.polling import UntilCondition


def _max_time(given: float | None, own: dict[str, Any]) -> float | None:
    """--max-time, else the bound that --until always has: it never waits forever."""
    if given is None and (own.get("until") is not None or own.get("until_status") is not None):
        from ..request.polling import DEFAULT_UNTIL_MAX_TIME

        return DEFAULT_UNTIL_MAX_TIME
    return given


_Command = TypeVar("_Command", bound=Callable[..., Any])


def request_options(name: str) -> Callable[[_Command], _Command]:
    """Give command `name` its flags from the table (the shared ones as `flags`), the clock and the cleanup."""

    def decorate(command: _Command) -> _Command:
        @functools.wraps(command)
        def wrapper(**kwargs: Any) -> Any:
            resume_collector()
            flags: CommonFlags = kwargs["flags"]
            poll = kwargs.get("poll")
            try:
                # The run's one clock and its alarm are set up here, once, for every command.
                flags.clock = Clock(_max_time(flags.max_time, vars(poll) if poll else {}), run_time_source())
                with deadline_alarm(flags.clock):
                    result = command(**kwargs)
            except KeyboardInterrupt:  # Ctrl-C or SIGTERM; click would print a blank line and raise Abort
                _finish_clients(failed=True)
                raise Interrupted("interrupted") from None
            except BaseException:
                _finish_clients(failed=True)
                raise
            _finish_clients(failed=False)
            return result

        return with_flags(name)(wrapper)  # type: ignore[return-value]

    return decorate


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
        from ..commands.curl import write_preview

        write_preview(invocation, reporter, stdout)
        if until is not None:
            reporter.note(
                f"apicli: --until: this request would be repeated every {until.interval:g} s until {until.describe()}"
            )
        raise typer.Exit()
    return Run(invocation, reporter, plan, stdout, Printer(plan, stdout, reporter))


def reports_only(checking: CheckFlags) -> Checks | None:
    """paginate's and download's checks: --report alone (a case per page or file)."""
    import os
    import sys

    from ..commands.checks import build_checks

    return build_checks(checking, os.environ, sys.argv[1:])


def open_run_client(run: Run, *, pool_size: int = 10) -> Client:
    """The one retrying client a command's requests share."""
    from ..request.client import open_client

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
