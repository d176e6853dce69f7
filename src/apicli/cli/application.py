"""The Typer application object and the error-to-exit-code mapping.

Every command raises `ApicliError`s; `run` is the one place that turns them
(and Typer/click usage errors, Ctrl-C and closed pipes) into a line on stderr
and an exit code.
"""

from __future__ import annotations

import copy
import importlib
import os
import sys
from collections.abc import Sequence
from typing import TYPE_CHECKING, Annotated, Any

import typer

from .. import __version__
from ..clock import given_time_source
from ..errors import ApicliError, ExitCode, PipeClosed
from ..flagtable import find_flag
from ..output.report import Redactor
from .options import typer_option
from .typer_compat import click_module

if TYPE_CHECKING:
    from ..clock import TimeSource

ROOT_HELP = """A fast HTTP/JSON client for shell one-liners, CI steps and jq pipelines.

stdout carries only a successful body; messages go to stderr, and the exit code says what happened.

Examples:

  $ apicli get api.github.com/repos/psf/requests | jq .stargazers_count
  $ apicli post :8080/users name=ann age:=31 tags:='["a"]' X-Trace:abc
  $ apicli paginate :8080/events per_page==100 | jq -c 'select(.error)'
  $ apicli download :8080/files/big.iso --sha256 "$SUM" --continue
  $ apicli get "$API/health" --max-time 20 --retries 5   # a CI step

Reference: apicli help exit-codes, apicli help items, apicli help config, apicli help limits,
and apicli COMMAND --help.
The same pages are in `man apicli` and in docs/ of the source distribution."""

app = typer.Typer(
    name="apicli",
    help=ROOT_HELP,
    no_args_is_help=True,
    add_completion=True,
    pretty_exceptions_enable=False,
    context_settings={"help_option_names": ["-h", "--help"]},
)


class ErrorContext:
    """What the error printer needs to know about the running command."""

    redactor: Redactor = Redactor()


def _version(value: bool) -> None:
    if value:
        typer.echo(f"apicli {__version__}")
        raise typer.Exit()


_VERSION = find_flag("root", "version")


@app.callback()
def root(
    version: Annotated[bool, typer_option(_VERSION, callback=_version, is_eager=True)] = _VERSION.default,
) -> None:
    """A fast HTTP/JSON client for shell one-liners, CI steps and jq pipelines."""


def _stderr_line(text: str) -> None:
    try:
        sys.stderr.write(text + "\n")
        sys.stderr.flush()
    except (OSError, ValueError):
        pass


def report_error(exc: ApicliError) -> None:
    from ..output.format import format_error

    redact = ErrorContext.redactor.text
    message = exc.message
    notes = getattr(exc, "__notes__", None)
    if notes:
        message += f" ({'; '.join(notes)})"
    detail = redact(exc.detail) if exc.detail else None
    hint = redact(exc.hint) if exc.hint else None
    for line in format_error(redact(message), detail=detail, hint=hint):
        _stderr_line(line)


def _silence_stdout() -> None:
    """After a closed pipe, point stdout at /dev/null so the final flush cannot complain."""
    try:
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stdout.fileno())
    except (OSError, ValueError):
        pass


# Which module registers each command, in the order --help lists them.
COMMAND_MODULES = {
    **dict.fromkeys(("get", "post", "put", "patch", "delete", "head", "request"), "verbs"),
    "paginate": "paginate",
    "download": "download",
    "batch": "batch",
    "config": "config",
    "help": "reference",
}


def load_commands(name: str | None = None) -> typer.Typer:
    """Register the command `name` (importing only its module), or every command; returns the app."""
    modules = [COMMAND_MODULES[name]] if name in COMMAND_MODULES else list(dict.fromkeys(COMMAND_MODULES.values()))
    for module in modules:
        importlib.import_module(f"{__package__}.{module}")
    # The order of --help, whichever module happened to be imported first.
    order = list(COMMAND_MODULES)
    app.registered_commands.sort(key=lambda info: order.index(info.name) if info.name in order else len(order))
    app.registered_groups.sort(key=lambda info: order.index(info.name) if info.name in order else len(order))
    return app


def _app_for(args: list[str]) -> typer.Typer:
    """The app with only the command being run, so the other commands are neither imported nor built.

    Importing and building every command costs tens of milliseconds, most of a one-liner's
    budget. Help, completion and unknown commands get the whole app.
    """
    name = next((arg for arg in args if not arg.startswith("-")), None)
    if name is None or "_APICLI_COMPLETE" in os.environ:
        return load_commands()
    load_commands(name)
    chosen = [info for info in app.registered_commands if info.name == name]
    if not chosen:
        return load_commands()
    slim = copy.copy(app)
    slim.registered_commands = chosen
    slim.registered_groups = []
    return slim


def _command_position(args: list[str]) -> int | None:
    return next((position for position, arg in enumerate(args) if not arg.startswith("-")), None)


def _preprocess(args: list[str]) -> list[str]:
    """Habits from other tools that mean exactly an apicli command line, rewritten to it.

    `GET URL` is `get URL` (HTTPie's capitals), `OPTIONS URL` is `request OPTIONS URL`, and
    `help COMMAND` is `COMMAND --help`. A known command costs one dict look-up, nothing more.
    """
    position = _command_position(args)
    if position is None or "_APICLI_COMPLETE" in os.environ:
        return args
    word = args[position]
    if word == "help" and position + 1 < len(args) and not args[position + 1].startswith("-"):
        from ..commands.reference import TOPICS

        named = args[position + 1]
        if named not in TOPICS:
            command = _preprocess([named])
            if command[0] in COMMAND_MODULES:
                return [*args[:position], command[0], "--help", *args[position + 2 :]]
        return args
    if word in COMMAND_MODULES:
        return args
    from ..commands.foreign_flags import command_for

    replacement = command_for(word)
    return args if replacement is None else [*args[:position], *replacement, *args[position + 1 :]]


def _misplaced_command(args: list[str]) -> list[str] | None:
    """The error for a URL (or an unknown method) where the command belongs, else None."""
    position = _command_position(args)
    if position is None or args[position] in COMMAND_MODULES or "_APICLI_COMPLETE" in os.environ:
        return None
    from ..commands.foreign_flags import unknown_command_lines
    from ..output.terminal import visible

    lines = unknown_command_lines(args[position])
    return None if lines is None else [visible(line) for line in lines]


def _may_show_help(args: list[str]) -> bool:
    """Whether this run may print a help screen (or complete), so the help layout is worth building.

    A request skips it: the layout is help-only, and a one-liner's start-up is its budget.
    """
    if "_APICLI_COMPLETE" in os.environ or not args or "-h" in args or "--help" in args:
        return True
    return next((arg for arg in args if not arg.startswith("-")), "help") in ("help", "config")


def _unknown_option_lines(exc: Any, args: list[str]) -> list[str]:
    """The error for an unknown option: where the flag comes from and the apicli way, when known.

    A cluster of short flags (`-fsSL`) gets one error naming every letter. Spelling suggestions
    are kept for flags no other tool has (`--tiemout` -> `--timeout`).
    """
    from ..commands.foreign_flags import cluster_lines, foreign_flag_advice, is_cluster, read_cluster

    option = exc.option_name
    command_path = exc.ctx.command_path if exc.ctx is not None else "apicli"
    from ..flagtable import refusal

    refused = refusal(command_path.removeprefix("apicli "), option)
    if refused is not None:  # a shared flag this command does not take: why, rather than where else it is
        message, reason = refused
        return [f"apicli: {message}", f"hint: {reason}"]
    if len(option) == 2:
        own = _short_flags(exc.ctx.command if exc.ctx is not None else None)
        for arg in filter(is_cluster, args):
            letters = read_cluster(arg, own, first="jq" if "--jq" in args else None)
            if any(letter.flag == option and letter.own is None for letter in letters):
                return cluster_lines(arg, letters, command_path)
    elsewhere = [
        f"apicli {info.name}"
        for info in load_commands().registered_commands
        if info.name != command_path.split(" ")[-1] and _has_option(info.name, option)
    ]
    advice = foreign_flag_advice(option)
    if advice is None and not elsewhere:
        return [f"apicli: {exc.format_message()}", f"hint: see '{command_path} --help'"]
    owners = " and ".join(elsewhere)
    if advice is None:
        return [f"apicli: no such option for {command_path}: {option}", f"hint: {option} is an option of {owners}"]
    origin, hint = advice
    also = f" ({option} is an option of {owners})" if elsewhere else ""
    return [f"apicli: no such option: {option} ({origin})", f"hint: {hint}{also}"]


def _short_flags(command: Any) -> dict[str, tuple[str, bool]]:
    """The command's one-letter flags: {'-s': ('--quiet', False), '-H': ('--header', True)}."""
    found: dict[str, tuple[str, bool]] = {}
    for param in getattr(command, "params", ()):
        names = [*param.opts, *param.secondary_opts]
        takes_value = not (getattr(param, "is_flag", False) or getattr(param, "count", False))
        for name in names:
            if len(name) == 2 and name[0] == "-" and name[1] != "-":
                found[name] = (max(names, key=len), takes_value)
    return found


def _usage_lines(exc: Any, args: list[str]) -> list[str]:
    """A usage error's line and hint; -q gets its meaning here, since HTTPie's and xh's -q is quiet."""
    from ..commands.foreign_flags import QUERY_HINT, QUERY_MEANING

    command_path = exc.ctx.command_path if exc.ctx is not None else "apicli"
    if getattr(exc, "option_name", None) == "-q":  # -q at the end, with no value
        return [f"apicli: -q needs a value: {QUERY_MEANING}", f"hint: {QUERY_HINT}"]
    if "-q" in args and type(exc).__name__ == "MissingParameter":  # -q took the URL as its value
        after = args[args.index("-q") + 1 :]
        took = f", so it took {after[0]!r} as its value" if after else ""
        return [f"apicli: {exc.format_message()}", f"hint: {QUERY_MEANING}{took}; {QUERY_HINT}"]
    if command_path == "apicli help":
        return [f"apicli: {exc.format_message()}", "hint: name a topic, or a command for its help: apicli help get"]
    return [f"apicli: {exc.format_message()}", f"hint: see '{command_path} --help'"]


def _has_option(command_name: str | None, option: str) -> bool:
    command = typer.main.get_command(app)
    sub = getattr(command, "commands", {}).get(command_name)
    return sub is not None and any(option in (*param.opts, *param.secondary_opts) for param in sub.params)


def _click_module() -> Any:
    """The exceptions module of the click typer raises from."""
    return click_module("exceptions")


_COMPLETION_FLAGS = ("--install-completion", "--show-completion")
_SHELLS = ("bash", "zsh", "fish", "powershell", "pwsh")


def _named_shell(args: list[str]) -> tuple[str, str] | None:
    """(flag, shell) for `--install-completion bash` or `--show-completion=zsh`."""
    for position, arg in enumerate(args):
        flag, equals, value = arg.partition("=")
        if flag in _COMPLETION_FLAGS:
            named = value if equals else (args[position + 1] if position + 1 < len(args) else "")
            return (flag, named) if named in _SHELLS else None
    return None


def run(argv: Sequence[str] | None = None, *, time_source: TimeSource | None = None) -> int:
    """Run the CLI and return the exit code; never raises, never shows a traceback.

    `time_source` replaces the real time and sleep of the run's clock (tests pass one)."""
    click = _click_module()
    from ..output.plan import StreamClosedError, guard_standard_streams
    from ..signals import install_termination_handlers

    guard_standard_streams()
    install_termination_handlers()
    args = _preprocess(list(sys.argv[1:] if argv is None else argv))
    try:
        misplaced = _misplaced_command(args)
        if misplaced is not None:
            for line in misplaced:
                _stderr_line(line)
            return int(ExitCode.USAGE)
        named = _named_shell(args)
        if named is not None:
            # Typer would detect the shell from the process tree and ignore the one named (and
            # fails where no shell started apicli): the user's word wins.
            from .completion import install_or_show

            return install_or_show(*named)
        command = typer.main.get_command(_app_for(args))
        if _may_show_help(args):
            from .helpformat import polish

            polish(command)
        if "_APICLI_COMPLETE" in os.environ or "--install-completion" in args or "--show-completion" in args:
            from .completion import attach_completions, use_apicli_completion

            use_apicli_completion()
            attach_completions(command)
        with given_time_source(time_source):
            result = command.main(args=args, prog_name="apicli", standalone_mode=False)
        return int(result) if isinstance(result, int) else 0
    except PipeClosed:
        _silence_stdout()
        return int(ExitCode.OK)
    except ApicliError as exc:
        report_error(exc)
        return int(exc.exit_code)
    except click.NoArgsIsHelpError as exc:
        exc.show()
        return int(ExitCode.USAGE)
    except click.NoSuchOption as exc:
        for line in _unknown_option_lines(exc, args):
            _stderr_line(line)
        return int(ExitCode.USAGE)
    except click.UsageError as exc:
        for line in _usage_lines(exc, args):
            _stderr_line(line)
        return int(ExitCode.USAGE)
    except click.ClickException as exc:
        _stderr_line(f"apicli: {exc.format_message()}")
        return int(ExitCode.USAGE)
    except typer.Abort:  # Ctrl-C before a command started
        _stderr_line("apicli: interrupted")
        return int(ExitCode.INTERRUPTED)
    except BrokenPipeError:
        _silence_stdout()
        return int(ExitCode.OK)
    except StreamClosedError as exc:  # --version or --help with stdout closed
        report_error(ApicliError(f"cannot write to {exc.stream_name}: it is closed"))
        return int(ExitCode.ERROR)
    except SystemExit as exc:  # rich ends help output this way on a closed pipe
        _silence_stdout()
        return exc.code if isinstance(exc.code, int) else int(ExitCode.ERROR)
    except KeyboardInterrupt:
        _stderr_line("apicli: interrupted")
        return int(ExitCode.INTERRUPTED)
    except Exception as exc:  # the promise: no traceback, ever
        if os.environ.get("APICLI_DEBUG"):
            raise
        _stderr_line(f"apicli: internal error: {ErrorContext.redactor.text(f'{type(exc).__name__}: {exc}')}")
        _stderr_line("hint: set APICLI_DEBUG=1 to see the traceback, and please report it")
        return int(ExitCode.ERROR)
