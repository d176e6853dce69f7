"""Diagnostics on stderr, with secrets redacted before anything is written.

Core code reports through a `Reporter`; it never writes to stderr itself.
"""

from __future__ import annotations

import codecs
import itertools
import re
from collections.abc import Iterable
from typing import TextIO
from urllib.parse import unquote_plus

from ..formats.urls import REDACTED
from .format import format_header_line
from .terminal import visible

CREDENTIAL_HEADERS = frozenset({"authorization", "proxy-authorization", "cookie"})
# A header name is split into words at hyphens and underscores; any of these words makes it secret.
_SECRET_WORDS = frozenset({"token", "secret", "password", "passwd", "apikey", "session", "signature", "credential"})
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


# A secret this long is redacted wherever it appears on stderr; a shorter one (a cookie `theme=dark`)
# would turn up by chance (`application/json`), so it is redacted only in its known places: the
# credential headers, Set-Cookie values and the query parameters that carry secrets.
MIN_SECRET_LENGTH = 8
# Up to this many secrets, str.replace per secret is fastest; past it, one scan with an index.
_FEW_SECRETS = 32


def _secret_forms(secret: str) -> set[str]:
    """`secret` as sent and as shown: a typed `€` goes out as the code points of its UTF-8 bytes."""
    from ..formats.headertext import shown_text

    return {secret, shown_text(secret)}


class Redactor:
    """Hides this run's secrets in what apicli shows on stderr; never used on data for stdout.

    Known places are always redacted: credential headers (`header`), Set-Cookie values
    (`response_header`) and the values of secret query parameters in any text. Secret values
    themselves are replaced wherever they appear once they are MIN_SECRET_LENGTH long.
    Adding a secret is cheap (a run may learn thousands from a cookie jar); the order in which
    they are tried (longest first, so a secret that contains another is replaced whole) is
    worked out once, when text is next redacted.
    """

    def __init__(
        self, secrets: Iterable[str] = (), secret_headers: Iterable[str] = (), secret_query_names: Iterable[str] = ()
    ) -> None:
        self._secrets: set[str] = set()
        # The lengths of the secrets that start with each MIN_SECRET_LENGTH characters, longest first:
        # the scan of many secrets tries only these at a place where such a prefix occurs.
        self._lengths: dict[str, list[int]] = {}
        self._ordered: list[str] | None = []
        for secret in secrets:
            self.add(secret)
        self.secret_headers = {h.lower() for h in secret_headers}
        self._query: re.Pattern[str] | None = None
        self._query_names: set[str] = set()
        self.add_query_names(secret_query_names)

    @property
    def secrets(self) -> list[str]:
        """The secrets replaced wherever they appear, longest first (sorted when next needed, not per addition)."""
        if self._ordered is None:
            self._ordered = sorted(self._secrets, key=len, reverse=True)
        return self._ordered

    def add(self, secret: str) -> None:
        """A secret learnt during the run (a fetched token, a jar's cookie): redacted from now on."""
        for form in _secret_forms(secret):
            if len(form) >= MIN_SECRET_LENGTH and form not in self._secrets:
                self._secrets.add(form)
                self._ordered = None
                lengths = self._lengths.setdefault(form[:MIN_SECRET_LENGTH], [])
                if len(form) not in lengths:  # few distinct lengths share a prefix: a short list
                    lengths.append(len(form))
                    lengths.sort(reverse=True)

    def add_query_names(self, names: Iterable[str]) -> None:
        """Query parameters whose values are secrets of any length: `name=value` in any text is redacted."""
        from urllib.parse import quote

        self._query_names |= {form for name in names if name for form in (name, quote(name, safe=""))}
        if self._query_names:
            alternatives = "|".join(re.escape(name) for name in sorted(self._query_names))
            self._query = re.compile(rf"(?<=[?&;])((?:{alternatives})=)[^&#;\s]+", re.IGNORECASE)

    def text(self, text: str) -> str:
        if self._query is not None:
            text = self._query.sub(rf"\g<1>{REDACTED}", text)
        if not self._secrets or len(text) < MIN_SECRET_LENGTH:
            return text
        if len(self._secrets) <= _FEW_SECRETS:
            for secret in self.secrets:
                text = text.replace(secret, REDACTED)
            return text
        return self._scan(text)

    def _scan(self, text: str) -> str:
        """Every secret in `text` replaced, leftmost and longest first, in one pass over it."""
        parts: list[str] = []
        kept = 0  # text[kept:position] is kept as it is
        position = 0
        last = len(text) - MIN_SECRET_LENGTH
        while position <= last:
            lengths = self._lengths.get(text[position : position + MIN_SECRET_LENGTH], ())
            size = next((n for n in lengths if text[position : position + n] in self._secrets), 0)
            if not size:
                position += 1
                continue
            parts += [text[kept:position], REDACTED]
            position = kept = position + size
        return "".join(parts) + text[kept:] if parts else text

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
            return f"{cookie_name}={REDACTED}{separator}{self.text(attributes)}"
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

    def failure(self, line: str) -> None:
        """One of several failures of a run (each failed --assert): shown even with --quiet, as errors are."""
        self._write(line)

    def workflow_command(self, line: str) -> None:
        """A line for the CI runner that reads stderr (GitHub's ::add-mask::): as it is, never redacted,
        since masking a secret means naming it to the runner."""
        self._put(line + "\n")

    def verbose(self, line: str) -> None:
        if self.verbose_enabled:
            self._write(line)

    def headers(self, prefix: str, headers: Iterable[tuple[str, str]]) -> None:
        """Request headers for -v, credentials redacted, names coloured like a response head's."""
        if self.verbose_enabled:
            pairs = ((name, self.redactor.header(name, value)) for name, value in headers)
            self.formatted(prefix + format_header_line(name, value, color=self.color) for name, value in pairs)


# -v shows this much of a request body; the rest is counted.
SHOWN_REQUEST_BODY = 4096
_JSON_MEMBER = re.compile(r'"((?:[^"\\]|\\.){1,200})"(\s*:\s*)"((?:[^"\\]|\\.)*)"')


def request_body_lines(body: bytes | str | None, content_type: str | None) -> list[str]:
    """The request body as -v shows it: text up to SHOWN_REQUEST_BODY, secret-named fields redacted.

    Binary and multipart bodies get a size note; a streamed body (a file) a note alone. The lines
    still go through the Reporter, which redacts known secrets and makes control characters visible.
    """
    if body is None:
        return []
    if not isinstance(body, bytes | str):
        return ["(streamed body)"]
    raw = body.encode("utf-8", "surrogateescape") if isinstance(body, str) else body
    media = (content_type or "").split(";", 1)[0].strip().lower()
    if media.startswith("multipart/"):
        return [f"({len(raw)} byte {media} body)"]
    head = raw[:SHOWN_REQUEST_BODY]
    try:
        text = codecs.getincrementaldecoder("utf-8")().decode(head, final=len(raw) <= SHOWN_REQUEST_BODY)
    except UnicodeDecodeError:
        text = None
    if text is None or "\x00" in text:
        return [f"({len(raw)} byte binary body)"]
    if media == "application/x-www-form-urlencoded":
        text = "&".join(_redacted_field(field) for field in text.split("&"))
    else:
        text = _JSON_MEMBER.sub(_redacted_member, text)
    lines = text.splitlines() or [""]
    if len(raw) > SHOWN_REQUEST_BODY:
        lines.append(f"(... {len(raw) - len(head)} more bytes, {len(raw)} in all)")
    return lines


def _redacted_field(field: str) -> str:
    name, equals, _ = field.partition("=")
    return f"{name}={REDACTED}" if equals and is_secret_header_name(unquote_plus(name)) else field


def _redacted_member(found: re.Match[str]) -> str:
    if not is_secret_header_name(found.group(1)):
        return found.group(0)
    return f'"{found.group(1)}"{found.group(2)}"{REDACTED}"'
