"""Server-side handshakes for credential tests: a digest challenge, an OAuth2 token endpoint, a forward proxy.

Each is a fault-server behaviour that records what it was sent, so a test can prove that a
credential reached the one party it belongs to.
"""

from __future__ import annotations

import base64
import hashlib
import re
import socket
from dataclasses import dataclass, field
from urllib.parse import parse_qs, urlsplit

from tests.faults.behaviours import Behaviour, Reply, json_reply
from tests.faults.wire import Exchange

NONCE = "b2c8f0e7a1d94b6e"
REALM = "test@loopback"


def _md5(text: str) -> str:
    return hashlib.md5(text.encode()).hexdigest()


@dataclass
class DigestProtected:
    """Answers 401 with a Digest challenge unless the request carries a valid digest (RFC 7616, MD5, qop=auth).

    A valid request gets `then` when given, else a 200 with `body`. `answers` says what each request got.
    """

    user: str = "ann"
    password: str = "dig-pw-5c1e0b"
    body: bytes = b'{"secret": "data"}'
    then: Behaviour | None = None
    answers: list[str] = field(default_factory=list)

    def serve(self, exchange: Exchange) -> None:
        request = exchange.request
        given = request.headers.get("Authorization", "")
        fields = dict(re.findall(r'(\w+)="?([^",]*)"?', given))
        if given.startswith("Digest ") and fields.get("username") == self.user:
            ha1 = _md5(f"{self.user}:{REALM}:{self.password}")
            ha2 = _md5(f"{request.method}:{fields.get('uri', '')}")
            expected = _md5(f"{ha1}:{NONCE}:{fields.get('nc')}:{fields.get('cnonce')}:auth:{ha2}")
            if fields.get("response") == expected and fields.get("uri") == request.target:
                self.answers.append("ok")
                reply = self.then or Reply(200, {"Content-Type": "application/json"}, self.body)
                reply.serve(exchange)
                return
        self.answers.append("challenge")
        challenge = f'Digest realm="{REALM}", qop="auth", nonce="{NONCE}", opaque="x1", algorithm=MD5'
        Reply(401, [("WWW-Authenticate", challenge), ("Content-Type", "text/plain")], "who are you?").serve(exchange)


@dataclass
class TokenEndpoint:
    """An OAuth2 token endpoint (client credentials): hands out at-1-SUFFIX, at-2-SUFFIX, ... to the right client.

    Records each form it was sent; a wrong client ID or secret gets 401 invalid_client.
    """

    client_secret: str
    client_id: str = "app"
    suffix: str = "9f8e7d"
    expires_in: object = 3600
    status: int = 200
    forms: list[dict[str, list[str]]] = field(default_factory=list)
    issued: list[str] = field(default_factory=list)

    @property
    def basic(self) -> str:
        """The Authorization a client with the right secret sends."""
        return "Basic " + base64.b64encode(f"{self.client_id}:{self.client_secret}".encode()).decode()

    def serve(self, exchange: Exchange) -> None:
        request = exchange.request
        self.forms.append(parse_qs(request.body.decode()))
        if self.status != 200:
            json_reply({"error": "temporarily_unavailable"}, status=self.status).serve(exchange)
            return
        if request.headers.get("Authorization") != self.basic:
            json_reply({"error": "invalid_client", "error_description": "bad secret"}, status=401).serve(exchange)
            return
        token = f"at-{len(self.issued) + 1}-{self.suffix}"
        self.issued.append(token)
        answer: dict[str, object] = {"access_token": token, "token_type": "bearer"}
        if self.expires_in is not None:
            answer["expires_in"] = self.expires_in
        json_reply(answer).serve(exchange)


# What a forward proxy consumes or rewrites rather than passing on (RFC 9110 section 7.6.1, RFC 9112).
_NOT_FORWARDED = frozenset(
    {"proxy-authorization", "proxy-connection", "connection", "keep-alive", "transfer-encoding", "content-length"}
)


@dataclass(frozen=True)
class Forwarding:
    """A forward proxy's answer to an absolute-form request: pass it on to the loopback origin it names.

    The request goes on without the proxy's own fields (Proxy-Authorization is for this hop only),
    as one request on a closing connection; the origin's answer comes back byte for byte. A target
    that is not http on 127.0.0.1 gets 502 without any connection being made.
    """

    def serve(self, exchange: Exchange) -> None:
        request = exchange.request
        target = urlsplit(request.target)
        if target.scheme != "http" or target.hostname != "127.0.0.1" or target.port is None:
            Reply(502, body="this proxy forwards to http://127.0.0.1 only").serve(exchange)
            return
        head = [f"{request.method} {target.path or '/'}{'?' + target.query if target.query else ''} HTTP/1.1"]
        head += [f"{name}: {value}" for name, value in request.headers.pairs() if name.lower() not in _NOT_FORWARDED]
        head += ["Connection: close", f"Content-Length: {len(request.body)}"]
        with socket.create_connection(("127.0.0.1", target.port), timeout=10) as upstream:
            upstream.sendall(("\r\n".join(head) + "\r\n\r\n").encode("latin-1") + request.body)
            while chunk := upstream.recv(65536):  # the fault server closes after one response
                exchange.send(chunk)
