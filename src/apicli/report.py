"""Diagnostics on stderr, with secrets redacted before anything is written.

Core code reports through a `Reporter`; it never writes to stderr itself.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from typing import TextIO

from .urls import REDACTED

_SECRET_HEADER = re.compile(r"(auth|token|secret|passw|api[-_]?key|cookie|session|signature|credential)", re.I)
_AUTH_SCHEME = re.compile(r"^(\w+)\s+\S")


def is_secret_header_name(name: str) -> bool:
    """Headers whose values are credentials by their name: shown redacted, never sent to another origin."""
    return bool(_SECRET_HEADER.search(name))


class Redactor:
    """Replaces known secret values and secret-looking header values with REDACTED."""

    def __init__(self, secrets: Iterable[str] = (), secret_headers: Iterable[str] = ()) -> None:
        # Longest first so a secret that contains another is replaced whole.
        self.secrets = sorted({s for s in secrets if s and len(s) >= 3}, key=len, reverse=True)
        self.secret_headers = {h.lower() for h in secret_headers}

    def text(self, text: str) -> str:
        for secret in self.secrets:
            text = text.replace(secret, REDACTED)
        return text

    def is_secret_header(self, name: str) -> bool:
        return name.lower() in self.secret_headers or is_secret_header_name(name)

    def header(self, name: str, value: str) -> str:
        if not self.is_secret_header(name):
            return self.text(value)
        scheme = _AUTH_SCHEME.match(value)
        if scheme and name.lower() in {"authorization", "proxy-authorization"}:
            return f"{scheme.group(1)} {REDACTED}"
        return REDACTED


class Reporter:
    """Writes notes (unless quiet) and verbose lines (with -v) to a text stream."""

    def __init__(self, stream: TextIO, *, verbose: bool = False, quiet: bool = False, redactor: Redactor | None = None):
        self.stream = stream
        self.verbose_enabled = verbose
        self.quiet = quiet
        self.redactor = redactor or Redactor()

    def _write(self, line: str) -> None:
        try:
            self.stream.write(self.redactor.text(line) + "\n")
            self.stream.flush()
        except (BrokenPipeError, ValueError):
            pass

    def note(self, line: str) -> None:
        """A message the user should see unless they asked for --quiet."""
        if not self.quiet:
            self._write(line)

    def verbose(self, line: str) -> None:
        if self.verbose_enabled:
            self._write(line)

    def always(self, line: str) -> None:
        """Lines the user asked for explicitly (-i headers)."""
        self._write(line)

    def headers(self, prefix: str, headers: Iterable[tuple[str, str]], *, always: bool = False) -> None:
        emit = self.always if always else self.verbose
        for name, value in headers:
            emit(f"{prefix}{name}: {self.redactor.header(name, value)}")
