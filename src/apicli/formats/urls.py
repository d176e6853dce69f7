"""URL shorthand, origins and redaction.

`:8080/x` means http://localhost:8080/x; a URL without a scheme is http:// for
loopback hosts and https:// otherwise.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from urllib.parse import parse_qsl, urlencode, urlsplit, urlunsplit

from ..errors import InvalidURL, UsageError

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


def _redact_unparsed(text: str) -> str:
    """A URL that does not parse, its password hidden all the same: up to the last @, past a colon, is the secret."""
    scheme, sep, rest = text.partition("://")
    if not sep:
        scheme, rest = "", text
    userinfo, at, after = rest.rpartition("@")
    if not at or ":" not in userinfo:
        return text
    return f"{scheme}{sep}{userinfo.split(':', 1)[0]}:{REDACTED}@{after}"


def redact_url(url: str, secret_params: frozenset[str] | set[str] = frozenset()) -> str:
    """Hide a userinfo password and secret-looking query values (a password even when the URL does not parse)."""
    try:
        parts = urlsplit(url)
        parts.port  # noqa: B018 - raises for a port that is not a number
    except ValueError:
        return _redact_unparsed(url)
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


PROXY_SCHEMES = ("http", "https", "socks5", "socks5h", "socks4", "socks4a")
_PROXY_HINT = "expected http://HOST:PORT, https://, socks5:// or socks5h:// (percent-encode @, : and / in a password)"


def check_proxy_url(text: str, source: str) -> str:
    """`text` as a proxy URL (a bare host:port is an http:// proxy, as in curl), else a UsageError.

    `source` names where it came from ("--proxy", "proxy URL in the HTTP_PROXY variable"); the
    message shows the URL with its password redacted, whatever is wrong with it.
    """
    from urllib3.util import parse_url

    proxy = text if "://" in text else "http://" + text
    # Past the host a proxy URL has nothing but a "/": anything else is a user or password with an
    # unescaped "/", "?" or "#" in it (or a mistake), so the message hides all up to the last "@".
    invalid = f"invalid {source} {_redact_unparsed(proxy)!r}"
    if any(char.isspace() or ord(char) < 32 or ord(char) == 127 for char in proxy):
        raise UsageError(invalid, hint="a proxy URL holds no spaces or control characters")
    try:
        parts = urlsplit(proxy)
        parts.port  # noqa: B018 - raises for a port that is not a number
        parse_url(proxy)  # what requests parses it with: the two disagree on a few forms
    except ValueError:
        raise UsageError(invalid, hint=_PROXY_HINT) from None
    if parts.path not in ("", "/") or parts.query or parts.fragment or "#" in proxy or "?" in proxy:
        raise UsageError(invalid, hint=_PROXY_HINT)
    if parts.scheme.lower() not in PROXY_SCHEMES or not parts.hostname:
        raise UsageError(invalid, hint=_PROXY_HINT)
    return proxy


def proxy_variable(key: str, proxy: str, environ: Mapping[str, str]) -> str:
    """The environment variable requests took `proxy` from for `key` ("http", "all", "https://host")."""
    base = key.split("://", 1)[0]
    for name in (f"{base}_proxy", f"{base.upper()}_PROXY"):
        if environ.get(name) == proxy:
            return name
    return f"{base.upper()}_PROXY"


def check_environment_proxy(url: str, proxies: Mapping[str, str] | None, flag_proxy: str | None,
                            environ: Mapping[str, str]) -> None:  # fmt: skip
    """The proxy requests chose for `url` from a *_PROXY variable, checked as --proxy is, naming the variable."""
    from requests.utils import select_proxy

    if not proxies:
        return
    proxy = select_proxy(url, dict(proxies))
    if proxy is None or proxy == flag_proxy:
        return
    key = next((key for key, value in proxies.items() if value == proxy), "http")
    check_proxy_url(proxy, f"proxy URL in the {proxy_variable(key, proxy, environ)} variable")


def proxy_authorization(proxy: str) -> str | None:
    """The Proxy-Authorization a proxy URL's user and password make, their text sent as UTF-8.

    requests encodes them as Latin-1, which fails on any other character. Here text is its UTF-8
    bytes and a percent escape the byte it stands for (base64 keeps any byte out of the header's way).
    """
    import base64
    from urllib.parse import unquote_to_bytes

    try:
        parts = urlsplit(proxy)
    except ValueError:
        return None
    if not parts.username:
        return None
    # Undecodable bytes from the command line (surrogate escapes) are sent as they were.
    user, password = (unquote_to_bytes((part or "").encode("utf-8", "surrogateescape"))
                      for part in (parts.username, parts.password))  # fmt: skip
    return "Basic " + base64.b64encode(user + b":" + password).decode("ascii")
