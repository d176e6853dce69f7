"""Hostile local files given to flags: each one read through a bounded reader, refused in one clean line.

Every surface that reads a local file (--schema, `:=@file` and `=@file` items, -w @file,
--input-file, a download's .part.meta, the config file) meets the same kinds of hostile input:
/dev/zero, a FIFO with a writer that never stops, a huge sparse file, deeply nested JSON,
invalid UTF-8, control bytes, and a name that is not ASCII. The unbounded kinds assert apicli's
memory stays under the harness's cap.
"""

from __future__ import annotations

import errno
import os
import threading
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from apicli.errors import UsageError
from apicli.filters.schema import load_schema
from apicli.limits import INPUT_FILE
from tests.faults import FaultServer, RangeFile, json_reply
from tests.hostile.harness import assert_clean, run

HUGE = 3 << 30  # a sparse file: no disk used, but far past every limit
DEEP = 200_000
CONTROL = b'{"a": "\x1b[31mred\x1b]0;title\x07\x9b"}'
BAD_UTF8 = b'{"a": "caf\xe9 \xff\xfe"}'
NON_ASCII = "données-ü"


class EndlessWriter:
    """Writes `pattern` into a FIFO until the reader goes away, a budget runs out, or the test ends."""

    def __init__(self, path: Path, pattern: bytes, budget: int = 1 << 31) -> None:
        self.path = path
        self.pattern = pattern * max(1, 65536 // len(pattern))
        self.budget = budget
        self.stop = threading.Event()
        self.thread = threading.Thread(target=self._write, daemon=True)
        os.mkfifo(path)
        self.thread.start()

    def _write(self) -> None:
        fd = -1
        while fd < 0 and not self.stop.wait(0.01):
            try:  # non-blocking: ENXIO until a reader opens the FIFO, so the writer never hangs
                fd = os.open(self.path, os.O_WRONLY | os.O_NONBLOCK)
            except OSError as exc:
                if exc.errno != errno.ENXIO:
                    return
        if fd < 0:
            return
        os.set_blocking(fd, True)
        written = 0
        try:
            while written < self.budget and not self.stop.is_set():
                written += os.write(fd, self.pattern)
        except OSError:
            pass  # the reader closed it: what a bounded reader does
        finally:
            os.close(fd)

    def close(self) -> None:
        self.stop.set()
        self.thread.join(timeout=5)


@pytest.fixture
def fifos() -> Iterator[list[EndlessWriter]]:
    writers: list[EndlessWriter] = []
    yield writers
    for writer in writers:
        writer.close()


@dataclass
class Place:
    """Where a row's hostile input lives and what the test needs to build the command."""

    tmp: Path
    fifos: list[EndlessWriter]
    server: FaultServer

    def put(self, path: Path, kind: str, *, deep: bytes = b"[" * DEEP + b"]" * DEEP) -> Path:
        """Make `path` the hostile input of `kind`; returns the path to give the flag."""
        path.parent.mkdir(parents=True, exist_ok=True)
        if kind == "dev_zero":
            path.symlink_to("/dev/zero")
        elif kind == "fifo":
            self.fifos.append(EndlessWriter(path, b"[" if deep.startswith(b"[") else deep[:1]))
        elif kind == "huge":
            with path.open("wb") as sparse:
                sparse.truncate(HUGE)
        elif kind == "deep":
            path.write_bytes(deep)
        elif kind == "deep_subschemas":  # within the JSON depth limit, past what a recursive walk survives
            path.write_bytes(b'{"items": ' * 1000 + b"{}" + b"}" * 1000)
        elif kind == "bad_utf8":
            path.write_bytes(BAD_UTF8)
        elif kind == "control":
            path.write_bytes(CONTROL)
        else:
            raise AssertionError(kind)
        return path


UNBOUNDED = ("dev_zero", "fifo", "huge")


def _env(tmp: Path) -> dict[str, str]:
    return {"XDG_CONFIG_HOME": str(tmp / "xdg"), "HOME": str(tmp), "APICLI_CACHE_DIR": str(tmp / "cache")}


# --- --schema FILE --------------------------------------------------------------------------------

SCHEMA_ROWS = [
    ("dev_zero", 2, "is larger than 16 MiB"),
    ("fifo", 2, "is larger than 16 MiB"),
    ("huge", 2, "is larger than 16 MiB"),
    ("deep", 2, "nested deeper than 1024 levels"),
    ("deep_subschemas", 2, "nests its subschemas too deeply"),
    ("bad_utf8", 2, "is not valid JSON"),
    ("control", 2, "is not valid JSON"),
]


@pytest.mark.parametrize(("kind", "code", "message"), SCHEMA_ROWS, ids=[row[0] for row in SCHEMA_ROWS])
def test_schema_file(
    fault_server: FaultServer, fifos: list[EndlessWriter], tmp_path: Path, kind: str, code: int, message: str
) -> None:
    fault_server.script("/", json_reply({}))
    path = Place(tmp_path, fifos, fault_server).put(tmp_path / "schema.json", kind)
    outcome = run(["get", fault_server.url("/"), "--schema", str(path)], env=_env(tmp_path))
    assert_clean(outcome, code, stderr_has=message, bounded=kind in UNBOUNDED)
    assert fault_server.requests == []  # refused before sending


def test_schema_from_dev_zero_itself(fault_server: FaultServer, tmp_path: Path) -> None:
    outcome = run(["get", fault_server.url("/"), "--schema", "/dev/zero"], env=_env(tmp_path))
    assert_clean(outcome, 2, stderr_has="the --schema file '/dev/zero' is larger than 16 MiB", bounded=True)


# --- request items: field:=@FILE (JSON) and field=@FILE (text) ---------------------------------------

ITEM_ROWS = [
    (":=@", "dev_zero", 2, "is larger than 48 MiB"),
    (":=@", "fifo", 2, "is larger than 48 MiB"),
    (":=@", "huge", 2, "is larger than 48 MiB"),
    (":=@", "deep", 2, "nested"),
    (":=@", "bad_utf8", 2, "apicli: "),
    (":=@", "control", 2, "invalid JSON"),
    ("=@", "dev_zero", 2, "is larger than 48 MiB"),
    ("=@", "bad_utf8", 2, "UTF-8"),
]


@pytest.mark.parametrize(("separator", "kind", "code", "message"), ITEM_ROWS, ids=[f"{r[0]}{r[1]}" for r in ITEM_ROWS])
def test_item_file(
    fault_server: FaultServer,
    fifos: list[EndlessWriter],
    tmp_path: Path,
    separator: str,
    kind: str,
    code: int,
    message: str,
) -> None:
    fault_server.script("/", json_reply({}))
    path = Place(tmp_path, fifos, fault_server).put(tmp_path / "item.json", kind)
    outcome = run(["post", fault_server.url("/"), f"field{separator}{path}"], env=_env(tmp_path))
    assert_clean(outcome, code, stderr_has=message, bounded=kind in UNBOUNDED)
    assert fault_server.requests == []


# --- -w @FILE --------------------------------------------------------------------------------------

WRITE_OUT_ROWS = [
    ("dev_zero", 2, "is larger than 64 KiB"),
    ("fifo", 2, "is larger than 64 KiB"),
    ("huge", 2, "is larger than 64 KiB"),
]


@pytest.mark.parametrize(("kind", "code", "message"), WRITE_OUT_ROWS, ids=[row[0] for row in WRITE_OUT_ROWS])
def test_write_out_file(
    fault_server: FaultServer, fifos: list[EndlessWriter], tmp_path: Path, kind: str, code: int, message: str
) -> None:
    fault_server.script("/", json_reply({}))
    path = Place(tmp_path, fifos, fault_server).put(tmp_path / "format.txt", kind)
    outcome = run(["get", fault_server.url("/"), "-w", f"@{path}"], env=_env(tmp_path))
    assert_clean(outcome, code, stderr_has=message, bounded=True)


def test_write_out_file_with_control_bytes_never_reaches_the_terminal_raw(
    fault_server: FaultServer, tmp_path: Path
) -> None:
    fault_server.script("/", json_reply({}))
    (tmp_path / "format.txt").write_bytes(b"\x1b[31m%{http_code}\x07\n")
    outcome = run(["get", fault_server.url("/"), "-w", f"@{tmp_path / 'format.txt'}"], env=_env(tmp_path))
    assert outcome.code == 0, outcome.describe()
    assert "\x1b" not in outcome.stderr


# --- --input-file FILE -----------------------------------------------------------------------------

INPUT_ROWS = [
    ("dev_zero", 2, "line 1 of --input-file"),
    ("fifo", 2, "line 1 of --input-file"),
    ("huge", 2, "line 1 of --input-file"),
    ("deep", 2, "line 1 of --input-file"),
    ("bad_utf8", 2, "line 1 of --input-file"),
    ("control", 2, "apicli: "),
]


@pytest.mark.parametrize(("kind", "code", "message"), INPUT_ROWS, ids=[row[0] for row in INPUT_ROWS])
def test_input_file(
    fault_server: FaultServer, fifos: list[EndlessWriter], tmp_path: Path, kind: str, code: int, message: str
) -> None:
    fault_server.script("/", json_reply({}))
    path = Place(tmp_path, fifos, fault_server).put(tmp_path / "urls.txt", kind)
    outcome = run(["download", "-d", str(tmp_path / "out"), "--input-file", str(path)], env=_env(tmp_path))
    assert_clean(outcome, code, stderr_has=message, bounded=kind in UNBOUNDED)
    assert fault_server.requests == []


def test_input_file_with_a_long_line_after_good_ones_names_its_line(fault_server: FaultServer, tmp_path: Path) -> None:
    fault_server.script("/a", json_reply({}))
    urls = tmp_path / "urls.txt"
    urls.write_bytes(f"# list\n{fault_server.url('/a')}\n\n".encode() + b"x" * (1 << 20) + b"\n")
    outcome = run(["download", "-d", str(tmp_path / "out"), "--input-file", str(urls)], env=_env(tmp_path))
    assert_clean(outcome, 2, stderr_has="line 4 of --input-file", bounded=True)


def test_input_file_endless_lines_on_stdin_are_bounded(fault_server: FaultServer, tmp_path: Path) -> None:
    fault_server.script("/", json_reply({}))
    outcome = run(
        ["download", "-d", str(tmp_path / "out"), "--input-file", "-"], env=_env(tmp_path), stdin=b"y" * (8 << 20)
    )
    assert_clean(outcome, 2, stderr_has="line 1 of --input-file", bounded=True)


def test_input_file_of_endless_valid_urls_is_refused_at_its_limit_before_any_download(
    fault_server: FaultServer, tmp_path: Path
) -> None:
    fault_server.script("/f", json_reply({}))
    urls = fault_server.url("/f").encode() + b"\n"
    outcome = run(
        ["download", "-d", str(tmp_path / "out"), "--input-file", "-"],
        env=_env(tmp_path),
        stdin=urls * (2 * INPUT_FILE.bytes // len(urls)),
    )
    assert_clean(outcome, 2, stderr_has="the --input-file list is larger than 1 MiB (standard input)", bounded=True)
    assert fault_server.requests == []


# --- a download's .part.meta ---------------------------------------------------------------------

PAYLOAD = bytes(range(256)) * 64


@pytest.mark.parametrize("kind", ["dev_zero", "fifo", "huge", "deep", "bad_utf8", "control"])
def test_damaged_part_meta_counts_as_absent(
    fault_server: FaultServer, fifos: list[EndlessWriter], tmp_path: Path, kind: str
) -> None:
    fault_server.script("/file.bin", RangeFile(PAYLOAD, etag='"v1"'))
    target = tmp_path / "file.bin"
    (tmp_path / "file.bin.part").write_bytes(b"stale bytes of another version")
    deep = b'{"url_key": ' + b"[" * DEEP + b"]" * DEEP + b"}"
    Place(tmp_path, fifos, fault_server).put(tmp_path / "file.bin.part.meta", kind, deep=deep)
    outcome = run(["download", "--continue", "-o", str(target), fault_server.url("/file.bin")], env=_env(tmp_path))
    assert_clean(outcome, 0, stderr_has="file.bin.part.meta", bounded=kind in UNBOUNDED)
    assert target.read_bytes() == PAYLOAD
    assert "Range" not in fault_server.requests[0].headers  # started from zero: nothing spliced


# --- the config file -----------------------------------------------------------------------------

CONFIG_ROWS = [
    ("dev_zero", 2, "config"),
    ("fifo", 2, "config"),
    ("huge", 2, "larger than 1 MiB"),
    ("deep", 2, "config"),
    ("bad_utf8", 2, "config"),
    ("control", 2, "config"),
]


@pytest.mark.parametrize(("kind", "code", "message"), CONFIG_ROWS, ids=[row[0] for row in CONFIG_ROWS])
def test_config_file(
    fault_server: FaultServer, fifos: list[EndlessWriter], tmp_path: Path, kind: str, code: int, message: str
) -> None:
    fault_server.script("/", json_reply({}))
    path = tmp_path / "xdg" / "apicli" / "config.toml"
    deep = b"a = " + b"[" * DEEP + b"]" * DEEP + b"\n"
    Place(tmp_path, fifos, fault_server).put(path, kind, deep=deep)
    if path.is_file() and not path.is_symlink():
        path.chmod(0o600)
    outcome = run(["get", fault_server.url("/")], env=_env(tmp_path))
    assert_clean(outcome, code, stderr_has=message, bounded=kind in UNBOUNDED)


# --- names that are not ASCII --------------------------------------------------------------------

NameCase = Callable[[Path, FaultServer], list[str]]


def _schema_case(tmp: Path, server: FaultServer) -> list[str]:
    (tmp / f"{NON_ASCII}.json").write_text('{"type": "object"}')
    return ["get", server.url("/"), "--schema", str(tmp / f"{NON_ASCII}.json")]


def _item_case(tmp: Path, server: FaultServer) -> list[str]:
    (tmp / f"{NON_ASCII}.json").write_text('{"ok": true}')
    return ["post", server.url("/"), f"field:=@{tmp / f'{NON_ASCII}.json'}"]


def _write_out_case(tmp: Path, server: FaultServer) -> list[str]:
    (tmp / f"{NON_ASCII}.txt").write_text("%{http_code}\n")
    return ["get", server.url("/"), "-w", f"@{tmp / f'{NON_ASCII}.txt'}"]


def _input_file_case(tmp: Path, server: FaultServer) -> list[str]:
    (tmp / f"{NON_ASCII}.txt").write_text(f"{server.url('/')}\tsaved-ü.json\n")
    return ["download", "-d", str(tmp / "out"), "--input-file", str(tmp / f"{NON_ASCII}.txt")]


NAME_ROWS: list[tuple[str, NameCase]] = [
    ("schema", _schema_case),
    ("item", _item_case),
    ("write_out", _write_out_case),
    ("input_file", _input_file_case),
]


@pytest.mark.parametrize(("surface", "case"), NAME_ROWS, ids=[row[0] for row in NAME_ROWS])
def test_a_name_that_is_not_ascii_is_just_a_name(
    fault_server: FaultServer, tmp_path: Path, surface: str, case: NameCase
) -> None:
    fault_server.script("/", json_reply({}))
    outcome = run(case(tmp_path, fault_server), env=_env(tmp_path))
    assert_clean(outcome, 0)


@pytest.mark.parametrize("kind", ["missing", "directory"])
def test_a_name_that_is_not_ascii_is_shown_in_a_refusal(fault_server: FaultServer, tmp_path: Path, kind: str) -> None:
    path = tmp_path / f"{NON_ASCII}.json"
    if kind == "directory":
        path.mkdir()
    outcome = run(["get", fault_server.url("/"), "--schema", str(path)], env=_env(tmp_path))
    assert_clean(outcome, 2, stderr_has=NON_ASCII)


# --- the schema file's reader, in process ----------------------------------------------------------


@settings(max_examples=150, deadline=None)
@given(st.one_of(st.binary(max_size=200), st.integers(0, 3000).map(lambda depth: b"[" * depth + b"]" * depth)))
def test_a_schema_file_is_a_schema_or_one_usage_error(tmp_path_factory: pytest.TempPathFactory, data: bytes) -> None:
    path = tmp_path_factory.mktemp("schema") / "schema.json"
    path.write_bytes(data)
    try:
        load_schema(path)
    except UsageError as exc:
        assert exc.message.startswith("--schema")
        assert exc.message.isprintable()
