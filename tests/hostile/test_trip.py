"""Where new users trip: habits from curl, HTTPie and xh, piped stdin, and profiles, tried as a real process.

Each row is something a newcomer types. A habit that means exactly an apicli command line runs
as that line; any other gets one `apicli:` line whose hint fixes all of it at once; what apicli
silently leaves out (stdin it was not told to read, a profile's credentials for another origin)
gets a note on stderr that -s silences.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path

import pytest

from apicli.errors import ExitCode
from tests.faults.behaviours import Reply, json_reply
from tests.faults.faultserver import FaultServer
from tests.hostile.harness import assert_clean, run

NOWHERE = "http://127.0.0.1:9/"  # discard port: a request that got sent would exit 7, not 2
FOLLOW = "apicli follows redirects by default (--no-follow stops, --max-redirects N limits)"
FAIL = "apicli does this by default: a 4xx exits 4, a 5xx exits 5 (--ignore-status turns it off)"
QUERY = "-q is --query here, a query parameter (HTTPie's and xh's quiet is -s/--quiet here)"

# (row, arguments, the exact stderr): refused before anything is sent, exit 2.
REFUSED = [
    (
        "curl-cluster-fsSL",
        ["get", "-fsSL", NOWHERE],
        [
            "apicli: no such options in -fsSL: -f, -S and -L are flags of curl; -s (--quiet) is apicli's own",
            f"hint: -f: {FAIL}; the error body is shown on stderr. "
            "-S: apicli always shows errors; -s/--quiet silences everything else. "
            f"-L: {FOLLOW}. apicli's part of -fsSL is -s.",
        ],
    ),
    (
        "curl-cluster-sS",
        ["get", NOWHERE, "-sS"],
        [
            "apicli: no such option in -sS: -S is a flag of curl; -s (--quiet) is apicli's own",
            "hint: -S: apicli always shows errors; -s/--quiet silences everything else. apicli's part of -sS is -s.",
        ],
    ),
    (
        "curl-cluster-sLk",
        ["get", NOWHERE, "-sLk"],
        [
            "apicli: no such option in -sLk: -L is a flag of curl; -s (--quiet) and -k (--insecure) are apicli's own",
            f"hint: -L: {FOLLOW}. apicli's part of -sLk is -sk.",
        ],
    ),
    (
        "curl-cluster-value-XPOST",
        ["get", NOWHERE, "-XPOST"],
        [
            "apicli: no such option in -XPOST: -X is a flag of curl",
            "hint: -X: the method is the command: apicli post URL, or apicli request METHOD URL.",
        ],
    ),
    (
        "curl-cluster-value-sX",
        ["get", NOWHERE, "-sX", "POST"],
        [
            "apicli: no such option in -sX: -X is a flag of curl; -s (--quiet) is apicli's own",
            "hint: -X: the method is the command: apicli post URL, or apicli request METHOD URL.",
        ],
    ),
    (
        "httpie-cluster-fj",
        ["post", NOWHERE, "-fj"],
        [
            "apicli: no such options in -fj: -f and -j are flags of HTTPie and xh",
            "hint: -f: --form sends the data items as a form. "
            "-j: data items send JSON by default; --json TEXT|@FILE sends a whole body.",
        ],
    ),
    (
        "cluster-unknown-letter",
        ["get", NOWHERE, "-sZ"],
        [
            "apicli: no such option in -sZ: -Z is no flag apicli knows; -s (--quiet) is apicli's own",
            "hint: See 'apicli get --help'.",
        ],
    ),
    (
        "url-in-command-place-port",
        [":18090/get"],
        ["apicli: no such command ':18090/get': the command comes before the URL", "hint: apicli get :18090/get"],
    ),
    (
        "url-in-command-place-scheme",
        ["https://api.example.com/x", "a==1"],
        [
            "apicli: no such command 'https://api.example.com/x': the command comes before the URL",
            "hint: apicli get https://api.example.com/x",
        ],
    ),
    (
        "url-in-command-place-dotted",
        ["api.example.com/x"],
        [
            "apicli: no such command 'api.example.com/x': the command comes before the URL",
            "hint: apicli get api.example.com/x",
        ],
    ),
    (
        "url-in-command-place-host-port",
        ["localhost:8080"],
        [
            "apicli: no such command 'localhost:8080': the command comes before the URL",
            "hint: apicli get localhost:8080",
        ],
    ),
    (
        "url-in-command-place-escapes",
        ["https://x.example/\x1b]0;t\x07"],
        [
            "apicli: no such command 'https://x.example/\\x1b]0;t\\x07': the command comes before the URL",
            "hint: apicli get https://x.example/\\x1b]0;t\\x07",
        ],
    ),
    (
        "unknown-method-in-capitals",
        ["FROB", NOWHERE],
        ["apicli: no such command 'FROB'", "hint: apicli request FROB URL sends any method"],
    ),
    (
        "q-without-value",
        ["get", NOWHERE, "-q"],
        [
            "apicli: -q needs a value: -q is --query name=value here (a query parameter)",
            "hint: HTTPie's and xh's quiet is -s/--quiet here",
        ],
    ),
    (
        "q-took-the-url",
        ["get", "-q", NOWHERE],
        [
            "apicli: Missing argument 'URL'.",
            "hint: -q is --query name=value here (a query parameter), so it took 'http://127.0.0.1:9/' as its "
            "value; HTTPie's and xh's quiet is -s/--quiet here",
        ],
    ),
    (
        "q-not-name-value",
        ["get", NOWHERE, "-q", "verbose"],
        ["apicli: invalid -q/--query 'verbose'", f"hint: expected name=value: {QUERY}"],
    ),
    (
        "help-unknown-topic",
        ["help", "nope"],
        [
            "apicli: Invalid value for 'TOPIC': 'nope' is not one of "
            "'exit-codes', 'items', 'config', 'limits', 'batch'.",
            "hint: name a topic, or a command for its help: apicli help get",
        ],
    ),
]


@pytest.mark.parametrize(("row", "args", "stderr"), REFUSED, ids=[row[0] for row in REFUSED])
def test_a_habit_gets_one_error_that_fixes_all_of_it(row: str, args: list[str], stderr: list[str]) -> None:
    outcome = run(args)

    assert_clean(outcome, ExitCode.USAGE)
    assert outcome.stdout == b""
    assert outcome.stderr.splitlines() == stderr


# (row, the command as typed, what apicli runs it as, the method on the wire)
SAME_AS = [
    ("GET", ["GET"], ["get"], "GET"),
    ("POST", ["POST"], ["post"], "POST"),
    ("PUT", ["PUT"], ["put"], "PUT"),
    ("PATCH", ["PATCH"], ["patch"], "PATCH"),
    ("DELETE", ["DELETE"], ["delete"], "DELETE"),
    ("HEAD", ["HEAD"], ["head"], "HEAD"),
    ("Get-mixed-case", ["Get"], ["get"], "GET"),
    ("OPTIONS", ["OPTIONS"], ["request", "OPTIONS"], "OPTIONS"),
    ("propfind-lower", ["propfind"], ["request", "PROPFIND"], "PROPFIND"),
]


@pytest.mark.parametrize(("row", "typed", "meant", "method"), SAME_AS, ids=[row[0] for row in SAME_AS])
def test_a_method_in_capitals_runs_as_the_verb(
    fault_server: FaultServer, row: str, typed: list[str], meant: list[str], method: str
) -> None:
    fault_server.script("/m", json_reply({"ok": True}))
    extra = ["name=ann"] if method in ("POST", "PUT", "PATCH") else []

    outcome = run([*typed, fault_server.url("/m"), *extra, "-i"])
    expected = run([*meant, fault_server.url("/m"), *extra, "-i"])

    assert_clean(outcome, 0)
    assert (outcome.code, outcome.stdout, outcome.stderr) == (expected.code, expected.stdout, expected.stderr)
    first, second = fault_server.requests_for("/m")
    assert first.method == second.method == method
    assert first.body == second.body


@pytest.mark.parametrize("command", ["get", "GET", "post", "request", "paginate", "download"])
def test_help_command_is_command_help(command: str) -> None:
    outcome = run(["help", command], env={"COLUMNS": "100"})
    expected = run([command.lower(), "--help"], env={"COLUMNS": "100"})

    assert_clean(outcome, 0)
    assert outcome.stdout == expected.stdout and outcome.stdout.startswith(b"Usage: apicli " + command.lower().encode())


def test_help_config_stays_the_config_topic() -> None:
    outcome = run(["help", "config"])

    assert_clean(outcome, 0)
    assert outcome.stdout.startswith(b"CONFIG FILE AND PROFILES\n")


@pytest.fixture
def profile_env(fault_server: FaultServer, tmp_path: Path) -> Iterator[dict[str, str]]:
    """Profile `hb` for the fault server's origin as 127.0.0.1, with a bearer token from the environment."""
    config = tmp_path / "config.toml"
    config.write_text(
        f'[profiles.hb]\nbase_url = "{fault_server.origin}"\nauth = {{ type = "bearer", token_env = "HB_TOKEN" }}\n'
    )
    config.chmod(0o600)
    yield {"APICLI_CONFIG": str(config), "HB_TOKEN": "tok-5e1f0a99"}


UNAUTHORIZED = Reply(401, [("Content-Type", "application/json")], b'{"error":"no"}')


# (row, extra flags, whether the note is shown)
WITHHELD = [("plain", [], True), ("verbose", ["-v"], True), ("quiet", ["-s"], False)]


@pytest.mark.parametrize(("row", "flags", "noted"), WITHHELD, ids=[row[0] for row in WITHHELD])
def test_credentials_withheld_from_another_origin_are_named(
    fault_server: FaultServer, profile_env: dict[str, str], row: str, flags: list[str], noted: bool
) -> None:
    fault_server.script("/bearer", UNAUTHORIZED)
    port = fault_server.port

    outcome = run(["get", f":{port}/bearer", "-P", "hb", *flags], env=profile_env)

    assert_clean(outcome, ExitCode.HTTP_4XX)
    note = (
        f"apicli: note: profile 'hb' has credentials for http://127.0.0.1:{port}; "
        f"not sent to http://localhost:{port}, another origin"
    )
    lines = outcome.stderr.splitlines()
    assert (note in lines) is noted and (lines.index(note) == 0 if noted else True)
    assert f"apicli: HTTP 401 Unauthorized (GET http://localhost:{port}/bearer)" in lines
    assert "tok-5e1f0a99" not in outcome.stderr
    (request,) = fault_server.requests_for("/bearer")
    assert "Authorization" not in request.headers


def test_credentials_on_the_profiles_origin_go_without_a_note(
    fault_server: FaultServer, profile_env: dict[str, str]
) -> None:
    fault_server.script("/bearer", json_reply({"ok": True}))

    outcome = run(["get", "/bearer", "-P", "hb"], env=profile_env)

    assert_clean(outcome, 0)
    assert outcome.stderr == ""
    (request,) = fault_server.requests_for("/bearer")
    assert request.headers["Authorization"] == "Bearer tok-5e1f0a99"


def test_own_credentials_for_another_origin_need_no_note(
    fault_server: FaultServer, profile_env: dict[str, str]
) -> None:
    fault_server.script("/bearer", json_reply({"ok": True}))

    outcome = run(
        ["get", f":{fault_server.port}/bearer", "-P", "hb", "--token-env", "OWN"], env={**profile_env, "OWN": "own-1"}
    )

    assert_clean(outcome, 0)
    assert outcome.stderr == ""
    (request,) = fault_server.requests_for("/bearer")
    assert request.headers["Authorization"] == "Bearer own-1"


# (row, the URL argument): a bare word under a profile with a base_url is refused, naming both readings.
BARE_WORDS = [("word", "headers"), ("word-path", "users/1"), ("word-query", "search?q=1")]


@pytest.mark.parametrize(("row", "word"), BARE_WORDS, ids=[row[0] for row in BARE_WORDS])
def test_a_bare_word_under_a_profile_is_refused_with_both_readings(
    fault_server: FaultServer, profile_env: dict[str, str], row: str, word: str
) -> None:
    outcome = run(["get", word, "-P", "hb"], env=profile_env)

    assert_clean(outcome, ExitCode.USAGE)
    host = word.partition("/")[0].partition("?")[0]
    assert outcome.stderr.splitlines() == [
        f"apicli: {word!r} would be the host {host!r}, not a path under profile 'hb'",
        f"hint: write /{word} for the path under {fault_server.origin}/, or http://{word} for that host",
    ]
    assert fault_server.requests == []


@pytest.mark.parametrize("url", ["localhost/x", "api:8080/x", "api.example.com/x", "http://headers/x"])
def test_a_host_under_a_profile_is_still_a_host(profile_env: dict[str, str], url: str) -> None:
    outcome = run(["get", url, "-P", "hb", "--dry-run"], env=profile_env)

    assert_clean(outcome, 0)
    assert outcome.stdout.startswith(b"GET http")


# (row, the command, arguments after the URL, stdin, the note's method or None): stdin is a pipe the harness closes.
STDIN = [
    ("post-pipe-with-data", ["post"], [], b'{"name":"ann"}\n', "POST"),
    ("put-pipe-with-data", ["put"], [], b'{"name":"ann"}\n', "PUT"),
    ("patch-pipe-with-data", ["patch"], [], b"x", "PATCH"),
    ("request-custom-method", ["request", "QUERY"], [], b"x", "QUERY"),
    ("capitals-POST", ["POST"], [], b"x", "POST"),
    ("post-empty-pipe", ["post"], [], b"", None),
    ("post-quiet", ["post"], ["-s"], b"x", None),
    ("get-pipe-with-data", ["get"], [], b"x", None),
    ("delete-pipe-with-data", ["delete"], [], b"x", None),
    ("post-with-items", ["post"], ["name=ann"], b"x", None),
]


@pytest.mark.parametrize(("row", "command", "after", "stdin", "noted"), STDIN, ids=[row[0] for row in STDIN])
def test_unread_stdin_is_mentioned_not_read(
    fault_server: FaultServer, row: str, command: list[str], after: list[str], stdin: bytes, noted: str | None
) -> None:
    fault_server.script("/in", json_reply({"ok": True}))

    outcome = run([*command, fault_server.url("/in"), *after], stdin=stdin)

    assert_clean(outcome, 0)
    note = (
        f"apicli: note: stdin has data, but this {noted} sends no body: "
        "apicli reads stdin only when told, as with --json @- or --data @-\n"
    )
    assert outcome.stderr == (note if noted else "")
    (request,) = fault_server.requests_for("/in")
    assert request.body == (b'{"name": "ann"}' if "name=ann" in after else b"")


@pytest.mark.parametrize("flag", ["--data", "--json"])
def test_stdin_named_with_at_dash_is_sent_without_a_note(fault_server: FaultServer, flag: str) -> None:
    fault_server.script("/in", json_reply({"ok": True}))

    outcome = run(["post", fault_server.url("/in"), flag, "@-"], stdin=b'{"name":"ann"}')

    assert_clean(outcome, 0)
    assert outcome.stderr == ""
    (request,) = fault_server.requests_for("/in")
    assert json.loads(request.body) == {"name": "ann"}
