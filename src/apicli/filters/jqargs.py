"""jq's own arguments: --arg, --argjson, --slurpfile and --rawfile, as the jq command reads them.

Each binds `$NAME` in every jq expression of the run (--jq, --until, --assert, --capture) and
appears in `$ARGS.named`, as in jq. They are constants, so they are bound once, by a prefix
compiled with the program: `{"positional":[],"named":{…}} as $ARGS | $ARGS.named as {$a, …} |`.
Values keep their text: a number given to --argjson stays exactly as written.

The prefix is one line, so `$__loc__` still counts the program's own lines from 1.
"""

from __future__ import annotations

import json
import re
from collections.abc import Sequence
from pathlib import Path

from ..errors import UsageError
from ..formats import jsontext
from ..limits import JQ_ARGUMENT_FILE, read_bounded, size_text
from .jqvars import RESPONSE_VARIABLES

_IDENTIFIER = re.compile(r"[A-Za-z_][A-Za-z0-9_]*")


def bindings_prefix(
    args: Sequence[tuple[str, str]] = (),
    argjson: Sequence[tuple[str, str]] = (),
    slurpfile: Sequence[tuple[str, str]] = (),
    rawfile: Sequence[tuple[str, str]] = (),
) -> str:
    """The program prefix binding every argument; "" when none is given."""
    named: dict[str, str] = {}  # name -> the value's JSON text, in the order given (a repeat wins, as in jq)
    for name, value in args:
        named[_checked_name(name, "--arg")] = json.dumps(value, ensure_ascii=False)
    for name, text in argjson:
        named[_checked_name(name, "--argjson")] = _json_value(text, f"--argjson {name}")
    for name, path in slurpfile:
        named[_checked_name(name, "--slurpfile")] = _slurped(path, name)
    for name, path in rawfile:
        content = _read(path, "--rawfile", name)
        try:
            named[_checked_name(name, "--rawfile")] = json.dumps(content.decode("utf-8"), ensure_ascii=False)
        except UnicodeDecodeError:
            raise UsageError(f"--rawfile {name}: {path!r} is not UTF-8 text") from None
    if not named:
        return ""
    members = ",".join(f"{json.dumps(name, ensure_ascii=False)}:{text}" for name, text in named.items())
    prefix = f'{{"positional":[],"named":{{{members}}}}} as $ARGS | '
    variables = [name for name in named if _IDENTIFIER.fullmatch(name)]
    if variables:
        prefix += "$ARGS.named as {" + ", ".join(f"${name}" for name in variables) + "} | "
    return prefix


def _checked_name(name: str, flag: str) -> str:
    if name in RESPONSE_VARIABLES:
        raise UsageError(
            f"{flag} {name}: ${name} is the response's own (as --envelope names it)",
            hint=f"give the value another name; ${name} is bound for every jq expression apicli runs",
        )
    return name


def _json_value(text: str, where: str) -> str:
    """`text` if it is one JSON value, on one line (a raw line break in JSON is only ever whitespace)."""
    try:
        jsontext.loads(text)
    except ValueError as exc:
        raise UsageError(
            f"{where}: invalid JSON text ({_first_line(exc)})", hint="--argjson n 2, --argjson o '{\"a\": 1}'"
        ) from None
    return text.strip().replace("\r", " ").replace("\n", " ")


def _slurped(path: str, name: str) -> str:
    """The JSON values in the file as one array's text (numbers as libjq writes them: as given)."""
    content = _read(path, "--slurpfile", name)
    try:
        import jq

        values = list(jq.compile("tojson").input_text(content.decode("utf-8")))
    except UnicodeDecodeError:
        raise UsageError(f"--slurpfile {name}: {path!r} is not UTF-8 text") from None
    except ValueError as exc:
        raise UsageError(f"--slurpfile {name}: {path!r} is not JSON ({_first_line(exc)})") from None
    return "[" + ",".join(values) + "]"


def _read(path: str, flag: str, name: str) -> bytes:
    from ..inputs.items import expand_user
    from ..inputs.local_input import NotReadable, iter_chunks, open_local

    where = f"{flag} {name}: {path!r}"
    try:
        opened = open_local(expand_user(Path(path)))
        with opened.stream as stream:
            if opened.size is not None and opened.size > JQ_ARGUMENT_FILE.bytes:
                raise UsageError(f"{where} is larger than {size_text(JQ_ARGUMENT_FILE.bytes)}")
            return read_bounded(iter_chunks(stream), JQ_ARGUMENT_FILE, error=UsageError, what=where)
    except NotReadable as exc:
        raise UsageError(f"{where}: cannot read it: {exc.reason}") from None
    except OSError as exc:
        raise UsageError(f"{where}: cannot read it: {exc.strerror or exc}") from None


def _first_line(exc: Exception) -> str:
    return str(exc).splitlines()[0] if str(exc) else type(exc).__name__
