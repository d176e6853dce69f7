"""Cookie jars: the Netscape cookie file that curl reads and writes, and origin-bound cookies.

Which cookie goes where (domain, path, Secure, expiry) is decided by the standard library's
`http.cookiejar`; this module only reads and writes the file and binds each cookie a server
sets to the port it came from, so that a cookie never reaches another origin on the same host.

The file format is curl's: one tab-separated line per cookie, `#HttpOnly_` before the domain
of an HttpOnly cookie, and an expiry of 0 for a session cookie (kept in the file, as curl does).
"""

from __future__ import annotations

import os
import time
from http.cookiejar import Cookie, CookiePolicy, DefaultCookiePolicy, MozillaCookieJar
from pathlib import Path
from typing import Any, NamedTuple

from .errors import ApicliError, UsageError

HTTPONLY_PREFIX = "#HttpOnly_"
FILE_HEADER = "# Netscape HTTP Cookie File\n# Written by apicli: the format curl reads with -b and writes with -c.\n"
MAX_JAR_BYTES = 16 * 1024 * 1024
# http.cookiejar matches a dotless host (localhost) as HOST.local; the file names it as curl does.
_LOCAL = ".local"


class CookieLine(NamedTuple):
    """One cookie as a line of a Netscape cookie file holds it."""

    domain: str
    include_subdomains: bool
    path: str
    secure: bool
    expires: int  # seconds since the epoch; 0 for a session cookie
    name: str
    value: str
    http_only: bool = False


def parse_cookie_line(line: str) -> CookieLine | None:
    """The cookie on `line`, or None for a comment, a blank line or a line curl would skip too."""
    line = line.rstrip("\r\n")
    http_only = line.startswith(HTTPONLY_PREFIX)
    if http_only:
        line = line[len(HTTPONLY_PREFIX) :]
    if not line.strip() or line.startswith("#"):
        return None
    fields = line.split("\t")
    if len(fields) == 6:  # curl accepts a line whose value field is missing: an empty value
        fields.append("")
    if len(fields) != 7:
        return None
    domain, subdomains, path, secure, expires, name, value = fields
    if not domain or not path.startswith("/") or not expires.isdigit() or len(expires) > 12:
        return None
    if subdomains.upper() not in ("TRUE", "FALSE") or secure.upper() not in ("TRUE", "FALSE"):
        return None
    return CookieLine(
        domain=domain,
        include_subdomains=subdomains.upper() == "TRUE",
        path=path,
        secure=secure.upper() == "TRUE",
        expires=int(expires),
        name=name,
        value=value,
        http_only=http_only,
    )


def format_cookie_line(cookie: CookieLine) -> str:
    """`cookie` as a line of the file (no newline)."""
    prefix = HTTPONLY_PREFIX if cookie.http_only else ""
    fields = [
        cookie.domain,
        "TRUE" if cookie.include_subdomains else "FALSE",
        cookie.path,
        "TRUE" if cookie.secure else "FALSE",
        str(cookie.expires),
        cookie.name,
        cookie.value,
    ]
    return prefix + "\t".join(fields)


def _has_http_only(cookie: Cookie) -> bool:
    # Set-Cookie attributes keep the server's spelling (HttpOnly, httponly); the file's own is HTTPOnly.
    return any(key.lower() == "httponly" for key in cookie._rest)  # type: ignore[attr-defined]


def to_cookie(line: CookieLine) -> Cookie:
    """The http.cookiejar Cookie for a line of the file."""
    domain = line.domain
    if line.include_subdomains and not domain.startswith("."):
        domain = "." + domain  # curl writes a bare domain with TRUE too
    if "." not in domain.lstrip("."):
        domain += _LOCAL
    session = line.expires == 0
    return Cookie(
        version=0,
        name=line.name,
        value=line.value,
        port=None,
        port_specified=False,
        domain=domain,
        domain_specified=domain.startswith("."),
        domain_initial_dot=domain.startswith("."),
        path=line.path,
        path_specified=True,
        secure=line.secure,
        expires=None if session else line.expires,
        discard=session,
        comment=None,
        comment_url=None,
        rest={"HttpOnly": ""} if line.http_only else {},
    )


def from_cookie(cookie: Cookie) -> CookieLine:
    domain = cookie.domain
    if domain.endswith(_LOCAL) and "." not in domain[: -len(_LOCAL)].lstrip("."):
        domain = domain[: -len(_LOCAL)]
    return CookieLine(
        domain=domain,
        include_subdomains=domain.startswith("."),
        path=cookie.path,
        secure=cookie.secure,
        expires=0 if cookie.expires is None else int(cookie.expires),
        name=cookie.name,
        value=cookie.value or "",
        http_only=_has_http_only(cookie),
    )


def _request_port(request: Any) -> str:
    """The port as http.cookiejar compares it: the URL's, else 80 for any scheme, as its own checks do."""
    from http import cookiejar

    port: str | None = cookiejar.request_port(request)  # type: ignore[attr-defined]
    return port or "80"


class OriginCookiePolicy(DefaultCookiePolicy):
    """The standard rules, plus: a cookie a server sets goes back only to the port it came from.

    Cookies are scoped by host, not port, so without this a cookie set by one origin would
    reach another origin on the same host (http.cookiejar checks a cookie's port list).
    """

    def set_ok(self, cookie: Cookie, request: Any) -> bool:
        if not cookie.port_specified:
            cookie.port = _request_port(request)
            cookie.port_specified = True
        return bool(super().set_ok(cookie, request))


class CookieJarFile(MozillaCookieJar):
    """The --cookie-jar file: loaded before the run, saved (atomically, 0600) after it."""

    def __init__(self, path: Path, policy: CookiePolicy | None = None) -> None:
        super().__init__(str(path), policy=policy or OriginCookiePolicy())
        self.path = path

    def load_file(self) -> None:
        """Read the file; a missing file is an empty jar, as with curl's -c."""
        try:
            with self.path.open("rb") as stream:
                data = stream.read(MAX_JAR_BYTES + 1)
        except FileNotFoundError:
            return
        except IsADirectoryError:
            raise UsageError(f"--cookie-jar: {str(self.path)!r} is a directory", hint="name a file") from None
        except OSError as exc:
            raise UsageError(f"--cookie-jar: cannot read {str(self.path)!r}: {exc.strerror or exc}") from None
        if len(data) > MAX_JAR_BYTES:
            raise UsageError(f"--cookie-jar: {str(self.path)!r} is larger than 16 MiB", hint="is it a cookie file?")
        now = int(time.time())
        for text in data.decode("utf-8", "surrogateescape").splitlines():
            line = parse_cookie_line(text)
            if line is None:
                continue
            cookie = to_cookie(line)
            if not cookie.is_expired(now):
                self.set_cookie(cookie)

    def save_file(self) -> None:
        """Write every unexpired cookie, session cookies included, replacing the file in one step."""
        import tempfile  # only a run with a jar writes one

        now = int(time.time())
        lines = [format_cookie_line(from_cookie(c)) + "\n" for c in self if not c.is_expired(now)]
        directory = self.path.parent
        try:
            # mkstemp creates the file 0600: the jar holds live sessions.
            handle, temporary = tempfile.mkstemp(prefix=f".{self.path.name}.", suffix=".tmp", dir=directory)
        except OSError as exc:
            raise CookieJarError(f"cannot save the cookie jar {str(self.path)!r}: {exc.strerror or exc}") from None
        try:
            with os.fdopen(handle, "w", encoding="utf-8", errors="surrogateescape") as stream:
                stream.write(FILE_HEADER)
                stream.writelines(lines)
                stream.flush()
                os.fsync(stream.fileno())
            os.replace(temporary, self.path)
        except OSError as exc:
            Path(temporary).unlink(missing_ok=True)
            raise CookieJarError(f"cannot save the cookie jar {str(self.path)!r}: {exc.strerror or exc}") from None


class CookieJarError(ApicliError):
    """The cookie jar could not be written."""


_TOKEN_CHARS = frozenset("!#$%&'*+-.^_`|~0123456789abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ")


def parse_cookie_flag(text: str) -> tuple[str, str]:
    """--cookie NAME=VALUE as (name, value); the value may be empty but not hold ; or control characters."""
    name, found, value = text.partition("=")
    name = name.strip()
    if not found or not name:
        raise UsageError(f"invalid --cookie {text!r}", hint="expected NAME=VALUE")
    if not set(name) <= _TOKEN_CHARS:
        raise UsageError(f"invalid --cookie name {name!r}", hint="a cookie name is letters, digits and !#$%&'*+-.^_`|~")
    if ";" in value or any(ord(char) < 0x20 or ord(char) == 0x7F for char in value):
        # Named, not quoted: the value is a secret.
        raise UsageError(
            f"invalid --cookie {name!r}: the value holds a ; or a control character",
            hint="give one cookie per --cookie",
        )
    return name, value
