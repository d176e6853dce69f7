"""What `apicli paginate` was asked to do, checked once: the scheme, paths, guards and pacing.

`build_settings` takes the flag values as typed on the command line (paths and rates
as text) and returns a frozen `PaginationSettings`, or raises a UsageError that names
the flags that do not fit together.
"""

from __future__ import annotations

import math
import re
from dataclasses import dataclass
from enum import StrEnum

from ..errors import UsageError
from ..spec import MAX_PARALLEL
from .dotpath import DotPath, parse_path

__all__ = ["Pacing", "PaginationSettings", "Scheme", "build_settings", "parse_rate"]


_RATE = re.compile(r"^\s*(\d+(?:\.\d*)?|\.\d+)\s*(?:/\s*([a-z]+))?\s*$", re.IGNORECASE)
_UNIT_SECONDS = {
    unit: seconds
    for names, seconds in (
        (("s", "sec", "secs", "second", "seconds"), 1.0),
        (("m", "min", "mins", "minute", "minutes"), 60.0),
        (("h", "hr", "hrs", "hour", "hours"), 3600.0),
    )
    for unit in names
}


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
    scheme: Scheme = Scheme.AUTO
    items_path: DotPath | None = None
    next_path: DotPath | None = None
    cursor_param: str = "cursor"
    cursor_path: DotPath | None = None
    page_param: str = "page"
    offset_param: str = "offset"
    limit: int | None = None
    limit_param: str = "limit"
    start: int | None = None
    max_pages: int | None = None
    max_items: int | None = None
    array: bool = False
    allow_cross_origin: bool = False
    parallel: int = 1
    pacing: Pacing = Pacing()
    jq_all: bool = False  # --jq runs once over the whole collection instead of once per item


def parse_rate(text: str) -> float:
    """Seconds between request starts for a rate such as `5/s`, `0.5/s`, `120/min` or `2` (per second)."""
    match = _RATE.match(text)
    seconds = _UNIT_SECONDS.get((match.group(2) or "s").lower()) if match else None
    if match is None or seconds is None:
        raise UsageError(f"invalid --rate {text!r}", hint="write requests per unit of time, e.g. 5/s, 100/min, 1/h")
    count = float(match.group(1))
    if count <= 0 or not math.isfinite(count):
        raise UsageError(f"invalid --rate {text!r}: the rate must be above zero")
    return seconds / count


def _path(text: str | None, flag: str) -> DotPath | None:
    if text is None:
        return None
    try:
        return parse_path(text)
    except UsageError as exc:
        exc.message = f"{flag}: {exc.message}"
        raise


def _name(text: str | None, flag: str) -> str | None:
    if text is not None and not text.strip():
        raise UsageError(f"{flag} needs a query parameter name")
    return None if text is None else text.strip()


def build_settings(
    *,
    scheme: Scheme = Scheme.AUTO,
    items: str | None = None,
    next_path: str | None = None,
    cursor_param: str | None = None,
    cursor: str | None = None,
    page_param: str | None = None,
    start: int | None = None,
    offset_param: str | None = None,
    limit: int | None = None,
    limit_param: str | None = None,
    max_pages: int | None = None,
    max_items: int | None = None,
    array: bool = False,
    allow_cross_origin: bool = False,
    parallel: int = 1,
    delay: float | None = None,
    rate: str | None = None,
    jq: bool = False,
    jq_all: bool = False,
) -> PaginationSettings:
    """Check the pagination flags against each other and turn them into settings."""
    implied: dict[Scheme, str] = {}
    if next_path is not None:
        implied[Scheme.BODY] = "--next"
    if cursor_param is not None or cursor is not None:
        implied[Scheme.CURSOR] = "--cursor/--cursor-param"
    if page_param is not None:
        implied[Scheme.PAGE] = "--page-param"
    if offset_param is not None or limit is not None or limit_param is not None:
        implied[Scheme.OFFSET] = "--offset-param/--limit/--limit-param"
    if scheme is not Scheme.AUTO:
        implied.setdefault(scheme, f"--scheme {scheme.value}")
    if len(implied) > 1:
        raise UsageError(
            f"{' and '.join(implied.values())} choose different pagination schemes",
            hint="give the flags of one scheme only",
        )
    chosen = next(iter(implied), Scheme.AUTO)
    if chosen is Scheme.OFFSET and limit is None:
        raise UsageError("offset pagination needs --limit N", hint="e.g. --offset-param offset --limit 100")
    if start is not None and chosen not in (Scheme.PAGE, Scheme.OFFSET):
        raise UsageError("--start goes with --page-param or --offset-param")
    if delay is not None and rate is not None:
        raise UsageError("--delay and --rate cannot be combined")
    if jq_all and not jq:
        raise UsageError("--jq-all needs --jq EXPR", hint="e.g. --jq length --jq-all")
    if array and jq:
        # jq writes a stream of results (bare strings with -r): there is no array to put them in.
        raise UsageError(
            "--array and --jq cannot be combined: --jq writes one result per line",
            hint="for one array of results, run the filter over the collection: --jq 'map(EXPR)' --jq-all",
        )
    if parallel < 1 or parallel > MAX_PARALLEL:
        raise UsageError(f"--parallel must be between 1 and {MAX_PARALLEL}")
    pacing = Pacing()
    if delay is not None and delay > 0:
        pacing = Pacing(interval=delay, fixed=True)
    elif rate is not None:
        pacing = Pacing(interval=parse_rate(rate))
    return PaginationSettings(
        scheme=chosen,
        items_path=_path(items, "--items"),
        next_path=_path(next_path, "--next"),
        cursor_param=_name(cursor_param, "--cursor-param") or "cursor",
        cursor_path=_path(cursor, "--cursor"),
        page_param=_name(page_param, "--page-param") or "page",
        offset_param=_name(offset_param, "--offset-param") or "offset",
        limit=limit,
        limit_param=_name(limit_param, "--limit-param") or "limit",
        start=start,
        max_pages=max_pages,
        max_items=max_items,
        array=array,
        allow_cross_origin=allow_cross_origin,
        parallel=parallel,
        pacing=pacing,
        jq_all=jq_all,
    )
