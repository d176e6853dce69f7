"""Checks of what can be known before anything is sent: header syntax, secrets bound for headers, TLS files.

Each failure is a usage error whose hint names the flag to fix. A header value is
never quoted in a message: it may be a secret.
"""

from __future__ import annotations

from collections.abc import Iterable
from pathlib import Path
from typing import Any

from ..errors import UsageError
from ..formats.httpsyntax import has_control_character, header_value_problem, is_header_name
from ..spec import Credentials


def check_header_names(names: Iterable[str], where: str, example: str) -> None:
    for name in names:
        if not is_header_name(name):
            raise UsageError(
                f"invalid header name {name!r} in {where}",
                hint=f"a header name is letters, digits and -, as in {example}",
            )


def check_header_values(headers: Iterable[tuple[str, str]], where: str) -> None:
    for name, value in headers:
        problem = header_value_problem(value)
        if problem is not None:
            raise UsageError(
                f"invalid header {name!r}: its value contains {problem}",
                hint=f"remove line breaks and control characters from the {name} value given in {where}",
            )


def check_api_key_names(header: str | None, query: str | None) -> None:
    if header is not None and not is_header_name(header):
        raise UsageError(
            f"invalid --api-key-header {header!r}: not a header name",
            hint="--api-key-header takes a name such as X-API-Key (letters, digits and -)",
        )
    if query is not None and (not query.strip() or has_control_character(query)):
        raise UsageError(
            f"invalid --api-key-query {query!r}: not a query parameter name",
            hint="--api-key-query takes a name such as api_key",
        )


def check_credentials(credentials: Credentials) -> None:
    """A token, API key or basic-auth pair that goes into a header must be a valid header value."""
    if credentials.bearer is not None and header_value_problem(credentials.bearer):
        raise UsageError(
            "the bearer token contains a line break or control character",
            hint="--token-env, --token-file (or the profile's token) must hold only the token, on one line",
        )
    if credentials.api_key is not None and credentials.api_key_header and header_value_problem(credentials.api_key):
        raise UsageError(
            "the API key contains a line break or control character",
            hint="--api-key-env, --api-key-file (or the profile's key) must hold only the key, on one line",
        )
    if credentials.basic is not None and any(header_value_problem(part) for part in credentials.basic):
        # Other text is sent as UTF-8 (RFC 7617's charset), as curl sends what was typed.
        raise UsageError(
            "the -u/--user name or password contains a control character",
            hint="check -u/--user, --password-env (or the profile's basic auth)",
        )


def check_ca_bundle(path: Path, where: str) -> None:
    """`path` must hold at least one PEM certificate that OpenSSL can load."""
    import ssl  # only with --cacert or a profile's verify file: it costs start-up time otherwise

    try:
        ssl.create_default_context(cafile=str(path))
    except (ssl.SSLError, ValueError):
        raise UsageError(
            f"{where}: {str(path)!r} is not a PEM file of CA certificates",
            hint=f"{where} takes a PEM bundle (-----BEGIN CERTIFICATE----- blocks)",
        ) from None
    except OSError as exc:
        raise UsageError(f"{where}: cannot read {str(path)!r}: {exc.strerror or exc}") from None


def check_client_certificate(cert: Path, key: Path | None) -> None:
    """--cert (with its key, or --key) must load as OpenSSL will load it for the handshake."""
    import ssl

    encrypted = False

    def no_password() -> str:
        # An encrypted key is asked for at the handshake; here it is enough to know it is one.
        nonlocal encrypted
        encrypted = True
        return ""

    context = ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)
    try:
        context.load_cert_chain(str(cert), str(key) if key is not None else None, password=no_password)
        return
    except ssl.SSLError as exc:
        if encrypted:
            return
        reason = exc.reason or ""
    except OSError as exc:
        raise UsageError(f"--cert: cannot read {str(cert)!r}: {exc.strerror or exc}") from None
    if not _holds_certificate(cert):
        raise UsageError(
            f"--cert: {str(cert)!r} holds no PEM certificate",
            hint="--cert takes the client certificate in PEM (-----BEGIN CERTIFICATE-----)",
        )
    if key is None:
        raise UsageError(
            f"--cert: {str(cert)!r} holds a certificate but no private key that matches it",
            hint="add --key FILE with the certificate's private key (PEM)",
        )
    if "MISMATCH" in reason:
        raise UsageError(
            f"--key: {str(key)!r} is not the private key of the certificate in --cert",
            hint="pass --key the key that belongs to --cert",
        )
    raise UsageError(
        f"--key: {str(key)!r} holds no PEM private key",
        hint="--key takes the certificate's private key in PEM (-----BEGIN PRIVATE KEY-----)",
    )


def _holds_certificate(path: Path) -> bool:
    import ssl

    try:
        ssl.create_default_context(cafile=str(path))
    except (ssl.SSLError, ValueError, OSError):
        return False
    return True


def check_flag_pairs(flags: Any) -> None:
    """Flags that need another, or that contradict one: refused rather than silently ignored."""
    if flags.color and flags.no_color:
        raise UsageError("--color and --no-color cannot be combined", hint="pick one of --color and --no-color")
    if flags.key is not None and flags.cert is None:
        raise UsageError("--key needs --cert", hint="add --cert FILE: the client certificate that --key belongs to")
    if flags.no_follow and flags.max_redirects is not None:
        raise UsageError(
            "--no-follow and --max-redirects cannot be combined",
            hint="--max-redirects limits redirects that are followed: drop it, or drop --no-follow",
        )
    if flags.raw_output and flags.jq is None:
        raise UsageError("-r/--raw-output needs --jq", hint="add --jq EXPR, or drop -r/--raw-output")
    if flags.api_key_header is not None and flags.api_key_query is not None:
        raise UsageError("--api-key-header and --api-key-query cannot be combined")
