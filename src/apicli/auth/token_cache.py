"""Cached credentials (OAuth2 tokens, credential-helper headers) under $XDG_CACHE_HOME/apicli/.

Each entry is one JSON file named by a hash of what it is for, readable by its owner only
(the directory 0700, the file 0600, replaced in one step). An entry is used until a minute
before it expires. One that cannot be read, or is not what apicli writes (past
TOKEN_CACHE_ENTRY bytes, not JSON, nested past JSON_DEPTH, a header no request can carry, an
expiry that is no finite number), is treated as absent and fetched again.
"""

from __future__ import annotations

import hashlib
import json
import math
import os
import time
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

from ..formats import jsontext
from ..formats.headertext import has_controls
from ..formats.httpsyntax import is_header_name
from ..inputs.local_input import NotReadable, read_local_file
from ..limits import TOKEN_CACHE_ENTRY

# A token that expires within this many seconds is fetched again rather than used.
EXPIRY_MARGIN = 60.0


def cache_directory(environ: Mapping[str, str]) -> Path:
    xdg = environ.get("XDG_CACHE_HOME")
    base = Path(xdg) if xdg and os.path.isabs(xdg) else Path(environ.get("HOME") or Path.home()) / ".cache"
    return base / "apicli"


def cache_key(kind: str, parts: Sequence[str]) -> str:
    """A file name for the entry: a hash, so that no secret or URL shows in the directory listing."""
    digest = hashlib.sha256("\0".join([kind, *parts]).encode("utf-8", "surrogateescape")).hexdigest()
    return f"{kind}-{digest[:32]}.json"


def sound_entry(entry: Any, now: float) -> dict[str, str] | None:
    """An entry's headers when it is what `store` writes and has not expired; None for anything else.

    A value is header text as it was sent (UTF-8 carried in code points below 256), so one with
    a control character or a wider character was not written by apicli and is not sent.
    """
    if not isinstance(entry, dict):
        return None
    headers, expires_at = entry.get("headers"), entry.get("expires_at")
    if not isinstance(headers, dict) or not headers:
        return None
    for name, value in headers.items():
        if not is_header_name(name) or not isinstance(value, str) or has_controls(value):
            return None
        if not value.isascii() and max(map(ord, value)) > 0xFF:
            return None
    if isinstance(expires_at, bool) or not isinstance(expires_at, int | float):
        return None
    try:
        expiry = float(expires_at)
    except OverflowError:  # an integer wider than any float
        return None
    if not math.isfinite(expiry) or expiry - EXPIRY_MARGIN <= now:
        return None
    return dict(headers)


class TokenCache:
    def __init__(self, directory: Path, clock: object = time.time) -> None:
        self.directory = directory
        self.clock = clock

    def _now(self) -> float:
        now = self.clock()  # type: ignore[operator]
        return float(now)

    def load(self, key: str) -> dict[str, str] | None:
        """The cached headers for `key`, if present, sound and good for more than EXPIRY_MARGIN seconds."""
        try:
            raw = read_local_file(self.directory / key, TOKEN_CACHE_ENTRY.bytes, regular_only=True)
            entry = jsontext.loads(raw) if len(raw) <= TOKEN_CACHE_ENTRY.bytes else None
        except (NotReadable, OSError, ValueError):
            return None
        return sound_entry(entry, self._now())

    def store(self, key: str, headers: Mapping[str, str], expires_in: float) -> None:
        """Keep `headers` for `expires_in` seconds; a cache that cannot be written is only not used."""
        import tempfile

        entry = {"headers": dict(headers), "expires_at": self._now() + expires_in}
        try:
            self.directory.mkdir(mode=0o700, parents=True, exist_ok=True)
            handle, temporary = tempfile.mkstemp(prefix=".token-", dir=self.directory)
        except OSError:
            return
        try:
            with os.fdopen(handle, "w", encoding="utf-8") as stream:
                json.dump(entry, stream)
            os.replace(temporary, self.directory / key)
        except OSError:
            Path(temporary).unlink(missing_ok=True)

    def forget(self, key: str) -> None:
        (self.directory / key).unlink(missing_ok=True)
