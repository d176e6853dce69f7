"""--curl and --dry-run: show the request apicli would send, and send nothing.

Both start from the fully prepared request (defaults, profile, credentials and
query already applied), so what they show is what would go on the wire.
`format_curl` builds a shell-quoted curl command line with the same meaning;
`format_request` shows the request itself. Secrets are REDACTED unless asked.
"""

from __future__ import annotations

import shlex
from contextlib import ExitStack
from typing import TYPE_CHECKING

import requests

from ..formats.urls import redact_url
from ..output.report import Redactor, Reporter
from ..request.client import wire_headers
from ..spec import IDEMPOTENT_METHODS, NO_HEADER, NetworkOptions
from .flags import Invocation

if TYPE_CHECKING:
    from ..output import ByteSink

_DEFAULT_CONNECT_TIMEOUT = NetworkOptions().connect_timeout
_FORM_PATH_SPECIALS = frozenset(';,"\\')


def write_preview(invocation: Invocation, reporter: Reporter, sink: ByteSink) -> None:
    """Print the --curl command or the --dry-run request for `invocation` on `sink`."""
    from ..request.client import open_client

    client = open_client(
        invocation.spec,
        invocation.retry,
        invocation.network,
        reporter,
        unsafe_retries=invocation.unsafe_retries,
        session_options=invocation.session,  # the jar is read, so its cookies show; a preview never saves it
    )
    client.preview = True
    with ExitStack() as stack:
        prepared = client.prepare(invocation.spec, stack)
    redactor = None if invocation.show_secrets else reporter.redactor

    def render(redacting: Redactor | None) -> str:
        if invocation.preview == "curl":
            return format_curl(prepared, invocation, redactor=redacting)
        return format_request(prepared, invocation, redactor=redacting)

    text = render(redactor)
    sink.write(text.encode("utf-8", "surrogateescape"))
    sink.flush()
    if redactor is not None and text != render(None):
        reporter.note("apicli: secrets are shown as REDACTED; add --show-secrets to include them")
    if invocation.preview == "curl" and "--data-binary @-" in text:
        reporter.note("apicli: the body holds NUL bytes, which cannot go on a command line; pipe it into curl")


def format_curl(
    prepared: requests.PreparedRequest,
    invocation: Invocation,
    *,
    redactor: Redactor | None,
) -> str:
    """A curl command line (one line, shlex-quoted) that sends the same request."""
    spec = invocation.spec
    network = invocation.network
    body = spec.body if prepared.body is not None else None
    method = (prepared.method or "GET").upper()
    args = ["curl", "-sS"]  # like apicli: no progress meter, but errors on stderr
    if method == "HEAD":
        args.append("--head")
    elif method != ("POST" if body is not None else "GET"):
        args += ["-X", method]
    args.append(_shown_url(prepared.url or spec.url, invocation, redactor))

    basic = spec.credentials.basic
    use_user_flag = basic is not None and prepared.headers.get("Authorization", "").startswith("Basic ")
    default_encoding = requests.utils.default_headers()["Accept-Encoding"]
    headers = wire_headers(prepared)
    for name, value in headers:
        lowered = name.lower()
        if lowered in ("content-length", "host") or (lowered == "connection" and value.lower() == "keep-alive"):
            continue  # curl writes these itself
        if lowered == "accept-encoding" and value == default_encoding:
            continue  # without --compressed, curl asks for (and prints) the body as is
        if lowered == "content-type" and body is not None and body.kind == "multipart":
            continue  # -F makes its own boundary
        if lowered == "authorization" and use_user_flag:
            continue
        if value == "":
            args += ["-H", f"{name};"]  # curl's spelling of an empty header ("Name:" would remove it)
            continue
        args += ["-H", f"{name}: {_shown_header(name, value, redactor)}"]
    sent = {name.lower() for name, _ in headers}
    for name, value in spec.headers:
        if value == NO_HEADER and name.lower() not in sent:
            args += ["-H", f"{name}:"]  # removed by the user: stop curl sending its own
    if body is not None and body.kind != "multipart" and "content-type" not in sent:
        args += ["-H", "Content-Type:"]  # curl would otherwise add a form type
    if (use_user_flag or spec.credentials.digest) and basic is not None:
        user, password = basic
        args += ["--digest"] if spec.credentials.digest else []
        args += ["-u", f"{user}:{_shown_text(password, redactor, secret=True)}"]

    if body is not None:
        if body.kind == "multipart":
            for field, value in body.form:
                args += ["--form-string", f"{field}={_shown_text(value, redactor)}"]
            for part in body.files:
                location = str(part.path)
                if _FORM_PATH_SPECIALS & set(location):
                    location = '"' + location.replace("\\", "\\\\").replace('"', '\\"') + '"'
                args += [
                    "-F",
                    f"{part.field}=@{location}" + (f";type={part.content_type}" if part.content_type else ""),
                ]
        elif body.kind == "file" and body.path is not None:
            args += ["--data-binary", f"@{body.path}"]
        else:
            data = _body_bytes(prepared.body)
            if b"\x00" in data:
                args += ["--data-binary", "@-"]
            else:
                text = _shown_text(data.decode("utf-8", "surrogateescape"), redactor)
                # --data-binary reads a file when its value starts with @; --data-raw never does.
                args += ["--data-raw" if text.startswith("@") else "--data-binary", text]

    args += _network_args(network)
    if invocation.session.proxy is not None:
        proxy = invocation.session.proxy
        args += ["-x", proxy if redactor is None else redactor.text(redact_url(proxy))]
    if invocation.session.unix_socket is not None:
        args += ["--unix-socket", invocation.session.unix_socket]
    if invocation.session.no_proxy is not None:
        args += ["--noproxy", invocation.session.no_proxy]
    if invocation.session.cookie_jar is not None:
        args += ["-c", str(invocation.session.cookie_jar)]  # the cookies it holds are in the Cookie header above
    retries = invocation.retry.retries
    if retries > 0 and (method in IDEMPOTENT_METHODS or invocation.unsafe_retries):
        args += ["--retry", str(retries)]
    if invocation.output.output is not None:
        args += ["-o", str(invocation.output.output)]
    return shlex.join(args) + "\n"


def _network_args(network: NetworkOptions) -> list[str]:
    args: list[str] = []
    if network.follow:
        args += ["-L", "--max-redirs", str(network.max_redirects)]
    if network.max_time is not None:
        args += ["--max-time", f"{network.max_time:g}"]
    if network.connect_timeout != _DEFAULT_CONNECT_TIMEOUT:
        args += ["--connect-timeout", f"{network.connect_timeout:g}"]
    if network.verify is False:
        args.append("-k")
    elif isinstance(network.verify, str):
        args += ["--cacert", network.verify]
    if isinstance(network.cert, tuple):
        args += ["--cert", network.cert[0], "--key", network.cert[1]]
    elif network.cert is not None:
        args += ["--cert", network.cert]
    return args


def format_request(prepared: requests.PreparedRequest, invocation: Invocation, *, redactor: Redactor | None) -> str:
    """The request as it would be sent: a `METHOD URL` line, the headers, a blank line and the body."""
    lines = [f"{prepared.method} {_shown_url(prepared.url or invocation.spec.url, invocation, redactor)}"]
    lines += [f"{name}: {_shown_header(name, value, redactor)}" for name, value in wire_headers(prepared)]
    body = invocation.spec.body
    if body is not None and body.kind == "file":
        # Not read here: it may be large, or a pipe that can be read only once.
        size = f"{body.size} bytes" if body.size is not None else "streamed"
        lines += ["", f"({size} from {body.path})"]
    elif prepared.body is not None:
        data = _body_bytes(prepared.body)
        try:
            text = data.decode("utf-8")
        except UnicodeDecodeError:
            text = ""
        if b"\x00" in data or (data and not text):
            text = f"({len(data)} bytes of binary data)"
        lines += ["", _shown_text(text, redactor)]
    return "\n".join(lines) + "\n"


def _body_bytes(body: object) -> bytes:
    if isinstance(body, bytes):
        return body
    if isinstance(body, str):
        return body.encode("utf-8")
    return b""


def _shown_url(url: str, invocation: Invocation, redactor: Redactor | None) -> str:
    if redactor is None:
        return url
    query_name = invocation.spec.credentials.api_key_query
    return redactor.text(redact_url(url, {query_name} if query_name else set()))


def _shown_header(name: str, value: str, redactor: Redactor | None) -> str:
    return value if redactor is None else redactor.header(name, value)


def _shown_text(text: str, redactor: Redactor | None, *, secret: bool = False) -> str:
    if redactor is None:
        return text
    return "REDACTED" if secret else redactor.text(text)
