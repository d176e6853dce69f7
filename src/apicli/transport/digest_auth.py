"""HTTP Digest authentication (RFC 7616): reading the server's challenge and answering it.

The challenge comes from the server, so it is parsed by a grammar that cannot fail in any way
but ChallengeError: one without a realm or nonce, malformed, or asking for what apicli does not
do (qop=auth-int, an unknown algorithm) ends the run as the 401 it is, saying why. The user name
goes out as UTF-8 (header text), the same bytes the hash is over; the 401's body is read only up
to ERROR_BODY before the answer is sent, and a longer one costs its connection instead.
"""

from __future__ import annotations

import contextlib
import hashlib
import os
import threading
from collections.abc import Callable
from typing import Any
from urllib.parse import urlsplit

import requests
import urllib3.exceptions
from requests.cookies import extract_cookies_to_jar

from ..compat import request_cookie_jar
from ..errors import HTTPStatusError, ParseError
from ..formats.headertext import header_text
from ..formats.httpsyntax import is_header_name, parse_quoted, skip_ows
from ..formats.urls import redact_url
from ..limits import ERROR_BODY, TooLarge, read_bounded

# Hash functions by algorithm name; each may also be asked for as NAME-sess (RFC 7616 §3.4.2).
_HASHES: dict[str, Callable[[bytes], Any]] = {
    "MD5": hashlib.md5,
    "SHA": hashlib.sha1,  # not in the RFC; requests answered it, and so do we
    "SHA-256": hashlib.sha256,
    "SHA-512": hashlib.sha512,
}
_TOKEN_END = frozenset(' \t,="')


class ChallengeError(ValueError):
    """The Digest challenge cannot be answered; the message completes "its Digest challenge ..."."""


def _token_at(text: str, pos: int) -> tuple[str, int]:
    """The RFC 9110 token at `pos` (empty when there is none) and the position after it."""
    end = pos
    while end < len(text) and text[end] not in _TOKEN_END:
        end += 1
    word = text[pos:end]
    return (word, end) if word and is_header_name(word) else ("", pos)


def parse_challenges(header: str) -> dict[str, str]:
    """The parameters of the Digest challenge in a WWW-Authenticate value, names lowercased.

    Other schemes' challenges around it are skipped leniently; the Digest one must follow the
    grammar (auth-param = token "=" ( token / quoted-string ), separated by commas), else
    ChallengeError. The first of a repeated parameter counts.
    """
    params: dict[str, str] | None = None
    in_digest = False
    pos, end = 0, len(header)
    while pos < end:
        while pos < end and header[pos] in " \t,":
            pos += 1
        if pos >= end:
            break
        word, after = _token_at(header, pos)
        if not word:
            if in_digest:
                raise ChallengeError("is malformed")
            pos = _next_comma(header, pos)
            continue
        eq = skip_ows(header, after)
        if eq < end and header[eq] == "=":  # a parameter of the current challenge
            value, pos = _param_value(header, skip_ows(header, eq + 1))
            pos = skip_ows(header, pos)
            well_formed = value is not None and (pos >= end or header[pos] == ",")
            if in_digest and params is not None:
                if not well_formed:
                    raise ChallengeError("is malformed")
                params.setdefault(word.lower(), value or "")
            elif not well_formed:
                pos = _next_comma(header, pos)
            continue
        if in_digest:
            break  # the next challenge begins: the Digest one is complete
        in_digest = word.lower() == "digest"
        params = {} if in_digest else params
        pos = after
    if params is None:
        raise ChallengeError("is missing")
    return params


def _param_value(header: str, pos: int) -> tuple[str | None, int]:
    if pos < len(header) and header[pos] == '"':
        try:
            return parse_quoted(header, pos, ParseError)
        except ParseError:
            return None, len(header)
    word, after = _token_at(header, pos)
    return (word, after) if word else (None, pos)


def _next_comma(header: str, pos: int) -> int:
    comma = header.find(",", pos)
    return len(header) if comma < 0 else comma + 1


def usable_challenge(params: dict[str, str]) -> dict[str, str]:
    """`params` when apicli can answer them; ChallengeError saying what is missing or unsupported."""
    for required in ("realm", "nonce"):
        if required not in params or (required == "nonce" and not params[required]):
            raise ChallengeError(f"has no {required}")
    algorithm = params.get("algorithm", "MD5").upper()
    if algorithm.removesuffix("-SESS") not in _HASHES:
        raise ChallengeError(f"asks for algorithm {_shown(algorithm)}, which apicli does not support")
    qop = params.get("qop")
    if qop is not None and "auth" not in {option.strip().lower() for option in qop.split(",")}:
        raise ChallengeError(f"asks for qop {_shown(qop)}, which apicli does not support (only auth)")
    return params


def _shown(value: str) -> str:
    """A server's word, short and printable, for a message."""
    cut = "".join(char if char.isprintable() else "?" for char in value[:40])
    return repr(cut + ("..." if len(value) > 40 else ""))


def _quoted(value: str) -> str:
    return '"' + value.replace("\\", "\\\\").replace('"', '\\"') + '"'


class DigestAnswerer:
    """Answers a server's Digest challenges for one user; one per run, so a known nonce is reused."""

    def __init__(self, user: str, password: str) -> None:
        self.user = user
        self.password = password
        self.lock = threading.Lock()
        self.challenge: dict[str, str] | None = None
        self.nonce_count = 0

    def authorization(self, method: str, url: str) -> str:
        """The Authorization value answering the known challenge for `method` on `url`."""
        assert self.challenge is not None
        with self.lock:
            self.nonce_count += 1
            count = f"{self.nonce_count:08x}"
        challenge = self.challenge
        algorithm = challenge.get("algorithm", "MD5").upper()
        hash_of = _HASHES[algorithm.removesuffix("-SESS")]

        def digest(*parts: bytes) -> str:
            return str(hash_of(b":".join(parts)).hexdigest())

        parts = urlsplit(url)
        uri = (parts.path or "/") + (f"?{parts.query}" if parts.query else "")
        # The user goes out as UTF-8: the hash is over the same bytes. Server values came as Latin-1 text.
        user = header_text(self.user, "-u/--user")
        realm, nonce = challenge["realm"].encode("latin-1"), challenge["nonce"].encode("latin-1")
        cnonce = os.urandom(8).hex()
        secret = digest(user.encode("latin-1"), realm, self.password.encode("utf-8", "surrogateescape"))
        if algorithm.endswith("-SESS"):
            secret = digest(secret.encode(), nonce, cnonce.encode())
        request_digest = digest(method.encode("latin-1", "replace"), uri.encode("latin-1", "replace"))
        qop = challenge.get("qop")
        if qop is None:
            response = digest(secret.encode(), nonce, request_digest.encode())
        else:
            response = digest(secret.encode(), nonce, count.encode(), cnonce.encode(), b"auth", request_digest.encode())
        fields = [f"username={_quoted(user)}", f"realm={_quoted(challenge['realm'])}"]
        fields += [f"nonce={_quoted(challenge['nonce'])}", f"uri={_quoted(uri)}", f"response={_quoted(response)}"]
        if "algorithm" in challenge:
            fields.append(f"algorithm={challenge['algorithm']}")
        if "opaque" in challenge:
            fields.append(f"opaque={_quoted(challenge['opaque'])}")
        if qop is not None:
            fields += ["qop=auth", f"nc={count}", f'cnonce="{cnonce}"']
        return "Digest " + ", ".join(fields)

    def prepare(self, request: requests.PreparedRequest) -> requests.PreparedRequest:
        """Answer the known challenge up front (saving a 401), and note where a file body starts."""
        if self.challenge is not None:
            request.headers["Authorization"] = self.authorization(request.method or "GET", request.url or "")
        tell = getattr(request.body, "tell", None)
        request.apicli_body_start = tell() if callable(tell) else None  # type: ignore[attr-defined]
        return request

    def answer_401(self, response: requests.Response, **kwargs: Any) -> requests.Response:
        """A response hook: answer a 401's Digest challenge once; refuse one that cannot be answered."""
        header = response.headers.get("WWW-Authenticate", "")
        if response.status_code != 401 or "digest" not in header.lower():
            return response
        if getattr(response.request, "apicli_digest_answered", False):
            return response
        try:
            challenge = usable_challenge(parse_challenges(header))
        except ChallengeError as exc:
            _release(response)
            method, where = response.request.method, redact_url(response.url)
            raise HTTPStatusError(
                f"HTTP 401 {response.reason} ({method} {where}): its Digest challenge {exc}",
                status=401,
                hint="the server asks for Digest auth in a form apicli cannot answer",
            ) from None
        _release(response)
        self.challenge = challenge
        again = response.request.copy()
        start = getattr(response.request, "apicli_body_start", None)
        seek = getattr(again.body, "seek", None)
        if start is not None and callable(seek):
            seek(start)
        jar = request_cookie_jar(again)
        if jar is not None:
            extract_cookies_to_jar(jar, response.request, response.raw)  # type: ignore[no-untyped-call]
            again.prepare_cookies(jar)
        again.headers["Authorization"] = self.authorization(again.method or "GET", again.url or "")
        again.apicli_digest_answered = True  # type: ignore[attr-defined]
        retried: requests.Response = response.connection.send(again, **kwargs)
        retried.history.append(response)
        retried.request = again
        return retried


def _release(response: requests.Response) -> None:
    """Read a 401's body (as sent, undecoded) so its connection can be reused: up to ERROR_BODY, else close it."""
    from ..output.streams import iter_wire

    # A broken or long body: the answer goes on a new connection.
    with contextlib.suppress(TooLarge, requests.RequestException, urllib3.exceptions.HTTPError, OSError):
        read_bounded(iter_wire(response.raw), ERROR_BODY, error=TooLarge)
    response.close()
