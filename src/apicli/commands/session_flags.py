"""The flags for cookies and transports -> SessionOptions; imported only when one of them is given."""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path
from typing import TYPE_CHECKING, Any

from ..errors import UsageError
from ..inputs.items import expand_user
from ..spec import Credentials, SessionOptions

if TYPE_CHECKING:
    from ..config.config_file import Profile


def cookie_options(
    cookie_flags: list[str], jar_flag: Path | None, profile: Profile | None, session: SessionOptions
) -> tuple[SessionOptions, tuple[tuple[str, str], ...]]:
    """The cookie jar (the flag's, else the profile's) and the --cookie pairs."""
    from ..transport.cookies import parse_cookie_flag

    cookies = tuple(parse_cookie_flag(text) for text in cookie_flags)
    jar = jar_flag if jar_flag is not None else (profile.cookie_jar if profile else None)
    if jar is not None:
        jar = expand_user(jar)
        if jar.is_dir():
            raise UsageError(f"--cookie-jar: {str(jar)!r} is a directory", hint="name a file, e.g. cookies.txt")
    return session._replace(cookie_jar=jar), cookies


def proxy_options(proxy: str | None, no_proxy: str | None, session: SessionOptions) -> SessionOptions:
    """--proxy checked (scheme, host, the socks extra when needed) and --no-proxy's list tidied."""
    from ..formats.urls import check_proxy_url

    if proxy is not None:
        proxy = check_proxy_url(proxy, "--proxy")
        if proxy.lower().startswith("socks"):
            import importlib.util

            if importlib.util.find_spec("socks") is None:
                raise UsageError(
                    "--proxy: a SOCKS proxy needs PySocks", hint="install apicli[socks] (pip install 'apicli[socks]')"
                )
    if no_proxy is not None:
        no_proxy = ",".join(host.strip() for host in no_proxy.split(",") if host.strip())
    return session._replace(proxy=proxy, no_proxy=no_proxy)


AUTH_TYPES = ("basic", "digest", "bearer")


def check_auth_type(kind: str, has_user: bool, has_token: bool) -> bool:
    """-A/--auth-type against the credentials given; True for digest."""
    if kind not in AUTH_TYPES:
        raise UsageError(f"invalid -A/--auth-type {kind!r}", hint="expected basic, digest or bearer")
    if kind == "bearer":
        if not has_token or has_user:
            raise UsageError("-A bearer needs --token-env VAR or --token-file FILE, and no -u/--user")
        return False
    if not has_user:
        raise UsageError(
            f"-A {kind} needs -u USER", hint="the password comes from -u user:pw, --password-env or a prompt"
        )
    return kind == "digest"


def unix_socket_option(path: Path, url: str, proxy: str | None, session: SessionOptions) -> SessionOptions:
    """--unix-socket checked: an existing socket, a plain-HTTP URL and no --proxy."""
    import stat

    if proxy is not None:
        raise UsageError("--unix-socket and --proxy cannot be combined")
    if not url.lower().startswith("http://"):
        raise UsageError(
            "--unix-socket speaks plain HTTP: the URL must start with http://",
            hint="e.g. apicli get --unix-socket /var/run/docker.sock http://localhost/version",
        )
    socket_path = expand_user(path)
    try:
        mode = socket_path.stat().st_mode
    except OSError as exc:
        raise UsageError(f"--unix-socket: cannot use {str(path)!r}: {exc.strerror or exc}") from None
    if not stat.S_ISSOCK(mode):
        raise UsageError(f"--unix-socket: {str(path)!r} is not a socket")
    return session._replace(unix_socket=str(socket_path))


def fetched_credentials(flags: Mapping[str, Any], credentials: Credentials, environ: Mapping[str, str]) -> Credentials:
    """The OAuth2 client-credentials flags or --auth-command, checked, as Credentials to fetch while the run goes."""
    from ..inputs.secret_input import secret_from_env, secret_from_file

    others = credentials.basic or credentials.bearer or credentials.api_key
    oauth2_given = [name for name, value in flags.items() if name.startswith("oauth2_") and value is not None]
    command = flags.get("auth_command")
    if oauth2_given and command is not None:
        raise UsageError("--auth-command and the --oauth2-* flags cannot be combined")
    if others or flags.get("auth_type") is not None:
        what = "--auth-command" if command is not None else "--oauth2-* flags"
        raise UsageError(f"{what} cannot be combined with -u, -A, a token or an API key")
    if command is not None:
        return credentials._replace(auth_command=parse_auth_command(command, "--auth-command"))
    from ..spec import OAuth2Settings

    url, client = flags.get("oauth2_token_url"), flags.get("oauth2_client_id")
    secret_env, secret_file = flags.get("oauth2_client_secret_env"), flags.get("oauth2_client_secret_file")
    if not url or not client or (secret_env is None) == (secret_file is None):
        raise UsageError(
            "OAuth2 needs --oauth2-token-url, --oauth2-client-id and one of --oauth2-client-secret-env or "
            "--oauth2-client-secret-file",
            hint="the secret is never taken on the command line, where ps would show it",
        )
    secret = (
        secret_from_env(secret_env, "--oauth2-client-secret-env", environ)
        if secret_env is not None
        else secret_from_file(Path(str(secret_file)), "--oauth2-client-secret-file")
    )
    from ..formats.headertext import header_bytes

    # Both go in a Basic Authorization header as UTF-8: refused here, before anything is sent, for a control character.
    header_bytes(client, "--oauth2-client-id")
    header_bytes(secret, "--oauth2-client-secret-env" if secret_env is not None else "--oauth2-client-secret-file")
    settings = OAuth2Settings(
        token_url=check_token_url(url, "--oauth2-token-url"),
        client_id=client,
        client_secret=secret,
        scope=flags.get("oauth2_scope"),
        audience=flags.get("oauth2_audience"),
    )
    return credentials._replace(oauth2=settings)


def check_token_url(url: str, where: str) -> str:
    from ..formats.urls import normalize_url

    try:
        return normalize_url(url)
    except UsageError as exc:
        raise UsageError(f"{where}: {exc.message}") from None


def parse_auth_command(text: str, where: str) -> tuple[str, ...]:
    """'CMD ARGS' split as a shell would split it, but never run by one."""
    import shlex

    try:
        argv = tuple(shlex.split(text))
    except ValueError as exc:
        hint = "quote it as you would for a shell: --auth-command 'cmd arg'"
        raise UsageError(f"{where}: {exc}", hint=hint) from None
    if not argv:
        raise UsageError(f"{where} is empty", hint="name the program to run")
    return argv
