"""Cached credentials (OAuth2 tokens, credential-helper headers) under $XDG_CACHE_HOME/apicli/.

Each entry is one JSON file named by a hash of what it is for, readable by its owner only
(the directory 0700, the file 0600, replaced in one step). An entry is used until a minute
before it expires; one that cannot be read is treated as absent and fetched again.
"""

from __future__ import annotations

import hashlib
import json
import os
import time
from collections.abc import Mapping, Sequence
from pathlib import Path

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


class TokenCache:
    def __init__(self, directory: Path, clock: object = time.time) -> None:
        self.directory = directory
        self.clock = clock

    def _now(self) -> float:
        now = self.clock()  # type: ignore[operator]
        return float(now)

    def load(self, key: str) -> dict[str, str] | None:
        """The cached headers for `key`, if present and good for more than EXPIRY_MARGIN seconds."""
        try:
            with (self.directory / key).open("rb") as stream:
                entry = json.loads(stream.read(64 * 1024))
            headers = entry["headers"]
            expires_at = float(entry["expires_at"])
        except (OSError, ValueError, KeyError, TypeError):
            return None
        if not isinstance(headers, dict) or not all(isinstance(v, str) for v in headers.values()):
            return None
        if expires_at - EXPIRY_MARGIN <= self._now():
            return None
        return {str(name): value for name, value in headers.items()}

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
