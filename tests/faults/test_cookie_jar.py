"""--cookie-jar and --cookie end to end against loopback servers: the jar file, what is sent, and where."""

from __future__ import annotations

import stat
from pathlib import Path

import pytest

from tests.conftest import Invoke
from tests.faults import FaultServer, Reply, json_reply

SECRET = "sess-9d2e71c4"


def jar_lines(path: Path) -> list[str]:
    return [line for line in path.read_text().splitlines() if line and not line.startswith("# ")]


def sent_cookies(server: FaultServer, path: str) -> list[str]:
    return [request.headers.get("Cookie", "") for request in server.requests_for(path)]


def test_a_login_form_sets_a_cookie_that_the_next_run_sends(
    fault_server: FaultServer, invoke: Invoke, tmp_path: Path
) -> None:
    login = Reply(200, [("Set-Cookie", f"sid={SECRET}; Path=/; HttpOnly"), ("Content-Type", "application/json")], "{}")
    fault_server.script("/login", login)
    fault_server.script("/me", json_reply({"name": "ann"}))
    jar = tmp_path / "cookies.txt"

    logged_in = invoke("post", fault_server.url("/login"), "--form", "user=ann", "--cookie-jar", str(jar))
    me = invoke("get", fault_server.url("/me"), "--cookie-jar", str(jar))

    assert (logged_in.code, logged_in.stdout, logged_in.stderr) == (0, b"{}", "")
    assert (me.code, me.stdout, me.stderr) == (0, b'{"name": "ann"}', "")
    assert fault_server.requests_for("/login")[0].body == b"user=ann"
    assert sent_cookies(fault_server, "/me") == [f"sid={SECRET}"]
    # A session cookie is kept with expiry 0 and HttpOnly as curl marks it; the file is its owner's only.
    assert jar_lines(jar) == [f"#HttpOnly_127.0.0.1\tFALSE\t/\tFALSE\t0\tsid\t{SECRET}"]
    assert stat.S_IMODE(jar.stat().st_mode) == 0o600


def test_the_jar_is_saved_when_the_request_fails_with_an_http_status(
    fault_server: FaultServer, invoke: Invoke, tmp_path: Path
) -> None:
    fault_server.script("/login", Reply(401, [("Set-Cookie", "attempt=1; Max-Age=600")], "denied"))
    jar = tmp_path / "jar"

    result = invoke("get", fault_server.url("/login"), "--cookie-jar", str(jar), "--retries", "0")

    assert (result.code, result.stdout) == (4, b"")
    assert result.stderr.startswith("apicli: HTTP 401")
    [line] = jar_lines(jar)
    assert line.startswith("127.0.0.1\tFALSE\t/\tFALSE\t") and line.endswith("\tattempt\t1")


def test_the_jar_is_replaced_atomically_and_tightened_to_0600(
    fault_server: FaultServer, invoke: Invoke, tmp_path: Path
) -> None:
    fault_server.script("/x", Reply(200, [("Set-Cookie", "b=2; Path=/")], "ok"))
    jar = tmp_path / "jar.txt"
    jar.write_text("# Netscape HTTP Cookie File\n127.0.0.1\tFALSE\t/\tFALSE\t0\ta\t1\n")
    jar.chmod(0o644)

    result = invoke("get", fault_server.url("/x"), "--cookie-jar", str(jar))

    assert (result.code, result.stdout, result.stderr) == (0, b"ok", "")
    assert sent_cookies(fault_server, "/x") == ["a=1"]
    assert sorted(jar_lines(jar)) == ["127.0.0.1\tFALSE\t/\tFALSE\t0\ta\t1", "127.0.0.1\tFALSE\t/\tFALSE\t0\tb\t2"]
    assert stat.S_IMODE(jar.stat().st_mode) == 0o600
    assert sorted(p.name for p in tmp_path.iterdir()) == ["jar.txt"]  # no temporary file left behind


def test_the_standard_rules_decide_what_a_jar_sends(fault_server: FaultServer, invoke: Invoke, tmp_path: Path) -> None:
    fault_server.script("/api/x", json_reply({}))
    jar = tmp_path / "jar.txt"
    jar.write_text(
        "# Netscape HTTP Cookie File\n"
        "127.0.0.1\tFALSE\t/\tFALSE\t0\tsession\tyes\n"
        "127.0.0.1\tFALSE\t/\tFALSE\t1000\texpired\tyes\n"  # 1970
        "127.0.0.1\tFALSE\t/\tTRUE\t0\tsecure\tyes\n"  # https only
        "127.0.0.1\tFALSE\t/other\tFALSE\t0\tpath\tyes\n"
        "example.com\tFALSE\t/\tFALSE\t0\tforeign\tyes\n"
        "127.0.0.1\tFALSE\t/api\tFALSE\t0\tscoped\tyes\n"
        "this line is not a cookie\n"
    )

    result = invoke("get", fault_server.url("/api/x"), "--cookie-jar", str(jar))

    assert (result.code, result.stderr) == (0, ""), result.stderr
    assert sorted(sent_cookies(fault_server, "/api/x")[0].split("; ")) == ["scoped=yes", "session=yes"]
    # What is not expired is written back, foreign hosts included; the expired cookie is dropped.
    names = sorted(line.split("\t")[5] for line in jar_lines(jar))
    assert names == ["foreign", "path", "scoped", "secure", "session"]


def test_cookie_option_is_sent_and_not_saved(fault_server: FaultServer, invoke: Invoke, tmp_path: Path) -> None:
    fault_server.script("/x", Reply(200, [("Set-Cookie", "server=1")], "ok"))
    jar = tmp_path / "jar.txt"

    result = invoke("get", fault_server.url("/x"), "--cookie", f"sid={SECRET}", "--cookie", "lang=en",
                    "--cookie-jar", str(jar))  # fmt: skip

    assert (result.code, result.stdout, result.stderr) == (0, b"ok", "")
    assert sent_cookies(fault_server, "/x") == [f"sid={SECRET}; lang=en"]
    assert [line.split("\t")[5] for line in jar_lines(jar)] == ["server"]


@pytest.mark.parametrize("with_jar", [True, False])
def test_a_cookie_from_the_jar_or_set_during_the_run_never_crosses_origins_on_redirects(
    fault_server: FaultServer, other_fault_server: FaultServer, invoke: Invoke, tmp_path: Path, with_jar: bool
) -> None:
    # The same host on another port is another origin; cookies themselves are scoped by host only.
    fault_server.script("/start", Reply(302, [("Location", other_fault_server.url("/hop")), ("Set-Cookie", "a=1")]))
    other_fault_server.script("/hop", Reply(302, [("Location", fault_server.url("/home")), ("Set-Cookie", "b=2")]))
    fault_server.script("/home", json_reply({"home": True}))
    jar = tmp_path / "jar.txt"
    jar.write_text(f"# Netscape HTTP Cookie File\n127.0.0.1\tFALSE\t/\tFALSE\t0\tsid\t{SECRET}\n")
    jar_args = ("--cookie-jar", str(jar)) if with_jar else ()

    result = invoke("get", fault_server.url("/start"), *jar_args, "--cookie", "c=3")

    assert (result.code, result.stdout, result.stderr) == (0, b'{"home": true}', "")
    assert [r.headers.get("Cookie") for r in other_fault_server.requests] == [None]
    home = set(sent_cookies(fault_server, "/home")[0].split("; "))
    # b=2 was set by the other origin: it is not sent here.
    assert home == ({f"sid={SECRET}"} if with_jar else set()) | {"a=1", "c=3"}


def test_a_cookie_never_crosses_origins_while_paginating(
    fault_server: FaultServer, other_fault_server: FaultServer, invoke: Invoke, tmp_path: Path
) -> None:
    link = [("Link", f'<{other_fault_server.url("/more")}>; rel="next"'), ("Set-Cookie", "fresh=1")]
    fault_server.script("/items", json_reply([1], headers=link))
    other_fault_server.script("/more", json_reply([2]))
    jar = tmp_path / "jar.txt"
    jar.write_text(f"# Netscape HTTP Cookie File\n127.0.0.1\tFALSE\t/\tFALSE\t0\tsid\t{SECRET}\n")

    result = invoke("paginate", fault_server.url("/items"), "--allow-cross-origin", "--cookie-jar", str(jar),
                    "--cookie", "c=3")  # fmt: skip

    assert (result.code, result.stdout, result.stderr) == (0, b"1\n2\n", "")
    assert set(sent_cookies(fault_server, "/items")[0].split("; ")) == {f"sid={SECRET}", "c=3"}
    assert [r.headers.get("Cookie") for r in other_fault_server.requests] == [None]


def test_a_profile_names_the_jar_relative_to_the_config_file(
    fault_server: FaultServer, invoke: Invoke, tmp_path: Path
) -> None:
    fault_server.script("/x", Reply(200, [("Set-Cookie", "p=1; Path=/")], "ok"))
    config = tmp_path / "config.toml"
    config.write_text(f'[profiles.web]\nbase_url = "{fault_server.origin}"\ncookie_jar = "jars/web.txt"\n')
    (tmp_path / "jars").mkdir()

    first = invoke("get", "/x", "-P", "web", env={"APICLI_CONFIG": str(config)})
    second = invoke("get", "/x", "-P", "web", env={"APICLI_CONFIG": str(config)})

    assert (first.code, second.code, second.stderr) == (0, 0, "")
    assert sent_cookies(fault_server, "/x") == ["", "p=1"]
    assert (tmp_path / "jars" / "web.txt").is_file()


@pytest.mark.parametrize("preview", ["--curl", "--dry-run"])
def test_previews_redact_jar_cookies_and_leave_the_jar_alone(
    fault_server: FaultServer, invoke: Invoke, tmp_path: Path, preview: str
) -> None:
    jar = tmp_path / "jar.txt"
    original = f"# Netscape HTTP Cookie File\n127.0.0.1\tFALSE\t/\tFALSE\t0\tsid\t{SECRET}\n"
    jar.write_text(original)

    hidden = invoke("get", fault_server.url("/x"), preview, "--cookie-jar", str(jar), "--cookie", f"k={SECRET}x")
    shown = invoke("get", fault_server.url("/x"), preview, "--cookie-jar", str(jar), "--show-secrets")

    assert (hidden.code, shown.code) == (0, 0)
    assert "Cookie: REDACTED" in hidden.text and SECRET not in hidden.text + hidden.stderr
    assert f"Cookie: sid={SECRET}" in shown.text
    assert jar.read_text() == original
    assert fault_server.requests == []


def test_verbose_redacts_cookies_sent_and_set(fault_server: FaultServer, invoke: Invoke, tmp_path: Path) -> None:
    fault_server.script("/x", Reply(200, [("Set-Cookie", f"new={SECRET}z; Path=/")], "ok"))

    result = invoke("get", fault_server.url("/x"), "-v", "--cookie", f"sid={SECRET}", "--cookie-jar",
                    str(tmp_path / "jar"))  # fmt: skip

    assert (result.code, result.stdout) == (0, b"ok")
    assert "> Cookie: REDACTED" in result.stderr
    assert "< Set-Cookie: new=REDACTED; Path=/" in result.stderr
    assert SECRET not in result.stderr


def test_a_jar_that_cannot_be_saved_is_an_error_after_the_body(
    fault_server: FaultServer, invoke: Invoke, tmp_path: Path
) -> None:
    fault_server.script("/x", Reply(200, [("Set-Cookie", "a=1")], "ok"))
    missing = tmp_path / "no-such-dir" / "jar.txt"

    result = invoke("get", fault_server.url("/x"), "--cookie-jar", str(missing))

    assert (result.code, result.stdout) == (1, b"ok")
    assert result.stderr.startswith(f"apicli: cannot save the cookie jar '{missing}': No such file or directory")


def test_a_cookie_set_by_another_origin_while_paginating_does_not_come_back(
    fault_server: FaultServer, other_fault_server: FaultServer, invoke: Invoke
) -> None:
    back = [("Link", f'<{fault_server.url("/page3")}>; rel="next"'), ("Set-Cookie", "theirs=1; Path=/")]
    onward = [("Link", f'<{other_fault_server.url("/more")}>; rel="next"')]
    fault_server.script("/items", json_reply([1], headers=onward))
    other_fault_server.script("/more", json_reply([2], headers=back))
    fault_server.script("/page3", json_reply([3]))

    result = invoke("paginate", fault_server.url("/items"), "--allow-cross-origin")

    assert (result.code, result.stdout, result.stderr) == (0, b"1\n2\n3\n", "")
    assert sent_cookies(fault_server, "/page3") == [""]  # cookies are scoped by host: only the port tells them apart
