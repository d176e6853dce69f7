"""Hostile bodies: content codings (layered, bombs, corrupt, endless) and --pretty on hostile JSON.

Each row runs the installed apicli against a loopback server and asserts its exit code, its one
`apicli:` line, and (for the huge and endless kinds) that its memory stayed under the cap.
"""

from __future__ import annotations

import functools
import gzip
import json
import zlib
from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING

import brotli
import pytest
from backports import zstd

from tests.faults import FaultServer, Reply
from tests.hostile.harness import assert_clean, run

if TYPE_CHECKING:
    from tests.faults.wire import Exchange

MIB = 1 << 20
JSON = ("Content-Type", "application/json")


def _deflate(data: bytes) -> bytes:
    return zlib.compress(data, 1)


ENCODE: dict[str, Callable[[bytes], bytes]] = {
    "gzip": lambda data: gzip.compress(data, 1),
    "deflate": _deflate,
    "br": lambda data: brotli.compress(data, quality=1),
    "zstd": lambda data: zstd.compress(data, 1),
}


@functools.lru_cache(maxsize=8)
def _zeros(coding: str, size: int, fill: bytes = b"\0") -> bytes:
    return ENCODE[coding](fill * size)


def _layered(coding: str, layers: int, body: bytes = b'{"a": 1}') -> Reply:
    for _ in range(layers):
        body = ENCODE[coding](body)
    return Reply(200, [JSON, ("Content-Encoding", ", ".join([coding] * layers))], body)


def _corrupt(coding: str) -> Reply:
    packed = bytearray(ENCODE[coding](json.dumps({"v": list(range(2000))}).encode()))
    # zstd frames carry no checksum by default: only its framing can be seen to be corrupt.
    at = 0 if coding == "zstd" else len(packed) // 2
    packed[at : at + 16] = b"\xff" * 16
    return Reply(200, [JSON, ("Content-Encoding", coding)], bytes(packed))


def _compressor(coding: str) -> Callable[[bytes], bytes]:
    """A streaming encoder of one endless body: each call gives the wire bytes of more input."""
    if coding in ("gzip", "deflate"):
        engine = zlib.compressobj(1, zlib.DEFLATED, 16 + zlib.MAX_WBITS if coding == "gzip" else zlib.MAX_WBITS)
        return lambda data: engine.compress(data) + engine.flush(zlib.Z_SYNC_FLUSH)
    if coding == "br":
        packer = brotli.Compressor(quality=1)
        return lambda data: packer.process(data) + packer.flush()
    packer_z = zstd.ZstdCompressor(level=1)
    return lambda data: packer_z.compress(data, zstd.ZstdCompressor.FLUSH_BLOCK)


@dataclass(frozen=True)
class EndlessEncoded:
    """A chunked body in `coding` that never ends: zeros, until the client hangs up or a wire budget is spent."""

    coding: str
    budget: int = 256 * MIB  # wire bytes; each MiB of zeros is a few hundred bytes on the wire

    def serve(self, exchange: Exchange) -> None:
        exchange.send_head(200, [JSON, ("Content-Encoding", self.coding), ("Transfer-Encoding", "chunked")])
        encode = _compressor(self.coding)
        sent = 0
        while sent < self.budget:
            piece = encode(bytes(MIB))
            if piece:
                exchange.send(b"%x\r\n%s\r\n" % (len(piece), piece))
                sent += len(piece)


# -- content codings -------------------------------------------------------------------------------

CODINGS = list(ENCODE)

# (id, behaviour, extra args, exit code, stderr has, bounded)
CODING_ROWS = [
    *(
        pytest.param(_layered(coding, 6), [], 7, "stacks 6 codings; more than 5 is refused", False, id=f"{coding}-x6")
        for coding in CODINGS
    ),
    pytest.param(_layered("gzip", 1500), [], 7, "stacks 1500 codings", True, id="gzip-x1500"),
    pytest.param(
        Reply(200, [JSON, ("Content-Encoding", ", ".join(["x-unknown"] * 50))], b"{}"),
        [],
        7,
        "stacks 50 codings",
        False,
        id="unknown-x50",
    ),
    *(
        pytest.param(_corrupt(coding), [], 7, f"the {coding}-encoded body from", False, id=f"{coding}-corrupt")
        for coding in CODINGS
    ),
    *(
        pytest.param(
            Reply(200, [JSON, ("Content-Encoding", coding)], _zeros(coding, 256 * MIB)),
            ["-o", "/dev/null"],
            0,
            (),
            True,
            id=f"{coding}-bomb-to-file",
        )
        for coding in CODINGS
    ),
    *(
        pytest.param(
            Reply(200, [JSON, ("Content-Encoding", coding)], _zeros(coding, 256 * MIB, b" ")),
            ["--jq", "."],
            1,
            "larger than 48 MiB",
            True,
            id=f"{coding}-bomb-jq",
        )
        for coding in ("gzip", "zstd")
    ),
    *(
        pytest.param(
            EndlessEncoded(coding),
            ["-o", "/dev/null", "--max-time", "2"],
            8,
            "--max-time",
            True,
            id=f"{coding}-endless",
        )
        for coding in CODINGS
    ),
]


@pytest.mark.parametrize(("behaviour", "extra", "code", "stderr_has", "bounded"), CODING_ROWS)
def test_hostile_codings(
    fault_server: FaultServer,
    behaviour: Reply | EndlessEncoded,
    extra: list[str],
    code: int,
    stderr_has: str | tuple[str, ...],
    bounded: bool,
) -> None:
    fault_server.script("/c", behaviour)
    outcome = run(["get", fault_server.url("/c"), "--retries", "0", *extra], timeout=60)
    assert_clean(outcome, code, stderr_has=stderr_has, bounded=bounded)


@pytest.mark.parametrize("layers", [1, 5])
def test_up_to_five_codings_are_decoded(fault_server: FaultServer, layers: int) -> None:
    body = b'{"a": 1}'
    for coding in ["gzip", "deflate", "br", "zstd", "gzip"][:layers]:
        body = ENCODE[coding](body)
    chain = ", ".join(["gzip", "deflate", "br", "zstd", "gzip"][:layers])
    fault_server.script("/ok", Reply(200, [JSON, ("Content-Encoding", chain)], body))
    outcome = run(["get", fault_server.url("/ok")])
    assert_clean(outcome, 0)
    assert outcome.stdout == b'{"a": 1}'


# -- pretty-printing ---------------------------------------------------------------------------------


@functools.lru_cache(maxsize=4)
def _big_object(text: str) -> bytes:
    """A JSON document past prettystream's window (the streaming path), holding `text` many times."""
    return json.dumps({"rows": [{"id": n, "v": text} for n in range(40_000)]}, ensure_ascii=False).encode()


def _string_body(size: int) -> bytes:
    return b'"' + b"a" * size + b'"'


# (behaviour, expected stdout size or None, exit code, stderr has, bounded)
PRETTY_ROWS = [
    pytest.param(Reply(200, [JSON], _string_body(32 * MIB)), 32 * MIB + 3, 0, (), True, id="string-32MiB"),
    pytest.param(
        Reply(200, [JSON, ("Content-Encoding", "zstd")], zstd.compress(_string_body(256 * MIB), 3)),
        256 * MIB + 3,
        0,
        (),
        True,
        id="zstd-string-256MiB",
    ),
    pytest.param(
        Reply(200, [JSON], b'{"k": "' + b"\\u00e9\\ud83d\\ude00\\\\\\n" * (2 * MIB) + b'"}'),
        None,
        0,
        (),
        True,
        id="escaped-string",
    ),
    pytest.param(
        Reply(200, [JSON], b"[1" + b"7" * (8 * MIB) + b"]"), None, 2, "longer than 1 MiB", True, id="number-8MiB"
    ),
    pytest.param(Reply(200, [JSON], b"[" * (4 * MIB)), None, 2, "nested deeper than 1024", True, id="deep-4M"),
    pytest.param(
        Reply(200, [JSON], b"[" * 900_000 + b"]" * 900_000), None, 2, "nested deeper than 1024", True, id="deep-closed"
    ),
    pytest.param(Reply(200, [JSON], b"[" * 5000 + b"]" * 5000), 10_000, 0, (), False, id="deep-small-verbatim"),
    pytest.param(Reply(200, [JSON], _big_object("esc \u001b[31m \u009b2J")), None, 0, (), True, id="escaped-controls"),
    pytest.param(
        Reply(200, [JSON], _big_object("x").replace(b'"x"', b'"\x1b[31m"', 1)),
        None,
        2,
        "not valid JSON",
        True,
        id="raw-control",
    ),
    pytest.param(
        Reply(200, [JSON], _big_object("caf\u00e9 \u6f22\u5b57 \U0001f600")), None, 0, (), True, id="non-ascii"
    ),
    pytest.param(
        Reply(200, [JSON], _big_object("x").replace(b'"x"', b'"\xff\xfe"', 3)),
        None,
        2,
        "not valid JSON",
        True,
        id="invalid-utf8",
    ),
]


@pytest.mark.parametrize(("behaviour", "size", "code", "stderr_has", "bounded"), PRETTY_ROWS)
def test_hostile_pretty(
    fault_server: FaultServer,
    behaviour: Reply,
    size: int | None,
    code: int,
    stderr_has: str | tuple[str, ...],
    bounded: bool,
) -> None:
    fault_server.script("/p", behaviour)
    outcome = run(["get", fault_server.url("/p"), "--pretty", "--no-color"], timeout=90)
    assert_clean(outcome, code, stderr_has=stderr_has, bounded=bounded)
    if size is not None:
        assert outcome.stdout_size == size, outcome.describe()


def test_pretty_output_of_a_streamed_document_is_json_dumps_indent_2(fault_server: FaultServer) -> None:
    document = {"rows": [{"id": n, "v": "caf\u00e9 \U0001f600 \u001b"} for n in range(40_000)], "s": "x" * (2 * MIB)}
    body = json.dumps(document, ensure_ascii=False).encode()
    fault_server.script("/d", Reply(200, [JSON], body))
    outcome = run(["get", fault_server.url("/d"), "--pretty", "--no-color"], timeout=60)
    assert_clean(outcome, 0, bounded=True)
    expected = (json.dumps(document, indent=2, ensure_ascii=False) + "\n").encode()
    assert outcome.stdout_size == len(expected)
    assert outcome.stdout == expected[: len(outcome.stdout)]
