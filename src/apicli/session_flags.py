"""The flags for cookies and transports -> SessionOptions; imported only when one of them is given."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

from .items import expand_user
from .spec import SessionOptions

if TYPE_CHECKING:
    from .config_file import Profile


def cookie_options(
    cookie_flags: list[str], jar_flag: Path | None, profile: Profile | None, session: SessionOptions
) -> tuple[SessionOptions, tuple[tuple[str, str], ...]]:
    """The cookie jar (the flag's, else the profile's) and the --cookie pairs."""
    from .cookies import parse_cookie_flag

    cookies = tuple(parse_cookie_flag(text) for text in cookie_flags)
    jar = jar_flag if jar_flag is not None else (profile.cookie_jar if profile else None)
    if jar is not None:
        jar = expand_user(jar)
        if jar.is_dir():
            from .errors import UsageError

            raise UsageError(f"--cookie-jar: {str(jar)!r} is a directory", hint="name a file, e.g. cookies.txt")
    return session._replace(cookie_jar=jar), cookies
