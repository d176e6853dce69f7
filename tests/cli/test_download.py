"""End-to-end: `apicli download` against real loopback servers, checking the files on disk.

pytest-httpserver covers well-behaved answers. `RawServer` below is a small scripted
socket server for what a framework will not do: cut a body mid-way, send hostile raw
header bytes, honour Range/If-Range exactly, or trickle a body for the Ctrl-C test.
"""

from __future__ import annotations

import contextlib
import fcntl
import gzip
import hashlib
import os
import pty
import re
import signal
import socket
import struct
import subprocess
import termios
import threading
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path

import pytest
from pytest_httpserver import HTTPServer

from apicli.output.progress import Saved, format_size, summary_line
from tests.conftest import Invoke, apicli_command
from tests.terminal_screen import read_screen

# --- a scripted raw-socket server -------------------------------------------------------------


@dataclass
class Seen:
    """A request as the server saw it (header names lower-cased)."""

    method: str
    path: str
    headers: dict[str, str]


@dataclass
class Reply:
    status: int = 200
    headers: list[tuple[str, str]] = field(default_factory=list)
    body: bytes = b""
    # Send only this many body bytes, then close: a connection cut mid-body.
    cut_after: int | None = None
    # Trickle the body: `pace` bytes, then a `delay` pause, repeated.
    pace: int = 0
    delay: float = 0.0
    content_length: int | None = None  # default: len(body)
    reset: bool = False  # end with a TCP reset instead of a clean close
    chunked: bool = False  # Transfer-Encoding: chunked instead of Content-Length


Handler = Callable[[Seen], Reply]


class RawServer:
    """HTTP/1.1 on 127.0.0.1, one request per connection, every wait bounded, stopped at teardown."""

    LIFETIME = 20.0
    MAX_CONNECTIONS = 50

    def __init__(self) -> None:
        self.handler: Handler = lambda seen: Reply(404, body=b"no handler")
        self.seen: list[Seen] = []
        self.listener = socket.create_server(("127.0.0.1", 0))
        self.listener.settimeout(0.05)
        self.port = self.listener.getsockname()[1]
        self.stopping = threading.Event()
        self.thread = threading.Thread(target=self._accept, daemon=True)
        self.thread.start()

    def url(self, path: str) -> str:
        return f"http://127.0.0.1:{self.port}{path}"

    def _accept(self) -> None:
        deadline = time.monotonic() + self.LIFETIME
        served = 0
        while not self.stopping.is_set() and time.monotonic() < deadline and served < self.MAX_CONNECTIONS:
            try:
                conn, _ = self.listener.accept()
            except TimeoutError:
                continue
            except OSError:
                return
            served += 1
            threading.Thread(target=self._serve, args=(conn,), daemon=True).start()

    def _serve(self, conn: socket.socket) -> None:
        with contextlib.suppress(OSError), conn:
            conn.settimeout(5)
            data = b""
            while b"\r\n\r\n" not in data:
                chunk = conn.recv(65536)
                if not chunk:
                    return
                data += chunk
            head = data.split(b"\r\n\r\n", 1)[0].decode("latin-1").split("\r\n")
            method, path, _version = head[0].split(" ", 2)
            headers = {}
            for line in head[1:]:
                name, _, value = line.partition(":")
                headers[name.strip().lower()] = value.strip()
            seen = Seen(method, path, headers)
            self.seen.append(seen)
            reply = self.handler(seen)
            length = len(reply.body) if reply.content_length is None else reply.content_length
            framing = "Transfer-Encoding: chunked" if reply.chunked else f"Content-Length: {length}"
            lines = [f"HTTP/1.1 {reply.status} X", framing, "Connection: close"]
            lines += [f"{name}: {value}" for name, value in reply.headers]
            conn.sendall(("\r\n".join(lines) + "\r\n\r\n").encode("latin-1"))
            body = _chunked(reply.body) if reply.chunked else reply.body
            body = body if reply.cut_after is None else body[: reply.cut_after]
            if method == "HEAD":
                return
            if reply.reset:
                conn.sendall(body)
                time.sleep(0.05)  # let the bytes reach the client before the reset
                conn.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
                return
            if not reply.pace:
                conn.sendall(body)
            else:
                for start in range(0, len(body), reply.pace):
                    if self.stopping.wait(reply.delay):
                        return
                    conn.sendall(body[start : start + reply.pace])
            conn.shutdown(socket.SHUT_WR)

    def stop(self) -> None:
        self.stopping.set()
        self.listener.close()
        self.thread.join(timeout=2)


def _chunked(body: bytes, size: int = 50_000) -> bytes:
    pieces = [b"%x\r\n%s\r\n" % (len(body[i : i + size]), body[i : i + size]) for i in range(0, len(body), size)]
    return b"".join(pieces) + b"0\r\n\r\n"


@pytest.fixture
def raw_server() -> Iterator[RawServer]:
    server = RawServer()
    try:
        yield server
    finally:
        server.stop()


def ranged(
    data: bytes,
    seen: Seen,
    *,
    etag: str | None = '"v1"',
    ranges: bool = True,
    extra: tuple[tuple[str, str], ...] = (),
    cut_after: int | None = None,
) -> Reply:
    """Answer like a careful file server: 206/416 for a Range, unless If-Range no longer matches."""
    headers = [*extra]
    if etag:
        headers.append(("ETag", etag))
    if ranges:
        headers.append(("Accept-Ranges", "bytes"))
    wanted = seen.headers.get("range")
    if_range = seen.headers.get("if-range")
    validators = {etag, *(value for name, value in extra if name == "Last-Modified")} - {None}
    if ranges and wanted and (if_range is None or if_range in validators):
        start = int(wanted.removeprefix("bytes=").removesuffix("-"))
        if start >= len(data):
            return Reply(416, [*headers, ("Content-Range", f"bytes */{len(data)}")])
        rest = data[start:]
        return Reply(
            206, [*headers, ("Content-Range", f"bytes {start}-{len(data) - 1}/{len(data)}")], rest, cut_after=cut_after
        )
    return Reply(200, headers, data, cut_after=cut_after)


def payload(size: int, seed: int = 1) -> bytes:
    block = hashlib.sha512(str(seed).encode()).digest()
    return (block * (size // len(block) + 1))[:size]


def files_in(directory: Path) -> dict[str, bytes]:
    return {path.name: path.read_bytes() for path in sorted(directory.iterdir()) if path.is_file()}


# --- filenames ---------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("disposition", "url_path", "expected"),
    [
        ('attachment; filename="report.csv"', "/files/ignored.bin", "report.csv"),
        ("attachment; filename=plain.txt; filename*=UTF-8''%E2%82%AC%20rates.csv", "/x", "€ rates.csv"),
        (None, "/files/annual%20report.pdf?session=1", "annual report.pdf"),
        (None, "/", "download"),
        ('attachment; filename="../../x"', "/a", "x"),
        ('attachment; filename="/etc/passwd"', "/a", "passwd"),
        ('attachment; filename=".."', "/fallback.bin", "fallback.bin"),
        ('attachment; filename=""', "/fallback.bin", "fallback.bin"),
        ("attachment; filename*=UTF-8''..%2F..%2Fevil%07%0A.sh", "/a", "evil.sh"),
        ('attachment; filename="a\x01b\x1fc.txt"', "/a", "abc.txt"),
        (None, "/dir/..%2F..%2Fescape.txt", "escape.txt"),
        ('attachment; filename="C:\\\\Windows\\\\evil.dll"', "/a", "evil.dll"),
    ],
)
def test_names_come_from_the_server_or_url_and_stay_inside_the_directory(
    raw_server: RawServer, invoke: Invoke, tmp_path: Path, disposition: str | None, url_path: str, expected: str
) -> None:
    headers = [("Content-Disposition", disposition)] if disposition is not None else []
    raw_server.handler = lambda seen: Reply(200, headers, b"content")
    target = tmp_path / "inbox"
    result = invoke("download", raw_server.url(url_path), "-d", str(target))
    assert result.code == 0, result.stderr
    assert files_in(target) == {expected: b"content"}
    assert sorted(p.name for p in tmp_path.iterdir()) == ["inbox"]  # nothing escaped
    assert result.stdout == b""
    assert result.stderr.startswith(f"apicli: saved {target / expected} (7 B, ")
    assert result.stderr.endswith("B/s)\n") and result.stderr.count("\n") == 1


def test_default_directory_is_the_current_one_and_names_never_clobber(
    httpserver: HTTPServer, invoke: Invoke, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)
    (tmp_path / "data.tar.gz").write_bytes(b"precious")
    (tmp_path / "data (1).tar.gz").write_bytes(b"also precious")
    httpserver.expect_request("/data.tar.gz").respond_with_data(b"new")
    first = invoke("download", httpserver.url_for("/data.tar.gz"))
    second = invoke("download", httpserver.url_for("/data.tar.gz"))
    assert (first.code, second.code) == (0, 0)
    assert files_in(tmp_path) == {
        "data.tar.gz": b"precious",
        "data (1).tar.gz": b"also precious",
        "data (2).tar.gz": b"new",
        "data (3).tar.gz": b"new",
    }
    assert first.stderr.startswith("apicli: saved data (2).tar.gz (3 B, ")


def test_output_file_is_used_as_given_and_overwrites(httpserver: HTTPServer, invoke: Invoke, tmp_path: Path) -> None:
    target = tmp_path / "exact name.bin"
    target.write_bytes(b"old content that is longer")
    httpserver.expect_request("/x").respond_with_data(
        b"fresh", headers={"Content-Disposition": 'attachment; filename="other.bin"'}
    )
    result = invoke("download", httpserver.url_for("/x"), "-o", str(target))
    assert result.code == 0, result.stderr
    assert files_in(tmp_path) == {"exact name.bin": b"fresh"}


def test_dir_is_created_and_output_dash_streams_to_stdout(
    httpserver: HTTPServer, invoke: Invoke, tmp_path: Path
) -> None:
    httpserver.expect_request("/a.txt").respond_with_data(b"alpha")
    nested = tmp_path / "new" / "deeper"
    assert invoke("download", httpserver.url_for("/a.txt"), "-d", str(nested)).code == 0
    assert files_in(nested) == {"a.txt": b"alpha"}
    piped = invoke("download", httpserver.url_for("/a.txt"), "-o", "-", "--quiet")
    assert (piped.code, piped.stdout, piped.stderr) == (0, b"alpha", "")


def test_input_file_names_comments_and_parallel_downloads(
    httpserver: HTTPServer, invoke: Invoke, tmp_path: Path
) -> None:
    for name in ("one", "two", "three"):
        httpserver.expect_request(f"/{name}").respond_with_data(name.encode() * 3)
    listing = tmp_path / "urls.txt"
    listing.write_text(
        f"# downloads\n\n{httpserver.url_for('/one')}\tfirst.txt\n{httpserver.url_for('/two')}\n"
        f"  # indented comment\n{httpserver.url_for('/three')}\t../sneaky.txt\n",
        encoding="utf-8",
    )
    out = tmp_path / "out"
    result = invoke("download", "--input-file", str(listing), "-d", str(out), "--parallel", "2")
    assert result.code == 0, result.stderr
    assert files_in(out) == {"first.txt": b"oneoneone", "two": b"twotwotwo", "sneaky.txt": b"threethreethree"}
    lines = sorted(result.stderr.splitlines())
    assert [line.split(" (")[0] for line in lines] == [
        f"apicli: saved {out / name}" for name in ("first.txt", "sneaky.txt", "two")
    ]


# --- atomicity, length and checksums -----------------------------------------------------------


def test_success_leaves_no_part_and_failure_keeps_only_the_part(
    raw_server: RawServer, invoke: Invoke, tmp_path: Path
) -> None:
    data = payload(300_000)
    raw_server.handler = lambda seen: ranged(data, seen, ranges=False, cut_after=100_000)
    result = invoke("download", raw_server.url("/big.bin"), "-d", str(tmp_path))
    assert result.code == 1
    assert "short body" in result.stderr and "got 100000 of 300000 bytes" in result.stderr
    assert f"hint: the partial download is kept in '{tmp_path / 'big.bin.part'}'" in result.stderr
    assert sorted(p.name for p in tmp_path.iterdir()) == ["big.bin.part", "big.bin.part.meta"]
    assert (tmp_path / "big.bin.part").read_bytes() == data[:100_000]
    assert result.stdout == b""

    raw_server.handler = lambda seen: ranged(data, seen, ranges=False)
    again = invoke("download", raw_server.url("/big.bin"), "-d", str(tmp_path))
    assert again.code == 0, again.stderr
    assert files_in(tmp_path) == {"big.bin": data}


def test_short_body_is_an_error_even_when_retries_are_left_if_ranges_are_not_offered(
    raw_server: RawServer, invoke: Invoke, tmp_path: Path
) -> None:
    raw_server.handler = lambda seen: Reply(200, [], b"only part", content_length=1000)
    result = invoke("download", raw_server.url("/f"), "-o", str(tmp_path / "f"), "--sha256", "0" * 64)
    assert result.code == 1
    assert "got 9 of 1000 bytes" in result.stderr
    assert not (tmp_path / "f").exists() and (tmp_path / "f.part").read_bytes() == b"only part"
    assert len(raw_server.seen) == 1 and result.sleeps == []


@pytest.mark.parametrize(
    ("flag", "algorithm"),
    [("--sha256", "sha256"), ("--checksum", "sha512"), ("--checksum", "md5")],
)
def test_checksum_pass_and_fail(
    httpserver: HTTPServer, invoke: Invoke, tmp_path: Path, flag: str, algorithm: str
) -> None:
    data = payload(200_000, seed=7)
    digest = hashlib.new(algorithm, data).hexdigest()
    httpserver.expect_request("/sum.bin").respond_with_data(data)
    value = digest if flag == "--sha256" else f"{algorithm.upper()}:{digest.upper()}"
    ok = invoke("download", httpserver.url_for("/sum.bin"), "-o", str(tmp_path / "ok.bin"), flag, value)
    assert ok.code == 0, ok.stderr
    assert (tmp_path / "ok.bin").read_bytes() == data

    wrong = ("0" if digest[0] != "0" else "1") + digest[1:]
    value = wrong if flag == "--sha256" else f"{algorithm}:{wrong}"
    bad = invoke("download", httpserver.url_for("/sum.bin"), "-d", str(tmp_path / "bad"), flag, value)
    assert bad.code == 1
    assert f"apicli: {algorithm} mismatch for sum.bin: expected {wrong}, got {digest}" in bad.stderr
    assert "hint: nothing was saved under the final name" in bad.stderr
    assert not (tmp_path / "bad" / "sum.bin").exists()


def test_invalid_checksum_flags_are_usage_errors(invoke: Invoke, tmp_path: Path) -> None:
    for args in (["--sha256", "abc"], ["--checksum", "crc32:00"], ["--checksum", "sha256"]):
        result = invoke("download", "http://127.0.0.1:9/x", "-d", str(tmp_path), *args)
        assert result.code == 2, args
        assert result.stderr.startswith("apicli: invalid --")


def test_gzip_sent_anyway_is_saved_as_sent_with_a_note(httpserver: HTTPServer, invoke: Invoke, tmp_path: Path) -> None:
    text = b"line of text\n" * 20_000
    packed = gzip.compress(text)
    httpserver.expect_request("/log.txt", headers={"Accept-Encoding": "identity"}).respond_with_data(
        packed, headers={"Content-Encoding": "gzip"}
    )
    result = invoke("download", httpserver.url_for("/log.txt"), "-d", str(tmp_path), "--sha256", _sha(packed))
    assert result.code == 0, result.stderr
    assert files_in(tmp_path) == {"log.txt": packed}
    assert result.stderr.startswith(
        "apicli: log.txt: the server sent it with Content-Encoding: gzip; saving the bytes as sent (--decode saves "
    )
    assert f"({format_size(len(packed))}, " in result.stderr  # the size saved: the wire bytes


def test_gzip_sent_anyway_is_decoded_with_decode_and_not_compared_with_the_compressed_length(
    httpserver: HTTPServer, invoke: Invoke, tmp_path: Path
) -> None:
    text = b"line of text\n" * 20_000
    packed = gzip.compress(text)
    httpserver.expect_request("/log.txt", headers={"Accept-Encoding": "identity"}).respond_with_data(
        packed, headers={"Content-Encoding": "gzip"}
    )
    result = invoke("download", httpserver.url_for("/log.txt"), "-d", str(tmp_path), "--decode", "--sha256", _sha(text))
    assert result.code == 0, result.stderr
    assert files_in(tmp_path) == {"log.txt": text}
    assert f"({format_size(len(text))}, " in result.stderr  # the decoded size, not the compressed one
    assert "Content-Encoding" not in result.stderr


def _sha(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


# --- resume ------------------------------------------------------------------------------------


def test_continue_sends_range_and_if_range_and_appends_to_the_part(
    raw_server: RawServer, invoke: Invoke, tmp_path: Path
) -> None:
    data = payload(250_000, seed=3)
    raw_server.handler = lambda seen: ranged(data, seen, cut_after=90_000, ranges=False)
    first = invoke("download", raw_server.url("/r.bin"), "-o", str(tmp_path / "r.bin"))
    assert first.code == 1 and (tmp_path / "r.bin.part").stat().st_size == 90_000

    raw_server.handler = lambda seen: ranged(data, seen)
    result = invoke("download", raw_server.url("/r.bin"), "-o", str(tmp_path / "r.bin"), "--continue")
    assert result.code == 0, result.stderr
    assert files_in(tmp_path) == {"r.bin": data}
    assert raw_server.seen[-1].headers["range"] == "bytes=90000-"
    assert raw_server.seen[-1].headers["if-range"] == '"v1"'
    assert "apicli: resuming " in result.stderr and "from byte 90000" in result.stderr


def test_continue_finds_a_server_named_part_and_hashes_it_whole(
    raw_server: RawServer, invoke: Invoke, tmp_path: Path
) -> None:
    data = payload(120_000, seed=4)
    named = (("Content-Disposition", 'attachment; filename="named.dat"'),)
    raw_server.handler = lambda seen: ranged(data, seen, ranges=False, cut_after=50_000, extra=named)
    assert invoke("download", raw_server.url("/get?id=1"), "-d", str(tmp_path)).code == 1
    assert sorted(p.name for p in tmp_path.iterdir()) == ["named.dat.part", "named.dat.part.meta"]
    raw_server.handler = lambda seen: ranged(data, seen, extra=named)
    result = invoke("download", raw_server.url("/get?id=1"), "-d", str(tmp_path), "--continue", "--sha256", _sha(data))
    assert result.code == 0, result.stderr
    assert files_in(tmp_path) == {"named.dat": data}
    assert raw_server.seen[-1].headers["range"] == "bytes=50000-"


def test_continue_restarts_from_zero_when_the_server_ignores_the_range(
    raw_server: RawServer, invoke: Invoke, tmp_path: Path
) -> None:
    data = payload(80_000, seed=5)
    (tmp_path / "f.bin.part").write_bytes(b"stale bytes of another version")
    raw_server.handler = lambda seen: ranged(data, seen, ranges=False)
    result = invoke("download", raw_server.url("/f.bin"), "-o", str(tmp_path / "f.bin"), "--continue")
    assert result.code == 0, result.stderr
    assert files_in(tmp_path) == {"f.bin": data}
    assert raw_server.seen[0].headers["range"] == "bytes=30-"
    assert "restarting" in result.stderr and "from zero" in result.stderr


def test_continue_with_a_changed_file_never_splices(raw_server: RawServer, invoke: Invoke, tmp_path: Path) -> None:
    old, new = payload(60_000, seed=1), payload(70_000, seed=2)
    raw_server.handler = lambda seen: ranged(old, seen, etag='"old"', ranges=False, cut_after=20_000)
    invoke("download", raw_server.url("/v"), "-o", str(tmp_path / "v"))
    raw_server.handler = lambda seen: ranged(new, seen, etag='"new"')
    result = invoke("download", raw_server.url("/v"), "-o", str(tmp_path / "v"), "--continue")
    assert result.code == 0, result.stderr
    assert raw_server.seen[-1].headers["if-range"] == '"old"'
    assert files_in(tmp_path) == {"v": new}


def test_continue_on_a_complete_part_answered_416_is_done(
    raw_server: RawServer, invoke: Invoke, tmp_path: Path
) -> None:
    data = payload(40_000, seed=6)
    (tmp_path / "done.bin").write_bytes(data)  # an earlier download that -o will now check
    raw_server.handler = lambda seen: ranged(data, seen)
    result = invoke("download", raw_server.url("/done.bin"), "-o", str(tmp_path / "done.bin"), "--continue")
    assert result.code == 0, result.stderr
    assert raw_server.seen[0].headers["range"] == "bytes=40000-"
    assert "already complete" in result.stderr
    assert files_in(tmp_path) == {"done.bin": data}


def test_dropped_connection_resumes_automatically_with_backoff(
    raw_server: RawServer, invoke: Invoke, tmp_path: Path
) -> None:
    data = payload(3_000_000, seed=8)
    cuts = iter([700_000, 1_500_000])

    def flaky(seen: Seen) -> Reply:
        reply = ranged(data, seen, etag=None, extra=(("Last-Modified", "Tue, 01 Jul 2025 10:00:00 GMT"),))
        reply.cut_after = next(cuts, None)
        return reply

    raw_server.handler = flaky
    result = invoke("download", raw_server.url("/big.iso"), "-d", str(tmp_path), "--backoff", "0.25")
    assert result.code == 0, result.stderr
    assert files_in(tmp_path) == {"big.iso": data}
    assert hashlib.sha256((tmp_path / "big.iso").read_bytes()).hexdigest() == _sha(data)
    ranges = [seen.headers.get("range") for seen in raw_server.seen]
    assert ranges == [None, "bytes=700000-", "bytes=2200000-"]
    assert raw_server.seen[1].headers["if-range"] == "Tue, 01 Jul 2025 10:00:00 GMT"
    # --backoff doubled per resume, plus up to one --backoff of jitter (retry.backoff_wait).
    first, second = result.sleeps
    assert 0.25 <= first <= 0.5 and 0.5 <= second <= 0.75
    assert result.stderr.count("resuming in") == 2


@pytest.mark.parametrize("checksum", [False, True])
def test_connection_reset_mid_body_resumes_too(
    raw_server: RawServer, invoke: Invoke, tmp_path: Path, checksum: bool
) -> None:
    data = payload(900_000, seed=10)
    resets = iter([True])

    def flaky(seen: Seen) -> Reply:
        reply = ranged(data, seen)
        if next(resets, False):
            reply.cut_after, reply.reset = 400_000, True
        return reply

    raw_server.handler = flaky
    extra = ["--sha256", _sha(data)] if checksum else []
    result = invoke("download", raw_server.url("/reset.bin"), "-d", str(tmp_path), *extra)
    assert result.code == 0, result.stderr
    assert files_in(tmp_path) == {"reset.bin": data}
    assert raw_server.seen[1].headers["range"].startswith("bytes=")
    assert "resuming in" in result.stderr


def test_continue_adopts_a_partial_output_file_only_when_the_server_agrees(
    raw_server: RawServer, invoke: Invoke, tmp_path: Path
) -> None:
    data = payload(50_000, seed=13)
    target = tmp_path / "movie.bin"
    target.write_bytes(data[:20_000])
    raw_server.handler = lambda seen: Reply(503, [], b"maintenance")
    failed = invoke("download", raw_server.url("/m"), "-o", str(target), "--continue", "--retries", "0")
    assert failed.code == 5
    assert files_in(tmp_path) == {"movie.bin": data[:20_000]}  # untouched by the failure

    raw_server.handler = lambda seen: ranged(data, seen)
    result = invoke("download", raw_server.url("/m"), "-o", str(target), "--continue", "--sha256", _sha(data))
    assert result.code == 0, result.stderr
    assert raw_server.seen[-1].headers["range"] == "bytes=20000-"
    assert "if-range" not in raw_server.seen[-1].headers  # nothing known to pin it with
    assert files_in(tmp_path) == {"movie.bin": data}


def test_chunked_body_cut_mid_chunk_resumes_with_a_range(raw_server: RawServer, invoke: Invoke, tmp_path: Path) -> None:
    data = payload(400_000, seed=14)
    cuts = iter([123_456])

    def flaky(seen: Seen) -> Reply:
        reply = ranged(data, seen)
        reply.chunked = True
        reply.cut_after = next(cuts, None)
        return reply

    raw_server.handler = flaky
    result = invoke("download", raw_server.url("/stream.log"), "-d", str(tmp_path))
    assert result.code == 0, result.stderr
    assert files_in(tmp_path) == {"stream.log": data}
    # The whole chunks that arrived before the cut (2 x 50 kB, less than one read buffer) are kept.
    assert raw_server.seen[1].headers["range"] == "bytes=100000-"
    assert "the server closed the connection before the body was complete" in result.stderr


def test_input_file_from_stdin(httpserver: HTTPServer, invoke: Invoke, tmp_path: Path) -> None:
    httpserver.expect_request("/s").respond_with_data(b"from stdin")
    listing = f"{httpserver.url_for('/s')}\tnamed.txt\n".encode()
    result = invoke("download", "--input-file", "-", "-d", str(tmp_path), stdin=listing)
    assert result.code == 0, result.stderr
    assert files_in(tmp_path) == {"named.txt": b"from stdin"}


def test_devices_are_written_directly(httpserver: HTTPServer, invoke: Invoke) -> None:
    httpserver.expect_request("/null").respond_with_data(b"x" * 5000)
    result = invoke("download", httpserver.url_for("/null"), "-o", "/dev/null")
    assert result.code == 0, result.stderr
    assert result.stderr.startswith("apicli: saved /dev/null (5.0 kB, ")


def test_automatic_resume_with_checksum_uses_the_hashing_loop(
    raw_server: RawServer, invoke: Invoke, tmp_path: Path
) -> None:
    data = payload(1_000_000, seed=9)
    cuts = iter([333_333])

    def flaky(seen: Seen) -> Reply:
        reply = ranged(data, seen)
        reply.cut_after = next(cuts, None)
        return reply

    raw_server.handler = flaky
    result = invoke("download", raw_server.url("/c.bin"), "-o", str(tmp_path / "c.bin"), "--sha256", _sha(data))
    assert result.code == 0, result.stderr
    assert (tmp_path / "c.bin").read_bytes() == data
    assert raw_server.seen[1].headers["range"] == "bytes=333333-"


def test_resume_budget_is_the_retries_flag(raw_server: RawServer, invoke: Invoke, tmp_path: Path) -> None:
    data = payload(100_000)
    raw_server.handler = lambda seen: ranged(data, seen, cut_after=10_000)
    result = invoke("download", raw_server.url("/z"), "-o", str(tmp_path / "z"), "--retries", "2")
    assert result.code == 1
    assert "got 10000 of 80000 bytes after 2 resumes" in result.stderr
    assert len(raw_server.seen) == 3 and len(result.sleeps) == 2
    assert (tmp_path / "z.part").read_bytes() == data[:30_000] and not (tmp_path / "z").exists()


# --- HTTP errors, several URLs, usage ----------------------------------------------------------


@pytest.mark.parametrize(("status", "code"), [(404, 4), (500, 5)])
def test_http_errors_create_no_file(
    httpserver: HTTPServer, invoke: Invoke, tmp_path: Path, status: int, code: int
) -> None:
    httpserver.expect_request("/missing.bin").respond_with_json({"error": "nope"}, status=status)
    result = invoke("download", httpserver.url_for("/missing.bin"), "-d", str(tmp_path), "--retries", "0")
    assert result.code == code
    assert result.stderr.startswith(f"apicli: HTTP {status} ")
    assert list(tmp_path.iterdir()) == []


def test_parallel_downloads_keep_successes_and_report_failures(
    httpserver: HTTPServer, invoke: Invoke, tmp_path: Path
) -> None:
    httpserver.expect_request("/a.bin").respond_with_data(b"A" * 1000)
    httpserver.expect_request("/gone.bin").respond_with_data(b"gone", status=404)
    httpserver.expect_request("/c.bin").respond_with_data(b"C" * 3000)
    urls = [httpserver.url_for(path) for path in ("/a.bin", "/gone.bin", "/c.bin")]
    result = invoke("download", *urls, "-d", str(tmp_path), "--parallel", "3", "--retries", "0")
    assert result.code == 4
    assert files_in(tmp_path) == {"a.bin": b"A" * 1000, "c.bin": b"C" * 3000}
    lines = result.stderr.splitlines()
    assert sum(line.startswith("apicli: saved ") for line in lines) == 2
    assert "apicli: 1 of 3 downloads failed" in lines
    assert f"  {urls[1]}: HTTP 404 NOT FOUND (GET {urls[1]})" in lines


def test_usage_errors(invoke: Invoke, tmp_path: Path) -> None:
    url = "http://127.0.0.1:9/x"
    cases = [
        ((url, url, "-o", str(tmp_path / "f")), "-o/--output names one file, but there are 2 URLs"),
        ((url, "-o", "f", "-d", str(tmp_path)), "-o/--output and -d/--dir cannot be combined"),
        ((url, "-o", "-", "--continue"), "--continue cannot resume into stdout"),
        ((url, url, "-d", str(tmp_path), "--sha256", "0" * 64), "--sha256/--checksum check one file"),
        ((), "no URL to download"),
        ((url, "--json", "{}"), "download does not take --json"),
    ]
    for args, message in cases:
        result = invoke("download", *args)
        assert result.code == 2, args
        assert result.stderr.startswith(f"apicli: {message}"), result.stderr
    assert list(tmp_path.iterdir()) == []


def test_request_items_are_refused_without_echoing_their_values(
    httpserver: HTTPServer, invoke: Invoke, tmp_path: Path
) -> None:
    url = httpserver.url_for("/x")
    for item in ("Cookie:session=s3cr3t", "Authorization:Bearer s3cr3t", "api_key==s3cr3t", "token=s3cr3t"):
        result = invoke("download", url, item, "-d", str(tmp_path / "never"))
        assert result.code == 2, item
        assert result.stderr.startswith("apicli: download takes URLs; "), result.stderr
        assert "s3cr3t" not in result.stderr
        assert "hint: send headers with -H 'Name: Value'" in result.stderr
    assert httpserver.log == []
    assert list(tmp_path.iterdir()) == []


def test_a_directory_that_cannot_be_made_is_refused_before_any_request(
    httpserver: HTTPServer, invoke: Invoke, tmp_path: Path
) -> None:
    httpserver.expect_request("/a.txt").respond_with_data(b"alpha")
    (tmp_path / "plain").write_text("a file")
    for directory in (tmp_path / "plain", tmp_path / "plain" / "sub"):
        result = invoke("download", httpserver.url_for("/a.txt"), "-d", str(directory))
        assert result.code == 1
        assert result.stderr.startswith(f"apicli: cannot create directory {str(directory)!r}: "), result.stderr
    assert httpserver.log == []


# --- real processes: terminal, pipes, signals --------------------------------------------------


def test_output_dash_into_a_closed_pipe_ends_quietly(httpserver: HTTPServer) -> None:
    httpserver.expect_request("/big").respond_with_data(b"x" * 4_000_000)
    proc = subprocess.Popen(
        [*apicli_command(), "download", httpserver.url_for("/big"), "-o", "-"],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
    )
    assert proc.stdout is not None and proc.stderr is not None
    proc.stdout.read(10)
    proc.stdout.close()
    assert proc.wait(timeout=20) == 0
    assert proc.stderr.read() == b""


def _environment() -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if k not in ("NO_COLOR", "FORCE_COLOR", "COLUMNS", "LINES")}
    env["TERM"] = "xterm-256color"
    return env


def test_progress_bar_on_a_terminal_and_a_summary_line_when_piped(
    raw_server: RawServer, run_process: Callable[..., subprocess.CompletedProcess[bytes]], tmp_path: Path
) -> None:
    data = payload(1_500_000, seed=11)
    raw_server.handler = lambda seen: Reply(200, [], data, pace=100_000, delay=0.04)
    url = raw_server.url("/movie.mp4")

    master, slave = pty.openpty()
    fcntl.ioctl(slave, termios.TIOCSWINSZ, struct.pack("HHHH", 24, 100, 0, 0))
    process = subprocess.Popen(
        [*apicli_command(), "download", url, "-d", str(tmp_path / "tty")],
        stdin=subprocess.DEVNULL,
        stdout=subprocess.PIPE,
        stderr=slave,
        env=_environment(),
    )
    os.close(slave)
    screen = read_screen(master, process, seconds=15)
    os.close(master)
    assert process.wait(timeout=5) == 0
    assert process.stdout is not None and process.stdout.read() == b""
    drawn = screen.decode("utf-8", errors="replace")
    assert "━" in drawn and "movie.mp4" in drawn and "MB" in drawn and "/s" in drawn
    assert "\x1b[" in drawn  # cursor control: redrawn in place
    assert "apicli: saved " in drawn
    # The summary comes under the finished bar, never above a bar still being drawn.
    assert drawn.rindex("apicli: saved ") > drawn.rindex("━")
    assert drawn.rstrip().endswith("MB/s)") and drawn.count("apicli: saved ") == 1
    # One unit style: the bar's sizes and speed read like the summary's (1.5 MB, 2.4 MB/s), never "bytes".
    assert "bytes" not in drawn and re.search(r"\d/1\.5 MB", drawn) and re.search(r"\d(\.\d)? [kM]?B/s", drawn)
    assert (tmp_path / "tty" / "movie.mp4").read_bytes() == data

    raw_server.handler = lambda seen: Reply(200, [], data)
    piped = run_process("download", url, "-d", str(tmp_path / "pipe"), env=_environment())
    assert piped.returncode == 0
    assert piped.stdout == b""
    lines = piped.stderr.decode().splitlines()
    assert len(lines) == 1 and lines[0].startswith(f"apicli: saved {tmp_path / 'pipe' / 'movie.mp4'} (1.5 MB, ")
    assert "━" not in piped.stderr.decode() and "\x1b" not in piped.stderr.decode()
    quiet = run_process("download", url, "-d", str(tmp_path / "quiet"), "--quiet")
    assert (quiet.returncode, quiet.stderr) == (0, b"")


def test_ctrl_c_mid_download_exits_130_and_keeps_only_the_part(raw_server: RawServer, tmp_path: Path) -> None:
    data = payload(4_000_000, seed=12)
    raw_server.handler = lambda seen: Reply(200, [("Accept-Ranges", "bytes")], data, pace=16_384, delay=0.02)
    process = subprocess.Popen(
        [*apicli_command(), "download", raw_server.url("/slow.bin"), "-d", str(tmp_path)],
        stdin=subprocess.DEVNULL,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        env=_environment(),
    )
    part = tmp_path / "slow.bin.part"
    deadline = time.monotonic() + 10
    while time.monotonic() < deadline and not (part.exists() and part.stat().st_size > 0):
        time.sleep(0.02)
    process.send_signal(signal.SIGINT)
    stdout, stderr = process.communicate(timeout=10)
    assert process.returncode == 130
    assert stdout == b""
    # No traceback, no "saved" line: one line saying where the bytes are and how they will be used.
    # This server sends no ETag or Last-Modified, so a plain rerun could not check the part.
    assert stderr.decode() == (
        f"apicli: interrupted\nhint: the partial download is kept in {str(part)!r}; the server sent no ETag "
        "or Last-Modified, so a rerun starts over; --continue resumes it unchecked\n"
    )
    assert not (tmp_path / "slow.bin").exists()
    kept = part.read_bytes()
    assert 0 < len(kept) < len(data) and data.startswith(kept)


def test_max_time_stops_parallel_downloads_without_waiting_for_workers(
    raw_server: RawServer, run_process: Callable[..., subprocess.CompletedProcess[bytes]], tmp_path: Path
) -> None:
    data = payload(2_000_000)
    raw_server.handler = lambda seen: Reply(200, [], data, pace=8192, delay=0.05)
    started = time.monotonic()
    result = run_process(
        "download", raw_server.url("/one"), raw_server.url("/two"), "-d", str(tmp_path), "--max-time", "0.6"
    )
    assert time.monotonic() - started < 5
    assert result.returncode == 8
    assert b"--max-time of 0.6s reached" in result.stderr
    left = {p.name for p in tmp_path.iterdir()}
    assert left <= {"one.part", "one.part.meta", "two.part", "two.part.meta"}  # never a final name


@pytest.mark.parametrize(
    ("fetched", "line"),
    [
        (None, "apicli: saved out/blob.bin (2.0 MB, 1.0 MB/s)"),
        (2_000_000, "apicli: saved out/blob.bin (2.0 MB, 1.0 MB/s)"),
        # Resumed: the file's size, then what this run fetched, and the speed of this run's bytes only.
        (500_000, "apicli: saved out/blob.bin (2.0 MB, 500.0 kB this run, 250.0 kB/s)"),
    ],
)
def test_the_summary_after_a_resume_counts_only_this_runs_bytes(fetched: int | None, line: str) -> None:
    saved = Saved(Path("out/blob.bin"), "blob.bin", 2_000_000, 2.0, fetched=fetched)
    assert summary_line(saved) == line
