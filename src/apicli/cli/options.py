"""Typer options generated from the flag table (apicli.flagtable): no flag is declared in the CLI layer.

`with_flags(COMMAND)` gives a command function the options the table lists for COMMAND, in
table order after the function's own arguments, and hands it their values as one flags object
per group: the function names a parameter for each group, annotated with its class
(`flags: CommonFlags`, `poll: PollFlags`).
"""

from __future__ import annotations

import enum
import functools
import inspect
from collections.abc import Callable
from typing import Annotated, Any, TypeVar, cast

import typer

from ..flagtable import FLAGS, Flag, FlagValues, flags_of
from .typer_compat import click_module

_Function = TypeVar("_Function", bound=Callable[..., Any])


def typer_option(flag: Flag, **extra: Any) -> Any:
    """The Typer declaration of `flag`, for an Annotated parameter; `extra` adds CLI-only settings (callbacks)."""
    settings: dict[str, Any] = {"help": flag.help, "show_default": flag.show_default, **extra}
    if flag.panel is not None:
        settings["rich_help_panel"] = flag.panel
    if flag.metavar is not None:
        settings["metavar"] = flag.metavar
    if flag.minimum is not None:
        settings["min"] = flag.minimum
    if flag.maximum is not None:
        settings["max"] = flag.maximum
    if flag.hidden:
        settings["hidden"] = True
    if flag.choices:
        settings["case_sensitive"] = False
    if flag.nargs > 1:
        # Typer has no option taking several values more than once: click's does, given a tuple type.
        # (Taken from click itself, not through helpformat: a request never loads the help layout.)
        settings["click_type"] = click_module("types").Tuple([str] * flag.nargs)
    return typer.Option(*flag.spellings, **settings)


@functools.cache
def _choices(name: str, choices: tuple[str, ...]) -> type[enum.StrEnum]:
    """The choices as the Enum Typer turns into a case-insensitive choice (values reach the command as str)."""
    return cast(type[enum.StrEnum], enum.StrEnum(name, {choice.upper(): choice for choice in choices}))


def typer_annotation(flag: Flag) -> Any:
    """The type Typer reads for `flag`: a repeatable flag is a list (of tuples, with nargs), None when not given."""
    if flag.repeatable:
        return list[str] | None
    return _choices(flag.name, flag.choices) if flag.choices else flag.type


def typer_default(flag: Flag) -> Any:
    return None if flag.repeatable else flag.default


@functools.cache
def table_parameters(flags: tuple[Flag, ...]) -> tuple[inspect.Parameter, ...]:
    """The flags as keyword-only parameters; built once per process for the seven verbs, which share them."""
    return tuple(
        inspect.Parameter(
            flag.name,
            inspect.Parameter.KEYWORD_ONLY,
            default=typer_default(flag),
            annotation=Annotated[typer_annotation(flag), typer_option(flag)],
        )
        for flag in flags
    )


def with_flags(command: str, table: tuple[Flag, ...] = FLAGS) -> Callable[[_Function], _Function]:
    """Give the decorated function `command`'s flags from the table, received as flags objects."""

    def decorate(function: _Function) -> _Function:
        signature = inspect.signature(function, eval_str=True)
        receivers: dict[str, type[FlagValues]] = {
            parameter.name: parameter.annotation
            for parameter in signature.parameters.values()
            if isinstance(parameter.annotation, type) and issubclass(parameter.annotation, FlagValues)
        }
        receiver_of_group = {kind.group: name for name, kind in receivers.items()}
        flags = flags_of(command, table)
        unreceived = {flag.group for flag in flags} - set(receiver_of_group)
        if unreceived:
            raise TypeError(f"{function.__name__} takes no flags object for the group(s) {sorted(unreceived)}")
        own = [parameter for parameter in signature.parameters.values() if parameter.name not in receivers]
        parameters = own + list(table_parameters(flags))

        @functools.wraps(function)
        def wrapper(**kwargs: Any) -> Any:
            values: dict[str, dict[str, Any]] = {name: {} for name in receivers}
            for flag in flags:
                value = kwargs.pop(flag.name)
                if value is None:
                    value = flag.initial()
                elif flag.choices:
                    value = str(value)
                values[receiver_of_group[flag.group]][flag.name] = value
            return function(**kwargs, **{name: receivers[name](**given) for name, given in values.items()})

        wrapper.__signature__ = signature.replace(parameters=parameters)  # type: ignore[attr-defined]
        wrapper.__annotations__ = {parameter.name: parameter.annotation for parameter in parameters}
        return wrapper  # type: ignore[return-value]

    return decorate
