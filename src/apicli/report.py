"""Diagnostics on stderr, with secrets redacted before anything is written.

Core code reports through a `Reporter`; it never writes to stderr itself.
"""

from __future__ import annotations

import itertools
import re
from collections.abc import Iterable
from typing import TextIO

from .output.format import format_header_line
from .output.terminal import visible
from .urls import REDACTED

CREDENTIAL_HEADERS = frozenset({"authorization", "proxy-authorization", "cookie"})
# A header name is split into words at hyphens and underscores; any of these words makes it secret.
_SECRET_WORDS = frozenset(
    {"token", "secret", "password", "passwd", "apikey", "session", "signature", "credential"}
)
_WORD_SPLIT = re.compile(r"[-_]")
_AUTH_SCHEME = re.compile(r"^(\w+)\s+\S")


def is_secret_header_name(name: str) -> bool:
    """Request headers whose values are credentials by their name: shown redacted, never sent to another origin.

    Authorization, Proxy-Authorization and Cookie, and names with a secret word (X-Auth-Token,
    X-Api-Key, Session-Id); not WWW-Authenticate, X-Author or Access-Control-Allow-Credentials's
    siblings that merely contain such letters.
    """
    lowered = name.lower()
    if lowered in CREDENTIAL_HEADERS:
        return True
    words = _WORD_SPLIT.split(lowered)
    if not _SECRET_WORDS.isdisjoint(words):
        return True
    return any(first == "api" and second == "key" for first, second in itertools.pairwise(words))


class Redactor:
    """Replaces known secret values and secret-looking header values with REDACTED."""

    def __init__(self, secrets: Iterable[str] = (), secret_headers: Iterable[str] = ()) -> None:
        # Longest first so a secret that contains another is replaced whole.
        self.secrets = sorted({s for s in secrets if s and len(s) >= 3}, key=len, reverse=True)
        self.secret_headers = {h.lower() for h in secret_headers}

    def add(self, secret: str) -> None:
        """A secret learnt during the run (a fetched token): redacted from now on."""
        if secret and len(secret) >= 3 and secret not in self.secrets:
            self.secrets = sorted([*self.secrets, secret], key=len, reverse=True)

    def text(self, text: str) -> str:
        for secret in self.secrets:
            text = text.replace(secret, REDACTED)
        return text

    def is_secret_header(self, name: str) -> bool:
        return name.lower() in self.secret_headers or is_secret_header_name(name)

    def header(self, name: str, value: str) -> str:
        """A request header's value as shown: a credential's is redacted, keeping its scheme (Bearer)."""
        if not self.is_secret_header(name):
            return self.text(value)
        scheme = _AUTH_SCHEME.match(value)
        if scheme and name.lower() in {"authorization", "proxy-authorization"}:
            return f"{scheme.group(1)} {REDACTED}"
        return REDACTED

    def response_header(self, name: str, value: str) -> str:
        """A response header's value as shown: as sent, but for a Set-Cookie value and this run's own secrets."""
        if name.lower() == "set-cookie":
            cookie, separator, attributes = value.partition(";")
            cookie_name = cookie.partition("=")[0].strip()
            return f"{cookie_name}={REDACTED}{separator}{attributes}"
        return self.text(value)


class Reporter:
    """Writes notes (unless quiet) and verbose lines (with -v) to a text stream.

    Every line is redacted and has its control characters made visible: much of what is
    reported (URLs, reasons, file names) comes from the server. `formatted` lines were made
    safe by the output formatters, which then added apicli's own colours.
    """

    def __init__(
        self,
        stream: TextIO,
        *,
        verbose: bool = False,
        quiet: bool = False,
        redactor: Redactor | None = None,
        color: bool = False,
    ):
        self.stream = stream
        self.verbose_enabled = verbose
        self.quiet = quiet
        self.redactor = redactor or Redactor()
        self.color = color  # whether formatted heads may be coloured

    def _put(self, text: str) -> None:
        try:
            self.stream.write(text)
            self.stream.flush()
        except (OSError, ValueError):
            pass  # a closed stderr: nothing to tell, and the run's outcome stands

    def _write(self, line: str) -> None:
        self._put(visible(self.redactor.text(line)) + "\n")

    def overwrite(self, line: str | None) -> None:
        """Replace the current terminal line with `line` (no newline), or clear it for None."""
        self._put("\r\x1b[2K" + (visible(self.redactor.text(line)) if line is not None else ""))

    def write_text(self, text: str) -> None:
        """Text the user asked for on stderr (-w with %{stderr}), as it is but for redaction."""
        self._put(self.redactor.text(text))

    def formatted(self, lines: Iterable[str]) -> None:
        """Lines that the output formatters made safe (and maybe coloured); redacted again all the same."""
        self._put("".join(self.redactor.text(line) + "\n" for line in lines))

    def note(self, line: str) -> None:
        """A message the user should see unless they asked for --quiet."""
        if not self.quiet:
            self._write(line)

    def verbose(self, line: str) -> None:
        if self.verbose_enabled:
            self._write(line)

    def headers(self, prefix: str, headers: Iterable[tuple[str, str]]) -> None:
        """Request headers for -v, credentials redacted, names coloured like a response head's."""
        if self.verbose_enabled:
            pairs = ((name, self.redactor.header(name, value)) for name, value in headers)
            self.formatted(prefix + format_header_line(name, value, color=self.color) for name, value in pairs)
