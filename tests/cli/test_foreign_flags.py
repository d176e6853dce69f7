"""Flags from curl, HTTPie and xh get the apicli way in the usage error; exact synonyms are accepted."""

from __future__ import annotations

import re
import socket
import string
import threading
from collections.abc import Iterator

import pytest
import typer
from hypothesis import given
from hypothesis import strategies as st

from apicli.cli.application import load_commands
from apicli.commands.foreign_flags import (
    FOREIGN_FLAGS,
    OTHER_METHODS,
    VERBS,
    cluster_lines,
    command_for,
    read_cluster,
    unknown_command_lines,
)
from apicli.errors import ExitCode
from tests.conftest import Invoke

NOWHERE = "http://127.0.0.1:9/"  # discard port: a request that got sent would fail with exit 7, not 2

# (what the user typed after the URL, the two stderr lines) for the flags the issue names.
ROWS = [
    (
        ["--session", "s"],
        "--session (a flag of HTTPie and xh)",
        "apicli has no sessions; a profile (-P NAME) keeps a base URL, headers and credentials: apicli help config",
    ),
    (
        ["--session-read-only", "s"],
        "--session-read-only (a flag of HTTPie and xh)",
        "apicli has no sessions; a profile (-P NAME) keeps a base URL, headers and credentials: apicli help config",
    ),
    (
        ["--fail"],
        "--fail (a flag of curl)",
        "apicli does this by default: a 4xx exits 4, a 5xx exits 5 "
        "(--ignore-status turns it off); the error body is shown on stderr",
    ),
    (
        ["-L"],
        "-L (a flag of curl)",
        "apicli follows redirects by default (--no-follow stops, --max-redirects N limits)",
    ),
    (
        ["--location"],
        "--location (a flag of curl)",
        "apicli follows redirects by default (--no-follow stops, --max-redirects N limits)",
    ),
    (
        ["--follow"],
        "--follow (a flag of HTTPie and xh)",
        "apicli follows redirects by default (--no-follow stops, --max-redirects N limits)",
    ),
    (["-X", "POST"], "-X (a flag of curl)", "the method is the command: apicli post URL, or apicli request METHOD URL"),
    (
        ["-d", "a=1"],
        "-d (a flag of curl, and of HTTPie and xh)",
        "-d in curl: --data TEXT|@FILE, or field=value items "
        "for JSON; -d in HTTPie and xh: apicli download URL (-d is an option of apicli download)",
    ),
    (
        ["-b", "k=v"],
        "-b (a flag of curl, and of HTTPie and xh)",
        "-b in curl: --cookie NAME=VALUE sends a cookie; --cookie-jar FILE reads (and saves) a jar; "
        "-b in HTTPie and xh: apicli prints only the body by default",
    ),
    (
        ["-c", "jar"],
        "-c (a flag of curl, and of HTTPie and xh, and of jq)",
        "-c in curl: --cookie-jar FILE saves the cookies in curl's format (and reads them first); "
        "-c in HTTPie and xh: apicli download --continue resumes a partial download; "
        "-c in jq: --jq output is compact when piped already; --raw keeps it compact on a terminal too",
    ),
    (
        ["--check-status"],
        "--check-status (a flag of HTTPie and xh)",
        "apicli does this by default: a 4xx exits 4, a 5xx exits 5 (--ignore-status turns it off)",
    ),
    (
        ["--ignore-stdin"],
        "--ignore-stdin (a flag of HTTPie and xh)",
        "apicli reads stdin only when an item or flag says @-",
    ),
    (
        ["-F", "f=v"],
        "-F (a flag of curl, and of HTTPie and xh)",
        "-F in curl: multipart fields are items with --form: "
        "field=value, field@file; -F in HTTPie and xh: apicli follows redirects by default (--no-follow stops, "
        "--max-redirects N limits)",
    ),
    (
        ["--print=hb"],
        "--print (a flag of HTTPie and xh)",
        "the body goes to stdout; -i adds the response head on stderr, -v the request too",
    ),
    (["--compressed"], "--compressed (a flag of curl)", "apicli asks for compression and decodes it by default"),
    (["--user-agent", "ua"], "--user-agent (a flag of curl)", "a header item: User-Agent:'name/1.0'"),
    (
        ["--retry", "3"],
        "--retry (a flag of curl)",
        "--retries N (connection errors, timeouts, 429 and 5xx are retried)",
    ),
]


@pytest.mark.parametrize(("typed", "origin", "hint"), ROWS, ids=[" ".join(row[0]) for row in ROWS])
def test_a_flag_from_another_tool_gets_the_apicli_way(invoke: Invoke, typed: list[str], origin: str, hint: str) -> None:
    result = invoke("get", NOWHERE, *typed)
    assert (result.code, result.stdout) == (ExitCode.USAGE, b"")
    assert result.stderr.splitlines() == [f"apicli: no such option: {origin}", f"hint: {hint}"]


FOLLOW = "apicli follows redirects by default (--no-follow stops, --max-redirects N limits)"

# (the cluster as typed after the URL, the two stderr lines): every letter named at once.
CLUSTERS = [
    (
        ["-sL"],
        "apicli: no such option in -sL: -L is a flag of curl; -s (--quiet) is apicli's own",
        f"hint: -L: {FOLLOW}. apicli's part of -sL is -s.",
    ),
    (
        ["-fsSL"],
        "apicli: no such options in -fsSL: -f, -S and -L are flags of curl; -s (--quiet) is apicli's own",
        "hint: -f: apicli does this by default: a 4xx exits 4, a 5xx exits 5 (--ignore-status turns it off); "
        "the error body is shown on stderr. -S: apicli always shows errors; -s/--quiet silences everything else. "
        f"-L: {FOLLOW}. apicli's part of -fsSL is -s.",
    ),
    (
        ["-Lv"],
        "apicli: no such option in -Lv: -L is a flag of curl; -v (--verbose) is apicli's own",
        f"hint: -L: {FOLLOW}. apicli's part of -Lv is -v.",
    ),
    (
        ["-IL"],
        "apicli: no such options in -IL: -I and -L are flags of curl",
        f"hint: -I: apicli head URL prints the status line and headers. -L: {FOLLOW}.",
    ),
    (
        ["-XPOST"],
        "apicli: no such option in -XPOST: -X is a flag of curl",
        "hint: -X: the method is the command: apicli post URL, or apicli request METHOD URL.",
    ),
    (
        ["-dname=ann"],
        "apicli: no such option in -dname=ann: -d is a flag of curl",
        "hint: -d: --data TEXT|@FILE, or field=value items for JSON.",
    ),
    (
        ["-bj"],
        "apicli: no such options in -bj: -b and -j are flags of HTTPie and xh",
        "hint: -b: apicli prints only the body by default. "
        "-j: data items send JSON by default; --json TEXT|@FILE sends a whole body.",
    ),
    (
        ["-sYZ"],
        "apicli: no such options in -sYZ: -Y and -Z are no flag apicli knows; -s (--quiet) is apicli's own",
        "hint: See 'apicli get --help'.",
    ),
]


@pytest.mark.parametrize(("typed", "error", "hint"), CLUSTERS, ids=[" ".join(row[0]) for row in CLUSTERS])
def test_a_cluster_of_short_flags_gets_one_error_naming_every_letter(
    invoke: Invoke, typed: list[str], error: str, hint: str
) -> None:
    result = invoke("get", NOWHERE, *typed)
    assert (result.code, result.stdout) == (ExitCode.USAGE, b"")
    assert result.stderr.splitlines() == [error, hint]


@given(st.text(alphabet=string.ascii_letters + "=:/", min_size=1, max_size=12))
def test_reading_a_cluster_accounts_for_every_letter_up_to_a_value(letters: str) -> None:
    own = {"-s": ("--quiet", False), "-v": ("--verbose", False), "-H": ("--header", True), "-q": ("--query", True)}
    read = read_cluster("-" + letters, own)
    assert read and "".join(letter.flag[1] for letter in read) == letters[: len(read)]
    for letter in read[:-1]:  # only the last letter may take the rest as its value
        assert letter.own is None or not own[letter.flag][1]
        assert letter.foreign is None or not letter.foreign.takes_value
    lines = cluster_lines("-" + letters, read, "apicli get")
    assert len(lines) == 2 and lines[0].startswith("apicli: no such option") and lines[1].startswith("hint: ")


# (as typed, what it means): HTTPie's capitals, and methods without a command of their own.
CAPITALS = [
    (["GET"], ["get"]),
    (["POST", "name=ann"], ["post", "name=ann"]),
    (["PUT", "name=ann"], ["put", "name=ann"]),
    (["PATCH", "name=ann"], ["patch", "name=ann"]),
    (["DELETE"], ["delete"]),
    (["HEAD"], ["head"]),
    (["Post", "name=ann"], ["post", "name=ann"]),
    (["OPTIONS"], ["request", "OPTIONS"]),
    (["PROPFIND", "Depth:1"], ["request", "PROPFIND", "Depth:1"]),
]


@pytest.mark.parametrize(("typed", "meant"), CAPITALS, ids=[row[0][0] for row in CAPITALS])
def test_a_method_in_capitals_is_the_command(invoke: Invoke, typed: list[str], meant: list[str]) -> None:
    def dry_run(words: list[str]) -> tuple[int, bytes, str]:
        command = words[:2] if words[0] == "request" else words[:1]
        result = invoke(*command, NOWHERE, *words[len(command) :], "--dry-run")
        return result.code, result.stdout, result.stderr

    shown = dry_run(typed)
    assert shown == dry_run(meant) and shown[0] == 0
    method = meant[1] if meant[0] == "request" else meant[0].upper()
    assert shown[1].startswith(f"{method} {NOWHERE}\n".encode())


@given(st.sampled_from(sorted(VERBS | {m.lower() for m in OTHER_METHODS})), st.data())
def test_any_casing_of_a_method_name_is_that_method(name: str, data: st.DataObject) -> None:
    typed = "".join(data.draw(st.sampled_from([ch.lower(), ch.upper()])) for ch in name)
    meant = command_for(typed)
    if typed == name and name in VERBS:
        assert meant is None  # the command itself: nothing to rewrite
    else:
        assert meant == ([name] if name in VERBS else ["request", name.upper()])


@given(st.text(max_size=40))
def test_an_unknown_command_error_is_one_line_and_a_hint(word: str) -> None:
    lines = unknown_command_lines(word)
    if lines is not None:
        assert len(lines) == 2 and lines[0].startswith("apicli: no such command ")
        assert lines[1].startswith("hint: ")


FLAG_NAMES = sorted({name for flag in FOREIGN_FLAGS for name in flag.names})


@pytest.mark.parametrize("name", FLAG_NAMES)
def test_every_row_of_the_table_reaches_the_usage_error(invoke: Invoke, name: str) -> None:
    result = invoke("get", NOWHERE, name)
    assert (result.code, result.stdout) == (ExitCode.USAGE, b"")
    first, second = result.stderr.splitlines()
    tools = [flag.tool for flag in FOREIGN_FLAGS if name in flag.names]
    assert first.startswith(f"apicli: no such option: {name} (a flag of ") and all(tool in first for tool in tools)
    hints = [flag.hint for flag in FOREIGN_FLAGS if name in flag.names]
    assert second.startswith("hint: ") and all(hint in second for hint in hints)


def test_the_table_shadows_no_flag_of_the_request_commands() -> None:
    root = typer.main.get_command(load_commands())
    for command in ("get", "post", "paginate"):
        taken = {opt for param in root.commands[command].params for opt in (*param.opts, *param.secondary_opts)}  # type: ignore[attr-defined]
        assert not taken & set(FLAG_NAMES), command
    assert "-w" in taken and "-w" not in FLAG_NAMES  # -w/--write-out is apicli's own now


def test_a_typo_keeps_the_spelling_suggestion(invoke: Invoke) -> None:
    result = invoke("get", NOWHERE, "--tiemout", "3")
    assert (result.code, result.stdout) == (ExitCode.USAGE, b"")
    assert result.stderr.splitlines() == [
        "apicli: No such option: --tiemout (Possible options: --quiet, --timeout, --write-out)",
        "hint: see 'apicli get --help'",
    ]


def test_an_option_of_another_command_is_named(invoke: Invoke) -> None:
    result = invoke("get", NOWHERE, "--parallel", "3")
    assert (result.code, result.stdout) == (ExitCode.USAGE, b"")
    assert result.stderr.splitlines() == [
        "apicli: no such option for apicli get: --parallel",
        "hint: --parallel is an option of apicli paginate and apicli download and apicli batch",
    ]


def test_offline_is_dry_run(invoke: Invoke) -> None:
    offline = invoke("post", NOWHERE, "name=ann", "--offline")
    dry_run = invoke("post", NOWHERE, "name=ann", "--dry-run")
    assert offline.code == dry_run.code == 0
    assert offline.stdout == dry_run.stdout and offline.stdout.startswith(b"POST http://127.0.0.1:9/\n")
    assert offline.stderr == dry_run.stderr


@pytest.fixture
def silent_server() -> Iterator[str]:
    """Accepts connections and never answers; closes after the test."""
    listener = socket.create_server(("127.0.0.1", 0))
    held: list[socket.socket] = []
    stop = threading.Event()

    def accept() -> None:
        listener.settimeout(0.1)
        while not stop.is_set():
            try:
                held.append(listener.accept()[0])
            except OSError:
                continue

    thread = threading.Thread(target=accept, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{listener.getsockname()[1]}/"
    stop.set()
    thread.join(5)
    for connection in held:
        connection.close()
    listener.close()


def test_dash_m_is_max_time(invoke: Invoke, silent_server: str) -> None:
    short = invoke("get", silent_server, "-m", "0.3", "--retries", "0")
    long = invoke("get", silent_server, "--max-time", "0.3", "--retries", "0")
    assert short.code == long.code == ExitCode.TIMEOUT
    assert short.stdout == long.stdout == b""
    assert short.stderr.replace(silent_server, "URL") == long.stderr.replace(silent_server, "URL")
    assert "0.3" in short.stderr


def test_aliases_show_in_help(invoke: Invoke) -> None:
    text = invoke("get", "--help", env={"COLUMNS": "100"}).stdout.decode()
    assert re.search(r"^  -m, --max-time S +Overall deadline", text, flags=re.MULTILINE)
    assert re.search(r"^  --dry-run, --offline +Print the request", text, flags=re.MULTILINE)
