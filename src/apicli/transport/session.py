"""The one retrying `requests` session, origin-bound credentials, and error translation.

`build_session` mounts an HTTPAdapter carrying `ApicliRetry`. `OriginBoundAuth`
(origin_auth.py) adds credentials only to requests for their own origin, and `GuardedSession`
strips every credential when a redirect leaves that origin. `translate_errors` turns what
requests and urllib3 raise while a request is sent into apicli errors; a body read afterwards
is translated where it is read (output/streams.py, downloads/body.py).
Importing it also sets http.client's limits on a response head (see below).
"""

from __future__ import annotations

import base64
import http.client
import re
import sys
from collections.abc import Iterable, Iterator, Sequence
from contextlib import contextmanager
from typing import Any
from urllib.parse import parse_qsl, unquote, urlsplit, urlunsplit

import requests
import urllib3
import urllib3.exceptions as u3

from ..compat import request_cookie_jar, set_http_client_header_limits
from ..errors import (
    ApicliError,
    ConnectionFailed,
    CrossOriginRefused,
    InvalidURL,
    MalformedResponse,
    RequestTimeout,
    TooManyRedirects,
)
from ..formats.codings import Undecodable
from ..formats.urls import is_secret_query_name, origin_of, redact_url, remove_query_param, same_origin
from ..output.report import CREDENTIAL_HEADERS, Redactor, is_secret_header_name
from ..spec import Credentials, NetworkOptions, RetryPolicy
from .cookies import OriginCookiePolicy
from .origin_auth import OriginBoundAuth
from .pool import StaleAwareAdapter
from .redirects import check_location
from .retry import RetryReporter, attempts_made, build_retry, is_oversized_head

# http.client refuses a response with more than 100 header lines, which servers behind a few
# proxies legitimately send. These module globals are read on every response, so this is the one
# place the limits are set: many more lines, still bounded, and a line of 64 KiB plus its CRLF.
# Past either limit the response is a clean "headers are too large" error (retry.is_oversized_head).
MAX_RESPONSE_HEADERS = 10_000
MAX_HEADER_LINE = 64 * 1024 + 2
set_http_client_header_limits(MAX_RESPONSE_HEADERS, MAX_HEADER_LINE)


class GuardedSession(requests.Session):
    """A Session whose redirects never carry credentials to another origin, nor https to http."""

    def __init__(self, credential_origin: str | None = None, credentials: Credentials | None = None) -> None:
        super().__init__()
        self.credential_origin = credential_origin
        self.credentials = credentials or Credentials()
        self.allow_insecure_redirect = False
        # Names of the headers a token endpoint or credential helper supplied: stripped off-origin like the rest.
        self.fetched_header_names: set[str] = set()

    def prepare_request(self, request: requests.Request) -> requests.PreparedRequest:
        prepared = super().prepare_request(request)
        # Cookies a redirect sets go into the request's own jar: bind them to their origin too.
        jar = request_cookie_jar(prepared)
        if jar is not None:
            jar.set_policy(OriginCookiePolicy())
        return prepared

    def credential_header_names(self) -> set[str]:
        names = set(CREDENTIAL_HEADERS) | self.fetched_header_names
        if self.credentials.api_key and not self.credentials.api_key_query:
            names.add((self.credentials.api_key_header or "X-API-Key").lower())
        return names

    def strip_credentials(self, request: requests.PreparedRequest) -> None:
        known = self.credential_header_names()
        for name in list(request.headers):
            if name.lower() in known or is_secret_header_name(name):
                del request.headers[name]
        if self.credentials.api_key and self.credentials.api_key_query and request.url:
            request.url = remove_query_param(request.url, self.credentials.api_key_query)

    def get_redirect_target(self, resp: requests.Response) -> str | None:
        """requests' target, or None for a Location it would trip over (it parses one even with --no-follow).

        Following, RedirectTrail has already refused such a Location; with --no-follow the 3xx is reported as is.
        """
        try:
            target: str | None = super().get_redirect_target(resp)
        except UnicodeDecodeError:  # bytes that are not UTF-8: check_location names them
            return None
        if target and check_location(target, resp.url)[0] is not None:
            return None
        return target

    def rebuild_auth(self, prepared_request: requests.PreparedRequest, response: requests.Response) -> None:
        new_url = prepared_request.url or ""
        old_url = response.request.url or ""
        if origin_of(old_url)[0] == "https" and origin_of(new_url)[0] == "http" and not self.allow_insecure_redirect:
            raise CrossOriginRefused(
                f"refusing to follow a redirect from https to http ({redact_url(new_url)})",
                hint="pass --allow-insecure-redirect if you trust it",
            )
        origin = self.credential_origin or old_url
        if not same_origin(new_url, origin):
            self.strip_credentials(prepared_request)
        super().rebuild_auth(prepared_request, response)  # type: ignore[no-untyped-call]
        if same_origin(new_url, origin):
            self._restore_credentials(prepared_request, response.request)

    def rebuild_proxies(self, prepared_request: requests.PreparedRequest, proxies: Any) -> dict[str, str]:
        """requests' proxies for a redirect, without the Proxy-Authorization it would add: a SOCKS proxy takes
        the password in its handshake (the header would go through the tunnel), and an HTTP proxy gets it
        from the adapter (pool.py), as UTF-8 where requests' own encoding fails past Latin-1."""
        chosen: dict[str, str] = requests.utils.resolve_proxies(prepared_request, proxies, self.trust_env)
        prepared_request.headers.pop("Proxy-Authorization", None)
        return chosen

    def _restore_credentials(self, prepared: requests.PreparedRequest, previous: requests.PreparedRequest) -> None:
        """On the credentials' own origin, a redirect keeps what requests would drop.

        A Location never carries our API-key parameter, and requests rebuilds the Cookie header
        from its jar alone, losing a Cookie the user gave.
        """
        creds = self.credentials
        if creds.api_key and creds.api_key_query and prepared.url:
            query = parse_qsl(urlsplit(prepared.url).query, keep_blank_values=True)
            if creds.api_key_query not in {name for name, _ in query}:
                OriginBoundAuth(creds, prepared.url)(prepared)
        given = previous.headers.get("Cookie")
        if given and same_origin(previous.url or "", prepared.url or ""):
            pairs = dict(_cookie_pairs(given))
            pairs.update(_cookie_pairs(prepared.headers.get("Cookie", "")))  # fresh Set-Cookie values win
            prepared.headers["Cookie"] = "; ".join(f"{name}={value}" for name, value in pairs.items())


def _cookie_pairs(header: str) -> list[tuple[str, str]]:
    pairs = (part.strip().partition("=") for part in header.split(";"))
    return [(name, value) for name, _, value in pairs if name]


def build_session(
    policy: RetryPolicy,
    network: NetworkOptions,
    *,
    credentials: Credentials,
    credential_origin: str,
    unsafe_retries: bool,
    report: RetryReporter,
    note: RetryReporter | None = None,
    pool_size: int = 10,
    timed: bool = False,
    unix_socket: str | None = None,
) -> GuardedSession:
    session = GuardedSession(credential_origin, credentials)
    session.cookies.set_policy(OriginCookiePolicy())
    session.max_redirects = network.max_redirects
    session.allow_insecure_redirect = network.allow_insecure_redirect
    session.verify = network.verify
    session.cert = network.cert
    if network.verify is False:
        # --insecure is an explicit choice: urllib3's multi-line warning on every request is only noise.
        urllib3.disable_warnings(u3.InsecureRequestWarning)
    retry = build_retry(policy, unsafe_allowed=unsafe_retries, clock=network.clock, report=report, note=note or report)
    adapter = StaleAwareAdapter(max_retries=retry, pool_connections=pool_size, pool_maxsize=pool_size)
    if timed:
        from .timing import install_timed_connections

        install_timed_connections(adapter)
    if unix_socket is not None:
        from .unixsocket import install_unix_socket

        install_unix_socket(adapter, unix_socket, timed=timed)
    session.mount("http://", adapter)
    session.mount("https://", adapter)
    return session


def _root_cause(exc: BaseException) -> BaseException:
    """The most specific underlying error (MaxRetryError.reason, __context__ chains)."""
    seen = 0
    current: BaseException = exc
    while seen < 10:
        seen += 1
        args = getattr(current, "args", ())
        nested = getattr(current, "reason", None) or (args[0] if args and isinstance(args[0], BaseException) else None)
        if not isinstance(nested, BaseException) or nested is current:
            return current
        current = nested
    return current


def _describe(exc: BaseException) -> str:
    cause = _root_cause(exc)
    if isinstance(cause, u3.ProxyError) and isinstance(cause.original_error, BaseException):
        # ("Unable to connect to proxy", NewConnectionError(...)): say what happened to the connection.
        underlying = _describe(cause.original_error)
        refused = isinstance(_root_cause(cause.original_error), u3.NewConnectionError | ConnectionRefusedError)
        return f"cannot reach the proxy: {underlying}" if refused else underlying
    text = str(cause)
    if isinstance(cause, u3.NameResolutionError):
        return "could not resolve the host name"
    if isinstance(cause, u3.NewConnectionError | ConnectionRefusedError):
        lowered = text.lower()
        if "refused" in lowered:
            return "connection refused"
        if "name or service" in lowered or "resolve" in lowered:
            return "could not resolve the host name"
        return "could not connect"
    # urllib3 wraps what http.client raised in ProtocolError("Connection aborted.", error): say what it was.
    inner = cause.args[-1] if isinstance(cause, u3.ProtocolError) and cause.args else None
    if isinstance(inner, http.client.RemoteDisconnected):
        return "the server closed the connection without a response"
    if isinstance(inner, http.client.BadStatusLine):
        return "the server's answer is not an HTTP response"
    if isinstance(cause, ConnectionResetError) or "reset by peer" in text.lower():
        return "connection reset by the server"
    if isinstance(cause, u3.IncompleteRead) or "IncompleteRead" in text:
        return "the server closed the connection before the body was complete"
    if isinstance(cause, u3.ProtocolError | u3.HTTPError):
        if is_oversized_head(cause):
            return f"the response headers are too large ({cause.args[-1]})"
        if isinstance(inner, BaseException) and not is_oversized_head(cause):
            detail = str(inner).split("\n", 1)[0][:200]
            return f"the connection broke ({detail})" if detail else "the connection broke"
        return f"the connection broke ({text.split(':', 1)[0]})"
    return text.split("\n", 1)[0][:200] or type(cause).__name__


def speaks_plain_http(description: str) -> bool:
    """Whether a TLS failure is OpenSSL reading an HTTP answer as a TLS record (an http-only port)."""
    text = description.upper()
    return "WRONG_VERSION_NUMBER" in text or "HTTP_REQUEST" in text or "PACKET_LENGTH_TOO_LONG" in text


def plain_http_url(url: str) -> str:
    """`url` with http:// for https://, redacted for a message."""
    parts = urlsplit(url)
    return redact_url(urlunsplit(("http", *parts[1:])))


def tls_hint(description: str) -> str:
    """What to do about a TLS failure: alerts from the server are about our client certificate."""
    text = description.upper()
    if "ALERT_CERTIFICATE_REQUIRED" in text:
        return "the server asks for a client certificate: pass --cert FILE (and --key FILE)"
    if "ALERT_BAD_CERTIFICATE" in text or "ALERT_UNKNOWN_CA" in text or "ALERT_CERTIFICATE_UNKNOWN" in text:
        return "the server refused the client certificate: check --cert and --key"
    if "EOF OCCURRED IN VIOLATION OF PROTOCOL" in text or "UNEXPECTED_EOF" in text:
        # Often a server that checked the client certificate after the handshake and hung up.
        return "the server ended the TLS session: if it wants a client certificate, pass --cert FILE"
    return "pass --cacert FILE to trust a private CA, or --insecure to skip verification"


def translate(exc: BaseException, url: str, network: NetworkOptions) -> ApicliError | None:
    """Map a requests/urllib3 exception to the apicli error it means; None if it is not one."""
    where = redact_url(url)
    if "socks" in sys.modules or isinstance(exc, requests.exceptions.InvalidSchema):
        # A failure at a SOCKS proxy (requests imports PySocks when it is installed), or a proxy that needs it.
        from .socks_errors import socks_failure

        socks = socks_failure(exc, where, network.connect_timeout)
        if socks is not None:
            return socks
    if isinstance(_root_cause(exc), u3.NewConnectionError) and not isinstance(exc, requests.exceptions.SSLError):
        # urllib3 files a refused connection under ConnectTimeoutError; it is not a timeout.
        return ConnectionFailed(
            f"{_describe(exc)} ({where})",
            hint="check the --unix-socket path, and that the server listens there"
            if "unix socket" in str(_root_cause(exc))
            else "check the host and port, and that the server is up",
        )
    if isinstance(exc, requests.exceptions.ProxyError):
        return ConnectionFailed(
            f"could not go through the proxy to {where}: {_describe(exc)}",
            hint="check --proxy, --no-proxy and the HTTP_PROXY/HTTPS_PROXY/NO_PROXY variables",
        )
    if isinstance(exc, requests.exceptions.SSLError):
        description = _describe(exc)
        if speaks_plain_http(description):
            return ConnectionFailed(
                f"TLS failure talking to {where}: the server answered in plain HTTP, not TLS",
                hint=f"write {plain_http_url(url)} to talk to it over HTTP",
            )
        return ConnectionFailed(f"TLS failure talking to {where}: {description}", hint=tls_hint(description))
    if isinstance(exc, requests.exceptions.ConnectTimeout | u3.ConnectTimeoutError):
        return RequestTimeout(
            f"connecting to {where} timed out after {network.connect_timeout:g}s", hint="raise --connect-timeout"
        )
    if isinstance(exc, requests.exceptions.ReadTimeout | u3.ReadTimeoutError):
        return _read_timeout(where, network)
    if isinstance(exc, requests.exceptions.TooManyRedirects):
        return TooManyRedirects(
            f"more than {network.max_redirects} redirects from {where}", hint="raise --max-redirects, or --no-follow"
        )
    if isinstance(exc, requests.exceptions.InvalidURL | requests.exceptions.MissingSchema | u3.LocationParseError):
        return InvalidURL(f"invalid URL {where}: {_describe(exc)}")
    if isinstance(exc, requests.exceptions.InvalidHeader) and isinstance(_root_cause(exc), u3.InvalidHeader):
        # urllib3 refused the response's own headers (Content-Length values that disagree): the server's fault.
        return MalformedResponse(f"malformed response from {where}: {_root_cause(exc)}")
    if isinstance(exc, requests.exceptions.InvalidHeader):
        # Never quote requests' message: it repeats the header value, which may be a secret.
        return InvalidURL(
            "invalid header: a name or value has a line break or another character HTTP forbids",
            hint="header values cannot contain newlines",
        )
    if isinstance(exc, Undecodable):
        what = "ended before the end of its stream" if exc.truncated else "is corrupt"
        return ConnectionFailed(f"the {exc.encoding}-encoded body from {where} {what} ({exc.received} bytes received)")
    if isinstance(exc, requests.exceptions.ContentDecodingError | u3.DecodeError):
        # urllib3's message quotes the header and nests the zlib error: keep only the coding's name.
        found = re.search(r"content-encoding: ([^,]+(?:, [^,]+)*?), but", str(exc))
        coding = f"{found.group(1)}-encoded " if found else ""
        return ConnectionFailed(f"the {coding}body from {where} could not be decoded")
    if isinstance(
        exc,
        requests.exceptions.ConnectionError
        | requests.exceptions.ChunkedEncodingError
        | u3.ProtocolError
        | u3.HTTPError
        | ConnectionError,
    ):
        cause = _root_cause(exc)
        if isinstance(cause, u3.ReadTimeoutError | TimeoutError):
            return _read_timeout(where, network)
        if isinstance(cause, u3.ConnectTimeoutError):
            return RequestTimeout(f"connecting to {where} timed out after {network.connect_timeout:g}s")
        return ConnectionFailed(f"{_describe(exc)} ({where})")
    if isinstance(exc, requests.exceptions.RequestException):
        return ConnectionFailed(f"request to {where} failed: {_describe(exc)}")
    return None


def _read_timeout(where: str, network: NetworkOptions) -> RequestTimeout:
    """A read that timed out: --timeout's doing, or the clock's, which shortens socket timeouts near its end."""
    clock = network.clock
    if clock.expired(DEADLINE_SLACK) and clock.would_pass(network.timeout):
        return clock.expired_error()
    return RequestTimeout(f"no data from {where} within {network.timeout:g}s", hint="raise --timeout")


# A socket timeout that fires this close to the deadline was the deadline's (timer granularity, load).
DEADLINE_SLACK = 0.25


@contextmanager
def translate_errors(url: str, network: NetworkOptions, redirected_to: Sequence[str] = ()) -> Iterator[None]:
    """Raise the apicli error for any requests/urllib3 failure inside the block.

    `redirected_to` is filled while the block runs with the URLs redirects led to: a failure
    after one names the URL that failed and says how it was reached.
    """
    try:
        yield
    except ApicliError:
        raise
    except Exception as exc:
        hops = len(redirected_to)
        failed = redirected_to[-1] if hops and not isinstance(exc, requests.exceptions.TooManyRedirects) else url
        translated = translate(exc, failed, network)
        if translated is None:
            raise
        if failed != url:
            via = "a redirect" if hops == 1 else f"{hops} redirects"
            translated.message = f"{translated.message}, reached by {via} from {redact_url(url)}"
        attempts = attempts_made(exc)
        translated.attempts = attempts
        if attempts is not None and attempts > 1:
            translated.message = f"{translated.message}, after {attempts} attempts"
        raise translated from None


def request_kwargs(network: NetworkOptions) -> dict[str, Any]:
    """The socket timeouts (--connect-timeout, --timeout, cut to what is left of --max-time) and redirects."""
    clock = network.clock
    timeout = (clock.cap(network.connect_timeout), clock.cap(network.timeout))
    return {"timeout": timeout, "allow_redirects": network.follow}


def redactor_for(
    credentials: Credentials,
    *,
    headers: Iterable[tuple[str, str]] = (),
    url: str = "",
    query: Iterable[tuple[str, str]] = (),
    proxies: Iterable[str] = (),
) -> Redactor:
    """A Redactor that knows this run's secret values, credential header names and secret query names.

    Besides the auth options, the values of secret-looking headers (-H 'Authorization: ...'), of
    secret-looking query parameters and a URL password are secrets too: a server may echo them back
    in an error body, and an exception may quote them.
    """
    names = set(CREDENTIAL_HEADERS) | {"set-cookie"}
    if credentials.api_key_header:
        names.add(credentials.api_key_header.lower())
    secrets = list(credentials.secret_values)
    if credentials.basic:
        secrets.append(_basic_token(*credentials.basic))
    for name, value in headers:
        if name.lower() in names or is_secret_header_name(name):
            secrets.append(value)
            secrets.extend(part.strip() for part in value.split(None, 1)[1:])  # the token after "Bearer"
            secrets.extend(part.partition("=")[2].strip() for part in value.split(";"))  # cookie values
    parts = urlsplit(url)
    pairs = [*parse_qsl(parts.query, keep_blank_values=True), *query]
    secret_pairs = [(name, value) for name, value in pairs if is_secret_query_name(name)]
    secrets.extend(value for _, value in secret_pairs)
    # A secret's own query parameter is a known place: redacted there whatever the value's length.
    query_names = {name for name, _ in secret_pairs}
    if credentials.api_key_query:
        query_names.add(credentials.api_key_query)
    if parts.password:
        secrets += [parts.password, _basic_token(unquote(parts.username or ""), unquote(parts.password))]
    for proxy in proxies:  # --proxy and the *_PROXY variables may carry the proxy's user and password
        try:
            proxy_parts = urlsplit(proxy)
            password = proxy_parts.password
        except ValueError:
            continue
        if password:
            user = unquote(proxy_parts.username or "")
            secrets.extend({password, unquote(password), _basic_token(user, unquote(password))})
    return Redactor(secrets, names, query_names)


def _basic_token(user: str, password: str) -> str:
    """user:password as Basic auth sends it: a server may echo the Authorization header back."""
    return base64.b64encode(f"{user}:{password}".encode()).decode("ascii")
