"""The credential table of test_credentials.py: how each kind of credential is given, and what its servers do.

Most kinds are flags or items sent as they are. Some need the server side to take part: digest
answers a challenge, OAuth2 client credentials fetch a token from an endpoint on the origin, a
cookie jar is a file, and a proxy's credentials go to a proxy. A `Handshake` sets that up for
one test and knows where the credential must show up (the positive control) and which parties
must never see it. `Rig` is one kind with its servers, as the table's tests use it.
"""

from __future__ import annotations

import base64
import sys
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path

from tests.faults.auth_servers import DigestProtected, Forwarding, TokenEndpoint
from tests.faults.behaviours import Behaviour, json_reply
from tests.faults.faultserver import FaultServer
from tests.faults.wire import Exchange, RecordedRequest

SECRET = "tok-3f9a7c1e5b"
ENV = {"SECRET_VAR": SECRET}
BASIC = base64.b64encode(f"ann:{SECRET}".encode()).decode()
CREDENTIAL_HEADERS = ("authorization", "proxy-authorization", "cookie")
SURFACES = frozenset({"-v", "--curl", "--dry-run"})


def _basic(user: str) -> str:
    return base64.b64encode(f"{user}:{SECRET}".encode()).decode()


class Handshake:
    """A credential sent as given: it shows on its origin's request and must reach no other server."""

    # Where the credential appears as REDACTED: -v, --curl and --dry-run show the request's headers.
    shown_in: frozenset[str] = SURFACES

    def arm(self, rig: Rig) -> tuple[str, ...]:
        """Set up servers and files for one test; the command-line arguments this adds."""
        return ()

    def serve(self, rig: Rig, server: FaultServer, path: str, behaviour: Behaviour) -> None:
        server.script(path, behaviour)

    def forms(self) -> tuple[str, ...]:
        """Besides SECRET and BASIC: what else is this credential on the wire, and must never leak."""
        return ()

    def assert_reached(self, rig: Rig, path: str) -> None:
        """The positive control: the request the origin answered on `path` carried the credential."""
        requests = rig.origin.requests_for(path)
        assert requests, f"the origin never got {path}"
        assert carried(requests[-1], rig.forms()), f"the credential did not reach its origin: {requests[-1]}"

    def leak_targets(self, rig: Rig) -> list[RecordedRequest]:
        """Requests that must carry none of it: everything the other origin received."""
        return rig.other.requests


class Digest(Handshake):
    """-A digest: the origin challenges every path, and only a valid digest gets the scripted behaviour."""

    # The digest goes in a second request, after the challenge: -v and --dry-run show the first only.
    shown_in = frozenset({"--curl"})

    def serve(self, rig: Rig, server: FaultServer, path: str, behaviour: Behaviour) -> None:
        if server is rig.origin:
            gate = rig.gates[path] = DigestProtected(user="ann", password=SECRET, then=behaviour)
            behaviour = gate
        server.script(path, behaviour)

    def assert_reached(self, rig: Rig, path: str) -> None:
        assert rig.gates[path].answers[-1:] == ["ok"], rig.gates[path].answers  # a valid digest, checked
        assert rig.origin.requests_for(path)[-1].headers["Authorization"].startswith('Digest username="ann"')


class OAuth2(Handshake):
    """OAuth2 client credentials: a token endpoint on the origin hands out the bearer token."""

    def __init__(self) -> None:
        self.endpoint = TokenEndpoint(SECRET, suffix="c0ffee42")

    def arm(self, rig: Rig) -> tuple[str, ...]:
        rig.origin.script("/oauth/token", self.endpoint)
        rig.env["XDG_CACHE_HOME"] = str(rig.workdir / "cache")  # no token cached by an earlier test
        url = rig.origin.url("/oauth/token")
        return ("--oauth2-token-url", url, "--oauth2-client-id", "app", "--oauth2-client-secret-env", "SECRET_VAR")

    def forms(self) -> tuple[str, ...]:
        return (_basic("app"), *self.endpoint.issued)

    def assert_reached(self, rig: Rig, path: str) -> None:
        assert self.endpoint.issued, "no token was issued"
        assert self.endpoint.forms[0] == {"grant_type": ["client_credentials"]}
        [asked] = rig.origin.requests_for("/oauth/token")[:1]
        assert asked.headers["Authorization"] == self.endpoint.basic  # the client secret went to the endpoint
        assert rig.origin.requests_for(path)[-1].headers["Authorization"] == f"Bearer {self.endpoint.issued[-1]}"


class CookieJar(Handshake):
    """--cookie-jar: a Netscape cookie file holding a session cookie for the origin's host."""

    def arm(self, rig: Rig) -> tuple[str, ...]:
        jar = rig.workdir / "jar.txt"
        jar.write_text(f"# Netscape HTTP Cookie File\n127.0.0.1\tFALSE\t/\tFALSE\t0\tsid\t{SECRET}\n")
        return ("--cookie-jar", str(jar))


class ProxyLogin(Handshake):
    """--proxy http://pat:SECRET@...: a forward proxy in front of both origins, which must see it on every request."""

    # The request has no place for it: --dry-run does not show the proxy; -v names it on a line of its own.
    shown_in = frozenset({"-v", "--curl"})

    def arm(self, rig: Rig) -> tuple[str, ...]:
        proxy = rig.proxy = FaultServer().start()
        return ("--proxy", f"http://pat:{SECRET}@127.0.0.1:{proxy.port}")

    def serve(self, rig: Rig, server: FaultServer, path: str, behaviour: Behaviour) -> None:
        assert rig.proxy is not None
        server.script(path, behaviour)
        rig.proxy.script(server.url(path), Forwarding())

    def forms(self) -> tuple[str, ...]:
        return (_basic("pat"),)

    def assert_reached(self, rig: Rig, path: str) -> None:
        assert rig.proxy is not None
        through = rig.proxy.requests_for(rig.origin.url(path))
        assert through and through[-1].headers["Proxy-Authorization"] == f"Basic {_basic('pat')}", through
        assert rig.origin.requests_for(path), "the proxy did not pass the request on"

    def leak_targets(self, rig: Rig) -> list[RecordedRequest]:
        return rig.origin.requests + rig.other.requests  # for the proxy only: no origin server may see it


@dataclass(frozen=True)
class EchoesCredentials:
    """An error whose body quotes the secret and every header the request carried, as some APIs do."""

    status: int = 401

    def serve(self, exchange: Exchange) -> None:
        got = {name: value for name, value in exchange.request.headers.pairs() if name.lower() != "host"}
        echo = {"error": "invalid credentials", "got": SECRET, "hint": f"Bearer {SECRET}", "headers": got}
        json_reply(echo, status=self.status).serve(exchange)


@dataclass(frozen=True)
class Credential:
    args: tuple[str, ...] = ()
    handshake: type[Handshake] = Handshake


# How each kind of credential is given on the command line.
CREDENTIALS: dict[str, Credential] = {
    "bearer-env": Credential(("--token-env", "SECRET_VAR")),
    "basic": Credential(("-u", f"ann:{SECRET}")),
    "basic-password-env": Credential(("-u", "ann", "--password-env", "SECRET_VAR")),
    "api-key-header": Credential(("--api-key-env", "SECRET_VAR")),
    "api-key-custom-header": Credential(("--api-key-env", "SECRET_VAR", "--api-key-header", "X-Service-Key")),
    "api-key-query": Credential(("--api-key-env", "SECRET_VAR", "--api-key-query", "api_key")),
    "authorization-item": Credential((f"Authorization:Bearer {SECRET}",)),
    "authorization-flag": Credential(("-H", f"Authorization: Bearer {SECRET}")),
    "cookie-item": Credential((f"Cookie:sid={SECRET}",)),
    "proxy-authorization-item": Credential((f"Proxy-Authorization:Basic {SECRET}",)),
    "custom-token-header": Credential((f"X-Auth-Token:{SECRET}",)),
    "cookie-flag": Credential(("-H", f"Cookie: sid={SECRET}")),
    "custom-token-flag": Credential(("-H", f"X-Auth-Token: {SECRET}")),
    "cookie-option": Credential(("--cookie", f"sid={SECRET}")),
    # A credential helper printing the token; run without a shell, so the quoting is shlex's.
    "auth-command": Credential(("--auth-command", f"{sys.executable} -c 'print(\"{SECRET}\")'")),
    "digest": Credential(("-A", "digest", "-u", "ann", "--password-env", "SECRET_VAR"), Digest),
    "oauth2-client-credentials": Credential(handshake=OAuth2),
    "cookie-jar": Credential(handshake=CookieJar),
    "proxy-credentials": Credential(handshake=ProxyLogin),
}


def carried(request: RecordedRequest, forms: Sequence[str] = (SECRET, BASIC)) -> list[str]:
    """Every place a secret of this suite shows in a request as received."""
    found = [f"header {name}" for name in CREDENTIAL_HEADERS if name in request.headers]
    for name, value in request.headers.pairs():
        if any(form in value for form in forms):
            found.append(f"header {name}: {value}")
    if any(form in request.target for form in forms):
        found.append(f"target {request.target}")
    if any(form.encode() in request.body for form in forms):
        found.append("body")
    return found


@dataclass
class Rig:
    """One kind of credential, the two origins (and a proxy) it is tested against, and its arguments."""

    kind: str
    origin: FaultServer
    other: FaultServer
    workdir: Path
    proxy: FaultServer | None = None
    env: dict[str, str] = field(default_factory=lambda: dict(ENV))
    gates: dict[str, DigestProtected] = field(default_factory=dict)  # the digest challenge on each path
    handshake: Handshake = field(init=False)
    args: tuple[str, ...] = field(init=False)  # the credential's command-line arguments

    def __post_init__(self) -> None:
        credential = CREDENTIALS[self.kind]
        self.handshake = credential.handshake()
        self.args = (*credential.args, *self.handshake.arm(self))

    def serve(self, path: str, behaviour: Behaviour) -> None:
        """Script `path` on the credential's origin (behind its handshake)."""
        self.handshake.serve(self, self.origin, path, behaviour)

    def serve_other(self, path: str, behaviour: Behaviour) -> None:
        """Script `path` on the other origin, which must never see the credential."""
        self.handshake.serve(self, self.other, path, behaviour)

    def forms(self) -> tuple[str, ...]:
        return (SECRET, BASIC, *self.handshake.forms())

    def shows(self, text: str) -> list[str]:
        return [form for form in self.forms() if form in text]

    def assert_reached(self, path: str) -> None:
        self.handshake.assert_reached(self, path)

    def assert_no_leak(self) -> None:
        requests = self.handshake.leak_targets(self)
        assert self.other.requests, "the other origin was never reached: the check would prove nothing"
        for request in requests:
            assert carried(request, self.forms()) == [], f"credential reached {request.target}: {request}"

    def sent_nothing(self) -> bool:
        return not (self.origin.requests or self.other.requests or (self.proxy is not None and self.proxy.requests))

    def close(self) -> None:
        if self.proxy is not None:
            self.proxy.stop()
            if self.proxy.errors:
                raise self.proxy.errors[0]


def assert_no_leak(requests: Sequence[RecordedRequest]) -> None:
    assert requests, "the other origin was never reached: the check would prove nothing"
    for request in requests:
        assert carried(request) == [], f"credential reached {request.path}: {carried(request)}"


def assert_carries_secret(request: RecordedRequest) -> None:
    values = [value for _, value in request.headers.pairs()] + [request.target]
    assert any(SECRET in value or BASIC in value for value in values), request
