"""What `apicli paginate` was asked to do, checked once: the scheme, paths, guards and pacing.

`build_settings` takes the flag values as typed on the command line (paths and rates
as text; the flags and their defaults are in apicli.flagtable) and returns a frozen
`PaginationSettings`, or raises a UsageError that names the flags that do not fit together.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum
from typing import Any

from ..errors import UsageError
from ..flag_groups import PaginationFlags
from ..flagtable import MAX_PARALLEL, find_flag
from .dotpath import DotPath, parse_path
from .rate import parse_rate

__all__ = ["Pacing", "PaginationSettings", "Scheme", "build_settings", "parse_rate"]


class Scheme(StrEnum):
    """How the next page is found; `auto` tries the Link header, then the body."""

    AUTO = "auto"
    LINK = "link"
    BODY = "body"
    CURSOR = "cursor"
    PAGE = "page"
    OFFSET = "offset"


@dataclass(frozen=True)
class Pacing:
    """Politeness between requests: a fixed pause (--delay) or a start-to-start interval (--rate)."""

    interval: float = 0.0
    fixed: bool = False  # True: pause `interval` before every request after the first


@dataclass(frozen=True)
class PaginationSettings:
    """Every field is set by build_settings, from the flags (whose defaults are the table's)."""

    scheme: Scheme
    items_path: DotPath | None
    next_path: DotPath | None
    cursor_param: str
    cursor_path: DotPath | None
    page_param: str
    offset_param: str
    limit: int | None
    limit_param: str
    start: int | None
    max_pages: int | None
    max_items: int | None
    array: bool
    allow_cross_origin: bool
    parallel: int
    pacing: Pacing
    jq_all: bool  # --jq runs once over the whole collection instead of once per item


def _path(text: str | None, flag: str) -> DotPath | None:
    if text is None:
        return None
    try:
        return parse_path(text)
    except UsageError as exc:
        exc.message = f"{flag}: {exc.message}"
        raise


def _name(text: str | None, name: str) -> str:
    """The query parameter name the flag `name` gives, else the table's fallback for it."""
    flag = find_flag("paginate", name)
    if text is None:
        return str(flag.fallback)
    if not text.strip():
        raise UsageError(f"{flag.long} needs a query parameter name")
    return text.strip()


def build_settings(*, jq: bool = False, **values: Any) -> PaginationSettings:
    """Check the pagination flags (PaginationFlags' names; jq: whether --jq is given) and turn them into settings."""
    flags = PaginationFlags(**values)
    scheme = Scheme(flags.scheme)
    implied: dict[Scheme, str] = {}
    if flags.next_path is not None:
        implied[Scheme.BODY] = "--next"
    if flags.cursor_param is not None or flags.cursor is not None:
        implied[Scheme.CURSOR] = "--cursor/--cursor-param"
    if flags.page_param is not None:
        implied[Scheme.PAGE] = "--page-param"
    if flags.offset_param is not None or flags.limit is not None or flags.limit_param is not None:
        implied[Scheme.OFFSET] = "--offset-param/--limit/--limit-param"
    if scheme is not Scheme.AUTO:
        implied.setdefault(scheme, f"--scheme {scheme.value}")
    if len(implied) > 1:
        raise UsageError(
            f"{' and '.join(implied.values())} choose different pagination schemes",
            hint="give the flags of one scheme only",
        )
    chosen = next(iter(implied), Scheme.AUTO)
    if chosen is Scheme.OFFSET and flags.limit is None:
        raise UsageError("offset pagination needs --limit N", hint="e.g. --offset-param offset --limit 100")
    if flags.start is not None and chosen not in (Scheme.PAGE, Scheme.OFFSET):
        raise UsageError("--start goes with --page-param or --offset-param")
    if flags.delay is not None and flags.rate is not None:
        raise UsageError("--delay and --rate cannot be combined")
    if flags.jq_all and not jq:
        raise UsageError("--jq-all needs --jq EXPR", hint="e.g. --jq length --jq-all")
    if flags.array and jq:
        # jq writes a stream of results (bare strings with -r): there is no array to put them in.
        raise UsageError(
            "--array and --jq cannot be combined: --jq writes one result per line",
            hint="for one array of results, run the filter over the collection: --jq 'map(EXPR)' --jq-all",
        )
    if flags.parallel < 1 or flags.parallel > MAX_PARALLEL:
        raise UsageError(f"--parallel must be between 1 and {MAX_PARALLEL}")
    pacing = Pacing()
    if flags.delay is not None and flags.delay > 0:
        pacing = Pacing(interval=flags.delay, fixed=True)
    elif flags.rate is not None:
        pacing = Pacing(interval=parse_rate(flags.rate))
    return PaginationSettings(
        scheme=chosen,
        items_path=_path(flags.items_path, "--items"),
        next_path=_path(flags.next_path, "--next"),
        cursor_param=_name(flags.cursor_param, "cursor_param"),
        cursor_path=_path(flags.cursor, "--cursor"),
        page_param=_name(flags.page_param, "page_param"),
        offset_param=_name(flags.offset_param, "offset_param"),
        limit=flags.limit,
        limit_param=_name(flags.limit_param, "limit_param"),
        start=flags.start,
        max_pages=flags.max_pages,
        max_items=flags.max_items,
        array=flags.array,
        allow_cross_origin=flags.allow_cross_origin,
        parallel=flags.parallel,
        pacing=pacing,
        jq_all=flags.jq_all,
    )
