"""URL shorthand, origins and redaction.

`:8080/x` means http://localhost:8080/x; a URL without a scheme is http:// for
loopback hosts and https:// otherwise.
"""

from __future__ import annotations

import re
from urllib.parse import parse_qsl, urlencode, urlsplit, urlunsplit

from .errors import InvalidURL

REDACTED = "REDACTED"
DEFAULT_PORTS = {"http": 80, "https": 443}
# Query parameters whose values are treated as secrets when shown.
SECRET_QUERY_NAMES = frozenset(
    {"token", "access_token", "api_key", "apikey", "api-key", "key", "secret", "password", "sig", "signature"}
)
# Words that make a query parameter secret wherever they appear in its name: client_secret, X-Amz-Signature.
_SECRET_QUERY_WORDS = frozenset(
    {"token", "secret", "password", "passwd", "pwd", "key", "apikey", "sig", "signature", "auth", "credential", "jwt"}
)
_SECRET_QUERY_PART = re.compile(r"token|secret|passw|apikey|signature|credential", re.IGNORECASE)
_SCHEME = re.compile(r"^[a-zA-Z][a-zA-Z0-9+.-]*://")
# `javascript:alert(1)`, `file:/etc/passwd`: a scheme without `//`. After the colon of `host:port`
# (`localhost:8080/x`) come digits, and `user:pw@host` has an @ before any /, so neither is taken for one.
_OPAQUE_SCHEME = re.compile(r"^([a-zA-Z][a-zA-Z0-9+.-]*):(?!\d+(?:[/?#]|$)|$|[^/?#]*@)")
_LOOPBACK_HOST = re.compile(r"^(localhost|127(\.\d{1,3}){3}|\[::1\])(:\d*)?([/?#]|$)", re.IGNORECASE)
# A host name of one label (`api`, `vm:18090`, a compose service or CI service container) is on a
# private network, where plain HTTP is the norm; any dotted name may be public and keeps https.
_SINGLE_LABEL_HOST = re.compile(r"^(?:[^/?#@]*@)?[A-Za-z0-9_](?:[A-Za-z0-9_-]*[A-Za-z0-9_])?(:\d*)?([/?#]|$)")


def normalize_url(text: str) -> str:
    """Expand shorthand and check the URL is an http(s) URL with a host.

    Without a scheme, loopback and single-label hosts (`localhost:8080`, `api:8080`, `vm`) get
    http://, every other host https://; `:PORT/path` is http://localhost:PORT/path.
    """
    url = text.strip()
    if not url:
        raise InvalidURL("missing URL", hint="give a URL such as https://api.example.com/users")
    if any(ch.isspace() or ord(ch) < 32 for ch in url):
        raise InvalidURL(f"invalid URL {text!r}: contains whitespace or control characters")
    if url.startswith(":"):
        # `:8080/x` and `:/x` are shorthand for localhost.
        port_text, sep, path = url[1:].partition("/")
        if port_text and not port_text.isdigit():
            raise InvalidURL(f"invalid URL {text!r}: port {port_text!r} is not a number")
        url = f"http://localhost{':' + port_text if port_text else ''}/{path if sep else ''}"
    elif (opaque := _OPAQUE_SCHEME.match(url)) and not _SCHEME.match(url):
        raise InvalidURL(
            f"unsupported URL scheme {opaque.group(1)!r} in {text!r}", hint="apicli speaks http:// and https://"
        )
    elif not _SCHEME.match(url):
        scheme = "http" if _LOOPBACK_HOST.match(url) or _SINGLE_LABEL_HOST.match(url) else "https"
        url = f"{scheme}://{url}"
    try:
        parts = urlsplit(url)
        port = parts.port
    except ValueError as exc:
        raise InvalidURL(f"invalid URL {text!r}: {exc}") from None
    if parts.scheme.lower() not in DEFAULT_PORTS:
        raise InvalidURL(
            f"unsupported URL scheme {parts.scheme!r} in {text!r}", hint="apicli speaks http:// and https://"
        )
    if not parts.hostname:
        raise InvalidURL(f"invalid URL {text!r}: no host")
    if port == 0:
        raise InvalidURL(f"invalid URL {text!r}: port 0")
    if not parts.path:
        url = urlunsplit((parts.scheme, parts.netloc, "/", parts.query, parts.fragment))
    return url


def origin_of(url: str) -> tuple[str, str, int]:
    """(scheme, host, port) with the default port filled in."""
    parts = urlsplit(url)
    scheme = parts.scheme.lower()
    try:
        port = parts.port
    except ValueError:
        port = None
    return scheme, (parts.hostname or "").lower(), port or DEFAULT_PORTS.get(scheme, 0)


def same_origin(first: str, second: str) -> bool:
    return origin_of(first) == origin_of(second)


def add_query(url: str, params: tuple[tuple[str, str], ...] | list[tuple[str, str]]) -> str:
    """Append query parameters, keeping those already in the URL."""
    if not params:
        return url
    parts = urlsplit(url)
    extra = urlencode(list(params))
    query = f"{parts.query}&{extra}" if parts.query else extra
    return urlunsplit((parts.scheme, parts.netloc, parts.path, query, parts.fragment))


def remove_query_param(url: str, name: str) -> str:
    parts = urlsplit(url)
    kept = [(k, v) for k, v in parse_qsl(parts.query, keep_blank_values=True) if k != name]
    return urlunsplit((parts.scheme, parts.netloc, parts.path, urlencode(kept), parts.fragment))


def is_secret_query_name(name: str) -> bool:
    """Query parameters whose values are credentials by their name (access_token, client_secret, sig)."""
    lowered = name.lower()
    if lowered in SECRET_QUERY_NAMES or _SECRET_QUERY_PART.search(lowered):
        return True
    return any(word in _SECRET_QUERY_WORDS for word in re.split(r"[-_.\[\]]+", lowered))


def redact_url(url: str, secret_params: frozenset[str] | set[str] = frozenset()) -> str:
    """Hide a userinfo password and secret-looking query values."""
    try:
        parts = urlsplit(url)
    except ValueError:
        return url
    netloc = parts.netloc
    if "@" in netloc:
        userinfo, _, hostport = netloc.rpartition("@")
        user = userinfo.split(":", 1)[0]
        netloc = f"{user}:{REDACTED}@{hostport}" if ":" in userinfo else netloc
    query = parts.query
    if query:
        names = {n.lower() for n in secret_params}

        def secret(name: str) -> bool:
            return name.lower() in names or is_secret_query_name(name)

        pairs = parse_qsl(query, keep_blank_values=True)
        if any(secret(k) for k, _ in pairs):
            query = urlencode([(k, REDACTED if secret(k) else v) for k, v in pairs])
    return urlunsplit((parts.scheme, netloc, parts.path, query, parts.fragment))
