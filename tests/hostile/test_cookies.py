"""Hostile input to the cookie surface: what servers set, what jar files hold, what --cookie is given.

Each row runs the installed apicli against loopback servers and asserts the exit code, the
`apicli:` line, what the jar file holds afterwards (its bytes) and what the next request sends.
Where curl's behaviour is the reference, tests/process/test_cookie_jar_curl.py checks it against
curl itself with the same bytes.
"""

from __future__ import annotations

import os
import re
import socket
import stat
from collections.abc import Iterator
from pathlib import Path
from typing import NamedTuple

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from apicli.errors import UsageError
from apicli.limits import COOKIE_JAR, size_text
from apicli.transport.cookies import (
    CookieJarFile,
    CookieLine,
    OriginCookiePolicy,
    format_cookie_line,
    is_cookie_text,
    jar_lines,
    names_a_host,
    parse_cookie_flag,
)
from tests.faults import FaultServer, Reply
from tests.faults.loopback import serve
from tests.hostile.harness import assert_clean, run

HEADER = b"# Netscape HTTP Cookie File\n"
LINE = b"127.0.0.1\tFALSE\t/\tFALSE\t0\t"  # a host-only session cookie for 127.0.0.1, up to its name
INJECTED = "127.0.0.1\tFALSE\t/\tFALSE\t0\tinjected\tpwned"


def cookie_lines(jar: Path) -> list[bytes]:
    """The jar's cookie lines, as bytes: comments and blank lines left out."""
    return [line for line in jar.read_bytes().split(b"\n") if line and not line.startswith(b"# ")]


def cookie_sent(server: FaultServer, path: str) -> bytes | None:
    """The Cookie header of the last request to `path`, as the bytes that came over the wire."""
    value = server.requests_for(path)[-1].headers.get("Cookie")
    return None if value is None else value.encode("latin-1")


class OtherAddressServer(FaultServer):
    """A fault server on 127.0.0.2: another host for cookies, still on the loopback interface."""

    def __init__(self) -> None:
        super().__init__()
        self._listener.close()
        self._listener = socket.create_server(("127.0.0.2", 0))
        self._listener.settimeout(0.05)
        self.port = self._listener.getsockname()[1]

    @property
    def origin(self) -> str:
        return f"http://127.0.0.2:{self.port}"


@pytest.fixture
def other_address_server() -> Iterator[FaultServer]:
    yield from serve(OtherAddressServer())


# --- what a server sets: saved byte for byte, or not at all --------------------------------------


class SetCookieRow(NamedTuple):
    name: str
    set_cookie: str  # as http.client hands it over: one code point per byte the server sent
    saved: list[bytes]  # the jar's cookie lines afterwards
    sent: bytes | None  # the Cookie header of the next run, to the same server


SET_COOKIE_ROWS = [
    # B1: splitlines() ended a jar line at \x85, \x0c, \x1c...: the rest became a cookie for another host.
    SetCookieRow("B1 x85 then a jar line", f"a=x\x85{INJECTED}", [], None),
    SetCookieRow("B1 x0c then a jar line", f"a=x\x0c{INJECTED}", [], None),
    SetCookieRow("B1 x1c then a jar line", f"a=x\x1c{INJECTED}", [], None),
    SetCookieRow("B1 x1e then a jar line", f"a=x\x1e{INJECTED}", [], None),
    SetCookieRow("B1 x0b then a jar line", f"a=x\x0b{INJECTED}", [], None),
    SetCookieRow("x85 alone is a byte of UTF-8", "a=x\x85y", [LINE + b"a\tx\x85y"], b"a=x\x85y"),
    SetCookieRow("UTF-8 euro", "a=\xe2\x82\xac", [LINE + b"a\t\xe2\x82\xac"], b"a=\xe2\x82\xac"),
    SetCookieRow("Latin-1 bytes", "a=\xff\xfe", [LINE + b"a\t\xff\xfe"], b"a=\xff\xfe"),
    SetCookieRow("a control in the value", "a=x\x0cy", [], None),
    SetCookieRow("DEL in the value", "a=x\x7fy", [], None),
    SetCookieRow("a tab in the value", "a=x\ty", [], None),
    SetCookieRow("a control in the name", "a\x1cb=1", [], None),
    SetCookieRow("a tab in the name", "a\tb=1", [], None),
    SetCookieRow("a control at the end", "a=xy\x1c", [], None),
    SetCookieRow("a control at the start", "a=\x1cxy", [], None),
    # http.cookiejar percent-encodes a path (curl drops a cookie whose path holds a control): either way
    # the jar line holds no control character and the cookie goes to no path it was not set for.
    SetCookieRow("a tab in the path", "p=1; Path=/a\tb", [b"127.0.0.1\tFALSE\t/a%09b\tFALSE\t0\tp\t1"], None),
    SetCookieRow("a control in the path", "p=1; Path=/a\x1eb", [b"127.0.0.1\tFALSE\t/a%1Eb\tFALSE\t0\tp\t1"], None),
    # http.cookiejar strips an attribute with str.strip(), for which \x85 is whitespace.
    SetCookieRow("x85 at the end of the path", "p=1; Path=/\x85", [LINE + b"p\t1"], b"p=1"),
    # B3: a Domain attribute that is not the address itself is ignored with its cookie (RFC 6265, curl).
    SetCookieRow("B3 Domain=.0.0.1 from 127.0.0.1", "dom=1; Domain=.0.0.1", [], None),
    SetCookieRow("B3 Domain=0.0.1", "dom=1; Domain=0.0.1", [], None),
    SetCookieRow("B3 Domain=.1", "dom=1; Domain=.1", [], None),
    SetCookieRow("Domain=127.0.0.1 is host-only", "dom=1; Domain=127.0.0.1", [LINE + b"dom\t1"], b"dom=1"),
    SetCookieRow("Domain=.127.0.0.1 is host-only", "dom=1; Domain=.127.0.0.1", [LINE + b"dom\t1"], b"dom=1"),
]


@pytest.mark.parametrize("row", SET_COOKIE_ROWS, ids=[row.name for row in SET_COOKIE_ROWS])
def test_what_a_server_sets_is_saved_byte_for_byte_or_not_at_all(
    row: SetCookieRow, fault_server: FaultServer, tmp_path: Path
) -> None:
    fault_server.script("/set", Reply(200, [("Set-Cookie", row.set_cookie)], "ok"))
    fault_server.script("/next", Reply(200, [], "ok"))
    jar = tmp_path / "jar.txt"

    setting = run(["get", fault_server.url("/set"), "--cookie-jar", str(jar)])
    sending = run(["get", fault_server.url("/next"), "--cookie-jar", str(jar)])

    assert_clean(setting, 0)
    assert_clean(sending, 0)
    assert cookie_lines(jar) == row.saved
    assert cookie_sent(fault_server, "/next") == row.sent


def test_b3_a_cookie_from_one_address_never_reaches_another(
    fault_server: FaultServer, other_address_server: FaultServer, tmp_path: Path
) -> None:
    fault_server.script("/set", Reply(200, [("Set-Cookie", "wide=1; Domain=.0.0.1"), ("Set-Cookie", "own=1")], "ok"))
    other_address_server.script("/x", Reply(200, [], "ok"))
    jar = tmp_path / "jar.txt"
    # A jar line left by an older run: a domain cookie for .0.0.1, which only an address could match.
    # It is no cookie: not sent, and not saved back.
    jar.write_bytes(HEADER + b".0.0.1\tTRUE\t/\tFALSE\t0\tstale\t1\n")

    setting = run(["get", fault_server.url("/set"), "--cookie-jar", str(jar)])
    elsewhere = run(["get", other_address_server.url("/x"), "--cookie-jar", str(jar)])

    assert_clean(setting, 0)
    assert_clean(elsewhere, 0)
    assert cookie_sent(fault_server, "/set") is None
    assert cookie_sent(other_address_server, "/x") is None
    assert cookie_lines(jar) == [LINE + b"own\t1"]


# --- what a jar file holds -----------------------------------------------------------------------


class JarRow(NamedTuple):
    name: str
    lines: bytes  # after the file's header line
    sent: bytes | None  # the Cookie header sent to 127.0.0.1


JAR_ROWS = [
    # B2: bytes that are not Latin-1 text once decoded as UTF-8 were an internal UnicodeEncodeError.
    JarRow("B2 UTF-8 euro", LINE + b"v\t\xe2\x82\xac\n", b"v=\xe2\x82\xac"),
    JarRow("B2 bytes ff fe", LINE + b"v\t\xff\xfe\n", b"v=\xff\xfe"),
    JarRow("x85 inside a value does not end the line", LINE + b"a\tx\x85" + INJECTED.encode() + b"\n", None),
    JarRow("x85 inside a value, no tab after it", LINE + b"a\tx\x85y\n", b"a=x\x85y"),
    JarRow("x1c inside a value does not end the line", LINE + b"a\tx\x1cy\n" + LINE + b"b\t2\n", b"b=2"),
    JarRow("a control in a name", LINE + b"a\x0cb\t1\n" + LINE + b"b\t2\n", b"b=2"),
    JarRow("DEL in a value", LINE + b"a\tx\x7fy\n", None),
    JarRow("CR inside a value", LINE + b"a\tx\ry\n" + LINE + b"b\t2\n", b"b=2"),
    JarRow("CRLF line ends", LINE + b"a\t1\r\n" + LINE + b"b\t2\r\n", b"a=1; b=2"),
    JarRow("a tab too many", LINE + b"a\tx\ty\n", None),
    # B3 from the file's side: http.cookiejar would send these to 127.0.0.1 and 10.0.0.1 alike; curl does not.
    JarRow("a domain cookie for .0.0.1", b".0.0.1\tTRUE\t/\tFALSE\t0\tdom\t1\n", None),
    JarRow("a host-only cookie for 0.0.1", b"0.0.1\tFALSE\t/\tFALSE\t0\tdom\t1\n", None),
    JarRow("a domain cookie for .1", b".1\tTRUE\t/\tFALSE\t0\tdom\t1\n", None),
    JarRow("a domain cookie for the address itself", b"127.0.0.1\tTRUE\t/\tFALSE\t0\tdom\t1\n", b"dom=1"),
    JarRow("NUL bytes", b"\x00" * 4096 + b"\n" + LINE + b"b\t2\n", b"b=2"),
    JarRow("not a cookie file", b"\x89PNG\r\n\x1a\n" + bytes(range(256)) * 64, None),
]


@pytest.mark.parametrize("row", JAR_ROWS, ids=[row.name for row in JAR_ROWS])
def test_a_jar_lines_bytes_are_what_is_sent(row: JarRow, fault_server: FaultServer, tmp_path: Path) -> None:
    fault_server.script("/x", Reply(200, [], "ok"))
    jar = tmp_path / "jar.txt"
    jar.write_bytes(HEADER + row.lines)

    outcome = run(["get", fault_server.url("/x"), "--cookie-jar", str(jar)])

    assert_clean(outcome, 0)
    assert cookie_sent(fault_server, "/x") == row.sent
    # What is saved back holds no line a later run (or curl) could split differently.
    assert not any(re.search(rb"[\x00-\x08\x0a-\x1f\x7f]", line) for line in cookie_lines(jar))


class LocalJarRow(NamedTuple):
    name: str
    make: str  # what the --cookie-jar path is: see make_jar
    stderr_has: list[str]


LOCAL_JAR_ROWS = [
    # A FIFO blocked forever; a device never ended: refused before anything is sent, like --token-file.
    LocalJarRow("a FIFO", "fifo", ["apicli: --cookie-jar: cannot read", "it is a FIFO, not a regular file"]),
    LocalJarRow("/dev/zero", "/dev/zero", ["apicli: --cookie-jar: cannot read", "it is a device"]),
    LocalJarRow("/dev/urandom", "/dev/urandom", ["apicli: --cookie-jar: cannot read", "it is a device"]),
    LocalJarRow("past the limit", "huge", ["apicli: --cookie-jar: ", f"is larger than {size_text(COOKIE_JAR.bytes)}"]),
    LocalJarRow("a directory", "directory", ["apicli: --cookie-jar: ", "is a directory"]),
    LocalJarRow("unreadable", "unreadable", ["apicli: --cookie-jar: cannot read"]),
]


def make_jar(kind: str, tmp_path: Path) -> Path:
    if kind.startswith("/dev/"):
        return Path(kind)
    path = tmp_path / "jar"
    if kind == "fifo":
        os.mkfifo(path)
    elif kind == "huge":
        with path.open("wb") as stream:  # sparse: the limit and one byte, of which nothing is a cookie
            stream.truncate(COOKIE_JAR.bytes + 1)
    elif kind == "directory":
        path.mkdir()
    elif kind == "unreadable":
        path.write_bytes(HEADER)
        path.chmod(0)
        if os.access(path, os.R_OK):
            pytest.skip("running as a user who reads any file")
    return path


@pytest.mark.parametrize("row", LOCAL_JAR_ROWS, ids=[row.name for row in LOCAL_JAR_ROWS])
def test_a_jar_that_is_not_a_readable_regular_file_is_refused(
    row: LocalJarRow, fault_server: FaultServer, tmp_path: Path
) -> None:
    jar = make_jar(row.make, tmp_path)

    outcome = run(["get", fault_server.url("/x"), "--cookie-jar", str(jar)], timeout=20)

    assert_clean(outcome, 2, stderr_has=row.stderr_has, bounded=True)
    assert fault_server.requests == []


def test_b4_a_jar_filled_to_its_limit_loads_in_linear_time_and_bounded_memory(
    fault_server: FaultServer, tmp_path: Path
) -> None:
    # Before: every cookie re-sorted the redactor's whole list (10k lines 1.3 s, 40k 17.8 s).
    fault_server.script("/x", Reply(200, [], "ok"))
    jar = tmp_path / "jar.txt"
    lines = [HEADER]
    size, count = len(HEADER), 0
    while True:
        line = b"h%d.example.com\tFALSE\t/\tFALSE\t0\tc%d\tsecret-value-%010d\n" % (count, count, count)
        if size + len(line) > COOKIE_JAR.bytes:
            break
        lines.append(line)
        size += len(line)
        count += 1
    jar.write_bytes(b"".join(lines))

    outcome = run(["get", fault_server.url("/x"), "--cookie-jar", str(jar)], timeout=90)

    assert_clean(outcome, 0, bounded=True)
    assert count > 15_000
    assert cookie_sent(fault_server, "/x") is None
    assert len(cookie_lines(jar)) == count


def test_a_jar_that_is_a_symlink_is_written_through(fault_server: FaultServer, tmp_path: Path) -> None:
    fault_server.script("/x", Reply(200, [("Set-Cookie", "b=2")], "ok"))
    (tmp_path / "real").mkdir()
    target = tmp_path / "real" / "jar.txt"
    target.write_bytes(HEADER + LINE + b"a\t1\n")
    link = tmp_path / "jar.txt"
    link.symlink_to(Path("real") / "jar.txt")

    outcome = run(["get", fault_server.url("/x"), "--cookie-jar", str(link)])

    assert_clean(outcome, 0)
    assert cookie_sent(fault_server, "/x") == b"a=1"
    assert link.is_symlink() and os.readlink(link) == str(Path("real") / "jar.txt")
    assert sorted(cookie_lines(target)) == [LINE + b"a\t1", LINE + b"b\t2"]
    assert stat.S_IMODE(target.stat().st_mode) == 0o600
    # The temporary file was made in the target's directory and renamed there: nothing left behind.
    assert sorted(p.name for p in tmp_path.iterdir()) == ["jar.txt", "real"]
    assert sorted(p.name for p in (tmp_path / "real").iterdir()) == ["jar.txt"]


def test_a_dangling_symlink_jar_creates_its_target(fault_server: FaultServer, tmp_path: Path) -> None:
    fault_server.script("/x", Reply(200, [("Set-Cookie", "b=2")], "ok"))
    link = tmp_path / "jar.txt"
    link.symlink_to("target.txt")

    outcome = run(["get", fault_server.url("/x"), "--cookie-jar", str(link)])

    assert_clean(outcome, 0)
    assert link.is_symlink() and cookie_lines(tmp_path / "target.txt") == [LINE + b"b\t2"]


# --- what --cookie is given ----------------------------------------------------------------------


class CookieFlagRow(NamedTuple):
    name: str
    value: str  # as the command line hands it over (undecodable bytes as surrogate escapes)
    code: int
    sent: bytes | None
    stderr_has: str


COOKIE_FLAG_ROWS = [
    # B2: a typed euro was an internal UnicodeEncodeError; it is sent as its UTF-8 bytes, as curl does.
    CookieFlagRow("B2 euro", "v=€", 0, b"v=\xe2\x82\xac", ""),
    CookieFlagRow("B2 undecodable bytes", os.fsdecode(b"v=\xff\xfe"), 0, b"v=\xff\xfe", ""),
    CookieFlagRow("a control character", "v=se\x01cret", 2, None, "apicli: invalid --cookie 'v'"),
    CookieFlagRow("a tab", "v=se\tcret", 2, None, "apicli: invalid --cookie 'v'"),
    CookieFlagRow("DEL", "v=se\x7fcret", 2, None, "apicli: invalid --cookie 'v'"),
    CookieFlagRow("a second cookie", "v=1; injected=pwned", 2, None, "apicli: invalid --cookie 'v'"),
    CookieFlagRow("x85", "v=a\x85b", 0, b"v=a\xc2\x85b", ""),
]


@pytest.mark.parametrize("row", COOKIE_FLAG_ROWS, ids=[row.name for row in COOKIE_FLAG_ROWS])
def test_a_cookie_flag_is_sent_as_its_utf8_bytes_or_refused(
    row: CookieFlagRow, fault_server: FaultServer, tmp_path: Path
) -> None:
    fault_server.script("/x", Reply(200, [], "ok"))

    outcome = run(["get", fault_server.url("/x"), "--cookie", row.value])

    assert_clean(outcome, row.code, stderr_has=row.stderr_has)
    if row.code:
        assert fault_server.requests == []
        assert "cret" not in outcome.stderr and "pwned" not in outcome.stderr  # the value is never echoed
    else:
        assert cookie_sent(fault_server, "/x") == row.sent


# --- the parsers, for any input ------------------------------------------------------------------

cookie_text = st.text(st.characters(min_codepoint=0x20, max_codepoint=0xFF).filter(lambda c: c != "\x7f"))
field = st.text(st.characters(min_codepoint=0, max_codepoint=0xFF))


@given(st.binary(max_size=2000))
def test_any_jar_bytes_load_as_cookies_without_controls(data: bytes) -> None:
    lines = jar_lines(data)
    assert len(lines) <= data.count(b"\n") + 1
    for line in lines:
        assert all(is_cookie_text(text) for text in (line.domain, line.path, line.name, line.value))
        text = format_cookie_line(line)
        assert text is not None and "\n" not in text
        assert jar_lines(text.encode("latin-1")) == [line]


@given(
    st.builds(
        CookieLine,
        domain=field.filter(bool),
        include_subdomains=st.booleans(),
        path=field.map(lambda p: "/" + p),
        secure=st.booleans(),
        expires=st.integers(0, 10**12 - 1),
        name=field,
        value=field,
        http_only=st.booleans(),
    )
)
def test_a_cookie_is_written_as_one_line_that_reads_back_as_itself_or_not_at_all(line: CookieLine) -> None:
    text = format_cookie_line(line)
    fields = (line.domain, line.path, line.name, line.value)
    if text is None:  # a line curl would read as a comment, or one no line can hold
        assert line.domain.startswith("#") or not names_a_host(line.domain) or not all(map(is_cookie_text, fields))
        return
    assert "\n" not in text and "\r" not in text
    assert jar_lines(text.encode("latin-1") + b"\n") == [line]


@given(st.text(st.characters(min_codepoint=0, max_codepoint=0x10FFFF)))
def test_a_cookie_flag_is_refused_or_sendable(text: str) -> None:
    try:
        name, value = parse_cookie_flag(text)
    except UsageError:
        return
    sent = value.encode("latin-1")  # http.client sends a header as Latin-1: it must not fail
    assert is_cookie_text(value) and b";" not in sent
    assert name and "=" not in name


class _Headers:
    def __init__(self, values: list[str]) -> None:
        self.values = values

    def get_all(self, name: str, default: list[str]) -> list[str]:
        return self.values if name.lower() == "set-cookie" else default


class _Response:
    """What http.cookiejar reads from a response: its Set-Cookie values."""

    def __init__(self, values: list[str]) -> None:
        self.headers = _Headers(values)

    def info(self) -> _Headers:
        return self.headers


@settings(max_examples=200, deadline=None)
@given(st.lists(st.text(st.characters(min_codepoint=0x01, max_codepoint=0xFF), max_size=60), max_size=4))
def test_a_saved_jar_reads_back_as_the_cookies_the_server_set(
    tmp_path_factory: pytest.TempPathFactory, values: list[str]
) -> None:
    from urllib.request import Request

    path = tmp_path_factory.mktemp("jar") / "jar.txt"
    jar = CookieJarFile(path, OriginCookiePolicy())
    jar.extract_cookies(_Response(values), Request("http://127.0.0.1:8080/"))  # type: ignore[arg-type]
    jar.save_file()
    stored = sorted((c.domain, c.path, c.name, c.value or "") for c in jar)  # "Set-Cookie: a" has no value

    reloaded = CookieJarFile(path)
    reloaded.load_file()

    # One line per cookie: nothing a value held became a line of its own, or a cookie for another host.
    assert len(cookie_lines(path)) == len(stored)
    assert sorted((c.domain, c.path, c.name, c.value) for c in reloaded) == stored
    assert all(c.domain == "127.0.0.1" for c in reloaded)
