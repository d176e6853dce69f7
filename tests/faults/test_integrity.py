"""End to end: a compressed body that cannot be decoded completely is a failure, never a silent prefix.

The gzip streams here are cut or corrupted while their framing is right (the Content-Length
matches what is sent, or the chunked body ends properly), so only the coding shows the damage.
"""

from __future__ import annotations

import gzip
import hashlib
import json
import re
from pathlib import Path

import pytest

from apicli.output.progress import format_size
from tests.conftest import Invoke
from tests.faults import FaultServer, RangeFile, Reply, gzip_bomb, gzip_corrupt, gzip_cut, json_reply
from tests.faults.test_fault_e2e import FAST, assert_clean_failure, leftovers

DOCUMENT = json.dumps([{"id": n, "name": f"item {n}", "tags": ["a", "b", n % 7]} for n in range(20_000)])
CUT = re.compile(
    r"apicli: the gzip-encoded body from http://127\.0\.0\.1:\d+/gz ended before the end of its stream "
    r"\((\d+) bytes received\)"
)


def test_a_cut_gzip_body_into_a_pipe_fails_and_counts_what_was_written(
    fault_server: FaultServer, invoke: Invoke
) -> None:
    reply = gzip_cut(DOCUMENT)
    fault_server.script("/gz", reply)

    result = invoke("get", fault_server.url("/gz"), *FAST)

    assert_clean_failure(result, 7, "apicli: the gzip-encoded body from ")
    found = CUT.match(result.stderr)
    assert found, result.stderr
    assert int(found.group(1)) == len(reply.payload)
    written = re.search(r"; output is incomplete \((\d+) bytes written\)\n", result.stderr)
    assert written, result.stderr
    assert 0 < int(written.group(1)) == len(result.stdout) < len(DOCUMENT)
    assert DOCUMENT.encode().startswith(result.stdout)
    assert len(fault_server.requests_for("/gz")) == 1


def test_a_cut_chunked_gzip_body_fails_too(fault_server: FaultServer, invoke: Invoke) -> None:
    cut = gzip_cut(DOCUMENT)
    fault_server.script("/gz", Reply(200, cut.headers, cut.body, chunked=True))

    result = invoke("get", fault_server.url("/gz"), *FAST)

    assert_clean_failure(result, 7, "apicli: the gzip-encoded body from ")
    assert CUT.match(result.stderr), result.stderr


def test_a_cut_gzip_body_pretty_in_a_pipe_is_said_to_be_incomplete(fault_server: FaultServer, invoke: Invoke) -> None:
    """--pretty formats in constant memory, so a large body is shown as it comes: its break is reported."""
    fault_server.script("/gz", gzip_cut(DOCUMENT))

    result = invoke("get", fault_server.url("/gz"), *FAST, "--pretty")

    assert result.code == 7
    assert CUT.match(result.stderr), result.stderr
    written = re.search(r"; output is incomplete \((\d+) bytes written\)", result.stderr)
    assert written is not None and int(written.group(1)) == len(result.stdout) > 0
    assert result.stdout.startswith(b"[\n  {\n")


@pytest.mark.parametrize("extra", [("--jq", ".[0]"), ("-o", "{out}"), ("-o", "{out}", "--pretty")], ids=str)
def test_a_cut_gzip_body_writes_nothing_when_it_is_read_whole(
    fault_server: FaultServer, invoke: Invoke, tmp_path: Path, extra: tuple[str, ...]
) -> None:
    fault_server.script("/gz", gzip_cut(DOCUMENT))
    out = tmp_path / "doc.json"

    result = invoke("get", fault_server.url("/gz"), *FAST, *(arg.format(out=out) for arg in extra))

    assert_clean_failure(result, 7, "apicli: the gzip-encoded body from ")
    assert CUT.match(result.stderr), result.stderr
    assert "incomplete" not in result.stderr  # nothing reached stdout
    assert result.stdout == b""
    assert leftovers(tmp_path) == []


def test_a_corrupt_gzip_body_is_one_clean_line(fault_server: FaultServer, invoke: Invoke) -> None:
    fault_server.script("/gz", gzip_corrupt(DOCUMENT))

    result = invoke("get", fault_server.url("/gz"), *FAST, "--jq", "length")

    assert_clean_failure(result, 7, "apicli: the gzip-encoded body from http://127.0.0.1:")
    first = result.stderr.splitlines()[0]
    assert re.fullmatch(r"apicli: the gzip-encoded body from \S+ is corrupt \(\d+ bytes received\)", first), first
    assert "Received response" not in result.stderr
    assert (result.stdout, len(result.stderr.splitlines())) == (b"", 1)


def test_a_cut_gzip_page_stops_pagination(fault_server: FaultServer, invoke: Invoke) -> None:
    fault_server.script("/pages/0", json_reply([{"page": 0}], headers=[("Link", '</pages/1>; rel="next"')]))
    fault_server.script("/pages/1", gzip_cut(json.dumps([{"page": 1, "pad": "x" * 50} for _ in range(2000)])))

    result = invoke("paginate", fault_server.url("/pages/0"), *FAST)

    assert_clean_failure(result, 7, "apicli: page 2: the gzip-encoded body from http://127.0.0.1:")
    assert "ended before the end of its stream" in result.stderr
    assert result.stdout == b'{"page":0}\n'


def test_a_complete_gzip_body_with_trailing_bytes_still_decodes(fault_server: FaultServer, invoke: Invoke) -> None:
    # gzip(1) and urllib3 ignore bytes after a complete member that are no member themselves.
    body = gzip.compress(b'{"ok": true}') + b"\x00\x00\x00\x00"
    fault_server.script("/gz", Reply(200, {"Content-Type": "application/json", "Content-Encoding": "gzip"}, body))

    result = invoke("get", fault_server.url("/gz"))

    assert (result.code, result.stdout, result.stderr) == (0, b'{"ok": true}', "")


# -- download saves the bytes on the wire --------------------------------------------------------

GZIP_HEADERS = (("Content-Encoding", "gzip"),)
TARBALL = gzip.compress(bytes(range(256)) * 4000)  # what a .tar.gz is: gzip data, published as such


def sha256(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def test_a_tarball_served_with_content_encoding_is_saved_as_published(
    fault_server: FaultServer, invoke: Invoke, tmp_path: Path
) -> None:
    fault_server.script("/pkg.tar.gz", RangeFile(TARBALL, extra_headers=GZIP_HEADERS))

    result = invoke("download", fault_server.url("/pkg.tar.gz"), "-d", str(tmp_path), "--sha256", sha256(TARBALL))
    quiet = invoke("download", fault_server.url("/pkg.tar.gz"), "-o", str(tmp_path / "q.tar.gz"), "-s")

    assert result.code == 0, result.stderr
    assert (tmp_path / "pkg.tar.gz").read_bytes() == TARBALL
    assert result.stderr.splitlines()[0] == (
        "apicli: pkg.tar.gz: the server sent it with Content-Encoding: gzip; "
        "saving the bytes as sent (--decode saves them decoded)"
    )
    assert (quiet.code, quiet.stdout, quiet.stderr) == (0, b"", "")
    assert (tmp_path / "q.tar.gz").read_bytes() == TARBALL


def test_a_compressed_body_on_the_wire_stays_its_wire_size(
    fault_server: FaultServer, invoke: Invoke, tmp_path: Path
) -> None:
    fault_server.script("/zeros", gzip_bomb(256 << 20, content_type="application/octet-stream"))
    wire = len(gzip_bomb(256 << 20).payload)

    result = invoke("download", fault_server.url("/zeros"), "-o", str(tmp_path / "zeros.gz"))

    assert result.code == 0, result.stderr
    assert (tmp_path / "zeros.gz").stat().st_size == wire < 1 << 20
    assert f"({format_size(wire)}, " in result.stderr  # the saved size is the wire size


def test_a_cut_compressed_download_resumes_on_wire_bytes(
    fault_server: FaultServer, invoke: Invoke, tmp_path: Path
) -> None:
    fault_server.script(
        "/pkg.tar.gz",
        [
            RangeFile(TARBALL, cut_after=2_000, extra_headers=GZIP_HEADERS),
            RangeFile(TARBALL, extra_headers=GZIP_HEADERS),
        ],
    )

    result = invoke("download", fault_server.url("/pkg.tar.gz"), "-d", str(tmp_path), "--sha256", sha256(TARBALL))

    assert result.code == 0, result.stderr
    assert leftovers(tmp_path) == ["pkg.tar.gz"]
    assert (tmp_path / "pkg.tar.gz").read_bytes() == TARBALL
    second = fault_server.requests_for("/pkg.tar.gz")[1]
    assert second.headers.get("Range") == "bytes=2000-"


def test_a_cut_gzip_download_is_saved_as_sent_but_fails_with_decode(
    fault_server: FaultServer, invoke: Invoke, tmp_path: Path
) -> None:
    reply = gzip_cut(DOCUMENT)
    fault_server.script("/gz", reply)

    as_sent = invoke("download", fault_server.url("/gz"), "-o", str(tmp_path / "sent.gz"))
    decoded = invoke("download", fault_server.url("/gz"), "-o", str(tmp_path / "doc.json"), "--decode")

    # The wire bytes are all there (the Content-Length matches): saving them is what curl -o does.
    assert as_sent.code == 0, as_sent.stderr
    assert (tmp_path / "sent.gz").read_bytes() == reply.payload
    assert_clean_failure(decoded, 7, "apicli: the gzip-encoded body from ")
    assert CUT.match(decoded.stderr), decoded.stderr
    assert not (tmp_path / "doc.json").exists()


def test_a_corrupt_gzip_download_with_decode_fails_cleanly(
    fault_server: FaultServer, invoke: Invoke, tmp_path: Path
) -> None:
    fault_server.script("/gz", gzip_corrupt(DOCUMENT))

    result = invoke("download", fault_server.url("/gz"), "-d", str(tmp_path), "--decode")

    assert_clean_failure(result, 7, "apicli: the gzip-encoded body from ")
    assert " is corrupt (" in result.stderr and "Received response" not in result.stderr
    assert "gz" not in leftovers(tmp_path)


def test_a_cut_gzip_text_on_a_terminal_says_the_output_is_incomplete(fault_server: FaultServer) -> None:
    from tests.cli.test_process import _run_on_terminal

    text = "".join(f"line {n}\n" for n in range(40_000))
    fault_server.script("/gz", gzip_cut(text, content_type="text/plain"))

    shown = _run_on_terminal(["get", fault_server.url("/gz"), "--retries", "0"])

    assert b"line 0\r\n" in shown
    found = re.search(
        rb"apicli: the gzip-encoded body from \S+ ended before the end of its stream "
        rb"\(\d+ bytes received\); output is incomplete \((\d+) bytes written\)",
        shown,
    )
    assert found, shown[-300:]
    assert 0 < int(found.group(1)) < len(text)
