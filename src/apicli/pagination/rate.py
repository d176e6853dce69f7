"""--rate's text (`5/s`, `120/min`) as the seconds between request starts, for paginate and batch.

A module of its own so that batch, which needs only this, does not load the pagination settings.
"""

from __future__ import annotations

import math
import re

from ..errors import UsageError

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
