"""Brotli and zstd response bodies, decoded by urllib3 from the extras apicli depends on."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import brotli
import pytest
from backports import zstd

from tests.conftest import Invoke
from tests.faults import FaultServer, Reply

DOCUMENT = b'{"name": "ann", "tags": ["a", "b"], "n": 1}'
ENCODERS: dict[str, Callable[[bytes], bytes]] = {"br": brotli.compress, "zstd": zstd.compress}


@pytest.mark.parametrize("encoding", list(ENCODERS))
def test_a_compressed_body_is_decoded_piped_and_pretty(
    fault_server: FaultServer, invoke: Invoke, encoding: str
) -> None:
    packed = ENCODERS[encoding](DOCUMENT)
    assert packed != DOCUMENT
    fault_server.script("/doc", Reply(200, {"Content-Type": "application/json", "Content-Encoding": encoding}, packed))

    piped = invoke("get", fault_server.url("/doc"))
    pretty = invoke("get", fault_server.url("/doc"), "--pretty", "--no-color")
    filtered = invoke("get", fault_server.url("/doc"), "--jq", ".tags[1]", "-r")

    assert (piped.code, piped.stdout, piped.stderr) == (0, DOCUMENT, "")
    assert (pretty.code, pretty.stderr) == (0, "")
    assert pretty.text == '{\n  "name": "ann",\n  "tags": [\n    "a",\n    "b"\n  ],\n  "n": 1\n}\n'
    assert (filtered.code, filtered.stdout) == (0, b"b\n")
    offered = {part.strip() for part in fault_server.requests[0].headers["Accept-Encoding"].split(",")}
    assert {"gzip", "br", "zstd"} <= offered


@pytest.mark.parametrize("encoding", list(ENCODERS))
def test_download_still_asks_for_the_bytes_as_stored(
    fault_server: FaultServer, invoke: Invoke, tmp_path: Path, encoding: str
) -> None:
    stored = ENCODERS[encoding](b"archive contents " * 100)  # a .br/.zst file, served as is
    fault_server.script(f"/file.{encoding}", Reply(200, {"Content-Type": "application/octet-stream"}, stored))

    result = invoke("download", fault_server.url(f"/file.{encoding}"), "-d", str(tmp_path))

    assert result.code == 0, result.stderr
    assert (tmp_path / f"file.{encoding}").read_bytes() == stored
    assert fault_server.requests[0].headers["Accept-Encoding"] == "identity"


def test_a_corrupt_brotli_body_is_a_clear_error(fault_server: FaultServer, invoke: Invoke) -> None:
    fault_server.script("/bad", Reply(200, {"Content-Type": "application/json", "Content-Encoding": "br"}, b"not br"))

    result = invoke("get", fault_server.url("/bad"), "--retries", "0")

    assert (result.code, result.stdout) == (7, b"")
    assert result.stderr.startswith("apicli: the br-encoded body from ")
    assert "is corrupt (6 bytes received)" in result.stderr and "incomplete" not in result.stderr
