"""Which scheme a URL without one gets (what a TLS client says to a plain-HTTP port is in test_tls.py).

A single-label host (`vm:18090`, a compose service, a CI service container) goes over http, as
`localhost` does; a dotted host keeps https, ports included (`api.example.com:8443`). The
end-to-end checks send through a loopback proxy, which sees the absolute URL apicli chose.
"""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from apicli.formats.urls import normalize_url
from tests.conftest import Invoke
from tests.faults.behaviours import json_reply
from tests.faults.faultserver import FaultServer

LABEL = st.from_regex(r"[a-z0-9](?:[a-z0-9-]{0,10}[a-z0-9])?", fullmatch=True)
PORT = st.one_of(st.just(""), st.integers(1, 65535).map(lambda port: f":{port}"))
PATH = st.sampled_from(["", "/", "/get", "/a/b?x=1", "?q=1", "#frag"])


@given(label=LABEL, port=PORT, path=PATH)
def test_a_single_label_host_goes_over_http(label: str, port: str, path: str) -> None:
    assert normalize_url(f"{label}{port}{path}").startswith(f"http://{label}{port}")


@given(labels=st.lists(LABEL, min_size=2, max_size=4), port=PORT, path=PATH)
def test_a_dotted_host_keeps_https(labels: list[str], port: str, path: str) -> None:
    host = ".".join(labels)
    if all(label.isdigit() and len(label) <= 3 for label in labels) and len(labels) == 4 and labels[0] == "127":
        return  # 127.x.y.z is loopback: http
    assert normalize_url(f"{host}{port}{path}").startswith(f"https://{host}{port}")


@pytest.mark.parametrize(
    ("given_url", "sent"),
    [
        ("vm:18090/get", "http://vm:18090/get"),
        ("api/users?page=2", "http://api/users?page=2"),
        ("db-1:5432/health", "http://db-1:5432/health"),
    ],
)
def test_a_service_name_is_asked_for_over_http(
    invoke: Invoke, fault_server: FaultServer, given_url: str, sent: str
) -> None:
    fault_server.script("/never", json_reply({}))
    result = invoke("get", given_url, "--proxy", fault_server.origin, "--retries", "0")

    # The proxy is the fault server: it answers 404 to a path it has no script for.
    assert result.code == 4, result.stderr
    (request,) = fault_server.requests
    assert request.target == sent
    assert request.method == "GET"


def test_a_public_name_with_a_port_is_not_sent_in_clear(invoke: Invoke, fault_server: FaultServer) -> None:
    result = invoke("get", "api.example.com:8443/x", "--proxy", fault_server.origin, "--retries", "0")

    # https through an HTTP proxy is a CONNECT tunnel: the URL itself never crosses in clear.
    assert result.code != 0
    assert [request.method for request in fault_server.requests] == ["CONNECT"]
    assert fault_server.requests[0].target == "api.example.com:8443"
