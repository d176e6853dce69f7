"""Self-tests for the fault server: each behaviour really happens on the wire.

Raw sockets show the bytes as sent (a lying Content-Length, a reset, a stall); ``requests`` and
``http.client`` show how a real client experiences them.
"""

from __future__ import annotations

import email.utils
import gzip
import http.client
import socket
import struct
import time
import zlib
from dataclasses import dataclass
from pathlib import Path

import pytest
import requests

from tests.faults import (
    GIB,
    HOSTILE_DISPOSITIONS,
    MALFORMED_LINKS,
    Drip,
    FaultServer,
    Headers,
    NoReply,
    RangeFile,
    RateLimited,
    Reply,
    ResetMidBody,
    RetryAfter,
    ShortBody,
    SilentListener,
    StallAfterHeaders,
    disposition_reply,
    empty_json,
    forbidden_rate_limited,
    gzip_bomb,
    gzipped,
    huge_header,
    huge_headers,
    invalid_json,
    invalid_utf8,
    json_reply,
    link_reply,
)
from tests.faults.behaviours import gzip_zeros, requested_range

BODY = bytes(range(100))


@dataclass(frozen=True)
class RawResponse:
    """Bytes read from a raw socket until EOF, and the error that ended the read, if any."""

    head: bytes
    body: bytes
    error: OSError | None

    @property
    def status(self) -> int:
        return int(self.head.split(b" ", 2)[1])

    @property
    def headers(self) -> Headers:
        lines = self.head.decode("latin-1").split("\r\n")[1:]
        return Headers((name, value) for name, _, value in (line.partition(": ") for line in lines))


def raw_send(server: FaultServer, request: bytes) -> RawResponse:
    data, error = b"", None
    with socket.create_connection(("127.0.0.1", server.port), timeout=2) as sock:
        sock.sendall(request)
        try:
            while chunk := sock.recv(65536):
                data += chunk
        except OSError as exc:
            error = exc
    head, _, body = data.partition(b"\r\n\r\n")
    return RawResponse(head, body, error)


def raw_get(server: FaultServer, path: str) -> RawResponse:
    return raw_send(server, f"GET {path} HTTP/1.1\r\nHost: 127.0.0.1:{server.port}\r\n\r\n".encode())


def http_client_get(server: FaultServer, path: str) -> None:
    connection = http.client.HTTPConnection("127.0.0.1", server.port, timeout=2)
    try:
        connection.request("GET", path)
        connection.getresponse().read()
    finally:
        connection.close()


# -- honest replies and recording ----------------------------------------------------------------


def test_reply_and_request_recording(fault_server: FaultServer) -> None:
    fault_server.script("/items", json_reply({"ok": True}, 201, {"X-Trace": "t1"}))

    response = requests.post(
        fault_server.url("/items?page=2&tag="), json={"a": 1}, headers={"X-Token": "secret"}, timeout=2
    )

    assert response.status_code == 201
    assert response.headers["x-trace"] == "t1"
    assert response.json() == {"ok": True}
    [request] = fault_server.requests_for("/items")
    assert (request.method, request.path, request.query) == ("POST", "/items", "page=2&tag=")
    assert request.params == {"page": ["2"], "tag": [""]}
    assert request.headers["x-token"] == request.headers["X-TOKEN"] == "secret"
    assert "authorization" not in request.headers
    assert request.body == b'{"a": 1}'


def test_recording_keeps_repeated_headers_and_decodes_chunked_bodies(fault_server: FaultServer) -> None:
    fault_server.script("/upload", Reply(204))
    raw_send(
        fault_server,
        b"POST /upload HTTP/1.1\r\nHost: h\r\nX-Dup: 1\r\nx-dup: 2\r\n"
        b"Transfer-Encoding: chunked\r\n\r\n3\r\nabc\r\n2\r\nde\r\n0\r\n\r\n",
    )

    [request] = fault_server.requests
    assert request.headers.get_all("X-Dup") == ["1", "2"]
    assert request.headers["x-dup"] == "1, 2"
    assert request.body == b"abcde"


def test_headers_mapping() -> None:
    headers = Headers([("Content-Type", "a"), ("X-A", "1"), ("x-a", "2")])
    assert list(headers) == ["content-type", "x-a"]
    assert len(headers) == 2
    assert headers.pairs()[2] == ("x-a", "2")
    assert "CONTENT-TYPE" in headers


def test_script_steps_are_consumed_in_order_and_the_last_repeats(fault_server: FaultServer) -> None:
    fault_server.script("/flaky", [Reply(503), Reply(503), json_reply({"ok": True})])

    statuses = [requests.get(fault_server.url("/flaky"), timeout=2).status_code for _ in range(4)]

    assert statuses == [503, 503, 200, 200]


def test_unscripted_path_is_404(fault_server: FaultServer) -> None:
    assert requests.get(fault_server.url("/nowhere"), timeout=2).status_code == 404


def test_chunked_reply(fault_server: FaultServer) -> None:
    fault_server.script(
        "/chunked", Reply(200, {"Content-Type": "text/plain"}, "hello world", chunked=True, chunk_size=4)
    )

    raw = raw_get(fault_server, "/chunked")

    assert raw.headers["Transfer-Encoding"] == "chunked"
    assert "Content-Length" not in raw.headers
    assert raw.body == b"4\r\nhell\r\n4\r\no wo\r\n3\r\nrld\r\n0\r\n\r\n"
    assert requests.get(fault_server.url("/chunked"), timeout=2).text == "hello world"


# -- faults in delivery --------------------------------------------------------------------------


def test_reset_mid_body(fault_server: FaultServer) -> None:
    fault_server.script("/reset", ResetMidBody(Reply(200, body=BODY), after=30))

    raw = raw_get(fault_server, "/reset")

    assert raw.headers["Content-Length"] == "100"
    assert raw.body == BODY[:30]
    assert isinstance(raw.error, ConnectionResetError)
    with pytest.raises(requests.exceptions.ChunkedEncodingError):
        requests.get(fault_server.url("/reset"), timeout=2)


def test_short_body_then_clean_close(fault_server: FaultServer) -> None:
    fault_server.script("/short", ShortBody(Reply(200, body=BODY), sent=40))

    raw = raw_get(fault_server, "/short")

    assert raw.headers["Content-Length"] == "100"
    assert raw.body == BODY[:40]
    assert raw.error is None  # FIN, not RST
    with pytest.raises(requests.exceptions.ChunkedEncodingError):
        requests.get(fault_server.url("/short"), timeout=2)


def test_stall_after_headers(fault_server: FaultServer) -> None:
    fault_server.script("/stall", StallAfterHeaders(Reply(200, body=b"late"), seconds=0.4))
    started = time.monotonic()

    with pytest.raises(requests.exceptions.ConnectionError, match="timed out"):
        requests.get(fault_server.url("/stall"), timeout=0.15)
    raw = raw_get(fault_server, "/stall")

    assert raw.body == b"late"
    assert time.monotonic() - started >= 0.4


def test_stall_ends_when_the_server_stops() -> None:
    server = FaultServer().start()
    server.script("/stall", StallAfterHeaders(Reply(200, body=b"never"), seconds=30))
    with socket.create_connection(("127.0.0.1", server.port), timeout=2) as sock:
        sock.sendall(b"GET /stall HTTP/1.1\r\nHost: h\r\n\r\n")
        assert sock.recv(1024).startswith(b"HTTP/1.1 200 OK\r\n")
        started = time.monotonic()
        server.stop()
        assert sock.recv(1024) == b""
    assert time.monotonic() - started < 1


def test_drip(fault_server: FaultServer) -> None:
    fault_server.script("/drip", Drip(Reply(200, body=b"0123456789"), size=2, interval=0.05))

    with socket.create_connection(("127.0.0.1", fault_server.port), timeout=2) as sock:
        started = time.monotonic()
        sock.sendall(b"GET /drip HTTP/1.1\r\nHost: h\r\n\r\n")
        reads = list(iter(lambda: sock.recv(4096), b""))

    assert b"".join(reads).endswith(b"\r\n\r\n0123456789")
    assert len(reads) >= 3  # not one blob (a loaded machine may merge some pieces)
    assert time.monotonic() - started >= 0.2  # five pieces, four pauses


def test_no_reply_after_reading_the_request(fault_server: FaultServer) -> None:
    fault_server.script("/quiet", NoReply(seconds=5))

    with pytest.raises(requests.exceptions.ReadTimeout):
        requests.get(fault_server.url("/quiet"), timeout=(1, 0.2))
    assert len(fault_server.requests_for("/quiet")) == 1


# -- throttling ----------------------------------------------------------------------------------


def test_retry_after_seconds(fault_server: FaultServer) -> None:
    fault_server.script("/busy", RetryAfter(seconds=3))

    response = requests.get(fault_server.url("/busy"), timeout=2)

    assert response.status_code == 503
    assert response.headers["Retry-After"] == "3"


def test_retry_after_http_date(fault_server: FaultServer) -> None:
    fault_server.script("/busy", RetryAfter(seconds=30, http_date=True))

    response = requests.get(fault_server.url("/busy"), timeout=2)

    assert response.headers["Retry-After"].endswith(" GMT")
    retry_at = email.utils.parsedate_to_datetime(response.headers["Retry-After"]).timestamp()
    assert retry_at - time.time() == pytest.approx(30, abs=2)


@pytest.mark.parametrize("header", ["RateLimit-Reset", "X-RateLimit-Reset"])
def test_rate_limited_429(fault_server: FaultServer, header: str) -> None:
    fault_server.script("/limited", RateLimited(reset_after=7, header=header))

    response = requests.get(fault_server.url("/limited"), timeout=2)

    assert response.status_code == 429
    assert response.headers[header] == "7"
    assert response.headers["X-RateLimit-Remaining"] == "0"


def test_forbidden_rate_limited_with_epoch_reset(fault_server: FaultServer) -> None:
    fault_server.script("/limited", forbidden_rate_limited(reset_after=60))

    response = requests.get(fault_server.url("/limited"), timeout=2)

    assert response.status_code == 403
    assert response.headers["X-RateLimit-Remaining"] == "0"
    assert int(response.headers["X-RateLimit-Reset"]) - time.time() == pytest.approx(60, abs=2)


# -- redirects -----------------------------------------------------------------------------------


def test_redirect_loop(fault_server: FaultServer) -> None:
    first = fault_server.redirect_loop("/a", "/b")
    session = requests.Session()
    session.max_redirects = 5

    with pytest.raises(requests.exceptions.TooManyRedirects):
        session.get(fault_server.url(first), timeout=2)
    assert [request.path for request in fault_server.requests] == ["/a", "/b"] * 3


def test_redirect_to_another_origin(fault_server: FaultServer, other_fault_server: FaultServer) -> None:
    fault_server.script("/away", Reply(307, {"Location": other_fault_server.url("/landing")}))
    other_fault_server.script("/landing", json_reply({"landed": True}))

    response = requests.get(fault_server.url("/away"), headers={"Authorization": "Bearer t"}, timeout=2)

    assert response.json() == {"landed": True}
    assert fault_server.requests[0].headers["Authorization"] == "Bearer t"
    [arrived] = other_fault_server.requests
    assert arrived.headers["Host"] == f"127.0.0.1:{other_fault_server.port}"
    assert other_fault_server.port != fault_server.port


def test_redirect_chain(fault_server: FaultServer) -> None:
    first = fault_server.redirect_chain(4, json_reply({"end": True}))

    response = requests.get(fault_server.url(first), timeout=2)

    assert response.json() == {"end": True}
    assert [r.status_code for r in response.history] == [302] * 4
    assert [r.path for r in fault_server.requests] == [f"/hop/{i}" for i in range(5)]


# -- replies wrong in content --------------------------------------------------------------------


def test_huge_headers(fault_server: FaultServer) -> None:
    # Past http.client's own limit (100) and the one apicli.transport.session raises it to (10,000).
    fault_server.script("/big", huge_headers(total=1_100_000))

    raw = raw_get(fault_server, "/big")

    assert len(raw.head) >= 1_100_000
    assert len(raw.headers) > 10_000
    with pytest.raises(http.client.HTTPException, match=r"got more than (100|10000) headers"):
        http_client_get(fault_server, "/big")


def test_one_huge_header(fault_server: FaultServer) -> None:
    fault_server.script("/big", huge_header(size=70_000))

    raw = raw_get(fault_server, "/big")

    assert len(raw.headers["X-Huge"]) == 70_000
    with pytest.raises(http.client.LineTooLong):
        http_client_get(fault_server, "/big")


def test_invalid_json(fault_server: FaultServer) -> None:
    fault_server.script("/bad", invalid_json())

    response = requests.get(fault_server.url("/bad"), timeout=2)

    assert response.headers["Content-Type"] == "application/json"
    with pytest.raises(requests.exceptions.JSONDecodeError):
        response.json()


def test_invalid_utf8(fault_server: FaultServer) -> None:
    fault_server.script("/bad", invalid_utf8())

    response = requests.get(fault_server.url("/bad"), timeout=2)

    assert "charset=utf-8" in response.headers["Content-Type"]
    with pytest.raises(UnicodeDecodeError):
        response.content.decode("utf-8")


def test_empty_json(fault_server: FaultServer) -> None:
    fault_server.script("/empty", empty_json())

    raw = raw_get(fault_server, "/empty")

    assert raw.headers["Content-Type"] == "application/json"
    assert raw.headers["Content-Length"] == "0"
    assert raw.body == b""


def test_gzipped_body_has_compressed_content_length(fault_server: FaultServer) -> None:
    fault_server.script("/gz", gzipped('{"zipped": true}'))

    raw = raw_get(fault_server, "/gz")

    assert raw.headers["Content-Encoding"] == "gzip"
    assert int(raw.headers["Content-Length"]) == len(raw.body)
    assert gzip.decompress(raw.body) == b'{"zipped": true}'
    assert requests.get(fault_server.url("/gz"), timeout=2).json() == {"zipped": True}


def test_gzip_zeros_inflate_exactly() -> None:
    size = 5 * (1 << 20) + 123
    assert gzip.decompress(gzip_zeros(size)) == bytes(size)  # also checks the CRC and length


def test_gzip_bomb(fault_server: FaultServer) -> None:
    fault_server.script("/bomb", gzip_bomb())

    raw = raw_get(fault_server, "/bomb")

    assert raw.headers["Content-Encoding"] == "gzip"
    assert int(raw.headers["Content-Length"]) == len(raw.body)
    assert 900_000 < len(raw.body) < 1_200_000
    assert struct.unpack("<I", raw.body[-4:])[0] == GIB % (1 << 32)
    inflated = zlib.decompressobj(zlib.MAX_WBITS | 16).decompress(raw.body, 1 << 20)
    assert inflated == bytes(1 << 20)


def test_malformed_link_headers_are_sent_verbatim(fault_server: FaultServer) -> None:
    fault_server.script("/page", link_reply(*MALFORMED_LINKS))

    raw = raw_get(fault_server, "/page")

    assert raw.headers.get_all("Link") == list(MALFORMED_LINKS)


@pytest.mark.parametrize("value", HOSTILE_DISPOSITIONS)
def test_hostile_content_disposition_is_sent_verbatim(fault_server: FaultServer, value: str) -> None:
    fault_server.script("/file", disposition_reply(value))

    raw = raw_get(fault_server, "/file")

    assert raw.headers["Content-Disposition"] == value
    assert raw.body == b"payload\n"


# -- ranges --------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("range_header", "status", "content_range", "body"),
    [
        (None, 200, None, BODY),
        ("bytes=10-19", 206, "bytes 10-19/100", BODY[10:20]),
        ("bytes=90-", 206, "bytes 90-99/100", BODY[90:]),
        ("bytes=95-500", 206, "bytes 95-99/100", BODY[95:]),
        ("bytes=-5", 206, "bytes 95-99/100", BODY[95:]),
        ("bytes=100-", 416, "bytes */100", b""),
        ("bytes=0-1,5-6", 200, None, BODY),
        ("items=0-1", 200, None, BODY),
    ],
)
def test_range_file(
    fault_server: FaultServer, range_header: str | None, status: int, content_range: str | None, body: bytes
) -> None:
    fault_server.script("/file", RangeFile(BODY))
    headers = {"Range": range_header} if range_header else {}

    response = requests.get(fault_server.url("/file"), headers=headers, timeout=2)

    assert response.status_code == status
    assert response.headers.get("Content-Range") == content_range
    assert response.content == body
    assert response.headers["Accept-Ranges"] == "bytes"


def test_range_file_ignores_range_when_if_range_is_stale(fault_server: FaultServer) -> None:
    fault_server.script("/file", RangeFile(BODY, etag='"v2"'))

    response = requests.get(fault_server.url("/file"), headers={"Range": "bytes=10-", "If-Range": '"v1"'}, timeout=2)

    assert response.status_code == 200
    assert response.content == BODY


def test_range_file_cut_on_first_request_then_resume(fault_server: FaultServer) -> None:
    fault_server.script("/file", [RangeFile(BODY, cut_after=40), RangeFile(BODY)])

    first = raw_get(fault_server, "/file")
    resumed = requests.get(
        fault_server.url("/file"), headers={"Range": "bytes=40-", "If-Range": '"fault-v1"'}, timeout=2
    )

    assert first.headers["Content-Length"] == "100"
    assert first.body == BODY[:40]
    assert resumed.status_code == 206
    assert first.body + resumed.content == BODY


def test_requested_range_edge_cases() -> None:
    assert requested_range("bytes=5-2", 100) is None
    assert requested_range("bytes=abc-", 100) is None
    assert requested_range("bytes=-0", 100) == (100, 100)
    assert requested_range("bytes=-500", 100) == (0, 100)


# -- dead ends: never answering, refusing, TLS -----------------------------------------------------


def test_silent_server_accepts_but_never_answers(silent_server: SilentListener) -> None:
    with pytest.raises(requests.exceptions.ReadTimeout):
        requests.get(silent_server.url("/"), timeout=(1, 0.2))


def test_backlogged_server_times_out_on_connect(backlogged_server: SilentListener) -> None:
    with pytest.raises(requests.exceptions.ConnectTimeout):
        requests.get(backlogged_server.url("/"), timeout=(0.2, 1))


def test_refused_url(refused_url: str) -> None:
    with pytest.raises(requests.exceptions.ConnectionError, match="refused"):
        requests.get(refused_url, timeout=1)


def test_tls_server_is_trusted_only_through_the_throwaway_ca(tls_fault_server: FaultServer, fault_ca_pem: Path) -> None:
    tls_fault_server.script("/secure", json_reply({"tls": True}))

    assert tls_fault_server.url("/secure").startswith("https://127.0.0.1:")
    response = requests.get(tls_fault_server.url("/secure"), verify=str(fault_ca_pem), timeout=2)
    assert response.json() == {"tls": True}
    with pytest.raises(requests.exceptions.SSLError):
        requests.get(tls_fault_server.url("/secure"), timeout=2)


def test_tls_server_can_reset_mid_body(tls_fault_server: FaultServer, fault_ca_pem: Path) -> None:
    tls_fault_server.script("/reset", ResetMidBody(Reply(200, body=BODY), after=10))

    with pytest.raises(requests.exceptions.ChunkedEncodingError):
        requests.get(tls_fault_server.url("/reset"), verify=str(fault_ca_pem), timeout=2)


# -- the server's own limits ---------------------------------------------------------------------


def test_oversized_request_head_gets_431(fault_server: FaultServer) -> None:
    raw = raw_send(fault_server, b"GET / HTTP/1.1\r\nX-Big: " + b"b" * 70_000 + b"\r\n\r\n")

    assert raw.status == 431
    assert fault_server.requests == []


def test_server_stops_by_itself_after_its_lifetime() -> None:
    server = FaultServer(lifetime=0.2).start()
    try:
        time.sleep(0.4)
        with pytest.raises(ConnectionRefusedError):
            socket.create_connection(("127.0.0.1", server.port), timeout=1)
    finally:
        server.stop()


def test_server_stops_after_its_request_budget() -> None:
    with FaultServer(max_requests=2) as server:
        server.script("/", Reply(204))
        for _ in range(2):
            assert requests.get(server.url("/"), timeout=2).status_code == 204
        time.sleep(0.1)  # the accept loop closes the listener right after the last accept
        with pytest.raises(requests.exceptions.ConnectionError):
            requests.get(server.url("/"), timeout=1)


def test_a_crashing_behaviour_is_reported() -> None:
    class Broken:
        def serve(self, exchange: object) -> None:
            raise RuntimeError("bug in a behaviour")

    with FaultServer() as server:
        server.script("/", Broken())
        with pytest.raises(requests.exceptions.ConnectionError):
            requests.get(server.url("/"), timeout=2)
    assert [str(error) for error in server.errors] == ["bug in a behaviour"]
