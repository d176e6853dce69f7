"""What `make demo` runs: real apicli one-liners against the bundled example API.

The script starts examples/api_server.py in a thread on 127.0.0.1, then runs
each demo command through `bash -c` with the venv's bin directory first on
PATH, so `apicli` is the copy installed next to this Python. Every command is
printed (``$ apicli ...``) before its output. A demo may expect a non-zero
exit, such as 4 for a 404; the script exits 1 if any command's exit code
differs from the one listed beside it.

Commands are written with a ``:PORT`` placeholder, replaced by the server's
port: ``:PORT/users`` is apicli's shorthand for ``http://localhost:PORT/users``
and ``127.0.0.1:PORT/users`` names the loopback address explicitly.

Usage: python examples/demo.py [SECTION ...]   (default: every section)
"""

from __future__ import annotations

import contextlib
import fcntl
import os
import pty
import re
import select
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import termios
import time
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path

from api_server import start_server

COMMAND_TIMEOUT = 60  # seconds; a hung command fails the demo instead of hanging it


@dataclass(frozen=True)
class Demo:
    """One shell one-liner and the exit code it should end with."""

    command: str
    expected_exit: int = 0
    requires: tuple[str, ...] = ()  # programs besides apicli that must be on PATH


@dataclass(frozen=True)
class Section:
    name: str
    title: str
    demos: tuple[Demo, ...]


SECTIONS: tuple[Section, ...] = (
    Section(
        "foundation",
        "Requests, request items, exit codes and retries",
        (
            Demo("apicli get :PORT/users/1"),
            Demo("apicli get 127.0.0.1:PORT/users | jq -r '.[].login' | head -3", requires=("jq",)),
            Demo("""apicli post 127.0.0.1:PORT/echo name=ann age:=31 tags:='["a","b"]' X-Trace:demo"""),
            Demo("apicli get 127.0.0.1:PORT/users/999", expected_exit=4),
            Demo("apicli get 127.0.0.1:PORT/flaky fail==1 key==demo -v --backoff 0"),
            Demo("apicli get 127.0.0.1:PORT/echo search==apicli -i"),
        ),
    ),
    Section(
        "paginate",
        "Following next pages",
        (
            Demo("apicli paginate 127.0.0.1:PORT/paged/link per_page==10 | jq -r .login | head -5", requires=("jq",)),
            Demo("apicli paginate 127.0.0.1:PORT/paged/link per_page==7 --array | jq length", requires=("jq",)),
            Demo(
                "apicli paginate 127.0.0.1:PORT/paged/cursor dataset==events limit==100"
                " --cursor-param cursor --cursor meta.next_cursor | wc -l"
            ),
            Demo(
                "apicli paginate 127.0.0.1:PORT/paged/page dataset==events per_page==50"
                " --page-param page --parallel 4 | wc -l"
            ),
            Demo("apicli paginate 127.0.0.1:PORT/paged/body --max-items 3"),
        ),
    ),
    Section(
        "download",
        "Downloads, resume and checksums",
        (
            Demo("apicli download 127.0.0.1:PORT/files/report.csv && ls -l report.csv"),
            Demo("apicli download 127.0.0.1:PORT/files/cut/report.csv -o cut.csv --retries 0; ls cut.csv*"),
            Demo("apicli download --continue -o cut.csv 127.0.0.1:PORT/files/cut/report.csv && ls cut.csv*"),
            Demo(
                "apicli download 127.0.0.1:PORT/files/report.csv -o checked.csv"
                ' --sha256 "$(apicli get 127.0.0.1:PORT/files/report.csv.sha256)"'
            ),
            Demo(
                "apicli download 127.0.0.1:PORT/files/report.csv -o bad.csv --sha256 $(printf '0%.0s' {1..64})",
                expected_exit=1,
            ),
            Demo("ls"),
        ),
    ),
    Section(
        "ecosystem",
        "Profiles, --jq, --schema and --curl",
        (
            Demo("""apicli get 127.0.0.1:PORT/users --jq '.[] | select(.admin) | .login' -r"""),
            # A config file must be a regular file (apicli refuses a FIFO such as <(...)).
            Demo(
                """printf '[profiles.demo]\\nbase_url = "http://127.0.0.1:PORT"\\nheaders = { X-Team = "demo" }\\n'"""
                """ > demo.toml; APICLI_CONFIG=demo.toml apicli get /users/2 -P demo --jq '{login, email}'"""
            ),
            Demo("""apicli get 127.0.0.1:PORT/users/3 --schema <(apicli get 127.0.0.1:PORT/schema/user.json)"""),
            Demo(
                """apicli post 127.0.0.1:PORT/users login=dee name='Dee Ito' email=dee@example.com admin:=false"""
                """ age:=40 --schema <(apicli get 127.0.0.1:PORT/schema/user.json)""",
                expected_exit=9,
            ),
            Demo("""DEMO_TOKEN=s3cret apicli post 127.0.0.1:PORT/echo name=ann --token-env DEMO_TOKEN --curl"""),
            Demo("""eval "$(apicli get 127.0.0.1:PORT/users/1 --curl)\"""", requires=("curl",)),
        ),
    ),
    Section(
        "checks",
        "A CI check: --assert, --expect-status, --capture",
        (
            Demo(
                """apicli get 127.0.0.1:PORT/users/1 -o /dev/null --assert '$status == 200' """
                """--assert '.login == "ann"' --capture 'user=.login' --capture-file vars.sh && cat vars.sh"""
            ),
            Demo("""apicli get 127.0.0.1:PORT/users/999 --expect-status 404 -o /dev/null -w '%{http_code}\\n'"""),
            Demo(
                """apicli get 127.0.0.1:PORT/users --assert 'length == 3  # three users' -o /dev/null""",
                expected_exit=10,
            ),
        ),
    ),
    Section(
        "batch",
        "A stream of requests: apicli batch",
        (
            Demo(
                """printf '%s\\n' 1 2 3 | jq -c '{url: "/users/\\(.)", id: "user-\\(.)"}'"""
                """ | apicli batch --base-url 127.0.0.1:PORT --parallel 3 --jq '{id, status, login: .body.login}'""",
                requires=("jq",),
            ),
            Demo(
                """printf '%s\\n' '{"url": "/users/1"}' '{"url": "/users/999"}' 'not a request'"""
                """ | apicli batch --base-url 127.0.0.1:PORT --bodies --jq .login -r""",
                expected_exit=11,
            ),
        ),
    ),
)


@dataclass(frozen=True)
class Style:
    """ANSI styling, on only when stdout is a terminal and NO_COLOR is unset."""

    enabled: bool

    def _wrap(self, code: str, text: str) -> str:
        return f"\033[{code}m{text}\033[0m" if self.enabled else text

    def bold(self, text: str) -> str:
        return self._wrap("1", text)

    def dim(self, text: str) -> str:
        return self._wrap("2", text)

    def red(self, text: str) -> str:
        return self._wrap("1;31", text)


def localhost_is_ipv4_loopback() -> bool:
    """Whether "localhost" resolves to 127.0.0.1 first, where the example server listens."""
    try:
        addresses = socket.getaddrinfo("localhost", None, type=socket.SOCK_STREAM)
    except OSError:
        return False
    return bool(addresses) and addresses[0][4][0] == "127.0.0.1"


def expand(command: str, port: int, *, shorthand_reaches_server: bool) -> str:
    """The command with the real port in place of the :PORT placeholder."""
    if not shorthand_reaches_server:
        # Spell out the address: the server listens on 127.0.0.1 only.
        command = re.sub(r"(?<!\S):PORT\b", "127.0.0.1:PORT", command)
    return command.replace(":PORT", f":{port}")


def demo_environment(bin_dir: Path) -> dict[str, str]:
    env = dict(os.environ)
    env["PATH"] = os.pathsep.join([str(bin_dir), env.get("PATH", "")])
    # Keep every request on loopback even when a proxy is configured.
    for name in ("NO_PROXY", "no_proxy"):
        env[name] = ",".join(filter(None, ["127.0.0.1,localhost", env.get(name)]))
    return env


def open_terminal() -> tuple[int, int]:
    """A pseudo-terminal shaped like ours that passes bytes through untranslated."""
    reader, writer = pty.openpty()
    # Our own terminal already turns "\n" into "\r\n"; doing it twice shows as "\r\r\n".
    attributes = termios.tcgetattr(writer)
    attributes[1] &= ~termios.ONLCR
    termios.tcsetattr(writer, termios.TCSANOW, attributes)
    with contextlib.suppress(OSError):
        size = fcntl.ioctl(sys.stdout.fileno(), termios.TIOCGWINSZ, bytes(8))
        fcntl.ioctl(writer, termios.TIOCSWINSZ, size)
    return reader, writer


def run_demo(command: str, env: dict[str, str], cwd: Path, out: list[bytes]) -> int:
    """Run one command, appending its stdout and stderr to `out`; returns its exit code (-1 on timeout).

    Both streams go through pseudo-terminals when ours is a terminal, so apicli
    formats as it would for a user, and through pipes otherwise. Relaying lets
    the demo end every output with a newline, as a body need not have one.
    """
    on_terminal = sys.stdout.isatty()
    stdout_reader, stdout_writer = open_terminal() if on_terminal else os.pipe()
    stderr_reader, stderr_writer = open_terminal() if on_terminal else os.pipe()
    # stdin is closed so that no command mistakes the terminal for a request body;
    # its own session lets a timeout stop the whole pipeline, not just bash.
    process = subprocess.Popen(
        ["bash", "-c", command],
        env=env,
        cwd=cwd,
        stdin=subprocess.DEVNULL,
        stdout=stdout_writer,
        stderr=stderr_writer,
        start_new_session=True,
    )
    os.close(stdout_writer)
    os.close(stderr_writer)
    deadline = time.monotonic() + COMMAND_TIMEOUT
    try:
        if not relay_output([stdout_reader, stderr_reader], deadline, out):
            out.append(b"\n")
        return process.wait(timeout=max(0.1, deadline - time.monotonic()))
    except subprocess.TimeoutExpired:
        out.append(f"timed out after {COMMAND_TIMEOUT} s\n".encode())
        return -1
    finally:
        os.close(stdout_reader)
        os.close(stderr_reader)
        if process.poll() is None:
            os.killpg(process.pid, signal.SIGKILL)
            process.wait()


def relay_output(readers: list[int], deadline: float, out: list[bytes]) -> bool:
    """Collect what the command writes, in the order it arrives, until every stream closes.

    Returns whether the output ended with a newline.
    """
    last = b"\n"
    previous = readers[0]
    open_readers = list(readers)
    while open_readers:
        ready = select.select(open_readers, [], [], max(0.0, deadline - time.monotonic()))[0]
        if not ready:
            break
        for reader in ready:
            try:
                data = os.read(reader, 65536)
            except OSError:  # EIO: the pseudo-terminal closed with its last writer
                data = b""
            if not data:
                open_readers.remove(reader)
                continue
            if reader != previous and last != b"\n":
                out.append(b"\n")  # a body without a final newline, then a message on stderr
            out.append(data)
            last, previous = data[-1:], reader
    return last == b"\n"


def run_section(section: Section, port: int, env: dict[str, str], style: Style, cwd: Path) -> tuple[bytes, list[str]]:
    """Run one section's demos in order; returns their output and a description of each that misbehaved."""
    shorthand_ok = localhost_is_ipv4_loopback()
    out: list[bytes] = []

    def say(text: str) -> None:
        out.append((text + "\n").encode())

    failures: list[str] = []
    say(f"\n{style.bold(f'## {section.name}: {section.title}')}\n")
    for demo in section.demos:
        command = expand(demo.command, port, shorthand_reaches_server=shorthand_ok)
        say(style.bold(f"$ {command}"))
        missing = [tool for tool in demo.requires if shutil.which(tool, path=env["PATH"]) is None]
        if missing:
            say(style.dim(f"(skipped: {', '.join(missing)} not installed)\n"))
            continue
        code = run_demo(command, env, cwd, out)
        if code != 0:
            say(style.dim(f"(exit {code})"))
        if code != demo.expected_exit:
            say(style.red(f"unexpected exit {code}, expected {demo.expected_exit}"))
            failures.append(f"{command}  (exit {code}, expected {demo.expected_exit})")
        say("")
    return b"".join(out), failures


def run_sections(sections: list[Section], port: int, env: dict[str, str], style: Style, scratch: Path) -> list[str]:
    """Run the sections side by side and print each one's output in order; returns what misbehaved.

    Sections are independent (each has its own directory), so running them at once keeps
    `make demo` short; a section's output is shown whole, as soon as it and those before it end.
    """
    failures: list[str] = []
    with ThreadPoolExecutor(max_workers=len(sections) or 1) as pool:
        futures = []
        for section in sections:
            cwd = scratch / section.name
            cwd.mkdir()
            futures.append(pool.submit(run_section, section, port, env, style, cwd))
        for future in futures:
            output, section_failures = future.result()
            sys.stdout.buffer.write(output)
            sys.stdout.flush()
            failures.extend(section_failures)
    return failures


def main(argv: list[str]) -> int:
    style = Style(sys.stdout.isatty() and "NO_COLOR" not in os.environ)
    wanted = set(argv) or {section.name for section in SECTIONS}
    unknown = wanted - {section.name for section in SECTIONS}
    if unknown:
        print(f"demo: unknown section(s): {', '.join(sorted(unknown))}", file=sys.stderr)
        return 2
    # The venv's python is a symlink; its unresolved parent is the venv's bin directory.
    bin_dir = Path(sys.executable).parent
    if not (bin_dir / "apicli").exists():
        print(f"demo: {bin_dir / 'apicli'} not found; run `make demo` to install apicli", file=sys.stderr)
        return 1
    server, base_url = start_server(max_lifetime=15 * 60)
    try:
        print(style.dim(f"example API listening on {base_url}"), flush=True)
        sections = [section for section in SECTIONS if section.name in wanted and section.demos]
        # Downloads land in a scratch directory, not in the working tree.
        with tempfile.TemporaryDirectory(prefix="apicli-demo-") as scratch:
            print(style.dim(f"files go to {scratch}"), flush=True)
            failures = run_sections(sections, server.server_port, demo_environment(bin_dir), style, Path(scratch))
    finally:
        server.shutdown()
    if failures:
        print(style.red(f"{len(failures)} demo(s) did not exit as expected:"), file=sys.stderr)
        for failure in failures:
            print(f"  {failure}", file=sys.stderr)
        return 1
    print(style.bold("All demos behaved as expected."))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
