"""The parts flag rows are made of: --help's panels, the commands, real defaults, and `Flag` itself.

flagtable.py assembles the table from rows written with these (flagrows.py holds each command's
own rows); everything here is re-exported by flagtable, where the rest of apicli imports it from.
"""

# No `from __future__ import annotations` here: NamedTuple would compile each string annotation at import,
# and this module is imported on every start.
from pathlib import Path
from typing import Any, NamedTuple

# Panels of --help, in the order they first appear on a command's screen.
REQUEST = "Request"
AUTH = "Authentication"
SESSION = "Cookies"
NETWORK = "Network"
RETRY = "Retries"
OUTPUT = "Output"
PREVIEW = "Preview (send nothing)"
CI = "CI: polling and the whole exchange"
CHECKS = "CI: checks, captures and reports"
PAGINATION = "Pagination"
DOWNLOAD = "Download"
BATCH = "Batch"

# The commands that take flags, by the name typed after `apicli` ("apicli" itself for the root).
ROOT = "apicli"
VERBS = ("get", "post", "put", "patch", "delete", "head", "request")
# The commands that may send a body and write the response body to stdout, where it can be shaped and checked.
BODY_COMMANDS = (*VERBS, "paginate")
REQUEST_COMMANDS = (*BODY_COMMANDS, "download", "batch")
# The commands whose output is JSON they can shape: the body commands, and batch's results.
SHAPING_COMMANDS = (*BODY_COMMANDS, "batch")
CONFIG_SHOW = "config show"

# Values used when a flag is not given and a profile gives none either.
DEFAULT_TIMEOUT = 30.0
DEFAULT_RETRIES = 3
DEFAULT_MAX_REDIRECTS = 30
# Real flag defaults, named because core objects (spec.NetworkOptions, spec.RetryPolicy) share them.
DEFAULT_CONNECT_TIMEOUT = 10.0
DEFAULT_BACKOFF = 0.5
DEFAULT_RETRY_MAX_WAIT = 60.0
DEFAULT_INTERVAL = 2.0
DEFAULT_DOWNLOAD_PARALLEL = 4
DEFAULT_BATCH_PARALLEL = 8
# --max-time when --until or --until-status is given without one: a poll never waits forever.
DEFAULT_UNTIL_MAX_TIME = 300.0
MAX_PARALLEL = 64  # most requests at once for --parallel (paginate, download and batch)


class Flag(NamedTuple):
    """One flag of one or more commands.

    `type` is the value a command receives (a repeatable flag's is a list, empty when not
    given); `fallback` is what applies when the flag is not given and its default is None
    (a profile's value may come first). `group` names the flags object that receives it.
    """

    name: str
    spellings: tuple[str, ...]
    type: Any
    default: Any
    help: str
    commands: tuple[str, ...]
    group: str
    panel: str | None = None
    metavar: str | None = None
    show_default: bool = True
    minimum: float | None = None
    maximum: float | None = None
    choices: tuple[str, ...] = ()
    # Values each use takes (--arg NAME VALUE takes 2); with `repeatable`, a list of tuples.
    nargs: int = 1
    repeatable: bool = False
    hidden: bool = False
    fallback: Any = None

    def initial(self) -> Any:
        """The value before the command line is read: a fresh list for a repeatable flag."""
        return [] if self.repeatable else self.default

    @property
    def long(self) -> str:
        """The spelling messages use: the first long one."""
        return next(spelling for spelling in self.spellings if spelling.startswith("--"))


def _request(name: str, *spellings: str, type: Any, default: Any = None, **fields: Any) -> Flag:
    """A flag every request command shares (download refuses a body and response shaping)."""
    fields.setdefault("commands", REQUEST_COMMANDS)
    return Flag(name, spellings, type, default, group="request", **fields)


def _text(name: str, *spellings: str, **fields: Any) -> Flag:
    """A shared flag taking one text value, None when not given."""
    return _request(name, *spellings, type=str | None, show_default=False, **fields)


def _file(name: str, *spellings: str, **fields: Any) -> Flag:
    return _request(name, *spellings, type=Path | None, show_default=False, metavar="FILE", **fields)


def _switch(name: str, *spellings: str, **fields: Any) -> Flag:
    return _request(name, *spellings, type=bool, default=False, **fields)


def _repeated(name: str, *spellings: str, **fields: Any) -> Flag:
    return _request(name, *spellings, type=list[str], repeatable=True, show_default=False, **fields)
