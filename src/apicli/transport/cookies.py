"""Cookie jars: the Netscape cookie file that curl reads and writes, and origin-bound cookies.

Which cookie goes where (domain, path, Secure, expiry) is decided by the standard library's
`http.cookiejar`; this module reads and writes the file, binds each cookie a server sets to the
port it came from (so that a cookie never reaches another origin on the same host), and applies
what RFC 6265 adds to those rules: no control characters in a cookie, and no Domain attribute
that widens a cookie set by an IP address.

The file format is curl's: one tab-separated line per cookie, `#HttpOnly_` before the domain
of an HttpOnly cookie, and an expiry of 0 for a session cookie (kept in the file, as curl does).
The jar is byte-faithful: http.client hands over a Set-Cookie as Latin-1 (each code point one
byte the server sent), the file is written and read as Latin-1, and requests are sent as
Latin-1, so the bytes a server set are the bytes on the file's line and the bytes sent back.
"""

from __future__ import annotations

import functools
import ipaddress
import os
import re
import time
from http import cookiejar
from http.cookiejar import Cookie, CookiePolicy, DefaultCookiePolicy, MozillaCookieJar
from pathlib import Path
from typing import TYPE_CHECKING, Any, NamedTuple

from .. import limits
from ..compat import cookie_attribute_names
from ..errors import ApicliError, UsageError
from ..formats.headertext import has_controls, header_text

if TYPE_CHECKING:
    from ..clock import Clock

HTTPONLY_PREFIX = "#HttpOnly_"
FILE_HEADER = "# Netscape HTTP Cookie File\n# Written by apicli: the format curl reads with -b and writes with -c.\n"
# One byte per code point, both ways: see the module's docstring.
FILE_ENCODING = "latin-1"
# http.cookiejar matches a dotless host (localhost) as HOST.local; the file names it as curl does.
_LOCAL = ".local"


# What a cookie's name, value, domain or path may not hold: RFC 6265 ignores a cookie with a C0
# control or DEL in it, and tab is refused too, as curl does, since it separates a jar line's
# fields. Bytes 0x80-0xFF (UTF-8, as Latin-1 code points) are allowed; a wider character never
# came from a server or a file. Written as the complement of what is allowed: a class that spans
# up to U+10FFFF takes about 10 ms to compile, on every start.
_NOT_COOKIE_TEXT = re.compile("[^\x20-\x7e\x80-\xff]")


def is_cookie_text(text: str) -> bool:
    """Whether `text` may be a cookie's name, value, domain or path (see _NOT_COOKIE_TEXT)."""
    return _NOT_COOKIE_TEXT.search(text) is None


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
    """The cookie on `line`, or None for a comment, a blank line or a line that is not a cookie.

    `line` is one line of the file (split at \\n only), decoded as Latin-1. A line holding a
    control character is not a cookie: curl would send it, RFC 6265 would never have stored it.
    """
    line = line.removesuffix("\n").removesuffix("\r")
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
    if _NOT_COOKIE_TEXT.search(line.replace("\t", "")):  # the fields hold no tab: they were split at them
        return None
    if not names_a_host(domain):
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


def names_a_host(domain: str) -> bool:
    """Whether a jar line's domain can match a host: a host name, or an IP address (which matches only itself).

    `.0.0.1` can be neither, but http.cookiejar would send it to 10.0.0.1: no such line is a cookie.
    """
    bare = domain.lstrip(".").removeprefix("[").removesuffix("]")
    try:
        ipaddress.ip_address(bare)
    except ValueError:
        return ":" not in bare and not bare.rpartition(".")[2].isdigit()  # no top-level domain is a number
    return True


def format_cookie_line(cookie: CookieLine) -> str | None:
    """`cookie` as a line of the file (no newline); None for a cookie no line can hold."""
    fields = [
        cookie.domain,
        "TRUE" if cookie.include_subdomains else "FALSE",
        cookie.path,
        "TRUE" if cookie.secure else "FALSE",
        str(cookie.expires),
        cookie.name,
        cookie.value,
    ]
    if cookie.domain.startswith("#") or not names_a_host(cookie.domain) or not all(map(is_cookie_text, fields)):
        return None  # never reached from a server's cookie (set_ok refuses it): kept out all the same
    return (HTTPONLY_PREFIX if cookie.http_only else "") + "\t".join(fields)


def jar_lines(data: bytes) -> list[CookieLine]:
    """The cookies of a jar file's bytes, in order; lines that are not cookies are skipped."""
    found = []
    # Only \n ends a line: str.splitlines() would also end one at \x85 or \x1c inside a value.
    for text in data.decode(FILE_ENCODING).split("\n"):
        line = parse_cookie_line(text)
        if line is not None:
            found.append(line)
    return found


def _has_http_only(cookie: Cookie) -> bool:
    # Set-Cookie attributes keep the server's spelling (HttpOnly, httponly); the file's own is HTTPOnly.
    return any(key.lower() == "httponly" for key in cookie_attribute_names(cookie))


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
    port: str | None = cookiejar.request_port(request)  # type: ignore[attr-defined]
    return port or "80"


def ip_host(request: Any) -> str | None:
    """The request's host when it is an IP address (brackets off an IPv6 one), else None."""
    full: str = cookiejar.request_host(request)  # type: ignore[attr-defined]
    host = full.rpartition("@")[2]  # http.cookiejar keeps a URL's userinfo
    host = host.removeprefix("[").removesuffix("]")
    try:
        ipaddress.ip_address(host)
    except ValueError:
        return None
    return host


@functools.lru_cache(maxsize=16)
def _dotted_hosts(url: str) -> tuple[str, str]:
    """The request-host and effective request-host of `url`, as http.cookiejar compares them, after a dot."""
    from urllib.request import Request

    hosts: tuple[str, str] = cookiejar.eff_request_host(Request(url))  # type: ignore[attr-defined]
    host, effective = hosts
    return "." + host.lstrip("."), "." + effective.lstrip(".")


class OriginCookiePolicy(DefaultCookiePolicy):
    """The standard rules, plus RFC 6265's, plus: a cookie a server sets goes back only to the port it came from.

    Cookies are scoped by host, not port, so without this a cookie set by one origin would
    reach another origin on the same host (http.cookiejar checks a cookie's port list).
    http.cookiejar also lets 127.0.0.1 set `Domain=.0.0.1` and sends a domain cookie to any
    address ending like it; an IP address only ever matches itself (RFC 6265 5.1.3).
    """

    def set_ok(self, cookie: Cookie, request: Any) -> bool:
        if not all(is_cookie_text(text or "") for text in (cookie.name, cookie.value, cookie.path, cookie.domain)):
            return False
        address = ip_host(request)
        if address is not None and cookie.domain_specified:
            # As curl and RFC 6265 5.3: a Domain that is the address itself is a host-only cookie, any other is ignored.
            if cookie.domain.lstrip(".") != address:
                return False
            cookie.domain = address
            cookie.domain_specified = cookie.domain_initial_dot = False
        if not cookie.port_specified:
            cookie.port = _request_port(request)
            cookie.port_specified = True
        return bool(super().set_ok(cookie, request))

    def domain_return_ok(self, domain: str, request: Any) -> bool:
        # http.cookiejar asks this for every domain in the jar: its own answer, with the request's
        # host worked out once per request instead of once per domain (a big jar has thousands).
        dotted = domain if domain.startswith(".") else "." + domain
        if domain and not any(host.endswith(dotted) for host in _dotted_hosts(request.get_full_url())):
            return False
        return bool(super().domain_return_ok(domain, request))

    def return_ok_domain(self, cookie: Cookie, request: Any) -> bool:
        address = ip_host(request)
        if address is not None:
            # A jar line may still hold a domain cookie like .0.0.1: for an address, only its own are sent
            # (and --cookie's, which requests makes with no domain: the request's origin guards those).
            return not cookie.domain or cookie.domain.lstrip(".") == address
        return bool(super().return_ok_domain(cookie, request))


class _OneSetCookie:
    """A response as http.cookiejar reads it, holding one Set-Cookie value."""

    def __init__(self, value: str) -> None:
        self.value = value

    def info(self) -> _OneSetCookie:
        return self

    def get_all(self, name: str, default: list[str]) -> list[str]:
        return [self.value] if name.lower() == "set-cookie" else default


def _as_sent(cookie: Cookie, set_cookie: str) -> Cookie:
    """`cookie` with its name and value as `set_cookie` holds them.

    http.cookiejar strips them with str.strip(), which takes \x1c-\x1f, \x85 and \xa0 for
    whitespace: a control character would pass unseen, and a UTF-8 value ending in "à" (c3 a0)
    would lose a byte. RFC 6265 strips spaces and tabs only.
    """
    name, equals, value = set_cookie.partition(";")[0].partition("=")
    name, value = name.strip(" \t"), value.strip(" \t")
    if equals and (cookie.name, cookie.value) == (name.strip(), value.strip()):
        cookie.name, cookie.value = name, value
    return cookie


class CookieJarFile(MozillaCookieJar):
    """The --cookie-jar file: loaded before the run, saved (atomically, 0600) after it."""

    def __init__(self, path: Path, policy: CookiePolicy | None = None) -> None:
        super().__init__(str(path), policy=policy or OriginCookiePolicy())
        self.path = path

    def make_cookies(self, response: Any, request: Any) -> list[Cookie]:
        """The cookies a response sets, each name and value byte for byte as the server sent it."""
        made: list[Cookie] = []
        for set_cookie in response.info().get_all("Set-Cookie", []):
            # http.cookiejar reads only info().get_all() of a response (requests hands it a mock too).
            cookies = super().make_cookies(_OneSetCookie(set_cookie), request)  # type: ignore[arg-type]
            made.extend(_as_sent(cookie, set_cookie) for cookie in cookies)
        return made

    def load_file(self, clock: Clock | None = None) -> None:
        """Read the file; a missing file is an empty jar, as with curl's -c.

        Only a regular file is read (a FIFO would block, a device never end), within the jar's
        limit and the run's `clock`.
        """
        from ..inputs.local_input import NotReadable, iter_chunks, open_local

        if not self.path.exists():  # a dangling symlink too: saving creates its target
            return
        try:
            with open_local(self.path, regular_only=True).stream as stream:
                data = limits.read_bounded(
                    iter_chunks(stream),
                    limits.COOKIE_JAR,
                    what=f"--cookie-jar: {str(self.path)!r}",
                    hint="is it a cookie file?",
                    error=UsageError,
                    clock=clock,
                )
        except NotReadable as exc:
            raise UsageError(
                f"--cookie-jar: cannot read {str(self.path)!r}: {exc.reason}",
                hint="--cookie-jar takes a regular file (a Netscape cookie file, as curl writes)",
            ) from None
        except OSError as exc:
            raise UsageError(f"--cookie-jar: cannot read {str(self.path)!r}: {exc.strerror or exc}") from None
        now = int(time.time())
        for line in jar_lines(data):
            cookie = to_cookie(line)
            if not cookie.is_expired(now):
                self.set_cookie(cookie)

    def save_file(self) -> None:
        """Write every unexpired cookie, session cookies included, replacing the file in one step.

        A jar that is a symlink is written through: its target is replaced, in the target's own
        directory, and the link stays.
        """
        import tempfile  # only a run with a jar writes one

        now = int(time.time())
        lines = (format_cookie_line(from_cookie(c)) for c in self if not c.is_expired(now))
        data = (FILE_HEADER + "".join(line + "\n" for line in lines if line is not None)).encode(FILE_ENCODING)
        target = Path(os.path.realpath(self.path))
        try:
            # mkstemp creates the file 0600: the jar holds live sessions.
            handle, temporary = tempfile.mkstemp(prefix=f".{target.name}.", suffix=".tmp", dir=target.parent)
        except OSError as exc:
            raise CookieJarError(f"cannot save the cookie jar {str(self.path)!r}: {exc.strerror or exc}") from None
        try:
            with os.fdopen(handle, "wb") as stream:
                stream.write(data)
                stream.flush()
                os.fsync(stream.fileno())
            os.replace(temporary, target)
        except OSError as exc:
            Path(temporary).unlink(missing_ok=True)
            raise CookieJarError(f"cannot save the cookie jar {str(self.path)!r}: {exc.strerror or exc}") from None


class CookieJarError(ApicliError):
    """The cookie jar could not be written."""


_TOKEN_CHARS = frozenset("!#$%&'*+-.^_`|~0123456789abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ")


def parse_cookie_flag(text: str) -> tuple[str, str]:
    """--cookie NAME=VALUE as (name, value), the value as header_text sends it (UTF-8 bytes).

    The value may be empty but not hold a ; or a control character.
    """
    name, found, value = text.partition("=")
    name = name.strip()
    if not found or not name:
        raise UsageError(f"invalid --cookie {text!r}", hint="expected NAME=VALUE")
    if not set(name) <= _TOKEN_CHARS:
        raise UsageError(f"invalid --cookie name {name!r}", hint="a cookie name is letters, digits and !#$%&'*+-.^_`|~")
    if ";" in value or "\t" in value or has_controls(value):
        # Named, not quoted: the value is a secret.
        raise UsageError(
            f"invalid --cookie {name!r}: the value holds a ; or a control character",
            hint="give one cookie per --cookie",
        )
    return name, header_text(value, f"--cookie {name}")
