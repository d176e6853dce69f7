"""The hint under an error status, built from what happened rather than one stock line.

An unsafe method that was not retried, retries that ran out, a 401 whose challenge names an
auth scheme apicli speaks but was not asked to use, a Retry-After wait, a HEAD (no body to
get): each gets the hint that fixes it. --ignore-status is the hint where nothing better fits.
"""

from __future__ import annotations

import re
from collections.abc import Mapping

from urllib3.util.retry import Retry

# The challenge schemes apicli can answer, and the flags that make it answer them.
_SCHEME_FLAGS = {
    "digest": "the server asks for Digest auth: -A digest -u USER",
    "basic": "the server asks for Basic auth: -u USER",
    "bearer": "the server asks for a bearer token: --token-env VAR (or --token-file FILE)",
}
_CHALLENGE_SCHEME = re.compile(r"(?:^|,)\s*([A-Za-z][A-Za-z0-9!#$%&'*+.^_`|~-]*)(?=\s|,|$)")
_SHOWN_RETRY_AFTER = 40


def status_hint(
    method: str,
    status: int,
    response_headers: Mapping[str, str],
    request_headers: Mapping[str, str],
    retry: Retry | None,
    *,
    has_body: bool,
) -> str:
    """The hint for an error status (4xx/5xx) that ended the run."""
    parts: list[str] = []
    retryable_status = retry is not None and status in (retry.status_forcelist or ())
    if retry is not None and retryable_status:
        attempts = len(retry.history) + 1
        allowed = retry.allowed_methods
        if allowed is not None and method.upper() not in allowed:
            parts.append(
                f"a {method.upper()} is not retried: --retry-unsafe (or an Idempotency-Key header) lets apicli retry it"
            )
        elif attempts > 1:
            parts.append(f"gave up after {attempts} attempts: raise --retries (and --max-time) to keep trying")
    if status == 401:
        scheme = _unasked_scheme(response_headers.get("WWW-Authenticate", ""), request_headers.get("Authorization"))
        if scheme is not None:
            parts.append(_SCHEME_FLAGS[scheme])
    if status in (429, 503) and (wait := _retry_after_text(response_headers.get("Retry-After"))):
        parts.append(f"the server asks to wait {wait} (Retry-After)")
    if method.upper() == "HEAD" or not has_body:
        fallback = "use --ignore-status to exit 0 (this response has no body)"
    else:
        fallback = "use --ignore-status to get the body on stdout and exit 0"
    return "; ".join(parts) if parts else fallback


def _unasked_scheme(challenge: str, authorization: str | None) -> str | None:
    """The first scheme in the challenge that apicli speaks, unless the request already used it."""
    sent = authorization.split(None, 1)[0].lower() if authorization and authorization.strip() else None
    offered = [found.group(1).lower() for found in _CHALLENGE_SCHEME.finditer(challenge[:4096])]
    known = [scheme for scheme in offered if scheme in _SCHEME_FLAGS]
    if not known or sent in known:
        return None  # nothing apicli speaks, or the credentials sent in that scheme were refused
    return known[0]


def _retry_after_text(value: str | None) -> str | None:
    """`30 s` for delta seconds, the date itself for an HTTP-date; None for anything else."""
    if value is None:
        return None
    value = value.strip()
    if value.isascii() and value.isdigit() and len(value) <= 9:
        return f"{int(value)} s"
    if 0 < len(value) <= _SHOWN_RETRY_AFTER and all(" " <= char <= "~" for char in value):
        import email.utils

        try:
            email.utils.parsedate_to_datetime(value)
        except (TypeError, ValueError, IndexError):
            return None
        return f"until {value}"
    return None
